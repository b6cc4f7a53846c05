import { FakeClock } from '@bosun/api';
import { createTestEnv, type TestEnv } from '@bosun/apiserver';
import { afterEach, describe, expect, it } from 'vitest';
import { createScheduler, Registry, Status, type FilterPlugin, type Plugin, type Scheduler, type ScorePlugin } from '../src/index';
import type { NodeInfo } from '../src/index';
import { apiNode, apiPod, eventsFor, getPod, until } from './fixtures';

let env: TestEnv;
let scheduler: Scheduler | undefined;

async function start(opts: Partial<Parameters<typeof createScheduler>[0]> = {}): Promise<Scheduler> {
  env ??= await createTestEnv({ clock: new FakeClock() });
  scheduler = createScheduler({ client: env.client, clock: env.clock, random: () => 0, ...opts });
  void scheduler.run();
  return scheduler;
}

async function newEnv(): Promise<TestEnv> {
  env = await createTestEnv({ clock: new FakeClock() });
  return env;
}

afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
  await env?.stop();
});

const nodeOf = async (name: string) => (await getPod(env.client, name)).spec?.nodeName;

describe('scheduling against the in-memory API server', () => {
  it('binds pods to the nodes that fit them and marks them PodScheduled', async () => {
    await newEnv();
    await env.client.create(apiNode('small', { cpu: '1' }));
    await env.client.create(apiNode('big', { cpu: '8', labels: { disk: 'ssd' } }));
    await start();
    await env.client.create(apiPod('web-0', { cpu: '2' }));
    await env.client.create(apiPod('ssd-0', { nodeSelector: { disk: 'ssd' } }));
    await until(async () => (await nodeOf('web-0')) !== undefined && (await nodeOf('ssd-0')) !== undefined);
    expect(await nodeOf('web-0')).toBe('big');
    expect(await nodeOf('ssd-0')).toBe('big');
    await until(async () => (await getPod(env.client, 'web-0')).status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'True') ?? false);
    await scheduler!.stop();
    const events = await eventsFor(env.client, 'web-0');
    expect(events).toContainEqual(expect.objectContaining({ type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned default/web-0 to big' }));
  });

  it('leaves an unschedulable pod Pending with the aggregated message, then schedules it when a fitting node is added', async () => {
    await newEnv();
    await env.client.create(apiNode('n1', { cpu: '1' }));
    await env.client.create(apiNode('n2', { cpu: '1' }));
    await env.client.create(apiNode('g1', { cpu: '8', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));
    await env.client.create(apiNode('g2', { cpu: '8', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));
    await env.client.create(apiNode('g3', { cpu: '8', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));
    await start();
    await env.client.create(apiPod('web-0', { cpu: '2' }));
    // DefaultPreemption adds its part, as upstream: none of these nodes can be helped by evicting pods.
    const msg = '0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.';
    await until(async () => (await getPod(env.client, 'web-0')).status?.conditions?.some((c) => c.type === 'PodScheduled') ?? false);
    const p = await getPod(env.client, 'web-0');
    expect(p.spec?.nodeName).toBeUndefined();
    expect(p.status?.phase).toBe('Pending');
    expect(p.status?.conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: msg }));
    await until(async () => (await eventsFor(env.client, 'web-0')).length > 0);
    expect(await eventsFor(env.client, 'web-0')).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'FailedScheduling', message: msg }));
    expect(scheduler!.queue.counts().unschedulable).toBe(1);

    await env.client.create(apiNode('n3', { cpu: '4' }));
    // The node-added event moves it out of the unschedulable pods, into backoffQ (its 1 s backoff is not over).
    await until(() => scheduler!.queue.counts().backoff === 1, 5000, 'moved to backoffQ');
    expect(scheduler!.queue.counts().unschedulable).toBe(0);
    await env.clock.advance(1000);
    await until(async () => (await nodeOf('web-0')) === 'n3', 5000, 'web-0 bound to n3');
  });

  it('keeps a nodeSelector gpu: "true" pod Pending until a node is labelled (seeds example)', async () => {
    await newEnv();
    await env.client.create(apiNode('n1'));
    const s = await start();
    await env.client.create(apiPod('cuda', { nodeSelector: { gpu: 'true' } }));
    const msg = "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
    await until(async () => (await getPod(env.client, 'cuda')).status?.conditions?.some((c) => c.message === msg) ?? false, 5000, 'Unschedulable condition');
    await env.client.patch('v1', 'Node', '', 'n1', { metadata: { labels: { gpu: 'true' } } }, { type: 'merge' });
    await until(() => s.queue.counts().unschedulable === 0, 5000, 'moved by the node update');
    await env.clock.advance(1000);
    await until(async () => (await nodeOf('cuda')) === 'n1', 5000, 'bound after labelling');
  });

  it('a custom Filter + Score plugin registered by the user changes placement', async () => {
    await newEnv();
    for (const n of ['a-1', 'a-2', 'b-1']) await env.client.create(apiNode(n));
    class OnlyA implements FilterPlugin {
      readonly name = 'OnlyA';
      filter(_s: unknown, _p: unknown, node: NodeInfo) {
        return node.name.startsWith('a-') ? Status.success : Status.unschedulable('node(s) are not in group a');
      }
    }
    class PreferA2 implements ScorePlugin {
      readonly name = 'PreferA2';
      score(_s: unknown, _p: unknown, node: NodeInfo) {
        return node.name === 'a-2' ? 100 : 0;
      }
    }
    const registry = new Registry().register('OnlyA', () => new OnlyA()).register('PreferA2', () => new PreferA2());
    await start({
      registry,
      profiles: [{ schedulerName: 'default-scheduler', plugins: { filter: { enabled: [{ name: 'OnlyA' }] }, score: { enabled: [{ name: 'PreferA2', weight: 50 }] } } }],
    });
    for (let i = 0; i < 3; i++) await env.client.create(apiPod(`p-${i}`));
    await until(async () => (await Promise.all([0, 1, 2].map((i) => nodeOf(`p-${i}`)))).every(Boolean));
    expect(await Promise.all([0, 1, 2].map((i) => nodeOf(`p-${i}`)))).toEqual(['a-2', 'a-2', 'a-2']);
  });

  it('only schedules pods whose schedulerName names a profile', async () => {
    await newEnv();
    await env.client.create(apiNode('n1'));
    await start({ profiles: [{ schedulerName: 'default-scheduler' }, { schedulerName: 'batch', plugins: { score: { disabled: [{ name: '*' }] } } }] });
    await env.client.create(apiPod('mine', { schedulerName: 'batch' }));
    await env.client.create(apiPod('other', { schedulerName: 'someone-else' }));
    await until(async () => (await nodeOf('mine')) === 'n1');
    await scheduler!.idle();
    expect(await nodeOf('other')).toBeUndefined();
  });

  it('a binding failure unreserves, forgets the assumed pod and retries with backoff on the clock', async () => {
    await newEnv();
    await env.client.create(apiNode('n1', { cpu: '1' }));
    let calls = 0;
    const unreserved: string[] = [];
    const reserved: string[] = [];
    const registry = new Registry().register('Track', () => ({
      name: 'Track',
      reserve: (_s: unknown, p: { metadata?: { name?: string } }) => void reserved.push(p.metadata!.name!),
      unreserve: (_s: unknown, p: { metadata?: { name?: string } }) => void unreserved.push(p.metadata!.name!),
    }) as Plugin);
    const binder = async (ns: string, name: string, nodeName: string) => {
      calls++;
      if (calls === 1) throw new Error('etcd is on fire');
      return env.client.bind!(ns, name, nodeName);
    };
    const s = await start({ registry, profiles: [{ schedulerName: 'default-scheduler', plugins: { reserve: { enabled: [{ name: 'Track' }] } }, pluginConfig: { DefaultBinder: { binder } } }] });
    await env.client.create(apiPod('p', { cpu: '1' }));
    await until(() => calls === 1 && unreserved.length === 1, 5000, 'first bind attempt');
    await until(() => s.queue.counts().backoff === 1, 5000, 'backoff');
    expect(s.cache.dumpNode('n1')?.pods.length ?? 0).toBe(0);
    await until(async () => (await eventsFor(env.client, 'p')).some((e) => e.reason === 'FailedScheduling'));
    expect((await eventsFor(env.client, 'p')).find((e) => e.reason === 'FailedScheduling')?.message).toContain('etcd is on fire');
    await env.clock.advance(999);
    expect(calls).toBe(1);
    await env.clock.advance(1);
    await until(async () => (await nodeOf('p')) === 'n1', 5000, 'bound after backoff');
    expect(calls).toBe(2);
    expect(reserved).toEqual(['p', 'p']);
  });

  it('places 500 pods on 100 nodes without over-committing any node', async () => {
    await newEnv();
    for (let i = 0; i < 100; i++) await env.client.create(apiNode(`node-${i}`, { cpu: '2500m', memory: '4Gi', pods: '10' }));
    const s = await start();
    await until(() => s.cache.nodeCount() === 100);
    for (let i = 0; i < 500; i++) await env.client.create(apiPod(`p-${i}`, { cpu: i % 2 ? '300m' : '500m', memory: '512Mi' }));
    const pods = async () => (await env.client.list('v1', 'Pod', { namespace: 'default' })).items;
    await until(async () => (await pods()).filter((p) => p.spec?.nodeName).length === 500, 60_000, 'all pods bound');
    const perNode = new Map<string, { cpu: number; mem: number; n: number }>();
    for (const p of await pods()) {
      const e = perNode.get(p.spec!.nodeName!) ?? { cpu: 0, mem: 0, n: 0 };
      e.cpu += p.spec!.containers[0].resources!.requests!.cpu === '300m' ? 300 : 500;
      e.mem += 512;
      e.n++;
      perNode.set(p.spec!.nodeName!, e);
    }
    for (const e of perNode.values()) {
      expect(e.cpu).toBeLessThanOrEqual(2500);
      expect(e.mem).toBeLessThanOrEqual(4096);
      expect(e.n).toBeLessThanOrEqual(10);
    }
  }, 120_000);
});

describe('profiles are checked at start', () => {
  it.each([
    ['an unknown plugin', { plugins: { filter: { enabled: [{ name: 'Nope' }] } } }, /no plugin named "Nope"/],
    ['a plugin enabled at a point it does not implement', { plugins: { score: { enabled: [{ name: 'NodeName' }] } } }, /"NodeName" is enabled at score but does not implement it/],
    ['a score weight out of range', { plugins: { score: { enabled: [{ name: 'ImageLocality', weight: 0 }] } } }, /weights must be integers in \[1, 100\]/],
    ['bad plugin args', { pluginConfig: { NodeResourcesFit: { scoringStrategy: { type: 'Cheapest' } } } }, /scoringStrategy.type: Unsupported value: "Cheapest"/],
    ['no queueSort plugin', { plugins: { queueSort: { disabled: [{ name: '*' }] } } }, /exactly one queueSort plugin/],
    ['no bind plugin', { plugins: { bind: { disabled: [{ name: 'DefaultBinder' }] } } }, /at least one bind plugin/],
  ])('refuses %s', async (_name, profile, error) => {
    const e = await createTestEnv();
    try {
      expect(() => createScheduler({ client: e.client, clock: e.clock, profiles: [{ schedulerName: 'default-scheduler', ...profile }] })).toThrow(error);
    } finally {
      await e.stop();
    }
  });

  it('refuses a registry with a duplicate plugin name', () => {
    expect(() => new Registry().register('X', () => ({ name: 'X' })).register('X', () => ({ name: 'X' }))).toThrow(/already exists/);
  });
});
