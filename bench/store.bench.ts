/**
 * Memory store benchmarks: create throughput against a floor, selector lists, heap per
 * object, and watch fan-out latency. Run alone with `npx tsx bench/store.bench.ts`, or
 * through `run()` from the bench runner. Takes about 15 s.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { KubeObject } from '@bosun/api';
import { createMemoryStore, type MemoryStore, type StoreKey, type Watch } from '@bosun/store';

/** One figure. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

/** A realistic pod of about 1.4 KB of JSON: labels, annotations, one container with ports, env, resources and mounts, status conditions. */
export function benchPod(i: number, labels: Record<string, string> = {}): KubeObject {
  const name = `web-7d9f8c6b5-${String(i).padStart(6, '0')}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `0f0c4f9e-8a4b-4c6e-9d2f-${String(i).padStart(12, '0')}`,
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { app: 'web', 'pod-template-hash': '7d9f8c6b5', tier: 'frontend', ...labels },
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f8c6b5', uid: '5b1e2f7a-0c3d-4e8f-9a1b-2c3d4e5f6a7b', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      nodeName: `node-${i % 50}`,
      restartPolicy: 'Always',
      containers: [
        {
          name: 'web',
          image: 'registry.example.com/team/web:1.27.3',
          imagePullPolicy: 'IfNotPresent',
          ports: [
            { name: 'http', containerPort: 8080, protocol: 'TCP' },
            { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
          ],
          env: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          ],
          resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
          volumeMounts: [{ name: 'config', mountPath: '/etc/web', readOnly: true }],
        },
      ],
      volumes: [{ name: 'config', configMap: { name: 'web-config' } }],
    },
    status: {
      phase: 'Running',
      podIP: `10.244.${i % 250}.${(i >> 8) % 250}`,
      startTime: '2026-01-01T00:00:01Z',
      conditions: [
        { type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:05Z' },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' },
      ],
    },
  };
}

const keyOf = (obj: KubeObject): StoreKey => ({ resource: 'pods', namespace: obj.metadata!.namespace!, name: obj.metadata!.name! });

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** `global.gc` when node runs with --expose-gc, else one obtained by setting the V8 flag at run time. */
function getGc(): { gc: () => void; how: string } {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return { gc: g, how: 'global.gc (--expose-gc)' };
  try {
    v8.setFlagsFromString('--expose-gc');
    return { gc: vm.runInNewContext('gc') as () => void, how: 'gc via v8.setFlagsFromString(--expose-gc)' };
  } catch {
    return { gc: () => {}, how: 'no gc available: process.memoryUsage deltas without collection' };
  }
}

async function benchCreates(): Promise<BenchResult[]> {
  const n = 20_000;
  const pods = Array.from({ length: n }, (_, i) => benchPod(i));
  const keys = pods.map(keyOf);
  const bytes = JSON.stringify(pods[0]).length;
  const storeRuns: number[] = [];
  const ownedRuns: number[] = [];
  const floorRuns: number[] = [];
  for (let round = 0; round < 5; round++) {
    const store = createMemoryStore();
    let t = performance.now();
    for (let i = 0; i < n; i++) await store.create(keys[i], pods[i]);
    storeRuns.push(performance.now() - t);
    await store.close();

    // As the API server writes: it hands over its private copy and gets it back (`owned`).
    const handed = pods.map((p) => JSON.parse(JSON.stringify(p)) as KubeObject);
    const owning = createMemoryStore();
    t = performance.now();
    for (let i = 0; i < n; i++) await owning.create(keys[i], handed[i], { owned: true });
    ownedRuns.push(performance.now() - t);
    await owning.close();

    // The floor: what any store must at least do, serialize and index, in the same loop shape.
    const map = new Map<string, string>();
    t = performance.now();
    for (let i = 0; i < n; i++) {
      const p = pods[i];
      map.set(`${keys[i].namespace}/${keys[i].name}`, JSON.stringify({ ...p, metadata: { ...p.metadata, resourceVersion: String(i + 2) } }));
      await undefined;
    }
    floorRuns.push(performance.now() - t);
  }
  const storeMs = median(storeRuns);
  const ownedMs = median(ownedRuns);
  const floorMs = median(floorRuns);
  return [
    { name: 'memory store: create', value: Math.round((n / storeMs) * 1000), unit: 'ops/s', note: `${bytes}-byte pod JSON, ${n} creates, median of 5 rounds; each create also returns a parsed copy` },
    { name: 'memory store: create, owned', value: Math.round((n / ownedMs) * 1000), unit: 'ops/s', note: 'the caller hands its object over and gets it back with its resourceVersion (no parse), as the API server does' },
    { name: 'floor: JSON.stringify + Map.set', value: Math.round((n / floorMs) * 1000), unit: 'ops/s', note: 'same pods, same loop, one await per op' },
    { name: 'memory store create cost vs floor', value: Number((storeMs / floorMs).toFixed(2)), unit: 'x' },
    { name: 'memory store create (owned) cost vs floor', value: Number((ownedMs / floorMs).toFixed(2)), unit: 'x' },
  ];
}

async function benchList(): Promise<BenchResult[]> {
  const n = 10_000;
  const store = createMemoryStore();
  // Inserted in a scrambled order, so the sorted index pays its merge once.
  for (let j = 0; j < n; j++) {
    const i = (j * 7919) % n;
    const pod = benchPod(i, { shard: String(i % 10) });
    await store.create(keyOf(pod), pod);
  }
  const measure = async (opts: { labelSelector?: string; fieldSelector?: string; limit?: number }, rounds: number) => {
    const times: number[] = [];
    let count = 0;
    for (let r = 0; r < rounds; r++) {
      const t = performance.now();
      count = (await store.list({ resource: 'pods', namespace: 'default' }, opts)).items.length;
      times.push(performance.now() - t);
    }
    const settled = times.slice(Math.min(3, rounds - 1));
    return { ms: median(settled), best: Math.min(...settled), count };
  };
  const scan = await measure({ labelSelector: 'shard=none' }, 60);
  const parsed = await measure({ labelSelector: 'shard=3' }, 60);
  const page = await measure({ labelSelector: 'tier=frontend', limit: 500 }, 60);
  // An informer's initial sync makes the frozen copies that watch events share; copies
  // are then cloned from those instead of parsed from the JSON text.
  const informer = store.watch({ resource: 'pods' }, { sendInitialEvents: true });
  const it = informer[Symbol.asyncIterator]();
  for (let i = 0; i < n; i++) await it.next();
  informer.stop();
  const cloned = await measure({ labelSelector: 'shard=3' }, 60);
  const field = await measure({ fieldSelector: 'spec.nodeName=node-7' }, 60);
  await store.close();
  return [
    { name: 'list 10,000 pods, label selector matching 10%', value: round(parsed.ms), unit: 'ms', note: `${parsed.count} items, copies parsed from JSON (objects no watch has seen); median, best ${round(parsed.best)}` },
    { name: 'list 10,000 pods, label selector matching 10%, watched', value: round(cloned.ms), unit: 'ms', note: `${cloned.count} items, copies cloned from the frozen copies watch fan-out made; median, best ${round(cloned.best)}` },
    { name: 'list 10,000 pods, label selector matching none', value: round(scan.ms), unit: 'ms', note: `the scan alone: key order + label match; median, best ${round(scan.best)}` },
    { name: 'list 10,000 pods, field selector matching 2%', value: round(field.ms), unit: 'ms', note: `${field.count} items, watched; median, best ${round(field.best)}` },
    { name: 'list first page (limit 500) of 10,000 pods', value: round(page.ms), unit: 'ms', note: `copies parsed from JSON; median, best ${round(page.best)}` },
  ];
}

const round = (x: number) => Number(x.toFixed(2));

async function benchHeap(): Promise<BenchResult[]> {
  const n = 10_000;
  const { gc, how } = getGc();
  let store: MemoryStore | undefined = createMemoryStore();
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) {
    const pod = benchPod(i);
    await store.create(keyOf(pod), pod);
  }
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  const count = await store.count('pods');
  await store.close();
  store = undefined;
  const bytes = JSON.stringify(benchPod(0)).length;
  return [{ name: 'heap per stored pod', value: Math.round((after - before) / count), unit: 'bytes', note: `${bytes}-byte pod JSON, ${n} pods, history included; ${how}` }];
}

async function benchFanOut(): Promise<BenchResult[]> {
  const watchers = 100;
  const rate = 1000;
  const seconds = 3;
  const pods = 1000;
  const store = createMemoryStore();
  const objects = Array.from({ length: pods }, (_, i) => benchPod(i));
  for (const p of objects) await store.create(keyOf(p), p);

  const committedAt = new Float64Array(rate * seconds + pods + 10);
  const base = Number(await store.currentRevision());
  const latencies = new Float64Array(watchers * rate * seconds);
  let samples = 0;
  let delivered = 0;
  const watches: Watch[] = [];
  const consumers = Array.from({ length: watchers }, async () => {
    const w = store.watch({ resource: 'pods' });
    watches.push(w);
    for await (const event of w) {
      const at = committedAt[Number(event.object.metadata!.resourceVersion) - base];
      latencies[samples++] = performance.now() - at;
      delivered++;
    }
  });

  const total = rate * seconds;
  const start = performance.now();
  let written = 0;
  while (written < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    while (written < due) {
      const p = objects[written % pods];
      (p.metadata!.annotations as Record<string, string>)['bench/seq'] = String(written);
      committedAt[written + 1] = performance.now(); // the update commits and fans out synchronously inside the call
      await store.update(keyOf(p), p);
      written++;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const elapsed = (performance.now() - start) / 1000;
  // Let the consumers drain, then end them.
  for (let i = 0; i < 1000 && delivered < watchers * total; i++) await new Promise((resolve) => setTimeout(resolve, 1));
  for (const w of watches) w.stop();
  await Promise.all(consumers);
  await store.close();
  const sorted = latencies.subarray(0, samples).sort();
  const note = `${watchers} unfiltered watchers, ${total} updates over ${elapsed.toFixed(1)} s; ${delivered} of ${watchers * total} deliveries`;
  return [
    { name: 'watch fan-out commit→delivery p50', value: Number(percentile(sorted, 50).toFixed(3)), unit: 'ms', note },
    { name: 'watch fan-out commit→delivery p99', value: Number(percentile(sorted, 99).toFixed(3)), unit: 'ms', note },
  ];
}

/** Runs every store benchmark and returns its figures. */
export async function run(): Promise<BenchResult[]> {
  const { gc } = getGc();
  const results: BenchResult[] = [];
  for (const bench of [benchCreates, benchList, benchHeap, benchFanOut]) {
    gc(); // so one benchmark's garbage is not collected on the next one's time
    results.push(...(await bench()));
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then(
    (results) => {
      for (const r of results) console.log(`${r.name.padEnd(52)} ${String(r.value).padStart(12)} ${r.unit}${r.note ? `  (${r.note})` : ''}`);
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
