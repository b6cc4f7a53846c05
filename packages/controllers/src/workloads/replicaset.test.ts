import { readFileSync } from 'node:fs';
import { decodeAll, type KubeObject, type Pod, type ReplicaSet } from '@bosun/api';
import { applyManifests, createTestEnv, type AdmissionConfig, type Client, type TestEnv } from '@bosun/apiserver';
import { createManager, type Manager } from '@bosun/controller-runtime';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addGarbageCollector } from '../core/garbage-collector';
import { ControllerExpectations } from './expectations';
import { comparePodsForDeletion } from './pod-utils';
import { addReplicaSetController, addReplicationController } from './replicaset';
import { podCreateRefusal } from '../batch/testing';
import { makePodsReady, waitFor } from './testing';

const seed = (name: string) => readFileSync(new URL(`../../../../test/fixtures/seeds/${name}`, import.meta.url), 'utf8');
const quiet = { warn: () => {}, error: () => {} };

interface Setup {
  env: TestEnv;
  manager: Manager;
  client: Client;
  expectations: ControllerExpectations;
}
const running: Setup[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) {
    await s.manager.stop();
    await s.env.stop();
  }
});

async function setup(opts: { gc?: boolean; admission?: AdmissionConfig } = {}): Promise<Setup> {
  const env = await createTestEnv({ admission: opts.admission });
  const client = env.client;
  const manager = createManager({ client, clock: env.clock, logger: quiet });
  const expectations = new ControllerExpectations(env.clock);
  addReplicaSetController(manager, { expectations });
  addReplicationController(manager);
  if (opts.gc) addGarbageCollector(manager, { scheme: env.scheme });
  await manager.start();
  const s = { env, manager, client: env.client, expectations };
  running.push(s);
  return s;
}

const pods = async (s: Setup, sel: string) => (await s.client.list('v1', 'Pod', { namespace: 'default', labelSelector: sel })).items.filter((p) => !p.metadata?.deletionTimestamp);
const count = async (s: Setup, sel: string) => (await pods(s, sel)).length;
const events = async (s: Setup, reason: string) => (await s.client.list('v1', 'Event', { namespace: 'default' })).items.filter((e) => e.reason === reason);

const fixtures = [
  { name: 'the seed ReplicationController kubia', file: '003_bea7a2b1a17eec52-04-replicationcontroller.yaml', apiVersion: 'v1', kind: 'ReplicationController', sel: 'app=kubia' },
  { name: 'the seed ReplicaSet kubia (matchExpressions)', file: '003_bea7a2b1a17eec52-05-replicaset.yaml', apiVersion: 'apps/v1', kind: 'ReplicaSet', sel: 'app=kubia' },
] as const;

describe('ReplicaSet and ReplicationController controllers', () => {
  it.each(fixtures)('$name creates 3 pods, scales up and down, and replaces a deleted pod', async ({ file, apiVersion, kind, sel }) => {
    const s = await setup();
    await applyManifests(s.client, decodeAll(seed(file)) as KubeObject[]);
    await waitFor(s.env, async () => (await count(s, sel)) === 3, '3 pods');
    const first = await pods(s, sel);
    expect(first.every((p) => p.metadata?.generateName === 'kubia-' && p.metadata.ownerReferences?.[0]?.controller === true && p.metadata.ownerReferences[0].blockOwnerDeletion === true)).toBe(true);
    await waitFor(s.env, async () => (await events(s, 'SuccessfulCreate')).length === 3, 'events');
    expect((await events(s, 'SuccessfulCreate')).map((e) => e.message)).toContain(`Created pod: ${first[0].metadata?.name}`);

    await s.client.patch(apiVersion, kind, 'default', 'kubia', { spec: { replicas: 5 } });
    await waitFor(s.env, async () => (await count(s, sel)) === 5, 'scale up to 5');
    await s.client.patch(apiVersion, kind, 'default', 'kubia', { spec: { replicas: 2 } });
    await waitFor(s.env, async () => (await count(s, sel)) === 2, 'scale down to 2');
    await waitFor(s.env, async () => (await events(s, 'SuccessfulDelete')).length === 3, 'delete events');

    const victim = (await pods(s, sel))[0];
    await s.client.delete('v1', 'Pod', 'default', victim.metadata!.name!);
    await waitFor(s.env, async () => {
      const now = await pods(s, sel);
      return now.length === 2 && !now.some((p) => p.metadata?.uid === victim.metadata?.uid);
    }, 'replacement pod');
    await makePodsReady(s.env, sel);
    await waitFor(s.env, async () => {
      const o = (await s.client.get(apiVersion, kind, 'default', 'kubia')) as ReplicaSet;
      return o.status?.readyReplicas === 2 && o.status.availableReplicas === 2 && o.status.replicas === 2 && o.status.fullyLabeledReplicas === 2 && o.status.observedGeneration === o.metadata?.generation;
    }, 'status');
  });

  it('adopts an orphan pod matching the selector and releases a pod relabelled away', async () => {
    const s = await setup();
    await s.client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan', namespace: 'default', labels: { app: 'kubia', env: 'x' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    await applyManifests(s.client, decodeAll(seed('003_bea7a2b1a17eec52-05-replicaset.yaml')) as KubeObject[]);
    await waitFor(s.env, async () => (await count(s, 'app=kubia')) === 3, '3 pods');
    const orphan = await s.client.get('v1', 'Pod', 'default', 'orphan');
    expect(orphan.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', name: 'kubia', controller: true });

    await s.client.patch('v1', 'Pod', 'default', 'orphan', { metadata: { labels: { app: 'debug' } } });
    await waitFor(s.env, async () => (await count(s, 'app=kubia')) === 3 && !(await s.client.get('v1', 'Pod', 'default', 'orphan')).metadata?.ownerReferences, 'release and replace');
  });

  it('counts ready pods available only after minReadySeconds of clock time, and an adopted pod without every template label as not fully labelled', async () => {
    const s = await setup();
    // Matches the selector (app=mr) but lacks the template's tier label.
    await s.client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'partial', namespace: 'default', labels: { app: 'mr' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    await s.client.create({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'mr', namespace: 'default' },
      spec: { replicas: 2, minReadySeconds: 10, selector: { matchLabels: { app: 'mr' } }, template: { metadata: { labels: { app: 'mr', tier: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    } as ReplicaSet);
    await waitFor(s.env, async () => (await count(s, 'app=mr')) === 2, '2 pods (one adopted)');
    await makePodsReady(s.env, 'app=mr');
    const status = async () => ((await s.client.get('apps/v1', 'ReplicaSet', 'default', 'mr')) as ReplicaSet).status;
    await waitFor(s.env, async () => (await status())?.readyReplicas === 2, 'ready 2', { stepMs: 1 });
    expect(await status()).toMatchObject({ replicas: 2, fullyLabeledReplicas: 1, readyReplicas: 2, availableReplicas: 0 });
    await s.env.clock.advance(9_000);
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
    expect((await status())?.availableReplicas).toBe(0);
    await s.env.clock.advance(1_000);
    await waitFor(s.env, async () => (await status())?.availableReplicas === 2, 'available 2 after 10 s', { stepMs: 1 });
  });

  it('never double-creates when the pod watch is slow (expectations)', async () => {
    const s = await setup();
    await applyManifests(s.client, decodeAll(seed('003_bea7a2b1a17eec52-05-replicaset.yaml')) as KubeObject[]);
    await waitFor(s.env, async () => (await count(s, 'app=kubia')) === 3, '3 pods');
    // Expectations block a sync until the creations are observed, even when the RS changes meanwhile.
    s.expectations.expect('default/kubia', 2);
    await s.client.patch('apps/v1', 'ReplicaSet', 'default', 'kubia', { metadata: { labels: { touched: 'yes' } } });
    for (let i = 0; i < 20; i++) await s.env.clock.advance(10);
    await s.client.delete('v1', 'Pod', 'default', (await pods(s, 'app=kubia'))[0].metadata!.name!);
    for (let i = 0; i < 20; i++) await s.env.clock.advance(10);
    expect(await count(s, 'app=kubia')).toBe(2); // not replaced while expectations are pending
    await s.env.clock.advance(5 * 60_000 + 1); // the TTL lets the controller act again
    await waitFor(s.env, async () => (await count(s, 'app=kubia')) === 3, 'replacement after TTL');
    for (let i = 0; i < 20; i++) await s.env.clock.advance(10);
    expect(await count(s, 'app=kubia')).toBe(3);
  });

  it.each([
    { name: 'a ReplicaSet refused by a quota (403)', apiVersion: 'apps/v1', kind: 'ReplicaSet', refusal: 'quota' as const, message: /^Error creating: .*exceeded quota/ },
    { name: 'a ReplicaSet whose pods are invalid (422)', apiVersion: 'apps/v1', kind: 'ReplicaSet', refusal: 'invalid' as const, message: /^Error creating: .*Required value/ },
    { name: 'a ReplicationController refused by a quota (403)', apiVersion: 'v1', kind: 'ReplicationController', refusal: 'quota' as const, message: /^Error creating: .*exceeded quota/ },
    { name: 'a ReplicationController whose pods are invalid (422)', apiVersion: 'v1', kind: 'ReplicationController', refusal: 'invalid' as const, message: /^Error creating: .*Required value/ },
  ])('surfaces failing creates of $name as the ReplicaFailure condition and a FailedCreate Warning, then recovers', async ({ apiVersion, kind, refusal: which, message }) => {
    const refusal = podCreateRefusal(which);
    const s = await setup({ admission: refusal.admission });
    const template = { metadata: { labels: { app: 'quota' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    await s.client.create({
      apiVersion,
      kind,
      metadata: { name: 'quota', namespace: 'default' },
      spec: { replicas: 4, selector: kind === 'ReplicaSet' ? { matchLabels: { app: 'quota' } } : { app: 'quota' }, template },
    } as ReplicaSet);
    const owner = async () => (await s.client.get(apiVersion, kind, 'default', 'quota')) as ReplicaSet;
    await waitFor(s.env, async () => (await owner()).status?.conditions?.some((c) => c.type === 'ReplicaFailure' && c.status === 'True' && c.reason === 'FailedCreate') ?? false, 'ReplicaFailure');
    const warnings = await events(s, 'FailedCreate');
    expect(warnings[0]).toMatchObject({ type: 'Warning', involvedObject: { kind, name: 'quota' } });
    expect(warnings[0].message).toMatch(message);
    expect((await owner()).status?.conditions?.find((c) => c.type === 'ReplicaFailure')?.message).toMatch(message.source.includes('quota') ? /exceeded quota/ : /Required value/);
    // Slow start: each sync's first batch (one pod) fails, so no pod ever got created.
    expect(await count(s, 'app=quota')).toBe(0);
    refusal.refuse(false);
    await waitFor(s.env, async () => (await count(s, 'app=quota')) === 4, '4 pods once creation is allowed', { stepMs: 1000 });
    await waitFor(s.env, async () => !(await owner()).status?.conditions?.length, 'condition cleared');
  });

  // Regression: every sync listed and claimed every pod of the namespace (half the CPU
  // of a 10,000-pod scale-up). A sync now reads its own pods from the owner index and
  // only the orphans its selector matches.
  it('a ReplicaSet sync examines its own pods, not every pod of the namespace', async () => {
    const s = await setup();
    const bare = (name: string, extra: Partial<Pod['metadata']> = {}): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app: 'other' }, ...extra }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const elsewhere = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'other', uid: 'uid-of-another-controller', controller: true }];
    for (let i = 0; i < 150; i++) await s.client.create(bare(`orphan-${i}`));
    for (let i = 0; i < 150; i++) await s.client.create(bare(`owned-${i}`, { ownerReferences: elsewhere }));
    const podCache = s.manager.informers.forKind('v1', 'Pod').cache;
    await waitFor(s.env, () => podCache.size === 300, 'the cache holds the 300 other pods');
    const listed: number[] = [];
    const list = podCache.list.bind(podCache);
    const spy = vi.spyOn(podCache, 'list').mockImplementation((opts) => {
      const out = list(opts);
      listed.push(out.length);
      return out;
    });
    await s.client.create({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    } as ReplicaSet);
    await waitFor(s.env, async () => (await s.client.get('apps/v1', 'ReplicaSet', 'default', 'web')).status?.replicas === 3, 'status.replicas=3');
    spy.mockRestore();
    expect(listed.length).toBeGreaterThan(0);
    // Each list answers with at most the ReplicaSet's 3 pods, never the 303 of the namespace.
    expect(Math.max(...listed)).toBeLessThanOrEqual(3);
  });

  // Regression: the in-process client, watch delivery and the workers formed one
  // continuous promise chain, so a 10,000-pod scale-up kept a host's 10 ms timer from
  // firing until the last pod. A real timer here, on purpose.
  it('a 2,000-pod scale-up lets a 10 ms timer fire', async () => {
    const s = await setup();
    const N = 2000;
    let seen = 0;
    const all = new Promise<void>((resolve) => {
      s.manager.informers.forKind('v1', 'Pod').addEventHandler({ onAdd: () => void (++seen === N && resolve()) });
    });
    let firedDuringBurst = 0;
    const timer = setInterval(() => void (seen > 0 && seen < N && firedDuringBurst++), 10);
    try {
      await s.client.create({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'burst', namespace: 'default' },
        spec: { replicas: N, selector: { matchLabels: { app: 'burst' } }, template: { metadata: { labels: { app: 'burst' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
      } as ReplicaSet);
      // No waitFor: its own turns of the event loop would let the timer fire anyway. The
      // fake clock moves only once the event loop is free (for rate-limited requeues).
      let done = false;
      void all.then(() => (done = true));
      while (!done) await Promise.race([all, s.env.clock.advance(10)]);
    } finally {
      clearInterval(timer);
    }
    expect(seen).toBe(N);
    expect(firedDuringBurst).toBeGreaterThan(0);
  }, 60_000);

  it.each([
    ['an unassigned pod before an assigned one', { spec: {} }, { spec: { nodeName: 'n1' } }],
    ['a Pending pod before a Running one', { status: { phase: 'Pending' } }, { status: { phase: 'Running' } }],
    ['a not-ready pod before a ready one', { status: { phase: 'Running' } }, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }],
    ['a pod with more restarts before one with fewer', { status: { containerStatuses: [{ restartCount: 3 }] } }, { status: { containerStatuses: [{ restartCount: 1 }] } }],
    ['a newer pod before an older one', { metadata: { creationTimestamp: '2026-01-02T00:00:00Z' } }, { metadata: { creationTimestamp: '2026-01-01T00:00:00Z' } }],
  ])('deletes %s', (_name, a, b) => {
    expect(comparePodsForDeletion(a as Pod, b as Pod)).toBeLessThan(0);
    expect(comparePodsForDeletion(b as Pod, a as Pod)).toBeGreaterThan(0);
  });
});
