// The node lifecycle controller (kube-controller-manager's node-lifecycle-controller):
// notices nodes whose heartbeat stopped, marks their conditions Unknown, and keeps the
// node.kubernetes.io/* condition taints in step with the conditions. Evicting the pods
// of NoExecute-tainted nodes is the taint eviction controller's job (taint-eviction.ts).
import { isConflict, isNotFound, rfc3339, type core, type Lease, type Node, type Pod } from '@bosun/api';
import type { Client, EventRecorder } from '@bosun/apiserver';
import { Action, Controller, NODE_NAME_INDEX, type Manager, type Reconcile } from '@bosun/controller-runtime';
import { addTaintEvictionController } from './taint-eviction';

type Taint = core.Taint;
type NodeCondition = core.NodeCondition;

/** The namespace holding the nodes' heartbeat Leases (one per node, named after it). */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** Taint key of a node whose Ready condition is False. */
export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
/** Taint key of a node whose Ready condition is Unknown (its heartbeat stopped). */
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';
/** Taint key (NoSchedule) of a node with `spec.unschedulable` (cordoned). */
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
/** Taint key (NoSchedule) of a node reporting MemoryPressure. */
export const TAINT_NODE_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
/** Taint key (NoSchedule) of a node reporting DiskPressure. */
export const TAINT_NODE_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
/** Taint key (NoSchedule) of a node reporting PIDPressure. */
export const TAINT_NODE_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
/** Taint key (NoSchedule) of a node reporting NetworkUnavailable. */
export const TAINT_NODE_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';

/** Reason of a condition this controller set to Unknown because the heartbeat stopped. */
export const NODE_STATUS_UNKNOWN_REASON = 'NodeStatusUnknown';
/** Reason of a condition this controller added as Unknown because the node never reported it. */
export const NODE_STATUS_NEVER_UPDATED_REASON = 'NodeStatusNeverUpdated';

/** Default {@link NodeLifecycleControllerOptions.nodeMonitorGracePeriodMs}: 40 s. */
export const DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS = 40_000;
/** Default {@link NodeLifecycleControllerOptions.nodeMonitorPeriodMs}: 5 s. */
export const DEFAULT_NODE_MONITOR_PERIOD_MS = 5_000;

/** The conditions marked Unknown with Ready when a node stops posting (upstream's list). */
const MONITORED_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;

/** Every (key, effect) this controller owns: it adds and removes exactly these. */
const MANAGED_TAINTS: ReadonlyArray<Pick<Taint, 'key' | 'effect'>> = [
  { key: TAINT_NODE_NOT_READY, effect: 'NoExecute' },
  { key: TAINT_NODE_UNREACHABLE, effect: 'NoExecute' },
  { key: TAINT_NODE_NOT_READY, effect: 'NoSchedule' },
  { key: TAINT_NODE_UNREACHABLE, effect: 'NoSchedule' },
  { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' },
  { key: TAINT_NODE_MEMORY_PRESSURE, effect: 'NoSchedule' },
  { key: TAINT_NODE_DISK_PRESSURE, effect: 'NoSchedule' },
  { key: TAINT_NODE_PID_PRESSURE, effect: 'NoSchedule' },
  { key: TAINT_NODE_NETWORK_UNAVAILABLE, effect: 'NoSchedule' },
];

/** Options of {@link addNodeLifecycleController}. */
export interface NodeLifecycleControllerOptions {
  /**
   * How long a node may go without a heartbeat (Lease renewal or Ready
   * `lastHeartbeatTime`) before its conditions become Unknown. Default 40 s, upstream's
   * long-standing `--node-monitor-grace-period` (Kubernetes 1.32 raised it to 50 s; 40 s
   * is kept as it is what the seeds and most docs describe).
   */
  nodeMonitorGracePeriodMs?: number;
  /** How often each node's health is re-checked while nothing changes. Default 5 s. */
  nodeMonitorPeriodMs?: number;
  /**
   * When set, pods that do not tolerate the not-ready / unreachable NoExecute taints are
   * evicted this long after the taint rather than at once: the controller stands in for
   * the DefaultTolerationSeconds admission plugin (which adds 300 s tolerations upstream
   * and which this API server does not have). Unset (default): no such default, so pods
   * without a matching toleration are evicted at once.
   */
  podEvictionTimeoutMs?: number;
  /**
   * At most this many nodes a second get a new not-ready / unreachable NoExecute taint
   * (upstream `--node-eviction-rate`, 0.1 by default there; burst 1). Unset (default):
   * no limit. The zone-aware secondary rate and the full-disruption mode are not modelled.
   */
  evictionRateQps?: number;
  /** Also add the taint eviction controller (NoExecute taint manager). Default true. */
  taintEviction?: boolean;
  /** Workers. Default 2. */
  concurrency?: number;
  /** Controller name (metrics, Events' source). Default `node-lifecycle-controller`. */
  name?: string;
}

function timeMs(t: string | undefined | null): number | undefined {
  if (!t) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The latest heartbeat of a node, in ms: the newest of its Lease's `renewTime` (or
 * `acquireTime`), its Ready condition's `lastHeartbeatTime` and `firstSeen` (when the
 * caller first observed the node, so a restarted controller grants a full grace period
 * as upstream's "assuming now" does). Undefined when there is nothing to go by.
 */
export function nodeHeartbeat(node: Node, lease: Lease | undefined, firstSeen?: number): number | undefined {
  const candidates = [
    timeMs(lease?.spec?.renewTime) ?? timeMs(lease?.spec?.acquireTime),
    timeMs(node.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime),
    timeMs(node.metadata?.creationTimestamp),
    firstSeen,
  ].filter((t): t is number => t !== undefined);
  return candidates.length ? Math.max(...candidates) : undefined;
}

/**
 * The conditions of a node whose heartbeat stopped (upstream `tryUpdateNodeHealth`):
 * Ready, MemoryPressure, DiskPressure and PIDPressure become Unknown with reason
 * `NodeStatusUnknown` and message `Kubelet stopped posting node status.`, keeping their
 * lastHeartbeatTime; one the node never reported is added as Unknown with reason
 * `NodeStatusNeverUpdated`. Conditions already Unknown are left alone. Returns a new
 * array (the same contents when nothing changes).
 */
export function markConditionsUnknown(conditions: readonly NodeCondition[] | undefined, now: number, createdAt?: string): NodeCondition[] {
  const out = [...(conditions ?? [])];
  const nowS = rfc3339(now);
  for (const type of MONITORED_CONDITIONS) {
    const i = out.findIndex((c) => c.type === type);
    if (i < 0) {
      out.push({ type, status: 'Unknown', reason: NODE_STATUS_NEVER_UPDATED_REASON, message: 'Kubelet never posted node status.', lastHeartbeatTime: createdAt, lastTransitionTime: nowS });
    } else if (out[i]!.status !== 'Unknown') {
      out[i] = { ...out[i]!, status: 'Unknown', reason: NODE_STATUS_UNKNOWN_REASON, message: 'Kubelet stopped posting node status.', lastTransitionTime: nowS };
    }
  }
  return out;
}

/**
 * The condition taints a node should carry (keys and effects only), as upstream's
 * NoExecute and NoSchedule tainting passes derive them: Ready False → not-ready, Ready
 * Unknown → unreachable (each NoSchedule and NoExecute); MemoryPressure, DiskPressure,
 * PIDPressure, NetworkUnavailable True and `spec.unschedulable` → their NoSchedule taint.
 */
export function desiredConditionTaints(node: Node): Array<Pick<Taint, 'key' | 'effect'>> {
  const status = (type: string) => node.status?.conditions?.find((c) => c.type === type)?.status;
  const out: Array<Pick<Taint, 'key' | 'effect'>> = [];
  const ready = status('Ready');
  const readyKey = ready === 'False' ? TAINT_NODE_NOT_READY : ready === 'Unknown' ? TAINT_NODE_UNREACHABLE : undefined;
  if (readyKey) out.push({ key: readyKey, effect: 'NoSchedule' }, { key: readyKey, effect: 'NoExecute' });
  if (status('MemoryPressure') === 'True') out.push({ key: TAINT_NODE_MEMORY_PRESSURE, effect: 'NoSchedule' });
  if (status('DiskPressure') === 'True') out.push({ key: TAINT_NODE_DISK_PRESSURE, effect: 'NoSchedule' });
  if (status('PIDPressure') === 'True') out.push({ key: TAINT_NODE_PID_PRESSURE, effect: 'NoSchedule' });
  if (status('NetworkUnavailable') === 'True') out.push({ key: TAINT_NODE_NETWORK_UNAVAILABLE, effect: 'NoSchedule' });
  if (node.spec?.unschedulable === true) out.push({ key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' });
  return out;
}

const same = (a: Pick<Taint, 'key' | 'effect'>, b: Pick<Taint, 'key' | 'effect'>) => a.key === b.key && a.effect === b.effect;
const isManaged = (t: Taint) => MANAGED_TAINTS.some((m) => same(m, t));

/**
 * `taints` with the managed condition taints made equal to `desired`: taints the
 * controller does not own are kept as they are, wanted ones already present keep their
 * `timeAdded`, new NoExecute ones get `timeAdded = now` (only NoExecute taints carry
 * it, as upstream), unwanted managed ones go. `allowNewNoExecute` false holds back new
 * NoExecute taints (the eviction rate limit). Returns undefined when nothing changes.
 */
export function reconcileTaints(taints: readonly Taint[] | undefined, desired: ReadonlyArray<Pick<Taint, 'key' | 'effect'>>, now: number, allowNewNoExecute = true): Taint[] | undefined {
  const current = taints ?? [];
  const next = current.filter((t) => !isManaged(t) || desired.some((d) => same(d, t)));
  for (const d of desired) {
    if (next.some((t) => same(t, d))) continue;
    if (d.effect === 'NoExecute' && !allowNewNoExecute) continue;
    next.push(d.effect === 'NoExecute' ? { key: d.key, effect: d.effect, timeAdded: rfc3339(now) } : { key: d.key, effect: d.effect });
  }
  const changed = next.length !== current.length || next.some((t, i) => t !== current[i]);
  return changed ? next : undefined;
}

/** Per-controller memory: first observations and the eviction rate limiter. */
interface LifecycleState {
  firstSeen: Map<string, number>;
  lastNoExecuteTaintAt: number | undefined;
  /** Nodes (uid) whose NodeNotReady Event was recorded, until they are Ready again. */
  notReadyRecorded: Set<string>;
}

const condStatus = (node: Node, type: string) => node.status?.conditions?.find((c) => c.type === type)?.status;

/**
 * Upstream's `MarkPodsNotReady`: every pod bound to `nodeName` whose Ready condition is
 * True gets it set to False (the node agent that would do so is not answering), with a
 * Warning `NodeNotReady` Event on the pod. Finished and terminating pods are left
 * alone; a pod changed or gone meanwhile is skipped (the next period sees it again).
 */
async function markPodsNotReady(client: Client, recorder: EventRecorder, pods: readonly Pod[], nodeName: string, now: number, signal: AbortSignal): Promise<void> {
  for (const pod of pods) {
    if (pod.spec?.nodeName !== nodeName || pod.metadata?.deletionTimestamp) continue;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    const conditions = pod.status?.conditions ?? [];
    if (!conditions.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
    const next = conditions.map((c) => (c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: rfc3339(now) } : c));
    try {
      await client.updateStatus({ ...pod, status: { ...pod.status, conditions: next } }, { signal });
      recorder.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
    } catch (e) {
      if (!isConflict(e) && !isNotFound(e)) throw e;
    }
  }
}

/**
 * Creates the node lifecycle reconcile. Per node: compute the latest heartbeat (Lease
 * renewTime, Ready lastHeartbeatTime); once `nodeMonitorGracePeriodMs` has fully passed
 * without one, mark the conditions Unknown ({@link markConditionsUnknown}); then make
 * the condition taints match the conditions ({@link desiredConditionTaints}). The node
 * agent, not this controller, sets Ready back to True when it comes back; the taints
 * follow on the next reconcile. Re-checks every `nodeMonitorPeriodMs` (sooner when the
 * grace period ends sooner). Idempotent.
 */
export function createNodeLifecycleReconcile(opts: NodeLifecycleControllerOptions = {}): Reconcile<Node> {
  const grace = opts.nodeMonitorGracePeriodMs ?? DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS;
  const period = opts.nodeMonitorPeriodMs ?? DEFAULT_NODE_MONITOR_PERIOD_MS;
  const minInterval = opts.evictionRateQps && opts.evictionRateQps > 0 ? 1000 / opts.evictionRateQps : 0;
  const state: LifecycleState = { firstSeen: new Map(), lastNoExecuteTaintAt: undefined, notReadyRecorded: new Set() };

  return async (node, { client, clock, informers, recorder }, signal) => {
    const now = clock.now();
    const name = node.metadata?.name ?? '';
    const uid = node.metadata?.uid ?? name;
    if (node.metadata?.deletionTimestamp) {
      state.firstSeen.delete(uid);
      state.notReadyRecorded.delete(uid);
      return Action.awaitChange();
    }
    let firstSeen = state.firstSeen.get(uid);
    if (firstSeen === undefined) state.firstSeen.set(uid, (firstSeen = now));
    const lease = informers.forKind('coordination.k8s.io/v1', 'Lease', { namespace: NODE_LEASE_NAMESPACE }).cache.get(`${NODE_LEASE_NAMESPACE}/${name}`);
    const heartbeat = nodeHeartbeat(node, lease, firstSeen) ?? now;
    const stale = now - heartbeat >= grace;

    const before = node;
    // 1. Health: a silent node's conditions become Unknown.
    if (stale) {
      const conditions = markConditionsUnknown(node.status?.conditions, now, node.metadata?.creationTimestamp);
      if (JSON.stringify(conditions) !== JSON.stringify(node.status?.conditions ?? [])) {
        try {
          node = await client.updateStatus({ ...node, status: { ...node.status, conditions } }, { signal });
        } catch (e) {
          // The node agent wrote in between: look again with the fresh object.
          if (isConflict(e)) return Action.requeue();
          if (isNotFound(e)) return Action.awaitChange();
          throw e;
        }
      }
    }

    // 2. A node going not ready (Ready False or Unknown): say so once, and its pods stop
    //    being Ready (so they leave Endpoints) even when they tolerate the taints and stay.
    const wasReady = condStatus(before, 'Ready') === 'True';
    const ready = condStatus(node, 'Ready');
    // A node that has not reported yet is not "not ready": the grace period decides (Unknown).
    if (ready !== undefined && ready !== 'True') {
      if (wasReady || !state.notReadyRecorded.has(uid)) recorder.event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
      state.notReadyRecorded.add(uid);
      await markPodsNotReady(client, recorder, informers.forKind('v1', 'Pod').cache.byIndex(NODE_NAME_INDEX, name) as Pod[], name, now, signal);
    } else state.notReadyRecorded.delete(uid);

    // 3. Taints follow the conditions.
    const desired = desiredConditionTaints(node);
    const wantsNewNoExecute = desired.some((d) => d.effect === 'NoExecute' && !(node.spec?.taints ?? []).some((t) => same(t, d)));
    const throttleLeft = wantsNewNoExecute && minInterval && state.lastNoExecuteTaintAt !== undefined ? state.lastNoExecuteTaintAt + minInterval - now : 0;
    const allowNew = throttleLeft <= 0;
    const taints = reconcileTaints(node.spec?.taints, desired, now, allowNew);
    // Take the token before the write: another worker may be tainting another node now.
    if (taints && wantsNewNoExecute && allowNew) state.lastNoExecuteTaintAt = now;
    if (taints) {
      try {
        await client.update({ ...node, spec: { ...node.spec, taints: taints.length ? taints : undefined } }, { signal });
      } catch (e) {
        if (isConflict(e)) return Action.requeue();
        if (isNotFound(e)) return Action.awaitChange();
        throw e;
      }
    }
    if (!allowNew) return Action.requeueAfter(Math.min(throttleLeft, period));
    return Action.requeueAfter(stale ? period : Math.max(1, Math.min(period, heartbeat + grace - now)));
  };
}

/**
 * Adds the node lifecycle controller to `manager`: Nodes, and their heartbeat Leases in
 * `kube-node-lease` (a renewal reconciles its node at once). See
 * {@link createNodeLifecycleReconcile}. Unless `taintEviction: false`, also adds the
 * taint eviction controller ({@link addTaintEvictionController}), which evicts the pods
 * of NoExecute-tainted nodes. Pods of a lost node are deleted gracefully by the API
 * server (they get a deletionTimestamp and stay until a node agent confirms or a
 * delete with grace 0 removes them): there is no pod GC for unreachable nodes yet.
 * Events: Normal `NodeNotReady` on the node when it stops being Ready, Warning
 * `NodeNotReady` (`Node is not ready`) on each of its pods whose Ready condition it sets
 * to False.
 */
export function addNodeLifecycleController(manager: Manager, opts: NodeLifecycleControllerOptions = {}): void {
  manager.informers.forKind('v1', 'Pod'); // synced before the first reconcile marks pods not ready
  manager.add(
    Controller.for('v1', 'Node', { clusterScoped: true })
      .watches('coordination.k8s.io/v1', 'Lease', (l) => (l.metadata?.namespace === NODE_LEASE_NAMESPACE && l.metadata.name ? [l.metadata.name] : []), { namespace: NODE_LEASE_NAMESPACE })
      .withConfig({ name: opts.name ?? 'node-lifecycle-controller', concurrency: opts.concurrency ?? 2 })
      .build(createNodeLifecycleReconcile(opts)),
  );
  if (opts.taintEviction !== false) addTaintEvictionController(manager, { defaultNotReadyTolerationMs: opts.podEvictionTimeoutMs });
}
