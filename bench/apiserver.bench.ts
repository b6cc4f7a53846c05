/**
 * API server benchmarks: creates through the full admission chain against a floor
 * measured in the same run (their ratio, and the 30,000 creates/s target), where a
 * create's time goes stage by stage, watch fan-out through the Client, and lists of
 * 10,000 pods through the Client. Run alone with `npx tsx bench/apiserver.bench.ts`, or
 * through `run()` from the bench runner. Takes about 40 s.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { FieldPath, createScheme, validateObjectMeta, type KubeObject } from '@bosun/api';
import { createMemoryStore } from '@bosun/store';
import { createApiServer, createClient, type Client } from '@bosun/apiserver';
import { copyIn, copyInTyped } from '../packages/apiserver/src/util';
import { typeStateFor } from '../packages/apiserver/src/structure';

/** One figure. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

/**
 * A pod as a controller would create it: about 1.4 KB of JSON with labels, annotations,
 * an owner reference, and a container with ports, env, resources, probes and mounts. No
 * server-owned fields (uid, status): the server sets those.
 */
export function apiPod(i: number, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `web-7d9f8c6b5-${String(i).padStart(6, '0')}`,
      namespace: 'default',
      labels: { app: 'web', 'pod-template-hash': '7d9f8c6b5', tier: 'frontend', ...labels },
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090', 'kubernetes.io/config.seen': '2026-01-01T00:00:00Z' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f8c6b5', uid: '5b1e2f7a-0c3d-4e8f-9a1b-2c3d4e5f6a7b', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'registry.example.com/team/web:1.27.3',
          ports: [
            { name: 'http', containerPort: 8080 },
            { name: 'metrics', containerPort: 9090 },
          ],
          env: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          ],
          resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
          readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 5 },
          livenessProbe: { httpGet: { path: '/livez', port: 8080 }, initialDelaySeconds: 10 },
          volumeMounts: [{ name: 'config', mountPath: '/etc/web', readOnly: true }],
        },
      ],
      volumes: [{ name: 'config', configMap: { name: 'web-config' } }],
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
    },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function freshClient(): Promise<{ client: Client; stop: () => Promise<void> }> {
  const server = await createApiServer({ store: createMemoryStore() });
  return { client: createClient(server), stop: () => server.stop().then(() => server.store.close()) };
}

/** Creates/s the foundation issue asks of the API server on this kind of box (2 cores, ~100k/s floor). */
const CREATE_TARGET = 30_000;

/**
 * Creates through the Client against the floor (what any store must at least do:
 * serialize the pod and index it, with one await, as the create loop has), each round
 * measuring both back to back, in alternating order, and the ratio taken per round: on a
 * box shared with other work the ratio stays meaningful when both rates drop. (Not
 * interleaved in small chunks: the Client lets the event loop turn every few
 * milliseconds, V8 runs its pending young-generation collections in those turns, and
 * the creates would then pay for the floor's garbage too.)
 */
async function benchCreates(): Promise<BenchResult[]> {
  const n = 20_000;
  const pods = Array.from({ length: n }, (_, i) => apiPod(i));
  const bytes = JSON.stringify(pods[0]).length;
  const apiRates: number[] = [];
  const floorRates: number[] = [];
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  const cpuMs = (from: NodeJS.CpuUsage) => {
    const u = process.cpuUsage(from);
    return (u.user + u.system) / 1000;
  };
  let measured = 0;
  // Warm up the JIT on one round, then measure rounds until at least 4 s of creates.
  for (let round = 0; round < 12 && (round < 5 || measured < 4000); round++) {
    const { client, stop } = await freshClient();
    let apiMs = 0;
    let apiCpu = 0;
    let floorMs = 0;
    let floorCpu = 0;
    const creates = async () => {
      const t = performance.now();
      const u = process.cpuUsage();
      for (let i = 0; i < n; i++) await client.create(pods[i]);
      apiMs = performance.now() - t;
      apiCpu = cpuMs(u);
    };
    const floorOps = async () => {
      const map = new Map<string, string>();
      const t = performance.now();
      const u = process.cpuUsage();
      for (let i = 0; i < n; i++) {
        const p = pods[i];
        map.set(`default/${p.metadata!.name}`, JSON.stringify(p));
        await undefined;
      }
      floorMs = performance.now() - t;
      floorCpu = cpuMs(u);
    };
    if (round % 2 === 0) {
      await creates();
      await floorOps();
    } else {
      await floorOps();
      await creates();
    }
    await stop();
    if (round === 0) continue;
    apiRates.push((n / apiMs) * 1000);
    floorRates.push((n / floorMs) * 1000);
    ratios.push(floorMs / apiMs); // (creates/s) ÷ (floor ops/s)
    cpuRatios.push(floorCpu / apiCpu);
    measured += apiMs;
  }
  const api = Math.round(median(apiRates));
  const floor = Math.round(median(floorRates));
  const ratio = median(ratios);
  const met = api >= CREATE_TARGET;
  const rounds = `median of ${apiRates.length} rounds (${(measured / 1000).toFixed(1)} s of creates)`;
  return [
    {
      name: 'API create (admission + memory store)',
      value: api,
      unit: 'ops/s',
      note: `${bytes}-byte pod JSON, ${n} distinct pods per round, ${rounds}; conversion, type check, defaulting, validation, uid/timestamps, namespace check, store`,
    },
    { name: 'floor: JSON.stringify + Map.set', value: floor, unit: 'ops/s', note: 'same pods, one await per op, measured in each round next to the creates' },
    {
      name: 'API create ÷ floor',
      value: Number(ratio.toFixed(3)),
      unit: 'x',
      note: `median of per-round ratios (in CPU time: ${median(cpuRatios).toFixed(3)}); the target is 0.3 of a ~100k/s floor; ${Math.round(ratio * 100_000)}/s at 100k/s`,
    },
    {
      name: `API create target ≥ ${CREATE_TARGET.toLocaleString('en')}/s`,
      value: Number((api / CREATE_TARGET).toFixed(2)),
      unit: '× target',
      note: met ? 'met' : `not met on this run (floor ${floor}/s; ratio ${ratio.toFixed(3)} vs the 0.3 the target implies)`,
    },
  ];
}

/**
 * Where a create's time goes: each stage of the pipeline timed alone on the same pods
 * (µs per pod), so a regression or an optimisation can be pinned on its owner.
 */
async function benchStages(): Promise<BenchResult[]> {
  const n = 20_000;
  const scheme = createScheme();
  const info = scheme.require('v1', 'Pod');
  const podState = typeStateFor('Pod');
  const pods = Array.from({ length: n }, (_, i) => apiPod(i));
  const copies = pods.map((p) => copyIn(p));
  const defaulted = pods.map((p) => {
    const c = copyIn(p);
    info.defaulter!(c);
    return c;
  });
  const stage = (f: (i: number) => unknown) => {
    const runs: number[] = [];
    for (let r = 0; r < 4; r++) {
      const t = performance.now();
      for (let i = 0; i < n; i++) f(i);
      runs.push(((performance.now() - t) * 1000) / n);
    }
    return Number(median(runs.slice(1)).toFixed(2));
  };
  const storeStage = async () => {
    const runs: number[] = [];
    for (let r = 0; r < 3; r++) {
      // The server hands the store its private copy (`owned`); each create gets a fresh one.
      const objs = defaulted.map((d) => copyIn(d));
      const store = createMemoryStore();
      const t = performance.now();
      for (let i = 0; i < n; i++) await store.create({ resource: 'pods', namespace: 'default', name: objs[i].metadata!.name! }, objs[i], { owned: true });
      runs.push(((performance.now() - t) * 1000) / n);
      await store.close();
    }
    return Number(median(runs).toFixed(2));
  };
  const meta = FieldPath.root('metadata');
  const rows: Array<[string, number, string]> = [
    ['copy + type check of the request (apiserver copyInTyped)', stage((i) => copyInTyped(pods[i], podState)), '@bosun/apiserver, rules from @bosun/api'],
    ['defaulting (Pod defaulter)', stage((i) => info.defaulter!(copies[i])), '@bosun/api'],
    ['ObjectMeta validation', stage((i) => validateObjectMeta(defaulted[i].metadata, { namespaced: true }, meta)), '@bosun/api'],
    ['Pod validation', stage((i) => info.validate!(defaulted[i])), '@bosun/api'],
    ['memory store create (owned, as the server calls it)', await storeStage(), '@bosun/store'],
    ['JSON.stringify of the pod (floor reference)', stage((i) => JSON.stringify(defaulted[i])), ''],
  ];
  return rows.map(([name, value, owner]) => ({ name: `create stage: ${name}`, value, unit: 'µs/pod', note: owner }));
}

async function benchFanOut(): Promise<BenchResult[]> {
  const watchers = 100;
  const rate = 1000;
  const seconds = 3;
  const total = rate * seconds;
  const { client, stop } = await freshClient();
  const pods = Array.from({ length: total }, (_, i) => apiPod(i));
  const sentAt = new Float64Array(total);
  const latencies = new Float64Array(watchers * total);
  let samples = 0;
  const ac = new AbortController();
  const consumers = Array.from({ length: watchers }, async () => {
    for await (const ev of client.watch('v1', 'Pod', { namespace: 'default', signal: ac.signal })) {
      const name = ev.object.metadata.name!;
      const i = Number(name.slice(name.lastIndexOf('-') + 1));
      latencies[samples++] = performance.now() - sentAt[i];
    }
  });
  await new Promise((r) => setTimeout(r, 50));

  const start = performance.now();
  let written = 0;
  while (written < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    while (written < due) {
      sentAt[written] = performance.now(); // the create commits and fans out inside the call
      await client.create(pods[written]);
      written++;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const elapsed = (performance.now() - start) / 1000;
  for (let i = 0; i < 2000 && samples < watchers * total; i++) await new Promise((resolve) => setTimeout(resolve, 1));
  ac.abort();
  await Promise.all(consumers);
  await stop();
  const sorted = latencies.subarray(0, samples).sort();
  const note = `${watchers} Client watches, ${total} creates over ${elapsed.toFixed(1)} s; ${samples} of ${watchers * total} deliveries; measured from the start of client.create`;
  return [
    { name: 'watch fan-out via Client, create→delivery p50', value: Number(percentile(sorted, 50).toFixed(3)), unit: 'ms', note },
    { name: 'watch fan-out via Client, create→delivery p99', value: Number(percentile(sorted, 99).toFixed(3)), unit: 'ms', note: 'target ≤ 5 ms' },
  ];
}

async function benchList(): Promise<BenchResult[]> {
  const n = 10_000;
  const { client, stop } = await freshClient();
  for (let i = 0; i < n; i++) await client.create(apiPod(i, { shard: String(i % 10) }));
  // The first full list parses every stored text; from a version's second read on, the
  // store clones its shared parsed copy instead (see MemoryStore), which the later runs show.
  let t = performance.now();
  await client.list('v1', 'Pod', { namespace: 'default' });
  const firstAll = performance.now() - t;
  const times: number[] = [];
  let count = 0;
  for (let r = 0; r < 40; r++) {
    t = performance.now();
    count = (await client.list('v1', 'Pod', { namespace: 'default', labelSelector: 'shard=3' })).items.length;
    if (r >= 3) times.push(performance.now() - t);
  }
  const allTimes: number[] = [];
  for (let r = 0; r < 8; r++) {
    t = performance.now();
    await client.list('v1', 'Pod', { namespace: 'default' });
    if (r >= 2) allTimes.push(performance.now() - t);
  }
  await stop();
  return [
    { name: 'list 10,000 pods via Client, label selector matching 10%', value: Number(median(times).toFixed(2)), unit: 'ms', note: `${count} items, each the caller's copy; median` },
    { name: 'list 10,000 pods via Client, no selector', value: Number(median(allTimes).toFixed(2)), unit: 'ms', note: 'median of repeated lists' },
    { name: 'list 10,000 pods via Client, no selector, first list', value: Number(firstAll.toFixed(2)), unit: 'ms', note: 'one run: every item parsed from its stored text' },
  ];
}

/** Runs every API server benchmark and returns its figures. */
export async function run(): Promise<BenchResult[]> {
  return [...(await benchCreates()), ...(await benchStages()), ...(await benchFanOut()), ...(await benchList())];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then(
    (results) => {
      for (const r of results) console.log(`${r.name.padEnd(58)} ${String(r.value).padStart(12)} ${r.unit}${r.note ? `  (${r.note})` : ''}`);
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
