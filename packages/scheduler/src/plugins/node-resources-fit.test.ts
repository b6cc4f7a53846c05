import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { node, pod } from '../../test/fixtures';
import { CycleState } from '../framework/cycle-state';
import { NodeInfo } from '../framework/node-info';
import { NodeResourcesFit, brokenLinearFunction, type NodeResourcesFitArgs } from './node-resources-fit';

const GPU = 'example.com/gpu';

function filter(p: ReturnType<typeof pod>, n: NodeInfo, args: NodeResourcesFitArgs = {}) {
  const pl = new NodeResourcesFit(args);
  const s = new CycleState();
  pl.preFilter(s, p);
  return pl.filter(s, p, n);
}

describe('NodeResourcesFit filter', () => {
  const busy = () => new NodeInfo(node('n', { cpu: '2', memory: '2Gi', pods: '3', extra: { [GPU]: '2', 'ephemeral-storage': '10Gi' } }), pod('a', { cpu: '1', memory: '1Gi' }));
  it.each([
    ['a pod that fits in what is left', pod('p', { cpu: '1', memory: '1Gi' }), 'Success', []],
    ['too much cpu', pod('p', { cpu: '1500m' }), 'Unschedulable', ['Insufficient cpu']],
    ['too much memory', pod('p', { memory: '1536Mi' }), 'Unschedulable', ['Insufficient memory']],
    ['too much cpu and memory: both reasons', pod('p', { cpu: '2', memory: '2Gi' }), 'Unschedulable', ['Insufficient cpu', 'Insufficient memory']],
    ['more than the node has at all: preemption cannot help', pod('p', { cpu: '3' }), 'UnschedulableAndUnresolvable', ['Insufficient cpu']],
    ['an extended resource the node has', pod('p', { extra: { [GPU]: '2' } }), 'Success', []],
    ['an extended resource beyond what the node has', pod('p', { extra: { [GPU]: '3' } }), 'UnschedulableAndUnresolvable', [`Insufficient ${GPU}`]],
    ['an extended resource the node lacks', pod('p', { extra: { 'example.com/fpga': '1' } }), 'UnschedulableAndUnresolvable', ['Insufficient example.com/fpga']],
    ['ephemeral-storage', pod('p', { extra: { 'ephemeral-storage': '11Gi' } }), 'UnschedulableAndUnresolvable', ['Insufficient ephemeral-storage']],
    ['a best-effort pod always fits resources', pod('p'), 'Success', []],
    ['pod overhead counts', pod('p', { cpu: '900m', overhead: { cpu: '200m' } }), 'Unschedulable', ['Insufficient cpu']],
    ['init containers: the max of an init container and the sum of containers', pod('p', { cpu: '100m', initContainers: [{ name: 'init', image: 'x', resources: { requests: { cpu: '1500m' } } }] }), 'Unschedulable', ['Insufficient cpu']],
    ['init containers run one at a time', pod('p', { cpu: '500m', initContainers: [{ name: 'i1', image: 'x', resources: { requests: { cpu: '800m' } } }, { name: 'i2', image: 'x', resources: { requests: { cpu: '800m' } } }] }), 'Success', []],
  ])('%s', (_n, p, code, reasons) => {
    const s = filter(p, busy());
    expect(s.code).toBe(code);
    expect(s.reasons).toEqual(reasons);
  });

  it('counts pods: Too many pods', () => {
    const n = new NodeInfo(node('n', { pods: '2' }), pod('a'), pod('b'));
    expect(filter(pod('p'), n).reasons).toEqual(['Too many pods']);
  });

  it('ignores the extended resources it is told to', () => {
    expect(filter(pod('p', { extra: { [GPU]: '9' } }), busy(), { ignoredResources: [GPU] }).isSuccess()).toBe(true);
    expect(filter(pod('p', { extra: { [GPU]: '9' } }), busy(), { ignoredResourceGroups: ['example.com'] }).isSuccess()).toBe(true);
  });
});

describe('NodeResourcesFit score', () => {
  const nodes = () => [
    new NodeInfo(node('empty', { cpu: '4', memory: '4Gi' })),
    new NodeInfo(node('half', { cpu: '4', memory: '4Gi' }), pod('a', { cpu: '2', memory: '2Gi' })),
  ];
  const scores = (args: NodeResourcesFitArgs, p = pod('p', { cpu: '1', memory: '1Gi' })) => {
    const pl = new NodeResourcesFit(args);
    const s = new CycleState();
    pl.preScore(s, p);
    return Object.fromEntries(nodes().map((n) => [n.name, pl.score(s, p, n)]));
  };
  it.each<[string, NodeResourcesFitArgs, Record<string, number>]>([
    ['LeastAllocated (default) favours the empty node', {}, { empty: 75, half: 25 }],
    ['MostAllocated favours the busy node', { scoringStrategy: { type: 'MostAllocated' } }, { empty: 25, half: 75 }],
    [
      'RequestedToCapacityRatio follows the shape (bin packing)',
      { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 0, score: 0 }, { utilization: 100, score: 10 }] } } },
      { empty: 25, half: 75 },
    ],
    ['weights favour one resource', { scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 3 }, { name: 'memory', weight: 1 }] } }, { empty: 75, half: 25 }],
  ])('%s', (_n, args, want) => {
    expect(scores(args)).toEqual(want);
  });

  it('scores a best-effort pod with the non-zero defaults (100m, 200Mi)', () => {
    const s = scores({}, pod('p'));
    // empty: cpu (4000-100)/4000 → 97, memory (4096-200)/4096 → 95; mean 96
    expect(s.empty).toBe(96);
  });

  it.each([
    ['an unknown strategy', { scoringStrategy: { type: 'Cheapest' } }, /Unsupported value: "Cheapest"/],
    ['a weight out of range', { scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 0 }] } }, /should be in the range \[1, 100\]/],
    ['a shape without points', { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [] } } }, /at least one point/],
    ['an unsorted shape', { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 50, score: 1 }, { utilization: 10, score: 2 }] } } }, /increasing order/],
    ['a shape score above 10', { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 50, score: 11 }] } } }, /not in valid range \[0, 10\]/],
  ])('refuses %s', (_n, args, err) => {
    expect(() => new NodeResourcesFit(args as NodeResourcesFitArgs)).toThrow(err);
  });

  it.each([
    [0, 0],
    [25, 25],
    [50, 50],
    [75, 62],
    [100, 75],
    [120, 75],
  ])('the broken linear function at %i is %i', (x, y) => {
    const f = brokenLinearFunction([{ utilization: 0, score: 0 }, { utilization: 50, score: 50 }, { utilization: 100, score: 75 }]);
    expect(f(x)).toBe(y);
  });
});

describe('NodeResourcesFit score: the cpu-and-memory fast path', () => {
  // With an extended resource the pod does not request added to the scored resources,
  // the plugin takes the general (vector) path, and that resource is left out of the
  // score: the two configurations must agree on every node.
  const GPU_SPEC = { name: 'example.com/gpu', weight: 5 };
  it.each(['LeastAllocated', 'MostAllocated'] as const)('%s scores as the general path does', (type) => {
    fc.assert(
      fc.property(
        fc.record({ cpu: fc.integer({ min: 1, max: 9 }), cpuW: fc.integer({ min: 1, max: 100 }), memW: fc.integer({ min: 1, max: 100 }) }),
        fc.array(fc.record({ cpuMilli: fc.integer({ min: 0, max: 12_000 }), memMi: fc.integer({ min: 0, max: 40_000 }) }), { maxLength: 6 }),
        fc.record({ cpuMilli: fc.integer({ min: 0, max: 3000 }), memMi: fc.integer({ min: 0, max: 9000 }) }),
        fc.constantFrom('0', '4', '16'),
        (cfg, existing, want, memGi) => {
          const n = new NodeInfo(
            node('n', { cpu: String(cfg.cpu), memory: `${memGi}Gi` }),
            ...existing.map((e, i) => pod(`e${i}`, { cpu: e.cpuMilli ? `${e.cpuMilli}m` : undefined, memory: e.memMi ? `${e.memMi}Mi` : undefined })),
          );
          const p = pod('p', { cpu: want.cpuMilli ? `${want.cpuMilli}m` : undefined, memory: want.memMi ? `${want.memMi}Mi` : undefined });
          const resources = [{ name: 'cpu', weight: cfg.cpuW }, { name: 'memory', weight: cfg.memW }];
          const score = (rs: typeof resources) => {
            const pl = new NodeResourcesFit({ scoringStrategy: { type, resources: rs } });
            const s = new CycleState();
            pl.preScore(s, p);
            return pl.score(s, p, n);
          };
          expect(score(resources)).toBe(score([...resources, GPU_SPEC]));
        },
      ),
      { numRuns: 300 },
    );
  });
});
