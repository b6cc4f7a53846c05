import { createScheme, isNotFound, type KindInfo, type Namespace, type Scheme } from '@bosun/api';
import { NAMESPACE_FINALIZER } from '@bosun/apiserver';
import { Action, Controller, type Manager, type Reconcile } from '@bosun/controller-runtime';

/**
 * Removes the `kubernetes` finalizer from a namespace: the namespace `finalize`
 * subresource. The in-process `Client` has no method for it (spec.finalizers only
 * changes through that subresource), so the host passes the server's:
 * `finalize: (name) => env.server.finalizeNamespace(name)`.
 */
export type FinalizeNamespace = (name: string) => Promise<unknown>;

/** Options of {@link addNamespaceController}. */
export interface NamespaceControllerOptions {
  /** See {@link FinalizeNamespace}. Required: without it a namespace could never go. */
  finalize: FinalizeNamespace;
  /** The kinds emptied: every namespaced kind of this scheme. Default `createScheme()`. */
  scheme?: Scheme;
  /** How long to wait before looking again while content remains (clock time). Default 1 s. */
  pollIntervalMs?: number;
  /** Workers. Default 2. */
  concurrency?: number;
}

interface NsCtx {
  kinds: KindInfo[];
  finalize: FinalizeNamespace;
  pollIntervalMs: number;
}

const reconcileNamespace: Reconcile<Namespace, NsCtx> = async (ns, ctx, signal) => {
  const { client, recorder } = ctx;
  const name = ns.metadata?.name ?? '';
  if (!ns.metadata?.deletionTimestamp) return Action.awaitChange();
  if (!ns.spec?.finalizers?.includes(NAMESPACE_FINALIZER)) return Action.awaitChange();

  // Delete everything, kind by kind; the GC takes dependents, graceful pods take their time.
  let remaining = 0;
  const left: string[] = [];
  for (const k of ctx.kinds) {
    try {
      await client.deleteCollection(k.apiVersion, k.kind, { namespace: name, propagationPolicy: 'Background', signal });
      const still = await client.list(k.apiVersion, k.kind, { namespace: name, signal });
      if (still.items.length) {
        remaining += still.items.length;
        left.push(`${k.plural}${k.group ? `.${k.group}` : ''} has ${still.items.length} resource instances`);
      }
    } catch (e) {
      if (isNotFound(e)) continue;
      throw e;
    }
  }
  if (remaining) {
    recorder.event(ns, 'Normal', 'NamespaceContentRemaining', `Some resources are remaining: ${left.join(', ')}`);
    return Action.requeueAfter(ctx.pollIntervalMs);
  }
  try {
    await ctx.finalize(name);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  return Action.awaitChange();
};

/**
 * Adds the namespace controller (`namespace`) to `manager`: a namespace with a
 * deletionTimestamp and the `kubernetes` finalizer has every object of every namespaced
 * kind in it deleted (`deleteCollection`, Background propagation), is looked at again
 * every `pollIntervalMs` until a live list finds it empty (pods bound to nodes take
 * their grace period; objects with finalizers wait for them), and is then finalized
 * through {@link NamespaceControllerOptions.finalize}, upon which the API server deletes
 * it. A Normal `NamespaceContentRemaining` Event lists what is left while waiting.
 */
export function addNamespaceController(manager: Manager, opts: NamespaceControllerOptions): Controller<Namespace> {
  const scheme = opts.scheme ?? createScheme();
  const kinds = scheme.kinds().filter((k) => k.namespaced);
  const c = Controller.for('v1', 'Namespace', { clusterScoped: true })
    .withConfig({ name: 'namespace', concurrency: opts.concurrency ?? 2 })
    .build<NsCtx>(reconcileNamespace, undefined, { kinds, finalize: opts.finalize, pollIntervalMs: opts.pollIntervalMs ?? 1000 });
  manager.add(c as never);
  return c;
}
