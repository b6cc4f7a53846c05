import { errorMessage, readServiceError } from '@bosun/grpc-plugin';
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';

/**
 * What went wrong. The first names are CNI's well-known error codes (spec §"Error"); the
 * Bosun-specific ones live in the plugin-specific range (100+); the last ones describe the
 * transport (no plugin answered).
 */
export type CniErrorCode =
  | 'IncompatibleVersion' // 1
  | 'UnsupportedField' // 2
  | 'UnknownContainer' // 3
  | 'InvalidEnvironment' // 4
  | 'IoFailure' // 5
  | 'DecodeFailure' // 6
  | 'InvalidNetworkConfig' // 7
  | 'TryAgainLater' // 11
  | 'NotAvailable' // 50 (STATUS, spec 1.1)
  | 'NotAvailableLimitedResources' // 51 (STATUS, spec 1.1)
  | 'AddressesExhausted' // 100: no free address in the range (Bosun)
  | 'AlreadyAttached' // 101: Add twice for the same container id + ifname (Bosun)
  | 'Plugin' // any other plugin-specific code (100+)
  | 'Internal' // 999, also any error that is not a CniError
  | 'Unimplemented' // the plugin does not serve the operation
  | 'Unavailable' // no connection to the plugin
  | 'DeadlineExceeded'
  | 'Cancelled';

interface CodeInfo {
  cni: number;
  grpc: GrpcStatus;
}

const CODES: Record<CniErrorCode, CodeInfo> = {
  IncompatibleVersion: { cni: 1, grpc: GrpcStatus.FAILED_PRECONDITION },
  UnsupportedField: { cni: 2, grpc: GrpcStatus.INVALID_ARGUMENT },
  UnknownContainer: { cni: 3, grpc: GrpcStatus.NOT_FOUND },
  InvalidEnvironment: { cni: 4, grpc: GrpcStatus.INVALID_ARGUMENT },
  IoFailure: { cni: 5, grpc: GrpcStatus.INTERNAL },
  DecodeFailure: { cni: 6, grpc: GrpcStatus.INVALID_ARGUMENT },
  InvalidNetworkConfig: { cni: 7, grpc: GrpcStatus.INVALID_ARGUMENT },
  TryAgainLater: { cni: 11, grpc: GrpcStatus.UNAVAILABLE },
  NotAvailable: { cni: 50, grpc: GrpcStatus.UNAVAILABLE },
  NotAvailableLimitedResources: { cni: 51, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  AddressesExhausted: { cni: 100, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  AlreadyAttached: { cni: 101, grpc: GrpcStatus.ALREADY_EXISTS },
  Plugin: { cni: 999, grpc: GrpcStatus.UNKNOWN },
  Internal: { cni: 999, grpc: GrpcStatus.INTERNAL },
  Unimplemented: { cni: 999, grpc: GrpcStatus.UNIMPLEMENTED },
  Unavailable: { cni: 11, grpc: GrpcStatus.UNAVAILABLE },
  DeadlineExceeded: { cni: 11, grpc: GrpcStatus.DEADLINE_EXCEEDED },
  Cancelled: { cni: 999, grpc: GrpcStatus.CANCELLED },
};

/** Trailing metadata keys an error travels with, besides its gRPC status. */
export const CNI_CODE_METADATA = 'bosun-cni-code';
/** @see CNI_CODE_METADATA */
export const CNI_DETAILS_METADATA = 'bosun-cni-details';

const TRANSPORT = new Set<CniErrorCode>(['Unimplemented', 'Unavailable', 'DeadlineExceeded', 'Cancelled']);

const BY_NUMBER = new Map<number, CniErrorCode>(
  (Object.entries(CODES) as [CniErrorCode, CodeInfo][])
    .filter(([name]) => name !== 'Plugin' && name !== 'Internal' && !TRANSPORT.has(name))
    .map(([name, info]) => [info.cni, name]),
);
BY_NUMBER.set(999, 'Internal');

/** Options of {@link CniError}. */
export interface CniErrorOptions {
  cause?: unknown;
  /** The operation that failed (`Add`, `Del`, …), when known. */
  operation?: string;
  /** CNI's `details`: longer text for the user. */
  details?: string;
  /** The numeric CNI code, for `Plugin` errors (100+); derived from `code` otherwise. */
  cniCode?: number;
}

/**
 * An error of a network operation, on either side of the wire. Plugins throw it to pick the
 * CNI code (and so the gRPC status); clients receive it with the same code. Its `cniCode` is
 * what an exec-protocol adapter prints as the CNI error's `code`.
 */
export class CniError extends Error {
  override readonly name = 'CniError' as const;
  /** The numeric CNI error code (1–11 well-known, 50/51 status, 100+ plugin-specific, 999 internal). */
  readonly cniCode: number;
  /** CNI's `details`. */
  readonly details?: string;
  /** The operation that failed, when known. */
  readonly operation?: string;

  constructor(
    readonly code: CniErrorCode,
    message: string,
    options: CniErrorOptions = {},
  ) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.cniCode = code === 'Plugin' && options.cniCode !== undefined ? options.cniCode : CODES[code].cni;
    this.details = options.details;
    this.operation = options.operation;
  }

  /** The gRPC status code this error travels as. */
  get grpcCode(): GrpcStatus {
    return CODES[this.code].grpc;
  }

  /** The CNI exec-protocol error object (`{ cniVersion, code, msg, details }`). */
  toCniJson(cniVersion = '1.0.0'): { cniVersion: string; code: number; msg: string; details?: string } {
    return { cniVersion, code: this.cniCode, msg: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

/** True for a {@link CniError}, optionally of one code (checked by `name`, so it works across module copies). */
export function isCniError(err: unknown, code?: CniErrorCode): err is CniError {
  return err instanceof Error && err.name === 'CniError' && (code === undefined || (err as CniError).code === code);
}

/** The gRPC status code a CNI error code travels as. */
export function cniCodeToGrpc(code: CniErrorCode): GrpcStatus {
  return CODES[code].grpc;
}

/** The error code for a numeric CNI code (unknown codes ≥ 100 are `Plugin`, others `Internal`). */
export function cniCodeFromNumber(n: number): CniErrorCode {
  return BY_NUMBER.get(n) ?? (n >= 100 && n !== 999 ? 'Plugin' : 'Internal');
}

const FROM_GRPC: Partial<Record<number, CniErrorCode>> = {
  [GrpcStatus.UNIMPLEMENTED]: 'Unimplemented',
  [GrpcStatus.UNAVAILABLE]: 'Unavailable',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'DeadlineExceeded',
  [GrpcStatus.CANCELLED]: 'Cancelled',
  [GrpcStatus.NOT_FOUND]: 'UnknownContainer',
  [GrpcStatus.INVALID_ARGUMENT]: 'InvalidNetworkConfig',
  [GrpcStatus.FAILED_PRECONDITION]: 'IncompatibleVersion',
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'NotAvailableLimitedResources',
  [GrpcStatus.ALREADY_EXISTS]: 'AlreadyAttached',
};

/**
 * The gRPC status, message and trailing metadata a thrown error travels as: a
 * {@link CniError} keeps its CNI code in the metadata; anything else is INTERNAL (999).
 */
export function toCniServiceError(err: unknown): { code: GrpcStatus; details: string; metadata: Metadata } {
  const metadata = new Metadata();
  if (isCniError(err)) {
    // Transport codes travel as the bare gRPC status, which the client maps back.
    if (!TRANSPORT.has(err.code)) metadata.set(CNI_CODE_METADATA, String(err.cniCode));
    if (err.details) metadata.set(CNI_DETAILS_METADATA, err.details);
    return { code: err.grpcCode, details: err.message, metadata };
  }
  metadata.set(CNI_CODE_METADATA, '999');
  return { code: GrpcStatus.INTERNAL, details: errorMessage(err), metadata };
}

/**
 * Turns a gRPC client error into a {@link CniError}: the CNI code from the trailing
 * metadata when the plugin sent one (so transport statuses such as UNAVAILABLE stay
 * distinguishable from a plugin's TryAgainLater), else a code derived from the status.
 */
export function fromCniServiceError(err: unknown, operation: string): CniError {
  if (isCniError(err)) return err;
  const e = err as { metadata?: Metadata } | null | undefined;
  const { code: status, text } = readServiceError(err);
  const sent = e?.metadata instanceof Metadata ? e.metadata.get(CNI_CODE_METADATA)[0] : undefined;
  const details = e?.metadata instanceof Metadata ? e.metadata.get(CNI_DETAILS_METADATA)[0]?.toString() : undefined;
  if (sent !== undefined) {
    const n = Number(sent.toString());
    return new CniError(cniCodeFromNumber(n), `${operation}: ${text}`, { cause: err, operation, details, cniCode: n });
  }
  const code = (status !== undefined && FROM_GRPC[status]) || 'Internal';
  return new CniError(code, `${operation}: ${text}`, { cause: err, operation });
}
