import { FakeClock, type Pod } from '@bosun/api';
import { createTestEnv, type TestEnv } from '@bosun/apiserver';
import { afterEach, describe, expect, it } from 'vitest';
import { createScheduler, type Scheduler } from '../src/index';
import { apiNode, apiPod, eventsFor, getPod, until } from './fixtures';

let env: TestEnv;
let scheduler: Scheduler | undefined;

async function start(opts: Partial<Parameters<typeof createScheduler>[0]> = {}): Promise<Scheduler> {
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

const ZONE = 'topology.kubernetes.io/zone';
const nodeOf = async (name: string) => (await getPod(env.client, name)).spec?.nodeName;
const allBound = async (names: string[]) => (await Promise.all(names.map(nodeOf))).every(Boolean);
const pods = async (): Promise<Pod[]> => (await env.client.list('v1', 'Pod', { namespace: 'default' })).items;

describe('PodTopologySpread against the API server', () => {
  it('spreads 6 pods over 3 zones with maxSkew 1 (two per zone), although zone a has the most room', async () => {
    await newEnv();
    await env.client.create(apiNode('a-1', { cpu: '16', labels: { [ZONE]: 'a' } }));
    await env.client.create(apiNode('a-2', { cpu: '16', labels: { [ZONE]: 'a' } }));
    await env.client.create(apiNode('b-1', { cpu: '2', labels: { [ZONE]: 'b' } }));
    await env.client.create(apiNode('c-1', { cpu: '2', labels: { [ZONE]: 'c' } }));
    const s = await start();
    await until(() => s.cache.nodeCount() === 4);
    const names = Array.from({ length: 6 }, (_, i) => `web-${i}`);
    for (const n of names) {
      await env.client.create(
        apiPod(n, { cpu: '500m', labels: { app: 'web' }, topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }] }),
      );
    }
    await until(() => allBound(names), 10_000, 'all web pods bound');
    const perZone: Record<string, number> = {};
    for (const p of await pods()) {
      const zone = p.spec!.nodeName!.split('-')[0];
      perZone[zone] = (perZone[zone] ?? 0) + 1;
    }
    expect(perZone).toEqual({ a: 2, b: 2, c: 2 });
  });
});

describe('InterPodAffinity against the API server', () => {
  const HOST = 'kubernetes.io/hostname';
  it('required anti-affinity puts one pod per node and leaves the extra one Pending', async () => {
    await newEnv();
    for (const n of ['n1', 'n2', 'n3']) await env.client.create(apiNode(n));
    const s = await start();
    await until(() => s.cache.nodeCount() === 3);
    const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'solo' } }, topologyKey: HOST }] } };
    const names = ['solo-0', 'solo-1', 'solo-2', 'solo-3'];
    for (const n of names) await env.client.create(apiPod(n, { labels: { app: 'solo' }, affinity: anti }));
    await until(() => allBound(names.slice(0, 3)), 10_000, 'three pods bound');
    const msg = "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.";
    await until(async () => (await getPod(env.client, 'solo-3')).status?.conditions?.some((c) => c.reason === 'Unschedulable') ?? false, 10_000, 'solo-3 unschedulable');
    const bound = new Set((await pods()).map((p) => p.spec?.nodeName).filter(Boolean));
    expect(bound).toEqual(new Set(['n1', 'n2', 'n3']));
    const cond = (await getPod(env.client, 'solo-3')).status?.conditions?.find((c) => c.type === 'PodScheduled');
    expect(cond?.message?.startsWith("0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.")).toBe(true);
    if (s.frameworks.get('default-scheduler')!.postFilterPlugins.length > 0) expect(cond?.message).toBe(msg);
  });

  it('required affinity co-locates pods with the first one of their group', async () => {
    await newEnv();
    for (const n of ['n1', 'n2', 'n3']) await env.client.create(apiNode(n, { labels: { [ZONE]: n === 'n3' ? 'b' : 'a' } }));
    const s = await start();
    await until(() => s.cache.nodeCount() === 3);
    const aff = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'pair' } }, topologyKey: HOST }] } };
    await env.client.create(apiPod('pair-0', { labels: { app: 'pair' }, affinity: aff }));
    await until(() => allBound(['pair-0']), 10_000, 'first pod bound');
    const first = await nodeOf('pair-0');
    const names = ['pair-1', 'pair-2', 'pair-3'];
    for (const n of names) await env.client.create(apiPod(n, { labels: { app: 'pair' }, affinity: aff }));
    await until(() => allBound(names), 10_000, 'followers bound');
    for (const n of names) expect(await nodeOf(n)).toBe(first);
  });
});

describe('VolumeBinding against the API server', () => {
  it('binds a WaitForFirstConsumer claim to the local volume of the node the pod lands on, and annotates a claim to provision', async () => {
    await newEnv();
    const HOST = 'kubernetes.io/hostname';
    for (const n of ['n1', 'n2', 'n3']) await env.client.create(apiNode(n));
    await env.client.create({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' });
    await env.client.create({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'csi' }, provisioner: 'csi.example.com', volumeBindingMode: 'WaitForFirstConsumer' });
    await env.client.create({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'local-n2' },
      spec: {
        storageClassName: 'local',
        capacity: { storage: '10Gi' },
        accessModes: ['ReadWriteOnce'],
        local: { path: '/mnt/disks/ssd1' },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOST, operator: 'In', values: ['n2'] }] }] } },
      },
    });
    const pvc = (name: string, className: string) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default' }, spec: { storageClassName: className, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } });
    await env.client.create(pvc('data', 'local'));
    await env.client.create(pvc('scratch', 'csi'));
    const s = await start();
    await until(() => s.cache.nodeCount() === 3);
    await env.client.create(apiPod('db', { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }, { name: 'scratch', persistentVolumeClaim: { claimName: 'scratch' } }] }));
    // PreBind hands `scratch` to its provisioner and waits for it to be bound: act as the
    // provisioner and the PV controller once the node is chosen.
    const selected = async () => (await env.client.get('v1', 'PersistentVolumeClaim', 'default', 'scratch')).metadata.annotations?.['volume.kubernetes.io/selected-node'];
    await until(async () => (await selected()) !== undefined, 10_000, 'scratch handed to its provisioner');
    expect(await nodeOf('db')).toBeUndefined();
    await env.client.create({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pvc-scratch' }, spec: { storageClassName: 'csi', capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce'], csi: { driver: 'csi.example.com', volumeHandle: 'v1' }, claimRef: { namespace: 'default', name: 'scratch' } } });
    const unbound = await env.client.get('v1', 'PersistentVolumeClaim', 'default', 'scratch');
    const named = await env.client.update({ ...unbound, spec: { ...unbound.spec, volumeName: 'pvc-scratch' } });
    await env.client.updateStatus({ ...named, status: { phase: 'Bound' } });
    await until(async () => (await nodeOf('db')) !== undefined, 10_000, 'db bound');
    expect(await nodeOf('db')).toBe('n2');
    const pv = await env.client.get('v1', 'PersistentVolume', '', 'local-n2');
    const claim = await env.client.get('v1', 'PersistentVolumeClaim', 'default', 'data');
    expect(pv.spec?.claimRef).toMatchObject({ namespace: 'default', name: 'data', uid: claim.metadata.uid });
    expect(pv.status?.phase).toBe('Bound');
    expect(claim.spec?.volumeName).toBe('local-n2');
    expect(claim.status?.phase).toBe('Bound');
    const scratch = await env.client.get('v1', 'PersistentVolumeClaim', 'default', 'scratch');
    expect(scratch.metadata.annotations?.['volume.kubernetes.io/selected-node']).toBe('n2');
  });

  it('retries a pod whose provisioner gives the selected node back, and times out on the scheduler clock', async () => {
    await newEnv();
    await env.client.create(apiNode('n1'));
    await env.client.create({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'csi' }, provisioner: 'csi.example.com', volumeBindingMode: 'WaitForFirstConsumer' });
    await env.client.create({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'scratch', namespace: 'default' }, spec: { storageClassName: 'csi', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    const s = await start({ profiles: [{ schedulerName: 'default-scheduler', pluginConfig: { VolumeBinding: { bindTimeoutSeconds: 30 } } }] });
    await until(() => s.cache.nodeCount() === 1);
    await env.client.create(apiPod('db', { volumes: [{ name: 'scratch', persistentVolumeClaim: { claimName: 'scratch' } }] }));
    const claim = () => env.client.get('v1', 'PersistentVolumeClaim', 'default', 'scratch');
    await until(async () => (await claim()).metadata.annotations?.['volume.kubernetes.io/selected-node'] === 'n1', 10_000, 'handed to the provisioner');
    // The provisioner cannot provision there (ResourceExhausted): it removes the annotation.
    await env.client.patch('v1', 'PersistentVolumeClaim', 'default', 'scratch', { metadata: { annotations: { 'volume.kubernetes.io/selected-node': null } } }, { type: 'merge' });
    await until(async () => s.queue.pendingPods().some((p) => p.metadata?.name === 'db'), 10_000, 'db back in the queue');
    expect(await nodeOf('db')).toBeUndefined();
    // The retry hands the claim over again; nobody provisions it, so PreBind gives up after 30 s.
    for (let i = 0; i < 20 && (await claim()).metadata.annotations?.['volume.kubernetes.io/selected-node'] !== 'n1'; i++) await env.clock.advance(1_000);
    expect((await claim()).metadata.annotations?.['volume.kubernetes.io/selected-node']).toBe('n1');
    await env.clock.advance(31_000);
    await until(async () => s.queue.pendingPods().some((p) => p.metadata?.name === 'db'), 10_000, 'db requeued after the timeout');
    expect(await nodeOf('db')).toBeUndefined();
  });

  it.each([
    ['a missing claim', undefined, 'persistentvolumeclaim "data" not found'],
    ['an unbound claim of an Immediate class', 'standard', 'pod has unbound immediate PersistentVolumeClaims'],
  ])('keeps a pod with %s Pending', async (_n, className, reason) => {
    await newEnv();
    await env.client.create(apiNode('n1'));
    await env.client.create({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'standard' }, provisioner: 'csi.example.com' });
    if (className) await env.client.create({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'default' }, spec: { storageClassName: className, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    await start();
    await env.client.create(apiPod('p', { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] }));
    await until(async () => (await getPod(env.client, 'p')).status?.conditions?.some((c) => c.reason === 'Unschedulable') ?? false, 10_000, 'Unschedulable');
    const msg = (await getPod(env.client, 'p')).status?.conditions?.find((c) => c.type === 'PodScheduled')?.message;
    expect(msg?.startsWith(`0/1 nodes are available: ${reason}.`)).toBe(true);
  });
});

describe('DefaultPreemption against the API server', () => {
  it('a high-priority pod preempts a low-priority one gracefully, then lands on the nominated node', async () => {
    await newEnv();
    await env.client.create(apiNode('n1', { cpu: '2' }));
    await env.client.create({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'low' }, value: 10 });
    await env.client.create({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 });
    const s = await start();
    await until(() => s.cache.nodeCount() === 1);
    await env.client.create(apiPod('victim', { cpu: '1500m', priorityClassName: 'low', terminationGracePeriodSeconds: 30 }));
    await until(async () => (await nodeOf('victim')) === 'n1', 10_000, 'victim bound');
    const victimUid = (await getPod(env.client, 'victim')).metadata?.uid;

    await env.client.create(apiPod('never', { cpu: '1500m', priorityClassName: 'high', preemptionPolicy: 'Never' }));
    await env.client.create(apiPod('vip', { cpu: '1500m', priorityClassName: 'high' }));
    await until(async () => (await getPod(env.client, 'vip')).status?.nominatedNodeName === 'n1', 10_000, 'vip nominated');
    const vipUid = (await getPod(env.client, 'vip')).metadata?.uid;

    // The victim is terminating with its grace period, marked as a disruption target, with an Event.
    const victim = await getPod(env.client, 'victim');
    expect(victim.metadata?.deletionTimestamp).toBeDefined();
    expect(victim.metadata?.deletionGracePeriodSeconds).toBe(30);
    expect(victim.status?.conditions).toContainEqual(
      expect.objectContaining({ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message: 'default-scheduler: preempting to accommodate a higher priority pod' }),
    );
    await until(async () => (await eventsFor(env.client, 'victim')).some((e) => e.reason === 'Preempted'), 10_000, 'Preempted event');
    expect((await eventsFor(env.client, 'victim')).find((e) => e.reason === 'Preempted')?.message).toBe(`Preempted by pod ${vipUid} on node n1`);

    // The pod with preemptionPolicy Never preempted nothing.
    await until(async () => ((await getPod(env.client, 'never')).status?.conditions?.find((c) => c.type === 'PodScheduled')?.message ?? '').includes('preemption'), 10_000, 'never Unschedulable');
    expect((await getPod(env.client, 'never')).status?.conditions?.find((c) => c.type === 'PodScheduled')?.message).toBe(
      '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.',
    );
    expect((await getPod(env.client, 'never')).status?.nominatedNodeName).toBeUndefined();

    // With no node agent, finish the deletion ourselves; the freed room goes to the nominated pod.
    await env.client.delete('v1', 'Pod', 'default', 'victim', { gracePeriodSeconds: 0, preconditions: { uid: victimUid } });
    for (let i = 0; i < 20 && (await nodeOf('vip')) === undefined; i++) {
      await env.clock.advance(1000);
      await s.idle();
    }
    await until(async () => (await nodeOf('vip')) === 'n1', 10_000, 'vip bound to n1');
    expect(await nodeOf('never')).toBeUndefined();
  });
});
