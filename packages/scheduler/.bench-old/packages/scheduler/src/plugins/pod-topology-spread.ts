import {
  createRequirement,
  everythingSelector,
  getControllerOf,
  labelSelectorFromObject,
  nothingSelector,
  parseApiVersion,
  selectorFromSet,
  type Node,
  type Pod,
  type ReplicaSet,
  type ReplicationController,
  type Selector,
  type Service,
  type StatefulSet,
  type core,
} from '@bosun/api';
import { stateKey, type CycleState } from '../framework/cycle-state';
import type {
  ClusterEvent,
  EnqueueExtensions,
  FilterPlugin,
  Handle,
  NodeScore,
  PluginFactory,
  PreFilterExtensions,
  PreFilterPlugin,
  PreScorePlugin,
  ScoreExtensions,
  ScorePlugin,
} from '../framework/interface';
import { MAX_NODE_SCORE } from '../framework/interface';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';
import { Status } from '../framework/status';
import { findUntoleratedTaint, requiredNodeAffinity } from './helpers';
import { countPodsMatchSelector, SpreadCountIndex } from './spread-counts';

export { countPodsMatchSelector } from './spread-counts';

/** The reason when a node would break a DoNotSchedule constraint's maxSkew. */
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
/** The reason when a node lacks a constraint's topology key. */
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

const NODE_LABEL_NOT_MATCH = Status.shared('UnschedulableAndUnresolvable', 'PodTopologySpread', ERR_REASON_NODE_LABEL_NOT_MATCH);
const CONSTRAINTS_NOT_MATCH = Status.shared('Unschedulable', 'PodTopologySpread', ERR_REASON_CONSTRAINTS_NOT_MATCH);

const LABEL_HOSTNAME = 'kubernetes.io/hostname';
const LABEL_ZONE = 'topology.kubernetes.io/zone';

/**
 * Upstream's system default constraints, applied (ScheduleAnyway) to pods that have none
 * and belong to a Service, ReplicationController, ReplicaSet or StatefulSet.
 */
export const SYSTEM_DEFAULT_CONSTRAINTS: readonly core.TopologySpreadConstraint[] = Object.freeze([
  { topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
  { topologyKey: LABEL_ZONE, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
]);

/** Args of {@link PodTopologySpread}, as upstream's PodTopologySpreadArgs. */
export interface PodTopologySpreadArgs {
  /** Constraints for pods that set none (`labelSelector` must be empty: it is derived from the pod's owners). Only with defaultingType List. */
  defaultConstraints?: core.TopologySpreadConstraint[];
  /** `System` (default): {@link SYSTEM_DEFAULT_CONSTRAINTS}; `List`: `defaultConstraints`. */
  defaultingType?: 'System' | 'List';
}

/**
 * What the plugin reads of the cluster to derive a default selector: the Services,
 * ReplicationControllers, ReplicaSets and StatefulSets of a namespace (informer caches in
 * the scheduler).
 */
export interface SpreadListers {
  services(namespace: string): readonly Service[];
  replicationController(namespace: string, name: string): ReplicationController | undefined;
  replicaSet(namespace: string, name: string): ReplicaSet | undefined;
  statefulSet(namespace: string, name: string): StatefulSet | undefined;
}

/** A constraint compiled for one pod. */
export interface Constraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly selector: Selector;
  readonly minDomains: number;
  readonly nodeAffinityPolicy: 'Honor' | 'Ignore';
  readonly nodeTaintsPolicy: 'Honor' | 'Ignore';
}

interface PreFilterState {
  constraints: Constraint[];
  /** Per constraint: topology value → matching pods in that domain. */
  counts: Map<string, number>[];
  /** Per constraint: the smallest count among its domains (the "critical path"). */
  mins: number[];
  /** Per constraint: whether the pod itself matches the selector (counts 1 more where it lands). */
  selfMatch: number[];
  /** Per constraint: false while `counts[i]` is the shared map of a {@link SpreadCountIndex} (copy before changing it). */
  owned: boolean[];
}

interface PreScoreState {
  constraints: Constraint[];
  ignoredNodes: Set<string>;
  /** Per constraint (not hostname): topology value → matching pods. */
  counts: Map<string, number>[];
  weights: number[];
}

const cloneFilterState = (s: PreFilterState): PreFilterState => ({
  constraints: s.constraints,
  counts: s.counts.map((m) => new Map(m)),
  mins: [...s.mins],
  selfMatch: s.selfMatch,
  owned: s.counts.map(() => true),
});
const preFilterKey = stateKey<PreFilterState>('PreFilterPodTopologySpread', cloneFilterState);
const preScoreKey = stateKey<PreScoreState>('PreScorePodTopologySpread');

function minOf(m: Map<string, number>): number {
  let min = Number.MAX_SAFE_INTEGER;
  for (const v of m.values()) if (v < min) min = v;
  return min;
}

function nodeHasAllKeys(node: Node | undefined, cs: readonly Constraint[]): boolean {
  const labels = node?.metadata?.labels ?? {};
  for (const c of cs) if (!(c.topologyKey in labels)) return false;
  return true;
}

function matchNodeInclusionPolicies(c: Constraint, pod: Pod, node: NodeInfo, affinity: { matches(n: Node | undefined): boolean }): boolean {
  if (c.nodeAffinityPolicy === 'Honor' && !affinity.matches(node.node)) return false;
  if (c.nodeTaintsPolicy === 'Honor' && findUntoleratedTaint(node.taints, pod.spec?.tolerations ?? [], (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')) return false;
  return true;
}

/**
 * Whether every node with the constraints' keys is eligible whatever its labels and taints:
 * no constraint honours taints, and none honours node affinity or the pod sets none
 * (no nodeSelector, no required node affinity). Then PreFilter's counts depend only on
 * (namespace, selector, topology key, keys), and {@link SpreadCountIndex} can keep them.
 */
function everyNodeEligible(pod: Pod, constraints: readonly Constraint[]): boolean {
  const hasAffinity = Object.keys(pod.spec?.nodeSelector ?? {}).length > 0 || !!pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  for (const c of constraints) {
    if (c.nodeTaintsPolicy === 'Honor') return false;
    if (c.nodeAffinityPolicy === 'Honor' && hasAffinity) return false;
  }
  return true;
}

/** PreFilter's counts the long way: per constraint, matching pods per domain over the nodes the pod's inclusion policies admit. */
function countOverEligibleNodes(pod: Pod, ns: string, constraints: readonly Constraint[], nodes: readonly NodeInfo[]): Map<string, number>[] {
  const affinity = requiredNodeAffinity(pod);
  const counts = constraints.map(() => new Map<string, number>());
  for (const n of nodes) {
    if (!n.node || !nodeHasAllKeys(n.node, constraints)) continue;
    for (let i = 0; i < constraints.length; i++) {
      const c = constraints[i];
      if (!matchNodeInclusionPolicies(c, pod, n, affinity)) continue;
      const v = n.labels[c.topologyKey];
      counts[i].set(v, (counts[i].get(v) ?? 0) + countPodsMatchSelector(n.pods, c.selector, ns));
    }
  }
  return counts;
}

/**
 * Spreads matching pods evenly across topology domains (zones, nodes, …), as upstream's
 * PodTopologySpread.
 *
 * - PreFilter counts, for each DoNotSchedule constraint, the matching pods per domain over
 *   the eligible nodes (those with every constraint's key that pass nodeAffinityPolicy
 *   (Honor by default) and nodeTaintsPolicy (Ignore by default)).
 * - Filter refuses a node when placing the pod there would make `count + self − min`
 *   exceed maxSkew (`min` is 0 while fewer than minDomains domains exist), or when the
 *   node lacks a constraint's topology key.
 * - PreScore/Score rank nodes for ScheduleAnyway constraints (or the default constraints
 *   when the pod has none): fewer matching pods in the node's domains scores higher.
 * - AddPod/RemovePod keep the counts right while preemption simulates.
 *
 * When every node with the keys is eligible (see {@link everyNodeEligible}), PreFilter
 * reads its counts from a {@link SpreadCountIndex} kept across cycles, which recounts only
 * the nodes whose NodeInfo changed; otherwise it counts over every node.
 */
export class PodTopologySpread implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, ScoreExtensions, PreFilterExtensions, EnqueueExtensions {
  static readonly pluginName = 'PodTopologySpread';
  readonly name = PodTopologySpread.pluginName;
  private readonly defaultConstraints: readonly core.TopologySpreadConstraint[];
  private readonly systemDefaulted: boolean;
  /** Matching-pod counts per domain kept across cycles, for pods whose constraints count every node. */
  private readonly index = new SpreadCountIndex();

  constructor(
    args: PodTopologySpreadArgs = {},
    private readonly listers?: SpreadListers,
    private readonly handle?: Pick<Handle, 'snapshot'>,
  ) {
    const type = args.defaultingType ?? 'System';
    if (type !== 'System' && type !== 'List') throw new Error(`defaultingType: Unsupported value: ${JSON.stringify(type)}: supported values: "System", "List"`);
    if (type === 'System' && args.defaultConstraints?.length) throw new Error('defaultConstraints: Invalid value: when .defaultingType is "System"');
    (args.defaultConstraints ?? []).forEach((c, i) => {
      if (!(Number.isInteger(c.maxSkew) && c.maxSkew > 0)) throw new Error(`defaultConstraints[${i}].maxSkew: Invalid value: ${c.maxSkew}: must be greater than zero`);
      if (!c.topologyKey) throw new Error(`defaultConstraints[${i}].topologyKey: Required value: can not be empty`);
      if (c.whenUnsatisfiable !== 'DoNotSchedule' && c.whenUnsatisfiable !== 'ScheduleAnyway') throw new Error(`defaultConstraints[${i}].whenUnsatisfiable: Unsupported value: ${JSON.stringify(c.whenUnsatisfiable)}`);
      if (c.labelSelector) throw new Error(`defaultConstraints[${i}].labelSelector: Forbidden: constraint must not define a selector, as they deduced for each pod`);
    });
    this.systemDefaulted = type === 'System';
    this.defaultConstraints = this.systemDefaulted ? SYSTEM_DEFAULT_CONSTRAINTS : (args.defaultConstraints ?? []);
  }

  /** The pod's constraints for `when`, or (when the pod has none) the default ones. */
  constraints(pod: Pod, when: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
    const own = pod.spec?.topologySpreadConstraints ?? [];
    if (own.length > 0) return compileConstraints(own.filter((c) => c.whenUnsatisfiable === when), pod);
    const defs = this.defaultConstraints.filter((c) => c.whenUnsatisfiable === when);
    if (defs.length === 0) return [];
    const selector = this.defaultSelector(pod);
    if (selector.isEmpty()) return [];
    return defs.map((c) => ({ ...compileConstraint(c, pod), selector }));
  }

  /**
   * The union of the selectors of the Services, ReplicationController, ReplicaSet or
   * StatefulSet the pod belongs to, as upstream's helper.DefaultSelector (empty: none).
   */
  defaultSelector(pod: Pod): Selector {
    const l = this.listers;
    if (!l) return everythingSelector;
    const ns = pod.metadata?.namespace ?? 'default';
    const labels = pod.metadata?.labels ?? {};
    const set: Record<string, string> = {};
    for (const svc of l.services(ns)) {
      const sel = svc.spec?.selector;
      if (!sel || Object.keys(sel).length === 0) continue;
      if (selectorFromSet(sel).matches(labels)) Object.assign(set, sel);
    }
    let selector = selectorFromSet(set);
    const owner = getControllerOf(pod as never);
    if (!owner) return selector;
    const group = parseApiVersion(owner.apiVersion).group;
    if (group === '' && owner.kind === 'ReplicationController') {
      const rc = l.replicationController(ns, owner.name);
      if (rc?.spec?.selector) selector = selectorFromSet({ ...set, ...rc.spec.selector });
    } else if (group === 'apps' && (owner.kind === 'ReplicaSet' || owner.kind === 'StatefulSet')) {
      const o = owner.kind === 'ReplicaSet' ? l.replicaSet(ns, owner.name) : l.statefulSet(ns, owner.name);
      try {
        const other = labelSelectorFromObject(o?.spec?.selector);
        if (o && other !== nothingSelector) selector = selector.add(...other.requirements);
      } catch {
        // An invalid owner selector adds nothing, as upstream.
      }
    }
    return selector;
  }

  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status {
    const constraints = this.constraints(pod, 'DoNotSchedule');
    if (constraints.length === 0) return Status.skip();
    const ns = pod.metadata?.namespace ?? 'default';
    const labels = pod.metadata?.labels;
    const selfMatch = constraints.map((c) => (c.selector.matches(labels) ? 1 : 0));
    if (everyNodeEligible(pod, constraints)) {
      // Eligibility is only "has every constraint's key": the counts come from the index.
      const requiredKeys = [...new Set(constraints.map((c) => c.topologyKey))].sort();
      const dcs = constraints.map((c) => this.index.counts(nodes, { namespace: ns, selector: c.selector, topologyKey: c.topologyKey, requiredKeys }));
      state.write(preFilterKey, { constraints, counts: dcs.map((d) => d.counts), mins: dcs.map((d) => d.min), selfMatch, owned: constraints.map(() => false) });
      return Status.success;
    }
    const counts = countOverEligibleNodes(pod, ns, constraints, nodes);
    state.write(preFilterKey, { constraints, counts, mins: counts.map(minOf), selfMatch, owned: constraints.map(() => true) });
    return Status.success;
  }

  preFilterExtensions(): PreFilterExtensions {
    return this;
  }
  addPod(state: CycleState, pod: Pod, added: PodInfo, node: NodeInfo): void {
    this.updateWithPod(state, pod, added, node, 1);
  }
  removePod(state: CycleState, pod: Pod, removed: PodInfo, node: NodeInfo): void {
    this.updateWithPod(state, pod, removed, node, -1);
  }
  private updateWithPod(state: CycleState, pod: Pod, p: PodInfo, node: NodeInfo, delta: number): void {
    const s = state.tryRead(preFilterKey);
    if (!s || !node.node || (p.pod.metadata?.namespace ?? 'default') !== (pod.metadata?.namespace ?? 'default')) return;
    if (!nodeHasAllKeys(node.node, s.constraints)) return;
    const affinity = requiredNodeAffinity(pod);
    s.constraints.forEach((c, i) => {
      if (!c.selector.matches(p.pod.metadata?.labels)) return;
      if (!matchNodeInclusionPolicies(c, pod, node, affinity)) return;
      const v = node.labels[c.topologyKey];
      if (!s.owned[i]) {
        s.counts[i] = new Map(s.counts[i]);
        s.owned[i] = true;
      }
      s.counts[i].set(v, (s.counts[i].get(v) ?? 0) + delta);
      s.mins[i] = minOf(s.counts[i]);
    });
  }

  filter(state: CycleState, pod: Pod, node: NodeInfo): Status {
    const s = state.tryRead(preFilterKey);
    if (!s) return Status.success;
    const labels = node.labels;
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i];
      const v = labels[c.topologyKey];
      if (v === undefined) return NODE_LABEL_NOT_MATCH;
      const min = s.counts[i].size < c.minDomains ? 0 : s.mins[i];
      if ((s.counts[i].get(v) ?? 0) + s.selfMatch[i] - min > c.maxSkew) return CONSTRAINTS_NOT_MATCH;
    }
    return Status.success;
  }

  preScore(state: CycleState, pod: Pod, filtered: readonly NodeInfo[]): Status {
    const all = this.handle?.snapshot().list() ?? filtered;
    if (filtered.length === 0 || all.length === 0) return Status.skip();
    const constraints = this.constraints(pod, 'ScheduleAnyway');
    if (constraints.length === 0) return Status.skip();
    const requireAll = (pod.spec?.topologySpreadConstraints?.length ?? 0) > 0 || !this.systemDefaulted;
    const ignoredNodes = new Set<string>();
    const counts = constraints.map(() => new Map<string, number>());
    const sizes = constraints.map(() => 0);
    for (const n of filtered) {
      if (requireAll && !nodeHasAllKeys(n.node, constraints)) {
        ignoredNodes.add(n.name);
        continue;
      }
      constraints.forEach((c, i) => {
        if (c.topologyKey === LABEL_HOSTNAME) return;
        const v = n.labels[c.topologyKey];
        if (!counts[i].has(v)) {
          counts[i].set(v, 0);
          sizes[i]++;
        }
      });
    }
    const weights = constraints.map((c, i) => Math.log((c.topologyKey === LABEL_HOSTNAME ? filtered.length - ignoredNodes.size : sizes[i]) + 2));
    const ns = pod.metadata?.namespace ?? 'default';
    const affinity = requiredNodeAffinity(pod);
    for (const n of all) {
      if (!n.node || (requireAll && !nodeHasAllKeys(n.node, constraints))) continue;
      constraints.forEach((c, i) => {
        if (c.topologyKey === LABEL_HOSTNAME || !matchNodeInclusionPolicies(c, pod, n, affinity)) return;
        const v = n.labels[c.topologyKey];
        const cur = counts[i].get(v);
        if (cur === undefined) return;
        counts[i].set(v, cur + countPodsMatchSelector(n.pods, c.selector, ns));
      });
    }
    state.write(preScoreKey, { constraints, ignoredNodes, counts, weights });
    return Status.success;
  }

  /** The weighted count of matching pods in the node's domains (lower is better; NormalizeScore reverses it). */
  score(state: CycleState, pod: Pod, node: NodeInfo): number {
    const s = state.read(preScoreKey);
    if (s.ignoredNodes.has(node.name)) return 0;
    let score = 0;
    const ns = pod.metadata?.namespace ?? 'default';
    s.constraints.forEach((c, i) => {
      const v = node.labels[c.topologyKey];
      if (v === undefined) return;
      const cnt = c.topologyKey === LABEL_HOSTNAME ? countPodsMatchSelector(node.pods, c.selector, ns) : (s.counts[i].get(v) ?? 0);
      score += cnt * s.weights[i] + (c.maxSkew - 1);
    });
    return Math.round(score);
  }

  scoreExtensions(): ScoreExtensions {
    return this;
  }
  normalizeScore(state: CycleState, _pod: Pod, scores: NodeScore[]): void {
    const s = state.tryRead(preScoreKey);
    if (!s) return;
    let min = Number.MAX_SAFE_INTEGER;
    let max = 0;
    for (const x of scores) {
      if (s.ignoredNodes.has(x.name)) continue;
      if (x.score < min) min = x.score;
      if (x.score > max) max = x.score;
    }
    for (const x of scores) {
      if (s.ignoredNodes.has(x.name)) x.score = 0;
      else if (max === 0) x.score = MAX_NODE_SCORE;
      else x.score = Math.trunc((MAX_NODE_SCORE * (max + min - x.score)) / max);
    }
  }

  eventsToRegister(): ClusterEvent[] {
    return [
      { resource: 'AssignedPod', action: '*' },
      { resource: 'Node', action: 'Add' },
      { resource: 'Node', action: 'Update' },
      { resource: 'Node', action: 'Delete' },
    ];
  }
}

function compileConstraint(c: core.TopologySpreadConstraint, pod: Pod): Constraint {
  let selector: Selector;
  try {
    selector = labelSelectorFromObject(c.labelSelector);
    const labels = pod.metadata?.labels ?? {};
    for (const key of c.matchLabelKeys ?? []) {
      if (key in labels) selector = selector.add(createRequirement(key, 'in', [labels[key]]));
    }
  } catch {
    selector = nothingSelector;
  }
  return {
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    selector,
    minDomains: c.minDomains ?? 1,
    nodeAffinityPolicy: c.nodeAffinityPolicy === 'Ignore' ? 'Ignore' : 'Honor',
    nodeTaintsPolicy: c.nodeTaintsPolicy === 'Honor' ? 'Honor' : 'Ignore',
  };
}

function compileConstraints(cs: readonly core.TopologySpreadConstraint[], pod: Pod): Constraint[] {
  return cs.map((c) => compileConstraint(c, pod));
}

/** Listers over the scheduler's shared informers (Services, RCs, ReplicaSets, StatefulSets). */
function informerListers(handle: Handle): SpreadListers | undefined {
  const inf = handle.informers;
  if (!inf) return undefined;
  const svcs = inf.forKind('v1', 'Service');
  const rcs = inf.forKind('v1', 'ReplicationController');
  const rss = inf.forKind('apps/v1', 'ReplicaSet');
  const sss = inf.forKind('apps/v1', 'StatefulSet');
  return {
    services: (ns) => svcs.cache.list({ namespace: ns }),
    replicationController: (ns, name) => rcs.cache.get(`${ns}/${name}`),
    replicaSet: (ns, name) => rss.cache.get(`${ns}/${name}`),
    statefulSet: (ns, name) => sss.cache.get(`${ns}/${name}`),
  };
}

export const create: PluginFactory = (args, handle) => new PodTopologySpread((args ?? {}) as PodTopologySpreadArgs, informerListers(handle), handle);
