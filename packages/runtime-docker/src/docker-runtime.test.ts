import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createInProcessCniClient, type CniClient } from '@bosun/cni';
import { createCniExecPlugin } from '@bosun/network-cni';
import { createInProcessCriClient, isCriError, type ContainerConfig, type CriClient, type CriInput, type PodSandboxConfig } from '@bosun/cri';
import { createHostLocalNetwork } from '@bosun/network-hostlocal';
import { dockerdUnavailable, importBusybox, startDockerd, type TestDockerd } from '../../../test/support/dockerd';
import { createDockerRuntime, type DockerRuntime, type DockerRuntimeOptions } from './docker-runtime';
import { LABELS } from './labels';

const unavailable = dockerdUnavailable();
const suite = unavailable ? describe.skip : describe;

/** Polls `fn` until it returns a truthy value (10 s at most); fails with `what`. */
async function until<T>(what: string | (() => string), fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}${last ? `: ${(last as Error).message}` : ''}`);
}

/**
 * The real CNI `bridge` plugin (with `host-local` IPAM) from Debian's
 * containernetworking-plugins, run by @bosun/network-cni's exec adapter, as a CniClient
 * that also records the netns path of each ADD and DEL.
 */
function realBridgeNetwork(bridge: string, subnet: string, dir: string): CniClient & { calls: string[] } {
  const client = createInProcessCniClient(
    createCniExecPlugin({
      conflist: { cniVersion: '1.0.0', name: `net-${bridge}`, plugins: [{ type: 'bridge', bridge, isGateway: true, ipam: { type: 'host-local', subnet, dataDir: join(dir, 'ipam') } }] },
      binDirs: ['/usr/lib/cni'],
      cacheDir: join(dir, 'cache'),
    }),
  );
  const calls: string[] = [];
  return {
    ...client,
    calls,
    add: (c, o) => (calls.push(`ADD ${c.netns}`), client.add(c, o)),
    del: (c, prev, o) => (calls.push(`DEL ${c.netns}`), client.del(c, prev, o)),
  };
}

suite(`runtime-docker against a private dockerd${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let dockerd: TestDockerd;
  let archive: string;
  let dir: string;
  let runtime: DockerRuntime;
  let cri: CriClient;
  let seq = 0;

  const make = (extra: DockerRuntimeOptions = {}) =>
    createDockerRuntime({ socketPath: dockerd.socketPath, networkMode: 'none', offlineImages: { 'busybox:1.36': archive }, stateDir: join(dir, 'state'), reconnect: { initialMs: 50, maxMs: 500 }, ...extra });

  beforeAll(async () => {
    dockerd = await startDockerd();
    archive = (await importBusybox(dockerd)).archive;
    dir = mkdtempSync(join(tmpdir(), 'bosun-docker-rt-'));
    runtime = make();
    cri = createInProcessCriClient(runtime);
  }, 120_000);

  afterAll(async () => {
    try {
      await runtime?.close();
      await dockerd?.stop();
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  const sandbox = (): CriInput<PodSandboxConfig> => {
    const n = `pod-${++seq}`;
    return { metadata: { name: n, namespace: 'default', uid: `uid-${seq}`, attempt: 0 }, hostname: n, logDirectory: join(dir, 'logs', n), labels: { app: n }, annotations: { note: 'x' } };
  };
  const container = (name: string, command: string[], extra: CriInput<ContainerConfig> = {}): CriInput<ContainerConfig> => ({
    metadata: { name, attempt: 0 },
    image: { image: 'busybox:1.36' },
    command,
    logPath: `${name}/0.log`,
    ...extra,
  });
  const startIn = async (sid: string, sc: CriInput<PodSandboxConfig>, c: CriInput<ContainerConfig>) => {
    const id = await cri.runtime.createContainer(sid, c, sc);
    await cri.runtime.startContainer(id);
    return id;
  };
  const exited = (id: string) => until(`container ${id} to exit`, async () => {
    const st = (await cri.runtime.containerStatus(id)).status!;
    return st.state === 'CONTAINER_EXITED' && st;
  });
  const logOf = (sc: CriInput<PodSandboxConfig>, name: string) => {
    const p = join(sc.logDirectory!, name, '0.log');
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  };

  it('lets the containers of one pod reach each other on localhost', async () => {
    const sc = sandbox();
    const sid = await cri.runtime.runPodSandbox(sc);
    await startIn(sid, sc, container('server', ['sh', '-c', 'mkdir -p /www && echo hello-from-server > /www/index.html && exec httpd -f -p 8080 -h /www']));
    const client = await startIn(sid, sc, container('client', ['sleep', '3600']));
    const r = await until('the server to answer', async () => {
      const x = await cri.runtime.execSync(client, ['wget', '-qO-', 'http://127.0.0.1:8080/index.html'], 5);
      return x.exitCode === 0 && x;
    });
    expect(r.stdout.toString()).toBe('hello-from-server\n');
  });

  it('writes stdout and stderr to the pod log directory in the CRI log format', async () => {
    const sc = sandbox();
    const sid = await cri.runtime.runPodSandbox(sc);
    const id = await startIn(sid, sc, container('talker', ['sh', '-c', 'echo one; echo two >&2; echo three; printf tail']));
    await exited(id);
    const text = await until(() => `four log lines (have: ${JSON.stringify(logOf(sc, 'talker'))})`, () => {
      const t = logOf(sc, 'talker');
      return t.split('\n').filter(Boolean).length === 4 && t;
    });
    const lines = text.trim().split('\n');
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) F /);
    expect(lines.map((l) => l.split(' ').slice(1).join(' ')).sort()).toEqual(['stderr F two', 'stdout F one', 'stdout F tail', 'stdout F three']);
    expect((await cri.runtime.containerStatus(id)).status!.logPath).toBe(join(sc.logDirectory!, 'talker', '0.log'));
  });

  it('keeps every log line when the follow stream is cut at exit (no grace): the rest is read once more, nothing twice', async () => {
    const cut = make({ logDrainGraceMs: 0 });
    const c = createInProcessCriClient(cut);
    try {
      const sc = sandbox();
      const sid = await c.runtime.runPodSandbox(sc);
      const id = await c.runtime.createContainer(sid, container('burst', ['sh', '-c', 'seq 1 3000; printf tail']), sc);
      await c.runtime.startContainer(id);
      const text = await until(() => `3001 log lines (have ${logOf(sc, 'burst').split('\n').filter(Boolean).length})`, () => {
        const t = logOf(sc, 'burst');
        return t.split('\n').filter(Boolean).length >= 3001 && t;
      });
      const contents = text.trim().split('\n').map((l) => l.split(' ').slice(1).join(' '));
      expect(contents).toEqual([...Array.from({ length: 3000 }, (_, i) => `stdout F ${i + 1}`), 'stdout F tail']);
    } finally {
      await cut.close();
    }
  });

  it.each<[string, string, number, string]>([
    ['exit 0 as Completed', 'exit 0', 0, 'Completed'],
    ['exit 3 as Error', 'exit 3', 3, 'Error'],
    ['a graceful SIGTERM handler exit code on stop', '', 7, 'Error'],
  ])('reports %s', async (_n, script, code, reason) => {
    const sc = sandbox();
    const sid = await cri.runtime.runPodSandbox(sc);
    const cmd = script ? ['sh', '-c', script] : ['sh', '-c', "trap 'exit 7' TERM; while true; do sleep 0.1; done"];
    const id = await startIn(sid, sc, container('c', cmd));
    if (!script) await cri.runtime.stopContainer(id, 30);
    const st = await exited(id);
    expect({ exitCode: st.exitCode, reason: st.reason }).toEqual({ exitCode: code, reason });
    expect(st.finishedAt).toBeGreaterThanOrEqual(st.startedAt);
    expect(st.startedAt).toBeGreaterThan(0);
  });

  it('reports OOMKilled when a container exceeds its memory limit', async (ctx) => {
    const info = JSON.parse(dockerd.docker(['info', '--format', '{{json .}}'])) as { MemoryLimit?: boolean };
    if (!info.MemoryLimit) ctx.skip();
    const sc = sandbox();
    const sid = await cri.runtime.runPodSandbox(sc);
    const id = await startIn(sid, sc, container('hog', ['sh', '-c', 'a=xxxxxxxxxxxxxxxx; while true; do a="$a$a"; done'], { linux: { resources: { memoryLimitInBytes: 16 * 1024 * 1024 } } }));
    const st = await exited(id);
    expect({ exitCode: st.exitCode, reason: st.reason }).toEqual({ exitCode: 137, reason: 'OOMKilled' });
  });

  it('runs with env, working dir, args overriding CMD and bind mounts (read-only honoured)', async () => {
    const host = join(dir, 'vol', String(seq));
    mkdirSync(join(host, 'ro'), { recursive: true });
    mkdirSync(join(host, 'rw'), { recursive: true });
    writeFileSync(join(host, 'ro', 'f'), 'from-host\n');
    const sc = sandbox();
    const sid = await cri.runtime.runPodSandbox(sc);
    const id = await startIn(sid, sc, {
      metadata: { name: 'env', attempt: 0 },
      image: { image: 'busybox:1.36' },
      args: ['sh', '-c', 'echo "$GREETING"; pwd; cat /ro/f; touch /ro/x 2>/dev/null && echo ro-writable || echo ro-refused; echo out > /rw/y'],
      envs: [{ key: 'GREETING', value: 'hi there' }],
      workingDir: '/tmp',
      mounts: [
        { containerPath: '/ro', hostPath: join(host, 'ro'), readonly: true },
        { containerPath: '/rw', hostPath: join(host, 'rw'), readonly: false },
      ],
      logPath: 'env/0.log',
    });
    expect((await exited(id)).exitCode).toBe(0);
    const text = await until('four log lines', () => logOf(sc, 'env').split('\n').filter(Boolean).length === 4 && logOf(sc, 'env'));
    expect(text.split('\n').filter(Boolean).map((l) => l.split(' ').slice(3).join(' '))).toEqual(['hi there', '/tmp', 'from-host', 'ro-refused']);
    expect(readFileSync(join(host, 'rw', 'y'), 'utf8')).toBe('out\n');
    const st = (await cri.runtime.containerStatus(id)).status!;
    expect(st.mounts.map((m) => [m.containerPath, m.readonly])).toEqual([['/ro', true], ['/rw', false]]);
  });

  it('passes memory, cpu quota/shares and pids limits to Docker', async () => {
    const sc = sandbox();
    const sid = await cri.runtime.runPodSandbox(sc);
    const id = await cri.runtime.createContainer(sid, container('limited', ['sleep', '3600'], { linux: { resources: { memoryLimitInBytes: 64 << 20, cpuQuota: 50_000, cpuPeriod: 100_000, cpuShares: 512, unified: { 'pids.max': '64' } } } }), sc);
    const h = (JSON.parse(dockerd.docker(['inspect', id])) as Array<{ HostConfig: Record<string, number> }>)[0]!.HostConfig;
    expect({ Memory: h.Memory, MemorySwap: h.MemorySwap, CpuQuota: h.CpuQuota, CpuPeriod: h.CpuPeriod, CpuShares: h.CpuShares, PidsLimit: h.PidsLimit }).toEqual({
      Memory: 64 << 20,
      MemorySwap: 64 << 20,
      CpuQuota: 50_000,
      CpuPeriod: 100_000,
      CpuShares: 512,
      PidsLimit: 64,
    });
    const r = (await cri.runtime.containerStatus(id)).status!.resources!.linux!;
    expect([r.memoryLimitInBytes, r.cpuQuota, r.cpuShares]).toEqual([64 << 20, 50_000, 512]);
  });

  it('labels Docker objects with the pod and container identity', async () => {
    const sc = sandbox();
    const sid = await cri.runtime.runPodSandbox(sc);
    const id = await cri.runtime.createContainer(sid, container('labelled', ['sleep', '1'], { metadata: { name: 'labelled', attempt: 2 } }), sc);
    const l = (JSON.parse(dockerd.docker(['inspect', id])) as Array<{ Config: { Labels: Record<string, string> } }>)[0]!.Config.Labels;
    expect([l[LABELS.podName], l[LABELS.podNamespace], l[LABELS.podUid], l[LABELS.containerName], l[LABELS.attempt], l[LABELS.sandboxId]]).toEqual([sc.metadata!.name, 'default', sc.metadata!.uid, 'labelled', '2', sid]);
  });

  it('gives back the io.kubernetes.* CRI labels a kubelet sets and filters on them (issue 6: they were dropped)', async () => {
    const kubelet = (sc: CriInput<PodSandboxConfig>) => ({ 'io.kubernetes.pod.uid': sc.metadata!.uid!, 'io.kubernetes.pod.name': sc.metadata!.name!, 'io.kubernetes.pod.namespace': 'default' });
    const a = sandbox();
    const b = sandbox();
    a.labels = { ...a.labels, ...kubelet(a) };
    b.labels = { ...b.labels, ...kubelet(b) };
    const [sa, sb] = [await cri.runtime.runPodSandbox(a), await cri.runtime.runPodSandbox(b)];
    const containerLabels = { ...kubelet(a), 'io.kubernetes.container.name': 'app' };
    const ca = await cri.runtime.createContainer(sa, container('app', ['sleep', '3600'], { labels: containerLabels }), a);
    await cri.runtime.createContainer(sb, container('app', ['sleep', '3600'], { labels: { ...kubelet(b), 'io.kubernetes.container.name': 'app' } }), b);
    const byUid = { labelSelector: { 'io.kubernetes.pod.uid': a.metadata!.uid! } };
    const sandboxes = await cri.runtime.listPodSandbox(byUid);
    expect(sandboxes.map((s) => [s.id, s.labels])).toEqual([[sa, a.labels]]);
    const containers = await cri.runtime.listContainers(byUid);
    expect(containers.map((c) => [c.id, c.labels])).toEqual([[ca, containerLabels]]);
    expect((await cri.runtime.containerStatus(ca)).status!.labels).toEqual(containerLabels);
    expect((await cri.runtime.podSandboxStatus(sa)).status!.labels).toEqual(a.labels);
    // Docker itself filters on the same key, as with cri-dockerd.
    expect(dockerd.docker(['ps', '-aq', '--no-trunc', '--filter', `label=io.kubernetes.pod.uid=${a.metadata!.uid}`]).trim().split('\n').sort()).toEqual([sa, ca].sort());
    // A pod whose caller set none of them lists none of the runtime's keys, and no selector on them finds it.
    const plain = sandbox();
    const sp = await cri.runtime.runPodSandbox(plain);
    expect((await cri.runtime.listPodSandbox({ id: sp })).map((s) => s.labels)).toEqual([plain.labels]);
    expect(await cri.runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': plain.metadata!.uid! } })).toEqual([]);
    for (const id of [sa, sb, sp]) await cri.runtime.removePodSandbox(id);
  });

  it('refuses a CRI label that contradicts its own key with InvalidArgument and creates nothing', async () => {
    const sc = sandbox();
    sc.labels = { ...sc.labels, 'io.kubernetes.pod.uid': 'not-the-uid' };
    await expect(cri.runtime.runPodSandbox(sc)).rejects.toSatisfy((e) => isCriError(e, 'InvalidArgument') && /labels\["io\.kubernetes\.pod\.uid"\]: Invalid value: "not-the-uid"/.test((e as Error).message));
    expect(await cri.runtime.listPodSandbox({ labelSelector: { app: sc.metadata!.name! } })).toEqual([]);
    const ok = sandbox();
    const sid = await cri.runtime.runPodSandbox(ok);
    await expect(cri.runtime.createContainer(sid, container('bad', ['sleep', '1'], { labels: { [LABELS.type]: 'podsandbox' } }), ok)).rejects.toSatisfy((e) => isCriError(e, 'InvalidArgument') && /io\.kubernetes\.docker\.type/.test((e as Error).message));
    expect(await cri.runtime.listContainers({ podSandboxId: sid })).toEqual([]);
    await cri.runtime.removePodSandbox(sid);
  });

  it('starts a container another runtime instance created, with its logs', async () => {
    const sc = sandbox();
    const sid = await cri.runtime.runPodSandbox(sc);
    const id = await cri.runtime.createContainer(sid, container('handed', ['sh', '-c', 'echo handed-over; exec sleep 3600']), sc);
    const other = make();
    try {
      await createInProcessCriClient(other).runtime.startContainer(id);
      expect((await cri.runtime.containerStatus(id)).status!.state).toBe('CONTAINER_RUNNING');
      await until('the log line', () => logOf(sc, 'handed').includes('stdout F handed-over'));
    } finally {
      await other.close();
      await cri.runtime.removePodSandbox(sid);
    }
  });

  it('rebuilds its state in a new runtime instance and resumes logs without duplicates', async () => {
    const sc = sandbox();
    const sid = await cri.runtime.runPodSandbox(sc);
    const id = await startIn(sid, sc, container('counter', ['sh', '-c', 'i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done'], { labels: { role: 'counter' }, annotations: { a: 'b' } }));
    await until('some lines', () => logOf(sc, 'counter').split('\n').length > 3);
    await runtime.close();
    await new Promise((r) => setTimeout(r, 500)); // lines written while no runtime runs
    runtime = make();
    cri = createInProcessCriClient(runtime);
    const sandboxes = await cri.runtime.listPodSandbox({ id: sid });
    expect(sandboxes.map((s) => [s.metadata?.name, s.metadata?.uid, s.state, s.labels.app, s.annotations.note])).toEqual([[sc.metadata!.name, sc.metadata!.uid, 'SANDBOX_READY', sc.metadata!.name, 'x']]);
    const containers = await cri.runtime.listContainers({ podSandboxId: sid });
    expect(containers.map((c) => [c.id, c.metadata?.name, c.state, c.labels.role, c.annotations.a])).toEqual([[id, 'counter', 'CONTAINER_RUNNING', 'counter', 'b']]);
    const lines = await until('logs written after the restart', () => {
      const ls = logOf(sc, 'counter').trim().split('\n');
      return ls.length > 12 && ls;
    });
    const numbers = lines.map((l) => Number(/line (\d+)$/.exec(l)?.[1]));
    expect(numbers).toEqual(numbers.map((_n, i) => i));
    await cri.runtime.stopContainer(id, 0);
  });

  it('goes not ready while dockerd is down and reconnects when it comes back', async () => {
    const sc = sandbox();
    const sid = await cri.runtime.runPodSandbox(sc);
    await startIn(sid, sc, container('ticker', ['sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done']));
    await until('some ticks', () => logOf(sc, 'ticker').split('\n').length > 3);
    await dockerd.kill();
    const down = (await cri.runtime.status()).status!.conditions;
    expect(down.map((c) => [c.type, c.status])).toEqual([['RuntimeReady', false], ['NetworkReady', false]]);
    await expect(cri.runtime.listPodSandbox()).rejects.toSatisfy((e) => isCriError(e, 'Unavailable'));
    await dockerd.restart();
    await until('RuntimeReady', async () => (await cri.runtime.status()).status!.conditions.every((c) => c.status));
    const after = await until('the sandbox listed again', async () => (await cri.runtime.listPodSandbox({ id: sid }))[0]);
    expect([after.metadata?.name, after.state]).toEqual([sc.metadata!.name, 'SANDBOX_READY']); // live-restore kept it running
    const before = logOf(sc, 'ticker').trim().split('\n').length;
    const lines = await until('ticks logged after the reconnect', () => {
      const ls = logOf(sc, 'ticker').trim().split('\n');
      return ls.length > before + 5 && ls;
    });
    const numbers = lines.map((l) => Number(/tick (\d+)$/.exec(l)?.[1]));
    expect(numbers).toEqual(numbers.map((_n, i) => i));
  }, 60_000);

  it('attaches sandboxes through a real CNI bridge plugin: pods reach each other by pod IP', async () => {
    const bridge = 'bosundk0';
    const network = realBridgeNetwork(bridge, '10.215.9.0/24', join(dir, 'cni'));
    const rt = make({ network });
    const c = createInProcessCriClient(rt);
    try {
      const a = sandbox();
      const aid = await c.runtime.runPodSandbox(a);
      const b = sandbox();
      const bid = await c.runtime.runPodSandbox(b);
      const ipA = (await c.runtime.podSandboxStatus(aid)).status!.network!.ip;
      expect(ipA).toMatch(/^10\.215\.9\.\d+$/);
      const pid = (await c.runtime.podSandboxStatus(aid, true)).info.pid;
      expect(network.calls).toContain(`ADD /proc/${pid}/ns/net`);
      for (const [sid, sc, name] of [[aid, a, 'server'], [bid, b, 'client']] as const) {
        const id = await c.runtime.createContainer(sid, container(name, name === 'server' ? ['sh', '-c', 'mkdir -p /w && echo pod-a > /w/i && exec httpd -f -p 8080 -h /w'] : ['sleep', '3600']), sc);
        await c.runtime.startContainer(id);
      }
      const client = (await c.runtime.listContainers({ podSandboxId: bid }))[0]!.id;
      const got = await until('pod A to answer on its pod IP', async () => {
        const r = await c.runtime.execSync(client, ['wget', '-qO-', `http://${ipA}:8080/i`], 5);
        return r.exitCode === 0 && r.stdout.toString();
      });
      expect(got).toBe('pod-a\n');
      // Docker brings lo up in network mode none: a bridge-only conflist (no loopback plugin) keeps localhost.
      const server = (await c.runtime.listContainers({ podSandboxId: aid }))[0]!.id;
      expect((await c.runtime.execSync(server, ['wget', '-qO-', 'http://127.0.0.1:8080/i'], 5)).stdout.toString()).toBe('pod-a\n');
      await c.runtime.stopPodSandbox(aid);
      expect(network.calls.filter((x) => x.startsWith('DEL')).length).toBe(1);
      expect(existsSync(join(dir, 'cni', 'ipam', `net-${bridge}`, ipA))).toBe(false); // host-local released the IP
      await c.runtime.removePodSandbox(aid);
      await c.runtime.removePodSandbox(bid);
    } finally {
      await rt.close();
      spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    }
  });

  it('refuses an IPAM-only network plugin clearly and leaves no sandbox behind', async () => {
    const network = createInProcessCniClient(createHostLocalNetwork({ podCIDR: '10.214.7.0/24', dataDir: join(dir, 'ipam') }));
    const rt = make({ network });
    const c = createInProcessCriClient(rt);
    const sc = sandbox();
    await expect(c.runtime.runPodSandbox(sc)).rejects.toSatisfy((e) => isCriError(e, 'FailedPrecondition') && /IPAM-only/.test((e as Error).message));
    expect((await c.runtime.listPodSandbox({ labelSelector: { app: sc.metadata!.name! } })).length).toBe(0);
    await rt.close();
  });

  it('fails clearly when the sandbox image is missing', async () => {
    const rt = make({ sandboxImage: 'bosun/no-such-pause:0' });
    const c = createInProcessCriClient(rt);
    await expect(c.runtime.runPodSandbox(sandbox())).rejects.toSatisfy((e) => isCriError(e, 'FailedPrecondition') && /bosun\/no-such-pause:0/.test((e as Error).message));
    await rt.close();
  });

  it.each<[string, () => Promise<unknown>, string]>([
    ['a sandbox without metadata', () => cri.runtime.runPodSandbox({}), 'InvalidArgument'],
    ['a container without an image', async () => cri.runtime.createContainer(await cri.runtime.runPodSandbox(sandbox()), { metadata: { name: 'x' } }), 'InvalidArgument'],
    ['a container of an absent image', async () => cri.runtime.createContainer(await cri.runtime.runPodSandbox(sandbox()), { metadata: { name: 'x' }, image: { image: 'nope:1' } }), 'NotFound'],
    ['ExecSync with an empty command', async () => {
      const sc = sandbox();
      const sid = await cri.runtime.runPodSandbox(sc);
      return cri.runtime.execSync(await startIn(sid, sc, container('e', ['sleep', '3600'])), []);
    }, 'InvalidArgument'],
    ['starting a container whose sandbox was stopped', async () => {
      const sc = sandbox();
      const sid = await cri.runtime.runPodSandbox(sc);
      const id = await cri.runtime.createContainer(sid, container('late', ['sleep', '3600']), sc);
      await cri.runtime.stopPodSandbox(sid);
      return cri.runtime.startContainer(id);
    }, 'FailedPrecondition'],
    ['starting a container removed behind its back', async () => {
      const sc = sandbox();
      const sid = await cri.runtime.runPodSandbox(sc);
      const id = await cri.runtime.createContainer(sid, container('gone', ['sleep', '3600']), sc);
      dockerd.docker(['rm', '-f', id]);
      return cri.runtime.startContainer(id);
    }, 'NotFound'],
  ])('rejects %s with a CRI error', async (_n, call, code) => {
    await expect(call()).rejects.toSatisfy((e) => isCriError(e, code as 'NotFound'));
  });

  it('times out an ExecSync that runs too long', async () => {
    const sc = sandbox();
    const sid = await cri.runtime.runPodSandbox(sc);
    const id = await startIn(sid, sc, container('slow', ['sleep', '3600']));
    await expect(cri.runtime.execSync(id, ['sleep', '30'], 1)).rejects.toSatisfy((e) => isCriError(e, 'DeadlineExceeded'));
  });
});
