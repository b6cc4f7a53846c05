import { readFileSync } from 'node:fs';
import { decodeAll, type Deployment, type KubeObject, type ReplicaSet } from '@bosun/api';
import { applyManifests, createTestEnv, type Client, type TestEnv } from '@bosun/apiserver';
import { createManager, type Manager } from '@bosun/controller-runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { addGarbageCollector } from '../core/garbage-collector';
import { addDeploymentController, rollbackDeployment } from './deployment';
import { computeHash, resolveFenceposts, REVISION_ANNOTATION } from './deployment-util';
import { isPodReady } from './pod-utils';
import { addReplicaSetController } from './replicaset';
import { makePodsReady, waitFor } from './testing';

const seed = (name: string) => readFileSync(new URL(`../../../../test/fixtures/seeds/${name}`, import.meta.url), 'utf8');
const quiet = { warn: () => {}, error: () => {} };

interface Setup {
  env: TestEnv;
  manager: Manager;
  client: Client;
}
const running: Setup[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) {
    await s.manager.stop();
    await s.env.stop();
  }
});

async function setup(): Promise<Setup> {
  const env = await createTestEnv();
  const manager = createManager({ client: env.client, clock: env.clock, logger: quiet });
  addReplicaSetController(manager);
  addDeploymentController(manager);
  addGarbageCollector(manager, { scheme: env.scheme });
  await manager.start();
  const s = { env, manager, client: env.client };
  running.push(s);
  return s;
}

const get = (s: Setup, name: string) => s.client.get('apps/v1', 'Deployment', 'default', name) as Promise<Deployment>;
const rsList = async (s: Setup) => (await s.client.list('apps/v1', 'ReplicaSet', { namespace: 'default' })).items as ReplicaSet[];
const livePods = async (s: Setup, sel: string) => (await s.client.list('v1', 'Pod', { namespace: 'default', labelSelector: sel })).items.filter((p) => !p.metadata?.deletionTimestamp);
const cond = (d: Deployment, type: string) => d.status?.conditions?.find((c) => c.type === type);
const complete = (d: Deployment, image: string) =>
  d.spec?.template.spec?.containers[0].image === image &&
  d.status?.observedGeneration === d.metadata?.generation &&
  d.status?.updatedReplicas === d.spec?.replicas &&
  d.status?.availableReplicas === d.spec?.replicas &&
  d.status?.replicas === d.spec?.replicas &&
  cond(d, 'Progressing')?.reason === 'NewReplicaSetAvailable';

async function applySeed(s: Setup): Promise<Deployment> {
  await applyManifests(s.client, decodeAll(seed('002_8cc7607eac0f66d5-02-deployment.yaml')) as KubeObject[]);
  await waitFor(s.env, async () => (await livePods(s, 'app=nginx')).length === 3, '3 pods');
  await makePodsReady(s.env, 'app=nginx');
  await waitFor(s.env, async () => complete(await get(s, 'nginx'), 'nginx'), 'rollout complete');
  return get(s, 'nginx');
}

/** Drives a rollout to completion, marking new pods ready, and returns every state seen. */
async function driveRollout(s: Setup, name: string, sel: string, image: string, steps = 400) {
  const seen: { specSum: number; ready: number; pods: number }[] = [];
  for (let i = 0; i < steps; i++) {
    const rss = (await rsList(s)).filter((r) => r.metadata?.ownerReferences?.[0]?.name === name);
    const pods = await livePods(s, sel);
    seen.push({ specSum: rss.reduce((n, r) => n + (r.spec?.replicas ?? 0), 0), ready: pods.filter(isPodReady).length, pods: pods.length });
    if (complete(await get(s, name), image)) return seen;
    // Mark only one pod ready per step, so the rollout goes through many states.
    const notReady = pods.find((p) => !isPodReady(p));
    if (notReady && i % 3 === 0) await makePodsReady(s.env, `${sel},pod-template-hash=${notReady.metadata?.labels?.['pod-template-hash']}`);
    for (let j = 0; j < 5; j++) await new Promise<void>((r) => setImmediate(r));
    await s.env.clock.advance(10);
  }
  throw new Error(`rollout to ${image} did not complete; last states ${JSON.stringify(seen.slice(-3))}`);
}

/** Reconciles the `deployment` controller of `manager` finished so far (its Prometheus counter). */
async function deploymentReconciles(manager: Manager): Promise<number> {
  let n = 0;
  for (const line of (await manager.metrics()).split('\n')) {
    const m = /^controller_runtime_reconcile_total\{(.*)\} (\d+)$/.exec(line);
    if (m && m[1].includes('controller="deployment"')) n += Number(m[2]);
  }
  return n;
}

describe('Deployment controller', () => {
  it('runs the seed nginx Deployment: a <name>-<hash> ReplicaSet with the hash label, 3 pods, revision 1, conditions and a ScalingReplicaSet event', async () => {
    const s = await setup();
    const d = await applySeed(s);
    const [rs] = await rsList(s);
    const hash = computeHash(d.spec?.template);
    expect(rs.metadata?.name).toBe(`nginx-${hash}`);
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs.spec?.selector.matchLabels?.['pod-template-hash']).toBe(hash);
    expect((await livePods(s, `pod-template-hash=${hash}`)).length).toBe(3);
    expect(rs.metadata?.annotations?.[REVISION_ANNOTATION]).toBe('1');
    expect(d.metadata?.annotations?.[REVISION_ANNOTATION]).toBe('1');
    expect(cond(d, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(d.status).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    const events = (await s.client.list('v1', 'Event', { namespace: 'default' })).items.filter((e) => e.reason === 'ScalingReplicaSet');
    expect(events.map((e) => e.message)).toContain(`Scaled up replica set nginx-${hash} to 3`);
  });

  it.each([
    { name: 'the seed defaults (25%/25% of 3: surge 1, unavailable 0)', replicas: 3, strategy: undefined, surge: 1, unavailable: 0 },
    { name: 'maxSurge 1 and maxUnavailable 0 (the seed kubia v3)', replicas: 3, strategy: { maxSurge: 1, maxUnavailable: 0 }, surge: 1, unavailable: 0 },
    { name: 'maxSurge 50% and maxUnavailable 50% of 4 (2 and 2)', replicas: 4, strategy: { maxSurge: '50%', maxUnavailable: '50%' }, surge: 2, unavailable: 2 },
    { name: 'maxSurge 0 and maxUnavailable 1', replicas: 3, strategy: { maxSurge: 0, maxUnavailable: 1 }, surge: 0, unavailable: 1 },
  ])('rolls nginx:1.7.9 to nginx:1.9.1 within maxSurge and maxUnavailable at every step with $name', async ({ replicas, strategy, surge, unavailable }) => {
    const s = await setup();
    const d: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'web' } },
        strategy: strategy ? { type: 'RollingUpdate', rollingUpdate: strategy } : undefined,
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.7.9' }] } },
      },
    };
    await s.client.create(d);
    await driveRollout(s, 'web', 'app=web', 'nginx:1.7.9');
    const stored = await get(s, 'web');
    expect(resolveFenceposts(stored)).toEqual({ maxSurge: surge, maxUnavailable: unavailable });
    await s.client.patch('apps/v1', 'Deployment', 'default', 'web', { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.9.1' }] } } } }, { type: 'strategic' });
    const seen = await driveRollout(s, 'web', 'app=web', 'nginx:1.9.1');
    expect(seen.length).toBeGreaterThan(3);
    for (const st of seen) {
      expect(st.specSum).toBeLessThanOrEqual(replicas + surge);
      expect(st.ready).toBeGreaterThanOrEqual(replicas - unavailable);
    }
    const rss = await rsList(s);
    expect(rss.map((r) => [r.spec?.replicas, r.metadata?.annotations?.[REVISION_ANNOTATION]]).sort()).toEqual([
      [0, '1'],
      [replicas, '2'],
    ].sort());
    expect((await livePods(s, 'app=web')).every((p) => p.spec?.containers[0].image === 'nginx:1.9.1')).toBe(true);
  });

  it('waits minReadySeconds of clock time after a new pod is ready before scaling an old ReplicaSet down (maxUnavailable 0)', async () => {
    const s = await setup();
    await s.client.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'mrs', namespace: 'default' },
      spec: { replicas: 2, minReadySeconds: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }, selector: { matchLabels: { app: 'mrs' } }, template: { metadata: { labels: { app: 'mrs' } }, spec: { containers: [{ name: 'c', image: 'app:v1' }] } } },
    } as Deployment);
    await waitFor(s.env, async () => (await livePods(s, 'app=mrs')).length === 2, '2 pods');
    await makePodsReady(s.env, 'app=mrs');
    await waitFor(s.env, async () => (await get(s, 'mrs')).status?.availableReplicas === 2, 'available after 10 s', { stepMs: 1000 });
    await s.client.patch('apps/v1', 'Deployment', 'default', 'mrs', { spec: { template: { spec: { containers: [{ name: 'c', image: 'app:v2' }] } } } }, { type: 'strategic' });
    const oldRs = async () => (await rsList(s)).find((r) => r.spec?.template?.spec?.containers[0].image === 'app:v1')!;
    await waitFor(s.env, async () => (await livePods(s, 'app=mrs')).length === 3, 'one surge pod', { stepMs: 1 });
    await makePodsReady(s.env, 'app=mrs');
    await s.env.clock.advance(9_000);
    for (let i = 0; i < 50; i++) await new Promise<void>((r) => setImmediate(r));
    expect((await oldRs()).spec?.replicas).toBe(2);
    await s.env.clock.advance(1_000);
    await waitFor(s.env, async () => (await oldRs()).spec?.replicas === 1, 'old ReplicaSet scaled down once the new pod is available', { stepMs: 1 });
  });

  it('Recreate scales the old ReplicaSet to zero and waits for its pods to go before creating new ones', async () => {
    const s = await setup();
    await s.client.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'rec', namespace: 'default' },
      spec: { replicas: 2, strategy: { type: 'Recreate' }, selector: { matchLabels: { app: 'rec' } }, template: { metadata: { labels: { app: 'rec' } }, spec: { containers: [{ name: 'c', image: 'app:v1' }] } } },
    } as Deployment);
    await driveRollout(s, 'rec', 'app=rec', 'app:v1');
    await s.client.patch('apps/v1', 'Deployment', 'default', 'rec', { spec: { template: { spec: { containers: [{ name: 'c', image: 'app:v2' }] } } } }, { type: 'strategic' });
    const seen: string[][] = [];
    for (let i = 0; i < 200 && !complete(await get(s, 'rec'), 'app:v2'); i++) {
      const images = (await livePods(s, 'app=rec')).map((p) => p.spec!.containers[0].image!);
      seen.push([...new Set(images)].sort());
      await makePodsReady(s.env, 'app=rec');
      await s.env.clock.advance(10);
    }
    expect(complete(await get(s, 'rec'), 'app:v2')).toBe(true);
    expect(seen.some((imgs) => imgs.includes('app:v1') && imgs.includes('app:v2'))).toBe(false);
  });

  it('rolls back to the previous revision (rollout undo), which becomes revision 3', async () => {
    const s = await setup();
    await applySeed(s);
    await s.client.patch('apps/v1', 'Deployment', 'default', 'nginx', { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.9.1' }] } } } }, { type: 'strategic' });
    await driveRollout(s, 'nginx', 'app=nginx', 'nginx:1.9.1');
    const res = await rollbackDeployment(s.client, 'default', 'nginx');
    expect(res).toMatchObject({ revision: 1, rolledBack: true });
    await driveRollout(s, 'nginx', 'app=nginx', 'nginx');
    const d = await get(s, 'nginx');
    expect(d.metadata?.annotations?.[REVISION_ANNOTATION]).toBe('3');
    const rss = await rsList(s);
    expect(rss.find((r) => r.spec?.replicas === 3)?.metadata?.annotations).toMatchObject({ [REVISION_ANNOTATION]: '3', 'deployment.kubernetes.io/revision-history': '1' });
    await expect(rollbackDeployment(s.client, 'default', 'nginx', 7)).rejects.toThrow(/unable to find specified revision 7/);
  });

  it('rolls back to a given revision (rollout undo --to-revision=1) past the previous one', async () => {
    const s = await setup();
    await applySeed(s);
    for (const v of ['1.9.1', '1.10']) {
      await s.client.patch('apps/v1', 'Deployment', 'default', 'nginx', { spec: { template: { spec: { containers: [{ name: 'nginx', image: `nginx:${v}` }] } } } }, { type: 'strategic' });
      await driveRollout(s, 'nginx', 'app=nginx', `nginx:${v}`);
    }
    const res = await rollbackDeployment(s.client, 'default', 'nginx', 1);
    expect(res).toMatchObject({ revision: 1, rolledBack: true });
    await driveRollout(s, 'nginx', 'app=nginx', 'nginx');
    expect((await get(s, 'nginx')).metadata?.annotations?.[REVISION_ANNOTATION]).toBe('4');
    const revs = (await rsList(s)).map((r) => [r.spec?.template?.spec?.containers[0].image, r.metadata?.annotations?.[REVISION_ANNOTATION]]).sort();
    expect(revs).toEqual([['nginx', '4'], ['nginx:1.10', '3'], ['nginx:1.9.1', '2']]);
    // Rolling back to the template it already has changes nothing.
    expect(await rollbackDeployment(s.client, 'default', 'nginx', 4)).toMatchObject({ revision: 4, rolledBack: false });
  });

  it('makes no rollout progress while paused, still scales, and resumes', async () => {
    const s = await setup();
    await applySeed(s);
    await s.client.patch('apps/v1', 'Deployment', 'default', 'nginx', { spec: { paused: true } });
    await s.client.patch('apps/v1', 'Deployment', 'default', 'nginx', { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.9.1' }] } } } }, { type: 'strategic' });
    await waitFor(s.env, async () => cond(await get(s, 'nginx'), 'Progressing')?.reason === 'DeploymentPaused', 'paused condition');
    for (let i = 0; i < 30; i++) await s.env.clock.advance(10);
    expect((await rsList(s)).length).toBe(1);
    await s.client.patch('apps/v1', 'Deployment', 'default', 'nginx', { spec: { replicas: 5 } });
    await waitFor(s.env, async () => (await livePods(s, 'app=nginx')).length === 5, 'scaled to 5 while paused');
    expect((await rsList(s)).length).toBe(1);
    await s.client.patch('apps/v1', 'Deployment', 'default', 'nginx', { spec: { paused: false } });
    await driveRollout(s, 'nginx', 'app=nginx', 'nginx:1.9.1');
  });

  it('scales proportionally across the old and new ReplicaSets when scaled in the middle of a rollout', async () => {
    const s = await setup();
    await s.client.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'prop', namespace: 'default' },
      spec: { replicas: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } }, selector: { matchLabels: { app: 'prop' } }, template: { metadata: { labels: { app: 'prop' } }, spec: { containers: [{ name: 'c', image: 'app:v1' }] } } },
    } as Deployment);
    await driveRollout(s, 'prop', 'app=prop', 'app:v1');
    // New pods never become ready: the rollout stalls with both ReplicaSets active.
    await s.client.patch('apps/v1', 'Deployment', 'default', 'prop', { spec: { template: { spec: { containers: [{ name: 'c', image: 'app:v2' }] } } } }, { type: 'strategic' });
    await waitFor(s.env, async () => {
      const rss = await rsList(s);
      return rss.length === 2 && JSON.stringify(rss.map((r) => r.spec?.replicas).sort((a, b) => a! - b!)) === '[5,8]';
    }, 'stalled rollout at 8 old + 5 new (3 surge, 2 unavailable)');
    const before = new Map((await rsList(s)).map((r) => [r.metadata!.name!, r.spec!.replicas!]));
    expect([...before.values()].sort((a, b) => a - b)).toEqual([5, 8]);
    await s.client.patch('apps/v1', 'Deployment', 'default', 'prop', { spec: { replicas: 20 } });
    // allowed = 20 + 3 = 23: +10 shared 8:5 → old 8+6=14, new 5+4=9 (leftover to the largest).
    await waitFor(s.env, async () => (await rsList(s)).reduce((n, r) => n + (r.spec?.replicas ?? 0), 0) === 23, 'scaled to 23 in all');
    const after = (await rsList(s)).map((r) => [before.get(r.metadata!.name!), r.spec!.replicas!]).sort((a, b) => a[0]! - b[0]!);
    expect(after).toEqual([
      [5, 9],
      [8, 14],
    ]);
  });

  it('keeps only revisionHistoryLimit old ReplicaSets', async () => {
    const s = await setup();
    await applySeed(s);
    await s.client.patch('apps/v1', 'Deployment', 'default', 'nginx', { spec: { revisionHistoryLimit: 1 } });
    for (const v of ['1.1', '1.2', '1.3']) {
      await s.client.patch('apps/v1', 'Deployment', 'default', 'nginx', { spec: { template: { spec: { containers: [{ name: 'nginx', image: `nginx:${v}` }] } } } }, { type: 'strategic' });
      await driveRollout(s, 'nginx', 'app=nginx', `nginx:${v}`);
    }
    await waitFor(s.env, async () => (await rsList(s)).length === 2, 'two ReplicaSets left');
    const revs = (await rsList(s)).map((r) => r.metadata?.annotations?.[REVISION_ANNOTATION]).sort();
    expect(revs).toEqual(['3', '4']);
  });

  it('sets Progressing=False ProgressDeadlineExceeded when pods never become ready within progressDeadlineSeconds', async () => {
    const s = await setup();
    await s.client.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'stuck', namespace: 'default' },
      spec: { replicas: 2, progressDeadlineSeconds: 30, selector: { matchLabels: { app: 'stuck' } }, template: { metadata: { labels: { app: 'stuck' } }, spec: { containers: [{ name: 'c', image: 'app:v1' }] } } },
    } as Deployment);
    await waitFor(s.env, async () => (await livePods(s, 'app=stuck')).length === 2, '2 pods');
    expect(cond(await get(s, 'stuck'), 'Progressing')?.status).toBe('True');
    await s.env.clock.advance(31_000);
    await waitFor(s.env, async () => cond(await get(s, 'stuck'), 'Progressing')?.reason === 'ProgressDeadlineExceeded', 'deadline exceeded');
    const d = await get(s, 'stuck');
    expect(cond(d, 'Progressing')).toMatchObject({ status: 'False', message: `ReplicaSet "stuck-${computeHash(d.spec?.template)}" has timed out progressing.` });
    expect(cond(d, 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
  });

  // Regression: every pod event (creations, status changes) of every Deployment's pods
  // requeued the Deployment. Upstream reacts to pod deletions only, and for Recreate only.
  it.each([
    { name: 'a RollingUpdate Deployment ignores pod updates and deletions', strategy: 'RollingUpdate' as const, deletionWakes: false },
    { name: 'a Recreate Deployment ignores pod updates but wakes on a pod deletion', strategy: 'Recreate' as const, deletionWakes: true },
  ])('$name', async ({ strategy, deletionWakes }) => {
    const s = await setup();
    await s.client.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'quiet', namespace: 'default' },
      spec: { replicas: 2, strategy: { type: strategy }, selector: { matchLabels: { app: 'quiet' } }, template: { metadata: { labels: { app: 'quiet' } }, spec: { containers: [{ name: 'c', image: 'app:v1' }] } } },
    } as Deployment);
    await driveRollout(s, 'quiet', 'app=quiet', 'app:v1');
    for (let i = 0; i < 20; i++) await s.env.clock.advance(10);
    const before = await deploymentReconciles(s.manager);
    // Pod writes that change nothing a ReplicaSet reports: no ReplicaSet status change either.
    for (const p of await livePods(s, 'app=quiet')) await s.client.patch('v1', 'Pod', 'default', p.metadata!.name!, { metadata: { annotations: { touched: 'yes' } } });
    for (let i = 0; i < 20; i++) await s.env.clock.advance(10);
    expect(await deploymentReconciles(s.manager)).toBe(before);
    // A deleted pod: the ReplicaSet replaces it (and its status moves, which wakes any Deployment).
    // With the ReplicaSet controller stopped, only the pod watch itself can wake the Deployment.
    await s.manager.stop();
    const solo = createManager({ client: s.env.client, clock: s.env.clock, logger: quiet });
    addDeploymentController(solo);
    await solo.start();
    try {
      for (let i = 0; i < 20; i++) await s.env.clock.advance(10);
      const settled = await deploymentReconciles(solo);
      await s.client.delete('v1', 'Pod', 'default', (await livePods(s, 'app=quiet'))[0].metadata!.name!, { gracePeriodSeconds: 0 });
      for (let i = 0; i < 20; i++) await s.env.clock.advance(10);
      expect((await deploymentReconciles(solo)) > settled).toBe(deletionWakes);
    } finally {
      await solo.stop();
    }
  });

  it('deletes the ReplicaSets and pods with the Deployment (background cascade)', async () => {
    const s = await setup();
    await applySeed(s);
    await s.client.delete('apps/v1', 'Deployment', 'default', 'nginx');
    await waitFor(s.env, async () => (await rsList(s)).length === 0 && (await livePods(s, 'app=nginx')).length === 0, 'cascade');
  });
});

describe('pod-template-hash', () => {
  it.each([
    ['is deterministic', () => computeHash({ metadata: { labels: { a: 'b' } } }) === computeHash({ metadata: { labels: { a: 'b' } } })],
    ['ignores key order', () => computeHash({ metadata: { labels: { a: 'b', c: 'd' } } }) === computeHash({ metadata: { labels: { c: 'd', a: 'b' } } })],
    ['ignores the pod-template-hash label', () => computeHash({ metadata: { labels: { a: 'b', 'pod-template-hash': 'x' } } }) === computeHash({ metadata: { labels: { a: 'b' } } })],
    ['changes with the collision count', () => computeHash({}, 1) !== computeHash({}, 2) && computeHash({}, 1) !== computeHash({})],
  ])('%s', (_n, check) => expect(check()).toBe(true));
});
