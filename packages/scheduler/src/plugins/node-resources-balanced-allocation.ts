import type { Pod } from '@bosun/api';
import { stateKey, type CycleState } from '../framework/cycle-state';
import { MAX_NODE_SCORE, type PluginFactory, type PreScorePlugin, type ScorePlugin } from '../framework/interface';
import type { NodeInfo } from '../framework/node-info';
import { podRequests, type Resource } from '../framework/resource';
import { Status } from '../framework/status';
import { DEFAULT_RESOURCE_SPECS, cpuMemoryWeights, scoreResourceAllocation, validateResourceSpecs, type ResourceSpec } from './resource-allocation';

/** Args of {@link NodeResourcesBalancedAllocation}: the resources balanced (cpu and memory by default). */
export interface NodeResourcesBalancedAllocationArgs {
  resources?: ResourceSpec[];
}

const preScoreKey = stateKey<Resource>('PreScoreNodeResourcesBalancedAllocation');

/**
 * `(1 − standard deviation of the requested/allocatable fractions) × 100`, as upstream:
 * for two resources the deviation is half their difference. Fractions are capped at 1.
 */
export function balancedResourceScorer(requested: number[], allocatable: number[]): number {
  // Two passes over the vectors rather than an array of fractions: no garbage per node.
  let total = 0;
  let count = 0;
  let first = 0;
  let second = 0;
  for (let i = 0; i < requested.length; i++) {
    if (allocatable[i] === 0) continue;
    const f = Math.min(1, requested[i] / allocatable[i]);
    total += f;
    if (count === 0) first = f;
    else if (count === 1) second = f;
    count++;
  }
  let std = 0;
  if (count === 2) std = Math.abs((first - second) / 2);
  else if (count > 2) {
    const mean = total / count;
    let sq = 0;
    for (let i = 0; i < requested.length; i++) {
      if (allocatable[i] === 0) continue;
      const f = Math.min(1, requested[i] / allocatable[i]);
      sq += (f - mean) * (f - mean);
    }
    std = Math.sqrt(sq / count);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

/** Score: favours nodes whose resources stay balanced (similar cpu and memory usage) with the pod on them. */
export class NodeResourcesBalancedAllocation implements PreScorePlugin, ScorePlugin {
  static readonly pluginName = 'NodeResourcesBalancedAllocation';
  readonly name = NodeResourcesBalancedAllocation.pluginName;
  private readonly resources: readonly ResourceSpec[];
  /** Exactly cpu and memory: {@link NodeResourcesBalancedAllocation.score} reads the two fields directly. */
  private readonly cpuMemoryOnly: boolean;

  constructor(args: NodeResourcesBalancedAllocationArgs = {}) {
    if (args.resources) validateResourceSpecs(args.resources, 'resources');
    this.resources = args.resources ?? DEFAULT_RESOURCE_SPECS;
    this.cpuMemoryOnly = cpuMemoryWeights(this.resources) !== undefined;
  }

  preScore(state: CycleState, pod: Pod): Status {
    const req = podRequests(pod);
    if (this.resources.every((r) => req.get(r.name) === 0)) return Status.skip();
    state.write(preScoreKey, req);
    return Status.success;
  }

  score(state: CycleState, pod: Pod, node: NodeInfo): number {
    const req = state.tryRead(preScoreKey) ?? podRequests(pod);
    if (this.cpuMemoryOnly) {
      // What balancedResourceScorer computes for two resources (weights do not matter to
      // it): half the difference of the requested fractions, without the vectors.
      const alloc = node.allocatable;
      const used = node.requested;
      if (alloc.milliCPU === 0 || alloc.memory === 0) return MAX_NODE_SCORE;
      const cpu = Math.min(1, (used.milliCPU + req.milliCPU) / alloc.milliCPU);
      const memory = Math.min(1, (used.memory + req.memory) / alloc.memory);
      return Math.trunc((1 - Math.abs((cpu - memory) / 2)) * MAX_NODE_SCORE);
    }
    return scoreResourceAllocation(node, req, req, this.resources, balancedResourceScorer, true);
  }
}

export const create: PluginFactory = (args) => new NodeResourcesBalancedAllocation((args ?? {}) as NodeResourcesBalancedAllocationArgs);
