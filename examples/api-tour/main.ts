/**
 * The API tour: an embedded Bosun API server on the memory store, driven the way
 * kubectl and controllers drive Kubernetes. Run with `pnpm demo`.
 *
 * Controllers, the scheduler and node agents are later issues, so this tour plays their
 * part by hand where it needs to (creating pods, binding one to a node).
 */
import { readFileSync } from 'node:fs';
import { FakeClock, createScheme, isApiError, rfc3339, type Deployment, type Pod } from '@bosun/api';
import { applyManifests, createApiServer, createClient, createEventRecorder } from '@bosun/apiserver';
import { createMemoryStore } from '@bosun/store';

const seeds = new URL('../../test/fixtures/seeds/', import.meta.url);
const seed = (file: string) => readFileSync(new URL(file, seeds), 'utf8');
const say = (line = '') => console.log(line);
const step = (title: string) => say(`\n== ${title}`);

const clock = new FakeClock('2026-01-01T00:00:00Z');
const scheme = createScheme();
const store = createMemoryStore({ clock });
const server = await createApiServer({ store, scheme, clock });
const client = createClient(server);

say(`Bosun API tour: an in-process API server on the memory store, clock at ${rfc3339(clock.now())}`);

step('kubectl apply -f (examples from the seed notes, one multi-document YAML)');
const manifest = [
  seed('003_bea7a2b1a17eec52-02-namespace.yaml'),
  seed('002_8cc7607eac0f66d5-02-deployment.yaml'),
  seed('003_bea7a2b1a17eec52-09-service.yaml'),
  seed('003_bea7a2b1a17eec52-08-cronjob.yaml'),
].join('\n---\n');
for (const r of await applyManifests(client, manifest, { scheme })) {
  const info = scheme.lookup(r.ref.apiVersion, r.ref.kind);
  const res = info ? (info.group ? `${info.singular}.${info.group}` : info.singular) : r.ref.kind;
  say(`  ${res}/${r.ref.name} ${r.action ?? `failed: ${r.error?.message}`}`);
}
const cron = await client.get('batch/v1', 'CronJob', 'default', 'cron-batch-job');
say(`  (the CronJob was written as batch/v1beta1 and is stored as ${cron.apiVersion})`);

step('Defaults the server filled in, as Kubernetes does');
const nginx = await client.get('apps/v1', 'Deployment', 'default', 'nginx');
const c0 = nginx.spec?.template.spec?.containers[0];
say(`  deployment/nginx strategy: ${nginx.spec?.strategy?.type} maxSurge=${nginx.spec?.strategy?.rollingUpdate?.maxSurge} maxUnavailable=${nginx.spec?.strategy?.rollingUpdate?.maxUnavailable}`);
say(`  revisionHistoryLimit=${nginx.spec?.revisionHistoryLimit} progressDeadlineSeconds=${nginx.spec?.progressDeadlineSeconds}`);
say(`  template: restartPolicy=${nginx.spec?.template.spec?.restartPolicy} dnsPolicy=${nginx.spec?.template.spec?.dnsPolicy} terminationGracePeriodSeconds=${nginx.spec?.template.spec?.terminationGracePeriodSeconds}`);
say(`  container ${c0?.name}: image "${c0?.image}" has no tag, so imagePullPolicy=${c0?.imagePullPolicy}`);
const svc = await client.get('v1', 'Service', 'default', 'kubia');
say(`  service/kubia: type=${svc.spec?.type} ports=${svc.spec?.ports?.map((p) => `${p.name}:${p.port}/${p.protocol}→${p.targetPort}`).join(', ')}`);
say(`  metadata: uid=${nginx.metadata.uid?.slice(0, 8)}… generation=${nginx.metadata.generation} resourceVersion=${nginx.metadata.resourceVersion}`);

step('Bad input is refused with a Kubernetes status and field paths; nothing stored is lost');
const bad: Deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'nginx', namespace: 'default' },
  spec: {
    replicas: -1,
    selector: { matchLabels: { app: 'nginx' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }] } },
  },
};
try {
  await client.update({ ...bad, metadata: { ...bad.metadata, resourceVersion: nginx.metadata.resourceVersion } });
} catch (e) {
  if (!isApiError(e)) throw e;
  say(`  ${e.code} ${e.reason}: ${e.message}`);
  for (const c of e.causes) say(`    - ${c.field}: ${c.message}`);
}
try {
  await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'nowhere' } });
} catch (e) {
  if (isApiError(e)) say(`  ${e.code} ${e.reason}: ${e.message}`);
}
const still = await client.get('apps/v1', 'Deployment', 'default', 'nginx');
say(`  deployment/nginx is untouched: replicas=${still.spec?.replicas} resourceVersion=${still.metadata.resourceVersion}`);

step('Watch pods with app=nginx while three are created and one is bound to a node');
const ac = new AbortController();
const seen: string[] = [];
const watching = (async () => {
  for await (const ev of client.watch('v1', 'Pod', { namespace: 'default', labelSelector: 'app=nginx', signal: ac.signal })) {
    const pod = ev.object as Pod;
    seen.push(`  ${ev.type.padEnd(8)} ${pod.metadata?.name} node=${pod.spec?.nodeName ?? '<none>'} rv=${pod.metadata?.resourceVersion}`);
  }
})();
const template = still.spec!.template;
const pods: Pod[] = [];
for (let i = 0; i < 3; i++) {
  pods.push(await client.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'nginx-', namespace: 'default', labels: template.metadata?.labels }, spec: template.spec! }));
}
await server.bind('default', pods[0]!.metadata!.name!, 'node-1');
await new Promise((r) => setImmediate(r));
ac.abort();
await watching;
seen.forEach((l) => say(l));
const onNode = await client.list('v1', 'Pod', { namespace: 'default', fieldSelector: 'spec.nodeName=node-1' });
say(`  list with fieldSelector spec.nodeName=node-1 → ${onNode.items.map((p) => p.metadata.name).join(', ')}`);

step('Optimistic concurrency: two writers start from the same resourceVersion');
const a = await client.get('v1', 'Service', 'default', 'kubia');
const b = await client.get('v1', 'Service', 'default', 'kubia');
a.metadata.labels = { ...a.metadata.labels, writer: 'a' };
b.metadata.labels = { ...b.metadata.labels, writer: 'b' };
await client.update(a);
say(`  writer a: updated (resourceVersion ${a.metadata.resourceVersion} → ${(await client.get('v1', 'Service', 'default', 'kubia')).metadata.resourceVersion})`);
try {
  await client.update(b);
} catch (e) {
  if (isApiError(e)) say(`  writer b: ${e.code} ${e.reason}: ${e.message}`);
}

step('Scale subresource and generation');
await client.updateScale('apps/v1', 'Deployment', 'default', 'nginx', { spec: { replicas: 5 }, metadata: { name: 'nginx', namespace: 'default' } });
const scaled = await client.getScale('apps/v1', 'Deployment', 'default', 'nginx');
const gen = (await client.get('apps/v1', 'Deployment', 'default', 'nginx')).metadata.generation;
say(`  scale deployment/nginx --replicas=5 → spec.replicas=${scaled.spec?.replicas} selector="${scaled.status?.selector}" generation=${gen}`);

step('kubectl apply again: a new image, then the same manifest once more');
const next = seed('002_8cc7607eac0f66d5-02-deployment.yaml').replace('image: nginx', 'image: nginx:1.27');
for (const round of [1, 2]) {
  const [r] = await applyManifests(client, next, { scheme });
  say(`  round ${round}: deployment.apps/nginx ${r?.action}`);
}
const applied = await client.get('apps/v1', 'Deployment', 'default', 'nginx');
say(`  image=${applied.spec?.template.spec?.containers[0]?.image} replicas=${applied.spec?.replicas} (three-way merge: the manifest says 3, so apply resets the scale)`);

step('Strategic merge patch: containers merge by name');
await client.patch('apps/v1', 'Deployment', 'default', 'nginx', { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox:1.36' }] } } } }, { type: 'strategic' });
const patched = await client.get('apps/v1', 'Deployment', 'default', 'nginx');
say(`  containers now: ${patched.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`).join(', ')}`);

step('Graceful deletion of a pod bound to a node (on the fake clock)');
const victim = pods[0]!.metadata!.name!;
await client.delete('v1', 'Pod', 'default', victim);
const terminating = await client.get('v1', 'Pod', 'default', victim);
say(`  ${victim}: deletionTimestamp=${terminating.metadata.deletionTimestamp} (now + ${terminating.metadata.deletionGracePeriodSeconds}s); the node agent will confirm it`);
await clock.advance(30_000);
await client.delete('v1', 'Pod', 'default', victim, { gracePeriodSeconds: 0 });
say(`  after 30 s the agent confirms with gracePeriodSeconds=0 → ${await client.get('v1', 'Pod', 'default', victim).then(() => 'still there', (e) => (isApiError(e) ? `${e.code} ${e.reason}` : String(e)))}`);
const unbound = pods[1]!.metadata!.name!;
await client.delete('v1', 'Pod', 'default', unbound);
say(`  ${unbound} was never scheduled, so it is deleted at once → ${await client.get('v1', 'Pod', 'default', unbound).then(() => 'still there', (e) => (isApiError(e) ? `${e.code} ${e.reason}` : String(e)))}`);

step('Finalizers hold an object until they are removed');
await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'guarded', namespace: 'default', finalizers: ['example.com/cleanup'] }, data: { k: 'v' } });
await client.delete('v1', 'ConfigMap', 'default', 'guarded');
const held = await client.get('v1', 'ConfigMap', 'default', 'guarded');
say(`  configmap/guarded: deletionTimestamp=${held.metadata.deletionTimestamp}, finalizers=${JSON.stringify(held.metadata.finalizers)}`);
held.metadata.finalizers = [];
await client.update(held);
say(`  finalizer removed → ${await client.get('v1', 'ConfigMap', 'default', 'guarded').then(() => 'still there', (e) => (isApiError(e) ? `${e.code} ${e.reason}` : String(e)))}`);

step('Events, aggregated like client-go does');
const recorder = createEventRecorder(client, { component: 'api-tour' }, clock);
for (let i = 0; i < 3; i++) recorder.event(patched, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set nginx-6799fc88d8 to 3');
await recorder.flush();
const events = await client.list('v1', 'Event', { namespace: 'default', fieldSelector: 'involvedObject.name=nginx' });
for (const ev of events.items) say(`  ${ev.type} ${ev.reason} x${ev.count}: ${ev.message}`);

await server.stop();
await store.close();
say('\nDone: every object lived in memory; nothing was left behind.');
