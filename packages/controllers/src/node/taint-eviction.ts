// The taint eviction controller (upstream's NoExecute taint manager, since 1.29 the
// taint-eviction-controller): evicts pods from nodes with NoExecute taints they do not
// tolerate, at once or after their tolerationSeconds.
import { isConflict, isNotFound, rfc3339, type core, type Node, type Pod } from '@bosun/api';
import type { ApiObject, Client } from '@bosun/apiserver';
import { Action, Controller, NODE_NAME_INDEX, type Manager, type Predicate, type Reconcile } from '@bosun/controller-runtime';
import { toleratesTaint } from '@bosun/api';

type Taint = core.Taint;
type Toleration = core.Toleration;

/** Pod condition type set before a disruption-caused deletion. */
export const DISRUPTION_TARGET_CONDITION = 'DisruptionTarget';
/** Reason of the DisruptionTarget condition this controller sets. */
export const DELETION_BY_TAINT_MANAGER_REASON = 'DeletionByTaintManager';
/** Reason of the Events this controller records on the pods it evicts (or stops evicting). */
export const TAINT_MANAGER_EVICTION_REASON = 'TaintManagerEviction';

const NOT_READY = 'node.kubernetes.io/not-ready';
const UNREACHABLE = 'node.kubernetes.io/unreachable';

/** Options of {@link addTaintEvictionController}. */
export interface TaintEvictionControllerOptions {
  /**
   * When set, a pod with no toleration for the `node.kubernetes.io/not-ready` or
   * `node.kubernetes.io/unreachable` NoExecute taint is treated as tolerating it for this
   * long, as if the DefaultTolerationSeconds admission plugin (300 s upstream) had
   * added it. Unset (default): no default; such pods are evicted at once.
   */
  defaultNotReadyTolerationMs?: number;
  /** Workers. Default 2. */
  concurrency?: number;
  /** Controller name. Default `taint-eviction-controller`. */
  name?: string;
}

/**
 * The tolerations upstream's DefaultTolerationSeconds admission plugin would give `pod`:
 * its own, plus `not-ready` and `unreachable` NoExecute tolerations with
 * `tolerationSeconds` for the keys it does not tolerate with effect NoExecute yet.
 */
export function withDefaultNotReadyTolerations(tolerations: readonly Toleration[], seconds: number): Toleration[] {
  const out = [...tolerations];
  const has = (key: string) => tolerations.some((t) => (t.key === key || (!t.key && t.operator === 'Exists')) && (!t.effect || t.effect === 'NoExecute'));
  for (const key of [NOT_READY, UNREACHABLE]) if (!has(key)) out.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds });
  return out;
}

/**
 * When a pod with `tolerations` must leave a node with these `taints` (upstream's
 * `processPodOnNode` with `getMinTolerationTime`), in ms:
 * - only NoExecute taints count; none: `undefined` (stay);
 * - a NoExecute taint no toleration tolerates: `since(taint)`, i.e. at once;
 * - otherwise, per taint, `since(taint)` plus the smallest `tolerationSeconds` among the
 *   tolerations that tolerate it (0 or less: at once; tolerations without seconds
 *   tolerate forever), and the earliest of those;
 * - every taint tolerated forever: `undefined`.
 *
 * `since` gives the time a taint counts from: its `timeAdded`, or when it was first
 * seen. Toleration matching is upstream's `ToleratesTaint`.
 */
export function evictionDeadline(tolerations: readonly Toleration[], taints: readonly Taint[], since: (t: Taint) => number): number | undefined {
  let deadline: number | undefined;
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute') continue;
    const matching = tolerations.filter((t) => toleratesTaint(t, taint));
    let at: number | undefined;
    if (matching.length === 0) at = since(taint);
    else {
      const seconds = matching.map((t) => t.tolerationSeconds).filter((s): s is number => typeof s === 'number');
      if (seconds.length) at = since(taint) + Math.max(0, Math.min(...seconds)) * 1000;
    }
    if (at !== undefined && (deadline === undefined || at < deadline)) deadline = at;
  }
  return deadline;
}

const taintId = (node: string, t: Taint) => `${node}\u0000${t.key}\u0000${t.value ?? ''}\u0000${t.effect}`;

/** Per-controller memory: when taints without `timeAdded` were first seen, and which pods have an eviction pending or done. */
interface EvictionState {
  firstSeen: Map<string, number>;
  scheduled: Set<string>;
  evicted: Map<string, number>;
}

/**
 * Creates the taint eviction reconcile, per pod bound to a node: no NoExecute taint, or
 * all tolerated without `tolerationSeconds`: nothing (an eviction that was pending is
 * cancelled, with a `Cancelling deletion of Pod ns/name` Event); the deadline
 * ({@link evictionDeadline}) in the future: requeue then; due: set the pod's
 * `DisruptionTarget` condition (reason `DeletionByTaintManager`), record the Normal
 * Event `TaintManagerEviction` `Marking for deletion Pod ns/name`, and delete the pod
 * (gracefully: a bound pod keeps a deletionTimestamp until its node agent confirms).
 * Terminating pods are skipped. Idempotent.
 */
export function createTaintEvictionReconcile(opts: TaintEvictionControllerOptions = {}): Reconcile<Pod> {
  const state: EvictionState = { firstSeen: new Map(), scheduled: new Set(), evicted: new Map() };
  const defaultSeconds = opts.defaultNotReadyTolerationMs === undefined ? undefined : Math.ceil(opts.defaultNotReadyTolerationMs / 1000);

  return async (pod, { client, clock, informers, recorder }, signal) => {
    const now = clock.now();
    const uid = pod.metadata?.uid ?? '';
    const ns = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    for (const [u, at] of state.evicted) if (now - at > 10 * 60_000) state.evicted.delete(u);
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || pod.metadata?.deletionTimestamp || state.evicted.has(uid)) return Action.awaitChange();
    const node = informers.forKind('v1', 'Node').cache.get(nodeName);
    const taints = (node?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
    // Forget first sightings of taints this node no longer has.
    for (const id of state.firstSeen.keys()) if (id.startsWith(`${nodeName}\u0000`) && !taints.some((t) => taintId(nodeName, t) === id)) state.firstSeen.delete(id);
    const since = (t: Taint): number => {
      const added = t.timeAdded ? Date.parse(t.timeAdded) : Number.NaN;
      if (!Number.isNaN(added)) return added;
      const id = taintId(nodeName, t);
      let seen = state.firstSeen.get(id);
      if (seen === undefined) state.firstSeen.set(id, (seen = now));
      return seen;
    };
    const own = pod.spec?.tolerations ?? [];
    const tolerations = defaultSeconds === undefined ? own : withDefaultNotReadyTolerations(own, defaultSeconds);
    const deadline = evictionDeadline(tolerations, taints, since);
    if (deadline === undefined) {
      if (state.scheduled.delete(uid)) recorder.event(pod, 'Normal', TAINT_MANAGER_EVICTION_REASON, `Cancelling deletion of Pod ${ns}/${name}`);
      return Action.awaitChange();
    }
    if (deadline > now) {
      state.scheduled.add(uid);
      return Action.requeueAfter(deadline - now);
    }

    // Due: mark, tell, delete.
    state.scheduled.delete(uid);
    await addDisruptionTarget(client, pod, rfc3339(now), signal);
    recorder.event(pod, 'Normal', TAINT_MANAGER_EVICTION_REASON, `Marking for deletion Pod ${ns}/${name}`);
    try {
      await client.delete('v1', 'Pod', ns, name, { preconditions: { uid }, signal });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
    state.evicted.set(uid, now);
    return Action.awaitChange();
  };
}

/** Sets the pod's DisruptionTarget condition (status True, reason DeletionByTaintManager), retrying conflicts on the latest pod. */
async function addDisruptionTarget(client: Client, pod: Pod, now: string, signal: AbortSignal): Promise<void> {
  let cur: Pod = pod;
  for (let attempt = 0; attempt < 5; attempt++) {
    const conditions = (cur.status?.conditions ?? []).filter((c) => c.type !== DISRUPTION_TARGET_CONDITION);
    conditions.push({ type: DISRUPTION_TARGET_CONDITION, status: 'True', reason: DELETION_BY_TAINT_MANAGER_REASON, message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: now });
    try {
      await client.updateStatus({ ...cur, status: { ...cur.status, conditions } }, { signal });
      return;
    } catch (e) {
      if (isNotFound(e)) return;
      if (!isConflict(e) || attempt === 4) throw e;
      try {
        cur = await client.get('v1', 'Pod', pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', { signal });
      } catch (g) {
        if (isNotFound(g)) return;
        throw g;
      }
      if (cur.metadata?.uid !== pod.metadata?.uid) return;
    }
  }
}

const noExecuteOf = (n: ApiObject) => JSON.stringify(((n as Node).spec?.taints ?? []).filter((t) => t.effect === 'NoExecute'));

/** Node events that can change an eviction: a node with NoExecute taints appearing, or its NoExecute taints changing. */
const noExecuteTaintsChanged: Predicate<ApiObject> = {
  create: (n) => noExecuteOf(n) !== '[]',
  update: (o, n) => noExecuteOf(o) !== noExecuteOf(n),
  delete: () => false,
};

/**
 * Adds the taint eviction controller to `manager`: Pods, and Nodes whose NoExecute
 * taints change (each such change reconciles the node's pods). See
 * {@link createTaintEvictionReconcile}. Works for every NoExecute taint, the node
 * lifecycle controller's and ones added by hand alike.
 */
export function addTaintEvictionController(manager: Manager, opts: TaintEvictionControllerOptions = {}): void {
  const pods = () => manager.informers.forKind('v1', 'Pod').cache;
  manager.add(
    Controller.for('v1', 'Pod')
      .watches('v1', 'Node', (n) => pods().indexKeys(NODE_NAME_INDEX, n.metadata?.name ?? ''), { predicates: [noExecuteTaintsChanged] })
      .withConfig({ name: opts.name ?? 'taint-eviction-controller', concurrency: opts.concurrency ?? 2 })
      .build(createTaintEvictionReconcile(opts)),
  );
}
