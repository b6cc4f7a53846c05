import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { node, pod } from '../../test/fixtures';
import { CycleState } from '../framework/cycle-state';
import { NodeInfo } from '../framework/node-info';
import { NodeResourcesBalancedAllocation, balancedResourceScorer } from './node-resources-balanced-allocation';

describe('NodeResourcesBalancedAllocation', () => {
  it.each([
    ['equal fractions are perfectly balanced', [2, 2], [4, 4], 100],
    ['cpu 50% and memory 0% deviate by 25%', [2, 0], [4, 4], 75],
    ['fractions above 1 are capped', [8, 0], [4, 4], 50],
    ['a resource with no allocatable is left out', [2, 2], [4, 0], 100],
    ['three resources use the standard deviation', [0, 2, 4], [4, 4, 4], 59],
  ])('%s', (_n, req, alloc, want) => {
    expect(balancedResourceScorer(req, alloc)).toBe(want);
  });

  it('prefers the node where the pod keeps cpu and memory balanced', () => {
    const pl = new NodeResourcesBalancedAllocation();
    const s = new CycleState();
    const p = pod('p', { cpu: '1', memory: '1Gi' });
    const cpuHeavy = new NodeInfo(node('cpu-heavy', { cpu: '4', memory: '4Gi' }), pod('a', { cpu: '3' }));
    const even = new NodeInfo(node('even', { cpu: '4', memory: '4Gi' }), pod('b', { cpu: '1', memory: '1Gi' }));
    expect(pl.preScore(s, p).isSuccess()).toBe(true);
    expect(pl.score(s, p, even)).toBe(100);
    // cpu (3+1)/4 = 1, memory 1/4: deviation 0.375
    expect(pl.score(s, p, cpuHeavy)).toBe(62);
  });

  it('skips best-effort pods', () => {
    expect(new NodeResourcesBalancedAllocation().preScore(new CycleState(), pod('p')).isSkip()).toBe(true);
  });
});

describe('NodeResourcesBalancedAllocation: the cpu-and-memory fast path', () => {
  // An extended resource the pod does not request is left out of the score, and makes
  // the plugin take the general (vector) path: both must agree.
  it('scores as the general path does', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('0', '2', '8'),
        fc.constantFrom('0', '4Gi', '32Gi'),
        fc.array(fc.record({ cpuMilli: fc.integer({ min: 0, max: 9000 }), memMi: fc.integer({ min: 0, max: 40_000 }) }), { maxLength: 6 }),
        fc.record({ cpuMilli: fc.integer({ min: 1, max: 3000 }), memMi: fc.integer({ min: 1, max: 9000 }) }),
        (cpu, memory, existing, want) => {
          const n = new NodeInfo(
            node('n', { cpu, memory }),
            ...existing.map((e, i) => pod(`e${i}`, { cpu: e.cpuMilli ? `${e.cpuMilli}m` : undefined, memory: e.memMi ? `${e.memMi}Mi` : undefined })),
          );
          const p = pod('p', { cpu: `${want.cpuMilli}m`, memory: `${want.memMi}Mi` });
          const score = (resources: { name: string; weight: number }[]) => {
            const pl = new NodeResourcesBalancedAllocation({ resources });
            const s = new CycleState();
            pl.preScore(s, p);
            return pl.score(s, p, n);
          };
          const cpuMemory = [{ name: 'memory', weight: 2 }, { name: 'cpu', weight: 1 }];
          expect(score(cpuMemory)).toBe(score([...cpuMemory, { name: 'example.com/gpu', weight: 1 }]));
        },
      ),
      { numRuns: 300 },
    );
  });
});
