import type { NodeInfo } from '../framework/node-info';
import { CPU, MEMORY, type Resource } from '../framework/resource';

/** A resource scored, with its weight (1–100). */
export interface ResourceSpec {
  name: string;
  weight: number;
}

/** cpu and memory, weight 1 each: the default resources of the scoring strategies. */
export const DEFAULT_RESOURCE_SPECS: readonly ResourceSpec[] = Object.freeze([
  { name: CPU, weight: 1 },
  { name: MEMORY, weight: 1 },
]);

/**
 * Scores per-resource requested/allocatable vectors (aligned with the ResourceSpecs;
 * allocatable 0 = skip). The arrays are scratch space reused by the next call: read them,
 * do not keep them.
 */
export type ResourceScorer = (requested: number[], allocatable: number[]) => number;

// Scratch vectors: scoring runs for every feasible node of every cycle, and two fresh
// arrays per call were a tenth of the scheduler's garbage.
const scratchRequested: number[] = [];
const scratchAllocatable: number[] = [];

/**
 * The common part of the resource scoring plugins, as upstream's resourceAllocationScorer:
 * for each resource, what the node would have requested with the pod (cpu and memory
 * with non-zero defaults unless `useRequested`), and its allocatable. An extended
 * resource the pod does not request is left out.
 */
export function scoreResourceAllocation(
  node: NodeInfo,
  podReq: Resource,
  podNonZero: Resource,
  resources: readonly ResourceSpec[],
  scorer: ResourceScorer,
  useRequested: boolean,
): number {
  const requested = scratchRequested;
  const allocatable = scratchAllocatable;
  // Setting an array's length is slow: only when the resource list changed size.
  if (requested.length !== resources.length) requested.length = allocatable.length = resources.length;
  for (let i = 0; i < resources.length; i++) {
    requested[i] = allocatable[i] = 0;
    const name = resources[i].name;
    const alloc = node.allocatable.get(name);
    const isCpuMem = name === CPU || name === MEMORY;
    const podAmount = useRequested || !isCpuMem ? podReq.get(name) : podNonZero.get(name);
    if (!isCpuMem && podAmount === 0) continue;
    if (alloc === 0) continue;
    const nodeAmount = useRequested || !isCpuMem ? node.requested.get(name) : node.nonZeroRequested.get(name);
    allocatable[i] = alloc;
    requested[i] = nodeAmount + podAmount;
  }
  return scorer(requested, allocatable);
}

/**
 * The weights of cpu and memory when `resources` is exactly those two (in either order):
 * the defaults and the usual configuration. Scorers then read the two fields of the
 * node's Resources directly instead of going through {@link scoreResourceAllocation}'s
 * vectors (scoring runs for every feasible node of every cycle).
 */
export function cpuMemoryWeights(resources: readonly ResourceSpec[]): { cpu: number; memory: number } | undefined {
  if (resources.length !== 2) return undefined;
  const cpu = resources.find((r) => r.name === CPU);
  const memory = resources.find((r) => r.name === MEMORY);
  return cpu && memory ? { cpu: cpu.weight, memory: memory.weight } : undefined;
}

/** Validates a ResourceSpec list (names set and unique, weights integers in [1, 100]). */
export function validateResourceSpecs(specs: readonly ResourceSpec[], path: string): void {
  const seen = new Set<string>();
  specs.forEach((r, i) => {
    if (!r.name) throw new Error(`${path}[${i}].name: Required value`);
    if (seen.has(r.name)) throw new Error(`${path}[${i}].name: Duplicate value: ${JSON.stringify(r.name)}`);
    seen.add(r.name);
    if (!Number.isInteger(r.weight) || r.weight < 1 || r.weight > 100) throw new Error(`${path}[${i}].weight: Invalid value: ${r.weight}: resource weight of ${r.name} should be in the range [1, 100]`);
  });
}
