import { type Job, type Pod } from '@bosun/api';
import { applyManifests, type Client } from '@bosun/apiserver';
import { describe, expect, it } from 'vitest';
import { JOB_TRACKING_FINALIZER, addJobController, formatIndexes, jobBackoffDelay, parseIndexes } from './job';
import { events, listPods, podCreateRefusal, seed, setPodStatus, startHarness, until, settle } from './testing';

const getJob = (client: Client, name: string) => client.get('batch/v1', 'Job', 'default', name);
const jobPods = async (client: Client, name: string) => (await listPods(client, `batch.kubernetes.io/job-name=${name}`)).filter((p) => !p.metadata?.deletionTimestamp);
const activePods = async (client: Client, name: string) => (await jobPods(client, name)).filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
const cond = (job: Job, type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');

function job(name: string, spec: Partial<NonNullable<Job['spec']>> & { restartPolicy?: 'Never' | 'OnFailure' } = {}): Job {
  const { restartPolicy = 'Never', ...rest } = spec;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: { ...rest, template: { spec: { restartPolicy, containers: [{ name: 'main', image: 'busybox' }] } } },
  };
}

describe('backoff helpers', () => {
  it.each([
    [1, 10_000],
    [2, 20_000],
    [3, 40_000],
    [6, 320_000],
    [7, 360_000],
    [20, 360_000],
  ])('after %i failures the recreate delay is %i ms', (n, ms) => expect(jobBackoffDelay(n)).toBe(ms));

  it.each([
    ['', []],
    ['0', [0]],
    ['1,3-5,7', [1, 3, 4, 5, 7]],
  ])('completedIndexes %j round-trips', (text, list) => {
    expect([...parseIndexes(text)]).toEqual(list);
    expect(formatIndexes(list)).toBe(text);
  });
});

describe('Job controller', () => {
  it('runs the seed batch-job (completions 5, parallelism 2) with never more than 2 active pods', async () => {
    await using h = await startHarness(addJobController);
    const { client } = h;
    // Observe every pod change through a watch: the active count must never exceed 2.
    const watchStop = new AbortController();
    const activeNow = new Set<string>();
    let maxWatched = 0;
    const watching = (async () => {
      for await (const ev of client.watch('v1', 'Pod', { namespace: 'default', labelSelector: 'job-name=batch-job', signal: watchStop.signal })) {
        const p = ev.object;
        const active = ev.type !== 'DELETED' && !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
        if (active) activeNow.add(p.metadata!.name!);
        else activeNow.delete(p.metadata!.name!);
        maxWatched = Math.max(maxWatched, activeNow.size);
      }
    })();
    await applyManifests(client, seed('003_bea7a2b1a17eec52-07-job.yaml'));
    let maxActive = 0;
    for (let done = 0; done < 5; ) {
      await until(async () => (await activePods(client, 'batch-job')).length === Math.min(2, 5 - done), `${Math.min(2, 5 - done)} active pods`);
      const act = await activePods(client, 'batch-job');
      maxActive = Math.max(maxActive, act.length);
      await setPodStatus(client, act[0]!, { phase: 'Succeeded' });
      done++;
      await until(async () => ((await getJob(client, 'batch-job')).status?.succeeded ?? 0) === done, `succeeded=${done}`);
      maxActive = Math.max(maxActive, (await activePods(client, 'batch-job')).length);
    }
    await until(async () => !!cond(await getJob(client, 'batch-job'), 'Complete'), 'Complete');
    const j = await getJob(client, 'batch-job');
    expect(maxActive).toBe(2);
    watchStop.abort();
    await watching;
    expect(maxWatched).toBe(2);
    expect(j.status).toMatchObject({ succeeded: 5, failed: 0, active: 0 });
    expect(j.status?.completionTime).toBeDefined();
    const pods = await jobPods(client, 'batch-job');
    expect(pods).toHaveLength(5);
    for (const p of pods) {
      expect(p.metadata?.labels).toMatchObject({ app: 'batch-job', 'batch.kubernetes.io/controller-uid': j.metadata?.uid, 'controller-uid': j.metadata?.uid, 'job-name': 'batch-job' });
      expect(p.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'Job', name: 'batch-job', controller: true, blockOwnerDeletion: true })]);
      expect(p.metadata?.finalizers ?? []).not.toContain(JOB_TRACKING_FINALIZER);
    }
    expect((await events(client, 'SuccessfulCreate')).map((e) => e.message)).toContain(`Created pod: ${pods[0]!.metadata?.name}`);
    expect(await events(client, 'Completed')).toHaveLength(1);
  });

  it.each([
    ['job-wq-1 (completions 8, parallelism 2)', '000_6def2a58bcfc55b9-02-job.yaml', 'job-wq-1', 2],
    ['job-wq-2 (work queue, parallelism 2)', '000_6def2a58bcfc55b9-03-job.yaml', 'job-wq-2', 2],
    ['sleep (one pod)', '002_8cc7607eac0f66d5-04-job.yaml', 'sleep', 1],
    ['process-item-apple (the template with $ITEM expanded)', '000_6def2a58bcfc55b9-01-job.yaml', 'process-item-apple', 1],
  ])('starts the seed job %s with its parallelism of pods', async (_name, file, name, n) => {
    await using h = await startHarness(addJobController);
    await applyManifests(h.client, seed(file).replaceAll('$ITEM', 'apple'));
    await until(async () => (await activePods(h.client, name)).length === n, `${n} pods`);
    const pods = await activePods(h.client, name);
    expect(pods.every((p) => p.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER))).toBe(true);
    await until(async () => (await getJob(h.client, name)).status?.active === n, 'status.active');
    expect((await getJob(h.client, name)).status?.startTime).toBeDefined();
  });

  it('completes a work-queue job once one pod succeeded and none is active, without starting more', async () => {
    await using h = await startHarness(addJobController);
    const { client } = h;
    await client.create(job('wq', { parallelism: 2 }));
    await until(async () => (await activePods(client, 'wq')).length === 2, '2 pods');
    const [a, b] = await activePods(client, 'wq');
    await setPodStatus(client, a!, { phase: 'Succeeded' });
    await until(async () => (await getJob(client, 'wq')).status?.succeeded === 1, 'one success');
    expect(await activePods(client, 'wq')).toHaveLength(1);
    expect(cond(await getJob(client, 'wq'), 'Complete')).toBeUndefined();
    await setPodStatus(client, b!, { phase: 'Succeeded' });
    await until(async () => !!cond(await getJob(client, 'wq'), 'Complete'), 'Complete');
    expect(await jobPods(client, 'wq')).toHaveLength(2);
  });

  it('fails with BackoffLimitExceeded after backoffLimit+1 failed pods, recreating after 10 s then 20 s of clock time', async () => {
    await using h = await startHarness(addJobController);
    const { client, clock } = h;
    await client.create(job('flaky', { backoffLimit: 2 }));
    const delays = [10_000, 20_000];
    for (let i = 0; i < 3; i++) {
      await until(async () => (await activePods(client, 'flaky')).length === 1, `pod ${i + 1}`);
      await setPodStatus(client, (await activePods(client, 'flaky'))[0]!, { phase: 'Failed' });
      await until(async () => (await getJob(client, 'flaky')).status?.failed === i + 1, `failed=${i + 1}`);
      if (i === 2) break;
      await clock.advance(delays[i]! - 1000);
      await settle();
      expect(await activePods(client, 'flaky')).toHaveLength(0);
      await clock.advance(1000);
    }
    await until(async () => !!cond(await getJob(client, 'flaky'), 'Failed'), 'Failed');
    const j = await getJob(client, 'flaky');
    expect(cond(j, 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(j.status?.failed).toBe(3);
    expect(await events(client, 'BackoffLimitExceeded')).toHaveLength(1);
  });

  it('fails a restartPolicy OnFailure job when container restarts reach backoffLimit', async () => {
    await using h = await startHarness(addJobController);
    const { client } = h;
    await client.create(job('crashy', { backoffLimit: 3, restartPolicy: 'OnFailure' }));
    await until(async () => (await activePods(client, 'crashy')).length === 1, 'pod');
    const pod = (await activePods(client, 'crashy'))[0]!;
    await setPodStatus(client, pod, { phase: 'Running', restartCount: 2 });
    await until(async () => (await getJob(client, 'crashy')).status?.ready === 1, 'ready');
    expect(cond(await getJob(client, 'crashy'), 'Failed')).toBeUndefined();
    await setPodStatus(client, pod, { phase: 'Running', restartCount: 3 });
    await until(async () => !!cond(await getJob(client, 'crashy'), 'Failed'), 'Failed');
    expect(cond(await getJob(client, 'crashy'), 'Failed')?.reason).toBe('BackoffLimitExceeded');
    await until(async () => (await activePods(client, 'crashy')).length === 0, 'pods deleted');
  });

  it('fails with DeadlineExceeded once activeDeadlineSeconds passed on the clock and deletes the active pods', async () => {
    await using h = await startHarness(addJobController);
    const { client, clock } = h;
    await client.create(job('slow', { activeDeadlineSeconds: 30, parallelism: 2, completions: 4 }));
    await until(async () => (await activePods(client, 'slow')).length === 2, '2 pods');
    await clock.advance(29_000);
    await settle();
    expect(cond(await getJob(client, 'slow'), 'Failed')).toBeUndefined();
    await clock.advance(1_000);
    await until(async () => !!cond(await getJob(client, 'slow'), 'Failed'), 'Failed');
    expect(cond(await getJob(client, 'slow'), 'Failed')).toMatchObject({ reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    await until(async () => (await listPods(client, 'job-name=slow')).length === 0, 'pods deleted');
    expect((await getJob(client, 'slow')).status?.failed ?? 0).toBe(0);
  });

  it('counts a pod deleted before it finished as failed (tracking finalizer) and replaces it', async () => {
    await using h = await startHarness(addJobController);
    const { client, clock } = h;
    await client.create(job('victim', { backoffLimit: 5 }));
    await until(async () => (await activePods(client, 'victim')).length === 1, 'pod');
    const pod = (await activePods(client, 'victim'))[0]!;
    await client.delete('v1', 'Pod', 'default', pod.metadata!.name!);
    await until(async () => (await getJob(client, 'victim')).status?.failed === 1, 'failed=1');
    await until(async () => (await listPods(client, 'job-name=victim')).every((p) => p.metadata?.name !== pod.metadata?.name), 'deleted pod gone');
    await clock.advance(10_000);
    await until(async () => (await activePods(client, 'victim')).length === 1, 'replacement');
  });

  it('suspends (deleting active pods, condition Suspended) and resumes', async () => {
    await using h = await startHarness(addJobController);
    const { client } = h;
    await client.create(job('pausable', { parallelism: 2, completions: 2 }));
    await until(async () => (await activePods(client, 'pausable')).length === 2, '2 pods');
    await client.patch('batch/v1', 'Job', 'default', 'pausable', { spec: { suspend: true } });
    await until(async () => !!cond(await getJob(client, 'pausable'), 'Suspended'), 'Suspended');
    await until(async () => (await listPods(client, 'job-name=pausable')).length === 0, 'pods deleted');
    expect((await getJob(client, 'pausable')).status).toMatchObject({ active: 0, failed: 0 });
    await client.patch('batch/v1', 'Job', 'default', 'pausable', { spec: { suspend: false } });
    await until(async () => (await activePods(client, 'pausable')).length === 2, 'pods again');
    // The status is written after the pods are created: wait for it rather than race it.
    await until(async () => (await getJob(client, 'pausable')).status?.conditions?.find((c) => c.type === 'Suspended')?.status === 'False', 'Suspended False');
    expect((await getJob(client, 'pausable')).status?.conditions?.find((c) => c.type === 'Suspended')).toMatchObject({ status: 'False', reason: 'JobResumed' });
  });

  it('deletes a finished job after ttlSecondsAfterFinished of clock time', async () => {
    await using h = await startHarness(addJobController);
    const { client, clock } = h;
    await client.create(job('shortlived', { ttlSecondsAfterFinished: 60 }));
    await until(async () => (await activePods(client, 'shortlived')).length === 1, 'pod');
    await setPodStatus(client, (await activePods(client, 'shortlived'))[0]!, { phase: 'Succeeded' });
    await until(async () => !!cond(await getJob(client, 'shortlived'), 'Complete'), 'Complete');
    await clock.advance(59_000);
    await settle();
    await expect(getJob(client, 'shortlived')).resolves.toBeDefined();
    await clock.advance(1_000);
    await until(async () => (await client.list('batch/v1', 'Job', { namespace: 'default' })).items.length === 0, 'job deleted');
  });

  it('runs an Indexed job with one pod per index, hostname <job>-<index>, and completedIndexes', async () => {
    await using h = await startHarness(addJobController);
    const { client } = h;
    await client.create(job('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }));
    await until(async () => (await activePods(client, 'idx')).length === 3, '3 pods');
    const pods: Pod[] = await activePods(client, 'idx');
    const indexes = pods.map((p) => p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index']).sort();
    expect(indexes).toEqual(['0', '1', '2']);
    expect(pods.map((p) => p.spec?.hostname).sort()).toEqual(['idx-0', 'idx-1', 'idx-2']);
    const one = pods.find((p) => p.metadata?.labels?.['batch.kubernetes.io/job-completion-index'] === '1')!;
    await setPodStatus(client, one, { phase: 'Succeeded' });
    await until(async () => (await getJob(client, 'idx')).status?.completedIndexes === '1', 'index 1 done');
    for (const p of pods.filter((x) => x !== one)) await setPodStatus(client, p, { phase: 'Succeeded' });
    await until(async () => !!cond(await getJob(client, 'idx'), 'Complete'), 'Complete');
    expect((await getJob(client, 'idx')).status).toMatchObject({ completedIndexes: '0-2', succeeded: 3 });
  });

  it.each([
    ['a quota refusal (403)', 'quota' as const, /^Error creating: .*exceeded quota/],
    ['an invalid pod (422)', 'invalid' as const, /^Error creating: .*Required value/],
  ])('records FailedCreate for %s, counts no phantom pod, and starts the pods once creation is allowed', async (_n, kind, message) => {
    const refusal = podCreateRefusal(kind);
    await using h = await startHarness(addJobController, { admission: refusal.admission });
    const { client, clock } = h;
    await client.create(job('refused', { completions: 2, parallelism: 2 }));
    await until(async () => (await events(client, 'FailedCreate')).length > 0, 'FailedCreate');
    const [warning] = await events(client, 'FailedCreate');
    expect(warning).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Job', name: 'refused' } });
    expect(warning!.message).toMatch(message);
    await settle();
    expect((await getJob(client, 'refused')).status?.active ?? 0).toBe(0);
    refusal.refuse(false);
    for (let i = 0; i < 20 && (await activePods(client, 'refused')).length < 2; i++) {
      await clock.advance(1000);
      await settle();
    }
    expect(await activePods(client, 'refused')).toHaveLength(2);
    await until(async () => (await getJob(client, 'refused')).status?.active === 2, 'active 2');
    // The refused creations were logged as reconcile errors: expected here.
    expect(h.errors.length).toBeGreaterThan(0);
    h.errors.length = 0;
  });

  it('starts no pod while being deleted', async () => {
    await using h = await startHarness(addJobController);
    const { client } = h;
    await client.create({ ...job('held', { completions: 2, parallelism: 1 }), metadata: { name: 'held', namespace: 'default', finalizers: ['example.com/hold'] } });
    await until(async () => (await activePods(client, 'held')).length === 1, 'one pod');
    await client.delete('batch/v1', 'Job', 'default', 'held');
    await until(async () => !!(await getJob(client, 'held')).metadata?.deletionTimestamp, 'terminating');
    await setPodStatus(client, (await activePods(client, 'held'))[0]!, { phase: 'Succeeded' });
    await until(async () => (await getJob(client, 'held')).status?.succeeded === 1, 'succeeded counted');
    await settle(200);
    expect(await activePods(client, 'held')).toEqual([]);
    await client.patch('batch/v1', 'Job', 'default', 'held', { metadata: { finalizers: null } });
  });
});
