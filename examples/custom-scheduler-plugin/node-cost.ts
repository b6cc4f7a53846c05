/**
 * Two user-written scheduler plugins, in the shape of the in-tree ones:
 *
 * - `NodeCost` (PreScore + Score): prefers cheaper nodes, read from a `cost` label.
 * - `Maintenance` (Filter): refuses nodes labelled `maintenance`, and asks to be
 *   retried when a node changes (so a pod it kept Pending moves once the label goes).
 *
 * plus the registry and the two profiles main.ts runs (and the example's test checks).
 */
import type { Node, Pod } from '@bosun/api';
import {
  Registry,
  Status,
  stateKey,
  type ClusterEvent,
  type CycleState,
  type EnqueueExtensions,
  type FilterPlugin,
  type NodeInfo,
  type PluginFactory,
  type PreScorePlugin,
  type ProfileConfig,
  type ScorePlugin,
} from '@bosun/scheduler';

/** Args of {@link NodeCost}. */
export interface NodeCostArgs {
  /** The node label holding a non-negative integer cost; `cost` by default. */
  label?: string;
}

/** The cheapest and dearest cost among this cycle's feasible nodes. */
interface CostRange {
  min: number;
  max: number;
}
const preScoreKey = stateKey<CostRange>('PreScoreNodeCost');

/**
 * Score: cheaper nodes score higher, linearly from 100 (the cheapest feasible node) to 0
 * (the dearest). A node without the label, or with a value that is not a non-negative
 * integer, counts as the dearest. All feasible nodes at one cost: every node scores 0, and
 * the other plugins decide.
 */
export class NodeCost implements PreScorePlugin, ScorePlugin {
  static readonly pluginName = 'NodeCost';
  readonly name = NodeCost.pluginName;
  private readonly label: string;

  constructor(args: NodeCostArgs = {}) {
    const label = args.label ?? 'cost';
    // Throwing in the constructor refuses the args: the scheduler does not start.
    if (typeof label !== 'string' || label === '') throw new Error(`label: Invalid value: ${JSON.stringify(label)}: must be a non-empty string`);
    this.label = label;
  }

  /** The node's cost, or undefined when it has none. */
  costOf(node: Node | undefined): number | undefined {
    const v = node?.metadata?.labels?.[this.label];
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
  }

  /** Once per cycle, with the nodes that passed Filter: the cost range the scores are scaled to. */
  preScore(state: CycleState, _pod: Pod, nodes: readonly NodeInfo[]): Status {
    const costs = nodes.map((n) => this.costOf(n.node)).filter((c): c is number => c !== undefined);
    // No node has a cost: nothing to prefer, so Score is not called this cycle.
    if (costs.length === 0) return Status.skip();
    state.write(preScoreKey, { min: Math.min(...costs), max: Math.max(...costs) });
    return Status.success;
  }

  /** Synchronous and free of side effects: called for every feasible node. */
  score(state: CycleState, _pod: Pod, node: NodeInfo): number {
    const { min, max } = state.read(preScoreKey);
    if (max === min) return 0;
    const cost = this.costOf(node.node) ?? max;
    return Math.round((100 * (max - cost)) / (max - min));
  }
}

/** The reason {@link Maintenance} gives, counted per node in the FailedScheduling message. */
export const ERR_REASON_MAINTENANCE = 'node(s) were under maintenance';

/** Filter: a node labelled `maintenance` (any value) takes no new pods. */
export class Maintenance implements FilterPlugin, EnqueueExtensions {
  static readonly pluginName = 'Maintenance';
  readonly name = Maintenance.pluginName;

  filter(_state: CycleState, _pod: Pod, node: NodeInfo): Status {
    // Unresolvable: evicting pods would not help, so preemption does not try this node.
    return 'maintenance' in node.labels ? Status.unschedulableAndUnresolvable(ERR_REASON_MAINTENANCE) : Status.success;
  }

  /** Only a node change can end a maintenance: pods this plugin rejected wait for one. */
  eventsToRegister(): ClusterEvent[] {
    return [
      { resource: 'Node', action: 'Add' },
      { resource: 'Node', action: 'Update' },
    ];
  }
}

export const createNodeCost: PluginFactory = (args) => new NodeCost((args ?? {}) as NodeCostArgs);
export const createMaintenance: PluginFactory = () => new Maintenance();

/** The example's out-of-tree plugins; the scheduler merges them with the in-tree registry. */
export function exampleRegistry(): Registry {
  return new Registry().register(NodeCost.pluginName, createNodeCost).register(Maintenance.pluginName, createMaintenance);
}

/**
 * Two profiles: pods name one with `spec.schedulerName`.
 *
 * - `default-scheduler`: the default plugins plus Maintenance and NodeCost (weight 5, so
 *   cost outweighs the resource scores, whose weights are 1).
 * - `batch`: packs pods (NodeResourcesFit's MostAllocated strategy), with the default
 *   NodeResourcesBalancedAllocation score disabled, and Maintenance but no NodeCost.
 */
export const exampleProfiles: ProfileConfig[] = [
  {
    schedulerName: 'default-scheduler',
    plugins: {
      // multiPoint enables a plugin at every extension point it implements.
      multiPoint: { enabled: [{ name: 'Maintenance' }, { name: 'NodeCost', weight: 5 }] },
    },
    pluginConfig: { NodeCost: { label: 'cost' } },
  },
  {
    schedulerName: 'batch',
    plugins: {
      filter: { enabled: [{ name: 'Maintenance' }] },
      score: { disabled: [{ name: 'NodeResourcesBalancedAllocation' }] },
    },
    pluginConfig: { NodeResourcesFit: { scoringStrategy: { type: 'MostAllocated' } } },
  },
];

/** The example's nodes: 4 cpu, 8Gi each; node-b is the cheapest but under maintenance. */
export function exampleNodes(): Node[] {
  const node = (name: string, labels: Record<string, string>): Node => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' }, allocatable: { cpu: '4', memory: '8Gi', pods: '110' } },
  });
  return [node('node-a', { cost: '3' }), node('node-b', { cost: '1', maintenance: 'kernel-upgrade' }), node('node-c', { cost: '2' }), node('node-d', { cost: '5' })];
}

/** A pod asking for `cpu`, for `schedulerName`, optionally pinned to a node by hostname. */
export function examplePod(name: string, opts: { cpu: string; schedulerName?: string; hostname?: string }): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      schedulerName: opts.schedulerName,
      nodeSelector: opts.hostname ? { 'kubernetes.io/hostname': opts.hostname } : undefined,
      containers: [{ name: 'main', image: 'nginx', resources: { requests: { cpu: opts.cpu } } }],
    },
  };
}
