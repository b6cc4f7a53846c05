import { readServiceError, reverseStatusTable } from '@bosun/grpc-plugin';
import { status as GrpcStatus } from '@grpc/grpc-js';

/** What went wrong, named after the gRPC status it travels as. */
export type CriErrorCode =
  | 'NotFound'
  | 'InvalidArgument'
  | 'AlreadyExists'
  | 'FailedPrecondition'
  | 'Unavailable'
  | 'Internal'
  | 'Unimplemented'
  | 'DeadlineExceeded'
  | 'Cancelled';

const toGrpc: Record<CriErrorCode, GrpcStatus> = {
  NotFound: GrpcStatus.NOT_FOUND,
  InvalidArgument: GrpcStatus.INVALID_ARGUMENT,
  AlreadyExists: GrpcStatus.ALREADY_EXISTS,
  FailedPrecondition: GrpcStatus.FAILED_PRECONDITION,
  Unavailable: GrpcStatus.UNAVAILABLE,
  Internal: GrpcStatus.INTERNAL,
  Unimplemented: GrpcStatus.UNIMPLEMENTED,
  DeadlineExceeded: GrpcStatus.DEADLINE_EXCEEDED,
  Cancelled: GrpcStatus.CANCELLED,
};
const fromGrpc = reverseStatusTable(toGrpc);

/**
 * An error a CRI call failed with, on either side of the wire. Servers throw it to pick
 * the gRPC status; clients receive it with the code mapped back from the status.
 */
export class CriError extends Error {
  override readonly name = 'CriError' as const;
  /** The CRI method that failed (e.g. `RuntimeService/ContainerStatus`), when known. */
  readonly method?: string;

  constructor(
    readonly code: CriErrorCode,
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

/** True for a {@link CriError} (checked by `name`, so it works across module copies). */
export function isCriError(err: unknown, code?: CriErrorCode): err is CriError {
  return err instanceof Error && err.name === 'CriError' && (code === undefined || (err as CriError).code === code);
}

/** The gRPC status code for a CRI error code. */
export function criCodeToGrpc(code: CriErrorCode): GrpcStatus {
  return toGrpc[code];
}

/** The CRI error code for a gRPC status code; codes with no CRI name map to `Internal`. */
export function grpcToCriCode(code: number): CriErrorCode {
  return fromGrpc.get(code) ?? 'Internal';
}

/** Turns a gRPC client error into a {@link CriError}, keeping the original as `cause`. */
export function fromServiceError(err: unknown, method: string): CriError {
  if (isCriError(err)) return err;
  const { code, text } = readServiceError(err);
  return new CriError(code === undefined ? 'Internal' : grpcToCriCode(code), `${method}: ${text}`, { cause: err, method });
}
