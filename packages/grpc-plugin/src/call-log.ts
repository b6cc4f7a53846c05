import { status as GrpcStatus } from '@grpc/grpc-js';
import type { UnaryCallOutcome } from './unary-handler';

/** One line a plugin server logs about a call (the shape CRI's and CSI's log entries share). */
export interface CallLogEntry {
  level: 'debug' | 'error';
  /** `Service/Rpc`, e.g. `RuntimeService/RunPodSandbox`. */
  method: string;
  /** The request as `redact` returned it: never the raw request, which may hold secrets. */
  request: unknown;
  /** gRPC status name on failure (`NOT_FOUND`). */
  code?: string;
  /** The status message on failure (as sent, so already scrubbed by the contract's mapping). */
  message?: string;
  durationMs: number;
}

/**
 * The log entry of a finished call: `debug` when it succeeded, `error` with the gRPC status
 * name and message it answered with when it failed. `redact` is applied to the request
 * before it enters the entry.
 */
export function callLogEntry<Req>(method: string, outcome: UnaryCallOutcome<Req>, redact: (request: Req) => unknown): CallLogEntry {
  const base = { method, request: redact(outcome.request) };
  return outcome.ok
    ? { level: 'debug', ...base, durationMs: outcome.durationMs }
    : { level: 'error', ...base, code: GrpcStatus[outcome.status.code], message: outcome.status.details, durationMs: outcome.durationMs };
}
