import type * as grpc from '@grpc/grpc-js';

/** The status a failed call answers with: a gRPC code, its message, optional trailing metadata. */
export interface CallStatus {
  code: grpc.status;
  details: string;
  metadata?: grpc.Metadata;
}

/**
 * Turns whatever a handler threw (or rejected with) into the status the call answers with.
 * Each contract passes its own: its error class picks the code, anything else is INTERNAL.
 * It is given the decoded request so it can scrub secrets out of the message. Must not throw.
 */
export type ToCallStatus<Req> = (error: unknown, request: Req) => CallStatus;

/** One finished call, as {@link UnaryHandlerOptions.onDone} sees it. */
export type UnaryCallOutcome<Req> =
  | { readonly ok: true; readonly request: Req; readonly durationMs: number }
  | { readonly ok: false; readonly request: Req; readonly durationMs: number; readonly error: unknown; readonly status: CallStatus };

/** Options of {@link unaryHandler}. */
export interface UnaryHandlerOptions<Req> {
  /** The error → status mapping of the contract. */
  toStatus: ToCallStatus<Req>;
  /**
   * Called once per call, after the handler settled and right before the answer is sent
   * (logging, metrics). The request is the decoded one, unredacted: redact before logging.
   */
  onDone?: (outcome: UnaryCallOutcome<Req>) => void;
}

/**
 * Adapts a domain function (`(request) => response | Promise<response>`) to a grpc-js unary
 * handler. The function is called once per call with the decoded request; a value (or a
 * resolved promise) answers OK with it (`undefined`/`null` answer an empty message, which
 * the codec fills with defaults); a synchronous throw or a rejection answers with the
 * status `toStatus` picks. Never lets an exception escape into grpc-js.
 */
export function unaryHandler<Req, Res>(
  fn: (request: Req) => Res | PromiseLike<Res>,
  options: UnaryHandlerOptions<Req>,
): grpc.handleUnaryCall<Req, unknown> {
  const { toStatus, onDone } = options;
  return (call, callback) => {
    const { request } = call;
    const started = performance.now();
    let result: Promise<Res>;
    try {
      result = Promise.resolve(fn(request));
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (res) => {
        onDone?.({ ok: true, request, durationMs: performance.now() - started });
        callback(null, res ?? {});
      },
      (error: unknown) => {
        const status = toStatus(error, request);
        onDone?.({ ok: false, request, durationMs: performance.now() - started, error, status });
        callback(status);
      },
    );
  };
}
