import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock, parseLabelSelector, type Pod } from '@bosun/api';
import { Controller, Action } from '@bosun/controller-runtime';
import { serveCri, createInProcessCriClient } from '@bosun/cri';
import { createFakeRuntime, FakeAnnotations, type FakeRuntime } from '@bosun/runtime-fake';
import { HOSTPATH_DRIVER_NAME, type HostPathDriver } from '@bosun/storage-hostpath';
import { describe, expect, it } from 'vitest';
import { ContainerModule, createCluster, fakeRuntimeFactory, isClusterError, TOKENS, type ClusterOptions, type RuntimeFactory } from './index';

const quiet = { warn: () => undefined, error: () => undefined };

const deployment = (name: string, replicas: number, annotations: Record<string, string> = {}) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata:
      labels: { app: ${name} }
      annotations: ${JSON.stringify(annotations)}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{ name: main, image: busybox:1.36, command: [sh, -c, 'sleep 1000'] }]
`;

const podsOf = async (c: { client: import('@bosun/apiserver').Client }, selector: string): Promise<Pod[]> =>
  (await c.client.list('v1', 'Pod', { namespace: 'default', labelSelector: selector })).items.filter((p) => !p.metadata?.deletionTimestamp);

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('createCluster options', () => {
  it.each<[string, ClusterOptions, string, RegExp]>([
    ['a negative node count', { nodes: -1, runtime: 'fake' }, 'InvalidOptions', /nodes: Invalid value: -1/],
    ['a fractional node count', { nodes: 1.5, runtime: 'fake' }, 'InvalidOptions', /must be an integer/],
    ['a node name that is not a DNS subdomain', { nodes: [{ name: 'Node_1' }], runtime: 'fake' }, 'InvalidOptions', /nodes\[0\]\.name: Invalid value: "Node_1"/],
    ['two nodes with one name', { nodes: [{ name: 'a' }, { name: 'a' }], runtime: 'fake' }, 'InvalidOptions', /nodes\[1\]\.name: Duplicate value: "a"/],
    ['the sqlite store', { store: { sqlite: '/tmp/x.db' }, runtime: 'fake' }, 'NotBuilt', /SQLite store backend is not built yet/],
    ['the etcd store', { store: { etcd: { endpoints: ['http://127.0.0.1:2379'] } }, runtime: 'fake' }, 'NotBuilt', /etcd store backend is not built yet/],
    ['an unknown store', { store: 'disk' as never, runtime: 'fake' }, 'InvalidOptions', /store: Unsupported value: "disk"/],
    ['a docker option that is not an object', { runtime: { docker: 'x' as never } }, 'InvalidOptions', /runtime\.docker: must be an object/],
    ['an unknown docker field', { runtime: { docker: { socket: '/x' } as never } }, 'InvalidOptions', /runtime\.docker\.socket: Unsupported field/],
    ['an empty docker socket path', { runtime: { docker: { socketPath: '' } } }, 'InvalidOptions', /runtime\.docker\.socketPath: Invalid value: ""/],
    ['a malformed docker host', { runtime: { docker: { dockerHost: 'localhost:2375' } } }, 'InvalidOptions', /runtime\.docker\.dockerHost: Invalid value: "localhost:2375"/],
    ['an unknown runtime', { runtime: 'vm' as never }, 'InvalidOptions', /runtime: Unsupported value: "vm"/],
    ['fewer CRI endpoints than nodes', { nodes: 2, runtime: { criEndpoint: 'unix:///tmp/none.sock' } }, 'InvalidOptions', /2 nodes need 2 CRI endpoints/],
    ['an unknown plugin transport', { runtime: 'fake', plugins: { transport: 'tcp' as never } }, 'InvalidOptions', /plugins.transport: Unsupported value/],
  ])('refuses %s with a clear error', async (_name, options, code, message) => {
    const err = await rejection(createCluster({ logger: quiet, ...options }));
    expect(isClusterError(err)).toBe(true);
    expect((err as { code?: string }).code).toBe(code);
    expect(err.message).toMatch(message);
  });
});

describe('a cluster on the fake runtime', () => {
  it('registers one Ready Node per spec with its labels, taints, capacity and a 10.244.<i>.0/24 pod CIDR', async () => {
    await using cluster = await createCluster({
      runtime: 'fake',
      logger: quiet,
      nodes: [{ name: 'alpha', labels: { disk: 'ssd' }, capacity: { cpu: '8', memory: '16Gi', pods: '50' } }, { name: 'beta', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }],
    });
    const nodes = (await cluster.client.list('v1', 'Node')).items.sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
    expect(nodes.map((n) => [n.metadata?.name, n.spec?.podCIDR])).toEqual([
      ['alpha', '10.244.1.0/24'],
      ['beta', '10.244.2.0/24'],
    ]);
    expect(nodes[0].metadata?.labels?.disk).toBe('ssd');
    expect(nodes[0].status?.capacity).toMatchObject({ cpu: '8', memory: '16Gi', pods: '50' });
    expect(nodes[1].spec?.taints).toContainEqual({ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' });
    for (const n of nodes) expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(cluster.nodes().map((n) => n.runtime.kind)).toEqual(['fake', 'fake']);
  });

  it('runs a Deployment applied as YAML: pods spread over the nodes, with IPs from their node’s CIDR, logs and exec', async () => {
    const annotations = { [FakeAnnotations.stdout]: 'hello from main', [`${FakeAnnotations.execPrefix}cat`]: JSON.stringify({ stdout: 'file content', stderr: '', exitCode: 0 }) };
    await using cluster = await createCluster({ nodes: 2, runtime: 'fake', logger: quiet });
    const results = await cluster.apply(deployment('web', 4, annotations));
    expect(results.map((r) => [r.ref.kind, r.action])).toEqual([['Deployment', 'created']]);
    const d = await cluster.waitFor('apps/v1', 'Deployment', 'default', 'web', (x) => x.status?.readyReplicas === 4, { timeoutMs: 15_000 });
    expect(d.status?.availableReplicas).toBe(4);
    const pods = await podsOf(cluster, 'app=web');
    expect(new Set(pods.map((p) => p.spec?.nodeName))).toEqual(new Set(['node-1', 'node-2']));
    for (const p of pods) {
      const index = p.spec?.nodeName === 'node-1' ? 1 : 2;
      expect(p.status?.podIP).toMatch(new RegExp(`^10\\.244\\.${index}\\.\\d+$`));
    }
    const name = pods[0].metadata!.name!;
    expect(await cluster.logs('default', name)).toBe('hello from main\n');
    expect(await cluster.exec('default', name, 'main', ['/bin/cat', '/etc/hostname'])).toEqual({ stdout: 'file content', stderr: '', exitCode: 0 });
  });

  it('applies again as an update, and deletes with the same YAML (the ReplicaSet and pods follow by garbage collection)', async () => {
    await using cluster = await createCluster({ nodes: 1, runtime: 'fake', logger: quiet });
    await cluster.apply(deployment('web', 1));
    await cluster.waitFor('apps/v1', 'Deployment', 'default', 'web', (x) => x.status?.readyReplicas === 1);
    const again = await cluster.apply(deployment('web', 2));
    expect(again[0].action).toBe('configured');
    await cluster.waitFor('apps/v1', 'Deployment', 'default', 'web', (x) => x.status?.readyReplicas === 2);
    const deleted = await cluster.delete(deployment('web', 2));
    expect(deleted.map((r) => r.status)).toEqual(['deleted']);
    await cluster.waitForDeletion('apps/v1', 'Deployment', 'default', 'web');
    await expect.poll(async () => (await cluster.client.list('v1', 'Pod', { namespace: 'default' })).items.length, { timeout: 15_000 }).toBe(0);
  });

  it('refuses bad YAML with the decoder’s error and keeps running', async () => {
    await using cluster = await createCluster({ nodes: 1, runtime: 'fake', logger: quiet });
    await expect(cluster.apply('apiVersion: v1\nkind: Pod\nmetadata: [oops')).rejects.toThrow();
    await expect(cluster.apply('apiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec: { containers: [] }')).rejects.toMatchObject({ code: 422, reason: 'Invalid' });
    await cluster.apply(deployment('still', 1));
    await cluster.waitFor('apps/v1', 'Deployment', 'default', 'still', (x) => x.status?.readyReplicas === 1);
  });

  it('waitFor rejects after its timeout with the last status it saw, and names a missing object', async () => {
    await using cluster = await createCluster({ nodes: 1, runtime: 'fake', logger: quiet });
    await cluster.apply(deployment('web', 1));
    const err = await rejection(cluster.waitFor('apps/v1', 'Deployment', 'default', 'web', (x) => x.status?.readyReplicas === 5, { timeoutMs: 300 }));
    expect(isClusterError(err) && err.code).toBe('Timeout');
    expect(err.message).toMatch(/timed out after 300 ms waiting for Deployment default\/web to match the condition; last seen: .*"status":\{/);
    const missing = await rejection(cluster.waitFor('v1', 'Pod', 'default', 'nope', () => true, { timeoutMs: 100 }));
    expect(missing.message).toMatch(/Pod default\/nope .* it does not exist/);
  });

  it('restarts a crashed container after the back-off on the fake clock, and logs --previous shows the old instance', async () => {
    const clock = new FakeClock('2026-01-01T00:00:00Z');
    await using cluster = await createCluster({ nodes: 1, runtime: 'fake', clock, logger: quiet });
    await cluster.client.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'crashy', namespace: 'default', annotations: { [FakeAnnotations.stdout]: 'attempt {{attempt}}', [FakeAnnotations.exitAfter]: '1s', [FakeAnnotations.exitCode]: '1' } },
      spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] },
    });
    await cluster.waitFor('v1', 'Pod', 'default', 'crashy', (p) => p.status?.phase === 'Running');
    for (let i = 0; i < 40 && ((await cluster.client.get('v1', 'Pod', 'default', 'crashy')).status?.containerStatuses?.[0]?.restartCount ?? 0) < 1; i++) await clock.advance(1000);
    const pod = await cluster.waitFor('v1', 'Pod', 'default', 'crashy', (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
    expect(pod.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(1);
    expect(await cluster.logs('default', 'crashy', { container: 'main', previous: true })).toBe('attempt 0\n');
    expect(await cluster.logs('default', 'crashy', { container: 'main' })).toMatch(/^attempt [1-9]\n$/);
  });

  it('explains what logs and exec cannot do', async () => {
    await using cluster = await createCluster({ nodes: 1, runtime: 'fake', logger: quiet });
    await cluster.client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'two', namespace: 'default' }, spec: { containers: [{ name: 'a', image: 'busybox:1.36' }, { name: 'b', image: 'busybox:1.36' }] } });
    await cluster.waitFor('v1', 'Pod', 'default', 'two', (p) => p.status?.phase === 'Running');
    await expect(cluster.logs('default', 'two')).rejects.toThrow('a container name must be specified for pod two, choose one of: [a b]');
    await expect(cluster.logs('default', 'two', { container: 'c' })).rejects.toThrow('container c is not valid for pod two');
    await expect(cluster.logs('default', 'two', { container: 'a', previous: true })).rejects.toThrow('previous terminated container "a" in pod "two" not found');
    await expect(cluster.exec('default', 'two', 'a', [])).rejects.toThrow('you must specify at least one command');
    await expect(cluster.logs('default', 'ghost')).rejects.toMatchObject({ code: 404, reason: 'NotFound' });
  });

  it('adds a node that takes new pods, and removes one whose pods are recreated elsewhere', async () => {
    await using cluster = await createCluster({ nodes: 1, runtime: 'fake', logger: quiet });
    const node = await cluster.addNode({ name: 'extra', labels: { disk: 'ssd' } });
    expect(node.spec?.podCIDR).toBe('10.244.2.0/24');
    await cluster.apply(deployment('web', 4));
    await cluster.waitFor('apps/v1', 'Deployment', 'default', 'web', (x) => x.status?.readyReplicas === 4);
    expect(new Set((await podsOf(cluster, 'app=web')).map((p) => p.spec?.nodeName))).toEqual(new Set(['node-1', 'extra']));
    await expect(cluster.addNode({ name: 'extra' })).rejects.toThrow('node "extra" already exists');
    await cluster.removeNode('extra');
    expect(cluster.node('extra')).toBeUndefined();
    await expect(cluster.client.get('v1', 'Node', '', 'extra')).rejects.toMatchObject({ code: 404 });
    await cluster.waitFor('apps/v1', 'Deployment', 'default', 'web', (x) => x.status?.readyReplicas === 4, { timeoutMs: 15_000 });
    expect(new Set((await podsOf(cluster, 'app=web')).map((p) => p.spec?.nodeName))).toEqual(new Set(['node-1']));
    await expect(cluster.removeNode('extra')).rejects.toThrow('node "extra" is not part of this cluster');
    // The freed pod CIDR is handed out again.
    expect((await cluster.addNode({ name: 'again' })).spec?.podCIDR).toBe('10.244.2.0/24');
  });

  it('stop() removes every container, closes the API, deletes its temp dir, and is idempotent', async () => {
    const cluster = await createCluster({ nodes: 2, runtime: 'fake', logger: quiet });
    await cluster.apply(deployment('web', 3));
    await cluster.waitFor('apps/v1', 'Deployment', 'default', 'web', (x) => x.status?.readyReplicas === 3);
    const runtimes = cluster.nodes().map((n) => n.runtime.impl as FakeRuntime);
    expect(runtimes.reduce((s, r) => s + r.counts().running, 0)).toBe(3);
    expect(existsSync(cluster.rootDir)).toBe(true);
    await Promise.all([cluster.stop(), cluster.stop()]);
    await cluster.stop();
    expect(runtimes.map((r) => r.counts().sandboxes)).toEqual([0, 0]);
    expect(existsSync(cluster.rootDir)).toBe(false);
    await expect(cluster.apply(deployment('late', 1))).rejects.toMatchObject({ code: 'Stopped' });
  });

  it('runs a CronJob on the fake clock: advancing past the schedule starts a Job whose pod completes', async () => {
    const clock = new FakeClock('2026-01-01T00:00:30Z');
    await using cluster = await createCluster({ nodes: 1, runtime: 'fake', clock, logger: quiet });
    await cluster.apply(`
apiVersion: batch/v1
kind: CronJob
metadata: { name: tick }
spec:
  schedule: "*/1 * * * *"
  jobTemplate:
    spec:
      template:
        metadata: { annotations: { ${JSON.stringify(FakeAnnotations.exitAfter)}: "2s" } }
        spec: { restartPolicy: OnFailure, containers: [{ name: date, image: busybox:1.36, command: [date] }] }
`);
    expect((await cluster.client.list('batch/v1', 'Job', { namespace: 'default' })).items).toHaveLength(0);
    await clock.advance(31_000);
    const jobs = async () => (await cluster.client.list('batch/v1', 'Job', { namespace: 'default' })).items;
    await expect.poll(async () => (await jobs()).length, { timeout: 10_000 }).toBe(1);
    const name = (await jobs())[0].metadata!.name!;
    for (let i = 0; i < 20 && !(await cluster.client.get('batch/v1', 'Job', 'default', name)).status?.succeeded; i++) await clock.advance(1000);
    expect((await cluster.client.get('batch/v1', 'Job', 'default', name)).status?.succeeded).toBe(1);
  });

  it('feeds the HPA pod usage from the node agents’ metrics', async () => {
    await using cluster = await createCluster({ nodes: 2, runtime: 'fake', logger: quiet });
    await cluster.apply(deployment('busy', 2, { [FakeAnnotations.cpuMillicores]: '250', [FakeAnnotations.memoryBytes]: '1048576' }));
    await cluster.waitFor('apps/v1', 'Deployment', 'default', 'busy', (x) => x.status?.readyReplicas === 2);
    const samples = await cluster.container.get(TOKENS.MetricsProvider).getPodMetrics('default', parseLabelSelector('app=busy'));
    const names = (await podsOf(cluster, 'app=busy')).map((p) => p.metadata?.name).sort();
    expect(samples.map((s) => s.pod).sort()).toEqual(names);
    for (const s of samples) expect(s.usage).toEqual({ cpu: '250m', memory: '1024Ki' });
  });
});

describe('storage', () => {
  it('provisions the seed StatefulSet’s volumeClaimTemplates on the default class, with the hostpath driver of the node each pod runs on', async () => {
    const seed = readFileSync(new URL('../../../test/fixtures/seeds/003_bea7a2b1a17eec52-31-statefulset.yaml', import.meta.url), 'utf8');
    await using cluster = await createCluster({ nodes: 2, runtime: 'fake', logger: quiet });
    const sc = await cluster.client.get('storage.k8s.io/v1', 'StorageClass', '', 'standard');
    expect(sc).toMatchObject({ provisioner: HOSTPATH_DRIVER_NAME, volumeBindingMode: 'WaitForFirstConsumer' });
    await cluster.apply(seed);
    await cluster.waitFor('apps/v1', 'StatefulSet', 'default', 'kubia', (s) => s.status?.readyReplicas === 2, { timeoutMs: 20_000 });
    for (const i of [0, 1]) {
      const pvc = await cluster.waitFor('v1', 'PersistentVolumeClaim', 'default', `data-kubia-${i}`, (c) => c.status?.phase === 'Bound');
      expect(pvc.spec?.storageClassName).toBe('standard');
      const pv = await cluster.client.get('v1', 'PersistentVolume', '', pvc.spec!.volumeName!);
      expect(pv.spec?.csi?.driver).toBe(HOSTPATH_DRIVER_NAME);
      const pod = await cluster.client.get('v1', 'Pod', 'default', `kubia-${i}`);
      const node = cluster.node(pod.spec!.nodeName!)!;
      const driver = node.storage!.driver as HostPathDriver;
      expect(driver.volumes().map((v) => v.volumeId)).toContain(pv.spec?.csi?.volumeHandle);
    }
  });
});

describe('plugins and wiring', () => {
  it('serves runtime, network and CSI on unix sockets with the unix-sockets transport', async () => {
    await using cluster = await createCluster({ nodes: 1, runtime: 'fake', plugins: { transport: 'unix-sockets' }, logger: quiet });
    const node = cluster.nodes()[0];
    expect(node.runtime.endpoint).toBe(`unix://${join(node.dir, 'cri.sock')}`);
    expect(node.network.endpoint).toBe(`unix://${join(node.dir, 'cni.sock')}`);
    expect(existsSync(join(node.dir, 'cri.sock'))).toBe(true);
    await cluster.apply(deployment('web', 2));
    await cluster.waitFor('apps/v1', 'Deployment', 'default', 'web', (x) => x.status?.readyReplicas === 2);
  });

  it('drives a runtime given as a CRI endpoint, and on stop removes only the sandboxes of its own pods', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-cri-'));
    const runtime = createFakeRuntime({ podCidr: '10.99.0.0/24' });
    const server = await serveCri(runtime, { socketPath: join(dir, 'fake.sock') });
    try {
      const foreign = await createInProcessCriClient(runtime).runtime.runPodSandbox({ metadata: { name: 'foreign', namespace: 'other', uid: 'not-ours', attempt: 0 } });
      const cluster = await createCluster({ nodes: 1, runtime: { criEndpoint: server.endpoint }, logger: quiet });
      await cluster.apply(deployment('web', 2));
      await cluster.waitFor('apps/v1', 'Deployment', 'default', 'web', (x) => x.status?.readyReplicas === 2);
      expect(runtime.counts().sandboxes).toBe(3);
      await cluster.stop();
      const left = await createInProcessCriClient(runtime).runtime.listPodSandbox();
      expect(left.map((s) => s.id)).toEqual([foreign]);
    } finally {
      await server.close();
      runtime.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('schedules with the profiles it is given: a profile without TaintToleration places pods on a tainted node', async () => {
    await using cluster = await createCluster({
      runtime: 'fake',
      logger: quiet,
      nodes: [{ name: 'tainted', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }],
      scheduler: { profiles: [{ schedulerName: 'default-scheduler' }, { schedulerName: 'ignore-taints', plugins: { multiPoint: { disabled: [{ name: 'TaintToleration' }] } } }] },
    });
    const pod = (name: string, schedulerName: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { schedulerName, containers: [{ name: 'main', image: 'busybox:1.36' }] } });
    await cluster.apply([pod('plain', 'default-scheduler'), pod('bold', 'ignore-taints')]);
    const bold = await cluster.waitFor('v1', 'Pod', 'default', 'bold', (p) => p.status?.phase === 'Running');
    expect(bold.spec?.nodeName).toBe('tainted');
    const plain = await cluster.waitFor('v1', 'Pod', 'default', 'plain', (p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False') ?? false);
    expect(plain.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message).toMatch(/untolerated taint \{dedicated: gpu\}/);
  });

  it('starts with no nodes and takes them later', async () => {
    await using cluster = await createCluster({ nodes: 0, runtime: 'fake', logger: quiet });
    expect(cluster.nodes()).toEqual([]);
    await cluster.apply(deployment('web', 1));
    await cluster.addNode({ name: 'late' });
    await cluster.waitFor('apps/v1', 'Deployment', 'default', 'web', (x) => x.status?.readyReplicas === 1);
  });

  it('stops what started and removes its node dirs when a part fails to start', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bosun-fail-'));
    const runtimes: FakeRuntime[] = [];
    const flaky = new ContainerModule(({ rebind }) => {
      rebind(TOKENS.RuntimeFactory).toConstantValue(async (ctx, network) => {
        if (ctx.spec.name === 'node-2') throw new Error('runtime exploded');
        const rt = await fakeRuntimeFactory(ctx, network);
        runtimes.push(rt.impl as FakeRuntime);
        return rt;
      });
    });
    try {
      await expect(createCluster({ nodes: 2, rootDir: root, modules: [flaky], logger: quiet })).rejects.toThrow('runtime exploded');
      expect(readdirSync(join(root, 'nodes'))).toEqual([]);
      expect(runtimes).toHaveLength(1);
      expect(runtimes[0]!.counts().sandboxes).toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('lets a host module rebind the runtime factory and add a controller installer', async () => {
    const made: string[] = [];
    const reconciled: string[] = [];
    const host = new ContainerModule(({ rebind, bind }) => {
      const counting: RuntimeFactory = async (ctx, network) => {
        made.push(ctx.spec.name);
        return fakeRuntimeFactory(ctx, network);
      };
      rebind(TOKENS.RuntimeFactory).toConstantValue(counting);
      bind(TOKENS.ControllerInstaller).toConstantValue((manager) =>
        manager.add(
          Controller.for('v1', 'ConfigMap').build(async (cm) => {
            reconciled.push(cm.metadata?.name ?? '');
            return Action.awaitChange();
          }),
        ),
      );
    });
    await using cluster = await createCluster({ nodes: 2, runtime: 'process', modules: [host], logger: quiet });
    expect(made.sort()).toEqual(['node-1', 'node-2']);
    await cluster.apply('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: hello }\ndata: { a: b }');
    await expect.poll(() => reconciled, { timeout: 10_000 }).toContain('hello');
    await cluster.apply(deployment('web', 1));
    await cluster.waitFor('apps/v1', 'Deployment', 'default', 'web', (x) => x.status?.readyReplicas === 1);
  });
});
