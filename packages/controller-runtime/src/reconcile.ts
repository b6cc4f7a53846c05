import { isConflict, isNotFound, type Clock } from '@bosun/api';
import type { ApiObject, Client, EventRecorder, WriteOptions } from '@bosun/apiserver';
import type { SharedInformerFactory } from './shared-informers';

/**
 * What a reconcile asks the controller to do next with its key. Build one with the
 * static factories; the fields are for the controller (and for tests) to read.
 *
 * - {@link Action.awaitChange}: converged; look again only when something watched changes.
 * - {@link Action.requeueAfter}: look again after a delay of clock time (polling
 *   something outside the API, an expiry, a retry at a known time).
 * - {@link Action.requeue}: look again after the key's rate-limited backoff (5 ms, 10 ms,
 *   20 ms … with the default rate limiter), like controller-runtime's `Requeue: true`.
 */
export class Action {
  /** `awaitChange`, `requeue` (rate limited) or `requeueAfter` (`delayMs` of clock time). */
  readonly type: 'awaitChange' | 'requeue' | 'requeueAfter';
  /** The delay of a `requeueAfter` action, in milliseconds; 0 for the others. */
  readonly delayMs: number;

  private constructor(type: Action['type'], delayMs: number) {
    this.type = type;
    this.delayMs = delayMs;
    Object.freeze(this);
  }

  private static readonly AWAIT = new Action('awaitChange', 0);
  private static readonly REQUEUE = new Action('requeue', 0);

  /** Converged: reconcile again only when the object, or something mapped to it, changes. */
  static awaitChange(): Action {
    return Action.AWAIT;
  }

  /**
   * Reconcile again after `ms` of clock time, even if nothing changes. A change seen
   * sooner still reconciles sooner. `ms <= 0` requeues at once (not rate limited).
   */
  static requeueAfter(ms: number): Action {
    if (!Number.isFinite(ms)) throw new RangeError(`Action.requeueAfter: ms must be a finite number, got ${ms}`);
    return new Action('requeueAfter', Math.max(0, ms));
  }

  /**
   * Reconcile again after the key's rate-limited delay, which grows with each
   * consecutive requeue of the key (per-item exponential backoff) until a reconcile of
   * it returns another action.
   */
  static requeue(): Action {
    return Action.REQUEUE;
  }

  /** `awaitChange`, `requeue` or `requeueAfter(250ms)`, for logs and test failures. */
  toString(): string {
    return this.type === 'requeueAfter' ? `requeueAfter(${this.delayMs}ms)` : this.type;
  }
}

/**
 * Thrown by a reconcile when retrying cannot help (an invalid spec the user must fix):
 * the controller records a Warning Event and does not requeue the key. The key is
 * reconciled again when the object (or something mapped to it) changes. The error
 * policy is not consulted.
 */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
  /** Always `'Terminal'`. */
  readonly code = 'Terminal' as const;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** True for a {@link TerminalError}, even one from another copy of this package. */
export function isTerminalError(e: unknown): e is TerminalError {
  return e instanceof Error && e.name === 'TerminalError';
}

/**
 * What the controller gives every reconcile besides the user's own context. The user's
 * context is spread first, so these names win: avoid them in your own context.
 */
export interface ReconcileContext {
  /** The key being reconciled: `namespace/name`, or `name` for cluster-scoped objects. */
  key: string;
  /** The controller's name (as in metrics and logs). */
  controller: string;
  /**
   * The client the controller (or its manager) was started with, wrapped so that its calls
   * let the host's event loop turn after a few ms of continuous work (same calls, same
   * results; `watch` untouched).
   */
  client: Client;
  /** The clock the controller runs on. */
  clock: Clock;
  /** Records Events on behalf of this controller (`source.component` is its name). */
  recorder: EventRecorder;
  /** The shared informers: `informers.forKind('v1', 'Pod').cache` reads another kind's cache. */
  informers: SharedInformerFactory;
  /**
   * How many times in a row this key has been requeued with backoff (errors and
   * {@link Action.requeue}) since it last converged: 0 on a first attempt.
   */
  retries: number;
}

/**
 * A level-triggered reconciler: reads the desired state from `obj` and the caches,
 * converges the world toward it, and says when to look again.
 *
 * - `obj` is the current object from the informer cache: deep-frozen and shared, so copy
 *   before changing it (`{ ...obj, metadata: { ...obj.metadata, labels } }`).
 * - Why it runs (add, update, delete of an owned object, a requeue) never reaches it;
 *   duplicate triggers collapse into one call, and one key never runs twice at once.
 * - It is not called once the object is gone from the cache: do cleanup that must
 *   happen on deletion with a finalizer (see `finalizer()`), which keeps the object
 *   (with a `deletionTimestamp`) until the cleanup has run.
 * - `signal` aborts when the controller stops (shutdown or lost leadership): pass it to
 *   client calls and stop early.
 * - Must be idempotent: it may run again with the same state at any time.
 *
 * Throwing sends the error through the controller's {@link ErrorPolicy} (and records a
 * Warning Event on the object); throwing a {@link TerminalError} does not requeue.
 */
export type Reconcile<T extends ApiObject = ApiObject, Ctx = object> = (obj: T, ctx: Ctx & ReconcileContext, signal: AbortSignal) => Promise<Action>;

/**
 * Picks what to do after a reconcile threw (anything but a {@link TerminalError}).
 * Called synchronously; must not throw (if it does, the key is requeued with backoff).
 * `ctx.retries` says how many times in a row the key has failed so far.
 */
export type ErrorPolicy<T extends ApiObject = ApiObject, Ctx = object> = (err: unknown, obj: T, ctx: Ctx & ReconcileContext) => Action;

/**
 * The default {@link ErrorPolicy}: {@link Action.requeue}, the queue's per-item
 * exponential backoff, so a key that keeps failing is retried after 5 ms, 10 ms,
 * 20 ms … up to 1000 s (client-go's default controller rate limiter).
 */
export const defaultErrorPolicy: ErrorPolicy<ApiObject, unknown> = () => Action.requeue();

/** Options of {@link retryOnConflict}. */
export interface RetryOnConflictOptions {
  /** Attempts in all, the first included. Default 5 (client-go's `retry.DefaultRetry`). */
  attempts?: number;
  /** Waits between attempts on this clock; omitted: retries at once (the next attempt re-reads anyway). */
  clock?: Clock;
  /** Delay between attempts when `clock` is given. Default 10 ms. */
  delayMs?: number;
  /** Stops retrying (rejects with its reason) once aborted. */
  signal?: AbortSignal;
}

/**
 * Runs `fn` again while it fails with 409 Conflict, up to `attempts` times (client-go's
 * `retry.RetryOnConflict`). `fn` must re-read the object it writes on each attempt;
 * other errors, and the last conflict, are thrown.
 */
export async function retryOnConflict<R>(fn: (attempt: number) => Promise<R>, opts: RetryOnConflictOptions = {}): Promise<R> {
  const attempts = Math.max(1, opts.attempts ?? 5);
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (!isConflict(e) || attempt + 1 >= attempts) throw e;
      opts.signal?.throwIfAborted();
      if (opts.clock) await opts.clock.sleep(opts.delayMs ?? 10, opts.signal);
    }
  }
}

/**
 * Read-modify-write of one object with conflict retry: `mutate` gets `obj` on the first
 * attempt and the latest stored version on each retry, and returns the object to write
 * (a changed copy; never mutate its argument, which may be a frozen cache object), or
 * undefined to write nothing. Resolves to the object as stored afterwards, or undefined
 * when it is gone (404, or replaced by a new object with the same name).
 */
export async function updateWithRetry<T extends ApiObject>(client: Client, obj: T, mutate: (latest: T) => T | undefined, opts: WriteOptions = {}): Promise<T | undefined> {
  const m = obj.metadata ?? {};
  return retryOnConflict(
    async (attempt) => {
      let latest = obj;
      if (attempt > 0) {
        try {
          latest = (await client.get(obj.apiVersion ?? '', obj.kind ?? '', m.namespace ?? '', m.name ?? '', { signal: opts.signal })) as unknown as T;
        } catch (e) {
          if (isNotFound(e)) return undefined;
          throw e;
        }
        if (m.uid && latest.metadata?.uid !== m.uid) return undefined;
      }
      const next = mutate(latest);
      if (!next) return latest;
      try {
        return await client.update(next, opts);
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    { signal: opts.signal },
  );
}
