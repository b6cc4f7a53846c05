import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '@bosun/api';
import { createInProcessCriClient, isCriError, type CriClient, type CriInput, type PodSandboxConfig } from '@bosun/cri';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeAnnotations as A } from './annotations';
import { createFakeRuntime, type FakeRuntime, type FakeRuntimeOptions } from './fake-runtime';

let seq = 0;
const pod = (annotations: Record<string, string> = {}, extra: CriInput<PodSandboxConfig> = {}): CriInput<PodSandboxConfig> => ({
  metadata: { name: `p${++seq}`, namespace: 'default', uid: `uid-${seq}` },
  annotations,
  ...extra,
});

interface Env {
  clock: FakeClock;
  runtime: FakeRuntime;
  cri: CriClient;
  /** Runs a sandbox and a started container with the given container annotations. */
  start(annotations?: Record<string, string>, extra?: { logPath?: string; sandbox?: CriInput<PodSandboxConfig> }): Promise<{ sandbox: string; id: string }>;
  state(id: string): Promise<{ state: string; exitCode: number; reason: string; finishedAt: number }>;
}

const envs: Env[] = [];
afterEach(() => envs.splice(0).forEach((e) => e.runtime.dispose()));

function env(opts: FakeRuntimeOptions = {}): Env {
  const clock = new FakeClock('2026-01-01T00:00:00Z');
  const runtime = createFakeRuntime({ clock, ...opts });
  const cri = createInProcessCriClient(runtime);
  const e: Env = {
    clock,
    runtime,
    cri,
    async start(annotations = {}, extra = {}) {
      const sconfig = extra.sandbox ?? pod();
      const sandbox = await cri.runtime.runPodSandbox(sconfig);
      const id = await cri.runtime.createContainer(sandbox, { metadata: { name: 'c' }, image: { image: 'busybox' }, annotations, logPath: extra.logPath }, sconfig);
      await cri.runtime.startContainer(id);
      return { sandbox, id };
    },
    async state(id) {
      const s = (await cri.runtime.containerStatus(id)).status!;
      return { state: s.state, exitCode: s.exitCode, reason: s.reason, finishedAt: s.finishedAt };
    },
  };
  envs.push(e);
  return e;
}

describe('createFakeRuntime: container state machine on the clock', () => {
  it.each<[string, Record<string, string>, number, { state: string; exitCode?: number; reason?: string }]>([
    ['keeps running without a script', {}, 3_600_000, { state: 'CONTAINER_RUNNING' }],
    ['is still running just before exit-after', { [A.exitAfter]: '5s' }, 4_999, { state: 'CONTAINER_RUNNING' }],
    ['completes with code 0 at exit-after', { [A.exitAfter]: '5s' }, 5_000, { state: 'CONTAINER_EXITED', exitCode: 0, reason: 'Completed' }],
    ['exits with the scripted exit-code', { [A.exitAfter]: '1m', [A.exitCode]: '3' }, 60_000, { state: 'CONTAINER_EXITED', exitCode: 3, reason: 'Error' }],
    ['is OOM-killed at oom-after', { [A.oomAfter]: '2s', [A.exitAfter]: '10s' }, 2_000, { state: 'CONTAINER_EXITED', exitCode: 137, reason: 'OOMKilled' }],
  ])('%s', async (_n, annotations, advance, expected) => {
    const e = env();
    const { id } = await e.start(annotations);
    await e.clock.advance(advance);
    expect(await e.state(id)).toMatchObject(expected);
  });

  it('reports the finish time from the clock', async () => {
    const e = env();
    const { id } = await e.start({ [A.exitAfter]: '5s' });
    await e.clock.advance(10_000);
    expect((await e.state(id)).finishedAt).toBe(Date.parse('2026-01-01T00:00:05Z') * 1e6);
  });

  it('takes start-delay of clock time to start', async () => {
    const e = env();
    const sconfig = pod();
    const sandbox = await e.cri.runtime.runPodSandbox(sconfig);
    const id = await e.cri.runtime.createContainer(sandbox, { metadata: { name: 'slow' }, image: { image: 'busybox' }, annotations: { [A.startDelay]: '3s' } }, sconfig);
    let started = false;
    const p = e.cri.runtime.startContainer(id).then(() => (started = true));
    await e.clock.advance(2_000);
    expect(started).toBe(false);
    await e.clock.advance(1_000);
    await p;
    expect((await e.state(id)).state).toBe('CONTAINER_RUNNING');
  });

  it('fails StartContainer with start-error and leaves the container exited', async () => {
    const e = env();
    const sconfig = pod();
    const sandbox = await e.cri.runtime.runPodSandbox(sconfig);
    const id = await e.cri.runtime.createContainer(sandbox, { metadata: { name: 'bad' }, image: { image: 'busybox' }, annotations: { [A.startError]: 'exec: "nope": not found' } }, sconfig);
    await expect(e.cri.runtime.startContainer(id)).rejects.toThrow(/not found/);
    expect(await e.state(id)).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 128, reason: 'StartError' });
  });

  it('lets the container script come from the pod annotations', async () => {
    const e = env();
    const { id } = await e.start({}, { sandbox: pod({ [A.exitAfter]: '1s', [A.exitCode]: '7' }) });
    await e.clock.advance(1_000);
    expect((await e.state(id)).exitCode).toBe(7);
  });

  it('refuses a container whose script is invalid', async () => {
    const e = env();
    await expect(e.start({ [A.exitAfter]: 'soon' })).rejects.toSatisfy((err) => isCriError(err, 'InvalidArgument'));
  });

  it('ends a container on crash()', async () => {
    const e = env();
    const { id } = await e.start();
    e.runtime.crash(id, 2);
    expect(await e.state(id)).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 2, reason: 'Error' });
  });
});

describe('createFakeRuntime: StopContainer', () => {
  it.each<[string, Record<string, string>, number, number, number]>([
    ['ends a container that handles SIGTERM at once with 143', {}, 30, 0, 143],
    ['kills a container that ignores SIGTERM at the timeout with 137', { [A.ignoreSigterm]: 'true' }, 30, 30_000, 137],
    ['kills a container that ignores SIGTERM at once when the timeout is 0', { [A.ignoreSigterm]: 'true' }, 0, 0, 137],
    ['lets a scripted exit during the grace period win', { [A.ignoreSigterm]: 'true', [A.exitAfter]: '10s', [A.exitCode]: '0' }, 30, 10_000, 0],
  ])('%s', async (_n, annotations, timeout, expectedMs, exitCode) => {
    const e = env();
    const { id } = await e.start(annotations);
    const t0 = e.clock.now();
    let stopped = false;
    const p = e.cri.runtime.stopContainer(id, timeout).then(() => (stopped = true));
    if (expectedMs > 0) {
      await e.clock.advance(expectedMs - 1);
      expect(stopped).toBe(false);
    }
    await e.clock.advance(expectedMs > 0 ? 1 : 0);
    await p;
    const s = await e.state(id);
    expect(s).toMatchObject({ state: 'CONTAINER_EXITED', exitCode });
    expect(s.finishedAt).toBe((t0 + expectedMs) * 1e6);
  });

  it('kills the containers of a stopped sandbox and releases its IP', async () => {
    const e = env();
    const { sandbox, id } = await e.start();
    expect(e.runtime.counts().podIps).toBe(1);
    await e.cri.runtime.stopPodSandbox(sandbox);
    expect(await e.state(id)).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 137 });
    expect(e.runtime.counts().podIps).toBe(0);
  });
});

describe('createFakeRuntime: ExecSync', () => {
  it.each<[string, Record<string, string>, string[], { stdout: string; stderr: string; exitCode: number }]>([
    ['answers a scripted exit code (a failing probe)', { [`${A.execPrefix}cat`]: '1' }, ['cat', '/tmp/healthy'], { stdout: '', stderr: '', exitCode: 1 }],
    ['answers a scripted JSON result', { [`${A.execPrefix}sh`]: '{"stdout":"hi\\n","stderr":"e","exitCode":2}' }, ['/bin/sh', '-c', 'x'], { stdout: 'hi\n', stderr: 'e', exitCode: 2 }],
    ['runs echo', {}, ['echo', 'a', 'b'], { stdout: 'a b\n', stderr: '', exitCode: 0 }],
    ['runs false', {}, ['false'], { stdout: '', stderr: '', exitCode: 1 }],
    ['succeeds silently for an unscripted command', {}, ['cat', '/etc/hosts'], { stdout: '', stderr: '', exitCode: 0 }],
  ])('%s', async (_n, annotations, cmd, expected) => {
    const e = env();
    const { id } = await e.start(annotations);
    const r = await e.cri.runtime.execSync(id, cmd);
    expect({ stdout: r.stdout.toString(), stderr: r.stderr.toString(), exitCode: r.exitCode }).toEqual(expected);
  });

  it('refuses ExecSync in an exited container', async () => {
    const e = env();
    const { id } = await e.start();
    e.runtime.crash(id);
    await expect(e.cri.runtime.execSync(id, ['true'])).rejects.toSatisfy((err) => isCriError(err, 'FailedPrecondition'));
  });
});

describe('createFakeRuntime: network, logs, images, stats', () => {
  it('allocates pod IPs from the configured CIDR, skipping the gateway', async () => {
    const e = env({ podCidr: '10.244.1.0/24' });
    const ips = [];
    for (let i = 0; i < 3; i++) {
      const id = await e.cri.runtime.runPodSandbox(pod());
      ips.push((await e.cri.runtime.podSandboxStatus(id)).status!.network!.ip);
    }
    expect(ips).toEqual(['10.244.1.2', '10.244.1.3', '10.244.1.4']);
  });

  it('gives no pod IP to a host-network sandbox', async () => {
    const e = env();
    const id = await e.cri.runtime.runPodSandbox(pod({}, { linux: { securityContext: { namespaceOptions: { network: 'NODE' } } } }));
    expect((await e.cri.runtime.podSandboxStatus(id)).status!.network!.ip).toBe('');
  });

  it('switches the CIDR on UpdateRuntimeConfig', async () => {
    const e = env();
    await e.cri.runtime.updateRuntimeConfig({ networkConfig: { podCidr: '192.168.7.0/24' } });
    const id = await e.cri.runtime.runPodSandbox(pod());
    expect((await e.cri.runtime.podSandboxStatus(id)).status!.network!.ip).toBe('192.168.7.2');
  });

  it('refuses a second sandbox for the same pod attempt', async () => {
    const e = env();
    const config = pod();
    await e.cri.runtime.runPodSandbox(config);
    await expect(e.cri.runtime.runPodSandbox(config)).rejects.toSatisfy((err) => isCriError(err, 'AlreadyExists'));
  });

  it('writes CRI-format log lines when configured with a log root', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bosun-fake-logs-'));
    try {
      const e = env({ logRoot: root });
      await e.start({ [A.stdout]: 'hello\nworld', [A.stderr]: 'oops' }, { logPath: 'c/0.log', sandbox: pod({}, { logDirectory: 'pods/p' }) });
      const text = readFileSync(join(root, 'pods/p/c/0.log'), 'utf8');
      expect(text).toBe(
        ['2026-01-01T00:00:00.000000000Z stdout F hello', '2026-01-01T00:00:00.000000000Z stdout F world', '2026-01-01T00:00:00.000000000Z stderr F oops', ''].join('\n'),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('substitutes {{attempt}} in scripted log lines with the container attempt', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bosun-fake-logs-'));
    try {
      const e = env({ logRoot: root });
      const sconfig = pod({}, { logDirectory: 'pods/q' });
      const sandbox = await e.cri.runtime.runPodSandbox(sconfig);
      const id = await e.cri.runtime.createContainer(sandbox, { metadata: { name: 'c', attempt: 3 }, image: { image: 'busybox' }, annotations: { [A.stdout]: 'run {{attempt}}' }, logPath: 'c/3.log' }, sconfig);
      await e.cri.runtime.startContainer(id);
      expect(readFileSync(join(root, 'pods/q/c/3.log'), 'utf8')).toBe('2026-01-01T00:00:00.000000000Z stdout F run 3\n');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('records the ContainerConfig of each container and every PullImage reference, for tests', async () => {
    const e = env();
    const sandbox = await e.cri.runtime.runPodSandbox(pod());
    const mounts = [{ containerPath: '/data', hostPath: '/tmp/x', readonly: true }];
    const id = await e.cri.runtime.createContainer(sandbox, { metadata: { name: 'c' }, image: { image: 'busybox' }, envs: [{ key: 'A', value: '1' }], mounts, linux: { resources: { cpuShares: 256, memoryLimitInBytes: 1024 } } });
    const cfg = e.runtime.containerConfig(id)!;
    expect(cfg.envs).toEqual([{ key: 'A', value: '1' }]);
    expect(cfg.mounts).toEqual([expect.objectContaining({ containerPath: '/data', hostPath: '/tmp/x', readonly: true })]);
    expect(cfg.linux?.resources).toMatchObject({ cpuShares: 256, memoryLimitInBytes: 1024 });
    expect(e.runtime.containerConfig('nope')).toBeUndefined();
    await e.cri.image.pullImage('alpine:3.20');
    await e.cri.image.pullImage('registry.invalid/does-not-exist:1').catch(() => undefined);
    expect(e.runtime.pulls()).toEqual(['alpine:3.20', 'registry.invalid/does-not-exist:1']);
  });

  it.each<[string, string, 'pulled' | 'NotFound']>([
    ['pulls an image by short name', 'alpine', 'pulled'],
    ['pulls an image from another registry', 'ghcr.io/acme/app:1.0', 'pulled'],
    ['refuses an image matching the unpullable pattern', 'registry.invalid/x/does-not-exist:1', 'NotFound'],
    ['refuses an image from a configured unpullable name', 'acme/secret:1', 'NotFound'],
  ])('%s', async (_n, ref, outcome) => {
    const e = env({ unpullable: ['does-not-exist', 'acme/secret'] });
    const p = e.cri.image.pullImage(ref);
    if (outcome === 'pulled') {
      const id = await p;
      expect((await e.cri.image.imageStatus(ref)).image?.id).toBe(id);
    } else await expect(p).rejects.toSatisfy((err) => isCriError(err, 'NotFound'));
  });

  it('refuses to create a container from an image that is not present', async () => {
    const e = env({ images: [] });
    const config = pod();
    const sandbox = await e.cri.runtime.runPodSandbox(config);
    await expect(e.cri.runtime.createContainer(sandbox, { metadata: { name: 'c' }, image: { image: 'busybox' } }, config)).rejects.toSatisfy((err) => isCriError(err, 'NotFound'));
  });

  it('reports CPU time that grows with running time', async () => {
    const e = env();
    const { id } = await e.start({ [A.cpuMillicores]: '250', [A.memoryBytes]: '1048576' });
    await e.clock.advance(4_000);
    const s = await e.cri.runtime.containerStats(id);
    expect(s.cpu?.usageCoreNanoSeconds?.value).toBe(1e9);
    expect(s.cpu?.usageNanoCores?.value).toBe(250e6);
    expect(s.memory?.workingSetBytes?.value).toBe(1048576);
  });
});

describe('createFakeRuntime at scale', () => {
  it('holds 10,000 containers with scheduled exits on a single clock timer', async () => {
    const e = env();
    const sconfig = pod({ [A.exitAfter]: '30s' });
    const sandbox = await e.cri.runtime.runPodSandbox(sconfig);
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) {
      const id = await e.runtime.createContainer({
        podSandboxId: sandbox,
        config: { metadata: { name: `c${i}`, attempt: 0 }, image: { image: 'busybox', annotations: {} }, annotations: { [A.exitAfter]: `${10 + (i % 20)}s` } } as never,
        sandboxConfig: null,
      });
      await e.runtime.startContainer({ containerId: id.containerId! });
    }
    expect(e.runtime.counts()).toMatchObject({ containers: 10_000, running: 10_000 });
    expect(e.clock.pendingTimers).toBe(1);
    await e.clock.advance(30_000);
    expect(e.runtime.counts().running).toBe(0);
    expect(e.clock.pendingTimers).toBe(0);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});
