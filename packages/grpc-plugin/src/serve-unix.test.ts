import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { echoPackageDefinition, serveEcho, tempDir } from './echo-service.fixture';
import { invokeUnary } from './invoke-unary';
import { serveUnix } from './serve-unix';
import { createServiceClients } from './service-clients';
import { unaryHandler } from './unary-handler';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const sock = () => join(dir, `s${++n}.sock`);

const toStatus = (err: unknown) => ({ code: grpc.status.INTERNAL, details: String(err) });
const echo = unaryHandler((req: { text: string }) => ({ text: req.text }), { toStatus });
const hang = unaryHandler(() => new Promise<never>(() => undefined), { toStatus });

/** A socket file left behind by a process that died without closing it. */
function staleSocket(path: string): void {
  spawnSync(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.exit(0))`]);
  expect(lstatSync(path).isSocket()).toBe(true);
}

async function call(endpoint: string, rpc: 'Echo' | 'Hang', request: object = { text: 'hi' }) {
  const { clients, close } = createServiceClients(echoPackageDefinition(), endpoint, { Echo: 'bosun.test.v1.Echo' });
  try {
    return await invokeUnary(clients.Echo, rpc, request, { timeoutMs: 5_000, waitForReady: false, toError: (e) => e, abortedError: () => new Error('aborted') });
  } finally {
    close();
  }
}

describe('serveUnix', () => {
  it.each<[string, (path: string) => void]>([
    ['nothing at the path', () => undefined],
    ['a stale socket at the path', staleSocket],
  ])('binds with %s, owner-only (0600), and serves', async (_what, prepare) => {
    const path = sock();
    prepare(path);
    const server = await serveEcho(path, { Echo: echo, Hang: hang });
    try {
      expect(server.endpoint).toBe(`unix://${path}`);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      await expect(call(server.endpoint, 'Echo')).resolves.toEqual(expect.objectContaining({ text: 'hi' }));
    } finally {
      await server.close();
    }
  });

  it('never replaces a file that is not a socket', async () => {
    const path = sock();
    writeFileSync(path, 'precious');
    await expect(serveEcho(path, { Echo: echo, Hang: hang })).rejects.toThrow();
    expect(readFileSync(path, 'utf8')).toBe('precious');
  });

  it('lets setup add services before the bind', async () => {
    const order: string[] = [];
    const path = sock();
    const server = await serveUnix(() => order.push(existsSync(path) ? 'bound' : 'unbound'), { socketPath: path });
    expect(order).toEqual(['unbound']);
    await server.close();
  });

  it('passes serverOptions to the server', async () => {
    const server = await serveEcho(sock(), { Echo: echo, Hang: hang }, { 'grpc.max_receive_message_length': 64 });
    try {
      await expect(call(server.endpoint, 'Echo', { text: 'x'.repeat(1000) })).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
    } finally {
      await server.close();
    }
  });

  it('removes the socket on close, and close is idempotent', async () => {
    const path = sock();
    const server = await serveEcho(path, { Echo: echo, Hang: hang });
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
    expect(existsSync(path)).toBe(false);
  });

  it('lets a call in flight finish within the grace period', async () => {
    const slow = unaryHandler((req: { text: string }) => new Promise((r) => setTimeout(() => r({ text: req.text }), 150)), { toStatus });
    const server = await serveEcho(sock(), { Echo: slow, Hang: hang });
    const answer = call(server.endpoint, 'Echo');
    await new Promise((r) => setTimeout(r, 50));
    await server.close(5_000);
    await expect(answer).resolves.toMatchObject({ text: 'hi' });
  });

  it('cancels calls still running when the grace period ends', async () => {
    const server = await serveEcho(sock(), { Echo: echo, Hang: hang });
    const answer = call(server.endpoint, 'Hang');
    answer.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await server.close(100);
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(answer).rejects.toHaveProperty('code');
  });
});
