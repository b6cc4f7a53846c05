/** Failure kinds of an {@link ObjectStore} operation. */
export type StoreErrorCode =
  /** No object under the key (404). */
  | 'NotFound'
  /** `create` of a key that holds an object (409). */
  | 'AlreadyExists'
  /** A precondition (resourceVersion or uid) did not hold (409): re-read and retry. */
  | 'Conflict'
  /** The revision asked for is older than the history window (410, "too old resource version"), or a watcher fell behind its buffer. */
  | 'Expired'
  /** The revision asked for is newer than the store's. */
  | 'TooLargeResourceVersion'
  /** A continue token that is malformed or from another collection. */
  | 'InvalidContinue'
  /** A malformed selector, key, object or resourceVersion. */
  | 'BadRequest'
  /** The store was closed. */
  | 'Closed'
  | 'Internal';

/** Extra data some errors carry. */
export interface StoreErrorOptions {
  cause?: unknown;
  /**
   * On an `Expired` list continuation: a token that reads the remainder of the list at
   * the latest revision (an inconsistent continuation, as Kubernetes offers it).
   */
  continue?: string;
}

/** An error from the store; the API server maps it to a Kubernetes status. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  /** See {@link StoreErrorOptions.continue}. */
  readonly continue?: string;
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: StoreErrorOptions,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.continue !== undefined) this.continue = options.continue;
  }
}

/** True for any StoreError (of `code`, when given), even from another copy of this package. */
export function isStoreError(e: unknown, code?: StoreErrorCode): e is StoreError {
  return e instanceof Error && (e as { name?: string }).name === 'StoreError' && (code === undefined || (e as StoreError).code === code);
}

/** Kubernetes' message for a failed resourceVersion precondition (`Conflict`). */
export const CONFLICT_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

/** Kubernetes' message for a continue token whose snapshot has been compacted (`Expired`). */
export const CONTINUE_EXPIRED_MESSAGE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/**
 * The `Expired` error for a read or watch at a revision older than the history window:
 * `too old resource version: <asked> (<oldest>)`, `oldest` being the oldest revision
 * still readable, as Kubernetes words it.
 */
export function tooOldResourceVersion(asked: number | string, oldest: number | string): StoreError {
  return new StoreError('Expired', `too old resource version: ${asked} (${oldest})`);
}
