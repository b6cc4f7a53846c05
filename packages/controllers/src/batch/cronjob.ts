// The CronJob controller (upstream's cronjob_controllerv2): Jobs at schedule times.
import { controllerRef, isAlreadyExists, parseCron, rfc3339, type core, type CronJob, type CronSchedule, type Job } from '@bosun/api';

type ObjectReference = core.ObjectReference;
import { Action, Controller, type Manager, type Reconcile } from '@bosun/controller-runtime';
import { asKube, deleteIgnoringNotFound, hasTrueCondition, timeMs, writeStatus } from './util';

/** Annotation on each Job: the schedule time it was created for (RFC 3339). */
export const CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** More missed start times than this: a `TooManyMissedTimes` warning, and only the latest counts. */
export const CRONJOB_MAX_MISSED = 100;

/** Options of {@link addCronJobController}. */
export interface CronJobControllerOptions {
  /** Workers. Default 1. */
  concurrency?: number;
  /** Controller name. Default `cronjob-controller`. */
  name?: string;
}

/** The deterministic name of the Job for `scheduledMs`: `<cronjob>-<minutes since the epoch>`. */
export function cronJobName(cronJob: CronJob, scheduledMs: number): string {
  return `${cronJob.metadata?.name ?? ''}-${Math.floor(scheduledMs / 60_000)}`;
}

/**
 * The schedule times in (`earliestMs`, `nowMs`]: how many, and the latest. Past
 * `CRONJOB_MAX_MISSED` the count is an estimate from the average gap between the times
 * counted so far (as upstream's `mostRecentScheduleTime`, it only has to say "more than
 * 100"), and the latest is found by searching back from `nowMs` in widening windows, so
 * a schedule missed for years costs a few hundred steps, not one per missed time.
 */
export function missedScheduleTimes(schedule: CronSchedule, earliestMs: number, nowMs: number, timeZone?: string): { count: number; latest?: number } {
  const first = schedule.next(earliestMs, timeZone);
  let count = 0;
  let latest: number | undefined;
  for (let t = first; t !== undefined && t <= nowMs; t = schedule.next(t, timeZone)) {
    count++;
    latest = t;
    if (count > CRONJOB_MAX_MISSED) break;
  }
  if (count <= CRONJOB_MAX_MISSED || first === undefined || latest === undefined) return { count, latest };
  const after = schedule.next(latest, timeZone);
  if (after === undefined || after > nowMs) return { count, latest };
  const gap = Math.max(1000, (latest - first) / (count - 1));
  count += Math.max(1, Math.floor((nowMs - latest) / gap));
  for (let window = 2 * gap; ; window *= 2) {
    // Never search before a time known to be a schedule time: `after` proves one lies in (latest, nowMs].
    const from = Math.max(latest, nowMs - window);
    let last: number | undefined;
    for (let t = schedule.next(from, timeZone); t !== undefined && t <= nowMs; t = schedule.next(t, timeZone)) last = t;
    if (last !== undefined) return { count, latest: last };
  }
}

function jobFinished(job: Job): 'Complete' | 'Failed' | undefined {
  if (hasTrueCondition(job.status?.conditions, 'Complete')) return 'Complete';
  if (hasTrueCondition(job.status?.conditions, 'Failed')) return 'Failed';
  return undefined;
}

function refOfJob(job: Job): ObjectReference {
  return { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata?.name, namespace: job.metadata?.namespace, uid: job.metadata?.uid, resourceVersion: job.metadata?.resourceVersion };
}

/** The Job a CronJob creates for `scheduledMs`. */
export function jobFromCronJob(cj: CronJob, scheduledMs: number): Job {
  const tpl = cj.spec?.jobTemplate ?? {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: cronJobName(cj, scheduledMs),
      namespace: cj.metadata?.namespace,
      labels: { ...(tpl.metadata?.labels ?? {}) },
      annotations: { ...(tpl.metadata?.annotations ?? {}), [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339(scheduledMs) },
      ownerReferences: [controllerRef(asKube(cj), { blockOwnerDeletion: true })],
    },
    spec: structuredClone(tpl.spec ?? { template: {} }),
  };
}

/**
 * Creates the CronJob reconcile: syncs `status.active` with the Jobs it controls
 * (SawCompletedJob), trims finished Jobs beyond the history limits (oldest first,
 * Background propagation), then, unless suspended, starts the Job of the most recent
 * missed schedule time (within startingDeadlineSeconds, honouring concurrencyPolicy),
 * and requeues at exactly the next schedule time on the clock.
 */
export function createCronJobReconcile(): Reconcile<CronJob> {
  return async (cj, ctx, signal) => {
    const { client, clock, recorder, informers } = ctx;
    const now = clock.now();
    const ns = cj.metadata?.namespace ?? '';
    const jobCache = informers.forKind('batch/v1', 'Job').cache;
    const owned = jobCache.list({ namespace: ns, controlledBy: asKube(cj) });
    const status = structuredClone(cj.status ?? {});

    // 1. Active list and last success from the Jobs themselves.
    const ownedByUid = new Map(owned.map((j) => [j.metadata?.uid, j]));
    const activeRefs: ObjectReference[] = [];
    for (const ref of status.active ?? []) {
      const j = ownedByUid.get(ref.uid);
      if (!j) {
        // Gone from the cache; a Job we just created may not be there yet, so ask the API.
        try {
          const live = await client.get('batch/v1', 'Job', ns, ref.name ?? '', { signal });
          if (live.metadata?.uid === ref.uid && !jobFinished(live)) activeRefs.push(ref);
        } catch {
          recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
        }
        continue;
      }
      const fin = jobFinished(j);
      if (fin) {
        recorder.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata?.name}, status: ${fin}`);
        continue;
      }
      activeRefs.push(ref);
    }
    for (const j of owned) {
      if (!jobFinished(j) && !j.metadata?.deletionTimestamp && !activeRefs.some((r) => r.uid === j.metadata?.uid)) activeRefs.push(refOfJob(j));
    }
    for (const j of owned) {
      if (jobFinished(j) !== 'Complete') continue;
      const t = j.status?.completionTime;
      if (t && (!status.lastSuccessfulTime || t > status.lastSuccessfulTime)) status.lastSuccessfulTime = t;
    }
    status.active = activeRefs.length ? activeRefs : undefined;

    // 2. History limits.
    const startOf = (j: Job) => timeMs(j.status?.startTime) ?? timeMs(j.metadata?.creationTimestamp) ?? 0;
    const trim = async (jobs: Job[], limit: number | undefined) => {
      if (limit === undefined || limit === null || jobs.length <= limit) return;
      const sorted = [...jobs].sort((a, b) => startOf(a) - startOf(b));
      for (const j of sorted.slice(0, sorted.length - limit)) {
        if (await deleteIgnoringNotFound(client, j, { propagationPolicy: 'Background' })) recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata?.name}`);
      }
    };
    const live = owned.filter((j) => !j.metadata?.deletionTimestamp);
    await trim(live.filter((j) => jobFinished(j) === 'Complete'), cj.spec?.successfulJobsHistoryLimit ?? 3);
    await trim(live.filter((j) => jobFinished(j) === 'Failed'), cj.spec?.failedJobsHistoryLimit ?? 1);

    const done = async (action: Action) => {
      await writeStatus(client, cj, status, signal);
      return action;
    };
    if (cj.metadata?.deletionTimestamp) return done(Action.awaitChange());

    // 3. The schedule.
    let schedule: CronSchedule;
    try {
      schedule = parseCron(cj.spec?.schedule ?? '');
    } catch (e) {
      recorder.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(cj.spec?.schedule)} : ${e instanceof Error ? e.message : String(e)}`);
      return done(Action.awaitChange());
    }
    const tz = cj.spec?.timeZone ?? undefined;
    const untilNext = (): Action => {
      const next = schedule.next(now, tz);
      return next === undefined ? Action.awaitChange() : Action.requeueAfter(next - now);
    };
    if (cj.spec?.suspend === true) return done(Action.awaitChange());

    const sds = cj.spec?.startingDeadlineSeconds;
    let earliest = timeMs(status.lastScheduleTime) ?? timeMs(cj.metadata?.creationTimestamp) ?? now;
    if (sds !== undefined && sds !== null) earliest = Math.max(earliest, now - sds * 1000);
    const missed = missedScheduleTimes(schedule, earliest, now, tz);
    if (missed.latest === undefined) return done(untilNext());
    if (missed.count > CRONJOB_MAX_MISSED) {
      recorder.event(cj, 'Warning', 'TooManyMissedTimes', `too many missed start times: ${missed.count}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
    }
    const scheduled = missed.latest;
    if (sds !== undefined && sds !== null && scheduled + sds * 1000 < now) {
      recorder.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc3339(scheduled)}`);
      return done(untilNext());
    }
    const name = cronJobName(cj, scheduled);
    if (owned.some((j) => j.metadata?.name === name) || activeRefs.some((r) => r.name === name)) return done(untilNext());

    const policy = cj.spec?.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && activeRefs.length > 0) {
      // lastScheduleTime stays: the missed run starts when the active one ends, if still in time.
      recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return done(untilNext());
    }
    if (policy === 'Replace') {
      for (const ref of activeRefs) {
        const j = ownedByUid.get(ref.uid) ?? ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: ref.name, namespace: ns, uid: ref.uid } } as Job);
        if (await deleteIgnoringNotFound(client, j, { propagationPolicy: 'Background' })) recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${ref.name}`);
      }
      activeRefs.length = 0;
    }
    let created: Job;
    try {
      created = await client.create(jobFromCronJob(cj, scheduled), { signal });
      recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${name}`);
    } catch (e) {
      if (!isAlreadyExists(e)) {
        recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${e instanceof Error ? e.message : String(e)}`);
        throw e;
      }
      created = await client.get('batch/v1', 'Job', ns, name, { signal });
      if (!created.metadata?.ownerReferences?.some((r) => r.uid === cj.metadata?.uid)) return done(untilNext());
    }
    if (!jobFinished(created)) activeRefs.push(refOfJob(created));
    status.active = activeRefs.length ? activeRefs : undefined;
    status.lastScheduleTime = rfc3339(scheduled);
    return done(untilNext());
  };
}

/**
 * Adds the CronJob controller to `manager`: CronJobs and the Jobs they control. Jobs are
 * named `<cronjob>-<scheduled time in minutes since the epoch>` and annotated with
 * `batch.kubernetes.io/cronjob-scheduled-timestamp`. Events: SuccessfulCreate,
 * SawCompletedJob, SuccessfulDelete, MissSchedule, TooManyMissedTimes, JobAlreadyActive,
 * UnparseableSchedule.
 */
export function addCronJobController(manager: Manager, opts: CronJobControllerOptions = {}): void {
  manager.add(
    Controller.for('batch/v1', 'CronJob')
      .owns('batch/v1', 'Job')
      .withConfig({ name: opts.name ?? 'cronjob-controller', concurrency: opts.concurrency ?? 1 })
      .build(createCronJobReconcile()),
  );
}
