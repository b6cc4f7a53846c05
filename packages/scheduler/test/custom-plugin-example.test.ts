// examples/custom-scheduler-plugin, replayed on the fake clock: the placements main.ts
// prints are asserted here, so the example cannot rot unnoticed.
import { createTestEnv, type TestEnv } from '@bosun/apiserver';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ERR_REASON_MAINTENANCE,
  Maintenance,
  NodeCost,
  exampleNodes,
  examplePod,
  exampleProfiles,
  exampleRegistry,
} from '../../../examples/custom-scheduler-plugin/node-cost';
import { CycleState, NodeInfo, Status, createScheduler, isSchedulerError, type ProfileConfig, type Scheduler, type SchedulerErrorCode } from '../src/index';
import { getPod } from './fixtures';

let env: TestEnv | undefined;
let scheduler: Scheduler | undefined;
afterEach(async () => {
  await scheduler?.stop();
  await env?.stop();
  scheduler = env = undefined;
});

async function eventually(cond: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    for (let j = 0; j < 10; j++) {
      if (await cond()) return;
      await new Promise<void>((r) => setImmediate(r));
    }
    await env!.clock.advance(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}
const boundTo = async (name: string) => {
  let node: string | undefined;
  await eventually(async () => !!(node = (await getPod(env!.client, name)).spec?.nodeName), `${name} bound`);
  return node;
};

describe('the NodeCost and Maintenance plugins on their own', () => {
  const nodes = exampleNodes().map((n) => new NodeInfo(n));
  const pod = examplePod('p', { cpu: '1' });

  it('NodeCost scores the cheapest feasible node 100 and the dearest 0, linearly', () => {
    const plugin = new NodeCost();
    const state = new CycleState();
    expect(plugin.preScore(state, pod, nodes)).toBe(Status.success);
    expect(nodes.map((n) => [n.name, plugin.score(state, pod, n)])).toEqual([
      ['node-a', 50],
      ['node-b', 100],
      ['node-c', 75],
      ['node-d', 0],
    ]);
  });

  it('NodeCost skips Score when no feasible node has a cost, and counts an unlabelled node as the dearest', () => {
    const plugin = new NodeCost({ label: 'price' });
    expect(plugin.preScore(new CycleState(), pod, nodes).isSkip()).toBe(true);
    const state = new CycleState();
    const unlabelled = new NodeInfo({ ...exampleNodes()[0], metadata: { name: 'node-x' } });
    const cheap = new NodeInfo({ ...exampleNodes()[0], metadata: { name: 'node-y', labels: { price: '1' } } });
    const dear = new NodeInfo({ ...exampleNodes()[0], metadata: { name: 'node-z', labels: { price: '9' } } });
    plugin.preScore(state, pod, [unlabelled, cheap, dear]);
    expect([unlabelled, cheap, dear].map((n) => plugin.score(state, pod, n))).toEqual([0, 100, 0]);
  });

  it('Maintenance refuses a node labelled maintenance, unresolvably', () => {
    const s = new Maintenance().filter(new CycleState(), pod, nodes[1]);
    expect(s.code).toBe('UnschedulableAndUnresolvable');
    expect(s.reasons).toEqual([ERR_REASON_MAINTENANCE]);
    expect(new Maintenance().filter(new CycleState(), pod, nodes[0]).isSuccess()).toBe(true);
  });
});

describe('examples/custom-scheduler-plugin/main.ts, replayed', () => {
  it('places pods as the example prints: cheapest node, Pending under maintenance, then bound; batch packs', async () => {
    env = await createTestEnv();
    for (const n of exampleNodes()) await env.client.create(n);
    scheduler = createScheduler({ client: env.client, clock: env.clock, random: () => 0, registry: exampleRegistry(), profiles: exampleProfiles });
    void scheduler.run();
    expect(scheduler.frameworks.get('default-scheduler')!.weights.get('NodeCost')).toBe(5);
    expect(scheduler.frameworks.get('batch')!.scorePlugins.map((p) => p.name)).not.toContain('NodeResourcesBalancedAllocation');

    for (let i = 0; i < 3; i++) {
      await env.client.create(examplePod(`web-${i}`, { cpu: '1' }));
      expect(await boundTo(`web-${i}`)).toBe('node-c');
    }
    await env.client.create(examplePod('web-3', { cpu: '2' }));
    expect(await boundTo('web-3')).toBe('node-a');

    await env.client.create(examplePod('pinned', { cpu: '500m', hostname: 'node-b' }));
    const msg =
      "0/4 nodes are available: 1 node(s) were under maintenance, 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.";
    await eventually(async () => (await getPod(env!.client, 'pinned')).status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable' && c.message === msg) ?? false, 'pinned Unschedulable');
    await env.client.patch('v1', 'Node', '', 'node-b', { metadata: { labels: { maintenance: null } } }, { type: 'merge' });
    expect(await boundTo('pinned')).toBe('node-b');

    for (const [i, node] of ['node-c', 'node-a'].entries()) {
      await env.client.create(examplePod(`batch-${i}`, { cpu: '1', schedulerName: 'batch' }));
      expect(await boundTo(`batch-${i}`)).toBe(node);
    }
  });

  it.each<[string, Omit<ProfileConfig, 'schedulerName'>, SchedulerErrorCode]>([
    ['bad NodeCost args', { pluginConfig: { NodeCost: { label: '' } }, plugins: { multiPoint: { enabled: [{ name: 'NodeCost' }] } } }, 'InvalidPluginArgs'],
    ['Maintenance enabled at score', { plugins: { score: { enabled: [{ name: 'Maintenance' }] } } }, 'ExtensionPointNotImplemented'],
  ])('refuses %s at start', async (_what, profile, code) => {
    env = await createTestEnv();
    let err: unknown;
    try {
      createScheduler({ client: env.client, clock: env.clock, registry: exampleRegistry(), profiles: [{ schedulerName: 'x', ...profile }] });
    } catch (e) {
      err = e;
    }
    expect(isSchedulerError(err, code)).toBe(true);
  });
});
