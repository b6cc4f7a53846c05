// The Job controller: runs pods to completion (kube-controller-manager's job controller).
import { controllerRef, keyOf, rfc3339, type batch, type Job, type Pod } from '@bosun/api';
import { Action, Controller, type Manager, type Reconcile } from '@bosun/controller-runtime';
import { Expectations, asKube, compileSelector, deleteIgnoringNotFound, hasTrueCondition, isPodActive, isPodReady, removeFinalizerFrom, setCondition, timeMs, writeStatus } from './util';

/** The finalizer the Job controller puts on its pods so a pod deleted before being counted is still counted. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
/** Pod label (and the implicit selector) naming the owning Job's uid. */
export const JOB_CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
/** Pod label naming the owning Job. */
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
/** Annotation and label carrying an Indexed Job pod's completion index. */
export const JOB_COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
const LEGACY_JOB_NAME_LABEL = 'job-name';

/** First pod-recreate delay after a failure (upstream `DefaultJobPodFailureBackOff`). */
export const JOB_BACKOFF_BASE_MS = 10_000;
/** Longest pod-recreate delay (upstream `MaxJobPodFailureBackOff`). */
export const JOB_BACKOFF_MAX_MS = 360_000;

/** Options of {@link addJobController}. */
export interface JobControllerOptions {
  /** Workers. Default 2. */
  concurrency?: number;
  /** Controller name (metrics, Events' source). Default `job-controller`. */
  name?: string;
}

/** What the Job reconcile keeps between calls (in memory, like upstream's backoff store). */
interface JobState {
  expectations: Expectations;
  /** When the controller first saw each pod (by uid) finished: the failure time for backoff when the pod carries none. */
  finishedSeen: Map<string, number>;
}

type JobPodsView = { pods: Pod[]; byName: Map<string, Pod> };

/** The pod-recreate delay after `failures` consecutive failures: 10 s doubling, capped at 6 min. */
export function jobBackoffDelay(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(JOB_BACKOFF_MAX_MS, JOB_BACKOFF_BASE_MS * 2 ** Math.min(failures - 1, 30));
}

/**
 * The selector of a Job's pods. The API server does not generate `spec.selector` (and
 * both the selector and the pod template are immutable once created), so when the
 * selector is unset the controller selects by the `batch.kubernetes.io/controller-uid`
 * label it puts on every pod it creates, which is what upstream's generated selector
 * says. `spec.selector` is never written by the controller.
 */
export function jobSelector(job: Job): NonNullable<Job['spec']>['selector'] {
  return job.spec?.selector ?? { matchLabels: { [JOB_CONTROLLER_UID_LABEL]: job.metadata?.uid ?? '' } };
}

/** The index of an Indexed Job's pod, or undefined. */
function podIndex(pod: Pod): number | undefined {
  const v = pod.metadata?.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION] ?? pod.metadata?.labels?.[JOB_COMPLETION_INDEX_ANNOTATION];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** Parses `status.completedIndexes` ("1,3-5,7"). */
export function parseIndexes(s: string | undefined): Set<number> {
  const out = new Set<number>();
  for (const part of (s ?? '').split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    if (b === undefined) out.add(a!);
    else for (let i = a!; i <= b; i++) out.add(i);
  }
  return out;
}

/** Formats indexes as `status.completedIndexes` does ("1,3-5,7"). */
export function formatIndexes(set: Iterable<number>): string {
  const sorted = [...new Set(set)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function isFinished(job: Job): boolean {
  return hasTrueCondition(job.status?.conditions, 'Complete') || hasTrueCondition(job.status?.conditions, 'Failed');
}

function restartCount(pod: Pod): number {
  let n = 0;
  for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) n += s.restartCount ?? 0;
  return n;
}

/** A pod the Job counts as failed: Failed, or deleted before it succeeded (upstream `isPodFailed`). */
function isPodFailed(pod: Pod): boolean {
  return pod.status?.phase === 'Failed' || (!!pod.metadata?.deletionTimestamp && pod.status?.phase !== 'Succeeded');
}

function podFinishTime(pod: Pod, state: JobState, now: number): number {
  let t: number | undefined;
  for (const s of pod.status?.containerStatuses ?? []) {
    const f = timeMs(s.state?.terminated?.finishedAt);
    if (f !== undefined && (t === undefined || f > t)) t = f;
  }
  if (t !== undefined) return t;
  const uid = pod.metadata?.uid ?? '';
  let seen = state.finishedSeen.get(uid);
  if (seen === undefined) state.finishedSeen.set(uid, (seen = now));
  return seen;
}

/** The pod a Job creates: its template with the Job's labels, owner reference and tracking finalizer. */
export function podFromJob(job: Job, index?: number): Pod {
  const tpl = job.spec?.template ?? {};
  const name = job.metadata?.name ?? '';
  const uid = job.metadata?.uid ?? '';
  const labels: Record<string, string> = {
    ...(tpl.metadata?.labels ?? {}),
    [JOB_CONTROLLER_UID_LABEL]: uid,
    [JOB_NAME_LABEL]: name,
    [LEGACY_CONTROLLER_UID_LABEL]: uid,
    [LEGACY_JOB_NAME_LABEL]: name,
  };
  const annotations: Record<string, string> = { ...(tpl.metadata?.annotations ?? {}) };
  const spec = structuredClone(tpl.spec ?? { containers: [] });
  if (index !== undefined) {
    labels[JOB_COMPLETION_INDEX_ANNOTATION] = String(index);
    annotations[JOB_COMPLETION_INDEX_ANNOTATION] = String(index);
    spec.hostname = `${name}-${index}`;
    spec.containers = spec.containers.map((c) => ({ ...c, env: [...(c.env ?? []).filter((e) => e.name !== 'JOB_COMPLETION_INDEX'), { name: 'JOB_COMPLETION_INDEX', value: String(index) }] }));
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: index === undefined ? `${name}-` : `${name}-${index}-`,
      namespace: job.metadata?.namespace,
      labels,
      annotations: Object.keys(annotations).length ? annotations : undefined,
      ownerReferences: [controllerRef(asKube(job), { blockOwnerDeletion: true })],
      finalizers: [JOB_TRACKING_FINALIZER],
    },
    spec,
  };
}

/**
 * Creates the Job reconcile. Per call: count finished pods (through
 * `status.uncountedTerminatedPods` and the tracking finalizer, as upstream), then decide
 * finished (Complete / Failed: BackoffLimitExceeded, DeadlineExceeded), suspended, or
 * running; create or delete pods to keep `min(parallelism, remaining)` active, with the
 * exponential recreate backoff after failures; write status; delete the Job once its
 * `ttlSecondsAfterFinished` has passed.
 */
export function createJobReconcile(): Reconcile<Job> {
  const state: JobState = { expectations: new Expectations(), finishedSeen: new Map() };

  return async (job, ctx, signal) => {
    const { client, clock, recorder, informers } = ctx;
    const now = clock.now();
    const nowS = rfc3339(now);
    const key = keyOf(job);
    const ns = job.metadata?.namespace ?? '';
    const podCache = informers.forKind('v1', 'Pod').cache;
    const lookup = (name: string) => podCache.get(`${ns}/${name}`);
    if (!state.expectations.satisfied(key, lookup, now)) return Action.awaitChange();

    const selector = compileSelector(jobSelector(job));
    const view: JobPodsView = { pods: [], byName: new Map() };
    for (const p of podCache.list({ namespace: ns, controlledBy: asKube(job) })) {
      if (selector && !selector.matches(p.metadata?.labels)) continue;
      view.pods.push(p);
      view.byName.set(p.metadata?.name ?? '', p);
    }
    const spec = job.spec ?? { template: {} };
    const status: batch.JobStatus = structuredClone(job.status ?? {});
    const indexed = spec.completionMode === 'Indexed';

    // 1. Count finished pods: record their uids as uncounted, drop the finalizer, then count.
    const uncounted = { succeeded: [...(status.uncountedTerminatedPods?.succeeded ?? [])], failed: [...(status.uncountedTerminatedPods?.failed ?? [])] };
    const isUncounted = (uid: string) => uncounted.succeeded.includes(uid) || uncounted.failed.includes(uid);
    const completed = parseIndexes(status.completedIndexes);
    let newlyFinished = false;
    for (const p of view.pods) {
      const uid = p.metadata?.uid ?? '';
      if (!p.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER) || isUncounted(uid)) continue;
      if (p.status?.phase === 'Succeeded') {
        uncounted.succeeded.push(uid);
        newlyFinished = true;
      } else if (isPodFailed(p)) {
        uncounted.failed.push(uid);
        podFinishTime(p, state, now);
        newlyFinished = true;
      }
    }
    if (newlyFinished) {
      // Persist the uids first: once written, removing the finalizer cannot lose a count.
      status.uncountedTerminatedPods = uncounted;
      const stored = await writeStatus(client, job, status, signal);
      if (!stored) return Action.awaitChange();
      job = stored;
    }
    const byUid = new Map(view.pods.map((p) => [p.metadata?.uid ?? '', p]));
    await Promise.all(
      [...uncounted.succeeded, ...uncounted.failed].map((uid) => {
        const p = byUid.get(uid);
        return p ? removeFinalizerFrom(client, p, JOB_TRACKING_FINALIZER, signal) : undefined;
      }),
    );
    // The finalizers are gone (or the pods are): move the uids to the counters.
    let succeeded = status.succeeded ?? 0;
    let failed = status.failed ?? 0;
    for (const uid of uncounted.succeeded) {
      succeeded++;
      const idx = byUid.get(uid) && podIndex(byUid.get(uid)!);
      if (indexed && idx !== undefined && idx < (spec.completions ?? 0)) completed.add(idx);
    }
    failed += uncounted.failed.length;
    status.uncountedTerminatedPods = { succeeded: [], failed: [] };
    status.succeeded = succeeded;
    status.failed = failed;
    if (indexed) {
      status.completedIndexes = formatIndexes(completed);
      status.succeeded = completed.size;
    }

    const active = view.pods.filter(isPodActive);
    const restartPolicy = spec.template?.spec?.restartPolicy;

    // 2. Finished already: make sure nothing runs, then the TTL.
    if (isFinished(job)) {
      await deletePods(active, 'finished');
      status.active = 0;
      status.ready = 0;
      await writeStatus(client, job, status, signal);
      return ttlAction();
    }

    // 3. Suspended: no pods, condition Suspended.
    if (spec.suspend === true) {
      await deletePods(active, 'suspended');
      status.active = 0;
      status.ready = 0;
      if (!hasTrueCondition(status.conditions, 'Suspended')) {
        status.conditions = setCondition(status.conditions, { type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended', lastProbeTime: nowS }, nowS);
        recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
      }
      await writeStatus(client, job, status, signal);
      return Action.awaitChange();
    }
    if (hasTrueCondition(status.conditions, 'Suspended')) {
      status.conditions = setCondition(status.conditions, { type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed', lastProbeTime: nowS }, nowS);
      recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
      // As upstream: the active deadline counts from the resume.
      status.startTime = nowS;
    }
    status.startTime ??= nowS;

    // 4. Failure: backoff limit, then active deadline.
    const backoffLimit = spec.backoffLimit ?? 6;
    let failure: { reason: string; message: string } | undefined;
    // Never: each failed pod counts. OnFailure: container restarts of the active pods count too.
    const restarts = restartPolicy === 'OnFailure' ? active.reduce((n, p) => n + restartCount(p), 0) : 0;
    const pastOnFailure = restartPolicy === 'OnFailure' && (backoffLimit === 0 ? restarts > 0 : restarts >= backoffLimit);
    if (failed > backoffLimit || pastOnFailure) failure = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
    const deadlineMs = spec.activeDeadlineSeconds !== undefined ? spec.activeDeadlineSeconds * 1000 : undefined;
    const startMs = timeMs(status.startTime) ?? now;
    if (!failure && deadlineMs !== undefined && now - startMs >= deadlineMs) {
      failure = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
    }
    if (failure) {
      await deletePods(active, 'failed');
      status.active = 0;
      status.ready = 0;
      status.conditions = setCondition(status.conditions, { type: 'Failed', status: 'True', reason: failure.reason, message: failure.message, lastProbeTime: nowS }, nowS);
      recorder.event(job, 'Warning', failure.reason, failure.message);
      const stored = await writeStatus(client, job, status, signal);
      if (stored) job = stored;
      return ttlAction();
    }

    // 5. Complete?
    const completions = spec.completions ?? undefined;
    const parallelism = spec.parallelism ?? 1;
    const done = completions === undefined || completions === null ? succeeded > 0 && active.length === 0 : (indexed ? completed.size : succeeded) >= completions;
    if (done) {
      await deletePods(active, 'finished');
      status.active = 0;
      status.ready = 0;
      status.completionTime = nowS;
      status.conditions = setCondition(status.conditions, { type: 'Complete', status: 'True', lastProbeTime: nowS }, nowS);
      recorder.event(job, 'Normal', 'Completed', 'Job completed');
      const stored = await writeStatus(client, job, status, signal);
      if (stored) job = stored;
      return ttlAction();
    }

    // 6. Converge the active pods.
    let wantActive: number;
    if (completions === undefined || completions === null) wantActive = succeeded > 0 ? Math.min(active.length, parallelism) : parallelism;
    else wantActive = Math.max(0, Math.min(parallelism, completions - (indexed ? completed.size : succeeded)));
    let requeueMs: number | undefined;
    let createError: unknown;
    let live = active;
    let activeCount = active.length;
    if (active.length > wantActive) {
      // Newest first, not-ready before ready, as upstream's ActivePods ordering picks victims.
      const victims = [...active].sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b)) || (b.metadata?.creationTimestamp ?? '').localeCompare(a.metadata?.creationTimestamp ?? '')).slice(0, active.length - wantActive);
      await deletePods(victims, 'excess');
      live = active.filter((p) => !victims.includes(p));
      activeCount = live.length;
    } else if (active.length < wantActive && !job.metadata?.deletionTimestamp) {
      // A Job being deleted starts no pod (upstream's `DeletionTimestamp == nil` guard on manageJob).
      const wait = backoffRemaining();
      if (wait > 0) requeueMs = wait;
      else {
        let toCreate: (number | undefined)[];
        if (indexed) {
          const running = new Set(active.map(podIndex));
          const pending: number[] = [];
          for (let i = 0; i < (completions ?? 0) && pending.length < wantActive - active.length; i++) if (!completed.has(i) && !running.has(i)) pending.push(i);
          toCreate = pending;
        } else toCreate = Array.from({ length: wantActive - active.length }, () => undefined);
        let made = 0;
        for (const idx of toCreate) {
          let created: Pod;
          try {
            created = await client.create(podFromJob(job, idx), { signal });
          } catch (e) {
            if (signal.aborted) throw e;
            // Upstream's event; the status still counts what exists, and the error policy retries.
            recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${e instanceof Error ? e.message : String(e)}`);
            createError = e;
            break;
          }
          made++;
          state.expectations.expectCreate(key, created.metadata?.name ?? '', now);
          recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name}`);
        }
        activeCount = active.length + made;
      }
    }
    status.active = activeCount;
    status.ready = live.filter(isPodReady).length;
    const stored = await writeStatus(client, job, status, signal);
    if (stored) job = stored;
    if (createError !== undefined) throw createError;
    if (deadlineMs !== undefined) {
      const left = startMs + deadlineMs - now;
      requeueMs = requeueMs === undefined ? left : Math.min(requeueMs, left);
    }
    return requeueMs === undefined ? Action.awaitChange() : Action.requeueAfter(requeueMs);

    /** Delay left before a replacement pod may be created: 10 s × 2^(failures since the last success − 1). */
    function backoffRemaining(): number {
      const finished = view.pods.filter((p) => p.status?.phase === 'Succeeded' || isPodFailed(p));
      let lastSuccess = -Infinity;
      for (const p of finished) if (p.status?.phase === 'Succeeded') lastSuccess = Math.max(lastSuccess, podFinishTime(p, state, now));
      let failures = 0;
      let lastFailure = -Infinity;
      for (const p of finished) {
        if (!isPodFailed(p)) continue;
        const t = podFinishTime(p, state, now);
        if (t < lastSuccess) continue;
        failures++;
        lastFailure = Math.max(lastFailure, t);
      }
      if (failures === 0) return 0;
      return Math.max(0, lastFailure + jobBackoffDelay(failures) - now);
    }

    async function deletePods(pods: Pod[], _why: string): Promise<void> {
      for (const p of pods) {
        // A pod the controller deletes on purpose is not a failure: drop the finalizer first.
        await removeFinalizerFrom(client, p, JOB_TRACKING_FINALIZER, signal);
        if (await deleteIgnoringNotFound(client, p)) {
          state.expectations.expectDelete(key, p.metadata?.name ?? '', p.metadata?.uid, now);
          recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata?.name}`);
        }
      }
    }

    async function ttlAction(): Promise<Action> {
      const ttl = spec.ttlSecondsAfterFinished;
      if (ttl === undefined || ttl === null) return Action.awaitChange();
      const cond = (job.status?.conditions ?? []).find((c: batch.JobCondition) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
      const finishedAt = timeMs(job.status?.completionTime) ?? timeMs(cond?.lastTransitionTime) ?? now;
      const left = finishedAt + ttl * 1000 - now;
      if (left > 0) return Action.requeueAfter(left);
      for (const p of view.pods) await removeFinalizerFrom(client, p, JOB_TRACKING_FINALIZER, signal);
      await deleteIgnoringNotFound(client, job, { propagationPolicy: 'Background' });
      state.expectations.forget(key);
      return Action.awaitChange();
    }
  };
}

/**
 * Adds the Job controller to `manager`: Jobs, and the pods they control. Pods it creates
 * carry an owner reference (controller, blockOwnerDeletion), the labels
 * `batch.kubernetes.io/controller-uid`, `controller-uid`, `batch.kubernetes.io/job-name`,
 * `job-name`, and the `batch.kubernetes.io/job-tracking` finalizer (removed once
 * counted). Events: SuccessfulCreate, SuccessfulDelete, Completed, BackoffLimitExceeded,
 * DeadlineExceeded, Suspended, Resumed, FailedCreate (Warning; the sync is retried with
 * backoff).
 */
export function addJobController(manager: Manager, opts: JobControllerOptions = {}): void {
  manager.add(
    Controller.for('batch/v1', 'Job')
      .owns('v1', 'Pod')
      .withConfig({ name: opts.name ?? 'job-controller', concurrency: opts.concurrency ?? 2 })
      .build(createJobReconcile()),
  );
}
