/**
 * A custom scheduler plugin, end to end: `NodeCost` (prefer cheaper nodes) and
 * `Maintenance` (refuse nodes under maintenance), from node-cost.ts, registered in a
 * Registry and enabled in two profiles of one scheduler, against an in-memory API server.
 *
 *   npx tsx examples/custom-scheduler-plugin/main.ts
 *
 * Runs on the real clock and finishes on its own in about two seconds.
 */
import { RealClock, createScheme, type Pod } from '@bosun/api';
import { createApiServer, createClient } from '@bosun/apiserver';
import { createScheduler, isSchedulerError, type ProfileConfig } from '@bosun/scheduler';
import { createMemoryStore } from '@bosun/store';
import { exampleNodes, examplePod, exampleProfiles, exampleRegistry } from './node-cost';

const say = (line = '') => console.log(line);
const step = (title: string) => say(`\n== ${title}`);
const started = Date.now();
const t = () => `${((Date.now() - started) / 1000).toFixed(2).padStart(5)}s`;

const clock = new RealClock();
const store = createMemoryStore({ clock });
const server = await createApiServer({ store, scheme: createScheme(), clock });
const client = createClient(server);

/** Polls `cond` every 10 ms until it returns something truthy; fails after `ms`. */
async function until<T>(what: string, cond: () => Promise<T | undefined | false>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const getPod = (name: string) => client.get('v1', 'Pod', 'default', name) as Promise<Pod>;
const boundTo = (name: string) => until(`${name} bound`, async () => (await getPod(name)).spec?.nodeName);

say('Bosun custom scheduler plugins: NodeCost (Score) and Maintenance (Filter)');
for (const n of exampleNodes()) await client.create(n);
say(`nodes (4 cpu each): ${exampleNodes().map((n) => `${n.metadata!.name} {${Object.entries(n.metadata!.labels!).filter(([k]) => k !== 'kubernetes.io/hostname').map(([k, v]) => `${k}=${v}`).join(', ')}}`).join('  ')}`);

const scheduler = createScheduler({ client, clock, registry: exampleRegistry(), profiles: exampleProfiles });
const running = scheduler.run();
try {
  step('The profiles, as resolved at start');
  for (const [name, f] of scheduler.frameworks) {
    say(`  ${name}:`);
    say(`    filter:  ${f.filterPlugins.map((p) => p.name).join(', ')}`);
    say(`    score:   ${f.scorePlugins.map((p) => `${p.name}×${f.weights.get(p.name)}`).join(', ')}`);
  }

  step('default-scheduler: NodeCost sends pods to the cheapest node that fits (node-b, cost 1, is under maintenance)');
  for (let i = 0; i < 3; i++) {
    await client.create(examplePod(`web-${i}`, { cpu: '1' }));
    const node = await boundTo(`web-${i}`);
    say(`  [${t()}] web-${i} (1 cpu) → ${node}`);
  }
  await client.create(examplePod('web-3', { cpu: '2' }));
  const web3 = await boundTo('web-3');
  say(`  [${t()}] web-3 (2 cpu) → ${web3}   (node-c has 1 cpu left; node-a, cost 3, is next)`);

  step('A pod pinned to node-b stays Pending while node-b is under maintenance');
  await client.create(examplePod('pinned', { cpu: '500m', hostname: 'node-b' }));
  const cond = await until('pinned Unschedulable', async () => (await getPod('pinned')).status?.conditions?.find((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'));
  say(`  [${t()}] pinned: PodScheduled=${cond.status} reason=${cond.reason}`);
  say(`           message: ${cond.message}`);
  const event = await until('FailedScheduling event', async () => (await client.list('v1', 'Event', { namespace: 'default' })).items.find((e) => e.involvedObject?.name === 'pinned' && e.reason === 'FailedScheduling'));
  say(`           event:   ${event.type} ${event.reason}`);

  say(`  [${t()}] kubectl label node node-b maintenance-`);
  await client.patch('v1', 'Node', '', 'node-b', { metadata: { labels: { maintenance: null } } }, { type: 'merge' });
  const pinned = await boundTo('pinned');
  say(`  [${t()}] pinned → ${pinned}   (the node update moved it back; it waited out its 1 s backoff)`);

  step('batch: another profile, chosen by spec.schedulerName, packs pods (MostAllocated) and ignores cost');
  for (let i = 0; i < 2; i++) {
    await client.create(examplePod(`batch-${i}`, { cpu: '1', schedulerName: 'batch' }));
    const node = await boundTo(`batch-${i}`);
    say(`  [${t()}] batch-${i} (1 cpu) → ${node}`);
  }

  step('Misconfigurations are refused at start, before anything runs');
  const tryProfile = (what: string, profile: ProfileConfig) => {
    try {
      createScheduler({ client, clock, registry: exampleRegistry(), profiles: [profile] });
      say(`  ${what}: accepted?!`);
    } catch (e) {
      if (!isSchedulerError(e)) throw e;
      say(`  ${what}: SchedulerError ${e.code}: ${e.message}`);
    }
  };
  tryProfile('bad args', { schedulerName: 'x', plugins: { multiPoint: { enabled: [{ name: 'NodeCost' }] } }, pluginConfig: { NodeCost: { label: '' } } });
  tryProfile('wrong extension point', { schedulerName: 'x', plugins: { score: { enabled: [{ name: 'Maintenance' }] } } });
  tryProfile('weight out of range', { schedulerName: 'x', plugins: { multiPoint: { enabled: [{ name: 'NodeCost', weight: 500 }] } } });
  try {
    exampleRegistry().register('NodeCost', () => ({ name: 'NodeCost' }));
  } catch (e) {
    say(`  duplicate plugin name: ${isSchedulerError(e) ? `SchedulerError ${e.code}: ${e.message}` : String(e)}`);
  }
} finally {
  await scheduler.stop();
  await running;
  await server.stop();
  await store.close();
}
say(`\ndone in ${t().trim()}`);
