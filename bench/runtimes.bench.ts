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
 *   same run: `ctr run -d` of the same image and command (returns once the task has
 *   started; no pod sandbox, no CNI), and the bare CRI sequence RunPodSandbox →
 *   CreateContainer → StartContainer through `CriClient` (what `crictl runp/create/start`
 *   does: pause sandbox and CNI included, no API server, scheduler, watch or node agent).
 * - Docker: a private dockerd (test/support/dockerd.ts) with busybox imported; Bosun
 *   through `createCluster({ runtime: { docker } })` (runtime-docker, bridge CNI per node)
 *   vs `docker run -d --network none` of the same image and command.
 *
 * Pods go one at a time (no queueing), after two unmeasured warm-up starts per side.
 * Sections are skipped with a printed reason when not root or a daemon is missing.
 * Run alone with `npx tsx bench/runtimes.bench.ts`, or `pnpm bench runtimes`.
 * BENCH_RUNTIMES_ONLY=process,containerd,docker runs a subset; BENCH_RUNTIMES_N sets the
 * sample count per side (default 40).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { Pod } from '@bosun/api';
import { createCluster, type Cluster, type ClusterOptions } from '@bosun/cluster';
import { createCriClient } from '@bosun/cri';
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

/**
 * Starts pods one at a time on `cluster`, each timed from the create call to the first
 * watch event with phase Running. Rejects if a pod is not Running within 60 s.
 */
async function bosunStartups(cluster: Cluster, prefix: string, image: string, warnings: readonly string[]): Promise<number[]> {
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
  try {
    return await sample(async (i) => {
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
    });
  } finally {
    stop.abort();
    await watching;
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

/** RunPodSandbox → CreateContainer → StartContainer on `endpoint`, as `crictl runp/create/start`; returns the sandbox ids to clean up. */
async function criStartups(endpoint: string, logRoot: string): Promise<{ samples: number[]; sandboxes: string[] }> {
  const cri = createCriClient(endpoint);
  const sandboxes: string[] = [];
  try {
    const samples = await sample(async (i) => {
      const name = `rawcri-${i}`;
      const config = { metadata: { name, namespace: 'default', uid: `rawcri-uid-${i}`, attempt: 0 }, hostname: name, logDirectory: join(logRoot, name), linux: {} };
      const sid = await cri.runtime.runPodSandbox(config);
      sandboxes.push(sid);
      const cid = await cri.runtime.createContainer(sid, { metadata: { name: 'app', attempt: 0 }, image: { image: BUSYBOX_IMAGE }, command: SLEEP, logPath: 'app.log' }, config);
      await cri.runtime.startContainer(cid);
    });
    return { samples, sandboxes };
  } finally {
    // Stop and remove what was started, even after a failure.
    for (const sid of sandboxes) {
      await cri.runtime.stopPodSandbox(sid).catch(() => undefined);
      await cri.runtime.removePodSandbox(sid).catch(() => undefined);
    }
    cri.close();
  }
}

async function containerd(): Promise<BenchResult[]> {
  const why = containerdUnavailable();
  if (why) return skipped('containerd', why);
  let ctrd: ContainerdHandle | undefined;
  const log = keeping();
  let cluster: Cluster | undefined;
  const logRoot = mkdtempSync(join(tmpdir(), 'bosun-bench-crilogs-'));
  try {
    ctrd = await startContainerd({ bridge: 'bosunbench0', subnet: '10.88.90.0/23' });
    const raw: number[] = [];
    const ids: string[] = [];
    try {
      raw.push(
        ...(await sample(async (i) => {
          const id = `rawctr-${i}`;
          ids.push(id);
          await ctrRun(ctrd!.address, id);
        })),
      );
    } finally {
      for (const id of ids) await ctrRemove(ctrd.address, id);
    }
    const cri = await criStartups(ctrd.endpoint, logRoot);
    cluster = await createCluster({ nodes: 1, runtime: { criEndpoint: ctrd.endpoint }, clusterCIDR: '10.232.0.0/16', logger: log.logger } satisfies ClusterOptions);
    const bosun = stats(await bosunStartups(cluster, 'ctrd', BUSYBOX_IMAGE, log.warnings));
    return rows(
      'containerd',
      bosun,
      [
        { label: 'raw `ctr run -d` (no sandbox, no CNI)', s: stats(raw) },
        { label: 'raw CRI RunPodSandbox+Create+StartContainer (bridge CNI)', s: stats(cri.samples) },
      ],
      `target ≤ 30 ms over raw p50; containerd ${containerdVersion()} with the bridge CNI, image present, one container; createCluster({ runtime: { criEndpoint } }), pods one at a time, create call → Running seen by a watch; \`ctr run\` times include the ctr client's own start`,
      'target p99 ≤ 2 s with bridge CNI',
    );
  } finally {
    await cluster?.stop().catch(() => undefined);
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

async function docker(): Promise<BenchResult[]> {
  const why = dockerdUnavailable();
  if (why) return skipped('docker', why);
  let dockerd: TestDockerd | undefined;
  const log = keeping();
  let cluster: Cluster | undefined;
  try {
    dockerd = await startDockerd();
    await importBusybox(dockerd);
    const d = dockerd;
    const ids: string[] = [];
    let raw: number[];
    try {
      raw = await sample(async (i) => {
        await runCommand('docker', ['-H', d.host, 'run', '-d', '--network', 'none', '--name', `rawdocker-${i}`, 'busybox:1.36', ...SLEEP], 60_000);
        ids.push(`rawdocker-${i}`);
      });
    } finally {
      if (ids.length) await runCommand('docker', ['-H', d.host, 'rm', '-f', ...ids], 120_000).catch(() => '');
    }
    const version = d.docker(['version', '--format', '{{.Server.Version}}']).trim();
    const rawStats = stats(raw);
    let bosun: Stats;
    try {
      cluster = await createCluster({ nodes: 1, runtime: { docker: { socketPath: d.socketPath } }, clusterCIDR: '10.233.0.0/16', logger: log.logger });
      bosun = stats(await bosunStartups(cluster, 'dock', 'busybox:1.36', log.warnings));
    } catch (err) {
      // The raw side was measured: report it, and the Bosun side as failed (with why).
      process.stderr.write(`  docker: Bosun side failed — ${(err as Error).message}\n`);
      return [
        { name: 'docker: Bosun pod startup', value: 0, unit: 'failed', note: (err as Error).message.slice(0, 400) },
        { name: 'docker: raw `docker run -d --network none` p50', value: rawStats.p50, unit: 'ms', note: `dockerd ${version}, n=${rawStats.n}` },
        { name: 'docker: raw `docker run -d --network none` p99', value: rawStats.p99, unit: 'ms', note: `max ${rawStats.max.toFixed(1)} ms` },
      ];
    }
    return rows(
      'docker',
      bosun,
      [{ label: 'raw `docker run -d --network none`', s: rawStats }],
      `target ≤ 30 ms over raw p50; dockerd ${version} (storage ${d.docker(['info', '--format', '{{.Driver}}']).trim()}), image present, one container; createCluster({ runtime: { docker } }) (runtime-docker: sandbox container + bridge CNI + app container), pods one at a time, create call → Running seen by a watch; \`docker run\` times include the CLI's own start`,
      'target p99 ≤ 2 s with bridge CNI',
    );
  } finally {
    await cluster?.stop().catch(() => undefined);
    await dockerd?.stop();
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
