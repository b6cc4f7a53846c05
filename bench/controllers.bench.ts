/**
 * Controller benchmarks (issue 3): the work queue's add/get/done cycle and addAfter
 * cost; the ReplicaSet controller creating 10,000 pods into the memory store; a
 * 1,000-replica Deployment rolling to a new image with a fake kubelet readying pods.
 * Run alone with `npx tsx bench/controllers.bench.ts`, or through `run()` from the bench
 * runner (`pnpm bench controllers`); name some of `queue`, `replicaset`, `rollout` to run
 * only those. Takes 20 to 40 s on an idle 2-core machine.
 *
 * The controller benchmarks run on the real clock: on a fake clock every rate-limited
 * requeue (a 409 on a status write, say) would wait until someone advanced it, and the
 * point is to measure wall time.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { RealClock, rfc3339, type Deployment, type Pod, type ReplicaSet } from '@bosun/api';
import { createApiServer, createClient, type Client, type Logger } from '@bosun/apiserver';
import { Action, Controller, createManager, createWorkQueue, type Manager } from '@bosun/controller-runtime';
import { addDeploymentController, addReplicaSetController, isPodReady } from '@bosun/controllers';
import { createMemoryStore } from '@bosun/store';

/** One figure. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

const round = (v: number, digits = 0) => Number(v.toFixed(digits));

/** Work queue: add N distinct keys, then get + done each, over and over. */
async function benchQueue(): Promise<BenchResult[]> {
  const clock = new RealClock();
  const keys = Array.from({ length: 1000 }, (_, i) => `default/pod-${i}`);
  const cycles = async (q: ReturnType<typeof createWorkQueue<string>>, rounds: number) => {
    for (let r = 0; r < rounds; r++) {
      for (const k of keys) q.add(k);
      for (let i = 0; i < keys.length; i++) {
        const { key } = await q.get();
        q.done(key!);
      }
    }
  };
  const q = createWorkQueue<string>({ clock, name: 'bench' });
  await cycles(q, 50); // warm-up
  const rounds = 1000;
  const t0 = performance.now();
  await cycles(q, rounds);
  const ms = performance.now() - t0;
  const opsPerSec = (rounds * keys.length) / (ms / 1000);

  // The same cycle one key at a time (a worker that is never behind), and duplicates
  // collapsing (10 adds of a queued key count as one).
  const q2 = createWorkQueue<string>({ clock, name: 'bench-serial' });
  const n2 = 300_000;
  let t = performance.now();
  for (let i = 0; i < n2; i++) {
    q2.add(keys[i % 1000]);
    const { key } = await q2.get();
    q2.done(key!);
  }
  const serial = n2 / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let i = 0; i < 100_000; i++) q2.add(keys[i % 1000]);
  const dupNs = ((performance.now() - t) * 1e6) / 100_000;

  // addAfter: 100,000 distinct keys with random delays of 1 to 60 s (heap push and,
  // when a key becomes the earliest, a timer reset), then the same keys again with
  // later times (which are ignored: only earlier times move a waiting key).
  const q3 = createWorkQueue<string>({ clock, name: 'bench-after' });
  const many = Array.from({ length: 100_000 }, (_, i) => `default/pod-${i}`);
  const delays = many.map(() => 1000 + Math.random() * 59_000);
  t = performance.now();
  for (let i = 0; i < many.length; i++) q3.addAfter(many[i], delays[i]);
  const afterUs = ((performance.now() - t) * 1000) / many.length;
  t = performance.now();
  for (let i = 0; i < many.length; i++) q3.addAfter(many[i], delays[i] + 1000);
  const againUs = ((performance.now() - t) * 1000) / many.length;
  q3.shutDown();

  return [
    { name: 'work queue add/get/done cycles (batches of 1,000 keys)', value: round(opsPerSec), unit: 'ops/s', note: `target ≥ 500,000; ${rounds * keys.length} cycles` },
    { name: 'work queue add/get/done, one key at a time', value: round(serial), unit: 'ops/s', note: `${n2} cycles` },
    { name: 'work queue add of an already-queued key', value: round(dupNs), unit: 'ns/call', note: 'collapses, no work' },
    { name: 'work queue addAfter (100,000 keys, random 1–60 s)', value: round(afterUs, 3), unit: 'µs/call' },
    { name: 'work queue addAfter of a waiting key, later time', value: round(afterUs > 0 ? againUs : 0, 3), unit: 'µs/call', note: 'ignored: only an earlier time moves it' },
  ];
}

interface World {
  client: Client;
  manager: Manager;
  stop(): Promise<void>;
  warnings: number;
}

/** An API server on the memory store and a manager, both on the real clock. */
async function world(add: (m: Manager) => void): Promise<World> {
  const clock = new RealClock();
  const store = createMemoryStore({ clock });
  const server = await createApiServer({ store, clock });
  const client = createClient(server);
  const w: World = { client, manager: undefined as unknown as Manager, warnings: 0, stop: async () => {} };
  const logger: Logger = {
    warn: () => void w.warnings++,
    error: (m, ...a) => console.error(m, ...a),
  };
  w.manager = createManager({ client, clock, logger });
  add(w.manager);
  await w.manager.start();
  w.stop = async () => {
    await w.manager.stop();
    await server.stop();
    await store.close();
  };
  return w;
}

/** Resolves once `cond` holds, polling every `everyMs` of real time; throws after `timeoutMs`. */
async function until(cond: () => boolean, what: string, timeoutMs = 60_000, everyMs = 5): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The sum of `controller_runtime_reconcile_total` over results for `controller`. */
async function reconciles(m: Manager, controller: string): Promise<number> {
  let n = 0;
  for (const line of (await m.metrics()).split('\n')) {
    if (line.startsWith(`controller_runtime_reconcile_total{controller="${controller}"`)) n += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return n;
}

const template = (app: string, image: string) => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: 'web', image, ports: [{ name: 'http', containerPort: 80 }], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
});

/** The ReplicaSet controller scaling one ReplicaSet from 0 to 10,000 pods. */
async function benchReplicaSet(): Promise<BenchResult[]> {
  const N = 10_000;
  const w = await world((m) => addReplicaSetController(m));
  try {
    const pods = w.manager.informers.forKind('v1', 'Pod').cache;
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: N, selector: { matchLabels: { app: 'web' } }, template: template('web', 'nginx:1.27') },
    };
    // Timestamps from the pod informer's own add events: polling on a timer would
    // measure the event loop's latency, not the creations.
    let t1k = 0;
    let t1 = 0;
    let seen = 0;
    w.manager.informers.forKind('v1', 'Pod').addEventHandler({
      onAdd: () => {
        seen++;
        if (seen === N / 10) t1k = performance.now();
        if (seen === N) t1 = performance.now();
      },
    });
    // Timers wait while promise chains run: the longest gap between 10 ms ticks says
    // how long the event loop was kept from anything else (I/O, timers) meanwhile.
    // The CPU time the process used during that gap tells our own work apart from the
    // machine's other load (on a busy box the OS may not run us for a while).
    let lastTick = performance.now();
    let lastCpu = process.cpuUsage();
    let maxGap = 0;
    let maxGapCpu = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      const cpu = process.cpuUsage(lastCpu);
      if (now - lastTick - 10 > maxGap) (maxGap = now - lastTick - 10), (maxGapCpu = (cpu.user + cpu.system) / 1000);
      lastTick = now;
      lastCpu = process.cpuUsage();
    }, 10);
    const t0 = performance.now();
    await w.client.create(rs);
    await until(() => t1 > 0, `${N} pods`);
    await until(() => (w.manager.informers.forKind('apps/v1', 'ReplicaSet').cache.get('default/web') as ReplicaSet | undefined)?.status?.replicas === N, 'status.replicas');
    clearInterval(ticker);
    const tStatus = performance.now();
    const wallS = (t1 - t0) / 1000;
    const sustained = (N - N / 10) / ((t1 - t1k) / 1000);
    return [
      { name: `ReplicaSet 0 → ${N.toLocaleString('en')} pods: creates/s overall`, value: round(N / wallS), unit: 'pods/s', note: `target ≥ 1,000; memory store, real clock` },
      { name: `ReplicaSet 0 → ${N.toLocaleString('en')} pods: creates/s from 1,000 to 10,000`, value: round(sustained), unit: 'pods/s', note: 'sustained' },
      { name: `ReplicaSet 0 → ${N.toLocaleString('en')} pods: wall time`, value: round(wallS, 2), unit: 's', note: `status.replicas=${N} after ${round((tStatus - t0) / 1000, 2)} s; ${await reconciles(w.manager, 'replicaset')} reconciles` },
      { name: `ReplicaSet 0 → ${N.toLocaleString('en')} pods: longest event-loop stall`, value: round(maxGap), unit: 'ms', note: `longest wait of a 10 ms timer while the controller ran (${round(maxGapCpu)} ms of it on this process's CPU); target < 50` },
    ];
  } finally {
    await w.stop();
  }
}

/**
 * A fake kubelet, itself a controller: every pod that is not Ready (and not being
 * deleted) is marked Running and Ready through the status subresource.
 */
function addFakeKubelet(m: Manager): void {
  m.add(
    Controller.for('v1', 'Pod')
      .withConfig({ name: 'fake-kubelet', concurrency: 8 })
      .build(async (pod: Pod, { client, clock }, signal) => {
        if (pod.metadata?.deletionTimestamp || isPodReady(pod)) return Action.awaitChange();
        const now = rfc3339(clock.now());
        const conditions = ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: 'True', lastTransitionTime: now }));
        try {
          await client.updateStatus({ ...pod, status: { ...pod.status, phase: 'Running', startTime: now, conditions } }, { signal });
        } catch {
          // Stale (409) or gone (404): a conflict comes back with the new version anyway.
        }
        return Action.awaitChange();
      }),
  );
}

/** A 1,000-replica Deployment rolling to a new image, pods readied by the fake kubelet. */
async function benchRollout(): Promise<BenchResult[]> {
  const N = 1000;
  const w = await world((m) => {
    addDeploymentController(m);
    addReplicaSetController(m);
    addFakeKubelet(m);
  });
  try {
    const deployments = w.manager.informers.forKind('apps/v1', 'Deployment').cache;
    const pods = w.manager.informers.forKind('v1', 'Pod').cache;
    const done = (image: string) => () => {
      const d = deployments.get('default/web') as Deployment | undefined;
      const s = d?.status;
      return (
        d?.spec?.template.spec?.containers[0].image === image &&
        s?.observedGeneration === d.metadata?.generation &&
        s?.updatedReplicas === N &&
        s?.availableReplicas === N &&
        s?.replicas === N &&
        pods.size === N &&
        s.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable') === true
      );
    };
    const d: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: N, selector: { matchLabels: { app: 'web' } }, template: template('web', 'nginx:1.27') },
    };
    let t = performance.now();
    await w.client.create(d);
    await until(done('nginx:1.27'), 'first rollout');
    const firstS = (performance.now() - t) / 1000;

    const before = { d: await reconciles(w.manager, 'deployment'), rs: await reconciles(w.manager, 'replicaset') };
    const cur = (await w.client.get('apps/v1', 'Deployment', 'default', 'web')) as Deployment;
    t = performance.now();
    await w.client.update({ ...cur, spec: { ...cur.spec!, template: template('web', 'nginx:1.28') } });
    await until(done('nginx:1.28'), 'rolling update');
    const wallS = (performance.now() - t) / 1000;
    const dRec = (await reconciles(w.manager, 'deployment')) - before.d;
    const rsRec = (await reconciles(w.manager, 'replicaset')) - before.rs;
    return [
      { name: `Deployment ${N.toLocaleString('en')} replicas, rolling update: wall time`, value: round(wallS, 2), unit: 's', note: `maxSurge 25%, maxUnavailable 25%; fake kubelet readies pods; the first rollout from 0 took ${round(firstS, 2)} s` },
      { name: `Deployment ${N.toLocaleString('en')} replicas, rolling update: Deployment reconciles`, value: dRec, unit: 'reconciles' },
      { name: `Deployment ${N.toLocaleString('en')} replicas, rolling update: ReplicaSet reconciles`, value: rsRec, unit: 'reconciles', note: 'both ReplicaSets' },
    ];
  } finally {
    await w.stop();
  }
}

const benches = { queue: benchQueue, replicaset: benchReplicaSet, rollout: benchRollout };

/** Every controller benchmark (or those named in `only`: queue, replicaset, rollout), in order. */
export async function run(only: string[] = []): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const [name, bench] of Object.entries(benches)) if (!only.length || only.includes(name)) results.push(...(await bench()));
  return results;
}

// `npx tsx bench/controllers.bench.ts [queue] [replicaset] [rollout]`
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(process.argv.slice(2)).then(
    (results) => {
      for (const r of results) console.log(`${r.name.padEnd(66)} ${String(r.value).padStart(12)} ${r.unit}${r.note ? `  (${r.note})` : ''}`);
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
