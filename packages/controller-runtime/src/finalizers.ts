import type { ApiObject, Client, WriteOptions } from '@bosun/apiserver';
import { Action, updateWithRetry, type Reconcile, type ReconcileContext } from './reconcile';

/** True when `obj.metadata.finalizers` contains `name`. */
export function hasFinalizer(obj: ApiObject, name: string): boolean {
  return obj.metadata?.finalizers?.includes(name) ?? false;
}

/** Writes `obj` with its finalizers changed by `change` (undefined: no write), retrying on conflict. */
function updateFinalizers<T extends ApiObject>(client: Client, obj: T, change: (latest: T, finalizers: string[]) => string[] | undefined, opts: WriteOptions): Promise<T | undefined> {
  return updateWithRetry(
    client,
    obj,
    (latest) => {
      const next = change(latest, [...(latest.metadata?.finalizers ?? [])]);
      return next && { ...latest, metadata: { ...latest.metadata, finalizers: next } };
    },
    opts,
  );
}

/**
 * Adds finalizer `name` to `obj` unless it is there already, and resolves to the
 * object as stored (`obj` itself when nothing had to change). Retries on conflict with
 * the latest version. Adds nothing to an object being deleted (the API forbids new
 * finalizers then). Resolves undefined when the object is gone. Idempotent.
 */
export function ensureFinalizer<T extends ApiObject>(client: Client, obj: T, name: string, opts: WriteOptions = {}): Promise<T | undefined> {
  return updateFinalizers(client, obj, (latest, fs) => (latest.metadata?.deletionTimestamp || fs.includes(name) ? undefined : [...fs, name]), opts);
}

/**
 * Removes finalizer `name` from `obj` if present, and resolves to the object as stored
 * afterwards, or undefined when it is gone, or going (being deleted with no finalizer
 * left).
 * Retries on conflict with the latest version. Idempotent.
 */
export async function removeFinalizer<T extends ApiObject>(client: Client, obj: T, name: string, opts: WriteOptions = {}): Promise<T | undefined> {
  const after = await updateFinalizers(client, obj, (_latest, fs) => (fs.includes(name) ? fs.filter((f) => f !== name) : undefined), opts);
  // An update that removes the last finalizer of a deleting object returns its final state.
  if (after?.metadata?.deletionTimestamp && !after.metadata.finalizers?.length) return undefined;
  return after;
}

/** The two halves of a reconcile wrapped by {@link finalizer}. */
export interface FinalizerHandlers<T extends ApiObject, Ctx> {
  /** The normal reconcile, run while the object is not being deleted and carries the finalizer. */
  apply: Reconcile<T, Ctx>;
  /**
   * Cleans up what the object stands for outside its owner references (external
   * resources, state in other objects), once it is being deleted. Must be idempotent:
   * it runs again if removing the finalizer fails. Resolve with nothing or
   * `Action.awaitChange()` when done (the finalizer is then removed and the API deletes
   * the object); resolve with `Action.requeue()` or `Action.requeueAfter(ms)` when
   * cleanup is still under way (the finalizer stays); throw to go through the error policy.
   */
  cleanup(obj: T, ctx: Ctx & ReconcileContext, signal: AbortSignal): Promise<Action | void>;
}

/**
 * Wraps a reconcile with finalizer `name` (kube-rs's `finalizer()`):
 *
 * - not being deleted, without the finalizer: adds it and returns `awaitChange` (the
 *   update is itself a change, so the next reconcile runs `apply`);
 * - not being deleted, with the finalizer: runs `apply`;
 * - being deleted (`deletionTimestamp` set), with the finalizer: runs `cleanup`, then
 *   removes the finalizer;
 * - being deleted, without the finalizer: nothing to do.
 *
 * Since the object stays in the cache until its last finalizer is gone, `cleanup` is
 * the reliable place for deletion work: a plain reconcile is never called for an object
 * that has disappeared.
 */
export function finalizer<T extends ApiObject, Ctx = object>(name: string, handlers: FinalizerHandlers<T, Ctx>): Reconcile<T, Ctx> {
  return async (obj, ctx, signal) => {
    const present = hasFinalizer(obj, name);
    if (obj.metadata?.deletionTimestamp) {
      if (!present) return Action.awaitChange();
      const action = await handlers.cleanup(obj, ctx, signal);
      if (action && action.type !== 'awaitChange') return action;
      await removeFinalizer(ctx.client, obj, name, { signal });
      return Action.awaitChange();
    }
    if (!present) {
      await ensureFinalizer(ctx.client, obj, name, { signal });
      return Action.awaitChange();
    }
    return handlers.apply(obj, ctx, signal);
  };
}
