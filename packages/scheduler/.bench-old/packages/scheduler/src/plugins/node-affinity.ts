import { compileNodeSelector, compileNodeSelectorTerm, type NodeSelectorMatcher, type Pod, type core } from '@bosun/api';
import { stateKey, type CycleState } from '../framework/cycle-state';
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, NodeScore, PluginFactory, PreFilterPlugin, PreScorePlugin, ScoreExtensions, ScorePlugin } from '../framework/interface';
import type { NodeInfo } from '../framework/node-info';
import { Status } from '../framework/status';
import { defaultNormalizeScore } from './helpers';

/** The reason NodeAffinity gives (for nodeSelector and required node affinity alike). */
export const ERR_REASON_POD_NOT_MATCH_NODE_SELECTOR = "node(s) didn't match Pod's node affinity/selector";
const POD_NOT_MATCH_NODE_SELECTOR = Status.shared('UnschedulableAndUnresolvable', 'NodeAffinity', ERR_REASON_POD_NOT_MATCH_NODE_SELECTOR);

/** The reason when the profile's addedAffinity rejects the node. */
export const ERR_REASON_ENFORCED_NOT_MATCH = "node(s) didn't match scheduler-enforced node affinity";

/** Args of {@link NodeAffinity}: a node affinity every pod of the profile must also satisfy. */
export interface NodeAffinityArgs {
  addedAffinity?: core.NodeAffinity;
}

interface RequiredAffinity {
  labels: Readonly<Record<string, string>>;
  required: NodeSelectorMatcher | undefined;
}

interface WeightedTerm {
  weight: number;
  matcher: NodeSelectorMatcher;
}

const preFilterKey = stateKey<RequiredAffinity>('PreFilterNodeAffinity');
const preScoreKey = stateKey<WeightedTerm[]>('PreScoreNodeAffinity');

function compileRequired(pod: Pod): RequiredAffinity {
  const req = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return { labels: pod.spec?.nodeSelector ?? {}, required: req ? compileNodeSelector(req) : undefined };
}

function matchesRequired(r: RequiredAffinity, node: NodeInfo): boolean {
  const labels = node.labels;
  for (const k of Object.keys(r.labels)) if (labels[k] !== r.labels[k]) return false;
  return !r.required || r.required.matches(node.node);
}

function compilePreferred(terms: readonly core.PreferredSchedulingTerm[] | undefined): WeightedTerm[] {
  return (terms ?? []).filter((t) => t.weight !== 0).map((t) => ({ weight: t.weight, matcher: compileNodeSelectorTerm(t.preference) }));
}

/**
 * Filter: the node must match the pod's `nodeSelector` (every label) AND its required
 * node affinity (terms ORed, expressions ANDed, `matchFields` on metadata.name).
 * Score: the sum of the weights of the preferred terms the node matches, normalized to
 * [0, 100].
 */
export class NodeAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, ScoreExtensions, EnqueueExtensions {
  static readonly pluginName = 'NodeAffinity';
  readonly name = NodeAffinity.pluginName;
  private readonly added: NodeSelectorMatcher | undefined;
  private readonly addedPreferred: WeightedTerm[];

  constructor(args: NodeAffinityArgs = {}) {
    const req = args.addedAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    this.added = req ? compileNodeSelector(req) : undefined;
    if (this.added?.errors.length) throw new Error(`addedAffinity: ${this.added.errors.join('; ')}`);
    this.addedPreferred = compilePreferred(args.addedAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
  }

  preFilter(state: CycleState, pod: Pod): Status {
    const r = compileRequired(pod);
    if (Object.keys(r.labels).length === 0 && !r.required && !this.added) return Status.skip();
    state.write(preFilterKey, r);
    return Status.success;
  }

  filter(state: CycleState, pod: Pod, node: NodeInfo): Status {
    if (this.added && !this.added.matches(node.node)) return Status.unschedulableAndUnresolvable(ERR_REASON_ENFORCED_NOT_MATCH);
    const r = state.tryRead(preFilterKey) ?? compileRequired(pod);
    return matchesRequired(r, node) ? Status.success : POD_NOT_MATCH_NODE_SELECTOR;
  }

  preScore(state: CycleState, pod: Pod): Status {
    const terms = [...compilePreferred(pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution), ...this.addedPreferred];
    if (terms.length === 0) return Status.skip();
    state.write(preScoreKey, terms);
    return Status.success;
  }

  score(state: CycleState, pod: Pod, node: NodeInfo): number {
    const terms = state.tryRead(preScoreKey) ?? compilePreferred(pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    let sum = 0;
    for (const t of terms) if (t.matcher.matches(node.node)) sum += t.weight;
    return sum;
  }

  scoreExtensions(): ScoreExtensions {
    return this;
  }
  normalizeScore(_s: CycleState, _p: Pod, scores: NodeScore[]): void {
    defaultNormalizeScore(scores);
  }

  eventsToRegister(): ClusterEvent[] {
    return [{ resource: 'Node', action: 'Add' }, { resource: 'Node', action: 'Update' }];
  }
}

export const create: PluginFactory = (args) => new NodeAffinity((args ?? {}) as NodeAffinityArgs);
