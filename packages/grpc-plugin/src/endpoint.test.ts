import { describe, expect, it } from 'vitest';
import { normalizeEndpoint } from './endpoint';

describe('normalizeEndpoint', () => {
  it.each([
    ['a unix URL with an absolute path', 'unix:///run/containerd/containerd.sock', 'unix:///run/containerd/containerd.sock'],
    ['a unix URL with one slash', 'unix:/run/x.sock', 'unix:/run/x.sock'],
    ['a relative unix target', 'unix:x.sock', 'unix:x.sock'],
    ['a bare socket path', '/run/x.sock', 'unix:///run/x.sock'],
    ['host:port', '127.0.0.1:50051', '127.0.0.1:50051'],
    ['a DNS target', 'dns:///plugin.example:443', 'dns:///plugin.example:443'],
  ])('keeps %s a valid grpc-js target (%s → %s)', (_what, endpoint, target) => {
    expect(normalizeEndpoint(endpoint)).toBe(target);
  });

  it.each(['/run/x.sock', 'unix:/run/x.sock', 'localhost:1'])('is idempotent for %s', (endpoint) => {
    expect(normalizeEndpoint(normalizeEndpoint(endpoint))).toBe(normalizeEndpoint(endpoint));
  });
});
