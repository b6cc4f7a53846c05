import * as grpc from '@grpc/grpc-js';

/** Per-call options every plugin client takes. */
export interface PluginCallOptions {
  /** Deadline of this call in milliseconds; overrides the client default. */
  deadlineMs?: number;
  /** Aborting cancels the call (it then rejects with `Cancelled`). */
  signal?: AbortSignal;
}

/** What stays the same for every call of one RPC: see {@link unaryCaller}. */
export interface UnaryCallerOptions {
  /**
   * Wait for the connection instead of failing fast with UNAVAILABLE while the server is
   * down or restarting. The deadline still bounds the call.
   */
  waitForReady: boolean;
  /** Turns the error of a failed call (a grpc-js `ServiceError`) into the contract's error. */
  toError: (error: grpc.ServiceError) => Error;
  /** The error for a signal that is already aborted; the call is then never sent. */
  abortedError: (reason: unknown) => Error;
}

/** Options of {@link invokeUnary}. */
export interface InvokeUnaryOptions extends UnaryCallerOptions {
  /** How long the call may take from now, in milliseconds; it then fails with DEADLINE_EXCEEDED. */
  timeoutMs: number;
  /** Aborting cancels the call in flight (grpc-js then fails it with CANCELLED). */
  signal?: AbortSignal;
}

/**
 * One prepared unary RPC. Each call sends `request` with a deadline `timeoutMs` from now
 * and resolves with the decoded response, or with `pick(response)` when `pick` is given
 * (which saves the caller a `.then` hop; `pick` must not throw). Aborting `signal` cancels
 * the call in flight.
 */
export type UnaryCaller = <Res = any>(request: unknown, timeoutMs: number, signal?: AbortSignal, pick?: (response: any) => Res) => Promise<Res>;

type UnaryCallback = (err: grpc.ServiceError | null, res?: unknown) => void;

/**
 * Prepares unary `rpc` (the proto name, e.g. `RunPodSandbox`) of a grpc-js stub made by
 * `loadPackageDefinition`: the method's path and codec are looked up once, here, and every
 * call goes straight to `Client.makeUnaryRequest` with them. That is the work the stub's
 * generated method does per call, minus its argument spreading, so a prepared call costs
 * no more than a bare grpc-js call with the same options.
 *
 * A call rejects with `abortedError(signal.reason)` without sending when the signal is
 * already aborted, else with `toError(err)` for any failure, including the deadline and a
 * cancellation by the signal. The abort listener is removed once the call settles, so a
 * long-lived signal does not collect listeners. When the stub has no such unary method,
 * every call rejects with a `TypeError` (and `toError` is not called).
 */
export function unaryCaller(stub: grpc.Client, rpc: string, options: UnaryCallerOptions): UnaryCaller {
  const def = unaryDefinition(stub, rpc);
  if (!def) return () => Promise.reject(new TypeError(`${rpc} is not a unary method of this stub`));
  const { path, requestSerialize, responseDeserialize } = def;
  const { waitForReady, toError, abortedError } = options;
  const send = (request: unknown, timeoutMs: number, callback: UnaryCallback) =>
    stub.makeUnaryRequest(path, requestSerialize, responseDeserialize, request, new grpc.Metadata({ waitForReady }), { deadline: Date.now() + timeoutMs }, callback);
  return (request, timeoutMs, signal, pick) =>
    new Promise((resolve, reject) => {
      if (!signal) {
        send(request, timeoutMs, (err, res) => (err ? reject(toError(err)) : resolve(pick ? pick(res) : (res as never))));
        return;
      }
      if (signal.aborted) return reject(abortedError(signal.reason));
      const onAbort = () => call.cancel();
      const call = send(request, timeoutMs, (err, res) => {
        signal.removeEventListener('abort', onAbort);
        if (err) reject(toError(err));
        else resolve(pick ? pick(res) : (res as never));
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
}

/** The stub's definition of unary `rpc`, or `undefined` when it has none. */
function unaryDefinition(stub: grpc.Client, rpc: string): grpc.MethodDefinition<unknown, unknown> | undefined {
  const service = (stub.constructor as Partial<grpc.ServiceClientConstructor>).service;
  const def = service && Object.hasOwn(service, rpc) ? service[rpc] : undefined;
  return def && !def.requestStream && !def.responseStream ? def : undefined;
}

/**
 * Calls unary `rpc` once (see {@link unaryCaller}, which a client making many calls should
 * use instead: it does the method lookup once rather than per call).
 */
export function invokeUnary<Res = any>(stub: grpc.Client, rpc: string, request: unknown, options: InvokeUnaryOptions): Promise<Res> {
  return unaryCaller(stub, rpc, options)<Res>(request, options.timeoutMs, options.signal);
}
