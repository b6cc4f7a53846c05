/**
 * The main demo: a 3-node Bosun cluster in this process, running real processes.
 * Run with `pnpm demo`.
 *
 * 1. A 3-node cluster on the process runtime (as root with `unshare`; otherwise the fake
 *    runtime, and the demo says so).
 * 2. A Deployment of a small HTTP server (busybox httpd), a Job with completions and
 *    parallelism running a real command, and a StatefulSet whose volumeClaimTemplates
 *    are provisioned by the hostpath CSI driver; a table of pods by node and phase is
 *    printed each time it changes.
 * 3. One pod IP is fetched over HTTP, a Job's logs are read, a volume is read back.
 * 4. A CronJob on a second cluster driven by a FakeClock: advancing the clock fires the
 *    schedule at once (the first cluster runs real processes on the real clock, and a
 *    once-a-minute schedule would keep you waiting).
 * 5. Everything is stopped: processes killed, bridges and temp dirs removed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { decodeAll, type CronJob, type Pod } from '@bosun/api';
import { createCluster, FakeClock, type Cluster, type RuntimeChoice } from '@bosun/cluster';
import { FakeAnnotations } from '@bosun/runtime-fake';

const say = (line = '') => console.log(line);
const step = (title: string) => say(`\n== ${title}`);
const seeds = new URL('../../test/fixtures/seeds/', import.meta.url);
const warnings: string[] = [];
const logger = { warn: (m: string) => void warnings.push(m), error: (m: string) => void warnings.push(m) };

function pickRuntime(): RuntimeChoice {
  const root = process.getuid?.() === 0;
  let unshare = false;
  try {
    execFileSync('unshare', ['--version'], { stdio: 'ignore' });
    unshare = true;
  } catch {
    // not installed
  }
  if (root && unshare) return 'process';
  say(`note: the process runtime needs root and unshare (${root ? 'unshare is missing' : 'not running as root'}); using the fake runtime, which simulates containers.`);
  return 'fake';
}

// ---------------------------------------------------------------------------------------
// A table of pods by node and phase, printed when it changes (at most once a second).

function podRow(p: Pod): string[] {
  const statuses = p.status?.containerStatuses ?? [];
  const ready = `${statuses.filter((c) => c.ready).length}/${p.spec?.containers.length ?? 0}`;
  const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  const waiting = statuses.map((c) => c.state?.waiting?.reason).find(Boolean);
  const phase = p.metadata?.deletionTimestamp ? 'Terminating' : (waiting ?? p.status?.phase ?? 'Pending');
  return [p.spec?.nodeName ?? '(unscheduled)', p.metadata?.name ?? '', phase, ready, String(restarts), p.status?.podIP ?? ''];
}

function render(pods: Map<string, Pod>): string {
  const rows = [...pods.values()].map(podRow).sort((a, b) => a[0]!.localeCompare(b[0]!) || a[1]!.localeCompare(b[1]!));
  const header = ['NODE', 'POD', 'PHASE', 'READY', 'RESTARTS', 'IP'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function watchPods(cluster: Cluster, signal: AbortSignal): Promise<void> {
  const pods = new Map<string, Pod>();
  let shown = '';
  let timer: NodeJS.Timeout | undefined;
  const show = () => {
    timer = undefined;
    const table = render(pods);
    if (table === shown) return;
    shown = table;
    say(`\n  -- pods at ${new Date().toISOString().slice(11, 19)} --\n${table}`);
  };
  return (async () => {
    for await (const ev of cluster.client.watch('v1', 'Pod', { namespace: 'default', signal })) {
      const p = ev.object as Pod;
      if (ev.type === 'DELETED') pods.delete(p.metadata!.name!);
      else if (ev.type !== 'BOOKMARK') pods.set(p.metadata!.name!, p);
      timer ??= setTimeout(show, 1000);
    }
  })()
    .catch(() => undefined)
    .finally(() => {
      if (timer) clearTimeout(timer);
      show();
    });
}

// ---------------------------------------------------------------------------------------

const workloads = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: hello }
spec:
  replicas: 3
  selector: { matchLabels: { app: hello } }
  template:
    metadata: { labels: { app: hello } }
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: httpd
          image: busybox
          command: [sh, -c, 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www']
          readinessProbe: { httpGet: { path: /, port: 8080 }, periodSeconds: 1 }
---
apiVersion: batch/v1
kind: Job
metadata: { name: pi }
spec:
  completions: 4
  parallelism: 2
  template:
    metadata: { annotations: { ${JSON.stringify(FakeAnnotations.exitAfter)}: "2s", ${JSON.stringify(FakeAnnotations.stdout)}: "pi ~ 3.14159 (simulated)" } }
    spec:
      restartPolicy: OnFailure
      containers:
        - name: pi
          image: busybox
          command: [awk, 'BEGIN { s = 0; for (i = 0; i < 300000; i++) s += (i % 2 ? -4 : 4) / (2 * i + 1); printf "pi ~ %.5f\\n", s }']
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: store }
spec:
  serviceName: store
  replicas: 2
  selector: { matchLabels: { app: store } }
  template:
    metadata: { labels: { app: store } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: store
          image: busybox
          command: [sh, -c, 'hostname > /data/owner; exec sleep 3600']
          volumeMounts: [{ name: data, mountPath: /data }]
  volumeClaimTemplates:
    - metadata: { name: data }
      spec: { storageClassName: standard, accessModes: [ReadWriteOnce], resources: { requests: { storage: 10Mi } } }
`;

const runtime = pickRuntime();
step(`Starting a 3-node cluster on the ${runtime} runtime`);
const started = Date.now();
const cluster = await createCluster({ nodes: 3, runtime, logger });
try {
  for (const n of cluster.nodes()) say(`  ${n.name}: pod CIDR ${n.podCIDR}, runtime ${n.runtime.kind}, CSI driver ${n.storage?.driverName ?? 'none'}`);
  say(`  ready in ${Date.now() - started} ms; state under ${cluster.rootDir}`);

  const watching = new AbortController();
  const table = watchPods(cluster, watching.signal);

  step('kubectl apply: a Deployment (HTTP server), a Job (4 completions, 2 at a time), a StatefulSet with volumeClaimTemplates');
  for (const r of await cluster.apply(workloads)) say(`  ${r.ref.kind.toLowerCase()}/${r.ref.name} ${r.action}`);

  await cluster.waitFor('apps/v1', 'Deployment', 'default', 'hello', (d) => d.status?.readyReplicas === 3, { timeoutMs: 60_000 });
  await cluster.waitFor('batch/v1', 'Job', 'default', 'pi', (j) => j.status?.succeeded === 4, { timeoutMs: 120_000 });
  await cluster.waitFor('apps/v1', 'StatefulSet', 'default', 'store', (s) => s.status?.readyReplicas === 2, { timeoutMs: 60_000 });
  watching.abort();
  await table;

  step('What the workloads did');
  const web = (await cluster.client.list('v1', 'Pod', { namespace: 'default', labelSelector: 'app=hello' })).items[0]!;
  if (runtime === 'process') {
    const body = await (await fetch(`http://${web.status!.podIP}:8080/`)).text();
    say(`  curl http://${web.status!.podIP}:8080/ → ${body.trim()}`);
  } else say(`  (fake runtime: nothing listens on ${web.status!.podIP}:8080, so no HTTP request)`);
  const job = (await cluster.client.list('v1', 'Pod', { namespace: 'default', labelSelector: 'job-name=pi' })).items[0]!;
  say(`  kubectl logs ${job.metadata!.name} → ${(await cluster.logs('default', job.metadata!.name!)).trim()}`);
  for (const i of [0, 1]) {
    const pvc = await cluster.client.get('v1', 'PersistentVolumeClaim', 'default', `data-store-${i}`);
    const pod = await cluster.client.get('v1', 'Pod', 'default', `store-${i}`);
    const owner = runtime === 'process' ? (await cluster.exec('default', `store-${i}`, 'store', ['cat', '/data/owner'])).stdout.trim() : '(simulated)';
    say(`  store-${i} on ${pod.spec!.nodeName}: claim ${pvc.metadata!.name} ${pvc.status?.phase} to ${pvc.spec!.volumeName}; /data/owner = ${owner}`);
  }
} finally {
  step('Stopping the cluster');
  const t = Date.now();
  await cluster.stop();
  say(`  stopped in ${Date.now() - t} ms: containers killed, sockets and ${cluster.rootDir} removed`);
}

step('A CronJob on a FakeClock (a second cluster, fake runtime: time moves only when told)');
const clock = new FakeClock('2026-01-01T00:00:30Z');
const cron = await createCluster({ nodes: 1, runtime: 'fake', clock, logger });
try {
  const cj = decodeAll(readFileSync(new URL('003_bea7a2b1a17eec52-08-cronjob.yaml', seeds), 'utf8'))[0] as CronJob;
  // The seed's yinzige/batch-job runs for two minutes; the simulated one finishes after 20 s.
  cj.spec!.jobTemplate.spec!.template.metadata!.annotations = { [FakeAnnotations.exitAfter]: '20s' };
  await cron.apply([cj]);
  say(`  applied the seed's cron-batch-job (schedule "${cj.spec!.schedule}", written as batch/v1beta1)`);
  for (let minute = 1; minute <= 3; minute++) {
    await clock.advance(60_000);
    await new Promise((r) => setTimeout(r, 200));
    const jobs = (await cron.client.list('batch/v1', 'Job', { namespace: 'default' })).items;
    const summary = jobs.map((j) => `${j.metadata!.name} ${j.status?.succeeded ? 'Complete' : `active=${j.status?.active ?? 0}`}`).join(', ');
    say(`  clock ${new Date(clock.now()).toISOString().slice(11, 19)}: ${jobs.length} job(s): ${summary}`);
  }
} finally {
  await cron.stop();
}
if (warnings.length) say(`\n(${warnings.length} warning(s) logged by components, such as retries while a volume is still being provisioned; first: ${warnings[0]})`);
say('\nDone.');
