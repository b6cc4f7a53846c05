import type { status as GrpcStatus } from '@grpc/grpc-js';

/** The message of anything thrown: `err.message` for an Error, `String(err)` otherwise. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What a client can read from the error a gRPC call failed with. */
export interface ServiceErrorParts {
  /** The numeric gRPC status, when the error carries one. */
  code: number | undefined;
  /** The status message (`details`), else the error's message, else `String(err)`. */
  text: string;
}

/**
 * The status code and text of a failed call's error (a grpc-js `ServiceError`, or anything
 * else that was thrown), for a contract to build its own error class from. Never throws.
 */
export function readServiceError(err: unknown): ServiceErrorParts {
  const e = err as { code?: unknown; details?: string; message?: string } | null | undefined;
  return { code: typeof e?.code === 'number' ? e.code : undefined, text: e?.details || e?.message || String(err) };
}

/**
 * The reverse of a contract's `code → gRPC status` table: status → code. When two codes
 * share a status, the later one in the table wins; a contract whose table is not one-to-one
 * should write its reverse mapping by hand.
 */
export function reverseStatusTable<C extends string>(table: Readonly<Record<C, GrpcStatus>>): ReadonlyMap<number, C> {
  return new Map((Object.entries(table) as [C, GrpcStatus][]).map(([code, status]) => [status, code]));
}
