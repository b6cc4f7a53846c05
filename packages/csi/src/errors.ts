import { readServiceError, reverseStatusTable } from '@bosun/grpc-plugin';
import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * What went wrong, named after the gRPC status it travels as. The CSI spec gives several
 * of them a precise meaning: `OutOfRange` an unsupported capacity range, `Aborted` an
 * operation already pending for the same volume, `ResourceExhausted` no space left.
 */
export type CsiErrorCode =
  | 'InvalidArgument'
  | 'NotFound'
  | 'AlreadyExists'
  | 'FailedPrecondition'
  | 'OutOfRange'
  | 'ResourceExhausted'
  | 'Aborted'
  | 'Unimplemented'
  | 'Internal'
  | 'Unavailable'
  | 'DeadlineExceeded'
  | 'Cancelled';

const toGrpc: Record<CsiErrorCode, GrpcStatus> = {
  InvalidArgument: GrpcStatus.INVALID_ARGUMENT,
  NotFound: GrpcStatus.NOT_FOUND,
  AlreadyExists: GrpcStatus.ALREADY_EXISTS,
  FailedPrecondition: GrpcStatus.FAILED_PRECONDITION,
  OutOfRange: GrpcStatus.OUT_OF_RANGE,
  ResourceExhausted: GrpcStatus.RESOURCE_EXHAUSTED,
  Aborted: GrpcStatus.ABORTED,
  Unimplemented: GrpcStatus.UNIMPLEMENTED,
  Internal: GrpcStatus.INTERNAL,
  Unavailable: GrpcStatus.UNAVAILABLE,
  DeadlineExceeded: GrpcStatus.DEADLINE_EXCEEDED,
  Cancelled: GrpcStatus.CANCELLED,
};
const fromGrpc = reverseStatusTable(toGrpc);

/**
 * An error a CSI call failed with, on either side of the wire. Plugins throw it to pick
 * the gRPC status; clients receive it with the code mapped back from the status. Its
 * message never contains secrets: the server adapter and the client only put redacted
 * requests into messages, and plugins must not put secret values in theirs.
 */
export class CsiError extends Error {
  override readonly name = 'CsiError' as const;
  /** The CSI method that failed (e.g. `Controller/CreateVolume`), when known. */
  readonly method?: string;

  constructor(
    readonly code: CsiErrorCode,
    message: string,
    options?: { cause?: unknown; method?: string },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.method = options?.method;
  }

  /** The gRPC status code this error travels as. */
  get grpcCode(): GrpcStatus {
    return toGrpc[this.code];
  }
}

/** True for a {@link CsiError} (checked by `name`, so it works across module copies), optionally of one code. */
export function isCsiError(err: unknown, code?: CsiErrorCode): err is CsiError {
  return err instanceof Error && err.name === 'CsiError' && (code === undefined || (err as CsiError).code === code);
}

/** The gRPC status code for a CSI error code. */
export function csiCodeToGrpc(code: CsiErrorCode): GrpcStatus {
  return toGrpc[code];
}

/** The CSI error code for a gRPC status code; codes with no CSI name map to `Internal`. */
export function grpcToCsiCode(code: number): CsiErrorCode {
  return fromGrpc.get(code) ?? 'Internal';
}

/** Turns a gRPC client error into a {@link CsiError}, keeping the original as `cause`. */
export function csiErrorFromServiceError(err: unknown, method: string): CsiError {
  if (isCsiError(err)) return err;
  const { code, text } = readServiceError(err);
  return new CsiError(code === undefined ? 'Internal' : grpcToCsiCode(code), `${method}: ${text}`, { cause: err, method });
}
