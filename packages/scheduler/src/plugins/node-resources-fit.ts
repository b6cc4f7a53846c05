import type { Pod } from '@bosun/api';
import { stateKey, type CycleState } from '../framework/cycle-state';
import {
  MAX_NODE_SCORE,
  type ClusterEvent,
  type EnqueueExtensions,
  type FilterPlugin,
  type PluginFactory,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
} from '../framework/interface';
import type { NodeInfo } from '../framework/node-info';
import { podRequests, CPU, EPHEMERAL_STORAGE, MEMORY, type Resource } from '../framework/resource';
import { Status } from '../framework/status';
import { DEFAULT_RESOURCE_SPECS, cpuMemoryWeights, scoreResourceAllocation, validateResourceSpecs, type ResourceScorer, type ResourceSpec } from './resource-allocation';

/** A point of the RequestedToCapacityRatio shape: utilization 0–100 → score 0–10. */
export interface UtilizationShapePoint {
  utilization: number;
  score: number;
}

/** How NodeResourcesFit scores: spread pods out (LeastAllocated), pack them (MostAllocated), or follow a shape. */
export interface ScoringStrategy {
  type: 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio';
  /** Resources scored and their weights; cpu and memory with weight 1 by default. */
  resources?: ResourceSpec[];
  requestedToCapacityRatio?: { shape: UtilizationShapePoint[] };
}

/** Args of {@link NodeResourcesFit}. */
export interface NodeResourcesFitArgs {
  /** Extended resources not checked by Filter. */
  ignoredResources?: string[];
  /** Groups (the part before `/`) of extended resources not checked by Filter. */
  ignoredResourceGroups?: string[];
  scoringStrategy?: ScoringStrategy;
}

/** One resource a node lacks for the pod. */
export interface InsufficientResource {
  resourceName: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
  /** The pod asks for more than the node has at all: preemption cannot help. */
  unresolvable: boolean;
}

interface PreFilterState {
  requests: Resource;
}
interface PreScoreState {
  requests: Resource;
  nonZero: Resource;
}

const preFilterKey = stateKey<PreFilterState>('PreFilterNodeResourcesFit');
const preScoreKey = stateKey<PreScoreState>('PreScoreNodeResourcesFit');

const isExtendedResourceName = (name: string) => name.includes('/') && !name.startsWith('kubernetes.io/') && !name.startsWith('requests.');

/**
 * The resources `node` lacks for a pod requesting `req`, as upstream's fitsRequest:
 * `Too many pods` when the node's pod count is reached, then `Insufficient <resource>`
 * for cpu, memory, ephemeral-storage and every scalar (extended, hugepages) resource
 * requested beyond what is free. Zero requests always fit.
 */
export function fitsRequest(req: Resource, node: NodeInfo, ignored: ReadonlySet<string> = NO_NAMES, ignoredGroups: ReadonlySet<string> = NO_NAMES): InsufficientResource[] {
  if (fitsQuickly(req, node)) return [];
  const out: InsufficientResource[] = [];
  const alloc = node.allocatable;
  if (node.pods.length + 1 > alloc.allowedPodNumber) {
    out.push({ resourceName: 'pods', reason: 'Too many pods', requested: 1, used: node.pods.length, capacity: alloc.allowedPodNumber, unresolvable: false });
  }
  checkResource(out, node, CPU, req.milliCPU);
  checkResource(out, node, MEMORY, req.memory);
  checkResource(out, node, EPHEMERAL_STORAGE, req.ephemeralStorage);
  for (const [name, want] of req.scalar) {
    if (isExtendedResourceName(name) && (ignored.has(name) || ignoredGroups.has(name.split('/')[0]))) continue;
    checkResource(out, node, name, want);
  }
  return out;
}

const NO_NAMES: ReadonlySet<string> = new Set();

/**
 * The common case of {@link fitsRequest} without allocating: room for one more pod and
 * for cpu, memory and ephemeral-storage, and no scalar resources requested. False means
 * "look closer", not "does not fit".
 */
function fitsQuickly(req: Resource, node: NodeInfo): boolean {
  if (req.scalar.size > 0) return false;
  const alloc = node.allocatable;
  const used = node.requested;
  if (node.pods.length + 1 > alloc.allowedPodNumber) return false;
  if (req.milliCPU > 0 && req.milliCPU > alloc.milliCPU - used.milliCPU) return false;
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) return false;
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) return false;
  return true;
}

// A module function, not a closure made per call: fitsRequest runs for every node of
// every cycle, and a per-call closure (named by esbuild's keepNames under tsx) cost 11%
// of the scheduling CPU at 5000 nodes.
function checkResource(out: InsufficientResource[], node: NodeInfo, name: string, want: number): void {
  if (want <= 0) return;
  const used = node.requested.get(name);
  const cap = node.allocatable.get(name);
  if (want > cap - used) out.push({ resourceName: name, reason: `Insufficient ${name}`, requested: want, used, capacity: cap, unresolvable: want > cap });
}

const mostRequestedScore = (requested: number, capacity: number) => (capacity === 0 ? 0 : Math.trunc((Math.min(requested, capacity) * MAX_NODE_SCORE) / capacity));
const leastRequestedScore = (requested: number, capacity: number) => (capacity === 0 || requested > capacity ? 0 : Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity));

function weightedScorer(resources: readonly ResourceSpec[], per: (requested: number, capacity: number) => number): ResourceScorer {
  return (requested, allocatable) => {
    let score = 0;
    let weights = 0;
    for (let i = 0; i < requested.length; i++) {
      if (allocatable[i] === 0) continue;
      score += per(requested[i], allocatable[i]) * resources[i].weight;
      weights += resources[i].weight;
    }
    return weights === 0 ? 0 : Math.trunc(score / weights);
  };
}

/** The piecewise-linear function through the shape's points (flat before the first and after the last), in integers as upstream. */
export function brokenLinearFunction(shape: readonly UtilizationShapePoint[]): (p: number) => number {
  return (p) => {
    for (let i = 0; i < shape.length; i++) {
      if (p <= shape[i].utilization) {
        if (i === 0) return shape[0].score;
        return shape[i - 1].score + Math.trunc(((shape[i].score - shape[i - 1].score) * (p - shape[i - 1].utilization)) / (shape[i].utilization - shape[i - 1].utilization));
      }
    }
    return shape[shape.length - 1].score;
  };
}

function requestedToCapacityRatioScorer(resources: readonly ResourceSpec[], shape: readonly UtilizationShapePoint[]): ResourceScorer {
  const scaled = shape.map((p) => ({ utilization: p.utilization, score: p.score * (MAX_NODE_SCORE / 10) }));
  const raw = brokenLinearFunction(scaled);
  const per = (requested: number, capacity: number) => (capacity === 0 || requested > capacity ? raw(100) : raw(Math.trunc((requested * 100) / capacity)));
  return (requested, allocatable) => {
    let score = 0;
    let weights = 0;
    for (let i = 0; i < requested.length; i++) {
      if (allocatable[i] === 0) continue;
      const s = per(requested[i], allocatable[i]);
      if (s > 0) {
        score += s * resources[i].weight;
        weights += resources[i].weight;
      }
    }
    return weights === 0 ? 0 : Math.round(score / weights);
  };
}

function validateArgs(args: NodeResourcesFitArgs): void {
  const s = args.scoringStrategy;
  if (!s) return;
  if (!['LeastAllocated', 'MostAllocated', 'RequestedToCapacityRatio'].includes(s.type)) {
    throw new Error(`scoringStrategy.type: Unsupported value: ${JSON.stringify(s.type)}: supported values: "LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"`);
  }
  if (s.resources) validateResourceSpecs(s.resources, 'scoringStrategy.resources');
  if (s.type === 'RequestedToCapacityRatio') {
    const shape = s.requestedToCapacityRatio?.shape ?? [];
    if (shape.length === 0) throw new Error('scoringStrategy.requestedToCapacityRatio.shape: Required value: at least one point must be specified');
    shape.forEach((p, i) => {
      if (!Number.isInteger(p.utilization) || p.utilization < 0 || p.utilization > 100) throw new Error(`scoringStrategy.requestedToCapacityRatio.shape[${i}].utilization: Invalid value: ${p.utilization}: not in valid range [0, 100]`);
      if (!Number.isInteger(p.score) || p.score < 0 || p.score > 10) throw new Error(`scoringStrategy.requestedToCapacityRatio.shape[${i}].score: Invalid value: ${p.score}: not in valid range [0, 10]`);
      if (i > 0 && p.utilization <= shape[i - 1].utilization) throw new Error(`scoringStrategy.requestedToCapacityRatio.shape[${i}].utilization: Invalid value: ${p.utilization}: utilization values must be sorted in increasing order`);
    });
  }
}

/**
 * Filter: the node must have room for the pod's requests (containers summed, init
 * containers' max, pod overhead) in cpu, memory, ephemeral-storage, pods and extended
 * resources. Score: by the strategy — LeastAllocated (default) favours free nodes,
 * MostAllocated packs, RequestedToCapacityRatio follows a utilization → score shape.
 */
export class NodeResourcesFit implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  static readonly pluginName = 'NodeResourcesFit';
  readonly name = NodeResourcesFit.pluginName;
  private readonly ignored: Set<string>;
  private readonly ignoredGroups: Set<string>;
  private readonly resources: readonly ResourceSpec[];
  private readonly scorer: ResourceScorer;
  /** LeastAllocated or MostAllocated over cpu and memory only: the per-resource score and the two weights (a fast path of {@link NodeResourcesFit.score}). */
  private readonly cpuMemory?: { per: (requested: number, capacity: number) => number; cpu: number; memory: number };

  constructor(args: NodeResourcesFitArgs = {}) {
    validateArgs(args);
    this.ignored = new Set(args.ignoredResources ?? []);
    this.ignoredGroups = new Set(args.ignoredResourceGroups ?? []);
    const s = args.scoringStrategy ?? { type: 'LeastAllocated' };
    this.resources = s.resources ?? DEFAULT_RESOURCE_SPECS;
    switch (s.type) {
      case 'MostAllocated':
        this.scorer = weightedScorer(this.resources, mostRequestedScore);
        break;
      case 'RequestedToCapacityRatio':
        this.scorer = requestedToCapacityRatioScorer(this.resources, s.requestedToCapacityRatio!.shape);
        break;
      default:
        this.scorer = weightedScorer(this.resources, leastRequestedScore);
    }
    const weights = cpuMemoryWeights(this.resources);
    if (weights && s.type !== 'RequestedToCapacityRatio') this.cpuMemory = { per: s.type === 'MostAllocated' ? mostRequestedScore : leastRequestedScore, ...weights };
  }

  preFilter(state: CycleState, pod: Pod): Status {
    state.write(preFilterKey, { requests: podRequests(pod) });
    return Status.success;
  }

  filter(state: CycleState, pod: Pod, node: NodeInfo): Status {
    const req = state.tryRead(preFilterKey)?.requests ?? podRequests(pod);
    if (fitsQuickly(req, node)) return Status.success;
    const short = fitsRequest(req, node, this.ignored, this.ignoredGroups);
    if (short.length === 0) return Status.success;
    const reasons = short.map((s) => s.reason);
    return short.some((s) => s.unresolvable) ? Status.unschedulableAndUnresolvable(...reasons) : Status.unschedulable(...reasons);
  }

  preScore(state: CycleState, pod: Pod): Status {
    state.write(preScoreKey, { requests: podRequests(pod), nonZero: podRequests(pod, { nonZero: true }) });
    return Status.success;
  }

  score(state: CycleState, pod: Pod, node: NodeInfo): number {
    const s = state.tryRead(preScoreKey) ?? { requests: podRequests(pod), nonZero: podRequests(pod, { nonZero: true }) };
    const fast = this.cpuMemory;
    if (fast) {
      // What scoreResourceAllocation + weightedScorer compute for cpu and memory (with
      // their non-zero defaults), without the vectors.
      const alloc = node.allocatable;
      const used = node.nonZeroRequested;
      let score = 0;
      let weights = 0;
      if (alloc.milliCPU !== 0) {
        score += fast.per(used.milliCPU + s.nonZero.milliCPU, alloc.milliCPU) * fast.cpu;
        weights += fast.cpu;
      }
      if (alloc.memory !== 0) {
        score += fast.per(used.memory + s.nonZero.memory, alloc.memory) * fast.memory;
        weights += fast.memory;
      }
      return weights === 0 ? 0 : Math.trunc(score / weights);
    }
    return scoreResourceAllocation(node, s.requests, s.nonZero, this.resources, this.scorer, false);
  }

  eventsToRegister(): ClusterEvent[] {
    return [
      { resource: 'AssignedPod', action: 'Delete' },
      { resource: 'AssignedPod', action: 'Update' },
      { resource: 'Node', action: 'Add' },
      { resource: 'Node', action: 'Update' },
    ];
  }
}

export const create: PluginFactory = (args) => new NodeResourcesFit((args ?? {}) as NodeResourcesFitArgs);
