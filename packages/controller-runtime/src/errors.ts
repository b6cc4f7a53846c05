/** What went wrong, for {@link ControllerRuntimeError.code}. */
export type ControllerRuntimeErrorCode =
  /** `byIndex`, `indexKeys` or `indexValues` named an index the cache does not have. */
  | 'IndexNotFound'
  /** `addIndexers` named an index that already exists. */
  | 'IndexExists'
  /** An option or argument is out of range. */
  | 'InvalidArgument';

/** A misuse of the controller runtime (not an API failure, which is an `ApiError`). */
export class ControllerRuntimeError extends Error {
  override readonly name = 'ControllerRuntimeError';
  readonly code: ControllerRuntimeErrorCode;

  constructor(code: ControllerRuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** True for a {@link ControllerRuntimeError} (optionally with the given code), even from another copy of this package. */
export function isControllerRuntimeError(e: unknown, code?: ControllerRuntimeErrorCode): e is ControllerRuntimeError {
  return e instanceof Error && e.name === 'ControllerRuntimeError' && (code === undefined || (e as ControllerRuntimeError).code === code);
}
