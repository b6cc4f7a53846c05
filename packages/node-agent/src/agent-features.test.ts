// The node agent end to end on the fake runtime: environment, volumes, resources, logs,
// exec, stats, HTTP/TCP probes and hooks against real loopback servers, image policies.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { everythingSelector, parseLabelSelector, type FakeClock, type Pod, type core } from '@bosun/api';
import { createTestEnv, type TestEnv } from '@bosun/apiserver';
import { createInProcessCriClient } from '@bosun/cri';
import { createCsiClient, serveCsi } from '@bosun/csi';
import { createFakeRuntime, type FakeRuntime } from '@bosun/runtime-fake';
import { createHostPathDriver } from '@bosun/storage-hostpath';
import { CONTAINER_ANNOTATIONS, createNodeAgent, type NodeAgent, type NodeAgentOptions } from './index';

const quiet = { warn: () => undefined, error: () => undefined };

interface Harness {
  env: TestEnv;
  clock: FakeClock;
  runtime: FakeRuntime;
  agent: NodeAgent;
  /** Starts another agent for the same node (after `agent.stop()`, as a restart). */
  newAgent(): Promise<NodeAgent>;
  root: string;
  logRoot: string;
  get(name: string): Promise<Pod>;
  advance(ms: number): Promise<void>;
  until(what: string, pred: () => Promise<boolean>, maxMs?: number): Promise<void>;
  /** The ContainerConfig the runtime got for the current container `name` of pod `pod`. */
  config(pod: string, name?: string): Promise<ReturnType<FakeRuntime['containerConfig']>>;
  events(reason: string): Promise<core.Event[]>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Lets real I/O (files, loopback sockets) progress between fake-clock steps. */
const realTick = () => new Promise((r) => setTimeout(r, 3));

async function setup(extra: Partial<NodeAgentOptions> = {}): Promise<Harness> {
  const env = await createTestEnv();
  const root = await mkdtemp(join(tmpdir(), 'bosun-agent-'));
  const logRoot = join(root, 'logs');
  const runtime = createFakeRuntime({ clock: env.clock, podCidr: '10.244.1.0/24', logRoot });
  const agents: NodeAgent[] = [];
  const newAgent = async () => {
    const a = createNodeAgent({ client: env.client, cri: createInProcessCriClient(runtime), nodeName: 'node-1', clock: env.clock, logger: quiet, rootDir: join(root, 'kubelet'), logRoot, memoryTmpfs: false, ...extra });
    agents.push(a);
    await a.start();
    return a;
  };
  const agent = await newAgent();
  const h: Harness = {
    env,
    clock: env.clock,
    runtime,
    agent,
    newAgent,
    root,
    logRoot,
    get: (name) => env.client.get('v1', 'Pod', 'default', name),
    async advance(ms) {
      await env.clock.advance(ms);
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      await realTick();
    },
    async until(what, pred, maxMs = 60_000) {
      for (let t = 0; t <= maxMs; t += 250) {
        if (await pred().catch(() => false)) return;
        await h.advance(250);
      }
      throw new Error(`timed out waiting for ${what}`);
    },
    async config(podName, name = 'app') {
      const p = await h.get(podName);
      const id = [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])].find((c) => c.name === name)?.containerID?.split('://')[1];
      return id ? runtime.containerConfig(id) : undefined;
    },
    async events(reason) {
      return (await env.client.list('v1', 'Event', { namespace: 'default' })).items.filter((e) => e.reason === reason);
    },
    async [Symbol.asyncDispose]() {
      for (const a of agents) await a.stop();
      runtime.dispose();
      await env.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
  return h;
}

function pod(name: string, spec: Partial<core.PodSpec> = {}, annotations: Record<string, string> = {}, labels: Record<string, string> = { app: name }): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', annotations, labels },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'busybox:1.36' }], ...spec },
  };
}

const perContainer = (m: Record<string, Record<string, string>>) => ({ [CONTAINER_ANNOTATIONS]: JSON.stringify(m) });
const cond = (p: Pod, type: string) => p.status?.conditions?.find((c) => c.type === type);
const running = (h: Harness, name: string) => async () => (await h.get(name)).status?.phase === 'Running';
const envOf = (cfg: { envs: { key: string; value: string }[] } | undefined) => Object.fromEntries((cfg?.envs ?? []).map((e) => [e.key, e.value]));

async function listen<T extends HttpServer | TcpServer>(server: T): Promise<{ server: T; port: number; close(): Promise<void> }> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { server, port, close: () => new Promise((r) => server.close(() => r())) };
}

describe('environment', () => {
  it('passes env from ConfigMaps, Secrets, fields, resources and services to the runtime, with $(VAR) expansion', async () => {
    await using h = await setup();
    const c = h.env.client;
    await c.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default' }, data: { INTERVAL: '5', mode: 'fast' } });
    await c.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'default' }, data: { password: Buffer.from('pw').toString('base64') } });
    await c.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'backend', namespace: 'default' }, spec: { clusterIP: '10.96.0.20', ports: [{ port: 8080 }] } });
    await c.create(
      pod('envy', {
        containers: [
          {
            name: 'app',
            image: 'busybox:1.36',
            command: ['sh', '-c', 'sleep $(INTERVAL)_1'],
            resources: { limits: { memory: '32Mi' } },
            envFrom: [{ configMapRef: { name: 'cfg' } }, { prefix: 'DB_', secretRef: { name: 'db' } }],
            env: [
              { name: 'MY_POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'MY_NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
              { name: 'TARGET', value: 'http://$(BACKEND_SERVICE_HOST):$(BACKEND_SERVICE_PORT)' },
            ],
          },
        ],
      }),
    );
    await h.until('Running', running(h, 'envy'));
    const p = await h.get('envy');
    const cfg = await h.config('envy');
    expect(cfg?.command).toEqual(['sh', '-c', 'sleep 5_1']);
    expect(envOf(cfg)).toMatchObject({ INTERVAL: '5', mode: 'fast', DB_password: 'pw', MY_POD_IP: p.status!.podIP!, MY_NODE: 'node-1', MEM_MI: '32', TARGET: 'http://10.96.0.20:8080', BACKEND_SERVICE_HOST: '10.96.0.20' });
    expect(cfg?.linux?.resources).toMatchObject({ memoryLimitInBytes: 32 * 1024 * 1024, cpuShares: 2, cpuPeriod: 100_000, cpuQuota: 0 });
  });

  it('waits with CreateContainerConfigError while a referenced ConfigMap is missing, and starts once it exists', async () => {
    await using h = await setup();
    await h.env.client.create(pod('needs-cm', { containers: [{ name: 'app', image: 'busybox:1.36', env: [{ name: 'K', valueFrom: { configMapKeyRef: { name: 'later', key: 'k' } } }] }] }));
    await h.until('CreateContainerConfigError', async () => (await h.get('needs-cm')).status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError');
    const p = await h.get('needs-cm');
    expect(p.status?.phase).toBe('Pending');
    expect(p.status?.containerStatuses?.[0]?.state?.waiting?.message).toBe('configmap "later" not found');
    await h.until('Failed event', async () => (await h.events('Failed')).some((e) => e.message === 'Error: configmap "later" not found'));
    expect(h.runtime.counts().containers).toBe(0);
    await h.env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'later', namespace: 'default' }, data: { k: 'v' } });
    await h.until('Running', running(h, 'needs-cm'), 15_000);
    expect(envOf(await h.config('needs-cm')).K).toBe('v');
  });
});

describe('volumes', () => {
  it('mounts emptyDir, configMap (items, subPath) and downwardAPI volumes, refreshes them, and tears them down with the pod', async () => {
    await using h = await setup({ syncFrequencyMs: 5_000 });
    const c = h.env.client;
    await c.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'site', namespace: 'default' }, data: { 'index.html': 'v1', 'nginx.conf': 'worker 1' } });
    await c.create(
      pod('vols', {
        terminationGracePeriodSeconds: 1,
        volumes: [
          { name: 'shared', emptyDir: {} },
          { name: 'site', configMap: { name: 'site', items: [{ key: 'index.html', path: 'html/index.html' }, { key: 'nginx.conf', path: 'nginx.conf' }] } },
          { name: 'podinfo', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        ],
        containers: [
          {
            name: 'app',
            image: 'busybox:1.36',
            volumeMounts: [
              { name: 'shared', mountPath: '/cache' },
              { name: 'site', mountPath: '/usr/share/nginx/html', subPath: 'html' },
              { name: 'site', mountPath: '/etc/nginx/nginx.conf', subPath: 'nginx.conf' },
              { name: 'podinfo', mountPath: '/etc/podinfo' },
            ],
          },
          { name: 'sidecar', image: 'busybox:1.36', volumeMounts: [{ name: 'shared', mountPath: '/data', readOnly: true }] },
        ],
      }),
    );
    await h.until('Running', running(h, 'vols'));
    const uid = (await h.get('vols')).metadata!.uid!;
    const podDir = join(h.root, 'kubelet', 'pods', uid);
    const mounts = (await h.config('vols'))!.mounts;
    const by = (p: string) => mounts.find((m) => m.containerPath === p)!;
    expect(by('/cache')).toMatchObject({ hostPath: join(podDir, 'volumes/kubernetes.io~empty-dir/shared'), readonly: false });
    expect((await h.config('vols', 'sidecar'))!.mounts).toEqual([expect.objectContaining({ containerPath: '/data', hostPath: join(podDir, 'volumes/kubernetes.io~empty-dir/shared'), readonly: true })]);
    expect(by('/etc/podinfo')).toMatchObject({ hostPath: join(podDir, 'volumes/kubernetes.io~downward-api/podinfo'), readonly: true });
    expect(await readFile(join(by('/usr/share/nginx/html').hostPath, 'index.html'), 'utf8')).toBe('v1');
    expect(await readFile(by('/etc/nginx/nginx.conf').hostPath, 'utf8')).toBe('worker 1');
    const cmDir = join(podDir, 'volumes/kubernetes.io~configmap/site');

    // A ConfigMap update reaches the volume on the next periodic sync.
    const cm = await c.get('v1', 'ConfigMap', 'default', 'site');
    await c.update({ ...cm, data: { 'index.html': 'v2', 'nginx.conf': 'worker 2' } });
    await h.until('configMap update', async () => (await readFile(join(cmDir, 'html/index.html'), 'utf8')) === 'v2', 10_000);

    // Relabelling rewrites the downward API labels file.
    const p = await h.get('vols');
    await c.update({ ...p, metadata: { ...p.metadata, labels: { app: 'vols', version: '2' } } });
    await h.until('labels file', async () => (await readFile(join(podDir, 'volumes/kubernetes.io~downward-api/podinfo/labels'), 'utf8')) === 'app="vols"\nversion="2"', 5_000);

    await c.delete('v1', 'Pod', 'default', 'vols');
    await h.until('pod gone', async () => !(await c.list('v1', 'Pod', { namespace: 'default' })).items.length, 10_000);
    await expect(stat(podDir)).rejects.toThrow();
  });

  it('evicts a pod whose disk emptyDir grows beyond its sizeLimit', async () => {
    await using h = await setup({ syncFrequencyMs: 5_000 });
    await h.env.client.create(pod('hog', { volumes: [{ name: 'cache', emptyDir: { sizeLimit: '1Ki' } }], containers: [{ name: 'app', image: 'busybox:1.36', volumeMounts: [{ name: 'cache', mountPath: '/cache' }] }] }));
    await h.until('Running', running(h, 'hog'));
    const uid = (await h.get('hog')).metadata!.uid!;
    await h.advance(6_000);
    expect((await h.get('hog')).status?.phase).toBe('Running'); // empty: within the limit
    await writeFile(join(h.root, 'kubelet/pods', uid, 'volumes/kubernetes.io~empty-dir/cache/blob'), Buffer.alloc(4096));
    await h.until('Evicted', async () => (await h.get('hog')).status?.phase === 'Failed', 10_000);
    const p = await h.get('hog');
    expect(p.status).toMatchObject({ reason: 'Evicted', message: 'Usage of EmptyDir volume "cache" exceeds the limit "1Ki".' });
    expect(cond(p, 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'TerminationByKubelet' });
    expect(h.runtime.counts().running).toBe(0);
    expect((await h.events('Evicted')).length).toBeGreaterThan(0);
  });

  it('keeps the pod Pending with a FailedMount event until the volume can be set up', async () => {
    await using h = await setup();
    await h.env.client.create(pod('nomount', { volumes: [{ name: 'cfg', configMap: { name: 'absent' } }], containers: [{ name: 'app', image: 'busybox:1.36', volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] }] }));
    await h.until('FailedMount', async () => (await h.events('FailedMount')).length > 0);
    expect((await h.events('FailedMount'))[0]!.message).toBe('MountVolume.SetUp failed for volume "cfg" : configmap "absent" not found');
    const p = await h.get('nomount');
    expect(p.status?.phase).toBe('Pending');
    expect(p.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ContainerCreating');
    expect(h.runtime.counts().sandboxes).toBe(0);
    await h.env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'absent', namespace: 'default' }, data: { a: 'b' } });
    await h.until('Running', running(h, 'nomount'), 30_000);
  });
});

describe('volumes through CSI and across restarts', () => {
  it('publishes a CSI-backed PVC into the pod (stage + publish) and unpublishes it when the pod goes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bosun-csi-'));
    const driver = createHostPathDriver({ nodeId: 'node-1', rootDir: join(dir, 'csi'), stageUnstage: true, publishMode: 'symlink' });
    const server = await serveCsi(driver, { socketPath: join(dir, 'csi.sock'), name: 'hostpath' });
    const csi = createCsiClient(join(dir, 'csi.sock'));
    try {
      await using h = await setup({ csiDrivers: { 'hostpath.csi.bosun.dev': csi } });
      const node = await h.env.client.get('v1', 'Node', '', 'node-1');
      expect(node.metadata?.labels?.['topology.hostpath.csi.bosun.dev/node']).toBe('node-1');
      const created = (await driver.createVolume!({ name: 'pvc-www', capacityRange: { requiredBytes: 1024, limitBytes: 0 }, volumeCapabilities: [{ mount: { fsType: '', mountFlags: [], volumeMountGroup: '' }, block: null, accessMode: { mode: 'SINGLE_NODE_WRITER' } }], parameters: {}, secrets: {} } as never)) as { volume: { volumeId: string } };
      const c = h.env.client;
      await c.create({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-www' }, spec: { capacity: { storage: '1Ki' }, accessModes: ['ReadWriteOnce'], csi: { driver: 'hostpath.csi.bosun.dev', volumeHandle: created.volume.volumeId } } } as never);
      const pvc = await c.create({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'www', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Ki' } }, volumeName: 'pv-www' } } as never);
      await c.updateStatus({ ...(pvc as object), status: { phase: 'Bound' } } as never);
      await c.create(pod('sts-0', { terminationGracePeriodSeconds: 1, volumes: [{ name: 'www', persistentVolumeClaim: { claimName: 'www' } }], containers: [{ name: 'app', image: 'busybox:1.36', volumeMounts: [{ name: 'www', mountPath: '/usr/share/nginx/html' }] }] }));
      await h.until('Running', running(h, 'sts-0'));
      const uid = (await h.get('sts-0')).metadata!.uid!;
      const target = join(h.root, 'kubelet/pods', uid, 'volumes/kubernetes.io~csi/pv-www/mount');
      expect((await h.config('sts-0'))!.mounts).toEqual([expect.objectContaining({ containerPath: '/usr/share/nginx/html', hostPath: target, readonly: false })]);
      expect(driver.publications().map((p) => p.kind).sort()).toEqual(['publish', 'stage']);
      await c.delete('v1', 'Pod', 'default', 'sts-0');
      await h.until('pod gone', async () => !(await c.list('v1', 'Pod', { namespace: 'default' })).items.length, 10_000);
      expect(driver.publications()).toEqual([]);
    } finally {
      csi.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('removes the volume directory of a pod deleted while the agent was down', async () => {
    await using h = await setup();
    await h.env.client.create(pod('gone', { volumes: [{ name: 'scratch', emptyDir: {} }], containers: [{ name: 'app', image: 'busybox:1.36', volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] }] }));
    await h.until('Running', running(h, 'gone'));
    const uid = (await h.get('gone')).metadata!.uid!;
    const podDir = join(h.root, 'kubelet/pods', uid);
    expect((await stat(podDir)).isDirectory()).toBe(true);
    await h.agent.stop();
    await h.env.client.delete('v1', 'Pod', 'default', 'gone', { gracePeriodSeconds: 0 });
    for (const sb of (await h.runtime.listPodSandbox({ filter: null })).items ?? []) await h.runtime.removePodSandbox({ podSandboxId: sb.id! });
    expect(h.runtime.counts().sandboxes).toBe(0); // only the volume directory is left
    await h.newAgent();
    await h.until('pod dir removed', async () => !(await stat(podDir).catch(() => undefined)), 5_000);
  });
});

describe('stopping the node', () => {
  it('keeps volumes on a plain stop (for adoption) and removes them with tearDownVolumes', async () => {
    await using h = await setup();
    await h.env.client.create(pod('kept', { volumes: [{ name: 'scratch', emptyDir: {} }], containers: [{ name: 'app', image: 'busybox:1.36', volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] }] }));
    await h.until('Running', running(h, 'kept'));
    const podDir = join(h.root, 'kubelet/pods', (await h.get('kept')).metadata!.uid!);
    await h.agent.stop();
    expect((await stat(podDir)).isDirectory()).toBe(true);
    await h.agent.stop({ tearDownVolumes: true });
    await expect(stat(podDir)).rejects.toThrow();
  });
});

describe('logs, exec and stats', () => {
  it('reads the current and previous logs with tailLines and timestamps, and explains what is missing', async () => {
    await using h = await setup();
    const script = { 'fake.bosun.dev/stdout': 'starting attempt {{attempt}}\nready', 'fake.bosun.dev/stderr': 'warn {{attempt}}' };
    await h.env.client.create(pod('logger', {}, { ...script, 'fake.bosun.dev/exit-after': '2s', 'fake.bosun.dev/exit-code': '1' }));
    await h.until('Running', running(h, 'logger'));
    await expect(h.agent.logs('default', 'logger', { previous: true })).rejects.toThrow('previous terminated container "app" in pod "logger" not found');
    expect(await h.agent.logs('default', 'logger')).toBe('starting attempt 0\nready\nwarn 0\n');
    await h.until('restart', async () => ((await h.get('logger')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
    expect(await h.agent.logs('default', 'logger', { container: 'app' })).toBe('starting attempt 1\nready\nwarn 1\n');
    expect(await h.agent.logs('default', 'logger', { previous: true })).toBe('starting attempt 0\nready\nwarn 0\n');
    expect(await h.agent.logs('default', 'logger', { tailLines: 1 })).toBe('warn 1\n');
    expect(await h.agent.logs('default', 'logger', { tailLines: 1, timestamps: true })).toMatch(/^2026-01-01T00:00:\d{2}\.\d{9}Z warn 1\n$/);
    const uid = (await h.get('logger')).metadata!.uid;
    expect((await stat(join(h.logRoot, `default_logger_${uid}`, 'app', '1.log'))).isFile()).toBe(true);
    await expect(h.agent.logs('default', 'logger', { container: 'nope' })).rejects.toThrow('container nope is not valid for pod logger');
    await expect(h.agent.logs('default', 'ghost')).rejects.toMatchObject({ reason: 'NotFound' });
    await expect(h.agent.logs('default', 'logger', { tailLines: -1 })).rejects.toThrow('tailLines must be a non-negative integer');
  });

  it('asks for a container name when the pod has several', async () => {
    await using h = await setup();
    await h.env.client.create(pod('two', { containers: [{ name: 'a', image: 'busybox:1.36' }, { name: 'b', image: 'busybox:1.36' }], initContainers: [{ name: 'i', image: 'busybox:1.36' }] }, perContainer({ i: { 'fake.bosun.dev/exit-after': '1s' } })));
    await expect(h.agent.logs('default', 'two')).rejects.toThrow('a container name must be specified for pod two, choose one of: [a b] or one of the init containers: [i]');
    await expect(h.agent.logs('default', 'two', { container: 'a' })).rejects.toThrow(/container "a" in pod "two" is waiting to start: (PodInitializing|ContainerCreating)/);
  });

  it('runs a command in a running container and returns its output and exit code', async () => {
    await using h = await setup();
    await h.env.client.create(pod('ex', {}, perContainer({ app: { 'fake.bosun.dev/exec-cat': '{"stdout":"hello\\n","stderr":"","exitCode":0}', 'fake.bosun.dev/exec-fail': '{"stdout":"","stderr":"boom","exitCode":3}' } })));
    await h.until('Running', running(h, 'ex'));
    expect(await h.agent.exec('default', 'ex', 'app', ['cat', '/etc/hostname'])).toEqual({ exitCode: 0, stdout: 'hello\n', stderr: '' });
    expect(await h.agent.exec('default', 'ex', 'app', ['fail'], { timeoutSeconds: 5 })).toEqual({ exitCode: 3, stdout: '', stderr: 'boom' });
    await expect(h.agent.exec('default', 'ex', 'app', [])).rejects.toThrow('you must specify at least one command for the container');
    await expect(h.agent.exec('default', 'ex', 'other', ['ls'])).rejects.toThrow('container other is not valid for pod ex');
  });

  it('serves pod usage from ListContainerStats in the HPA MetricsProvider shape', async () => {
    await using h = await setup();
    await h.env.client.create(pod('busy', { containers: [{ name: 'a', image: 'busybox:1.36' }, { name: 'b', image: 'busybox:1.36' }] }, { 'fake.bosun.dev/cpu-millicores': '150', 'fake.bosun.dev/memory-bytes': String(64 * 1024 * 1024) }, { app: 'web' }));
    await h.env.client.create(pod('idle', {}, {}, { app: 'db' }));
    await h.until('both Running', async () => (await running(h, 'busy')()) && (await running(h, 'idle')()));
    const provider = h.agent.metricsProvider();
    const web = await provider.getPodMetrics('default', parseLabelSelector('app=web'));
    expect(web).toEqual([{ pod: 'busy', timestamp: h.clock.now(), windowMs: 30_000, usage: { cpu: '300m', memory: '131072Ki' } }]);
    const all = await provider.getPodMetrics('default', everythingSelector);
    expect(all.map((s) => s.pod).sort()).toEqual(['busy', 'idle']);
    expect(all.find((s) => s.pod === 'idle')!.usage).toEqual({ cpu: '10m', memory: '8192Ki' });
    expect(await provider.getPodMetrics('kube-system', everythingSelector)).toEqual([]);
  });
});

describe('HTTP and TCP probes against loopback servers', () => {
  it('gates Ready on an httpGet readiness probe (port by name, path, headers)', async () => {
    let healthy = false;
    const seen: IncomingMessage[] = [];
    const srv = await listen(
      createHttpServer((req, res) => {
        seen.push(req);
        res.statusCode = req.url === '/healthz' && healthy ? 200 : 503;
        res.end();
      }),
    );
    try {
      await using h = await setup();
      const probe: core.Probe = { httpGet: { host: '127.0.0.1', path: '/healthz', port: 'http', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] }, periodSeconds: 1, failureThreshold: 1 };
      await h.env.client.create(pod('web', { containers: [{ name: 'app', image: 'busybox:1.36', ports: [{ name: 'http', containerPort: srv.port }], readinessProbe: probe }] }));
      await h.until('Running', running(h, 'web'));
      await h.advance(3_000);
      expect(cond(await h.get('web'), 'Ready')?.status).toBe('False');
      await h.until('Unhealthy event', async () => (await h.events('Unhealthy')).some((e) => e.message === 'Readiness probe failed: HTTP probe failed with statuscode: 503'), 2_000);
      healthy = true;
      await h.until('Ready', async () => cond(await h.get('web'), 'Ready')?.status === 'True', 5_000);
      expect(seen.at(-1)!.headers).toMatchObject({ 'x-probe': 'yes', 'user-agent': expect.stringMatching(/^kube-probe\//) });
      healthy = false;
      await h.until('not Ready again', async () => cond(await h.get('web'), 'Ready')?.status === 'False', 5_000);
      expect((await h.get('web')).status?.containerStatuses?.[0]?.restartCount).toBe(0);
    } finally {
      await srv.close();
    }
  });

  it('restarts a container whose httpGet liveness probe fails failureThreshold times (hostNetwork: the host is the node IP)', async () => {
    let status = 200;
    const srv = await listen(createHttpServer((_req, res) => ((res.statusCode = status), res.end())));
    try {
      await using h = await setup();
      await h.env.client.create(pod('live', { hostNetwork: true, containers: [{ name: 'app', image: 'busybox:1.36', livenessProbe: { httpGet: { path: '/', port: srv.port }, periodSeconds: 2, failureThreshold: 3, initialDelaySeconds: 1 } }] }));
      await h.until('Running', running(h, 'live'));
      await h.advance(10_000);
      expect((await h.get('live')).status?.containerStatuses?.[0]?.restartCount).toBe(0);
      status = 500;
      await h.until('restart', async () => ((await h.get('live')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 20_000);
      expect((await h.get('live')).status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(143);
      await h.until('Killing event', async () => (await h.events('Killing')).some((e) => e.message === 'Container app failed liveness probe, will be restarted'), 2_000);
    } finally {
      await srv.close();
    }
  });

  it('uses a tcpSocket readiness probe, and holds readiness behind a startup probe', async () => {
    const tcp = await listen(createTcpServer((s) => s.end()));
    try {
      await using h = await setup();
      await h.env.client.create(
        pod('tcp', {
          containers: [
            {
              name: 'app',
              image: 'busybox:1.36',
              startupProbe: { tcpSocket: { host: '127.0.0.1', port: tcp.port }, initialDelaySeconds: 5, periodSeconds: 1 },
              readinessProbe: { tcpSocket: { host: '127.0.0.1', port: tcp.port }, periodSeconds: 1 },
            },
          ],
        }),
      );
      await h.until('Running', running(h, 'tcp'));
      await h.advance(2_000);
      expect((await h.get('tcp')).status?.containerStatuses?.[0]).toMatchObject({ started: false, ready: false });
      await h.until('Ready', async () => cond(await h.get('tcp'), 'Ready')?.status === 'True', 10_000);
      expect((await h.get('tcp')).status?.containerStatuses?.[0]?.started).toBe(true);
    } finally {
      await tcp.close();
    }
  });

  it('fails a tcpSocket probe on a closed port', async () => {
    const tcp = await listen(createTcpServer((s) => s.end()));
    const port = tcp.port;
    await tcp.close();
    await using h = await setup();
    await h.env.client.create(pod('closed', { containers: [{ name: 'app', image: 'busybox:1.36', readinessProbe: { tcpSocket: { host: '127.0.0.1', port }, periodSeconds: 1, successThreshold: 2 } }] }));
    await h.until('Running', running(h, 'closed'));
    await h.advance(4_000);
    expect(cond(await h.get('closed'), 'Ready')?.status).toBe('False');
    await h.until('Unhealthy event', async () => (await h.events('Unhealthy')).some((e) => e.message?.startsWith(`Readiness probe failed: dial tcp 127.0.0.1:${port}: `)), 2_000);
  });
});

describe('probe thresholds and timeouts', () => {
  it('needs successThreshold consecutive successes before Ready', async () => {
    let healthy = false;
    const srv = await listen(createHttpServer((_req, res) => ((res.statusCode = healthy ? 200 : 500), res.end())));
    try {
      await using h = await setup();
      await h.env.client.create(pod('slowready', { hostNetwork: true, containers: [{ name: 'app', image: 'busybox:1.36', readinessProbe: { httpGet: { port: srv.port, path: '/' }, periodSeconds: 1, successThreshold: 3 } }] }));
      await h.until('Running', running(h, 'slowready'));
      await h.advance(2_000);
      healthy = true;
      for (let i = 0; i < 6; i++) await h.advance(250); // at most two probe runs since it turned healthy
      expect(cond(await h.get('slowready'), 'Ready')?.status).toBe('False');
      await h.until('Ready', async () => cond(await h.get('slowready'), 'Ready')?.status === 'True', 5_000);
    } finally {
      await srv.close();
    }
  });

  it('counts a probe that does not answer within timeoutSeconds as failed', async () => {
    const hanging = await listen(createHttpServer(() => undefined)); // never responds
    try {
      await using h = await setup();
      await h.env.client.create(pod('hang', { containers: [{ name: 'app', image: 'busybox:1.36', readinessProbe: { httpGet: { host: '127.0.0.1', port: hanging.port }, periodSeconds: 5, timeoutSeconds: 1 } }] }));
      await h.until('Running', running(h, 'hang'));
      for (let i = 0; i < 500 && !(await h.events('Unhealthy')).length; i++) await new Promise((r) => setTimeout(r, 10)); // the timeout is real time
      expect((await h.events('Unhealthy'))[0]?.message).toMatch(/^Readiness probe failed: Get "http:\/\/127\.0\.0\.1:\d+\/": timeout after 1000ms$/);
      expect(cond(await h.get('hang'), 'Ready')?.status).toBe('False');
    } finally {
      hanging.server.closeAllConnections();
      await hanging.close();
    }
  });
});

describe('lifecycle hooks', () => {
  it('runs an httpGet postStart hook before the container counts as Running, and a preStop hook on delete', async () => {
    const hits: string[] = [];
    const srv = await listen(createHttpServer((req, res) => (hits.push(req.url ?? ''), res.end())));
    try {
      await using h = await setup();
      const lifecycle: core.Lifecycle = { postStart: { httpGet: { host: '127.0.0.1', port: srv.port, path: '/started' } }, preStop: { httpGet: { host: '127.0.0.1', port: srv.port, path: '/stopping' } } };
      await h.env.client.create(pod('hooks', { terminationGracePeriodSeconds: 5, containers: [{ name: 'app', image: 'busybox:1.36', lifecycle }] }));
      await h.until('Running', running(h, 'hooks'));
      expect(hits).toEqual(['/started']);
      await h.env.client.delete('v1', 'Pod', 'default', 'hooks');
      await h.until('gone', async () => !(await h.env.client.list('v1', 'Pod', { namespace: 'default' })).items.length, 10_000);
      expect(hits).toEqual(['/started', '/stopping']);
      expect((await h.events('Killing')).map((e) => e.message)).toContain('Stopping container app');
    } finally {
      await srv.close();
    }
  });

  it('kills the container when its postStart hook fails (FailedPostStartHook) and restarts it per policy', async () => {
    const srv = await listen(createHttpServer((_req, res) => ((res.statusCode = 500), res.end())));
    try {
      await using h = await setup();
      await h.env.client.create(pod('badhook', { containers: [{ name: 'app', image: 'busybox:1.36', lifecycle: { postStart: { httpGet: { host: '127.0.0.1', port: srv.port, path: '/' } } } }] }));
      await h.until('restart', async () => ((await h.get('badhook')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 30_000);
      expect((await h.events('FailedPostStartHook'))[0]?.message).toBe('PostStartHook failed');
      const cs = (await h.get('badhook')).status!.containerStatuses![0]!;
      expect(cs.lastState?.terminated?.exitCode).toBe(143);
    } finally {
      await srv.close();
    }
  });

  it('kills the container when an exec postStart hook exits non-zero', async () => {
    await using h = await setup();
    await h.env.client.create(pod('exechook', { restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox:1.36', lifecycle: { postStart: { exec: { command: ['false'] } } } }] }));
    await h.until('Failed', async () => (await h.get('exechook')).status?.phase === 'Failed');
    expect((await h.events('FailedPostStartHook')).length).toBe(1);
  });

  it('runs a sleep preStop hook on the clock before stopping the container', async () => {
    await using h = await setup();
    await h.env.client.create(pod('sleeper', { terminationGracePeriodSeconds: 10, containers: [{ name: 'app', image: 'busybox:1.36', lifecycle: { preStop: { sleep: { seconds: 4 } } } }] }));
    await h.until('Running', running(h, 'sleeper'));
    await h.env.client.delete('v1', 'Pod', 'default', 'sleeper');
    await h.advance(3_000);
    expect(h.runtime.counts().running).toBe(1); // still in its preStop sleep
    await h.until('gone', async () => !(await h.env.client.list('v1', 'Pod', { namespace: 'default' })).items.length, 3_000);
  });
});

describe('image pull policy', () => {
  it.each([
    ['Always pulls even a present image', 'busybox:1.36', 'Always', 1],
    ['IfNotPresent does not pull a present image', 'busybox:1.36', 'IfNotPresent', 0],
    ['Never runs a present image without pulling', 'busybox:1.36', 'Never', 0],
    ['an untagged image defaults to Always', 'busybox', undefined, 1],
  ] as const)('%s', async (_n, image, imagePullPolicy, pulls) => {
    await using h = await setup();
    await h.env.client.create(pod('img', { containers: [{ name: 'app', image, ...(imagePullPolicy ? { imagePullPolicy } : {}) }] }));
    await h.until('Running', running(h, 'img'));
    expect(h.runtime.pulls()).toHaveLength(pulls);
  });

  it('backs off failed pulls with growing delays (ImagePullBackOff)', async () => {
    await using h = await setup();
    await h.env.client.create(pod('bad', { containers: [{ name: 'app', image: 'does-not-exist/app:1.0' }] }));
    const attempts: number[] = [];
    const t0 = h.clock.now();
    for (let i = 0; i < 320; i++) {
      await h.advance(250);
      while (attempts.length < h.runtime.pulls().length) attempts.push(h.clock.now() - t0);
    }
    expect(attempts.length).toBeGreaterThanOrEqual(4);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    // Observed on 250 ms steps, so each gap is the back-off give or take one step (plus the 1 s re-check).
    expect(gaps[0]).toBeGreaterThanOrEqual(9_750);
    expect(gaps[0]).toBeLessThanOrEqual(11_250);
    expect(gaps[1]).toBeGreaterThanOrEqual(19_750);
    expect(gaps[1]).toBeLessThanOrEqual(21_250);
    expect(gaps[2]).toBeGreaterThanOrEqual(39_750);
    expect(gaps[2]).toBeLessThanOrEqual(41_250);
    expect((await h.get('bad')).status?.containerStatuses?.[0]?.state?.waiting?.reason).toMatch(/^(ImagePullBackOff|ErrImagePull)$/);
    expect((await h.events('Failed')).some((e) => e.message?.startsWith('Failed to pull image "does-not-exist/app:1.0"'))).toBe(true);
  });
});
