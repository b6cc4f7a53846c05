// The seed notes' workload examples (test/fixtures/seeds/) behave as the notes describe,
// end to end: applied through the API like `kubectl apply -f`, on one Manager running
// every built-in controller (garbage collector included), on the fake clock. Pods are
// made Running/Ready/Succeeded by the test, since no node agent runs yet.
import { readFileSync } from 'node:fs';
import { rfc3339, type Deployment, type Job, type Node, type Pod, type StatefulSet } from '@bosun/api';
import { applyManifests, createTestEnv, type Client, type TestEnv } from '@bosun/apiserver';
import { createManager, type Manager } from '@bosun/controller-runtime';
import {
  POD_TEMPLATE_HASH_LABEL,
  addCronJobController,
  addDaemonSetController,
  addDeploymentController,
  addEndpointsController,
  addGarbageCollector,
  addHorizontalPodAutoscalerController,
  addJobController,
  addNodeLifecycleController,
  addNamespaceController,
  addReplicaSetController,
  addReplicationController,
  addServiceAccountsController,
  addStatefulSetController,
  createStaticMetricsProvider,
  cronJobName,
  daemonPodNode,
  makePodsReady,
  rollbackDeployment,
  waitFor,
} from '@bosun/controllers';
import { afterEach, describe, expect, it } from 'vitest';

const seed = (file: string) => readFileSync(new URL(`../fixtures/seeds/${file}`, import.meta.url), 'utf8');

interface Setup {
  env: TestEnv;
  client: Client;
  manager: Manager;
  errors: unknown[];
  /** The HPA controller's pod usage: set it as metrics-server would report it. */
  usage: ReturnType<typeof createStaticMetricsProvider>;
}
const running: Setup[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) {
    await s.manager.stop();
    await s.env.stop();
  }
});

/** Every built-in controller the package exports an `addX` for, on one manager. */
async function setup(): Promise<Setup> {
  const env = await createTestEnv();
  const errors: unknown[] = [];
  const manager = createManager({ client: env.client, clock: env.clock, logger: { warn: () => {}, error: (m) => errors.push(m) } });
  addGarbageCollector(manager, { scheme: env.scheme });
  addNamespaceController(manager, { scheme: env.scheme, finalize: (name) => env.server.finalizeNamespace(name) });
  addServiceAccountsController(manager);
  addReplicaSetController(manager);
  addReplicationController(manager);
  addDeploymentController(manager);
  addJobController(manager);
  addCronJobController(manager);
  addStatefulSetController(manager);
  addDaemonSetController(manager);
  addEndpointsController(manager);
  addNodeLifecycleController(manager); // with the taint eviction controller
  const usage = createStaticMetricsProvider({ clock: env.clock });
  addHorizontalPodAutoscalerController(manager, { metrics: usage });
  await manager.start();
  const s = { env, client: env.client, manager, errors, usage };
  running.push(s);
  return s;
}

const apply = (s: Setup, file: string) => applyManifests(s.client, seed(file));
/** Live pods (not being deleted) matching `selector`. */
const pods = async (s: Setup, selector: string, namespace = 'default'): Promise<Pod[]> =>
  (await s.client.list('v1', 'Pod', { namespace, labelSelector: selector })).items.filter((p) => !p.metadata?.deletionTimestamp);
const names = (ps: Pod[]) => ps.map((p) => p.metadata?.name ?? '').sort();
const waitPods = (s: Setup, selector: string, n: number) => waitFor(s.env, async () => (await pods(s, selector)).length === n, `${n} pods ${selector}`);
/** `kubectl scale`: a patch of the scale subresource, without a resourceVersion precondition. */
const scale = (s: Setup, apiVersion: string, kind: string, name: string, replicas: number) =>
  s.client.patch(apiVersion, kind, 'default', name, { spec: { replicas } }, { type: 'merge', subresource: 'scale' });
const exists = (s: Setup, apiVersion: string, kind: string, name: string, ns = 'default') => s.client.get(apiVersion, kind, ns, name).then(() => true, () => false);

/** What a node agent reports when a pod's containers exit: the phase, by the status subresource. */
async function setPhase(client: Client, pod: Pod, phase: 'Running' | 'Succeeded' | 'Failed'): Promise<void> {
  const cur = await client.get('v1', 'Pod', pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? '');
  const ready = phase === 'Running' ? 'True' : 'False';
  await client.updateStatus({ ...cur, status: { ...cur.status, phase, conditions: [{ type: 'Ready', status: ready }] } });
}

function node(name: string, labels: Record<string, string> = {}): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } } };
}

describe('seed Deployment nginx (3 replicas)', () => {
  it('makes one ReplicaSet named <deployment>-<pod-template-hash> and 3 pods carrying the hash label, and becomes Available once they are ready', async () => {
    const s = await setup();
    await apply(s, '002_8cc7607eac0f66d5-02-deployment.yaml');
    await waitPods(s, 'app=nginx', 3);
    const rss = (await s.client.list('apps/v1', 'ReplicaSet', { namespace: 'default' })).items;
    expect(rss).toHaveLength(1);
    const hash = rss[0].metadata?.labels?.[POD_TEMPLATE_HASH_LABEL];
    expect(rss[0].metadata?.name).toBe(`nginx-${hash}`);
    for (const p of await pods(s, 'app=nginx')) {
      expect(p.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL]).toBe(hash);
      expect(p.metadata?.name).toMatch(new RegExp(`^nginx-${hash}-[a-z0-9]{5}$`));
      expect(p.spec?.containers[0].resources?.requests?.cpu).toBe('100m');
    }
    await makePodsReady(s.env, 'app=nginx');
    await waitFor(s.env, async () => (await s.client.get('apps/v1', 'Deployment', 'default', 'nginx')).status?.availableReplicas === 3, 'available');
    const d = await s.client.get('apps/v1', 'Deployment', 'default', 'nginx');
    expect(d.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    expect(s.errors).toEqual([]);
  });

  it.each([
    ['up to 5', 5],
    ['down to 1', 1],
    ['down to 0', 0],
  ])('scales %s (kubectl scale deployment nginx)', async (_name, n) => {
    const s = await setup();
    await apply(s, '002_8cc7607eac0f66d5-02-deployment.yaml');
    await waitPods(s, 'app=nginx', 3);
    await makePodsReady(s.env, 'app=nginx');
    await scale(s, 'apps/v1', 'Deployment', 'nginx', n);
    await waitPods(s, 'app=nginx', n);
    const rss = (await s.client.list('apps/v1', 'ReplicaSet', { namespace: 'default' })).items;
    expect(rss.map((r) => r.spec?.replicas)).toEqual([n]);
  });

  it('replaces a deleted pod (kubectl delete pod)', async () => {
    const s = await setup();
    await apply(s, '002_8cc7607eac0f66d5-02-deployment.yaml');
    await waitPods(s, 'app=nginx', 3);
    const before = names(await pods(s, 'app=nginx'));
    await s.client.delete('v1', 'Pod', 'default', before[0]);
    await waitFor(s.env, async () => {
      const now = names(await pods(s, 'app=nginx'));
      return now.length === 3 && !now.includes(before[0]);
    }, 'a replacement pod');
  });

  it('deletes the ReplicaSet and pods with it (kubectl delete deployment, background cascade)', async () => {
    const s = await setup();
    await apply(s, '002_8cc7607eac0f66d5-02-deployment.yaml');
    await waitPods(s, 'app=nginx', 3);
    await s.client.delete('apps/v1', 'Deployment', 'default', 'nginx', { propagationPolicy: 'Background' });
    await waitFor(s.env, async () => (await s.client.list('apps/v1', 'ReplicaSet', { namespace: 'default' })).items.length === 0, 'ReplicaSet gone');
    await waitPods(s, 'app=nginx', 0);
  });
  it('keeps the ReplicaSet and pods when deleted with --cascade=orphan, and they lose their owner reference', async () => {
    const s = await setup();
    await apply(s, '002_8cc7607eac0f66d5-02-deployment.yaml');
    await waitPods(s, 'app=nginx', 3);
    await s.client.delete('apps/v1', 'Deployment', 'default', 'nginx', { propagationPolicy: 'Orphan' });
    await waitFor(s.env, async () => !(await exists(s, 'apps/v1', 'Deployment', 'nginx')), 'Deployment gone');
    await waitFor(s.env, async () => (await s.client.list('apps/v1', 'ReplicaSet', { namespace: 'default' })).items.every((r) => !r.metadata?.ownerReferences?.length), 'ReplicaSet released');
    await s.env.clock.advance(1000);
    const rss = (await s.client.list('apps/v1', 'ReplicaSet', { namespace: 'default' })).items;
    expect(rss).toHaveLength(1);
    // The pods keep their ReplicaSet as owner: only the deleted Deployment's dependents are orphaned.
    expect((await pods(s, 'app=nginx')).map((p) => p.metadata?.ownerReferences?.[0]?.name)).toEqual([rss[0].metadata?.name, rss[0].metadata?.name, rss[0].metadata?.name]);
  });
});

describe('seed Deployment kubia (v1, then `kubectl set image` v2, then the v3 with a failing readiness probe)', () => {
  const image = (p: Pod) => p.spec?.containers[0].image;
  const getD = async (s: Setup) => (await s.client.get('apps/v1', 'Deployment', 'default', 'kubia')) as Deployment;
  /** Plays the node agent: marks new pods of `img` ready, moving the clock a second at a time, until the rollout is complete. */
  async function rollOut(s: Setup, img: string): Promise<void> {
    for (let i = 0; i < 300; i++) {
      const d = await getD(s);
      const done = d.status?.observedGeneration === d.metadata?.generation && d.status?.updatedReplicas === 3 && d.status?.availableReplicas === 3 && d.status?.replicas === 3;
      if (done && (await pods(s, 'app=kubia')).every((p) => image(p) === img)) return;
      for (const p of await pods(s, 'app=kubia')) if (image(p) === img) await makePodsReady(s.env, `app=kubia,pod-template-hash=${p.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL]}`);
      await s.env.clock.advance(1000);
    }
    throw new Error(`rollout to ${img} did not complete`);
  }

  it('rolls v1 → v2, stalls on v3 whose pod never gets ready (maxSurge 1, maxUnavailable 0, minReadySeconds 10), then rolls back (undo, --to-revision=1)', async () => {
    const s = await setup();
    await apply(s, '003_bea7a2b1a17eec52-28-deployment.yaml');
    await waitPods(s, 'app=kubia', 3);
    await rollOut(s, 'yinzige/kubia:v1');
    // kubectl patch deployment kubia -p '{"spec": {"minReadySeconds": 10}}'; kubectl set image deployment kubia nodejs=yinzige/kubia:v2
    await s.client.patch('apps/v1', 'Deployment', 'default', 'kubia', { spec: { minReadySeconds: 10 } });
    await s.client.patch('apps/v1', 'Deployment', 'default', 'kubia', { spec: { template: { spec: { containers: [{ name: 'nodejs', image: 'yinzige/kubia:v2' }] } } } }, { type: 'strategic' });
    await rollOut(s, 'yinzige/kubia:v2');
    // "kubectl get rs" keeps the old and the new ReplicaSet.
    expect((await s.client.list('apps/v1', 'ReplicaSet', { namespace: 'default' })).items.map((r) => r.spec?.replicas).sort()).toEqual([0, 3]);

    // kubectl apply -f kubia-deployment-v3-with-readinesscheck.yaml: the v3 pod never becomes ready.
    await apply(s, '003_bea7a2b1a17eec52-29-deployment.yaml');
    await waitFor(s.env, async () => (await pods(s, 'app=kubia')).some((p) => image(p) === 'yinzige/kubia:v3'), 'a v3 pod');
    for (let i = 0; i < 60; i++) {
      await s.env.clock.advance(1000);
      const ps = await pods(s, 'app=kubia');
      expect(ps.length).toBeLessThanOrEqual(4); // maxSurge 1
      expect(ps.filter((p) => image(p) === 'yinzige/kubia:v2')).toHaveLength(3); // maxUnavailable 0: no v2 pod goes
    }
    expect((await pods(s, 'app=kubia')).filter((p) => image(p) === 'yinzige/kubia:v3')).toHaveLength(1);
    // progressDeadlineSeconds (600 by default) passes: the rollout is reported stuck.
    await s.env.clock.advance(600_000);
    await waitFor(s.env, async () => (await getD(s)).status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'ProgressDeadlineExceeded', 'ProgressDeadlineExceeded');
    expect((await getD(s)).status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');

    // kubectl rollout undo deployment kubia: back to v2, the v3 pod goes.
    expect(await rollbackDeployment(s.client, 'default', 'kubia')).toMatchObject({ revision: 2, rolledBack: true });
    await rollOut(s, 'yinzige/kubia:v2');
    await waitPods(s, 'app=kubia', 3);
    expect((await getD(s)).metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('4');
    // kubectl rollout undo deployment kubia --to-revision=1
    expect(await rollbackDeployment(s.client, 'default', 'kubia', 1)).toMatchObject({ revision: 1, rolledBack: true });
    await rollOut(s, 'yinzige/kubia:v1');
    expect(s.errors).toEqual([]);
  });
});

describe('seed HorizontalPodAutoscaler nginx (cpu 50 % of requests, 1 to 10 replicas) on the seed Deployment', () => {
  it('scales the Deployment up when its pods use twice their request, and writes the status', async () => {
    const s = await setup();
    await apply(s, '002_8cc7607eac0f66d5-02-deployment.yaml');
    await waitPods(s, 'app=nginx', 3);
    await makePodsReady(s.env, 'app=nginx');
    // Each pod requests 100m and uses 100m: 100 % against a 50 % target → 6 replicas.
    for (const p of await pods(s, 'app=nginx')) s.usage.set('default', p.metadata!.name!, { cpu: '100m' });
    await apply(s, '002_8cc7607eac0f66d5-03-horizontalpodautoscaler.yaml');
    await waitFor(s.env, async () => (await s.client.get('apps/v1', 'Deployment', 'default', 'nginx')).spec?.replicas === 6, 'scaled to 6', { stepMs: 1000, maxSteps: 120 });
    await waitPods(s, 'app=nginx', 6);
    const hpa = await s.client.get('autoscaling/v2', 'HorizontalPodAutoscaler', 'default', 'nginx');
    expect(hpa.status?.desiredReplicas).toBe(6);
    const rescale = (await s.client.list('v1', 'Event', { namespace: 'default' })).items.find((e) => e.reason === 'SuccessfulRescale');
    expect(rescale?.message).toMatch(/^New size: 6; reason: cpu resource utilization/);
  });
});

describe('seed ReplicationController kubia (3 replicas)', () => {
  it('keeps 3 pods, replaces a deleted one, and scales to 5 (kubectl scale rc kubia --replicas=5)', async () => {
    const s = await setup();
    await apply(s, '003_bea7a2b1a17eec52-04-replicationcontroller.yaml');
    await waitPods(s, 'app=kubia', 3);
    const [victim] = names(await pods(s, 'app=kubia'));
    await s.client.delete('v1', 'Pod', 'default', victim);
    await waitFor(s.env, async () => {
      const now = names(await pods(s, 'app=kubia'));
      return now.length === 3 && !now.includes(victim);
    }, 'a replacement pod');
    await scale(s, 'v1', 'ReplicationController', 'kubia', 5);
    await waitPods(s, 'app=kubia', 5);
    await makePodsReady(s.env, 'app=kubia');
    await waitFor(s.env, async () => (await s.client.get('v1', 'ReplicationController', 'default', 'kubia')).status?.readyReplicas === 5, 'readyReplicas 5');
  });

  it('lets go of a pod whose label is changed, and makes a new one in its place ("the rc no longer watches it")', async () => {
    const s = await setup();
    await apply(s, '003_bea7a2b1a17eec52-04-replicationcontroller.yaml');
    await waitPods(s, 'app=kubia', 3);
    const [first] = await pods(s, 'app=kubia');
    await s.client.patch('v1', 'Pod', 'default', first.metadata!.name!, { metadata: { labels: { app: 'foo' } } }, { type: 'merge' });
    await waitPods(s, 'app=kubia', 3);
    await waitFor(s.env, async () => !(await s.client.get('v1', 'Pod', 'default', first.metadata!.name!)).metadata?.ownerReferences?.length, 'released');
    expect(await pods(s, 'app=foo')).toHaveLength(1);
  });

  it('keeps its pods when deleted with --cascade=orphan (propagationPolicy Orphan), and they lose their owner reference', async () => {
    const s = await setup();
    await apply(s, '003_bea7a2b1a17eec52-04-replicationcontroller.yaml');
    await waitPods(s, 'app=kubia', 3);
    const before = names(await pods(s, 'app=kubia'));
    await s.client.delete('v1', 'ReplicationController', 'default', 'kubia', { propagationPolicy: 'Orphan' });
    await waitFor(s.env, async () => !(await exists(s, 'v1', 'ReplicationController', 'kubia')), 'rc gone');
    await waitFor(s.env, async () => (await pods(s, 'app=kubia')).every((p) => !p.metadata?.ownerReferences?.length), 'pods orphaned');
    // Long after, they are still there.
    await s.env.clock.advance(60_000);
    expect(names(await pods(s, 'app=kubia'))).toEqual(before);
  });

  it('deletes its pods when deleted in the background (the default of kubectl delete)', async () => {
    const s = await setup();
    await apply(s, '003_bea7a2b1a17eec52-04-replicationcontroller.yaml');
    await waitPods(s, 'app=kubia', 3);
    await s.client.delete('v1', 'ReplicationController', 'default', 'kubia', { propagationPolicy: 'Background' });
    await waitPods(s, 'app=kubia', 0);
  });

  it('deletes the controller only after its pods when deleted in the foreground', async () => {
    const s = await setup();
    await apply(s, '003_bea7a2b1a17eec52-04-replicationcontroller.yaml');
    await waitPods(s, 'app=kubia', 3);
    await s.client.delete('v1', 'ReplicationController', 'default', 'kubia', { propagationPolicy: 'Foreground' });
    await waitFor(s.env, async () => !(await exists(s, 'v1', 'ReplicationController', 'kubia')), 'rc gone');
    expect(await pods(s, 'app=kubia')).toEqual([]);
  });
});

describe('seed ReplicaSet kubia (matchLabels + matchExpressions)', () => {
  it('creates 3 pods with the template labels the expressions select (env exists, ENV does not)', async () => {
    const s = await setup();
    await apply(s, '003_bea7a2b1a17eec52-05-replicaset.yaml');
    await waitPods(s, 'app=kubia,env', 3);
    for (const p of await pods(s, 'app=kubia')) expect(p.metadata?.labels).toEqual({ app: 'kubia', env: 'env_exists' });
  });

  it('adopts a matching orphan pod instead of creating a third', async () => {
    const s = await setup();
    const orphan: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'stray', namespace: 'default', labels: { app: 'kubia', env: 'prod' } },
      spec: { containers: [{ name: 'kubia', image: 'yinzige/kubia' }] },
    };
    await s.client.create(orphan);
    await apply(s, '003_bea7a2b1a17eec52-05-replicaset.yaml');
    await waitFor(s.env, async () => (await s.client.get('v1', 'Pod', 'default', 'stray')).metadata?.ownerReferences?.[0]?.name === 'kubia', 'adopted');
    await waitPods(s, 'app=kubia', 3);
    await s.env.clock.advance(1000);
    expect(await pods(s, 'app=kubia')).toHaveLength(3);
  });

  it('leaves a pod the expressions exclude alone (it has ENV)', async () => {
    const s = await setup();
    await s.client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'excluded', namespace: 'default', labels: { app: 'kubia', env: 'x', ENV: 'y' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    await apply(s, '003_bea7a2b1a17eec52-05-replicaset.yaml');
    await waitPods(s, 'app=kubia,!ENV', 3);
    expect((await s.client.get('v1', 'Pod', 'default', 'excluded')).metadata?.ownerReferences).toBeUndefined();
  });

  it('scales down, deleting not-ready pods before ready ones', async () => {
    const s = await setup();
    await apply(s, '003_bea7a2b1a17eec52-05-replicaset.yaml');
    await waitPods(s, 'app=kubia', 3);
    const [keep] = await pods(s, 'app=kubia');
    await setPhase(s.client, keep, 'Running');
    await scale(s, 'apps/v1', 'ReplicaSet', 'kubia', 1);
    await waitPods(s, 'app=kubia', 1);
    expect(names(await pods(s, 'app=kubia'))).toEqual([keep.metadata?.name]);
  });
  it('scales up to 5, replaces a deleted pod, and keeps 5', async () => {
    const s = await setup();
    await apply(s, '003_bea7a2b1a17eec52-05-replicaset.yaml');
    await waitPods(s, 'app=kubia', 3);
    await scale(s, 'apps/v1', 'ReplicaSet', 'kubia', 5);
    await waitPods(s, 'app=kubia', 5);
    const [gone] = names(await pods(s, 'app=kubia'));
    await s.client.delete('v1', 'Pod', 'default', gone);
    await waitFor(s.env, async () => {
      const now = names(await pods(s, 'app=kubia'));
      return now.length === 5 && !now.includes(gone);
    }, 'a replacement pod');
    await s.env.clock.advance(1000);
    expect(await pods(s, 'app=kubia')).toHaveLength(5);
  });

  it.each([
    ['background (the default): the pods go with it', 'Background' as const, 0],
    ['--cascade=orphan: the pods stay, without an owner', 'Orphan' as const, 3],
  ])('when deleted %s', async (_n, propagationPolicy, left) => {
    const s = await setup();
    await apply(s, '003_bea7a2b1a17eec52-05-replicaset.yaml');
    await waitPods(s, 'app=kubia', 3);
    await s.client.delete('apps/v1', 'ReplicaSet', 'default', 'kubia', { propagationPolicy });
    await waitFor(s.env, async () => !(await exists(s, 'apps/v1', 'ReplicaSet', 'kubia')), 'ReplicaSet gone');
    await waitPods(s, 'app=kubia', left);
    await waitFor(s.env, async () => (await pods(s, 'app=kubia')).every((p) => !p.metadata?.ownerReferences?.length), 'owner references removed');
    await s.env.clock.advance(1000);
    expect(await pods(s, 'app=kubia')).toHaveLength(left);
  });
});

describe('seed Job batch-job (completions 5, parallelism 2)', () => {
  it('runs 5 pods to completion, never more than 2 at once, and completes', async () => {
    const s = await setup();
    await apply(s, '003_bea7a2b1a17eec52-07-job.yaml');
    const active = async () => (await pods(s, 'app=batch-job')).filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
    let finished = 0;
    const seenNames = new Set<string>();
    while (finished < 5) {
      await waitFor(s.env, async () => (await active()).length === Math.min(2, 5 - finished), `${Math.min(2, 5 - finished)} active pods`);
      const act = await active();
      expect(act.length).toBeLessThanOrEqual(2);
      // The test plays the node agent: the first active pod's container exits 0.
      seenNames.add(act[0].metadata!.name!);
      await setPhase(s.client, act[0], 'Succeeded');
      finished++;
      await waitFor(s.env, async () => (await s.client.get('batch/v1', 'Job', 'default', 'batch-job')).status?.succeeded === finished, `succeeded ${finished}`);
    }
    await waitFor(s.env, async () => ((await s.client.get('batch/v1', 'Job', 'default', 'batch-job')) as Job).status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') === true, 'Complete');
    const job = (await s.client.get('batch/v1', 'Job', 'default', 'batch-job')) as Job;
    expect(job.status).toMatchObject({ succeeded: 5 });
    expect(job.status?.active ?? 0).toBe(0);
    expect(seenNames.size).toBe(5);
    expect(await active()).toEqual([]);
  });

  it('replaces a failed pod (restartPolicy OnFailure: the pod restarts in place; a pod lost entirely is recreated)', async () => {
    const s = await setup();
    await apply(s, '003_bea7a2b1a17eec52-07-job.yaml');
    await waitPods(s, 'app=batch-job', 2);
    const [lost] = names(await pods(s, 'app=batch-job'));
    await s.client.delete('v1', 'Pod', 'default', lost);
    await waitFor(s.env, async () => {
      const now = names((await pods(s, 'app=batch-job')).filter((p) => p.status?.phase !== 'Succeeded'));
      return now.length === 2 && !now.includes(lost);
    }, 'a replacement pod', { stepMs: 1000, maxSteps: 400 });
  });
});

describe('seed CronJob cron-batch-job (batch/v1beta1, every minute)', () => {
  it('is stored as batch/v1 and starts one Job per minute of fake time, named after the minute', async () => {
    const s = await setup();
    await apply(s, '003_bea7a2b1a17eec52-08-cronjob.yaml');
    const cj = await s.client.get('batch/v1', 'CronJob', 'default', 'cron-batch-job');
    expect(cj.apiVersion).toBe('batch/v1');
    const start = s.env.clock.now();
    const jobNames = async () => (await s.client.list('batch/v1', 'Job', { namespace: 'default' })).items.map((j) => j.metadata?.name).sort();
    for (let minute = 1; minute <= 3; minute++) {
      await s.env.clock.advance(60_000);
      const expected = cronJobName(cj, start + minute * 60_000);
      await waitFor(s.env, async () => (await jobNames()).includes(expected), `job ${expected}`);
    }
    expect(await jobNames()).toHaveLength(3);
    // Each Job runs its pod (the Job controller, through the same manager).
    await waitPods(s, 'app=cron-batch-job', 3);
    const after = await s.client.get('batch/v1', 'CronJob', 'default', 'cron-batch-job');
    expect(after.status?.lastScheduleTime).toBe(rfc3339(start + 3 * 60_000));
    expect(after.status?.active).toHaveLength(3);
  });
});

describe('seed DaemonSet ssd-monitor (nodeSelector disk: ssd)', () => {
  it('runs one pod per node labelled disk=ssd, follows label changes and node removal, and has no replicas to scale', async () => {
    const s = await setup();
    await s.client.create(node('node-1', { disk: 'ssd' }));
    await s.client.create(node('node-2'));
    await s.client.create(node('node-3', { disk: 'ssd' }));
    await apply(s, '003_bea7a2b1a17eec52-06-daemonset.yaml');
    const nodesOf = async () => (await pods(s, 'app=ssd-monitor')).map((p) => daemonPodNode(p)).sort();
    await waitFor(s.env, async () => JSON.stringify(await nodesOf()) === JSON.stringify(['node-1', 'node-3']), 'pods on node-1 and node-3');

    // kubectl label node node-2 disk=ssd
    await s.client.patch('v1', 'Node', '', 'node-2', { metadata: { labels: { disk: 'ssd' } } }, { type: 'merge' });
    await waitFor(s.env, async () => JSON.stringify(await nodesOf()) === JSON.stringify(['node-1', 'node-2', 'node-3']), 'a pod on node-2');

    // kubectl label node node-1 disk=hdd --overwrite
    await s.client.patch('v1', 'Node', '', 'node-1', { metadata: { labels: { disk: 'hdd' } } }, { type: 'merge' });
    await waitFor(s.env, async () => JSON.stringify(await nodesOf()) === JSON.stringify(['node-2', 'node-3']), 'the pod on node-1 removed');

    await s.client.delete('v1', 'Node', '', 'node-3');
    await waitFor(s.env, async () => JSON.stringify(await nodesOf()) === JSON.stringify(['node-2']), 'the pod on node-3 removed');

    // kubectl delete pod: the daemon pod comes back on its node.
    const [lost] = await pods(s, 'app=ssd-monitor');
    await s.client.delete('v1', 'Pod', 'default', lost.metadata!.name!);
    await waitFor(s.env, async () => {
      const now = await pods(s, 'app=ssd-monitor');
      return now.length === 1 && now[0].metadata?.name !== lost.metadata?.name && daemonPodNode(now[0]) === 'node-2';
    }, 'the daemon pod back on node-2');

    const err = await s.client.getScale('apps/v1', 'DaemonSet', 'default', 'ssd-monitor').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    // Without a scheduler the pods stay unbound and Pending (the scheduler binds them).
    for (const p of await pods(s, 'app=ssd-monitor')) expect(p.spec?.nodeName).toBeUndefined();
  });
});

describe('seed StatefulSets (kubia with claim data, sleep with claim sleep-volume)', () => {
  it.each([
    ['kubia', '003_bea7a2b1a17eec52-31-statefulset.yaml', 'app=kubia', 'data'],
    ['sleep', '002_8cc7607eac0f66d5-06-statefulset.yaml', 'app=sleep', 'sleep-volume'],
  ])('%s: creates <name>-0 then, once it is Running and Ready, <name>-1, each after its claim <claim>-<name>-<ordinal>', async (name, file, selector, claim) => {
    const s = await setup();
    await apply(s, file);
    await waitPods(s, selector, 1);
    expect(names(await pods(s, selector))).toEqual([`${name}-0`]);
    expect(await exists(s, 'v1', 'PersistentVolumeClaim', `${claim}-${name}-0`)).toBe(true);
    // OrderedReady: nothing more while the first is not ready.
    await s.env.clock.advance(5000);
    expect(names(await pods(s, selector))).toEqual([`${name}-0`]);
    await makePodsReady(s.env, selector);
    await waitPods(s, selector, 2);
    expect(names(await pods(s, selector))).toEqual([`${name}-0`, `${name}-1`]);
    expect(await exists(s, 'v1', 'PersistentVolumeClaim', `${claim}-${name}-1`)).toBe(true);
    const pod0 = await s.client.get('v1', 'Pod', 'default', `${name}-0`);
    expect(pod0.spec?.hostname).toBe(`${name}-0`);
    expect(pod0.spec?.subdomain).toBe(name);
    expect(pod0.spec?.volumes?.find((v) => v.name === claim)?.persistentVolumeClaim?.claimName).toBe(`${claim}-${name}-0`);
  });

  it('recreates a deleted pod with the same name and the same claim, scales up to the next ordinal after its claim, and keeps claims when scaled down', async () => {
    const s = await setup();
    await apply(s, '003_bea7a2b1a17eec52-31-statefulset.yaml');
    await waitPods(s, 'app=kubia', 1);
    await makePodsReady(s.env, 'app=kubia');
    await waitPods(s, 'app=kubia', 2);
    await makePodsReady(s.env, 'app=kubia');
    const old = await s.client.get('v1', 'Pod', 'default', 'kubia-0');
    await s.client.delete('v1', 'Pod', 'default', 'kubia-0');
    await waitFor(s.env, async () => (await s.client.get('v1', 'Pod', 'default', 'kubia-0').catch(() => undefined))?.metadata?.uid !== undefined && (await s.client.get('v1', 'Pod', 'default', 'kubia-0')).metadata?.uid !== old.metadata?.uid, 'kubia-0 recreated');
    const again = await s.client.get('v1', 'Pod', 'default', 'kubia-0');
    expect(again.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName).toBe('data-kubia-0');
    await makePodsReady(s.env, 'app=kubia');

    // kubectl scale statefulset kubia --replicas=3: the next ordinal, after its claim.
    await scale(s, 'apps/v1', 'StatefulSet', 'kubia', 3);
    await waitPods(s, 'app=kubia', 3);
    expect(names(await pods(s, 'app=kubia'))).toEqual(['kubia-0', 'kubia-1', 'kubia-2']);
    expect(await exists(s, 'v1', 'PersistentVolumeClaim', 'data-kubia-2')).toBe(true);
    await makePodsReady(s.env, 'app=kubia');

    await scale(s, 'apps/v1', 'StatefulSet', 'kubia', 1);
    await waitPods(s, 'app=kubia', 1);
    expect(names(await pods(s, 'app=kubia'))).toEqual(['kubia-0']);
    // PVC retention Retain: the claims of the removed ordinals stay.
    expect(await exists(s, 'v1', 'PersistentVolumeClaim', 'data-kubia-1')).toBe(true);
    expect(await exists(s, 'v1', 'PersistentVolumeClaim', 'data-kubia-2')).toBe(true);
    const sts = (await s.client.get('apps/v1', 'StatefulSet', 'default', 'kubia')) as StatefulSet;
    await waitFor(s.env, async () => ((await s.client.get('apps/v1', 'StatefulSet', 'default', 'kubia')) as StatefulSet).status?.replicas === 1, 'status.replicas 1');
    expect(sts.spec?.replicas).toBe(1);
  });
});

describe('namespaces', () => {
  it('a deleted namespace empties itself (a Deployment and its pods) and then goes away', async () => {
    const s = await setup();
    await apply(s, '003_bea7a2b1a17eec52-02-namespace.yaml');
    const ns = (await s.client.list('v1', 'Namespace')).items.find((n) => !['default', 'kube-system', 'kube-public', 'kube-node-lease'].includes(n.metadata?.name ?? ''))!;
    const name = ns.metadata!.name!;
    await waitFor(s.env, () => exists(s, 'v1', 'ServiceAccount', 'default', name), 'default ServiceAccount');
    const text = seed('002_8cc7607eac0f66d5-02-deployment.yaml');
    await applyManifests(s.client, text, { namespace: name });
    const inNs = async () => (await s.client.list('v1', 'Pod', { namespace: name })).items.length;
    await waitFor(s.env, async () => (await inNs()) === 3, '3 pods in the namespace');
    await s.client.delete('v1', 'Namespace', '', name);
    await waitFor(s.env, async () => !(await exists(s, 'v1', 'Namespace', name, '')), 'namespace gone', { stepMs: 200, maxSteps: 400 });
    expect(await inNs()).toBe(0);
  });
});
