import { parseCron, rfc3339, type CronJob, type Job } from '@bosun/api';
import { applyManifests, type Client } from '@bosun/apiserver';
import { describe, expect, it } from 'vitest';
import { CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION, addCronJobController, cronJobName, missedScheduleTimes } from './cronjob';
import { events, seed, startHarness, until, settle } from './testing';

const START = Date.parse('2026-01-01T00:00:00Z');
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const minuteName = (cj: string, ms: number) => `${cj}-${Math.floor(ms / MIN)}`;

const jobs = async (client: Client) =>
  (await client.list('batch/v1', 'Job', { namespace: 'default' })).items.filter((j) => !j.metadata?.deletionTimestamp).sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
const getCron = (client: Client, name: string) => client.get('batch/v1', 'CronJob', 'default', name);

async function finishJob(client: Client, job: Job, type: 'Complete' | 'Failed', at: number): Promise<void> {
  const cur = await client.get('batch/v1', 'Job', 'default', job.metadata!.name!);
  const t = rfc3339(at);
  await client.updateStatus({
    ...cur,
    status: {
      ...cur.status,
      startTime: cur.status?.startTime ?? t,
      ...(type === 'Complete' ? { completionTime: t, succeeded: 1 } : { failed: 1 }),
      conditions: [{ type, status: 'True', lastTransitionTime: t, lastProbeTime: t }],
    },
  } as Job);
}

function cron(name: string, spec: Partial<NonNullable<CronJob['spec']>> = {}): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'default' },
    spec: {
      schedule: '*/1 * * * *',
      ...spec,
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } },
    },
  };
}

describe('schedule helpers', () => {
  it.each([
    ['every minute over 5 minutes', '*/1 * * * *', 0, 5 * MIN, 5, 5 * MIN],
    ['daily at 03:00 within a day', '0 3 * * *', 0, 24 * 60 * MIN, 1, 3 * 60 * MIN],
    ['nothing yet', '0 3 * * *', 0, 60 * MIN, 0, undefined],
    ['exactly 100 every minute', '* * * * *', 0, 100 * MIN, 100, 100 * MIN],
    ['101 every minute', '* * * * *', 0, 101 * MIN, 101, 101 * MIN],
    // Regression: counting one by one stopped after 1,000,000 times and returned a wrong latest.
    ['every minute for two years (1,051,200 times)', '* * * * *', 0, 730 * DAY + 30_000, 730 * 24 * 60, 730 * DAY],
    ['weekdays at 03:00 for a year, ending on a Sunday', '0 3 * * 1-5', 0, 367 * DAY + 12 * 60 * MIN, undefined, 365 * DAY + 3 * 60 * MIN],
  ])('counts missed times: %s', (_n, text, from, to, count, latest) => {
    const r = missedScheduleTimes(parseCron(text), START + from, START + to);
    // Past 100 the count is an estimate: only "more than 100" matters.
    if (count === undefined || count > 101) expect(r.count).toBeGreaterThan(100);
    else expect(r.count).toBe(count);
    if (count !== undefined && count > 101) expect(Math.abs(r.count - count) / count).toBeLessThan(0.01);
    expect(r.latest).toBe(latest === undefined ? undefined : START + latest);
  });

  it('names a job after its schedule time in minutes since the epoch', () => {
    expect(cronJobName(cron('x'), START + 90_000)).toBe(`x-${START / MIN + 1}`);
  });
});

describe('CronJob controller', () => {
  it('runs the seed cron-batch-job every minute over 5 fake minutes with deterministic names, and keeps 3 successful jobs', async () => {
    await using h = await startHarness(addCronJobController);
    const { client, clock } = h;
    await applyManifests(client, seed('003_bea7a2b1a17eec52-08-cronjob.yaml'));
    const created: string[] = [];
    for (let m = 1; m <= 5; m++) {
      await clock.advance(MIN);
      const name = minuteName('cron-batch-job', START + m * MIN);
      created.push(name);
      await until(async () => (await jobs(client)).some((j) => j.metadata?.name === name), `job ${name}`);
      const job = (await jobs(client)).find((j) => j.metadata?.name === name)!;
      expect(job.metadata?.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]).toBe(rfc3339(START + m * MIN));
      expect(job.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name: 'cron-batch-job', controller: true });
      expect(job.spec?.template?.metadata?.labels).toEqual({ app: 'cron-batch-job' });
      await until(async () => (await getCron(client, 'cron-batch-job')).status?.active?.some((r) => r.name === name) === true, 'active ref');
      await finishJob(client, job, 'Complete', clock.now() + 1000);
      await until(async () => !(await getCron(client, 'cron-batch-job')).status?.active?.length, 'no active job');
    }
    await until(async () => (await jobs(client)).length === 3, 'history trimmed to 3');
    expect((await jobs(client)).map((j) => j.metadata?.name)).toEqual(created.slice(2));
    const st = (await getCron(client, 'cron-batch-job')).status;
    expect(st?.lastScheduleTime).toBe(rfc3339(START + 5 * MIN));
    expect(st?.lastSuccessfulTime).toBe(rfc3339(START + 5 * MIN + 1000));
    expect((await events(client, 'SuccessfulCreate')).map((e) => e.message)).toContain(`Created job ${created[0]}`);
    expect((await events(client, 'SuccessfulDelete')).map((e) => e.message).sort()).toEqual([`Deleted job ${created[0]}`, `Deleted job ${created[1]}`]);
    expect(await events(client, 'SawCompletedJob')).not.toHaveLength(0);
  });

  it('keeps failedJobsHistoryLimit failed jobs', async () => {
    await using h = await startHarness(addCronJobController);
    const { client, clock } = h;
    await client.create(cron('flaky', { failedJobsHistoryLimit: 1 }));
    for (let m = 1; m <= 3; m++) {
      await clock.advance(MIN);
      const name = minuteName('flaky', START + m * MIN);
      await until(async () => (await jobs(client)).some((j) => j.metadata?.name === name), name);
      await finishJob(client, (await jobs(client)).find((j) => j.metadata?.name === name)!, 'Failed', clock.now());
    }
    await until(async () => (await jobs(client)).length === 1, 'one failed job kept');
    expect((await jobs(client))[0]!.metadata?.name).toBe(minuteName('flaky', START + 3 * MIN));
  });

  it.each([
    ['Allow', 2, ['a', 'b']],
    ['Forbid', 1, ['a']],
    ['Replace', 1, ['b']],
  ] as const)('with concurrencyPolicy %s and a job still running, the next minute leaves %i job(s)', async (policy, n, which) => {
    await using h = await startHarness(addCronJobController);
    const { client, clock } = h;
    await client.create(cron('cc', { concurrencyPolicy: policy }));
    const names = { a: minuteName('cc', START + MIN), b: minuteName('cc', START + 2 * MIN) };
    await clock.advance(MIN);
    await until(async () => (await jobs(client)).length === 1, 'first job');
    await clock.advance(MIN);
    if (policy === 'Forbid') await until(async () => (await events(client, 'JobAlreadyActive')).length === 1, 'JobAlreadyActive');
    else await until(async () => (await jobs(client)).some((j) => j.metadata?.name === names.b), 'second job');
    await until(async () => (await jobs(client)).length === n, `${n} jobs`);
    expect((await jobs(client)).map((j) => j.metadata?.name)).toEqual(which.map((w) => names[w]));
    await until(async () => (await getCron(client, 'cc')).status?.active?.length === n, 'active refs');
  });

  it('with Forbid, starts the held-back run once the running job finishes', async () => {
    await using h = await startHarness(addCronJobController);
    const { client, clock } = h;
    await client.create(cron('fb', { concurrencyPolicy: 'Forbid' }));
    await clock.advance(2 * MIN);
    await until(async () => (await jobs(client)).length === 1, 'first job');
    await until(async () => (await events(client, 'JobAlreadyActive')).length === 1, 'held back');
    await finishJob(client, (await jobs(client))[0]!, 'Complete', clock.now());
    await until(async () => (await jobs(client)).some((j) => j.metadata?.name === minuteName('fb', START + 2 * MIN)), 'held-back run');
  });

  it('does nothing while suspended, then starts only the latest missed run', async () => {
    await using h = await startHarness(addCronJobController);
    const { client, clock } = h;
    await client.create(cron('sus', { suspend: true }));
    await clock.advance(3 * MIN + 30_000);
    await settle();
    expect(await jobs(client)).toHaveLength(0);
    await client.patch('batch/v1', 'CronJob', 'default', 'sus', { spec: { suspend: false } });
    await until(async () => (await jobs(client)).length === 1, 'one job');
    expect((await jobs(client))[0]!.metadata?.name).toBe(minuteName('sus', START + 3 * MIN));
  });

  it('skips runs older than startingDeadlineSeconds and starts the next one on time', async () => {
    await using h = await startHarness(addCronJobController);
    const { client, clock } = h;
    await client.create(cron('late', { suspend: true, startingDeadlineSeconds: 10 }));
    await clock.advance(3 * MIN + 30_000);
    await client.patch('batch/v1', 'CronJob', 'default', 'late', { spec: { suspend: false } });
    await settle();
    expect(await jobs(client)).toHaveLength(0);
    await clock.advance(30_000);
    await until(async () => (await jobs(client)).length === 1, 'job at minute 4');
    expect((await jobs(client))[0]!.metadata?.name).toBe(minuteName('late', START + 4 * MIN));
  });

  it('warns TooManyMissedTimes past 100 missed starts and runs only the latest', async () => {
    await using h = await startHarness(addCronJobController);
    const { client, clock } = h;
    await client.create(cron('many', { suspend: true }));
    await clock.advance(150 * MIN);
    await client.patch('batch/v1', 'CronJob', 'default', 'many', { spec: { suspend: false } });
    await until(async () => (await jobs(client)).length === 1, 'one job');
    expect((await jobs(client))[0]!.metadata?.name).toBe(minuteName('many', START + 150 * MIN));
    const warn = await events(client, 'TooManyMissedTimes');
    expect(warn).toHaveLength(1);
    expect(warn[0]!.type).toBe('Warning');
  });

  it.each([
    { name: 'exactly 100 missed starts: no warning', missed: 100, deadline: undefined, warned: false },
    { name: '101 missed starts: TooManyMissedTimes', missed: 101, deadline: undefined, warned: true },
    { name: '150 missed starts but startingDeadlineSeconds 200 counts only the last 3: no warning', missed: 150, deadline: 200, warned: false },
  ])('the "more than 100 missed" rule: $name, and the latest run starts', async ({ missed, deadline, warned }) => {
    await using h = await startHarness(addCronJobController);
    const { client, clock } = h;
    await client.create(cron('rule', { suspend: true, startingDeadlineSeconds: deadline }));
    await clock.advance(missed * MIN);
    await client.patch('batch/v1', 'CronJob', 'default', 'rule', { spec: { suspend: false } });
    await until(async () => (await jobs(client)).length === 1, 'one job');
    expect((await jobs(client))[0]!.metadata?.name).toBe(minuteName('rule', START + missed * MIN));
    expect(await events(client, 'TooManyMissedTimes')).toHaveLength(warned ? 1 : 0);
  });

  it.each([
    ['UTC (the seed sleep cronjob, 0 3 * * *)', undefined, 3 * 60 * MIN],
    ['Asia/Shanghai (03:00 CST is 19:00 UTC)', 'Asia/Shanghai', 19 * 60 * MIN],
  ])('requeues exactly at the next schedule time in %s', async (_n, timeZone, at) => {
    await using h = await startHarness(addCronJobController);
    const { client, clock } = h;
    const text = seed('002_8cc7607eac0f66d5-05-cronjob.yaml');
    await applyManifests(client, timeZone ? text.replace('schedule: "0 3 * * *"', `schedule: "0 3 * * *"\n  timeZone: ${timeZone}`) : text);
    await clock.advance(at - 1000);
    await settle();
    expect(await jobs(client)).toHaveLength(0);
    await clock.advance(1000);
    await until(async () => (await jobs(client)).length === 1, 'job at 03:00');
    expect((await jobs(client))[0]!.metadata?.name).toBe(minuteName('sleep', START + at));
  });
});
