import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { echoPackageDefinition, serveEcho, tempDir } from './echo-service.fixture';
import { invokeUnary } from './invoke-unary';
import { createServiceClients } from './service-clients';
import { errorMessage } from './service-error';
import { unaryHandler, type CallStatus, type UnaryCallOutcome } from './unary-handler';

/** A contract's error class, as CRI/CNI/CSI have one. */
class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: 'NotFound' | 'InvalidArgument' | 'Aborted',
    message: string,
  ) {
    super(message);
  }
}
const TABLE = { NotFound: grpc.status.NOT_FOUND, InvalidArgument: grpc.status.INVALID_ARGUMENT, Aborted: grpc.status.ABORTED };

/** The mapping a contract passes in: its errors pick the status (the code also travels in metadata), anything else is INTERNAL. */
const toStatus = (err: unknown): CallStatus => {
  const metadata = new grpc.Metadata();
  if (err instanceof DomainError) {
    metadata.set('x-domain-code', err.code);
    return { code: TABLE[err.code], details: err.message, metadata };
  }
  return { code: grpc.status.INTERNAL, details: errorMessage(err), metadata };
};

type Fn = (req: { text: string }) => unknown;

/** Calls the handler as grpc-js would and resolves with what it answered. */
function call(fn: Fn, onDone?: (o: UnaryCallOutcome<{ text: string }>) => void, request = { text: 'hi' }) {
  const handler = unaryHandler(fn, { toStatus, onDone });
  return new Promise<{ err: Partial<grpc.StatusObject> | null; value: unknown }>((resolve) =>
    handler({ request } as grpc.ServerUnaryCall<{ text: string }, unknown>, (err, value) => resolve({ err: err as Partial<grpc.StatusObject> | null, value })),
  );
}

describe('unaryHandler', () => {
  it.each<[string, Fn, unknown]>([
    ['a returned value', (req) => ({ text: req.text.toUpperCase() }), { text: 'HI' }],
    ['a resolved promise', async (req) => ({ text: `${req.text}!` }), { text: 'hi!' }],
    ['undefined as an empty message', () => undefined, {}],
    ['null as an empty message', async () => null, {}],
  ])('answers OK with %s', async (_what, fn, value) => {
    expect(await call(fn)).toEqual({ err: null, value });
  });

  it.each<[string, Fn, grpc.status, string]>([
    ['a thrown domain error', () => { throw new DomainError('NotFound', 'no such thing'); }, grpc.status.NOT_FOUND, 'no such thing'],
    ['a rejected domain error', async () => { throw new DomainError('Aborted', 'pending'); }, grpc.status.ABORTED, 'pending'],
    ['any other thrown error', () => { throw new TypeError('bad state'); }, grpc.status.INTERNAL, 'bad state'],
    ['a rejected non-Error', () => Promise.reject('just a string'), grpc.status.INTERNAL, 'just a string'],
  ])('maps %s through the contract mapping', async (_what, fn, code, details) => {
    const { err } = await call(fn);
    expect(err).toMatchObject({ code, details });
  });

  it('reports each call once, with the request, the outcome and the status sent', async () => {
    const outcomes: UnaryCallOutcome<{ text: string }>[] = [];
    const thrown = new DomainError('InvalidArgument', 'empty text');
    await call(async () => ({}), (o) => outcomes.push(o), { text: 'ok' });
    await call(() => { throw thrown; }, (o) => outcomes.push(o), { text: '' });
    expect(outcomes).toEqual([
      { ok: true, request: { text: 'ok' }, durationMs: expect.any(Number) },
      { ok: false, request: { text: '' }, durationMs: expect.any(Number), error: thrown, status: expect.objectContaining({ code: grpc.status.INVALID_ARGUMENT, details: 'empty text' }) },
    ]);
  });

  it('passes the decoded request to the mapping, so a contract can scrub secrets from messages', async () => {
    const scrub = vi.fn((err: unknown, req: { text: string }): CallStatus => ({ code: grpc.status.INTERNAL, details: errorMessage(err).replace(req.text, '[REDACTED]') }));
    const handler = unaryHandler((req: { text: string }) => { throw new Error(`bad token ${req.text}`); }, { toStatus: scrub });
    const err = await new Promise((resolve) => handler({ request: { text: 's3cret' } } as grpc.ServerUnaryCall<{ text: string }, unknown>, (e) => resolve(e)));
    expect(err).toMatchObject({ details: 'bad token [REDACTED]' });
    expect(scrub).toHaveBeenCalledTimes(1);
  });
});

describe('unaryHandler over a unix socket', () => {
  const dir = tempDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;

  it.each<[string, () => unknown, grpc.status, string, string | undefined]>([
    ['a domain NotFound', () => { throw new DomainError('NotFound', 'gone'); }, grpc.status.NOT_FOUND, 'gone', 'NotFound'],
    ['a domain InvalidArgument', async () => { throw new DomainError('InvalidArgument', 'bad'); }, grpc.status.INVALID_ARGUMENT, 'bad', 'InvalidArgument'],
    ['a plain Error', () => { throw new Error('kaput'); }, grpc.status.INTERNAL, 'kaput', undefined],
  ])('delivers %s to the client with its status, message and trailing metadata', async (_what, fn, code, details, domainCode) => {
    const server = await serveEcho(join(dir, `s${++n}.sock`), { Echo: unaryHandler(fn, { toStatus }), Hang: unaryHandler(fn, { toStatus }) });
    const { clients, close } = createServiceClients(echoPackageDefinition(), server.endpoint, { Echo: 'bosun.test.v1.Echo' });
    try {
      const err = await invokeUnary(clients.Echo, 'Echo', {}, { timeoutMs: 5_000, waitForReady: true, toError: (e) => e, abortedError: () => new Error('aborted') }).catch(
        (e: grpc.ServiceError) => e,
      );
      expect(err).toMatchObject({ code, details });
      expect((err as grpc.ServiceError).metadata.get('x-domain-code')[0]).toBe(domainCode);
    } finally {
      close();
      await server.close();
    }
  });
});
