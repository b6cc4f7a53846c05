/**
 * Node benchmarks (issue 5):
 *
 * - CRI call overhead: Bosun's `CriClient` against a bare `@grpc/grpc-js` client made from
 *   the same package definition, calling the same `serveCri` server (runtime-fake) on the
 *   same unix socket. Rounds alternate between them so drift hits both alike; the ratio
 *   is Bosun ops/s ÷ bare ops/s (target ≥ 0.9×). A third side, the bare client with the
 *   deadline and wait-for-ready metadata CriClient sets on every call, tells the cost of
 *   those options from the cost of the wrapper.
 * - 5,000 fake nodes Ready: 5,000 `createNodeAgent`s, each on its own runtime-fake through
 *   `createInProcessCriClient`, against one in-memory API server (`createTestEnv`); the
 *   time from the first `start()` until a Node watch has seen Ready=True for all 5,000
 *   (target ≤ 10 s). The agents' periodic loops (heartbeat, status, relist) run on the
 *   test env's FakeClock, which never advances here: what is measured is registration
 *   (Version, Node create + status, Lease, pod informer sync, first relist), not 5,000
 *   relists a second.
 * - Pod startup with the fake runtime: 100 agents (one runtime-fake each, real clock),
 *   `@bosun/scheduler`, pods created at 100 pods/s; latency from the create call to the
 *   first watch event showing `status.phase: Running` (target p99 ≤ 100 ms), split into
 *   create → bound and bound → Running. BENCH_NODE_TRACE=1 prints the watch events of the
 *   three slowest pods.
 *
 * Run alone with `npx tsx bench/node.bench.ts`, or `pnpm bench node`. BENCH_NODE_ONLY=cri,
 * nodes,pods runs a subset; BENCH_NODE_SCALE scales the node count and pod count;
 * BENCH_NODE_CRI_CODEC=wire makes the in-process CRI clients encode and decode every
 * message (the default, `object`, copies through protobufjs objects; see
 * `createInProcessCriClient`), to tell that cost apart.
 *
 * Both scale figures also report the CPU time this process spent in the measured window
 * (user + system, every part: API server, agents, runtimes, scheduler). On a shared
 * machine wall time stretches with other processes' load; CPU time much less so, which
 * makes it the figure to compare runs by.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { RealClock, createScheme, type Node, type Pod } from '@bosun/api';
import { createApiServer, createClient, createTestEnv, type Client } from '@bosun/apiserver';
import { createCriClient, createInProcessCriClient, criPackageDefinition, serveCri } from '@bosun/cri';
import { createNodeAgent, type NodeAgent } from '@bosun/node-agent';
import { createFakeRuntime, type FakeRuntime } from '@bosun/runtime-fake';
import { createScheduler } from '@bosun/scheduler';
import { createMemoryStore } from '@bosun/store';

/** One figure. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

/**
 * The bare baseline: the very @grpc/grpc-js that @bosun/cri uses, reached through that
 * package (the workspace root does not depend on grpc-js), typed only as far as used here.
 */
interface BareStub {
  close(): void;
}
interface GrpcJs {
  loadPackageDefinition(def: unknown): unknown;
  credentials: { createInsecure(): unknown };
  Metadata: new (options?: { waitForReady?: boolean }) => unknown;
}
type BareStubConstructor = new (target: string, credentials: unknown) => BareStub;
const grpc = createRequire(new URL('../packages/cri/package.json', import.meta.url))('@grpc/grpc-js') as GrpcJs;

const SCALE = Number(process.env.BENCH_NODE_SCALE ?? '1') || 1;
const ONLY = new Set((process.env.BENCH_NODE_ONLY ?? '').split(',').filter(Boolean));
const wanted = (key: string) => ONLY.size === 0 || ONLY.has(key);
const quiet = { warn: () => undefined, error: () => undefined };
const CODEC = process.env.BENCH_NODE_CRI_CODEC === 'wire' ? 'wire' : 'object';
const inProcessCri = (runtime: FakeRuntime) => createInProcessCriClient(runtime, { codec: CODEC });
/** CPU seconds (user + system) of this process since `since`. */
const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
};

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Runs `fn` over `0..n-1` with at most `concurrency` in flight. */
async function pool(n: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`node bench: gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

// ---------------------------------------------------------------------------------------
// CRI call overhead

type Call = () => Promise<unknown>;
type Measured = { opsPerSec: number; cpuUsPerOp: number };

/** Throughput of `call` with `concurrency` callers for `ms` milliseconds: ops/s and CPU µs per op (this process: client and server). */
async function measure(call: Call, concurrency: number, ms: number): Promise<{ opsPerSec: number; cpuUsPerOp: number }> {
  let ops = 0;
  const end = performance.now() + ms;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await call();
        ops++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return { opsPerSec: ops / ((performance.now() - start) / 1000), cpuUsPerOp: (cpu.user + cpu.system) / ops };
}

/**
 * Alternating rounds of each call; per call, the median ops/s and the median CPU µs per
 * op of its rounds. CPU per op is the steadier figure on a shared machine: other
 * processes stretch wall time, not this process's CPU time.
 */
async function compare(calls: readonly Call[], concurrency: number): Promise<{ opsPerSec: number; cpuUsPerOp: number }[]> {
  for (let i = 0; i < 300; i++) await Promise.all(calls.map((c) => c())); // warm up every side
  const rounds: { opsPerSec: number; cpuUsPerOp: number }[][] = calls.map(() => []);
  for (let round = 0; round < 6; round++) {
    for (const [i, call] of calls.entries()) rounds[i]!.push(await measure(call, concurrency, 500));
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  return rounds.map((rs) => ({ opsPerSec: median(rs.map((r) => r.opsPerSec)), cpuUsPerOp: median(rs.map((r) => r.cpuUsPerOp)) }));
}

/**
 * A bare unary call. `like` adds what CriClient sends with every call (a 30 s deadline and
 * wait-for-ready metadata), to tell the cost of those options from the cost of the wrapper.
 */
function bareUnary(stub: BareStub, rpc: string, request: object, like = false): Call {
  type Fn = (req: object, metadata: unknown, options: object, cb: (err: Error | null, res?: unknown) => void) => void;
  const method = (stub as unknown as Record<string, Fn>)[rpc]!.bind(stub);
  const settle = (resolve: (x: unknown) => void, reject: (e: Error) => void) => (err: Error | null, res?: unknown) => (err ? reject(err) : resolve(res));
  if (!like) return () => new Promise((resolve, reject) => method(request, new grpc.Metadata(), {}, settle(resolve, reject)));
  return () => new Promise((resolve, reject) => method(request, new grpc.Metadata({ waitForReady: true }), { deadline: new Date(Date.now() + 30_000) }, settle(resolve, reject)));
}

async function criOverhead(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-bench-cri-'));
  const runtime = createFakeRuntime({ clock: new RealClock() });
  const server = await serveCri(runtime, { socketPath: join(dir, 'cri.sock'), name: 'bosun-fake' });
  const cri = createCriClient(server.endpoint);
  const pkg = grpc.loadPackageDefinition(criPackageDefinition()) as { runtime: { v1: { RuntimeService: BareStubConstructor } } };
  const bare = new pkg.runtime.v1.RuntimeService(server.endpoint, grpc.credentials.createInsecure());
  try {
    // 20 containers in one sandbox, so ListContainers carries a realistic payload.
    const sid = await cri.runtime.runPodSandbox({ metadata: { name: 'bench', namespace: 'default', uid: 'bench-uid' } });
    for (let i = 0; i < 20; i++) {
      const id = await cri.runtime.createContainer(sid, { metadata: { name: `c${i}` }, image: { image: 'busybox:1.36' }, labels: { app: 'bench', i: String(i) } });
      await cri.runtime.startContainer(id);
    }
    const results: BenchResult[] = [];
    const cases: [string, Call, Call, Call][] = [
      ['Version', () => cri.runtime.version(), bareUnary(bare, 'Version', { version: 'v1' }), bareUnary(bare, 'Version', { version: 'v1' }, true)],
      ['ListContainers (20 containers)', () => cri.runtime.listContainers(), bareUnary(bare, 'ListContainers', { filter: null }), bareUnary(bare, 'ListContainers', { filter: null }, true)],
    ];
    for (const [rpc, ours, theirs, theirsLike] of cases) {
      for (const concurrency of [1, 32]) {
        const [a, b, c] = (await compare([ours, theirs, theirsLike], concurrency)) as [Measured, Measured, Measured];
        const cpu = (m: Measured) => `${m.cpuUsPerOp.toFixed(0)} CPU µs/call`;
        results.push(
          {
            name: `CRI ${rpc}, ${concurrency} in flight: CriClient`,
            value: a.opsPerSec,
            unit: 'ops/s',
            note: `${(a.opsPerSec / b.opsPerSec).toFixed(2)}× bare grpc-js ops/s (target ≥ 0.9×); ${cpu(a)}, ${(b.cpuUsPerOp / a.cpuUsPerOp).toFixed(2)}× bare by CPU cost`,
          },
          { name: `CRI ${rpc}, ${concurrency} in flight: bare grpc-js`, value: b.opsPerSec, unit: 'ops/s', note: `same server, socket and package definition; no call options; ${cpu(b)}` },
          {
            name: `CRI ${rpc}, ${concurrency} in flight: bare grpc-js + deadline + waitForReady`,
            value: c.opsPerSec,
            unit: 'ops/s',
            note: `the options CriClient sets on every call; ${cpu(c)}; CriClient is ${(c.cpuUsPerOp / a.cpuUsPerOp).toFixed(2)}× this by CPU cost`,
          },
        );
      }
    }
    return results;
  } finally {
    cri.close();
    bare.close();
    await server.close();
    runtime.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// 5,000 fake nodes Ready

const isReady = (n: Node) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Counts Nodes whose Ready condition is True, from a watch. */
function watchReadyNodes(client: Client, signal: AbortSignal): { ready: Set<string>; done: Promise<void> } {
  const ready = new Set<string>();
  const done = (async () => {
    try {
      for await (const ev of client.watch('v1', 'Node', { signal })) {
        if (ev.type === 'BOOKMARK') continue;
        const n = ev.object as Node;
        if (ev.type !== 'DELETED' && isReady(n)) ready.add(n.metadata!.name!);
        else ready.delete(n.metadata!.name!);
      }
    } catch {
      // aborted
    }
  })();
  return { ready, done };
}

async function nodesReady(count: number): Promise<BenchResult[]> {
  const env = await createTestEnv();
  const stopWatch = new AbortController();
  const seen = watchReadyNodes(env.client, stopWatch.signal);
  const runtimes: FakeRuntime[] = [];
  const agents: NodeAgent[] = [];
  const heapBefore = process.memoryUsage().heapUsed;
  try {
    const b0 = performance.now();
    for (let i = 0; i < count; i++) {
      const runtime = createFakeRuntime({ clock: env.clock, podCidr: `10.${(i >> 8) & 255}.${i & 255}.0/24` });
      runtimes.push(runtime);
      agents.push(createNodeAgent({ client: env.client, cri: inProcessCri(runtime), nodeName: `node-${i}`, clock: env.clock, logger: quiet }));
    }
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    // All starts in flight at once, as 5,000 kubelets booting together would be.
    const starts = agents.map((a) => a.start());
    await until(`${count} nodes Ready`, () => seen.ready.size === count, 300_000);
    const readyAt = performance.now();
    const cpu = cpuSeconds(cpu0);
    await Promise.all(starts);
    const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    const total = (readyAt - t0) / 1000;
    return [
      {
        name: `${count} fake nodes Ready`,
        value: total,
        unit: 's',
        note: `target ≤ 10 s; ${cpu.toFixed(2)} CPU s in that window; one runtime-fake per node (in-process CRI, ${CODEC} codec); from the first start() (building the 5,000 runtimes and agents before it took ${((t0 - b0) / 1000).toFixed(2)} s); ~${Math.round(heapMiB)} MiB heap growth`,
      },
    ];
  } finally {
    stopWatch.abort();
    await pool(agents.length, 256, (i) => agents[i]!.stop());
    for (const r of runtimes) r.dispose();
    await seen.done;
    await env.stop();
  }
}

// ---------------------------------------------------------------------------------------
// Pod startup with the fake runtime

function benchPod(name: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'startup' } },
    spec: { containers: [{ name: 'app', image: 'busybox:1.36', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
  };
}

async function podStartup(nodes: number, rate: number, seconds: number): Promise<BenchResult[]> {
  const clock = new RealClock();
  const store = createMemoryStore({ clock });
  const server = await createApiServer({ store, scheme: createScheme(), clock });
  const client = createClient(server);
  const runtimes: FakeRuntime[] = [];
  const agents: NodeAgent[] = [];
  const stopWatch = new AbortController();
  const runningAt = new Map<string, number>();
  const boundAt = new Map<string, number>();
  /** BENCH_NODE_TRACE=1: every watch event per pod (time, phase, first container's state), printed for the slowest pods. */
  const trace = process.env.BENCH_NODE_TRACE ? new Map<string, string[]>() : undefined;
  const watching = (async () => {
    try {
      for await (const ev of client.watch('v1', 'Pod', { namespace: 'default', signal: stopWatch.signal })) {
        const p = ev.object as Pod;
        if (trace) {
          const c = p.status?.containerStatuses?.[0]?.state;
          const state = c?.running ? 'running' : c?.waiting ? `waiting:${c.waiting.reason}` : c?.terminated ? 'terminated' : '-';
          const line = `${performance.now().toFixed(1)} ${ev.type} node=${p.spec?.nodeName ?? ''} phase=${p.status?.phase ?? ''} ${state} rv=${p.metadata?.resourceVersion}`;
          trace.set(p.metadata!.name!, [...(trace.get(p.metadata!.name!) ?? []), line]);
        }
        if (p.spec?.nodeName && !boundAt.has(p.metadata!.name!)) boundAt.set(p.metadata!.name!, performance.now());
        if (p.status?.phase === 'Running' && !runningAt.has(p.metadata!.name!)) runningAt.set(p.metadata!.name!, performance.now());
      }
    } catch {
      // aborted
    }
  })();
  // Agent warnings (failed syncs, retried after 1 s) explain slow outliers: counted, first one kept.
  const warnings: string[] = [];
  const counting = { warn: (m: string) => void warnings.push(m), error: (m: string) => void warnings.push(m) };
  const scheduler = createScheduler({ client, clock });
  let schedulerRun: Promise<unknown> | undefined;
  try {
    for (let i = 0; i < nodes; i++) {
      const runtime = createFakeRuntime({ clock, podCidr: `10.244.${i}.0/24` });
      runtimes.push(runtime);
      agents.push(createNodeAgent({ client, cri: inProcessCri(runtime), nodeName: `node-${i}`, clock, logger: counting, podCidr: `10.244.${i}.0/24` }));
    }
    await Promise.all(agents.map((a) => a.start()));
    schedulerRun = scheduler.run();
    await until('the scheduler to see every node', () => scheduler.cache.nodeCount() === nodes, 60_000);

    const n = Math.round(rate * seconds);
    const createdAt = new Map<string, number>();
    const creations: Promise<unknown>[] = [];
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const wait = start + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const name = `startup-${i}`;
      createdAt.set(name, performance.now());
      creations.push(client.create(benchPod(name)));
    }
    await Promise.all(creations);
    const achieved = n / ((performance.now() - start) / 1000);
    await until(`${n} pods Running`, () => runningAt.size === n, 120_000);
    const cpuMsPerPod = (cpuSeconds(cpu0) * 1000) / n;
    const lat = [...createdAt].map(([name, t]) => runningAt.get(name)! - t).sort((a, b) => a - b);
    if (trace) {
      const slow = [...createdAt].sort((a, b) => runningAt.get(b[0])! - boundAt.get(b[0])! - (runningAt.get(a[0])! - boundAt.get(a[0])!)).slice(0, 3);
      for (const [name, t] of slow) process.stderr.write(`${name} created ${t.toFixed(1)}\n  ${(trace.get(name) ?? []).join('\n  ')}\n`);
    }
    const toBound = [...createdAt].map(([name, t]) => boundAt.get(name)! - t).sort((a, b) => a - b);
    const toRunning = [...createdAt].map(([name]) => runningAt.get(name)! - boundAt.get(name)!).sort((a, b) => a - b);
    const split = `create → bound p50 ${percentile(toBound, 50).toFixed(1)} / p99 ${percentile(toBound, 99).toFixed(1)} ms, bound → Running p50 ${percentile(toRunning, 50).toFixed(1)} / p99 ${percentile(toRunning, 99).toFixed(1)} ms`;
    const note = `${n} pods over ${seconds} s onto ${nodes} nodes (one runtime-fake each, in-process CRI with the ${CODEC} codec, real clock); create call → phase Running seen by a watch; ${cpuMsPerPod.toFixed(2)} CPU ms per pod (whole process, first create to last Running)`;
    return [
      { name: `pod startup p50, fake runtime, ${rate} pods/s`, value: percentile(lat, 50), unit: 'ms', note },
      {
        name: `pod startup p99, fake runtime, ${rate} pods/s`,
        value: percentile(lat, 99),
        unit: 'ms',
        note: `target ≤ 100 ms; max ${lat[lat.length - 1]!.toFixed(1)} ms; arrival achieved ${achieved.toFixed(0)} pods/s; ${split}; ${warnings.length} node-agent warnings${warnings[0] ? ` (first: ${warnings[0].slice(0, 160)})` : ''}`,
      },
    ];
  } finally {
    stopWatch.abort();
    await scheduler.stop();
    await schedulerRun?.catch(() => undefined);
    await Promise.all(agents.map((a) => a.stop()));
    for (const r of runtimes) r.dispose();
    await watching;
    await server.stop();
    await store.close();
  }
}

/** Every node benchmark, in order: CRI overhead, nodes Ready, pod startup. */
export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const log = (rs: BenchResult[]) => {
    for (const r of rs) process.stderr.write(`  ${r.name}: ${r.value.toFixed(r.value < 10 ? 3 : 1)} ${r.unit}${r.note ? ` (${r.note})` : ''}\n`);
    results.push(...rs);
  };
  if (wanted('cri')) log(await criOverhead());
  if (wanted('nodes')) log(await nodesReady(Math.max(1, Math.round(5000 * SCALE))));
  if (wanted('pods')) log(await podStartup(Math.max(1, Math.round(100 * SCALE)), 100, 5));
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
