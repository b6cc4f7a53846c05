import { FakeClock, type Pod, type PodDisruptionBudget } from '@bosun/api';
import { describe, expect, it } from 'vitest';
import { node, pod } from '../../test/fixtures';
import { CycleState } from '../framework/cycle-state';
import { Framework } from '../framework/framework';
import { NodeInfo } from '../framework/node-info';
import { Nominator } from '../framework/nominator';
import { Snapshot } from '../framework/snapshot';
import type { Status } from '../framework/status';
import { DefaultPreemption, type Candidate } from './default-preemption';
import { DEFAULT_PLUGINS, DEFAULT_SCORE_WEIGHTS, inTreeRegistry } from './registry';

function setup(nodes: NodeInfo[], opts: { pdbs?: PodDisruptionBudget[]; nominator?: Nominator } = {}) {
  const registry = inTreeRegistry();
  registry.unregister('DefaultPreemption');
  let plugin: DefaultPreemption | undefined;
  registry.register('DefaultPreemption', (_a, h) => (plugin = new DefaultPreemption(h, () => opts.pdbs ?? [])));
  const snap = Snapshot.of(nodes);
  const f = new Framework({ registry, profile: { schedulerName: 'default-scheduler' }, defaultPlugins: DEFAULT_PLUGINS, defaultWeights: DEFAULT_SCORE_WEIGHTS, clock: new FakeClock(), snapshot: () => snap, nominator: opts.nominator });
  const run = async (p: Pod) => {
    const state = new CycleState();
    f.runPreFilterPlugins(state, p, nodes);
    const statuses = new Map<string, Status>();
    for (const n of nodes) {
      const s = f.runFilterPluginsWithNominatedPods(state, p, n);
      if (!s.isSuccess()) statuses.set(n.name, s);
    }
    return plugin!.postFilter(state, p, statuses);
  };
  return { f, plugin: plugin!, run };
}

const names = (ps: Pod[]) => ps.map((p) => p.metadata?.name);

describe('DefaultPreemption victims', () => {
  it.each<[string, Pod[], Pod, string[]]>([
    [
      'removes the fewest lower-priority pods, reprieving the more important first',
      [pod('low', { cpu: '1', priority: 1 }), pod('mid', { cpu: '1', priority: 5 }), pod('high', { cpu: '1', priority: 100 })],
      pod('p', { cpu: '2', priority: 10 }),
      ['low'],
    ],
    [
      'takes several victims when one is not enough, the more important first',
      [pod('low', { cpu: '1', priority: 1 }), pod('mid', { cpu: '1', priority: 5 }), pod('high', { cpu: '1', priority: 100 })],
      pod('p', { cpu: '3', priority: 10 }),
      ['mid', 'low'],
    ],
    [
      'equal priority: the pod that started later is less important',
      [pod('old', { cpu: '2', priority: 1 }), pod('new', { cpu: '2', priority: 1 })].map((p, i) => ({ ...p, status: { startTime: `2026-01-0${i + 1}T00:00:00Z` } })),
      pod('p', { cpu: '2', priority: 10 }),
      ['new'],
    ],
  ])('%s', (_n, existing, p, want) => {
    const n = new NodeInfo(node('n1', { cpu: '4' }), ...existing);
    const { plugin, f } = setup([n]);
    const state = new CycleState();
    f.runPreFilterPlugins(state, p, [n]);
    const r = plugin.selectVictimsOnNode(state, p, n.clone(), []);
    expect(r.status.isSuccess()).toBe(true);
    expect(names(r.victims)).toEqual(want);
  });

  it('prefers victims whose eviction keeps a PodDisruptionBudget, and counts violations', () => {
    const guarded = pod('guarded', { cpu: '2', priority: 1, labels: { app: 'db' } });
    const free = pod('free', { cpu: '2', priority: 1, labels: { app: 'web' } });
    const pdb: PodDisruptionBudget = { metadata: { name: 'db', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'db' } } }, status: { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } };
    const n = new NodeInfo(node('n1', { cpu: '4' }), guarded, free);
    const { plugin, f } = setup([n]);
    const p = pod('p', { cpu: '2', priority: 10 });
    const state = new CycleState();
    f.runPreFilterPlugins(state, p, [n]);
    const one = plugin.selectVictimsOnNode(state.clone(), p, n.clone(), [pdb]);
    expect([names(one.victims), one.numPDBViolations]).toEqual([['free'], 0]);
    const big = pod('big', { cpu: '4', priority: 10 });
    const bigState = new CycleState();
    f.runPreFilterPlugins(bigState, big, [n]);
    const all = plugin.selectVictimsOnNode(bigState, big, n.clone(), [pdb]);
    expect([names(all.victims).sort(), all.numPDBViolations]).toEqual([['free', 'guarded'], 1]);
  });
});

describe('DefaultPreemption picks a node', () => {
  const v = (name: string, priority: number, start = '2026-01-01T00:00:00Z'): Pod => ({ ...pod(name, { priority }), status: { startTime: start } });
  const c = (nodeName: string, victims: Pod[], numPDBViolations = 0): Candidate => ({ nodeName, victims, numPDBViolations });
  it.each<[string, Candidate[], string]>([
    ['fewest PDB violations first', [c('a', [v('x', 1)], 1), c('b', [v('y', 5), v('z', 5)], 0)], 'b'],
    ['then the lowest highest-victim priority', [c('a', [v('x', 5)]), c('b', [v('y', 3), v('z', 1)])], 'b'],
    ['then the smallest sum of priorities', [c('a', [v('x', 3), v('w', 3)]), c('b', [v('y', 3), v('z', 1)])], 'b'],
    ['then the fewest victims', [c('a', [v('x', 3), v('w', -5), v('u', 0)]), c('b', [v('y', 3), v('z', 1), v('t', -5)]), c('d', [v('s', 3), v('r', -1)])], 'd'],
    ['then the latest start of the highest-priority victims', [c('a', [v('x', 3, '2026-01-01T00:00:00Z')]), c('b', [v('y', 3, '2026-01-02T00:00:00Z')])], 'b'],
    ['then the first', [c('a', [v('x', 3)]), c('b', [v('y', 3)])], 'a'],
  ])('%s', (_n, candidates, want) => {
    const { plugin } = setup([]);
    expect(plugin.selectCandidate(candidates).nodeName).toBe(want);
  });
});

describe('DefaultPreemption postFilter', () => {
  it.each<[string, Pod[], Pod, { code: string; message: string; nominated?: string }]>([
    ['nominates the node where evicting a lower-priority pod makes room', [pod('low', { cpu: '3', priority: 1 })], pod('p', { cpu: '2', priority: 10 }), { code: 'Success', message: '', nominated: 'n1' }],
    [
      'a pod with preemptionPolicy Never does not preempt',
      [pod('low', { cpu: '3', priority: 1 })],
      pod('p', { cpu: '2', priority: 10, preemptionPolicy: 'Never' }),
      { code: 'Unschedulable', message: 'preemption: not eligible due to preemptionPolicy=Never.' },
    ],
    [
      'no lower-priority pod to evict',
      [pod('peer', { cpu: '3', priority: 10 })],
      pod('p', { cpu: '2', priority: 10 }),
      { code: 'Unschedulable', message: 'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.', nominated: '' },
    ],
    [
      'evicting cannot help a pod larger than the node',
      [pod('low', { cpu: '3', priority: 1 })],
      pod('p', { cpu: '8', priority: 10 }),
      { code: 'Unschedulable', message: 'preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.', nominated: '' },
    ],
  ])('%s', async (_n, existing, p, want) => {
    const { run } = setup([new NodeInfo(node('n1', { cpu: '4' }), ...existing)]);
    const r = await run(p);
    expect({ code: r.status.code, message: r.status.message(), nominated: r.nominatedNodeName }).toEqual(want);
  });
});

describe('nominated pods', () => {
  it.each<[string, number, boolean]>([
    ['a lower-priority pod does not take room held for a nominated pod', 5, false],
    ['an equal-priority pod does not either', 10, false],
    ['a higher-priority pod ignores the nomination', 20, true],
  ])('%s', (_n, priority, fits) => {
    const nominator = new Nominator();
    nominator.add(pod('nominee', { cpu: '3', priority: 10 }), 'n1');
    const n = new NodeInfo(node('n1', { cpu: '4' }));
    const { f } = setup([n], { nominator });
    const p = pod('p', { cpu: '2', priority });
    const state = new CycleState();
    f.runPreFilterPlugins(state, p, [n]);
    const s = f.runFilterPluginsWithNominatedPods(state, p, n);
    expect(s.isSuccess()).toBe(fits);
    if (!fits) expect(s.reasons).toEqual(['Insufficient cpu']);
  });
});
