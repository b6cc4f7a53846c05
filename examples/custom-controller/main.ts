/**
 * A custom controller, end to end: the `example.com/v1` `Website` kind (website.ts) is
 * reconciled into a Deployment, which the built-in Deployment and ReplicaSet controllers
 * turn into pods; the garbage collector cleans up after a delete.
 *
 *   npx tsx examples/custom-controller/main.ts
 *
 * Runs on the real clock and finishes on its own in a few seconds.
 */
import { RealClock, createScheme, isApiError, rfc3339, type Pod } from '@bosun/api';
import { createApiServer, createClient, type Client } from '@bosun/apiserver';
import { addDeploymentController, addGarbageCollector, addReplicaSetController } from '@bosun/controllers';
import { createManager } from '@bosun/controller-runtime';
import { createMemoryStore } from '@bosun/store';
import { WEBSITE_LABEL, addWebsiteController, createDnsRegistry, registerWebsite, type Website } from './website';

const say = (line = '') => console.log(line);
const step = (title: string) => say(`\n== ${title}`);
const started = Date.now();
const t = () => `${((Date.now() - started) / 1000).toFixed(2).padStart(5)}s`;

// ── An API server that knows the custom kind ────────────────────────────────────────
const scheme = createScheme();
registerWebsite(scheme);
const clock = new RealClock();
const store = createMemoryStore({ clock });
const server = await createApiServer({ store, scheme, clock });
const client = createClient(server);

// ── A manager with the built-in controllers and ours ────────────────────────────────
const errors: string[] = [];
const manager = createManager({
  client,
  clock,
  // The runtime logs a reconcile error once per failure; collect them to show below.
  logger: { warn: (m) => errors.push(m), error: (m) => errors.push(m) },
});
addDeploymentController(manager);
addReplicaSetController(manager);
// The garbage collector must know every kind that can own something: pass our scheme.
addGarbageCollector(manager, { scheme });
const dns = createDnsRegistry();
addWebsiteController(manager, { dns });
await manager.start();
say(`Bosun custom controller: Website → Deployment → ReplicaSet → Pods`);
say(`controllers running: ${manager.health().controllers.filter((c) => !c.name.startsWith('garbage-collector/')).map((c) => c.name).join(', ')} (+ ${manager.health().controllers.filter((c) => c.name.startsWith('garbage-collector/')).length} garbage-collector controllers, one per kind)`);

/** Polls `cond` every 20 ms (real time) until it holds; fails after `ms`. */
async function until<T>(what: string, cond: () => Promise<T | undefined | false>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const getSite = (name: string) => client.get('example.com/v1', 'Website', 'default', name).catch(() => undefined);
const pods = async (site: string) => (await client.list('v1', 'Pod', { namespace: 'default', labelSelector: `${WEBSITE_LABEL}=${site}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/**
 * There is no node agent (kubelet) yet, and no scheduler in this example: nobody would
 * ever start these pods. Play its part: mark every pod of `site` Running and Ready
 * through the status subresource, as a kubelet reports a started pod.
 */
async function playKubelet(c: Client, site: string): Promise<number> {
  let n = 0;
  const now = rfc3339(clock.now());
  for (const p of await pods(site)) {
    if (isReady(p)) continue;
    const conditions = ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: 'True', lastTransitionTime: now }));
    await c.updateStatus({ ...p, status: { ...p.status, phase: 'Running', startTime: now, conditions } }).then(() => n++, () => undefined);
  }
  return n;
}

async function tree(site: string): Promise<void> {
  const w = await getSite(site);
  if (w) say(`  website/${site}  replicas=${w.spec.replicas} image=${w.spec.image}  status: ${w.status?.phase ?? '-'} ${w.status?.availableReplicas ?? 0}/${w.spec.replicas} available  ${w.status?.url ?? ''}  finalizers=${JSON.stringify(w.metadata.finalizers ?? [])}`);
  else say(`  website/${site}  (gone)`);
  const d = await client.get('apps/v1', 'Deployment', 'default', site).catch(() => undefined);
  if (!d) return say(`  └─ deployment/${site}  (gone)`);
  say(`  └─ deployment/${site}  ${d.status?.availableReplicas ?? 0}/${d.spec?.replicas} available, owner: ${d.metadata.ownerReferences?.map((r) => `${r.kind}/${r.name}`).join(', ')}`);
  const rss = (await client.list('apps/v1', 'ReplicaSet', { namespace: 'default', labelSelector: `${WEBSITE_LABEL}=${site}` })).items;
  for (const rs of rss) {
    say(`     └─ replicaset/${rs.metadata.name}  ${rs.status?.readyReplicas ?? 0}/${rs.spec?.replicas} ready`);
    for (const p of (await pods(site)).filter((p) => p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid)) {
      say(`        └─ pod/${p.metadata.name}  ${p.status?.phase ?? 'Pending'}${isReady(p) ? ', Ready' : ''}`);
    }
  }
}

async function events(name: string): Promise<void> {
  const evs = (await client.list('v1', 'Event', { namespace: 'default' })).items
    .filter((e) => e.involvedObject?.name === name && e.involvedObject.kind === 'Website')
    .sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)) || String(a.metadata.name).localeCompare(String(b.metadata.name)));
  say(`  Events of website/${name} (kubectl describe):`);
  for (const e of evs) say(`    ${e.type?.padEnd(8)} ${e.reason?.padEnd(18)} ${e.source?.component ?? ''}  ${e.message}${(e.count ?? 1) > 1 ? ` (x${e.count})` : ''}`);
}

const shop: Website = {
  apiVersion: 'example.com/v1',
  kind: 'Website',
  metadata: { name: 'shop', namespace: 'default' },
  spec: { image: 'nginx:1.27', replicas: 3, domain: 'shop.example.com' },
};

try {
  step('Validation and defaulting come from the kind registration');
  try {
    await client.create({ ...shop, metadata: { name: 'broken', namespace: 'default' }, spec: { image: '', replicas: -2, domain: 'Not A Domain' } });
  } catch (e) {
    if (!isApiError(e)) throw e;
    say(`  ${e.code} ${e.reason}: ${e.message}`);
  }
  const tiny: Website = { ...shop, metadata: { name: 'tiny', namespace: 'default' }, spec: { image: 'nginx:1.27', domain: 'tiny.example.com' } };
  const defaulted = await client.create(tiny);
  say(`  website/tiny created without replicas: defaulted to replicas=${defaulted.spec.replicas}`);
  await client.delete('example.com/v1', 'Website', 'default', 'tiny');

  step('kubectl apply: a Website with 3 replicas');
  await client.create(shop);
  await until('3 pods', async () => (await pods('shop')).length === 3);
  say(`  [${t()}] the Website controller created deployment/shop; the Deployment controller a ReplicaSet; the ReplicaSet controller 3 pods:`);
  await tree('shop');

  step('No node agent yet: pods never become Ready by themselves, so play the kubelet by hand');
  say(`  [${t()}] marked ${await playKubelet(client, 'shop')} pods Running and Ready`);
  await until('website Available', async () => (await getSite('shop'))?.status?.phase === 'Available');
  say(`  [${t()}] the Deployment became available and the Website controller copied its status back:`);
  await tree('shop');

  step('kubectl scale website shop --replicas=5 (through the scale subresource)');
  await client.patch('example.com/v1', 'Website', 'default', 'shop', { spec: { replicas: 5 } }, { type: 'merge', subresource: 'scale' });
  await until('5 pods', async () => (await pods('shop')).length === 5);
  say(`  [${t()}] deployment/shop scaled to 5; 2 new pods (Pending):`);
  await tree('shop');
  say(`  [${t()}] kubelet: marked ${await playKubelet(client, 'shop')} more pods Ready`);
  await until('website Available at 5', async () => {
    const w = await getSite('shop');
    return w?.status?.phase === 'Available' && w.status.availableReplicas === 5;
  });
  say(`  [${t()}] website/shop: ${(await getSite('shop'))?.status?.availableReplicas}/5 available`);

  step('A second Website claiming the same domain: a TerminalError, not retried');
  await client.create({ ...shop, metadata: { name: 'copycat', namespace: 'default' }, spec: { ...shop.spec, replicas: 1 } });
  await until('the ReconcileError event', async () => (await client.list('v1', 'Event', { namespace: 'default' })).items.some((e) => e.involvedObject?.name === 'copycat' && e.reason === 'ReconcileError'));
  await events('copycat');
  const copycat = await client.get('apps/v1', 'Deployment', 'default', 'copycat').then(() => 'exists', () => 'none');
  say(`  deployment/copycat: ${copycat}; the controller waits for the user to change website/copycat`);
  await client.delete('example.com/v1', 'Website', 'default', 'copycat');

  step('kubectl delete website shop: the finalizer releases the domain, the garbage collector cascades');
  say(`  DNS before: ${JSON.stringify(Object.fromEntries(dns.entries()))}`);
  await client.delete('example.com/v1', 'Website', 'default', 'shop');
  await until('website gone', async () => !(await getSite('shop')));
  say(`  [${t()}] website/shop is gone (its cleanup ran, then the finalizer was removed); DNS now: ${JSON.stringify(Object.fromEntries(dns.entries()))}`);
  await until('pods gone', async () => (await pods('shop')).length === 0 && !(await client.get('apps/v1', 'Deployment', 'default', 'shop').catch(() => undefined)));
  say(`  [${t()}] background cascade: deployment/shop → its ReplicaSet → 5 pods deleted by the garbage collector:`);
  await tree('shop');
  await events('shop');

  step('What the manager reports');
  const health = manager.health();
  say(`  health: synced=${health.synced} leader=${health.leader} website queue depth=${health.controllers.find((c) => c.name === 'website')?.queueDepth}`);
  const metrics = (await manager.metrics()).split('\n').filter((l) => /^controller_runtime_reconcile_total\{controller="(website|deployment|replicaset)"/.test(l) && !l.endsWith(' 0'));
  for (const l of metrics) say(`  ${l}`);
  if (errors.length) say(`  the runtime logged ${errors.length} reconcile error(s), e.g.: ${errors[0]}`);
} finally {
  await manager.stop();
  await server.stop();
  await store.close();
}
say(`\ndone in ${t().trim()}`);

