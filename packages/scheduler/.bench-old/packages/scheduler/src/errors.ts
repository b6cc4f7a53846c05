/** What went wrong, for {@link SchedulerError.code}. */
export type SchedulerErrorCode =
  /** A registry already holds a plugin of that name. */
  | 'DuplicatePlugin'
  /** A profile names a plugin the registry does not hold. */
  | 'UnknownPlugin'
  /** A profile enables a plugin at an extension point the plugin does not implement. */
  | 'ExtensionPointNotImplemented'
  /** A profile is malformed: duplicate schedulerName, weights out of range, no QueueSort or Bind plugin, … */
  | 'InvalidProfile'
  /** A plugin's args were refused by its factory. */
  | 'InvalidPluginArgs'
  /** An option or argument is out of range. */
  | 'InvalidArgument';

/** A misconfiguration of the scheduler, raised at start (never for a pod that does not fit). */
export class SchedulerError extends Error {
  override readonly name = 'SchedulerError';
  readonly code: SchedulerErrorCode;

  constructor(code: SchedulerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** True for a {@link SchedulerError} (optionally with the given code), even from another copy of this package. */
export function isSchedulerError(e: unknown, code?: SchedulerErrorCode): e is SchedulerError {
  return e instanceof Error && e.name === 'SchedulerError' && (code === undefined || (e as SchedulerError).code === code);
}
