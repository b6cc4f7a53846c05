/**
 * The outcome of a plugin call, as the kube-scheduler framework's `Code`:
 * - `Success`: go on.
 * - `Error`: something broke (not the pod's fault); the pod is retried with backoff.
 * - `Unschedulable`: the pod does not fit here now, but preemption might make it fit.
 * - `UnschedulableAndUnresolvable`: the pod does not fit here, and preempting will not help.
 * - `Wait`: (Permit only) hold the pod until allowed, rejected or timed out.
 * - `Skip`: (PreFilter/PreScore only) this plugin has nothing to do for this pod; its
 *   Filter or Score is then not called in this cycle.
 */
export type Code = 'Success' | 'Error' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Wait' | 'Skip';

/**
 * What a plugin returns: a {@link Code}, the user-facing reasons (`Insufficient cpu`,
 * `node(s) had untolerated taint {dedicated: gpu}`) and, once the framework has seen it,
 * the plugin that returned it. Immutable, except that the framework records the failing
 * plugin on a status that has none.
 */
export class Status {
  /** The shared success status. */
  static readonly success: Status = Object.freeze(new Status('Success')) as Status;

  /** The plugin that produced this status; filled in by the framework. */
  plugin: string | undefined;

  private constructor(
    readonly code: Code,
    readonly reasons: readonly string[] = [],
    readonly error?: unknown,
  ) {}

  /** The pod does not fit for these reasons; preemption may help. */
  static unschedulable(...reasons: string[]): Status {
    return new Status('Unschedulable', reasons);
  }
  /** The pod does not fit for these reasons, and preemption cannot help. */
  static unschedulableAndUnresolvable(...reasons: string[]): Status {
    return new Status('UnschedulableAndUnresolvable', reasons);
  }
  /** An internal failure: the message (or the error's message) becomes the reason. */
  static error(err: unknown): Status {
    const msg = err instanceof Error ? err.message : String(err);
    return new Status('Error', [msg], err);
  }
  /** Permit: the pod must wait to be allowed or rejected. */
  static wait(...reasons: string[]): Status {
    return new Status('Wait', reasons);
  }
  /** PreFilter/PreScore: the plugin is not relevant to this pod. */
  static skip(): Status {
    return new Status('Skip');
  }
  /** A status with any code. */
  static of(code: Code, ...reasons: string[]): Status {
    return code === 'Success' && reasons.length === 0 ? Status.success : new Status(code, reasons);
  }

  /**
   * A frozen status already naming its plugin, for a Filter to return for many nodes
   * without allocating (the framework keeps a status that names the plugin as it is).
   */
  static shared(code: 'Unschedulable' | 'UnschedulableAndUnresolvable', plugin: string, ...reasons: string[]): Status {
    const s = new Status(code, reasons);
    s.plugin = plugin;
    return Object.freeze(s) as Status;
  }

  /** True for `Success` (and only for it). */
  isSuccess(): boolean {
    return this.code === 'Success';
  }
  /** True for `Unschedulable` and `UnschedulableAndUnresolvable`. */
  isRejected(): boolean {
    return this.code === 'Unschedulable' || this.code === 'UnschedulableAndUnresolvable';
  }
  /** True for `Skip`. */
  isSkip(): boolean {
    return this.code === 'Skip';
  }
  /** True for `Wait`. */
  isWait(): boolean {
    return this.code === 'Wait';
  }
  /** The reasons joined by `, `, as upstream's `Status.Message()`. */
  message(): string {
    return this.reasons.join(', ');
  }
  /** This status with `plugin` recorded (a copy when this one is frozen or names another plugin). */
  withPlugin(plugin: string): Status {
    if (this.plugin === plugin) return this;
    if (this.code === 'Success' && this.reasons.length === 0) return this;
    const s = new Status(this.code, this.reasons, this.error);
    s.plugin = this.plugin ?? plugin;
    return s;
  }
  /** The status as an Error (for `Error` statuses: the original error when there is one). */
  asError(): Error {
    if (this.error instanceof Error) return this.error;
    return new Error(this.message() || this.code);
  }
  toString(): string {
    return `${this.code}${this.reasons.length ? `: ${this.message()}` : ''}${this.plugin ? ` (${this.plugin})` : ''}`;
  }
}

/** Normalizes what a plugin returned (a Status, or nothing for success). */
export function asStatus(s: Status | undefined | null | void): Status {
  return s ?? Status.success;
}
