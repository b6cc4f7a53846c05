import * as grpc from '@grpc/grpc-js';

/** Per-call options every plugin client takes. */
export interface PluginCallOptions {
  /** Deadline of this call in milliseconds; overrides the client default. */
  deadlineMs?: number;
  /** Aborting cancels the call (it then rejects with `Cancelled`). */
  signal?: AbortSignal;
}

type UnaryStubMethod<Res> = (
  request: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, res?: Res) => void,
) => grpc.ClientUnaryCall;

/** Options of {@link invokeUnary}. */
export interface InvokeUnaryOptions {
  /** How long the call may take from now, in milliseconds; it then fails with DEADLINE_EXCEEDED. */
  timeoutMs: number;
  /**
   * Wait for the connection instead of failing fast with UNAVAILABLE while the server is
   * down or restarting. The deadline still bounds the call.
   */
  waitForReady: boolean;
  /** Aborting cancels the call in flight (grpc-js then fails it with CANCELLED). */
  signal?: AbortSignal;
  /** Turns the error of a failed call (a grpc-js `ServiceError`) into the contract's error. */
  toError: (error: grpc.ServiceError) => Error;
  /** The error for a signal that is already aborted; the call is then never sent. */
  abortedError: (reason: unknown) => Error;
}

/**
 * Calls unary `rpc` (the proto name, e.g. `RunPodSandbox`) on a grpc-js stub and resolves
 * with the decoded response. Rejects with `abortedError(signal.reason)` without sending when
 * the signal is already aborted, else with `toError(err)` for any failure, including the
 * deadline and a cancellation by the signal. The abort listener is removed once the call
 * settles, so a long-lived signal does not collect listeners.
 */
export function invokeUnary<Res = any>(stub: grpc.Client, rpc: string, request: unknown, options: InvokeUnaryOptions): Promise<Res> {
  const { signal } = options;
  return new Promise<Res>((resolve, reject) => {
    if (signal?.aborted) return reject(options.abortedError(signal.reason));
    const deadline = new Date(Date.now() + options.timeoutMs);
    const metadata = new grpc.Metadata({ waitForReady: options.waitForReady });
    const method = (stub as unknown as Record<string, UnaryStubMethod<Res> | undefined>)[rpc];
    if (typeof method !== 'function') throw new TypeError(`${rpc} is not a method of this stub`);
    const onAbort = () => call.cancel();
    const call = method.call(stub, request, metadata, { deadline }, (err, res) => {
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(options.toError(err));
      else resolve(res as Res);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
