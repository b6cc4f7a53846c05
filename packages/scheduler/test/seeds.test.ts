// The study notes' scheduling examples (/work/shared/seeds 003 §3.5 and §4.4, 004 §亲和性 and
// §污点), end to end: objects decoded from the notes' YAML (test/fixtures/seeds/, or the
// notes' text where the example is a fragment), created through the API of an in-memory
// server, scheduled by a running scheduler on the fake clock. What scheduler.test.ts and
// default-plugins.test.ts already check is not repeated here.
import { readFileSync } from 'node:fs';
import { decodeAll, type Node, type Pod, type core } from '@bosun/api';
import { createTestEnv, type TestEnv } from '@bosun/apiserver';
import { createManager, type Manager } from '@bosun/controller-runtime';
import { addDaemonSetController } from '@bosun/controllers';
import { afterEach, describe, expect, it } from 'vitest';
import { createScheduler, type Scheduler } from '../src/index';
import { apiNode, eventsFor, getPod } from './fixtures';

const seed = (file: string) => readFileSync(new URL(`../../../test/fixtures/seeds/${file}`, import.meta.url), 'utf8');

let env: TestEnv | undefined;
let scheduler: Scheduler | undefined;
let manager: Manager | undefined;

afterEach(async () => {
  await scheduler?.stop();
  await manager?.stop();
  await env?.stop();
  scheduler = manager = env = undefined;
});

async function startCluster(nodes: Node[]): Promise<{ env: TestEnv; scheduler: Scheduler }> {
  env = await createTestEnv();
  for (const n of nodes) await env.client.create(n);
  scheduler = createScheduler({ client: env.client, clock: env.clock, random: () => 0 });
  void scheduler.run();
  await eventually(() => scheduler!.cache.nodeCount() === nodes.length, 'the scheduler to see every node');
  return { env, scheduler };
}

/**
 * Polls `cond`, letting promise chains run and stepping the fake clock 100 ms at a time
 * (so backoff timers fire); gives up after 30 s of fake time.
 */
async function eventually(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    for (let j = 0; j < 10; j++) {
      if (await cond()) return;
      await new Promise<void>((r) => setImmediate(r));
    }
    await env!.clock.advance(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const nodeOf = async (name: string, ns = 'default') => (await getPod(env!.client, name, ns)).spec?.nodeName;
const podScheduled = async (name: string) => (await getPod(env!.client, name)).status?.conditions?.find((c) => c.type === 'PodScheduled');
/** The message a pod that fits nowhere gets, DefaultPreemption's part included (nothing here can be helped by preemption). */
const unschedulable = (n: number, reasons: string) => `0/${n} nodes are available: ${reasons}. preemption: 0/${n} nodes are available: ${n} Preemption is not helpful for scheduling.`;

/** Settles a pod: bound (its node) or Unschedulable (its PodScheduled message). */
async function outcome(name: string): Promise<string> {
  let result = '';
  await eventually(async () => {
    const p = await getPod(env!.client, name);
    const c = p.status?.conditions?.find((x) => x.type === 'PodScheduled');
    if (p.spec?.nodeName) result = p.spec.nodeName;
    else if (c?.status === 'False' && c.reason === 'Unschedulable') result = `Pending: ${c.message}`;
    return result !== '';
  }, `pod ${name} bound or Unschedulable`);
  return result;
}

describe('seed 003 §3.5: nodeSelector gpu: "true"', () => {
  // The notes elide the containers (`containers: #...`); one is added so the pod is valid.
  const kubiaGpu = `apiVersion: v1
kind: Pod
metadata:
  name: kubia-gpu
spec:
  nodeSelector:
    gpu: "true" # 当无可用 node 时 pod 一直处于 Pending 状态
  containers:
    - image: wuyinio/kubia:2
      name: kubia
`;

  it('stays Pending with a FailedScheduling event while no node is labelled gpu=true, then is bound to the node labelled', async () => {
    const { env, scheduler } = await startCluster([apiNode('node-1'), apiNode('node-2', { labels: { gpu: 'false' } })]);
    const [pod] = decodeAll(kubiaGpu);
    expect((pod as Pod).spec?.nodeSelector).toEqual({ gpu: 'true' });
    await env.client.create(pod);
    const msg = unschedulable(2, "2 node(s) didn't match Pod's node affinity/selector");
    expect(await outcome('kubia-gpu')).toBe(`Pending: ${msg}`);
    const p = await getPod(env.client, 'kubia-gpu');
    expect(p.status?.phase).toBe('Pending');
    expect(await podScheduled('kubia-gpu')).toMatchObject({ status: 'False', reason: 'Unschedulable', message: msg });
    await eventually(async () => (await eventsFor(env.client, 'kubia-gpu')).some((e) => e.reason === 'FailedScheduling'), 'FailedScheduling event');
    expect(await eventsFor(env.client, 'kubia-gpu')).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'FailedScheduling', message: msg }));

    // A node update that does not help (another label) leaves it Pending.
    await env.client.patch('v1', 'Node', '', 'node-1', { metadata: { labels: { disk: 'ssd' } } }, { type: 'merge' });
    await env.clock.advance(15_000);
    await scheduler.idle();
    expect(await nodeOf('kubia-gpu')).toBeUndefined();

    // kubectl label node node-2 gpu=true --overwrite
    await env.client.patch('v1', 'Node', '', 'node-2', { metadata: { labels: { gpu: 'true' } } }, { type: 'merge' });
    await eventually(async () => (await nodeOf('kubia-gpu')) === 'node-2', 'kubia-gpu bound to node-2');
    await eventually(async () => (await podScheduled('kubia-gpu'))?.status === 'True', 'PodScheduled=True');
    expect(await eventsFor(env.client, 'kubia-gpu')).toContainEqual(expect.objectContaining({ type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned default/kubia-gpu to node-2' }));
  });
});

describe('seed 003 §4.4: DaemonSet ssd-monitor (nodeSelector disk: ssd)', () => {
  it('with the DaemonSet controller, the scheduler binds one pod to each node labelled disk=ssd, and to a node labelled later', async () => {
    const { env } = await startCluster([
      apiNode('node-1', { labels: { disk: 'ssd' } }),
      apiNode('node-2', { labels: { disk: 'hdd' } }),
      apiNode('node-3', { labels: { disk: 'ssd' } }),
      apiNode('node-4'),
    ]);
    manager = createManager({ client: env.client, clock: env.clock, logger: { warn: () => {}, error: () => {} } });
    addDaemonSetController(manager);
    await manager.start();
    for (const obj of decodeAll(seed('003_bea7a2b1a17eec52-06-daemonset.yaml'))) await env.client.create({ ...obj, metadata: { ...obj.metadata, namespace: 'default' } });

    const placements = async () => {
      const pods = (await env.client.list('v1', 'Pod', { namespace: 'default', labelSelector: 'app=ssd-monitor' })).items.filter((p) => !p.metadata?.deletionTimestamp);
      return pods.map((p) => p.spec?.nodeName ?? 'unbound').sort();
    };
    await eventually(async () => JSON.stringify(await placements()) === JSON.stringify(['node-1', 'node-3']), 'daemon pods bound to node-1 and node-3');

    // kubectl label node node-4 disk=ssd
    await env.client.patch('v1', 'Node', '', 'node-4', { metadata: { labels: { disk: 'ssd' } } }, { type: 'merge' });
    await eventually(async () => JSON.stringify(await placements()) === JSON.stringify(['node-1', 'node-3', 'node-4']), 'a daemon pod bound to node-4');
  });

  it("a bare pod with the template's nodeSelector lands only on disk=ssd nodes, and Pending says why when none is left", async () => {
    const [ds] = decodeAll(seed('003_bea7a2b1a17eec52-06-daemonset.yaml'));
    const template = (ds as { spec: { template: { metadata: Pod['metadata']; spec: Pod['spec'] } } }).spec.template;
    const { env } = await startCluster([
      apiNode('ssd-1', { cpu: '1', labels: { disk: 'ssd' } }),
      apiNode('hdd-1', { cpu: '8', labels: { disk: 'hdd' } }),
      apiNode('none-1', { cpu: '8' }),
    ]);
    const monitor = (name: string, cpu: string): Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...template.metadata, name, namespace: 'default' },
      spec: { ...template.spec!, containers: template.spec!.containers.map((c) => ({ ...c, resources: { requests: { cpu } } })) },
    });
    await env.client.create(monitor('monitor-0', '600m'));
    expect(await outcome('monitor-0')).toBe('ssd-1');
    await env.client.create(monitor('monitor-1', '600m'));
    expect(await outcome('monitor-1')).toBe(
      "Pending: 0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.",
    );
  });
});

describe('seed 004 §节点亲和性: requiredDuringScheduling mysql In [true]', () => {
  const nodes = () => [apiNode('db-1', { labels: { mysql: 'true' } }), apiNode('db-2', { labels: { mysql: 'false' } }), apiNode('web-1')];

  it('is refused as written: YAML reads `true` as a boolean, and values are strings', () => {
    expect(() => decodeAll(seed('004_933d4accde4b7d3e-03-pod.yaml'))).toThrow(
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]: Invalid value: true: must be a string',
    );
  });

  it('quoted ("true"), it lands on the only node labelled mysql=true', async () => {
    const [pod] = decodeAll(seed('004_933d4accde4b7d3e-03-pod.yaml').replace('- true', '- "true"'));
    expect((pod as Pod).spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0].matchExpressions).toEqual([{ key: 'mysql', operator: 'In', values: ['true'] }]);
    const { env } = await startCluster(nodes());
    await env.client.create({ ...pod, metadata: { ...pod.metadata, namespace: 'default' } });
    expect(await outcome('mysql')).toBe('db-1');
  });

  it('quoted, with a nodeSelector too, both must hold (AND): Pending when no node has both', async () => {
    const [pod] = decodeAll(seed('004_933d4accde4b7d3e-03-pod.yaml').replace('- true', '- "true"'));
    const { env } = await startCluster(nodes());
    await env.client.create({ ...pod, metadata: { ...pod.metadata, namespace: 'default' }, spec: { ...(pod as Pod).spec!, nodeSelector: { 'kubernetes.io/hostname': 'web-1' } } });
    expect(await outcome('mysql')).toBe(`Pending: ${unschedulable(3, "3 node(s) didn't match Pod's node affinity/selector")}`);
  });
});

describe('seed 004 §污点和容忍: taints and tolerations', () => {
  const taint = (spec: string): core.Taint => {
    const [kv, effect] = spec.split(':');
    const [key, value] = kv.split('=');
    return value === undefined ? { key, effect } : { key, value, effect };
  };
  const node = (name: string, ...taints: string[]) => apiNode(name, { taints: taints.map(taint) });
  // The notes' three tolerations, verbatim but for the key and value.
  const equalNoSchedule: core.Toleration = { key: 'key', operator: 'Equal', value: 'value', effect: 'NoSchedule' };
  const existsNoSchedule: core.Toleration = { key: 'key', operator: 'Exists', effect: 'NoSchedule' };
  const equalNoExecute3600: core.Toleration = { key: 'key', operator: 'Equal', value: 'value', effect: 'NoExecute', tolerationSeconds: 3600 };

  it.each<[string, Node[], core.Toleration[], string]>([
    ['a pod without tolerations is kept off a NoSchedule node', [node('tainted', 'key=value:NoSchedule')], [], `Pending: ${unschedulable(1, '1 node(s) had untolerated taint {key: value}')}`],
    ['a pod without tolerations is kept off a NoExecute node', [node('tainted', 'key=value:NoExecute')], [], `Pending: ${unschedulable(1, '1 node(s) had untolerated taint {key: value}')}`],
    ['a pod without tolerations goes to the untainted node', [node('tainted', 'key=value:NoSchedule'), node('clean')], [], 'clean'],
    ['Equal key=value:NoSchedule tolerates the NoSchedule taint', [node('tainted', 'key=value:NoSchedule')], [equalNoSchedule], 'tainted'],
    ['Equal with another value does not tolerate it', [node('tainted', 'key=other:NoSchedule')], [equalNoSchedule], `Pending: ${unschedulable(1, '1 node(s) had untolerated taint {key: other}')}`],
    ['Exists key:NoSchedule ignores the value', [node('tainted', 'key=other:NoSchedule')], [existsNoSchedule], 'tainted'],
    ['Exists key:NoSchedule does not tolerate the same key with NoExecute (the effect must match)', [node('tainted', 'key=value:NoExecute')], [existsNoSchedule], `Pending: ${unschedulable(1, '1 node(s) had untolerated taint {key: value}')}`],
    ['Equal key=value:NoExecute with tolerationSeconds: 3600 may be scheduled there (the seconds only bound the stay)', [node('tainted', 'key=value:NoExecute')], [equalNoExecute3600], 'tainted'],
    ['the NoExecute toleration does not cover a NoSchedule taint of the same key', [node('tainted', 'key=value:NoSchedule')], [equalNoExecute3600], `Pending: ${unschedulable(1, '1 node(s) had untolerated taint {key: value}')}`],
    ['no effect: the toleration matches every effect of its key', [node('tainted', 'key=value:NoSchedule', 'key=value:NoExecute')], [{ key: 'key', operator: 'Exists' }], 'tainted'],
    ['no key and Exists tolerates every taint', [node('tainted', 'key=value:NoSchedule', 'dedicated=gpu:NoExecute', 'flaky:NoSchedule')], [{ operator: 'Exists' }], 'tainted'],
    ['no key, Exists, effect NoSchedule tolerates every NoSchedule taint but not NoExecute', [node('a', 'key=value:NoSchedule', 'flaky:NoSchedule'), node('b', 'dedicated=gpu:NoExecute')], [{ operator: 'Exists', effect: 'NoSchedule' }], 'a'],
    ['a taint without a value is written {key: }', [node('tainted', 'flaky:NoSchedule')], [], `Pending: ${unschedulable(1, '1 node(s) had untolerated taint {flaky: }')}`],
    [
      'reasons are counted per taint across nodes',
      [node('g1', 'dedicated=gpu:NoSchedule'), node('g2', 'dedicated=gpu:NoSchedule'), node('t1', 'key=value:NoExecute')],
      [equalNoSchedule],
      `Pending: ${unschedulable(3, '1 node(s) had untolerated taint {key: value}, 2 node(s) had untolerated taint {dedicated: gpu}')}`,
    ],
    ['PreferNoSchedule does not filter: the only node takes the pod', [node('soft', 'key=value:PreferNoSchedule')], [], 'soft'],
    ['PreferNoSchedule is avoided when an untainted node fits', [node('soft', 'key=value:PreferNoSchedule'), node('clean')], [], 'clean'],
    ['fewer untolerated PreferNoSchedule taints win', [node('two', 'a=1:PreferNoSchedule', 'b=2:PreferNoSchedule'), node('one', 'a=1:PreferNoSchedule')], [], 'one'],
    ['a tolerated PreferNoSchedule taint no longer counts', [node('soft', 'key=value:PreferNoSchedule'), node('other', 'dedicated=gpu:PreferNoSchedule')], [{ key: 'key', operator: 'Equal', value: 'value', effect: 'PreferNoSchedule' }], 'soft'],
    ['a toleration for NoSchedule does not count against PreferNoSchedule', [node('soft', 'key=value:PreferNoSchedule'), node('hard', 'key=value:NoSchedule')], [equalNoSchedule], 'hard'],
  ])('%s', async (_name, nodes, tolerations, expected) => {
    const { env } = await startCluster(nodes);
    await env.client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }], tolerations } });
    expect(await outcome('p')).toBe(expected);
  });
});
