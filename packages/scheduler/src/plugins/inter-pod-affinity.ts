import type { Node, Pod } from '@bosun/api';
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
  SnapshotLister,
} from '../framework/interface';
import { MAX_NODE_SCORE } from '../framework/interface';
import type { NodeInfo } from '../framework/node-info';
import { PodInfo, affinityTermMatches, type AffinityTerm, type NamespaceLabels, type WeightedAffinityTerm } from '../framework/pod-info';
import { Status } from '../framework/status';
import { AffinityCountIndex, ExistingAntiAffinityIndex, addCounts, bumpCount, copyCounts, type TopologyCounts } from './affinity-counts';

/** The reason when no pod the incoming pod's required affinity selects runs in the node's domain. */
export const ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules";
/** The reason when a pod the incoming pod's required anti-affinity selects runs in the node's domain. */
export const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules";
/** The reason when an existing pod's required anti-affinity refuses the incoming pod there. */
export const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules";

const ANTI_AFFINITY_RULES_NOT_MATCH = Status.shared('Unschedulable', 'InterPodAffinity', ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
const EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = Status.shared('Unschedulable', 'InterPodAffinity', ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);

/** Args of {@link InterPodAffinity}, as upstream's InterPodAffinityArgs. */
export interface InterPodAffinityArgs {
  /** Score given for an existing pod's required affinity term the incoming pod matches (0–100, default 1). */
  hardPodAffinityWeight?: number;
  /** Skip existing pods' preferred terms when the incoming pod has no preferred terms (default false). */
  ignorePreferredTermsOfExistingPods?: boolean;
}

const countOf = (m: TopologyCounts, key: string, value: string) => m.get(key)?.get(value) ?? 0;

interface PreFilterState {
  podInfo: PodInfo;
  /** Domains where an existing pod's required anti-affinity term matches the incoming pod. */
  existingAntiAffinityCounts: TopologyCounts;
  /** Domains holding pods that match all of the incoming pod's required affinity terms. */
  affinityCounts: TopologyCounts;
  /** Domains holding pods that match one of the incoming pod's required anti-affinity terms. */
  antiAffinityCounts: TopologyCounts;
  /** The counts share maps with the plugin's indexes: copy them before changing them. */
  shared: boolean;
}

const clonePreFilter = (s: PreFilterState): PreFilterState => ({
  podInfo: s.podInfo,
  existingAntiAffinityCounts: copyCounts(s.existingAntiAffinityCounts),
  affinityCounts: copyCounts(s.affinityCounts),
  antiAffinityCounts: copyCounts(s.antiAffinityCounts),
  shared: false,
});
const preFilterKey = stateKey<PreFilterState>('PreFilterInterPodAffinity', clonePreFilter);
/** topologyKey → value → score. */
const preScoreKey = stateKey<Map<string, Map<string, number>>>('PreScoreInterPodAffinity');

function bump(m: TopologyCounts, node: Node | undefined, key: string, delta: number): void {
  const v = node?.metadata?.labels?.[key];
  if (v !== undefined) bumpCount(m, key, v, delta);
}

function hasLabels(node: Node): boolean {
  const labels = node.metadata?.labels;
  if (labels) for (const _ in labels) return true;
  return false;
}

/** Whether an existing pod's terms can score an incoming pod (its required anti-affinity never does). */
function scoresOthers(p: PodInfo, hard: boolean): boolean {
  return (hard && p.requiredAffinityTerms.length > 0) || p.preferredAffinityTerms.length > 0 || p.preferredAntiAffinityTerms.length > 0;
}

function matchesAll(terms: readonly AffinityTerm[], pod: Pod, ns: NamespaceLabels): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!affinityTermMatches(t, pod, ns)) return false;
  return true;
}

/**
 * Required and preferred inter-pod affinity and anti-affinity, as upstream's
 * InterPodAffinity.
 *
 * - Filter: the node's domain (its value of each term's topologyKey) must hold a pod
 *   matching all the pod's required affinity terms (except for the first pod of a group
 *   that matches its own terms: it may start anywhere the keys exist), no pod matching
 *   a required anti-affinity term, and no existing pod whose required anti-affinity
 *   term matches the incoming pod (anti-affinity is symmetric).
 * - Score: the weights of the preferred terms (the pod's and, symmetrically, existing
 *   pods'; existing pods' required affinity counts `hardPodAffinityWeight`) summed per
 *   domain, anti-affinity negative, then scaled to [0, 100].
 * - AddPod/RemovePod keep the counts right for preemption.
 *
 * Namespace selectors are resolved with the namespaces' labels (a Namespace informer in
 * the scheduler).
 */
export class InterPodAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, ScoreExtensions, PreFilterExtensions, EnqueueExtensions {
  static readonly pluginName = 'InterPodAffinity';
  readonly name = InterPodAffinity.pluginName;
  private readonly hardPodAffinityWeight: number;
  private readonly ignorePreferredTermsOfExistingPods: boolean;
  /** Existing pods' required anti-affinity terms by domain, kept across cycles. */
  private readonly existingAnti = new ExistingAntiAffinityIndex();
  /** Pods matching incoming pods' required terms by domain, kept across cycles. */
  private readonly incoming = new AffinityCountIndex();

  constructor(
    args: InterPodAffinityArgs = {},
    private readonly nsLabels: NamespaceLabels = () => undefined,
    private readonly snapshot?: () => SnapshotLister,
  ) {
    const w = args.hardPodAffinityWeight ?? 1;
    if (!Number.isInteger(w) || w < 0 || w > 100) throw new Error(`hardPodAffinityWeight: Invalid value: ${w}: not in valid range [0, 100]`);
    this.hardPodAffinityWeight = w;
    this.ignorePreferredTermsOfExistingPods = args.ignorePreferredTermsOfExistingPods ?? false;
  }

  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status {
    const podInfo = new PodInfo(pod);
    const ns = this.nsLabels;
    const snap = this.snapshot?.();
    // No node holds a pod with required anti-affinity: nothing to match (and no pass over the nodes).
    const existing = snap && snap.havePodsWithRequiredAntiAffinity().length === 0 ? { counts: new Map() as TopologyCounts, shared: false } : this.existingAnti.matching(snap ? snap.list() : nodes, pod, ns);
    const aff = podInfo.requiredAffinityTerms;
    const anti = podInfo.requiredAntiAffinityTerms;
    if (existing.counts.size === 0 && aff.length === 0 && anti.length === 0) return Status.skip();
    let shared = existing.shared;
    let affinityCounts: TopologyCounts = new Map();
    if (aff.length > 0) {
      const indexed = this.incoming.affinity(nodes, aff);
      if (indexed) {
        affinityCounts = indexed;
        shared = true;
      } else affinityCounts = scanCounts(nodes, (p, node, m) => {
        if (matchesAll(aff, p, ns)) for (const t of aff) bump(m, node, t.topologyKey, 1);
      });
    }
    let antiAffinityCounts: TopologyCounts = new Map();
    for (const t of anti) {
      const one = this.incoming.antiAffinity(nodes, t) ?? scanCounts(nodes, (p, node, m) => {
        if (affinityTermMatches(t, p, ns)) bump(m, node, t.topologyKey, 1);
      });
      if (anti.length === 1) {
        antiAffinityCounts = one;
        shared = true;
      } else addCounts(antiAffinityCounts, one);
    }
    state.write(preFilterKey, { podInfo, existingAntiAffinityCounts: existing.counts, affinityCounts, antiAffinityCounts, shared });
    return Status.success;
  }

  preFilterExtensions(): PreFilterExtensions {
    return this;
  }
  addPod(state: CycleState, _pod: Pod, added: PodInfo, node: NodeInfo): void {
    this.updateWithPod(state, added, node.node, 1);
  }
  removePod(state: CycleState, _pod: Pod, removed: PodInfo, node: NodeInfo): void {
    this.updateWithPod(state, removed, node.node, -1);
  }
  private updateWithPod(state: CycleState, p: PodInfo, node: Node | undefined, delta: number): void {
    let s = state.tryRead(preFilterKey);
    if (!s || !node) return;
    if (s.shared) state.write(preFilterKey, (s = clonePreFilter(s)));
    const ns = this.nsLabels;
    const incoming = s.podInfo.pod;
    for (const t of p.requiredAntiAffinityTerms) if (affinityTermMatches(t, incoming, ns)) bump(s.existingAntiAffinityCounts, node, t.topologyKey, delta);
    const aff = s.podInfo.requiredAffinityTerms;
    if (matchesAll(aff, p.pod, ns)) for (const t of aff) bump(s.affinityCounts, node, t.topologyKey, delta);
    for (const t of s.podInfo.requiredAntiAffinityTerms) if (affinityTermMatches(t, p.pod, ns)) bump(s.antiAffinityCounts, node, t.topologyKey, delta);
  }

  filter(state: CycleState, _pod: Pod, node: NodeInfo): Status {
    const s = state.tryRead(preFilterKey);
    if (!s) return Status.success;
    const labels = node.labels;
    // Affinity: every term's key must exist; each domain must hold matching pods.
    let podsExist = true;
    for (const t of s.podInfo.requiredAffinityTerms) {
      const v = labels[t.topologyKey];
      if (v === undefined) return Status.unschedulableAndUnresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH);
      if (countOf(s.affinityCounts, t.topologyKey, v) <= 0) podsExist = false;
    }
    if (!podsExist) {
      // The first pod of a group with affinity to itself may go anywhere the keys exist.
      if (!(s.affinityCounts.size === 0 && matchesAll(s.podInfo.requiredAffinityTerms, s.podInfo.pod, this.nsLabels))) {
        return Status.unschedulableAndUnresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH);
      }
    }
    if (s.antiAffinityCounts.size > 0) {
      for (const t of s.podInfo.requiredAntiAffinityTerms) {
        const v = labels[t.topologyKey];
        if (v !== undefined && countOf(s.antiAffinityCounts, t.topologyKey, v) > 0) return ANTI_AFFINITY_RULES_NOT_MATCH;
      }
    }
    if (s.existingAntiAffinityCounts.size > 0) {
      // Any counted (key, the node's value of it): the few keys counted, not every label.
      for (const [k, values] of s.existingAntiAffinityCounts) {
        const v = labels[k];
        if (v !== undefined && (values.get(v) ?? 0) > 0) return EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH;
      }
    }
    return Status.success;
  }

  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status {
    if (nodes.length === 0) return Status.skip();
    const podInfo = new PodInfo(pod);
    const hasConstraints = podInfo.preferredAffinityTerms.length + podInfo.preferredAntiAffinityTerms.length > 0;
    if (this.ignorePreferredTermsOfExistingPods && !hasConstraints) return Status.skip();
    const snap = this.snapshot?.();
    const all = hasConstraints ? (snap?.list() ?? nodes) : (snap?.havePodsWithAffinity() ?? nodes.filter((n) => n.podsWithAffinity.length > 0));
    const scores = new Map<string, Map<string, number>>();
    const ns = this.nsLabels;
    const add = (term: AffinityTerm, weight: number, target: Pod, node: Node) => {
      if (!affinityTermMatches(term, target, ns)) return;
      const v = node.metadata?.labels?.[term.topologyKey];
      if (v === undefined) return;
      let m = scores.get(term.topologyKey);
      if (!m) scores.set(term.topologyKey, (m = new Map()));
      m.set(v, (m.get(v) ?? 0) + weight);
    };
    const addAll = (terms: readonly WeightedAffinityTerm[], target: Pod, node: Node, sign: number) => {
      for (const t of terms) add(t, t.weight * sign, target, node);
    };
    const hard = this.hardPodAffinityWeight > 0;
    for (const n of all) {
      const node = n.node;
      if (!node) continue;
      if (!hasConstraints && !n.podsWithAffinity.some((e) => scoresOthers(e, hard))) continue;
      if (!hasLabels(node)) continue;
      for (const existing of hasConstraints ? n.pods : n.podsWithAffinity) {
        addAll(podInfo.preferredAffinityTerms, existing.pod, node, 1);
        addAll(podInfo.preferredAntiAffinityTerms, existing.pod, node, -1);
        if (this.hardPodAffinityWeight > 0) for (const t of existing.requiredAffinityTerms) add(t, this.hardPodAffinityWeight, pod, node);
        addAll(existing.preferredAffinityTerms, pod, node, 1);
        addAll(existing.preferredAntiAffinityTerms, pod, node, -1);
      }
    }
    if (scores.size === 0) return Status.skip();
    state.write(preScoreKey, scores);
    return Status.success;
  }

  /** The summed weights of the node's domains (may be negative before NormalizeScore). */
  score(state: CycleState, _pod: Pod, node: NodeInfo): number {
    const s = state.read(preScoreKey);
    const labels = node.labels;
    let score = 0;
    for (const [k, values] of s) {
      const v = labels[k];
      if (v !== undefined) score += values.get(v) ?? 0;
    }
    return score;
  }

  scoreExtensions(): ScoreExtensions {
    return this;
  }
  normalizeScore(state: CycleState, _pod: Pod, scores: NodeScore[]): void {
    if (!state.tryRead(preScoreKey)?.size) return;
    let min = Number.MAX_SAFE_INTEGER;
    let max = Number.MIN_SAFE_INTEGER;
    for (const s of scores) {
      if (s.score > max) max = s.score;
      if (s.score < min) min = s.score;
    }
    const diff = max - min;
    for (const s of scores) s.score = diff > 0 ? Math.trunc((MAX_NODE_SCORE * (s.score - min)) / diff) : 0;
  }

  eventsToRegister(): ClusterEvent[] {
    return [{ resource: 'AssignedPod', action: '*' }, { resource: 'Node', action: 'Add' }, { resource: 'Node', action: 'Update' }];
  }
}

/** Counts over every node's pods from scratch: `visit` bumps the map for each (pod, node). */
function scanCounts(nodes: readonly NodeInfo[], visit: (pod: Pod, node: Node, m: TopologyCounts) => void): TopologyCounts {
  const m: TopologyCounts = new Map();
  for (const n of nodes) {
    if (!n.node) continue;
    for (const existing of n.pods) visit(existing.pod, n.node, m);
  }
  return m;
}

/** Namespace labels from the scheduler's Namespace informer. */
function namespaceLabels(handle: Handle): NamespaceLabels | undefined {
  const inf = handle.informers?.forKind('v1', 'Namespace');
  return inf ? (ns) => inf.cache.get(ns)?.metadata?.labels : undefined;
}

export const create: PluginFactory = (args, handle) => new InterPodAffinity((args ?? {}) as InterPodAffinityArgs, namespaceLabels(handle), () => handle.snapshot());
