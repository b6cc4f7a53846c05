import { describe, expect, it } from 'vitest';
import { defaultImagePullPolicy, parseImageReference } from './image';

const digest = 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

describe('defaultImagePullPolicy', () => {
  it.each([
    ['an image without a tag pulls Always', 'nginx', 'Always'],
    ['the latest tag pulls Always', 'nginx:latest', 'Always'],
    ['a version tag pulls IfNotPresent', 'nginx:1.25', 'IfNotPresent'],
    ['a registry port is not a tag', 'registry:5000/nginx', 'Always'],
    ['a registry port with a tag pulls IfNotPresent', 'registry:5000/team/nginx:1.0', 'IfNotPresent'],
    ['a digest without a tag pulls IfNotPresent', `nginx@${digest}`, 'IfNotPresent'],
    ['latest with a digest still pulls Always', `nginx:latest@${digest}`, 'Always'],
    ['a hub path without a tag pulls Always', 'wuyinio/kubia', 'Always'],
    ['a hub path with a tag pulls IfNotPresent', 'wuyinio/kubia:2', 'IfNotPresent'],
    ['localhost registry without a tag pulls Always', 'localhost/app', 'Always'],
    ['a malformed reference pulls IfNotPresent, as upstream ignores the parse error', 'NGINX', 'IfNotPresent'],
    ['an empty image pulls IfNotPresent', '', 'IfNotPresent'],
  ])('%s (%s)', (_, image, policy) => {
    expect(defaultImagePullPolicy(image)).toBe(policy);
  });
});

describe('parseImageReference', () => {
  it.each([
    ['splits domain, path, tag and digest', `gcr.io/proj/app:v1@${digest}`, { domain: 'gcr.io', path: 'proj/app', tag: 'v1', digest }],
    ['leaves the domain empty for Docker Hub names', 'library/nginx:1.25', { domain: '', path: 'library/nginx', tag: '1.25', digest: '' }],
    ['treats host:port as the domain', 'registry:5000/nginx', { domain: 'registry:5000', path: 'nginx', tag: '', digest: '' }],
  ])('%s', (_, image, ref) => {
    expect(parseImageReference(image)).toEqual(ref);
  });

  it.each([['upper-case repository', 'Nginx'], ['a bad tag', 'nginx:-x'], ['a short digest', 'nginx@sha256:abc'], ['surrounding spaces', ' nginx']])(
    'refuses %s',
    (_, image) => {
      expect(parseImageReference(image)).toBeUndefined();
    },
  );
});
