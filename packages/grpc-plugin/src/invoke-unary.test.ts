import { getEventListeners } from 'node:events';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { echoPackageDefinition, serveEcho, tempDir } from './echo-service.fixture';
import { invokeUnary, unaryCaller, type InvokeUnaryOptions } from './invoke-unary';
import { createServiceClients } from './service-clients';
import { unaryHandler } from './unary-handler';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const sock = () => join(dir, `s${++n}.sock`);

/** A contract error that keeps the gRPC status it was made from. */
class CallError extends Error {
  constructor(
    readonly code: string,
    override readonly cause?: unknown,
  ) {
    super(code);
  }
}
const toError = (err: grpc.ServiceError) => new CallError(grpc.status[err.code], err);
const abortedError = (reason: unknown) => new CallError('ABORTED_BEFORE_SEND', reason);
const toStatus = (err: unknown) => ({ code: grpc.status.INTERNAL, details: String(err) });

async function start() {
  const seen: string[] = [];
  const server = await serveEcho(sock(), {
    Echo: unaryHandler((req: { text: string }) => (seen.push(req.text), { text: req.text }), { toStatus }),
    Hang: unaryHandler((req: { text: string }) => (seen.push(req.text), new Promise<never>(() => undefined)), { toStatus }),
  });
  const { clients, close } = createServiceClients(echoPackageDefinition(), server.endpoint, { Echo: 'bosun.test.v1.Echo' });
  const invoke = (rpc: 'Echo' | 'Hang', opts: Partial<InvokeUnaryOptions> = {}) =>
    invokeUnary<{ text: string }>(clients.Echo, rpc, { text: rpc }, { timeoutMs: 5_000, waitForReady: true, toError, abortedError, ...opts });
  return { seen, invoke, endpoint: server.endpoint, async [Symbol.asyncDispose]() { close(); await server.close(100); } };
}

describe('invokeUnary', () => {
  it('resolves with the decoded response', async () => {
    await using env = await start();
    await expect(env.invoke('Echo')).resolves.toMatchObject({ text: 'Echo' });
  });

  it.each<[string, (ac: AbortController) => Partial<InvokeUnaryOptions>, string]>([
    ['fails at its deadline', () => ({ timeoutMs: 150 }), 'DEADLINE_EXCEEDED'],
    ['is cancelled when its signal aborts mid-call', (ac) => (setTimeout(() => ac.abort(), 100), { signal: ac.signal }), 'CANCELLED'],
  ])('a call that never answers %s', async (_what, opts, code) => {
    await using env = await start();
    const started = Date.now();
    const err = await env.invoke('Hang', opts(new AbortController())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallError);
    expect((err as CallError).code).toBe(code);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('never sends a call whose signal is already aborted', async () => {
    await using env = await start();
    const reason = new Error('shutting down');
    const err = await env.invoke('Echo', { signal: AbortSignal.abort(reason) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ABORTED_BEFORE_SEND', cause: reason });
    await env.invoke('Echo', { signal: undefined });
    expect(env.seen).toEqual(['Echo']);
  });

  it('removes its abort listener once the call settles', async () => {
    await using env = await start();
    const ac = new AbortController();
    await env.invoke('Echo', { signal: ac.signal });
    await env.invoke('Hang', { signal: ac.signal, timeoutMs: 50 }).catch(() => undefined);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it.each<[string, boolean, string[]]>([
    ['fails fast with UNAVAILABLE without wait-for-ready', false, ['UNAVAILABLE']],
    ['waits for a server that starts later with wait-for-ready', true, []],
  ])('%s', async (_what, waitForReady, codes) => {
    const path = sock();
    const { clients, close } = createServiceClients(echoPackageDefinition(), path, { Echo: 'bosun.test.v1.Echo' });
    const answer = invokeUnary(clients.Echo, 'Echo', { text: 'late' }, { timeoutMs: 3_000, waitForReady, toError, abortedError }).then(
      () => [] as string[],
      (e: CallError) => [e.code],
    );
    await new Promise((r) => setTimeout(r, 300));
    const server = await serveEcho(path, { Echo: unaryHandler((req: { text: string }) => req, { toStatus }), Hang: unaryHandler(() => ({}), { toStatus }) });
    try {
      expect(await answer).toEqual(codes);
    } finally {
      close();
      await server.close();
    }
  });

  it('rejects (and does not throw) when the stub has no such method', async () => {
    const { clients, close } = createServiceClients(echoPackageDefinition(), sock(), { Echo: 'bosun.test.v1.Echo' });
    const mapped = vi.fn(toError);
    try {
      await expect(invokeUnary(clients.Echo, 'Nope', {}, { timeoutMs: 100, waitForReady: false, toError: mapped, abortedError })).rejects.toThrow(TypeError);
      expect(mapped).not.toHaveBeenCalled();
    } finally {
      close();
    }
  });
});

describe('unaryCaller', () => {
  it('serves many calls from one preparation, each with its own request, and applies pick', async () => {
    await using env = await start();
    const { clients, close } = createServiceClients(echoPackageDefinition(), env.endpoint, { Echo: 'bosun.test.v1.Echo' });
    try {
      const echo = unaryCaller(clients.Echo, 'Echo', { waitForReady: true, toError, abortedError });
      const texts = await Promise.all(['a', 'b', 'c'].map((text) => echo({ text }, 5_000, undefined, (res: { text: string }) => res.text.toUpperCase())));
      expect(texts).toEqual(['A', 'B', 'C']);
      await expect(echo({ text: 'raw' }, 5_000)).resolves.toMatchObject({ text: 'raw' });
      expect(env.seen).toEqual(['a', 'b', 'c', 'raw']);
    } finally {
      close();
    }
  });

  it('maps failures through toError and never calls pick for them', async () => {
    await using env = await start();
    const { clients, close } = createServiceClients(echoPackageDefinition(), env.endpoint, { Echo: 'bosun.test.v1.Echo' });
    const pick = vi.fn((res: unknown) => res);
    try {
      const hang = unaryCaller(clients.Echo, 'Hang', { waitForReady: true, toError, abortedError });
      await expect(hang({ text: 'x' }, 100, undefined, pick)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
      expect(pick).not.toHaveBeenCalled();
    } finally {
      close();
    }
  });

  it.each([['an unknown name', 'Nope'], ['an inherited property', 'constructor']])('rejects every call for %s with a TypeError', async (_what, rpc) => {
    const { clients, close } = createServiceClients(echoPackageDefinition(), sock(), { Echo: 'bosun.test.v1.Echo' });
    try {
      const call = unaryCaller(clients.Echo, rpc, { waitForReady: false, toError, abortedError });
      await expect(call({}, 100)).rejects.toThrow(`${rpc} is not a unary method of this stub`);
    } finally {
      close();
    }
  });
});
