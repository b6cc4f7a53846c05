import type { Status, StatusCause } from 'kubernetes-types/meta/v1';

/** The Kubernetes status reasons Bosun uses. */
export type ApiErrorReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'Timeout'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable';

/** One field-level cause of an Invalid error, as Kubernetes reports it in `details.causes`. */
export interface FieldCause {
  /** `FieldValueRequired`, `FieldValueInvalid`, `FieldValueNotSupported`, `FieldValueDuplicate`, `FieldValueForbidden`, `FieldValueTooLong`, `FieldValueTooMany`, `FieldValueTypeInvalid`. */
  reason: string;
  /** Path to the field, `spec.template.spec.containers[0].name`. */
  field: string;
  /** Human message without the field prefix: `Invalid value: "Foo": a lowercase RFC 1123 label must…`. */
  message: string;
}

export interface ApiErrorDetails {
  group?: string;
  kind?: string;
  name?: string;
  uid?: string;
  causes?: FieldCause[];
  retryAfterSeconds?: number;
  /** Decode errors: 1-based document number in a multi-document input. */
  document?: number;
  /** Decode errors: the item inside a List document, e.g. `items[3]`. */
  item?: string;
  /** Decode errors: position of a syntax error. */
  line?: number;
  column?: number;
}

const codeOf: Record<ApiErrorReason, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  Invalid: 422,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  UnsupportedMediaType: 415,
  Timeout: 504,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
};

/**
 * An API error with a Kubernetes-style status: HTTP-like `code`, machine `reason`,
 * human `message` and, for Invalid, the field causes. Everything that reaches a user
 * through the Client is an ApiError; check with {@link isApiError}.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: number;
  readonly reason: ApiErrorReason;
  readonly details: ApiErrorDetails;

  constructor(reason: ApiErrorReason, message: string, details: ApiErrorDetails = {}, options?: { cause?: unknown; code?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.code = options?.code ?? codeOf[reason];
    this.details = details;
  }

  /** The field causes of an Invalid error (empty for other reasons). */
  get causes(): FieldCause[] {
    return this.details.causes ?? [];
  }

  /** The `Status` object Kubernetes would send for this error. */
  toStatus(): Status {
    const details = { ...this.details, causes: this.details.causes?.map((c): StatusCause => ({ ...c })) };
    if (!details.causes) delete details.causes;
    return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, code: this.code, details };
  }

  /** Rebuilds an ApiError from a `Status` object (e.g. one received from a remote server). */
  static fromStatus(status: Status): ApiError {
    const reason = (status.reason ?? 'InternalError') as ApiErrorReason;
    const details = (status.details ?? {}) as ApiErrorDetails;
    return new ApiError(reason, status.message ?? reason, details, { code: status.code });
  }

  static notFound(resource: string, name: string, group = ''): ApiError {
    return new ApiError('NotFound', `${qualified(resource, group)} "${name}" not found`, { group, kind: resource, name });
  }
  static alreadyExists(resource: string, name: string, group = ''): ApiError {
    return new ApiError('AlreadyExists', `${qualified(resource, group)} "${name}" already exists`, { group, kind: resource, name });
  }
  static conflict(resource: string, name: string, detail: string, group = ''): ApiError {
    return new ApiError('Conflict', `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": ${detail}`, { group, kind: resource, name });
  }
  /** 410 Gone for a watch or list from a compacted revision. */
  static expired(message: string): ApiError {
    return new ApiError('Expired', message, {}, { code: 410 });
  }
  static gone(message: string): ApiError {
    return new ApiError('Gone', message);
  }
  static badRequest(message: string, causes?: FieldCause[]): ApiError {
    return new ApiError('BadRequest', message, causes ? { causes } : {});
  }
  static forbidden(resource: string, name: string, detail: string, group = ''): ApiError {
    return new ApiError('Forbidden', `${qualified(resource, group)} "${name}" is forbidden: ${detail}`, { group, kind: resource, name });
  }
  static methodNotAllowed(message: string): ApiError {
    return new ApiError('MethodNotAllowed', message);
  }
  static internal(message: string, cause?: unknown): ApiError {
    return new ApiError('InternalError', `Internal error occurred: ${message}`, {}, { cause });
  }
  /**
   * 422 Invalid, formatted as Kubernetes does:
   * `Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`.
   */
  static invalid(kind: string, name: string, causes: FieldCause[], group = ''): ApiError {
    const what = `${group ? `${kind}.${group}` : kind} "${name}"`;
    const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
    const body = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
    return new ApiError('Invalid', `${what} is invalid: ${body}`, { group, kind, name, causes });
  }
}

function qualified(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

/** True for any ApiError, even one from another copy of this package. */
export function isApiError(e: unknown): e is ApiError {
  return e instanceof Error && (e as { name?: string }).name === 'ApiError' && typeof (e as ApiError).reason === 'string';
}

/** True when `e` is an ApiError with the given reason. */
export function hasReason(e: unknown, reason: ApiErrorReason): e is ApiError {
  return isApiError(e) && e.reason === reason;
}

export const isNotFound = (e: unknown): e is ApiError => hasReason(e, 'NotFound');
export const isAlreadyExists = (e: unknown): e is ApiError => hasReason(e, 'AlreadyExists');
export const isConflict = (e: unknown): e is ApiError => hasReason(e, 'Conflict');
export const isInvalid = (e: unknown): e is ApiError => hasReason(e, 'Invalid');
/** 410: the revision asked for is older than the history the server keeps; relist. */
export const isGone = (e: unknown): e is ApiError => isApiError(e) && e.code === 410;
