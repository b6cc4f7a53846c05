import {
  getControllerOf,
  isConflict,
  isNotFound,
  keyOf,
  labelSelectorFromObject,
  nothingSelector,
  rfc3339,
  selectorFromSet,
  type Condition,
  type KubeObject,
  type Pod,
  type PodTemplateSpec,
  type ReplicaSet,
  type ReplicationController,
  type Selector,
} from '@bosun/api';
import type { ApiObject, Client, EventRecorder } from '@bosun/apiserver';
import { Action, Controller, addOrphanIndex, adopt, isAlreadyOwnedError, release, type CacheListOptions, type Manager, type Reconcile } from '@bosun/controller-runtime';
import { ControllerExpectations } from './expectations';
import { isPodActive, pickPodsToDelete, podFromTemplate, podReadySince, slowStartBatch } from './pod-utils';

/** Upstream's BurstReplicas: at most this many creations or deletions per sync. */
export const BURST_REPLICAS = 500;

/** A ReplicaSet or a ReplicationController: the two kinds this controller serves. */
export type ReplicaSetLike = ReplicaSet | ReplicationController;

/** Options of {@link addReplicaSetController} and {@link addReplicationController}. */
export interface ReplicaSetControllerOptions {
  /** Workers. Default 4. */
  concurrency?: number;
  /** Creations and deletions per sync at most. Default {@link BURST_REPLICAS}. */
  burstReplicas?: number;
  /** Expectations to use (tests inspect them); a new set on the manager's clock by default. */
  expectations?: ControllerExpectations;
}

interface Flavor {
  apiVersion: 'apps/v1' | 'v1';
  kind: 'ReplicaSet' | 'ReplicationController';
  name: string;
  selector(obj: ReplicaSetLike): Selector;
}

const RS_FLAVOR: Flavor = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  name: 'replicaset',
  // An empty or missing selector selects nothing here (validation refuses it anyway).
  selector: (rs) => {
    const s = (rs as ReplicaSet).spec?.selector;
    return s && (s.matchLabels || s.matchExpressions?.length) ? labelSelectorFromObject(s) : nothingSelector;
  },
};
const RC_FLAVOR: Flavor = {
  apiVersion: 'v1',
  kind: 'ReplicationController',
  name: 'replicationcontroller',
  selector: (rc) => {
    const s = (rc as ReplicationController).spec?.selector;
    return s && Object.keys(s).length ? selectorFromSet(s) : nothingSelector;
  },
};

interface RsCtx {
  flavor: Flavor;
  expectations: ControllerExpectations;
  burst: number;
}

const errorMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Claims the pods of `rs` as upstream's PodControllerRefManager does: pods it controls
 * and that still match stay; pods it controls that no longer match are released; orphans
 * that match are adopted (unless `rs` is being deleted). Pods of other controllers are
 * left alone. Only active pods count (upstream's FilterActivePods before claiming).
 *
 * Reads its own pods from the owner index and only the namespace's orphans that match,
 * so a sync costs the pods of `rs`, not every pod of the namespace.
 */
async function claimPods(client: Client, rs: ReplicaSetLike, selector: Selector, pods: { list(opts: CacheListOptions): Pod[] }, signal: AbortSignal): Promise<Pod[]> {
  const uid = rs.metadata?.uid ?? '';
  const ns = rs.metadata?.namespace ?? '';
  const deleting = !!rs.metadata?.deletionTimestamp;
  const claimed: Pod[] = [];
  for (const pod of pods.list({ namespace: ns, controlledBy: uid })) {
    if (!isPodActive(pod)) continue;
    if (selector.matches(pod.metadata?.labels)) claimed.push(pod);
    else if (!deleting) await release(client, rs as ApiObject, pod, { signal });
  }
  if (deleting) return claimed;
  const orphans = pods.list({ namespace: ns, orphan: true, labelSelector: selector }).filter(isPodActive);
  if (!orphans.length) return claimed;
  // Recheck live that the controller may adopt (not deleted, same uid), once per sync.
  let canAdopt: boolean;
  try {
    const fresh = await client.get(rs.apiVersion ?? '', rs.kind ?? '', ns, rs.metadata?.name ?? '', { signal });
    canAdopt = fresh.metadata?.uid === uid && !fresh.metadata?.deletionTimestamp;
  } catch (e) {
    if (!isNotFound(e)) throw e;
    canAdopt = false;
  }
  if (!canAdopt) return claimed;
  for (const pod of orphans) {
    try {
      const adopted = await adopt(client, rs as ApiObject, pod, { signal });
      if (adopted) claimed.push(adopted);
    } catch (e) {
      if (isAlreadyOwnedError(e) || isNotFound(e)) continue;
      throw e;
    }
  }
  return claimed;
}

/** Creates or deletes pods toward `spec.replicas`; returns the first error (creation or deletion). */
async function manageReplicas(ctx: RsCtx & { client: Client; recorder: EventRecorder }, rs: ReplicaSetLike, key: string, active: Pod[], signal: AbortSignal): Promise<{ error?: unknown; reason?: 'FailedCreate' | 'FailedDelete' }> {
  const { client, recorder, expectations } = ctx;
  const diff = active.length - (rs.spec?.replicas ?? 1);
  if (diff < 0) {
    const want = Math.min(-diff, ctx.burst);
    // Expect before creating: the watch may deliver the pods before create resolves.
    expectations.expect(key, want);
    const ns = rs.metadata?.namespace ?? '';
    const { attempted, error } = await slowStartBatch(want, 1, async () => {
      const pod = podFromTemplate(rs.spec?.template as PodTemplateSpec, ns, rs.metadata?.name ?? '');
      pod.metadata!.ownerReferences = [{ apiVersion: rs.apiVersion ?? '', kind: rs.kind ?? '', name: rs.metadata?.name ?? '', uid: rs.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }];
      try {
        const created = await client.create(pod, { signal });
        recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name}`);
      } catch (e) {
        // The create will never be observed: do not wait for it.
        expectations.creationObserved(key);
        if (signal.aborted) throw e;
        recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(e)}`);
        throw e;
      }
    });
    // Creations never attempted will never be observed either.
    for (let i = attempted; i < want; i++) expectations.creationObserved(key);
    return error === undefined ? {} : { error, reason: 'FailedCreate' };
  }
  if (diff > 0) {
    const victims = pickPodsToDelete(active, Math.min(diff, ctx.burst));
    expectations.expect(key, 0, victims.map((p) => keyOf(p)));
    let first: unknown;
    await Promise.all(
      victims.map(async (pod) => {
        const m = pod.metadata ?? {};
        try {
          await client.delete('v1', 'Pod', m.namespace ?? '', m.name ?? '', { preconditions: { uid: m.uid }, signal });
          recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${m.name}`);
        } catch (e) {
          expectations.deletionObserved(key, keyOf(pod));
          if (isNotFound(e)) return;
          recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(e)}`);
          first ??= e;
        }
      }),
    );
    return first === undefined ? {} : { error: first, reason: 'FailedDelete' };
  }
  return {};
}

/** The ReplicaFailure condition after a sync: set on a create or delete error, removed once one succeeds. */
function failureCondition(prev: Condition[] | undefined, result: { error?: unknown; reason?: string }, now: number): Condition[] | undefined {
  const others = (prev ?? []).filter((c) => c.type !== 'ReplicaFailure');
  if (result.error === undefined) return others.length ? others : undefined;
  const old = (prev ?? []).find((c) => c.type === 'ReplicaFailure');
  const message = errorMessage(result.error);
  if (old && old.status === 'True' && old.reason === result.reason && old.message === message) return prev;
  return [...others, { type: 'ReplicaFailure', status: 'True', reason: result.reason ?? 'FailedCreate', message, lastTransitionTime: rfc3339(now) } as Condition];
}

const reconcileReplicaSet: Reconcile<ReplicaSetLike, RsCtx> = async (rs, ctx, signal) => {
  const { client, clock, flavor, expectations, key } = ctx;
  const ns = rs.metadata?.namespace ?? '';
  const selector = flavor.selector(rs);
  try {
    const podCache = ctx.informers.forKind('v1', 'Pod').cache;
    // Sync only once what we asked for has been seen: a slow watch must not double-create.
    const needsSync = expectations.satisfied(key);
    const claimed = await claimPods(client, rs, selector, podCache, signal);
    let result: { error?: unknown; reason?: 'FailedCreate' | 'FailedDelete' } = {};
    if (needsSync && !rs.metadata?.deletionTimestamp) result = await manageReplicas({ ...ctx }, rs, key, claimed, signal);

    // Status from the pods as cached (upstream reports the cache, not the requests in flight).
    const now = clock.now();
    const minReady = rs.spec?.minReadySeconds ?? 0;
    const templateLabels = selectorFromSet((rs.spec?.template as PodTemplateSpec | undefined)?.metadata?.labels ?? {});
    // One pass: this runs on every sync, over every pod of the ReplicaSet.
    let ready = 0;
    let available = 0;
    let fullyLabeled = 0;
    let nextAvailable = Infinity; // when the first ready pod that is not yet available becomes so
    for (const p of claimed) {
      if (templateLabels.matches(p.metadata?.labels)) fullyLabeled++;
      const since = podReadySince(p);
      if (since === undefined) continue;
      ready++;
      if (minReady <= 0 || since + minReady * 1000 <= now) available++;
      else nextAvailable = Math.min(nextAvailable, since + minReady * 1000);
    }
    const prevStatus: NonNullable<ReplicaSet['status']> = (rs.status ?? {}) as NonNullable<ReplicaSet['status']>;
    const conditions = failureCondition(prevStatus.conditions as Condition[] | undefined, result, now);
    const status = {
      ...prevStatus,
      replicas: claimed.length,
      fullyLabeledReplicas: fullyLabeled,
      readyReplicas: ready,
      availableReplicas: available,
      observedGeneration: rs.metadata?.generation ?? 0,
      conditions,
    };
    if (!conditions) delete status.conditions;
    if (JSON.stringify(status) !== JSON.stringify(prevStatus)) {
      try {
        await client.updateStatus({ ...rs, status } as ReplicaSetLike, { signal });
      } catch (e) {
        if (isNotFound(e)) return Action.awaitChange();
        if (!isConflict(e)) throw e;
        return Action.requeue();
      }
    }
    if (result.error !== undefined) return Action.requeue();
    // Waiting on our own creations or deletions: their events bring us back; the TTL, if they never come.
    if (!needsSync) return Action.requeueAfter(expectations.remainingMs(key));
    // Pods ready but not yet available become available at a known time: look again then.
    if (minReady > 0 && ready > available) return Action.requeueAfter(Number.isFinite(nextAvailable) ? Math.max(1, nextAvailable - now) : minReady * 1000);
    return Action.awaitChange();
  } catch (e) {
    if (isConflict(e)) return Action.requeue();
    throw e;
  }
};

function addFlavor(manager: Manager, flavor: Flavor, opts: ReplicaSetControllerOptions): Controller<ReplicaSetLike> {
  const expectations = opts.expectations ?? new ControllerExpectations(manager.clock);
  const ownerKey = (pod: Pod): string | undefined => {
    const ref = getControllerOf(pod as KubeObject);
    return ref && ref.kind === flavor.kind && pod.metadata?.namespace ? `${pod.metadata.namespace}/${ref.name}` : undefined;
  };
  // Observe creations and deletions before the controller's own handlers enqueue the owner.
  const pods = manager.informers.forKind('v1', 'Pod');
  addOrphanIndex(pods.cache);
  pods.addEventHandler({
    onAdd: (pod) => {
      const k = ownerKey(pod);
      if (!k) return;
      if (pod.metadata?.deletionTimestamp) expectations.deletionObserved(k, keyOf(pod));
      else expectations.creationObserved(k);
    },
    onUpdate: (oldPod, pod) => {
      const k = ownerKey(pod);
      if (k && pod.metadata?.deletionTimestamp && !oldPod.metadata?.deletionTimestamp) expectations.deletionObserved(k, keyOf(pod));
    },
    onDelete: (pod) => {
      const k = ownerKey(pod);
      if (k) expectations.deletionObserved(k, keyOf(pod));
    },
  });
  const owners = manager.informers.forKind(flavor.apiVersion, flavor.kind);
  owners.addEventHandler({ onDelete: (obj) => expectations.delete(keyOf(obj)) });
  const c = Controller.for<ReplicaSetLike>({ apiVersion: flavor.apiVersion, kind: flavor.kind })
    .watches('v1', 'Pod', (pod) => {
      const k = ownerKey(pod);
      if (k) return [k];
      if (getControllerOf(pod as KubeObject)) return [];
      // An orphan: every controller of this kind whose selector matches may adopt it.
      const ns = pod.metadata?.namespace ?? '';
      return (owners.cache.list({ namespace: ns }) as ReplicaSetLike[]).filter((o) => flavor.selector(o).matches(pod.metadata?.labels)).map((o) => keyOf(o));
    })
    .withConfig({ name: flavor.name, concurrency: opts.concurrency ?? 4 })
    .build<RsCtx>(reconcileReplicaSet, undefined, { flavor, expectations, burst: opts.burstReplicas ?? BURST_REPLICAS });
  manager.add(c as never);
  return c;
}

/**
 * Adds the ReplicaSet controller (`replicaset`) to `manager`. For every ReplicaSet it:
 * adopts orphan pods matching the selector and releases its pods that no longer match;
 * creates pods from the template (generateName `<rs>-`, controller reference with
 * blockOwnerDeletion) in slow-start batches of 1, 2, 4, …, or deletes the pods to go
 * first (unassigned, pending, not ready, … newer: upstream's order), at most
 * `burstReplicas` per sync; waits for its creations and deletions to be observed
 * (expectations, 5 min TTL on the clock) before acting again, so a slow watch never
 * causes double creation; and writes status replicas, fullyLabeledReplicas,
 * readyReplicas, availableReplicas (minReadySeconds), observedGeneration and the
 * ReplicaFailure condition. Events: SuccessfulCreate (`Created pod: <name>`),
 * SuccessfulDelete (`Deleted pod: <name>`), FailedCreate and FailedDelete (Warning).
 * A ReplicaSet being deleted manages no pods.
 */
export function addReplicaSetController(manager: Manager, opts: ReplicaSetControllerOptions = {}): Controller<ReplicaSetLike> {
  return addFlavor(manager, RS_FLAVOR, opts);
}

/**
 * Adds the ReplicationController controller (`replicationcontroller`): the same as
 * {@link addReplicaSetController} for core/v1 ReplicationControllers, whose selector is
 * a plain label map.
 */
export function addReplicationController(manager: Manager, opts: ReplicaSetControllerOptions = {}): Controller<ReplicaSetLike> {
  return addFlavor(manager, RC_FLAVOR, opts);
}
