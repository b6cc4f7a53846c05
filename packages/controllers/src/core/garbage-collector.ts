import { createScheme, isConflict, isNotFound, keyOf, parseApiVersion, type KindInfo, type KubeObject, type OwnerReference, type Scheme } from '@bosun/api';
import type { ApiObject, Client } from '@bosun/apiserver';
import {
  Action,
  Controller,
  OWNER_UID_INDEX,
  removeFinalizer,
  updateWithRetry,
  type Informer,
  type Manager,
  type Reconcile,
  type ReconcileRequest,
} from '@bosun/controller-runtime';

/** The finalizer a Foreground delete puts on an owner: its blocking dependents go first. */
export const FOREGROUND_DELETION_FINALIZER = 'foregroundDeletion';
/** The finalizer an Orphan delete puts on an owner: its dependents lose their reference to it and survive. */
export const ORPHAN_FINALIZER = 'orphan';

/** A kind the garbage collector follows, by apiVersion and kind. */
export interface GarbageCollectedKind {
  apiVersion: string;
  kind: string;
}

/** Options of {@link addGarbageCollector}. */
export interface GarbageCollectorOptions {
  /**
   * The kinds to follow (owners and dependents alike): every kind of this scheme.
   * Default `createScheme()` (the built-in kinds); pass `env.scheme` when custom kinds
   * are registered.
   */
  scheme?: Scheme;
  /**
   * Kinds left alone, upstream's ignored resources. Default: core/v1 Event (Events are
   * many and never own anything).
   */
  ignoredKinds?: GarbageCollectedKind[];
  /** Workers per kind. Default 2. */
  concurrency?: number;
}

/** How the garbage collector sees one owner reference of a dependent. */
type OwnerState = 'solid' | 'dangling' | 'waiting';

interface GcCtx {
  /** Every followed kind with its informer. */
  kinds: { info: KindInfo; informer: Informer }[];
  byGroupKind: Map<string, { info: KindInfo; informer: Informer }>;
}

const groupKind = (apiVersion: string, kind: string) => `${parseApiVersion(apiVersion).group}/${kind}`;

/** Every cached object, of any followed kind, with an owner reference to `uid`. */
function dependentsOf(ctx: GcCtx, uid: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const k of ctx.kinds) out.push(...k.informer.cache.byIndex(OWNER_UID_INDEX, uid));
  return out;
}

function refersTo(obj: KubeObject, uid: string): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.uid === uid);
}

/**
 * Classifies the owner behind `ref`: `dangling` when no object with its uid exists
 * (checked against the API when the cache misses, since caches of different kinds lag
 * each other: a dependent may be seen before its owner), `waiting` when the owner is
 * being deleted in the foreground, `solid` otherwise (also for owner kinds we do not
 * know, which we cannot judge).
 */
async function ownerState(ctx: GcCtx, client: Client, dependent: KubeObject, ref: OwnerReference, signal: AbortSignal): Promise<OwnerState> {
  const k = ctx.byGroupKind.get(groupKind(ref.apiVersion, ref.kind));
  if (!k) return 'solid';
  const depNs = dependent.metadata?.namespace ?? '';
  // A namespaced owner lives in its dependent's namespace; a cluster-scoped dependent cannot have one.
  if (k.info.namespaced && !depNs) return 'dangling';
  const ns = k.info.namespaced ? depNs : '';
  let owner: KubeObject | undefined = k.informer.cache.get(ns ? `${ns}/${ref.name}` : ref.name);
  if (!owner || owner.metadata?.uid !== ref.uid) {
    try {
      owner = (await client.get(k.info.apiVersion, k.info.kind, ns, ref.name, { signal })) as unknown as KubeObject;
    } catch (e) {
      if (isNotFound(e)) return 'dangling';
      throw e;
    }
    if (owner.metadata?.uid !== ref.uid) return 'dangling';
  }
  const m = owner.metadata ?? {};
  if (m.deletionTimestamp && m.finalizers?.includes(FOREGROUND_DELETION_FINALIZER)) return 'waiting';
  return 'solid';
}

async function deleteObject(client: Client, obj: KubeObject, policy: 'Background' | 'Foreground' | 'Orphan', signal: AbortSignal): Promise<void> {
  const m = obj.metadata ?? {};
  try {
    await client.delete(obj.apiVersion ?? '', obj.kind ?? '', m.namespace ?? '', m.name ?? '', { propagationPolicy: policy, preconditions: { uid: m.uid }, signal });
  } catch (e) {
    if (isNotFound(e) || isConflict(e)) return; // gone, or replaced by a new object of the same name
    throw e;
  }
}

/** Removes the owner references with these uids from `obj` (re-reading it on conflict). */
async function removeOwnerRefs(client: Client, obj: KubeObject, uids: ReadonlySet<string>, signal: AbortSignal): Promise<void> {
  await updateWithRetry(
    client,
    obj as ApiObject,
    (latest) => {
      const refs = latest.metadata?.ownerReferences ?? [];
      const kept = refs.filter((r) => !uids.has(r.uid));
      if (kept.length === refs.length) return undefined;
      const metadata: NonNullable<ApiObject['metadata']> = { ...latest.metadata, ownerReferences: kept };
      if (!kept.length) delete metadata.ownerReferences;
      return { ...latest, metadata };
    },
    { signal },
  );
}

/**
 * One reconcile for objects of every kind: first as an owner being deleted (the
 * `orphan` and `foregroundDeletion` finalizers), then as a dependent whose owners may be
 * gone. Idempotent; safe to run on a stale cache (absence is confirmed live).
 */
const reconcileGarbage: Reconcile<KubeObject, GcCtx> = async (obj, ctx, signal) => {
  const { client } = ctx;
  const m = obj.metadata ?? {};
  const uid = m.uid ?? '';
  const finalizers = m.finalizers ?? [];

  if (m.deletionTimestamp) {
    if (finalizers.includes(ORPHAN_FINALIZER)) {
      // --cascade=orphan: dependents drop their reference and survive, then the owner goes.
      for (const dep of dependentsOf(ctx, uid)) await removeOwnerRefs(client, dep, new Set([uid]), signal);
      await removeFinalizer(client, obj as ApiObject, ORPHAN_FINALIZER, { signal });
      return Action.awaitChange();
    }
    if (finalizers.includes(FOREGROUND_DELETION_FINALIZER)) {
      // The dependents delete themselves (or drop this reference when another owner holds
      // them): the update that set our deletionTimestamp enqueued each of them.
      const deps = dependentsOf(ctx, uid);
      const blocking = deps.filter((d) => refersTo(d, uid)?.blockOwnerDeletion === true);
      if (blocking.length) return Action.awaitChange(); // their deletion events bring us back
      await removeFinalizer(client, obj as ApiObject, FOREGROUND_DELETION_FINALIZER, { signal });
      return Action.awaitChange();
    }
    // Being deleted otherwise (graceful, other finalizers): nothing to collect.
    return Action.awaitChange();
  }

  const refs = m.ownerReferences ?? [];
  if (!refs.length) return Action.awaitChange();
  const states = new Map<OwnerReference, OwnerState>();
  for (const r of refs) states.set(r, await ownerState(ctx, client, obj, r, signal));
  const solid = refs.filter((r) => states.get(r) === 'solid');
  const dangling = refs.filter((r) => states.get(r) === 'dangling');
  const waiting = refs.filter((r) => states.get(r) === 'waiting');
  if (!dangling.length && !waiting.length) return Action.awaitChange();

  if (solid.length) {
    // Another owner still holds it: drop only the references to owners gone or going, so a
    // foreground owner is not kept waiting on an object it will not take down.
    await removeOwnerRefs(client, obj, new Set([...dangling, ...waiting].map((r) => r.uid)), signal);
    return Action.awaitChange();
  }
  if (waiting.length && dependentsOf(ctx, uid).length) {
    // Foreground cascades down: this dependent's own dependents go before it.
    await deleteObject(client, obj, 'Foreground', signal);
    return Action.awaitChange();
  }
  const policy = finalizers.includes(ORPHAN_FINALIZER) ? 'Orphan' : finalizers.includes(FOREGROUND_DELETION_FINALIZER) ? 'Foreground' : 'Background';
  await deleteObject(client, obj, policy, signal);
  return Action.awaitChange();
};

/** Every object referred to by `obj`'s owner references, as reconcile requests of `target`'s kind. */
function mapFor(target: { info: KindInfo; informer: Informer }): (obj: KubeObject) => ReconcileRequest[] {
  const gk = groupKind(target.info.apiVersion, target.info.kind);
  return (obj) => {
    const out: ReconcileRequest[] = [];
    const ns = obj.metadata?.namespace ?? '';
    for (const r of obj.metadata?.ownerReferences ?? []) {
      if (groupKind(r.apiVersion, r.kind) !== gk) continue;
      out.push(target.info.namespaced ? (ns ? { namespace: ns, name: r.name } : '') : r.name);
    }
    const uid = obj.metadata?.uid;
    if (uid) for (const dep of target.informer.cache.byIndex(OWNER_UID_INDEX, uid)) out.push(keyOf(dep));
    return out.filter((k) => k !== '');
  };
}

/**
 * Adds the garbage collector to `manager`: one controller per followed kind (named
 * `garbage-collector/<apiVersion>/<kind>`), all sharing the manager's informers, which
 * together keep the ownerReferences graph:
 *
 * - **Background** (the default policy): a dependent none of whose owners exists any
 *   more (owner absent, or another object with the same name and a new uid: a
 *   dangling reference) is deleted. Cluster-scoped owners of namespaced dependents are
 *   looked up without a namespace.
 * - **Foreground**: an owner with a deletionTimestamp and the `foregroundDeletion`
 *   finalizer has its dependents deleted (a dependent with dependents of its own is
 *   deleted in the foreground too), and loses the finalizer, and so goes, once no
 *   dependent with `blockOwnerDeletion: true` remains.
 * - **Orphan**: an owner with a deletionTimestamp and the `orphan` finalizer has its
 *   reference removed from every dependent, then loses the finalizer (`kubectl delete
 *   --cascade=orphan`).
 * - A dependent that still has a live owner only loses its references to owners that
 *   are gone or being deleted in the foreground.
 *
 * Absence is always confirmed with a live GET before deleting anything, since the
 * caches of different kinds lag each other. Returns the controllers added.
 */
export function addGarbageCollector(manager: Manager, opts: GarbageCollectorOptions = {}): Controller[] {
  const scheme = opts.scheme ?? createScheme();
  const ignored = new Set((opts.ignoredKinds ?? [{ apiVersion: 'v1', kind: 'Event' }]).map((k) => groupKind(k.apiVersion, k.kind)));
  const kinds: GcCtx['kinds'] = [];
  const byGroupKind: GcCtx['byGroupKind'] = new Map();
  for (const info of scheme.kinds()) {
    const gk = groupKind(info.apiVersion, info.kind);
    if (ignored.has(gk) || byGroupKind.has(gk)) continue;
    const entry = { info, informer: manager.informers.forKind(info.apiVersion, info.kind) as unknown as Informer };
    kinds.push(entry);
    byGroupKind.set(gk, entry);
  }
  const ctx: GcCtx = { kinds, byGroupKind };
  const controllers: Controller[] = [];
  for (const target of kinds) {
    let b = Controller.for<KubeObject>({ apiVersion: target.info.apiVersion, kind: target.info.kind }, { clusterScoped: !target.info.namespaced });
    const map = mapFor(target);
    for (const source of kinds) b = b.watches<KubeObject>({ apiVersion: source.info.apiVersion, kind: source.info.kind }, map);
    const c = b
      .withConfig({ name: `garbage-collector/${target.info.apiVersion}/${target.info.kind}`, concurrency: opts.concurrency ?? 2 })
      .build<GcCtx>(reconcileGarbage, undefined, ctx);
    manager.add(c as unknown as Controller);
    controllers.push(c as unknown as Controller);
  }
  return controllers;
}
