/**
 * Real-runtime pod startup benchmarks (issues 5 and 6), each side by side with the raw
 * runtime measured in the same run:
 *
 * - Process runtime: `createCluster({ nodes: 1, runtime: 'process' })`, pods (one busybox
 *   container running `sleep`) created one at a time; latency from the create call to the
 *   first watch event showing `status.phase: Running`. The raw floor: `unshare` of the same
 *   namespaces the runtime uses (pid, mount, net, uts, ipc) running busybox `sh`, timed
 *   until that shell writes its first byte (it is running inside the namespaces), then
 *   `exec sleep`. The floor has no sandbox holder, bridge, veth, IPAM or rootfs mounts, so
 *   the difference is an upper bound on the SDK's own overhead.
 * - containerd: a private containerd (test/support/containerd.ts) with the bridge CNI;
 *   Bosun through `createCluster({ runtime: { criEndpoint } })`, same measure. Raw, in the
 *   same run and interleaved pod by pod with the Bosun side: `ctr run -d` of the same image and command (returns once the task has
 *   started; no pod sandbox, no CNI), and the bare CRI sequence RunPodSandbox →
 *   CreateContainer → StartContainer through `CriClient` (what `crictl runp/create/start`
 *   does: pause sandbox and CNI included, no API server, scheduler, watch or node agent) —
 *   the target is judged against this one.
 * - Docker: a private dockerd (test/support/dockerd.ts) with busybox imported; Bosun
 *   through `createCluster({ runtime: { docker } })` (runtime-docker: sandbox container,
 *   bridge CNI per node, app container). Raw, in the same run and interleaved pod by pod
 *   with the Bosun side (the machine is shared: drift hits every side alike): the same
 *   pod made by hand with the docker CLI (`docker run -d --network none` of the sandbox,
 *   `docker inspect` for its pid, the same bridge conflist ADDed by exec on its netns,
 *   `docker run -d --network container:<sandbox>` of the app) — the target is judged
 *   against this one; the same sequence through the Docker API without the CLI
 *   (dockerode); RunPodSandbox → CreateContainer → StartContainer on `createDockerRuntime`
 *   with the same CNI (runtime-docker without node agent, scheduler and API server); and
 *   a single `docker run -d --network none`.
 *
 * Pods go one at a time (no queueing), after two unmeasured warm-up starts per side.
 * Sections are skipped with a printed reason when not root or a daemon is missing.
 * Run alone with `npx tsx bench/runtimes.bench.ts`, or `pnpm bench runtimes`.
 * BENCH_RUNTIMES_ONLY=process,containerd,docker runs a subset; BENCH_RUNTIMES_N sets the
 * sample count per side (default 40).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { Pod } from '@bosun/api';
import { createCluster, dockerNodeBridge, dockerNodeConfList, type Cluster, type ClusterOptions } from '@bosun/cluster';
import { createInProcessCniClient } from '@bosun/cni';
import { createCriClient, createInProcessCriClient, type CriClient } from '@bosun/cri';
import { createCniExecPlugin } from '@bosun/network-cni';
import { createDockerRuntime, DockerConnection } from '@bosun/runtime-docker';
import { containerdUnavailable, startContainerd, type ContainerdHandle } from '../test/support/containerd';
import { dockerdUnavailable, importBusybox, startDockerd, type TestDockerd } from '../test/support/dockerd';
import { BUSYBOX_IMAGE, CRI_NAMESPACE, runCommand } from '../test/support/images';

/** One figure. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

const N = Math.max(2, Number(process.env.BENCH_RUNTIMES_N ?? '40') || 40);
const WARMUP = 2;
const ONLY = new Set((process.env.BENCH_RUNTIMES_ONLY ?? '').split(',').filter(Boolean));
const wanted = (key: string) => ONLY.size === 0 || ONLY.has(key);
/** A logger that keeps what the components report, for failure messages. */
function keeping(): { logger: { warn(m: string): void; error(m: string): void }; warnings: string[] } {
  const warnings: string[] = [];
  return { logger: { warn: (m) => void warnings.push(m), error: (m) => void warnings.push(m) }, warnings };
}
const SLEEP = ['sleep', '3600'];

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** p50 and p99 of a sample (ms). */
interface Stats {
  p50: number;
  p99: number;
  max: number;
  n: number;
}
function stats(samples: readonly number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1]!, n: s.length };
}

/** Runs `start` WARMUP + N times in sequence; returns the N measured durations (ms). */
async function sample(start: (i: number) => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < WARMUP + N; i++) {
    const t0 = performance.now();
    await start(i);
    if (i >= WARMUP) out.push(performance.now() - t0);
  }
  return out;
}

/** A skipped section, as a printed reason (no figures). */
function skipped(section: string, reason: string): BenchResult[] {
  process.stderr.write(`  ${section}: skipped — ${reason}\n`);
  return [];
}

// ---------------------------------------------------------------------------------------
// Bosun: create → Running through a watch

function sleepPod(name: string, image: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'startup' } },
    spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image, imagePullPolicy: 'IfNotPresent', command: SLEEP }] },
  };
}

/** Pod starts on a cluster, each timed by the caller: `start(i)` resolves when pod `<prefix>-i` is seen Running. */
interface PodStarter {
  start(i: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Watches the pods of `cluster`; `start(i)` creates `<prefix>-i` and resolves at the
 * first watch event showing it Running. Rejects if a pod is not Running within 30 s.
 */
function bosunStarter(cluster: Cluster, prefix: string, image: string, warnings: readonly string[]): PodStarter {
  const stop = new AbortController();
  const waiters = new Map<string, () => void>();
  const running = new Set<string>();
  const watching = (async () => {
    try {
      for await (const ev of cluster.client.watch('v1', 'Pod', { namespace: 'default', signal: stop.signal })) {
        const p = ev.object as Pod;
        const name = p.metadata?.name ?? '';
        if (p.status?.phase === 'Running' && !running.has(name)) {
          running.add(name);
          waiters.get(name)?.();
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    async start(i) {
      const name = `${prefix}-${i}`;
      let timer: NodeJS.Timeout | undefined;
      const seen = new Promise<void>((resolve, reject) => {
        waiters.set(name, resolve);
        timer = setTimeout(() => reject(new Error(`runtimes bench: pod ${name} not Running after 30 s`)), 30_000);
      });
      try {
        await cluster.client.create(sleepPod(name, image));
        await seen;
      } catch (err) {
        const pod = await cluster.client.get('v1', 'Pod', 'default', name).catch(() => undefined);
        throw new Error(`${(err as Error).message}; status ${JSON.stringify(pod?.status ?? null).slice(0, 600)}; agent warnings: ${warnings.slice(0, 3).join(' | ').slice(0, 1200)}`, { cause: err });
      } finally {
        clearTimeout(timer);
        waiters.delete(name);
      }
    },
    async close() {
      stop.abort();
      await watching;
    },
  };
}

/** Starts pods one at a time on `cluster` (see {@link bosunStarter}); returns the N measured durations. */
async function bosunStartups(cluster: Cluster, prefix: string, image: string, warnings: readonly string[]): Promise<number[]> {
  const starter = bosunStarter(cluster, prefix, image, warnings);
  try {
    return await sample((i) => starter.start(i));
  } finally {
    await starter.close();
  }
}

/** The two figures of one side, with the overhead over a raw side in the Bosun p50 note. */
function rows(label: string, bosun: Stats, raw: { label: string; s: Stats }[], bosunNote: string, p99Target?: string): BenchResult[] {
  const over = raw.map((r) => `${(bosun.p50 - r.s.p50).toFixed(1)} ms over ${r.label} p50`).join('; ');
  const out: BenchResult[] = [
    { name: `${label}: Bosun pod startup p50`, value: bosun.p50, unit: 'ms', note: `${over}; ${bosunNote}` },
    { name: `${label}: Bosun pod startup p99`, value: bosun.p99, unit: 'ms', note: `${p99Target ? `${p99Target}; ` : ''}max ${bosun.max.toFixed(1)} ms, n=${bosun.n}` },
  ];
  for (const r of raw) {
    out.push(
      { name: `${label}: ${r.label} p50`, value: r.s.p50, unit: 'ms', note: `same run, n=${r.s.n}` },
      { name: `${label}: ${r.label} p99`, value: r.s.p99, unit: 'ms', note: `max ${r.s.max.toFixed(1)} ms` },
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Process runtime

/** Spawns `argv` and resolves once it writes its first stdout byte; the child keeps running. */
function spawnUntilOutput(argv: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    child.once('error', reject);
    child.stdout!.once('data', () => {
      child.stdout!.destroy();
      resolve(child.pid!);
    });
    child.once('exit', (code) => reject(new Error(`runtimes bench: ${argv.join(' ')} exited ${code} before running`)));
  });
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone
  }
}

async function processRuntime(): Promise<BenchResult[]> {
  if (process.getuid?.() !== 0) return skipped('process runtime', 'not root (isolation needs unshare as root)');
  const missing = ['/usr/bin/unshare', '/bin/busybox'].filter((p) => spawnSync('test', ['-x', p]).status !== 0);
  if (missing.length) return skipped('process runtime', `missing ${missing.join(', ')}`);

  // The raw floors run before the cluster starts, so its loops do not compete with them.
  const pids: number[] = [];
  const unshareArgv = ['unshare', '--pid', '--fork', '--mount', '--propagation', 'private', '--net', '--uts', '--ipc', '--', '/bin/busybox', 'sh', '-c', 'echo up; exec /bin/busybox sleep 3600'];
  let raw: number[];
  let bare: number[];
  try {
    raw = await sample(async () => void pids.push(await spawnUntilOutput(unshareArgv)));
    bare = await sample(async () => void pids.push(await spawnUntilOutput(['/bin/busybox', 'sh', '-c', 'echo up; exec /bin/busybox sleep 3600'])));
  } finally {
    for (const p of pids) killGroup(p);
  }

  const log = keeping();
  const cluster = await createCluster({ nodes: 1, runtime: 'process', clusterCIDR: '10.231.0.0/16', logger: log.logger });
  try {
    const bosun = stats(await bosunStartups(cluster, 'proc', 'busybox:1.36', log.warnings));
    return rows(
      'process runtime',
      bosun,
      [
        { label: 'raw unshare (pid,mnt,net,uts,ipc) sh → first output', s: stats(raw) },
        { label: 'raw spawn sh → first output (no isolation)', s: stats(bare) },
      ],
      'createCluster({ nodes: 1, runtime: "process" }), isolation on; pods one at a time; create call → phase Running seen by a watch (sandbox holder, bridge + veth + host-local IPAM, rootfs mounts, container); the raw floor has none of the sandbox work',
    );
  } finally {
    await cluster.stop();
  }
}

// ---------------------------------------------------------------------------------------
// containerd

async function ctrRun(address: string, id: string): Promise<void> {
  await runCommand('ctr', ['-a', address, '-n', CRI_NAMESPACE, 'run', '-d', BUSYBOX_IMAGE, id, ...SLEEP], 60_000);
}

async function ctrRemove(address: string, id: string): Promise<void> {
  const ctr = (...args: string[]) => runCommand('ctr', ['-a', address, '-n', CRI_NAMESPACE, ...args], 30_000).catch(() => '');
  await ctr('task', 'kill', '-s', 'SIGKILL', id);
  for (let i = 0; i < 50; i++) {
    if ((await ctr('task', 'rm', '-f', id)) !== '' || !(await ctr('task', 'ls', '-q')).split('\n').includes(id)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await ctr('containers', 'rm', id);
}

/** RunPodSandbox → CreateContainer → StartContainer for pod `i`, as `crictl runp/create/start`; pushes the sandbox id to clean up. */
async function criStartup(cri: CriClient, logRoot: string, image: string, i: number, sandboxes: string[]): Promise<void> {
  const name = `rawcri-${i}`;
  const config = { metadata: { name, namespace: 'default', uid: `rawcri-uid-${i}`, attempt: 0 }, hostname: name, logDirectory: join(logRoot, name), linux: {} };
  const sid = await cri.runtime.runPodSandbox(config);
  sandboxes.push(sid);
  const cid = await cri.runtime.createContainer(sid, { metadata: { name: 'app', attempt: 0 }, image: { image }, command: SLEEP, logPath: 'app.log' }, config);
  await cri.runtime.startContainer(cid);
}

/** Stops and removes the sandboxes a CRI side started, even after a failure. */
async function criCleanup(cri: CriClient, sandboxes: readonly string[]): Promise<void> {
  for (const sid of sandboxes) {
    await cri.runtime.stopPodSandbox(sid).catch(() => undefined);
    await cri.runtime.removePodSandbox(sid).catch(() => undefined);
  }
}

async function containerd(): Promise<BenchResult[]> {
  const why = containerdUnavailable();
  if (why) return skipped('containerd', why);
  let ctrd: ContainerdHandle | undefined;
  const log = keeping();
  let cluster: Cluster | undefined;
  let starter: PodStarter | undefined;
  let cri: CriClient | undefined;
  const sandboxes: string[] = [];
  const ctrIds: string[] = [];
  const logRoot = mkdtempSync(join(tmpdir(), 'bosun-bench-crilogs-'));
  try {
    ctrd = await startContainerd({ bridge: 'bosunbench0', subnet: '10.88.90.0/23' });
    const c = ctrd;
    const byCtr: Side = {
      label: 'raw `ctr run -d` (no sandbox, no CNI)',
      async start(i) {
        const id = `rawctr-${i}`;
        ctrIds.push(id);
        await ctrRun(c.address, id);
      },
    };
    const criClient = createCriClient(c.endpoint);
    cri = criClient;
    const byCri: Side = { label: 'raw CRI RunPodSandbox+Create+StartContainer (bridge CNI)', start: (i) => criStartup(criClient, logRoot, BUSYBOX_IMAGE, i, sandboxes) };
    cluster = await createCluster({ nodes: 1, runtime: { criEndpoint: c.endpoint }, clusterCIDR: '10.232.0.0/16', logger: log.logger } satisfies ClusterOptions);
    starter = bosunStarter(cluster, 'ctrd', BUSYBOX_IMAGE, log.warnings);
    const bosunSide: Side = { label: 'Bosun', start: (i) => starter!.start(i) };
    const [bosun, ...raws] = (await interleaved([bosunSide, byCtr, byCri])).map(stats);
    return rows(
      'containerd',
      bosun!,
      [byCtr, byCri].map((side, k) => ({ label: side.label, s: raws[k]! })),
      `target ≤ 30 ms over the raw CRI pod's p50 (same sandbox + bridge CNI + app container through the same CRI socket); containerd ${containerdVersion()} with the bridge CNI, image present, one container; createCluster({ runtime: { criEndpoint } }), pods one at a time, create call → Running seen by a watch; \`ctr run\` times include the ctr client's own start; sides interleaved pod by pod`,
      'target p99 ≤ 2 s with bridge CNI',
    );
  } finally {
    await starter?.close();
    await cluster?.stop().catch(() => undefined);
    if (cri) {
      await criCleanup(cri, sandboxes);
      cri.close();
    }
    if (ctrd) for (const id of ctrIds) await ctrRemove(ctrd.address, id);
    await ctrd?.stop();
    rmSync(logRoot, { recursive: true, force: true });
  }
}

function containerdVersion(): string {
  const out = spawnSync('/usr/bin/containerd', ['--version']).stdout?.toString() ?? '';
  return out.split(' ')[2] ?? '?';
}

// ---------------------------------------------------------------------------------------
// Docker

/** Where Debian's containernetworking-plugins live, then the upstream default (as createCluster's Docker nodes). */
const CNI_BIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin'];
/** The sandbox as runtime-docker makes it: its default image and command. */
const SANDBOX_IMAGE = 'busybox:latest';
const SANDBOX_COMMAND = ['sleep', '2147483647'];

/** Runs one CNI plugin binary by the exec protocol (what libcni/cnitool do); resolves with its parsed stdout. */
function cniExec(type: string, command: 'ADD' | 'DEL', conf: unknown, containerId: string, netns: string): Promise<unknown> {
  const bin = CNI_BIN_DIRS.map((d) => join(d, type)).find((p) => spawnSync('test', ['-x', p]).status === 0);
  if (!bin) return Promise.reject(new Error(`runtimes bench: CNI plugin ${type} not found in ${CNI_BIN_DIRS.join(', ')}`));
  return new Promise((resolve, reject) => {
    const env = { ...process.env, CNI_COMMAND: command, CNI_CONTAINERID: containerId, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_PATH: CNI_BIN_DIRS.join(':'), CNI_ARGS: 'IgnoreUnknown=1' };
    const child = spawn(bin, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', reject);
    child.once('close', (code) => {
      const text = Buffer.concat(out).toString();
      if (code !== 0) return reject(new Error(`runtimes bench: ${type} ${command}: exit ${code}: ${text || Buffer.concat(err).toString()}`));
      resolve(text.trim() ? JSON.parse(text) : undefined);
    });
    child.stdin.end(JSON.stringify(conf));
  });
}

/** A conflist run by hand: ADD through every plugin in order with prevResult chained, DEL in reverse. */
async function cniList(list: { cniVersion: string; name: string; plugins: Array<Record<string, unknown>> }, command: 'ADD' | 'DEL', containerId: string, netns: string): Promise<void> {
  const plugins = command === 'ADD' ? list.plugins : [...list.plugins].reverse();
  let prev: unknown;
  for (const p of plugins) {
    const conf = { cniVersion: list.cniVersion, name: list.name, ...p, ...(prev ? { prevResult: prev } : {}) };
    const res = await cniExec(String(p.type), command, conf, containerId, netns);
    if (command === 'ADD') prev = res;
  }
}

/** One side of an interleaved run: `start(i)` makes pod i (timed by the caller). */
interface Side {
  label: string;
  start(i: number): Promise<void>;
}

/**
 * Runs WARMUP + N rounds; each round starts one pod on every side, in an order rotated
 * by the round, so a slow spell of the shared machine hits every side alike. Returns the
 * N measured durations of each side (ms).
 */
async function interleaved(sides: readonly Side[]): Promise<number[][]> {
  const out = sides.map(() => [] as number[]);
  for (let i = 0; i < WARMUP + N; i++) {
    for (let k = 0; k < sides.length; k++) {
      const j = (i + k) % sides.length;
      const t0 = performance.now();
      await sides[j]!.start(i);
      if (i >= WARMUP) out[j]!.push(performance.now() - t0);
    }
  }
  return out;
}

async function docker(): Promise<BenchResult[]> {
  const why = dockerdUnavailable();
  if (why) return skipped('docker', why);
  let dockerd: TestDockerd | undefined;
  const log = keeping();
  let cluster: Cluster | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'bosun-bench-docker-'));
  // The raw pods get bridges of their own, with createCluster's conflist shape.
  const handCtx = { dir: join(dir, 'by-hand'), podCIDR: '10.234.1.0/24' };
  const apiCtx = { dir: join(dir, 'by-api'), podCIDR: '10.234.2.0/24' };
  const criCtx = { dir: join(dir, 'by-cri'), podCIDR: '10.234.3.0/24' };
  const attached: Array<{ list: ReturnType<typeof cniConf>; id: string; netns: string }> = [];
  const cniConf = (ctx: { dir: string; podCIDR: string }) => dockerNodeConfList(ctx) as { cniVersion: string; name: string; plugins: Array<Record<string, unknown>> };
  let conn: DockerConnection | undefined;
  let runtime: ReturnType<typeof createDockerRuntime> | undefined;
  let cri: CriClient | undefined;
  const criSandboxes: string[] = [];
  let starter: PodStarter | undefined;
  try {
    dockerd = await startDockerd();
    await importBusybox(dockerd);
    const d = dockerd;
    const cli = (args: string[]) => runCommand('docker', ['-H', d.host, ...args], 60_000).then((o) => o.trim());
    for (const ctx of [handCtx, apiCtx, criCtx]) mkdirSync(ctx.dir, { recursive: true });

    // (i) The pod by hand with the docker CLI.
    const handList = cniConf(handCtx);
    const byHand: Side = {
      label: 'raw by hand: docker run sandbox (--network none) + inspect + bridge CNI ADD + docker run app (--network container:)',
      async start(i) {
        const name = `hand-${i}`;
        const sb = await cli(['run', '-d', '--network', 'none', '--ipc', 'shareable', '--hostname', name, '--name', `${name}-pod`, SANDBOX_IMAGE, ...SANDBOX_COMMAND]);
        const pid = await cli(['inspect', '--format', '{{.State.Pid}}', sb]);
        const netns = `/proc/${pid}/ns/net`;
        await cniList(handList, 'ADD', sb, netns);
        attached.push({ list: handList, id: sb, netns });
        await cli(['run', '-d', '--network', `container:${sb}`, '--ipc', `container:${sb}`, '--name', `${name}-app`, 'busybox:1.36', ...SLEEP]);
      },
    };

    // The same sequence through the Docker API, without the CLI's own start.
    conn = new DockerConnection({ socketPath: d.socketPath });
    const api = conn.docker;
    const apiList = cniConf(apiCtx);
    const byApi: Side = {
      label: 'raw Docker API (dockerode): same sequence, no CLI',
      async start(i) {
        const name = `api-${i}`;
        const sb = await api.createContainer({ name: `${name}-pod`, Image: SANDBOX_IMAGE, Entrypoint: SANDBOX_COMMAND, Cmd: [], Hostname: name, HostConfig: { NetworkMode: 'none', IpcMode: 'shareable' } });
        await sb.start();
        const netns = `/proc/${(await sb.inspect()).State.Pid}/ns/net`;
        await cniList(apiList, 'ADD', sb.id, netns);
        attached.push({ list: apiList, id: sb.id, netns });
        const app = await api.createContainer({ name: `${name}-app`, Image: 'busybox:1.36', Entrypoint: SLEEP, Cmd: [], HostConfig: { NetworkMode: `container:${sb.id}`, IpcMode: `container:${sb.id}` } });
        await app.start();
      },
    };

    // (ii) runtime-docker alone through CRI, with createCluster's CNI (bridge by the exec adapter).
    runtime = createDockerRuntime({
      socketPath: d.socketPath,
      network: createInProcessCniClient(createCniExecPlugin({ conflist: cniConf(criCtx), binDirs: CNI_BIN_DIRS, cacheDir: join(criCtx.dir, 'cni', 'cache') })),
      stateDir: join(criCtx.dir, 'runtime'),
    });
    const criClient = createInProcessCriClient(runtime);
    cri = criClient;
    const byCri: Side = { label: 'raw CRI RunPodSandbox+Create+StartContainer on runtime-docker (bridge CNI)', start: (i) => criStartup(criClient, join(criCtx.dir, 'logs'), 'busybox:1.36', i, criSandboxes) };

    const single: Side = { label: 'raw single `docker run -d --network none` (no sandbox, no CNI)', start: (i) => cli(['run', '-d', '--network', 'none', '--name', `single-${i}`, 'busybox:1.36', ...SLEEP]).then(() => undefined) };

    cluster = await createCluster({ nodes: 1, runtime: { docker: { socketPath: d.socketPath } }, clusterCIDR: '10.233.0.0/16', logger: log.logger });
    starter = bosunStarter(cluster, 'dock', 'busybox:1.36', log.warnings);
    const bosunSide: Side = { label: 'Bosun', start: (i) => starter!.start(i) };

    const version = d.docker(['version', '--format', '{{.Server.Version}}']).trim();
    const driver = d.docker(['info', '--format', '{{.Driver}}']).trim();
    const [bosun, ...raws] = (await interleaved([bosunSide, byHand, byApi, byCri, single])).map(stats);
    return rows(
      'docker',
      bosun!,
      [byHand, byApi, byCri, single].map((side, k) => ({ label: side.label, s: raws[k]! })),
      `target ≤ 30 ms over the by-hand pod's p50 (the first raw row: same sandbox + bridge CNI + app container made with the docker CLI, CLI start included); dockerd ${version} (storage ${driver}), images present, one app container; createCluster({ runtime: { docker } }), pods one at a time, create call → Running seen by a watch; sides interleaved pod by pod`,
      'target p99 ≤ 2 s with bridge CNI',
    );
  } finally {
    await starter?.close();
    await cluster?.stop().catch(() => undefined);
    if (cri) await criCleanup(cri, criSandboxes);
    cri?.close();
    await runtime?.close();
    for (const a of attached) await cniList(a.list, 'DEL', a.id, a.netns).catch(() => undefined);
    conn?.close();
    await dockerd?.stop();
    for (const ctx of [handCtx, apiCtx, criCtx]) spawnSync('ip', ['link', 'delete', 'dev', dockerNodeBridge(ctx)], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every runtime benchmark: process, containerd, Docker; then the load average. */
export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const log = (rs: BenchResult[]) => {
    for (const r of rs) process.stderr.write(`  ${r.name}: ${r.value.toFixed(r.value < 10 ? 3 : 1)} ${r.unit}${r.note ? ` (${r.note})` : ''}\n`);
    results.push(...rs);
  };
  const load0 = loadavg()[0]!;
  const section = async (key: string, fn: () => Promise<BenchResult[]>) => {
    if (!wanted(key)) return;
    try {
      log(await fn());
    } catch (err) {
      process.stderr.write(`  ${key}: failed — ${(err as Error).stack ?? String(err)}\n`);
      results.push({ name: `${key}: failed`, value: 0, unit: '', note: (err as Error).message.slice(0, 200) });
    }
  };
  await section('process', processRuntime);
  await section('containerd', containerd);
  await section('docker', docker);
  const [l1, l5] = loadavg();
  results.push({ name: 'load average (1 min) at the end', value: l1!, unit: '', note: `${load0.toFixed(2)} at the start, ${l5!.toFixed(2)} over 5 min; machine shared with other jobs` });
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
