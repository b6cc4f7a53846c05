/** Failure kinds of an {@link ObjectStore} operation. */
export type StoreErrorCode =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  /** The revision asked for is older than the history window (410, "too old resource version"). */
  | 'Expired'
  /** The revision asked for is newer than the store's. */
  | 'TooLargeResourceVersion'
  /** A continue token that is malformed or from another collection. */
  | 'InvalidContinue'
  /** A malformed selector or resourceVersion. */
  | 'BadRequest'
  | 'Closed'
  | 'Internal';

/** An error from the store; the API server maps it to a Kubernetes status. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for any StoreError, even from another copy of this package. */
export function isStoreError(e: unknown, code?: StoreErrorCode): e is StoreError {
  return e instanceof Error && (e as { name?: string }).name === 'StoreError' && (code === undefined || (e as StoreError).code === code);
}
