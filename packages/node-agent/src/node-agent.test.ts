import { describe, expect, it } from 'vitest';
import type { FakeClock, Pod, core } from '@bosun/api';
import { createTestEnv, type TestEnv } from '@bosun/apiserver';
import { createInProcessCriClient } from '@bosun/cri';
import { createFakeRuntime, type FakeRuntime } from '@bosun/runtime-fake';
import { CONTAINER_ANNOTATIONS, createNodeAgent, type NodeAgent, type NodeAgentOptions } from './index';

const quiet = { warn: () => undefined, error: () => undefined };

interface Harness {
  env: TestEnv;
  clock: FakeClock;
  runtime: FakeRuntime;
  agent: NodeAgent;
  newAgent(): Promise<NodeAgent>;
  get(name: string): Promise<Pod>;
  advance(ms: number): Promise<void>;
  until(what: string, pred: () => Promise<boolean>, maxMs?: number): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

async function setup(extra: Partial<NodeAgentOptions> = {}): Promise<Harness> {
  const env = await createTestEnv();
  const runtime = createFakeRuntime({ clock: env.clock, podCidr: '10.244.1.0/24' });
  const cri = createInProcessCriClient(runtime);
  const agents: NodeAgent[] = [];
  const newAgent = async () => {
    const a = createNodeAgent({ client: env.client, cri, nodeName: 'node-1', clock: env.clock, logger: quiet, ...extra });
    agents.push(a);
    await a.start();
    return a;
  };
  const agent = await newAgent();
  const flush = async () => {
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  };
  const h: Harness = {
    env,
    clock: env.clock,
    runtime,
    agent,
    newAgent,
    get: (name) => env.client.get('v1', 'Pod', 'default', name),
    async advance(ms) {
      await env.clock.advance(ms);
      await flush();
    },
    async until(what, pred, maxMs = 60_000) {
      for (let t = 0; t <= maxMs; t += 250) {
        if (await pred().catch(() => false)) return;
        await h.advance(250);
      }
      throw new Error(`timed out waiting for ${what}`);
    },
    async [Symbol.asyncDispose]() {
      for (const a of agents) await a.stop();
      runtime.dispose();
      await env.stop();
    },
  };
  return h;
}

function pod(name: string, spec: Partial<core.PodSpec> = {}, annotations: Record<string, string> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', annotations },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'busybox:1.36' }], ...spec },
  };
}

const perContainer = (m: Record<string, Record<string, string>>) => ({ [CONTAINER_ANNOTATIONS]: JSON.stringify(m) });
const cond = (p: Pod, type: string) => p.status?.conditions?.find((c) => c.type === type);

describe('node registration and heartbeat', () => {
  it('registers the Node with labels, capacity, addresses, node info and Ready conditions', async () => {
    await using h = await setup({ labels: { disk: 'ssd' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }], podCidr: '10.244.1.0/24', capacity: { cpu: '8', memory: '16Gi', pods: '50' } });
    const node = await h.env.client.get('v1', 'Node', '', 'node-1');
    expect(node.metadata.labels).toMatchObject({ 'kubernetes.io/hostname': 'node-1', 'kubernetes.io/os': 'linux', disk: 'ssd' });
    expect(node.metadata.labels?.['kubernetes.io/arch']).toBeTruthy();
    expect(node.spec?.taints).toEqual([{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]);
    expect(node.spec?.podCIDR).toBe('10.244.1.0/24');
    expect(node.status?.capacity).toMatchObject({ cpu: '8', memory: '16Gi', pods: '50', 'ephemeral-storage': '100Gi' });
    expect(node.status?.allocatable).toEqual(node.status?.capacity);
    expect(node.status?.addresses).toEqual([{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: 'node-1' }]);
    expect(node.status?.nodeInfo).toMatchObject({ containerRuntimeVersion: 'bosun-fake://0.1.0', kubeletVersion: 'v1.32.0-bosun', operatingSystem: 'linux' });
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' });
    expect(ready?.lastHeartbeatTime).toBe('2026-01-01T00:00:00Z');
    for (const t of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) expect(node.status?.conditions?.find((c) => c.type === t)?.status).toBe('False');
  });

  it('renews its Lease every heartbeat interval and refreshes the node status', async () => {
    await using h = await setup({ heartbeatIntervalMs: 10_000, nodeStatusIntervalMs: 60_000 });
    const lease = () => h.env.client.get('coordination.k8s.io/v1', 'Lease', 'kube-node-lease', 'node-1');
    const first = await lease();
    expect(first.spec).toMatchObject({ holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.000000Z' });
    expect(first.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Node', name: 'node-1' });
    await h.advance(10_000);
    expect((await lease()).spec?.renewTime).toBe('2026-01-01T00:00:10.000000Z');
    await h.advance(50_000);
    const node = await h.env.client.get('v1', 'Node', '', 'node-1');
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime).toBe('2026-01-01T00:01:00Z');
  });
});

describe('pod lifecycle', () => {
  it('runs a pod bound to the node: Running, with a pod IP, Ready, and container statuses', async () => {
    await using h = await setup();
    await h.env.client.create(pod('web'));
    await h.until('web Ready', async () => cond(await h.get('web'), 'Ready')?.status === 'True');
    const p = await h.get('web');
    expect(p.status?.phase).toBe('Running');
    expect(p.status?.podIP).toMatch(/^10\.244\.1\.\d+$/);
    expect(p.status?.hostIP).toBe('127.0.0.1');
    expect(p.status?.startTime).toBeTruthy();
    for (const t of ['PodScheduled', 'PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready']) expect(cond(p, t)?.status).toBe('True');
    const cs = p.status?.containerStatuses?.[0];
    expect(cs).toMatchObject({ name: 'app', image: 'busybox:1.36', ready: true, started: true, restartCount: 0 });
    expect(cs?.containerID).toMatch(/^bosun-fake:\/\/[0-9a-f]+$/);
    expect(cs?.imageID).toBeTruthy();
    expect(cs?.state?.running?.startedAt).toBeTruthy();
    expect(h.runtime.counts()).toMatchObject({ sandboxes: 1, containers: 1, running: 1 });
  });

  it('runs init containers one at a time, in order, before the app containers', async () => {
    await using h = await setup();
    const annotations = perContainer({ 'init-a': { 'fake.bosun.dev/exit-after': '3s' }, 'init-b': { 'fake.bosun.dev/exit-after': '2s' } });
    await h.env.client.create(
      pod('with-init', { initContainers: [{ name: 'init-a', image: 'busybox:1.36' }, { name: 'init-b', image: 'busybox:1.36' }] }, annotations),
    );
    await h.until('init-a running', async () => !!(await h.get('with-init')).status?.initContainerStatuses?.[0]?.state?.running);
    const early = await h.get('with-init');
    expect(early.status?.phase).toBe('Pending');
    expect(early.status?.initContainerStatuses?.[1]?.state?.waiting?.reason).toBe('ContainerCreating');
    expect(early.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('PodInitializing');
    expect(cond(early, 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [init-a init-b]' });
    await h.until('Running', async () => (await h.get('with-init')).status?.phase === 'Running');
    const p = await h.get('with-init');
    const [a, b] = p.status!.initContainerStatuses!;
    expect(a!.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(b!.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(Date.parse(b!.state!.terminated!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(a!.state!.terminated!.finishedAt!));
    expect(Date.parse(p.status!.containerStatuses![0]!.state!.running!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(b!.state!.terminated!.finishedAt!));
    expect(cond(p, 'Initialized')?.status).toBe('True');
  });

  it('fails the pod when an init container fails under restartPolicy Never', async () => {
    await using h = await setup();
    const annotations = perContainer({ init: { 'fake.bosun.dev/exit-after': '1s', 'fake.bosun.dev/exit-code': '2' } });
    await h.env.client.create(pod('bad-init', { restartPolicy: 'Never', initContainers: [{ name: 'init', image: 'busybox:1.36' }] }, annotations));
    await h.until('Failed', async () => (await h.get('bad-init')).status?.phase === 'Failed');
    const p = await h.get('bad-init');
    expect(p.status?.initContainerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
    expect(h.runtime.counts().running).toBe(0);
  });

  it('puts a crashing container (restartPolicy Always) into CrashLoopBackOff, restarting after 10 s, 20 s, 40 s', async () => {
    await using h = await setup();
    await h.env.client.create(pod('crasher', {}, { 'fake.bosun.dev/exit-after': '1s', 'fake.bosun.dev/exit-code': '1' }));
    const restarts: number[] = [];
    let sawBackoff = false;
    const t0 = h.clock.now();
    let last = 0;
    while (h.clock.now() - t0 < 110_000) {
      await h.advance(250);
      const cs = (await h.get('crasher')).status?.containerStatuses?.[0];
      if (cs?.state?.waiting?.reason === 'CrashLoopBackOff') {
        sawBackoff = true;
        expect(cs.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
      }
      if ((cs?.restartCount ?? 0) > last) {
        last = cs!.restartCount!;
        restarts.push(h.clock.now() - t0);
      }
    }
    expect(sawBackoff).toBe(true);
    expect(restarts.length).toBeGreaterThanOrEqual(4);
    // Each gap is the 1 s run plus the back-off; the first restart has none.
    const gaps = restarts.slice(1).map((t, i) => t - restarts[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(11_000);
    expect(gaps[0]).toBeLessThanOrEqual(13_000);
    expect(gaps[1]).toBeGreaterThanOrEqual(21_000);
    expect(gaps[1]).toBeLessThanOrEqual(23_000);
    expect(gaps[2]).toBeGreaterThanOrEqual(41_000);
    expect(gaps[2]).toBeLessThanOrEqual(43_000);
    expect((await h.get('crasher')).status?.phase).toBe('Running');
  });

  it.each([
    ['a Never pod whose container exits 0 ends Succeeded/Completed', 'Never', '0', 'Succeeded', 'Completed'],
    ['a Never pod whose container exits 1 ends Failed/Error', 'Never', '1', 'Failed', 'Error'],
    ['an OnFailure pod whose container exits 0 ends Succeeded/Completed', 'OnFailure', '0', 'Succeeded', 'Completed'],
  ] as const)('%s', async (_name, restartPolicy, exitCode, phase, reason) => {
    await using h = await setup();
    await h.env.client.create(pod('job', { restartPolicy }, { 'fake.bosun.dev/exit-after': '2s', 'fake.bosun.dev/exit-code': exitCode }));
    await h.until(phase, async () => (await h.get('job')).status?.phase === phase);
    const p = await h.get('job');
    expect(p.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: Number(exitCode), reason });
    expect(p.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    expect(cond(p, 'Ready')?.status).toBe('False');
    await h.advance(30_000);
    expect(h.runtime.counts()).toMatchObject({ running: 0, containers: 1 });
    expect((await h.get('job')).status?.phase).toBe(phase);
  });

  it('reports an OOM-killed container of a Never pod as Failed with OOMKilled', async () => {
    await using h = await setup();
    await h.env.client.create(pod('oom', { restartPolicy: 'Never' }, { 'fake.bosun.dev/oom-after': '1s' }));
    await h.until('Failed', async () => (await h.get('oom')).status?.phase === 'Failed');
    expect((await h.get('oom')).status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
  });
});

describe('images', () => {
  it.each([
    ['pull policy Never with a missing image waits with ErrImageNeverPull', 'example.com/missing:1.0', 'Never', ['ErrImageNeverPull']],
    ['a failing pull shows ErrImagePull, then ImagePullBackOff', 'does-not-exist/app:1.0', 'IfNotPresent', ['ErrImagePull', 'ImagePullBackOff']],
  ] as const)('%s', async (_name, image, imagePullPolicy, reasons) => {
    await using h = await setup();
    await h.env.client.create(pod('img', { containers: [{ name: 'app', image, imagePullPolicy }] }));
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      await h.advance(250);
      const w = (await h.get('img')).status?.containerStatuses?.[0]?.state?.waiting;
      if (w?.reason) seen.add(w.reason);
    }
    for (const r of reasons) expect(seen).toContain(r);
    const p = await h.get('img');
    expect(p.status?.phase).toBe('Pending');
    if (imagePullPolicy === 'Never') expect(p.status?.containerStatuses?.[0]?.state?.waiting?.message).toBe(`Container image "${image}" is not present with pull policy of Never`);
    expect(h.runtime.counts().containers).toBe(0);
  });

  it('pulls an absent image under IfNotPresent and runs it', async () => {
    await using h = await setup();
    await h.env.client.create(pod('pull', { containers: [{ name: 'app', image: 'example.com/tool:2.0', imagePullPolicy: 'IfNotPresent' }] }));
    await h.until('Running', async () => (await h.get('pull')).status?.phase === 'Running');
  });
});

describe('probes', () => {
  it('restarts a container whose exec liveness probe fails', async () => {
    await using h = await setup();
    await h.env.client.create(
      pod('live', { containers: [{ name: 'app', image: 'busybox:1.36', livenessProbe: { exec: { command: ['check'] }, periodSeconds: 2, failureThreshold: 2, initialDelaySeconds: 1 } }] }, perContainer({ app: { 'fake.bosun.dev/exec-check': '1' } })),
    );
    await h.until('a restart', async () => ((await h.get('live')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
    const cs = (await h.get('live')).status!.containerStatuses![0]!;
    expect(cs.lastState?.terminated?.exitCode).toBe(143);
  });

  it('keeps a container running while its liveness probe succeeds', async () => {
    await using h = await setup();
    await h.env.client.create(pod('healthy', { containers: [{ name: 'app', image: 'busybox:1.36', livenessProbe: { exec: { command: ['true'] }, periodSeconds: 1 } }] }));
    await h.advance(30_000);
    expect((await h.get('healthy')).status?.containerStatuses?.[0]?.restartCount).toBe(0);
  });

  it.each([
    ['a succeeding readiness probe makes the pod Ready', ['true'], 'True'],
    ['a failing readiness probe keeps the pod Running but not Ready', ['false'], 'False'],
  ] as const)('%s', async (_name, command, ready) => {
    await using h = await setup();
    await h.env.client.create(pod('ready', { containers: [{ name: 'app', image: 'busybox:1.36', readinessProbe: { exec: { command: [...command] }, periodSeconds: 1, initialDelaySeconds: 2 } }] }));
    await h.until('Running', async () => (await h.get('ready')).status?.phase === 'Running');
    expect(cond(await h.get('ready'), 'Ready')?.status).toBe('False'); // not ready before the first probe
    await h.advance(5_000);
    const p = await h.get('ready');
    expect(cond(p, 'Ready')?.status).toBe(ready);
    expect(cond(p, 'ContainersReady')?.status).toBe(ready);
    expect(p.status?.containerStatuses?.[0]?.ready).toBe(ready === 'True');
    expect(p.status?.phase).toBe('Running');
  });

  it('gates liveness and readiness on the startup probe', async () => {
    await using h = await setup();
    await h.env.client.create(
      pod('slow', {
        containers: [{ name: 'app', image: 'busybox:1.36', startupProbe: { exec: { command: ['true'] }, initialDelaySeconds: 10, periodSeconds: 1 } }],
      }),
    );
    await h.until('Running', async () => (await h.get('slow')).status?.phase === 'Running');
    expect((await h.get('slow')).status?.containerStatuses?.[0]).toMatchObject({ started: false, ready: false });
    await h.advance(12_000);
    expect((await h.get('slow')).status?.containerStatuses?.[0]).toMatchObject({ started: true, ready: true });
  });
});

describe('termination', () => {
  it('stops containers within the grace period on a graceful delete, then the pod object disappears', async () => {
    await using h = await setup();
    await h.env.client.create(pod('graceful', { terminationGracePeriodSeconds: 5, containers: [{ name: 'app', image: 'busybox:1.36', lifecycle: { preStop: { exec: { command: ['echo', 'bye'] } } } }] }, { 'fake.bosun.dev/ignore-sigterm': 'true' }));
    await h.until('Running', async () => (await h.get('graceful')).status?.phase === 'Running');
    await h.env.client.delete('v1', 'Pod', 'default', 'graceful');
    await h.advance(3_000);
    expect((await h.get('graceful')).metadata?.deletionTimestamp).toBeTruthy();
    expect(h.runtime.counts().running).toBe(1);
    await h.until('gone', async () => !(await h.env.client.list('v1', 'Pod', { namespace: 'default' })).items.length, 4_000);
    expect(h.runtime.counts()).toMatchObject({ sandboxes: 0, containers: 0, running: 0 });
  });

  it('tears down the sandbox of a pod force-deleted from the API', async () => {
    await using h = await setup();
    await h.env.client.create(pod('forced'));
    await h.until('Running', async () => (await h.get('forced')).status?.phase === 'Running');
    await h.env.client.delete('v1', 'Pod', 'default', 'forced', { gracePeriodSeconds: 0 });
    await h.until('sandbox removed', async () => h.runtime.counts().sandboxes === 0, 5_000);
  });
});

describe('agent restart', () => {
  it('adopts running containers without duplicates and removes those of pods that are gone', async () => {
    await using h = await setup();
    await h.env.client.create(pod('keep'));
    await h.env.client.create(pod('drop'));
    await h.until('both Running', async () => (await h.get('keep')).status?.phase === 'Running' && (await h.get('drop')).status?.phase === 'Running');
    const before = (await h.get('keep')).status!.containerStatuses![0]!.containerID;
    await h.agent.stop();
    await h.env.client.delete('v1', 'Pod', 'default', 'drop', { gracePeriodSeconds: 0 });
    expect(h.runtime.counts()).toMatchObject({ sandboxes: 2, containers: 2 });
    await h.newAgent();
    await h.until('orphan removed', async () => h.runtime.counts().sandboxes === 1, 5_000);
    await h.advance(5_000);
    expect(h.runtime.counts()).toMatchObject({ sandboxes: 1, containers: 1, running: 1 });
    const after = await h.get('keep');
    expect(after.status?.containerStatuses?.[0]?.containerID).toBe(before);
    expect(after.status?.containerStatuses?.[0]?.restartCount).toBe(0);
  });
});
