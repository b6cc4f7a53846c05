import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCriClient, createInProcessCriClient, normalizeCriEndpoint, type CriClient } from './client';
import { CriError, isCriError, type CriErrorCode } from './errors';
import { redactCriRequest, serveCri, type CriLogEntry } from './server';
import type { CriServiceImpl } from './types';

const dir = mkdtempSync(join(tmpdir(), 'bosun-cri-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const sock = () => join(dir, `s${++n}.sock`);

async function serve(impl: CriServiceImpl, log?: (e: CriLogEntry) => void) {
  const server = await serveCri(impl, { socketPath: sock(), log, name: 'test-runtime' });
  const client = createCriClient(server.endpoint, { deadlineMs: 5_000 });
  return { server, client, async [Symbol.asyncDispose]() { client.close(); await server.close(); } };
}

const codes: CriErrorCode[] = ['NotFound', 'InvalidArgument', 'AlreadyExists', 'FailedPrecondition', 'Unavailable', 'Internal'];

describe('addCriToServer / createCriClient over a unix socket', () => {
  it.each(codes)('carries a thrown CriError %s to the client with the same code', async (code) => {
    await using env = await serve({ podSandboxStatus: async () => { throw new CriError(code, 'boom'); } });
    const err = await env.client.runtime.podSandboxStatus('x').catch((e: unknown) => e);
    expect(isCriError(err, code)).toBe(true);
    expect((err as CriError).message).toContain('boom');
    expect((err as CriError).method).toBe('RuntimeService/PodSandboxStatus');
  });

  it('maps any other thrown error to Internal', async () => {
    await using env = await serve({ version: async () => { throw new TypeError('bad state'); } });
    await expect(env.client.runtime.version()).rejects.toSatisfy((e) => isCriError(e, 'Internal') && e.message.includes('bad state'));
  });

  it.each<[string, (c: CriClient) => Promise<unknown>]>([
    ['Version', (c) => c.runtime.version()],
    ['ExecSync', (c) => c.runtime.execSync('id', ['true'])],
    ['PullImage', (c) => c.image.pullImage('busybox')],
  ])('answers UNIMPLEMENTED for %s when the impl lacks it', async (_n, call) => {
    await using env = await serve({});
    await expect(call(env.client)).rejects.toSatisfy((e) => isCriError(e, 'Unimplemented') && e.message.includes('test-runtime'));
  });

  it('fills proto3 defaults on both sides', async () => {
    await using env = await serve({ containerStatus: async (req) => ({ status: { id: req.containerId, state: 'CONTAINER_RUNNING' } }) });
    const st = (await env.client.runtime.containerStatus('abc')).status!;
    expect(st).toMatchObject({ id: 'abc', state: 'CONTAINER_RUNNING', exitCode: 0, labels: {}, mounts: [], image: null });
  });

  it('never logs registry credentials', async () => {
    const entries: CriLogEntry[] = [];
    await using env = await serve({ pullImage: async () => { throw new CriError('NotFound', 'no such image'); } }, (e) => entries.push(e));
    await env.client.image.pullImage('busybox', { username: 'u', password: 'hunter2', auth: 'dTpodW50ZXIy', registryToken: 'tok-123' }).catch(() => undefined);
    const text = JSON.stringify(entries);
    expect(entries.map((e) => e.level)).toEqual(['error']);
    for (const secret of ['hunter2', 'dTpodW50ZXIy', 'tok-123']) expect(text).not.toContain(secret);
    expect(text).toContain('[REDACTED]');
  });

  it('creates the socket with mode 0600', async () => {
    await using env = await serve({});
    expect(statSync(env.server.endpoint.replace('unix://', '')).mode & 0o777).toBe(0o600);
  });

  it('fails a call at its deadline', async () => {
    await using env = await serve({ version: () => new Promise(() => undefined) });
    await expect(env.client.runtime.version({ deadlineMs: 200 })).rejects.toSatisfy((e) => isCriError(e, 'DeadlineExceeded'));
  });

  it('cancels a call when its signal aborts', async () => {
    await using env = await serve({ version: () => new Promise(() => undefined) });
    const ac = new AbortController();
    const p = env.client.runtime.version({ signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toSatisfy((e) => isCriError(e, 'Cancelled'));
  });

  it('waits for a runtime that starts after the client (wait-for-ready)', async () => {
    const path = sock();
    const client = createCriClient(`unix://${path}`, { deadlineMs: 5_000 });
    const call = client.runtime.version();
    await new Promise((r) => setTimeout(r, 300));
    const server = await serveCri({ version: async () => ({ runtimeName: 'late', runtimeApiVersion: 'v1' }) }, { socketPath: path });
    try {
      expect((await call).runtimeName).toBe('late');
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('createInProcessCriClient', () => {
  it.each(codes)('keeps the CriError code %s', async (code) => {
    const client = createInProcessCriClient({ startContainer: async () => { throw new CriError(code, 'nope'); } });
    await expect(client.runtime.startContainer('x')).rejects.toSatisfy((e) => isCriError(e, code));
  });

  it('decodes results exactly as the wire does', async () => {
    const client = createInProcessCriClient({ execSync: async () => ({ stdout: Buffer.from('hi'), exitCode: 2 }) });
    const r = await client.runtime.execSync('x', ['cmd']);
    expect({ stdout: r.stdout.toString(), stderr: r.stderr.length, exitCode: r.exitCode }).toEqual({ stdout: 'hi', stderr: 0, exitCode: 2 });
  });

  it('answers Unimplemented for methods the impl lacks', async () => {
    await expect(createInProcessCriClient({}).image.imageFsInfo()).rejects.toSatisfy((e) => isCriError(e, 'Unimplemented'));
  });
});

describe('normalizeCriEndpoint and redactCriRequest', () => {
  it.each([
    ['unix:///run/containerd/containerd.sock', 'unix:///run/containerd/containerd.sock'],
    ['unix:/run/x.sock', 'unix:/run/x.sock'],
    ['/run/x.sock', 'unix:///run/x.sock'],
    ['127.0.0.1:50051', '127.0.0.1:50051'],
  ])('turns endpoint %s into target %s', (endpoint, target) => {
    expect(normalizeCriEndpoint(endpoint)).toBe(target);
  });

  it.each<[string, unknown, unknown]>([
    ['replaces every credential field', { auth: { username: 'u', password: 'p', auth: 'a', identityToken: 'i', registryToken: 'r', serverAddress: 's' } }, { auth: '[REDACTED]' }],
    ['replaces nested secrets', { image: { image: 'x' }, auth: null, inner: { password: 'p' } }, { image: { image: 'x' }, auth: null, inner: { password: '[REDACTED]' } }],
    ['keeps empty secrets visible as empty', { password: '' }, { password: '' }],
  ])('%s', (_n, input, expected) => {
    expect(redactCriRequest(input)).toEqual(expected);
  });
});
