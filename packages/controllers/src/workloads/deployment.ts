import {
  ApiError,
  getControllerOf,
  isAlreadyExists,
  isConflict,
  isNotFound,
  keyOf,
  labelSelectorFromObject,
  nothingSelector,
  rfc3339,
  type Deployment,
  type KubeObject,
  type Pod,
  type ReplicaSet,
  type Selector,
} from '@bosun/api';
import type { ApiObject, Client, EventRecorder } from '@bosun/apiserver';
import { Action, Controller, addOrphanIndex, adopt, isAlreadyOwnedError, predicate, release, type CacheListOptions, type Manager, type Reconcile } from '@bosun/controller-runtime';
import {
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  computeHash,
  equalIgnoreHash,
  maxSurge,
  maxUnavailable,
  revisionOf,
  specReplicas,
  sumSpec,
  templateWithoutHash,
} from './deployment-util';

type DeploymentCondition = NonNullable<NonNullable<Deployment['status']>['conditions']>[number];
type DeploymentStatus = NonNullable<Deployment['status']>;

/** Options of {@link addDeploymentController}. */
export interface DeploymentControllerOptions {
  /** Workers. Default 4. */
  concurrency?: number;
}

/** Reasons of the Progressing and Available conditions, as upstream names them. */
export const DeploymentReasons = {
  NewReplicaSetCreated: 'NewReplicaSetCreated',
  FoundNewReplicaSet: 'FoundNewReplicaSet',
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  NewReplicaSetAvailable: 'NewReplicaSetAvailable',
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  DeploymentPaused: 'DeploymentPaused',
  DeploymentResumed: 'DeploymentResumed',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

/** Everything one sync of one Deployment works on; RS copies are updated in place as they are written. */
interface Sync {
  d: Deployment;
  client: Client;
  recorder: EventRecorder;
  now: number;
  signal: AbortSignal;
  status: DeploymentStatus;
  /** The pods of the namespace controlled by the ReplicaSet with this uid (owner index). */
  pods: (controlledBy: string) => Pod[];
}

const replicasOf = (d: Deployment) => d.spec?.replicas ?? 1;
const condition = (s: DeploymentStatus, type: string) => s.conditions?.find((c) => c.type === type);
const isActive = (rs: ReplicaSet) => specReplicas(rs) > 0;
const created = (rs: ReplicaSet) => Date.parse(rs.metadata?.creationTimestamp ?? '') || 0;
const byCreation = (a: ReplicaSet, b: ReplicaSet) => created(a) - created(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

function setCondition(s: DeploymentStatus, c: DeploymentCondition): void {
  const cur = condition(s, c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return;
  if (cur && cur.status === c.status) c.lastTransitionTime = cur.lastTransitionTime;
  s.conditions = [...(s.conditions ?? []).filter((x) => x.type !== c.type), c];
}

function newCondition(now: number, type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string): DeploymentCondition {
  const t = rfc3339(now);
  return { type, status, reason, message, lastUpdateTime: t, lastTransitionTime: t };
}

function selectorOf(d: Deployment): Selector {
  const s = d.spec?.selector;
  return s && (s.matchLabels || s.matchExpressions?.length) ? labelSelectorFromObject(s) : nothingSelector;
}

/** Writes a ReplicaSet from the cache copy `rs` (409 on a stale one) and returns the stored object. */
async function writeRs(sync: Sync, rs: ReplicaSet): Promise<ReplicaSet> {
  return (await sync.client.update(rs, { signal: sync.signal })) as ReplicaSet;
}

/**
 * Scales `rs` to `n` (and stamps the desired/max replicas annotations); records
 * ScalingReplicaSet when the size changes. Updates `rs` in place.
 */
async function scaleReplicaSet(sync: Sync, rs: ReplicaSet, n: number): Promise<boolean> {
  const d = sync.d;
  const desired = String(replicasOf(d));
  const max = String(replicasOf(d) + maxSurge(d));
  const ann = rs.metadata?.annotations ?? {};
  const sizeChanged = specReplicas(rs) !== n;
  if (!sizeChanged && ann[DESIRED_REPLICAS_ANNOTATION] === desired && ann[MAX_REPLICAS_ANNOTATION] === max) return false;
  const before = specReplicas(rs);
  const next: ReplicaSet = { ...rs, metadata: { ...rs.metadata, annotations: { ...ann, [DESIRED_REPLICAS_ANNOTATION]: desired, [MAX_REPLICAS_ANNOTATION]: max } }, spec: { ...rs.spec!, replicas: n } };
  const stored = await writeRs(sync, next);
  Object.assign(rs, stored);
  if (sizeChanged) sync.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${n > before ? 'up' : 'down'} replica set ${rs.metadata?.name} to ${n}`);
  return sizeChanged;
}

/**
 * Claims ReplicaSets as upstream's ReplicaSetControllerRefManager: adopt matching orphans,
 * release non-matching. Reads its own from the owner index and only the namespace's
 * matching orphans, not every ReplicaSet of the namespace.
 */
async function claimReplicaSets(client: Client, d: Deployment, rsCache: { list(opts: CacheListOptions): ReplicaSet[] }, signal: AbortSignal): Promise<ReplicaSet[]> {
  const sel = selectorOf(d);
  const ns = d.metadata?.namespace ?? '';
  const deleting = !!d.metadata?.deletionTimestamp;
  const out: ReplicaSet[] = [];
  for (const rs of rsCache.list({ namespace: ns, controlledBy: d.metadata?.uid ?? '' })) {
    if (sel.matches(rs.metadata?.labels)) out.push(structuredClone(rs));
    else if (!deleting) await release(client, d as ApiObject, rs, { signal });
  }
  if (deleting) return out;
  for (const rs of rsCache.list({ namespace: ns, orphan: true, labelSelector: sel })) {
    if (rs.metadata?.deletionTimestamp) continue;
    try {
      const a = await adopt(client, d as ApiObject, rs, { signal });
      if (a) out.push(structuredClone(a));
    } catch (e) {
      if (!isAlreadyOwnedError(e) && !isNotFound(e)) throw e;
    }
  }
  return out;
}

function splitReplicaSets(d: Deployment, rsList: ReplicaSet[]): { newRS?: ReplicaSet; oldRSs: ReplicaSet[] } {
  const sorted = [...rsList].sort(byCreation);
  const newRS = sorted.find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
  return { newRS, oldRSs: sorted.filter((rs) => rs !== newRS) };
}

/** Makes the Deployment's revision annotation equal `revision`. */
async function syncDeploymentRevision(sync: Sync, revision: number): Promise<void> {
  const d = sync.d;
  if (d.metadata?.annotations?.[REVISION_ANNOTATION] === String(revision)) return;
  const stored = await sync.client.update({ ...d, metadata: { ...d.metadata, annotations: { ...d.metadata?.annotations, [REVISION_ANNOTATION]: String(revision) } } }, { signal: sync.signal });
  sync.d = { ...stored, status: d.status } as Deployment;
}

/**
 * Finds the new ReplicaSet (template equal to the Deployment's) and brings its revision
 * up to date, or creates it when `create` (upstream's getNewReplicaSet). Returns
 * undefined when there is none yet, or after a hash collision (status.collisionCount
 * bumped; the next sync tries the next name).
 */
async function getNewReplicaSet(sync: Sync, rsList: ReplicaSet[], oldRSs: ReplicaSet[], existing: ReplicaSet | undefined, create: boolean): Promise<ReplicaSet | undefined> {
  const d = sync.d;
  const maxOld = Math.max(0, ...oldRSs.map(revisionOf));
  const newRevision = maxOld + 1;
  if (existing) {
    const cur = revisionOf(existing);
    const ann = { ...existing.metadata?.annotations };
    let changed = false;
    if (cur < newRevision) {
      if (cur > 0) ann[REVISION_HISTORY_ANNOTATION] = ann[REVISION_HISTORY_ANNOTATION] ? `${ann[REVISION_HISTORY_ANNOTATION]},${cur}` : String(cur);
      ann[REVISION_ANNOTATION] = String(newRevision);
      changed = true;
    }
    const minReady = d.spec?.minReadySeconds ?? 0;
    const rsMinReady = existing.spec?.minReadySeconds ?? 0;
    if (changed || minReady !== rsMinReady) {
      Object.assign(existing, await writeRs(sync, { ...existing, metadata: { ...existing.metadata, annotations: ann }, spec: { ...existing.spec!, minReadySeconds: minReady } }));
    }
    await syncDeploymentRevision(sync, revisionOf(existing));
    if (d.spec?.progressDeadlineSeconds !== undefined && !condition(sync.status, 'Progressing')) {
      setCondition(sync.status, newCondition(sync.now, 'Progressing', 'True', DeploymentReasons.FoundNewReplicaSet, `Found new replica set "${existing.metadata?.name}"`));
    }
    return existing;
  }
  if (!create) return undefined;

  const collisionCount = d.status?.collisionCount;
  const hash = computeHash(d.spec?.template, collisionCount ?? undefined);
  const template = structuredClone(templateWithoutHash(d.spec?.template));
  template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash } };
  const selector = structuredClone(d.spec?.selector ?? {});
  selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash };
  const name = `${d.metadata?.name}-${hash}`;
  // Rolling: as many as the surge allows now; Recreate: all (old ones are at 0 by now).
  let replicas = replicasOf(d);
  if (d.spec?.strategy?.type !== 'Recreate') {
    const maxTotal = replicasOf(d) + maxSurge(d);
    const current = sumSpec(rsList);
    replicas = current >= maxTotal ? 0 : Math.min(maxTotal - current, replicasOf(d));
  }
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: d.metadata?.namespace,
      labels: { ...template.metadata.labels },
      annotations: {
        [REVISION_ANNOTATION]: String(newRevision),
        [DESIRED_REPLICAS_ANNOTATION]: String(replicasOf(d)),
        [MAX_REPLICAS_ANNOTATION]: String(replicasOf(d) + maxSurge(d)),
      },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata?.name ?? '', uid: d.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec: { replicas, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
  };
  let createdRs: ReplicaSet;
  try {
    createdRs = (await sync.client.create(rs, { signal: sync.signal })) as ReplicaSet;
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    const live = (await sync.client.get('apps/v1', 'ReplicaSet', d.metadata?.namespace ?? '', name, { signal: sync.signal })) as ReplicaSet;
    if (getControllerOf(live as KubeObject)?.uid === d.metadata?.uid && equalIgnoreHash(live.spec?.template, d.spec?.template)) return structuredClone(live); // our cache lagged
    // A different object holds the name: hash again with the next collision count.
    sync.status.collisionCount = (collisionCount ?? 0) + 1;
    return undefined;
  }
  if (replicas > 0) sync.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} to ${replicas}`);
  await syncDeploymentRevision(sync, newRevision);
  if (d.spec?.progressDeadlineSeconds !== undefined) {
    const c = newCondition(sync.now, 'Progressing', 'True', DeploymentReasons.NewReplicaSetCreated, `Created new replica set "${name}"`);
    sync.status.conditions = [...(sync.status.conditions ?? []).filter((x) => x.type !== 'Progressing'), c];
  }
  rsList.push(structuredClone(createdRs));
  return rsList[rsList.length - 1];
}

// ---------------------------------------------------------------- scaling

/** Upstream's FindActiveOrLatest. */
function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && !oldRSs.length) return undefined;
  const olds = [...oldRSs].sort(byCreation).reverse();
  const all = [...olds, ...(newRS ? [newRS] : [])].filter(isActive);
  if (all.length === 0) return newRS ?? olds[0];
  if (all.length === 1) return all[0];
  return undefined;
}

/**
 * Scales the ReplicaSets to the Deployment's size: a single active one takes it all;
 * several share it in proportion to their sizes (upstream's proportional scaling,
 * leftovers to the largest). Returns true when anything was scaled.
 */
async function scale(sync: Sync, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
  const d = sync.d;
  const replicas = replicasOf(d);
  const one = findActiveOrLatest(newRS, oldRSs);
  if (one) {
    if (specReplicas(one) !== replicas) await scaleReplicaSet(sync, one, replicas);
    return;
  }
  if (newRS && specReplicas(newRS) === replicas && newRS.metadata?.annotations?.[DESIRED_REPLICAS_ANNOTATION] === String(replicas) && (newRS.status?.availableReplicas ?? 0) === replicas) {
    for (const rs of oldRSs.filter(isActive)) await scaleReplicaSet(sync, rs, 0);
    return;
  }
  if (d.spec?.strategy?.type === 'Recreate') return;
  const all = [...oldRSs, ...(newRS ? [newRS] : [])].filter(isActive);
  const allowed = replicas > 0 ? replicas + maxSurge(d) : 0;
  const toAdd = allowed - sumSpec(all);
  const bySize = (newerFirst: boolean) => (a: ReplicaSet, b: ReplicaSet) => specReplicas(b) - specReplicas(a) || (newerFirst ? byCreation(b, a) : byCreation(a, b));
  all.sort(bySize(toAdd > 0));
  const sizes = new Map<ReplicaSet, number>();
  let added = 0;
  for (const rs of all) {
    let proportion = 0;
    if (toAdd !== 0 && specReplicas(rs) !== 0 && toAdd !== added) {
      const fraction = replicaSetFraction(rs, d);
      const left = toAdd - added;
      proportion = toAdd > 0 ? Math.min(fraction, left) : Math.max(fraction, left);
    }
    sizes.set(rs, specReplicas(rs) + proportion);
    added += proportion;
  }
  if (toAdd !== 0 && all.length) sizes.set(all[0], Math.max(0, sizes.get(all[0])! + toAdd - added));
  for (const rs of all) await scaleReplicaSet(sync, rs, sizes.get(rs)!);
}

function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (replicasOf(d) === 0) return -specReplicas(rs);
  const deploymentReplicas = replicasOf(d) + maxSurge(d);
  const annotated = Number(rs.metadata?.annotations?.[MAX_REPLICAS_ANNOTATION] ?? NaN);
  const base = Number.isFinite(annotated) && annotated > 0 ? annotated : (d.status?.replicas ?? 0);
  if (!base) return 0;
  // Go's math.Round: halves away from zero.
  const v = (specReplicas(rs) * deploymentReplicas) / base;
  return Math.sign(v) * Math.round(Math.abs(v)) - specReplicas(rs);
}

function isScalingEvent(d: Deployment, rss: ReplicaSet[]): boolean {
  return rss.filter(isActive).some((rs) => {
    const a = rs.metadata?.annotations?.[DESIRED_REPLICAS_ANNOTATION];
    return a !== undefined && Number(a) !== replicasOf(d);
  });
}

// ---------------------------------------------------------------- rolling update

async function reconcileNewReplicaSet(sync: Sync, all: ReplicaSet[], newRS: ReplicaSet): Promise<boolean> {
  const d = sync.d;
  const replicas = replicasOf(d);
  if (specReplicas(newRS) === replicas) return false;
  if (specReplicas(newRS) > replicas) return scaleReplicaSet(sync, newRS, replicas);
  const maxTotal = replicas + maxSurge(d);
  const current = sumSpec(all);
  if (current >= maxTotal) return false;
  const up = Math.min(maxTotal - current, replicas - specReplicas(newRS));
  return scaleReplicaSet(sync, newRS, specReplicas(newRS) + up);
}

async function reconcileOldReplicaSets(sync: Sync, all: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet): Promise<boolean> {
  const d = sync.d;
  if (sumSpec(oldRSs) === 0) return false;
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = sumSpec(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  // Unhealthy old pods go first: they count for nothing.
  let cleaned = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (cleaned >= maxScaledDown) break;
    if (specReplicas(rs) === 0) continue;
    const unhealthy = specReplicas(rs) - (rs.status?.availableReplicas ?? 0);
    if (unhealthy <= 0) continue;
    const down = Math.min(maxScaledDown - cleaned, unhealthy);
    await scaleReplicaSet(sync, rs, specReplicas(rs) - down);
    cleaned += down;
  }
  // Then healthy ones, as far as availability allows.
  const available = [...oldRSs, newRS].reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
  let scaled = 0;
  if (available > minAvailable) {
    const total = available - minAvailable;
    for (const rs of [...oldRSs].sort(byCreation)) {
      if (scaled >= total) break;
      if (specReplicas(rs) === 0) continue;
      const down = Math.min(specReplicas(rs), total - scaled);
      await scaleReplicaSet(sync, rs, specReplicas(rs) - down);
      scaled += down;
    }
  }
  return cleaned + scaled > 0;
}

// ---------------------------------------------------------------- status

function computeStatus(d: Deployment, all: ReplicaSet[], newRS: ReplicaSet | undefined, working: DeploymentStatus, now: number): DeploymentStatus {
  const sum = (f: (rs: ReplicaSet) => number | undefined) => all.reduce((n, rs) => n + (f(rs) ?? 0), 0);
  const available = sum((rs) => rs.status?.availableReplicas);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: sum((rs) => rs.status?.replicas),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: sum((rs) => rs.status?.readyReplicas),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, sumSpec(all) - available),
    conditions: [...(working.conditions ?? [])],
  };
  if (working.collisionCount !== undefined) status.collisionCount = working.collisionCount;
  if (available >= replicasOf(d) - maxUnavailable(d)) setCondition(status, newCondition(now, 'Available', 'True', DeploymentReasons.MinimumReplicasAvailable, 'Deployment has minimum availability.'));
  else setCondition(status, newCondition(now, 'Available', 'False', DeploymentReasons.MinimumReplicasUnavailable, 'Deployment does not have minimum availability.'));
  const failure = all.map((rs) => rs.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True')).find(Boolean);
  if (failure) setCondition(status, newCondition(now, 'ReplicaFailure', 'True', failure.reason ?? 'FailedCreate', failure.message ?? ''));
  else status.conditions = status.conditions!.filter((c) => c.type !== 'ReplicaFailure');
  return status;
}

const isComplete = (d: Deployment, s: DeploymentStatus) =>
  s.updatedReplicas === replicasOf(d) && s.replicas === replicasOf(d) && s.availableReplicas === replicasOf(d) && (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);

async function writeStatus(sync: Sync, status: DeploymentStatus): Promise<void> {
  const d = sync.d;
  if (JSON.stringify(status) === JSON.stringify(d.status ?? {})) return;
  try {
    await sync.client.updateStatus({ ...d, status }, { signal: sync.signal });
  } catch (e) {
    if (isNotFound(e)) return;
    throw e;
  }
}

/** Status without touching Progressing (scaling, paused). */
async function syncStatusOnly(sync: Sync, all: ReplicaSet[], newRS: ReplicaSet | undefined): Promise<void> {
  await writeStatus(sync, computeStatus(sync.d, all, newRS, sync.status, sync.now));
}

/** Status plus the Progressing condition (upstream's syncRolloutStatus); returns when to look again for the deadline. */
async function syncRolloutStatus(sync: Sync, all: ReplicaSet[], newRS: ReplicaSet | undefined): Promise<Action> {
  const d = sync.d;
  const now = sync.now;
  const status = computeStatus(d, all, newRS, sync.status, now);
  const deadline = d.spec?.progressDeadlineSeconds;
  const cur = condition(status, 'Progressing');
  const completeBefore = status.replicas === status.updatedReplicas && cur?.reason === DeploymentReasons.NewReplicaSetAvailable;
  if (deadline !== undefined && !d.spec?.paused && !completeBefore) {
    const old = d.status ?? {};
    const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
    const newOld = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
    const progressing =
      (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0) || oldOld > newOld;
    const name = newRS?.metadata?.name ?? '';
    if (isComplete(d, status)) {
      setCondition(status, newCondition(now, 'Progressing', 'True', DeploymentReasons.NewReplicaSetAvailable, `ReplicaSet "${name}" has successfully progressed.`));
    } else if (progressing) {
      const c = newCondition(now, 'Progressing', 'True', DeploymentReasons.ReplicaSetUpdated, `ReplicaSet "${name}" is progressing.`);
      if (cur?.status === 'True') c.lastTransitionTime = cur.lastTransitionTime;
      status.conditions = [...status.conditions!.filter((x) => x.type !== 'Progressing'), c];
    } else if (timedOut(d, status, now)) {
      setCondition(status, newCondition(now, 'Progressing', 'False', DeploymentReasons.ProgressDeadlineExceeded, `ReplicaSet "${name}" has timed out progressing.`));
      if (cur?.reason !== DeploymentReasons.ProgressDeadlineExceeded) sync.recorder.event(d, 'Warning', DeploymentReasons.ProgressDeadlineExceeded, `Deployment "${d.metadata?.name}" has timed out progressing.`);
    }
  }
  await writeStatus(sync, status);
  // Look again when the deadline would pass, unless complete or already timed out.
  const c = condition(status, 'Progressing');
  if (deadline === undefined || d.spec?.paused || !c || isComplete(d, status) || c.reason === DeploymentReasons.NewReplicaSetAvailable || c.reason === DeploymentReasons.ProgressDeadlineExceeded) return Action.awaitChange();
  const from = Date.parse(c.lastUpdateTime ?? '') || now;
  return Action.requeueAfter(Math.max(1, from + deadline * 1000 - now + 1));
}

function timedOut(d: Deployment, s: DeploymentStatus, now: number): boolean {
  const deadline = d.spec?.progressDeadlineSeconds;
  const c = condition(s, 'Progressing');
  if (deadline === undefined || !c) return false;
  if (c.reason === DeploymentReasons.NewReplicaSetAvailable) return false;
  if (c.reason === DeploymentReasons.ProgressDeadlineExceeded) return true;
  const from = Date.parse(c.lastUpdateTime ?? '');
  return Number.isFinite(from) && from + deadline * 1000 < now;
}

/** Deletes the oldest fully scaled-down old ReplicaSets beyond revisionHistoryLimit. */
async function cleanupDeployment(sync: Sync, oldRSs: ReplicaSet[]): Promise<void> {
  const limit = sync.d.spec?.revisionHistoryLimit;
  if (limit === undefined || limit === null) return;
  const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
  const diff = cleanable.length - limit;
  if (diff <= 0) return;
  cleanable.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
  for (const rs of cleanable.slice(0, diff)) {
    if ((rs.status?.replicas ?? 0) !== 0 || specReplicas(rs) !== 0 || (rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
    try {
      await sync.client.delete('apps/v1', 'ReplicaSet', rs.metadata?.namespace ?? '', rs.metadata?.name ?? '', { preconditions: { uid: rs.metadata?.uid }, signal: sync.signal });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }
}

// ---------------------------------------------------------------- strategies

async function rolloutRolling(sync: Sync, rsList: ReplicaSet[]): Promise<Action> {
  const split = splitReplicaSets(sync.d, rsList);
  const newRS = await getNewReplicaSet(sync, rsList, split.oldRSs, split.newRS, true);
  const oldRSs = split.oldRSs;
  const all = [...oldRSs, ...(newRS ? [newRS] : [])];
  if (!newRS) {
    await syncStatusOnly(sync, all, undefined);
    return Action.requeue(); // a hash collision: try the next name
  }
  if (await reconcileNewReplicaSet(sync, all, newRS)) return syncRolloutStatus(sync, all, newRS);
  if (await reconcileOldReplicaSets(sync, all, oldRSs.filter(isActive), newRS)) return syncRolloutStatus(sync, all, newRS);
  const status = computeStatus(sync.d, all, newRS, sync.status, sync.now);
  if (isComplete(sync.d, status)) await cleanupDeployment(sync, oldRSs);
  return syncRolloutStatus(sync, all, newRS);
}

async function rolloutRecreate(sync: Sync, rsList: ReplicaSet[]): Promise<Action> {
  const split = splitReplicaSets(sync.d, rsList);
  let newRS = await getNewReplicaSet(sync, rsList, split.oldRSs, split.newRS, false);
  const oldRSs = split.oldRSs;
  const all = () => [...oldRSs, ...(newRS ? [newRS] : [])];
  let scaledDown = false;
  for (const rs of oldRSs.filter(isActive)) if (await scaleReplicaSet(sync, rs, 0)) scaledDown = true;
  if (scaledDown) return syncRolloutStatus(sync, all(), newRS);
  // Wait until every old pod is gone before starting a new one.
  const oldUids = new Set(oldRSs.map((rs) => rs.metadata?.uid ?? '').filter((uid) => uid));
  const oldRunning = [...oldUids].some((uid) => sync.pods(uid).some((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed'));
  if (oldRunning) return syncRolloutStatus(sync, all(), newRS);
  if (!newRS) {
    newRS = await getNewReplicaSet(sync, rsList, oldRSs, undefined, true);
    if (!newRS) return Action.requeue();
  }
  await scaleReplicaSet(sync, newRS, replicasOf(sync.d));
  if (isComplete(sync.d, computeStatus(sync.d, all(), newRS, sync.status, sync.now))) await cleanupDeployment(sync, oldRSs);
  return syncRolloutStatus(sync, all(), newRS);
}

/** Scaling and paused Deployments: sizes only, no rollout progress. */
async function syncScaling(sync: Sync, rsList: ReplicaSet[]): Promise<Action> {
  const split = splitReplicaSets(sync.d, rsList);
  const newRS = await getNewReplicaSet(sync, rsList, split.oldRSs, split.newRS, false);
  await scale(sync, newRS, split.oldRSs);
  if (sync.d.spec?.paused) await cleanupDeployment(sync, split.oldRSs);
  await syncStatusOnly(sync, [...split.oldRSs, ...(newRS ? [newRS] : [])], newRS);
  return Action.awaitChange();
}

function checkPausedConditions(sync: Sync): void {
  const d = sync.d;
  if (d.spec?.progressDeadlineSeconds === undefined) return;
  const c = condition(sync.status, 'Progressing');
  if (c?.reason === DeploymentReasons.ProgressDeadlineExceeded) return;
  const pausedCond = c?.reason === DeploymentReasons.DeploymentPaused;
  if (d.spec?.paused && !pausedCond) setCondition(sync.status, newCondition(sync.now, 'Progressing', 'Unknown', DeploymentReasons.DeploymentPaused, 'Deployment is paused'));
  else if (!d.spec?.paused && pausedCond) setCondition(sync.status, newCondition(sync.now, 'Progressing', 'Unknown', DeploymentReasons.DeploymentResumed, 'Deployment is resumed'));
}

const reconcileDeployment: Reconcile<Deployment, object> = async (d, ctx, signal) => {
  const { client, recorder, clock, informers } = ctx;
  const ns = d.metadata?.namespace ?? '';
  try {
    if (selectorOf(d) === nothingSelector) {
      recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      return Action.awaitChange();
    }
    const rsCache = informers.forKind('apps/v1', 'ReplicaSet').cache;
    const podCache = informers.forKind('v1', 'Pod').cache;
    const rsList = await claimReplicaSets(client, d, rsCache, signal);
    const sync: Sync = { d, client, recorder, now: clock.now(), signal, status: structuredClone(d.status ?? {}), pods: (controlledBy) => podCache.list({ namespace: ns, controlledBy }) as Pod[] };
    if (d.metadata?.deletionTimestamp) {
      const split = splitReplicaSets(d, rsList);
      await syncStatusOnly(sync, rsList, split.newRS);
      return Action.awaitChange();
    }
    checkPausedConditions(sync);
    if (d.spec?.paused || isScalingEvent(d, rsList)) return await syncScaling(sync, rsList);
    if (d.spec?.strategy?.type === 'Recreate') return await rolloutRecreate(sync, rsList);
    return await rolloutRolling(sync, rsList);
  } catch (e) {
    // A stale cache (409) or an object gone meanwhile: look again soon, quietly.
    if (isConflict(e) || isNotFound(e)) return Action.requeue();
    throw e;
  }
};

/** Lets only pod deletions through: pod creations and status changes do not concern a Deployment. */
const podDeletionsOnly = predicate({ create: () => false, update: () => false });

/**
 * Adds the Deployment controller (`deployment`) to `manager`. For every Deployment it
 * adopts matching orphan ReplicaSets and releases its ones that stop matching, and:
 *
 * - keeps one ReplicaSet per template named `<deployment>-<pod-template-hash>` (see
 *   `computeHash`), with the hash label added to its selector, template and so pods,
 *   annotated with its `deployment.kubernetes.io/revision` (also set on the Deployment);
 * - RollingUpdate: scales the new one up and the old ones down within maxSurge and
 *   maxUnavailable (ints or percentages of replicas, surge rounded up, unavailable
 *   down), availability counting minReadySeconds; Recreate: scales the old ones to 0,
 *   waits for their pods to be gone, then scales the new one up;
 * - `spec.paused`: no rollout progress, but scaling goes on; a change of replicas while
 *   several ReplicaSets are active is shared in proportion (upstream's proportional
 *   scaling);
 * - deletes the oldest fully scaled-down old ReplicaSets beyond revisionHistoryLimit once
 *   a rollout is complete (or while paused);
 * - writes status replicas, updatedReplicas, readyReplicas, availableReplicas,
 *   unavailableReplicas, observedGeneration, collisionCount and the conditions Available
 *   (MinimumReplicasAvailable / MinimumReplicasUnavailable), Progressing
 *   (NewReplicaSetCreated, FoundNewReplicaSet, ReplicaSetUpdated,
 *   NewReplicaSetAvailable, ProgressDeadlineExceeded after progressDeadlineSeconds
 *   without progress, DeploymentPaused, DeploymentResumed) and ReplicaFailure (from its
 *   ReplicaSets).
 *
 * Events: ScalingReplicaSet (`Scaled up replica set nginx-6799fc88d8 to 3`),
 * ProgressDeadlineExceeded (Warning). Needs the ReplicaSet controller to turn
 * ReplicaSets into pods.
 */
export function addDeploymentController(manager: Manager, opts: DeploymentControllerOptions = {}): Controller<Deployment> {
  const rsCache = manager.informers.forKind('apps/v1', 'ReplicaSet').cache;
  addOrphanIndex(rsCache);
  const deployments = manager.informers.forKind('apps/v1', 'Deployment').cache;
  const c = Controller.for('apps/v1', 'Deployment')
    .owns('apps/v1', 'ReplicaSet')
    .watches('apps/v1', 'ReplicaSet', (rs) => {
      if (getControllerOf(rs as KubeObject)) return [];
      const ns = rs.metadata?.namespace ?? '';
      return deployments.list({ namespace: ns }).filter((d) => selectorOf(d).matches(rs.metadata?.labels)).map((d) => keyOf(d));
    })
    .watches(
      'v1',
      'Pod',
      (pod) => {
        // Recreate waits for old pods to go: a pod's deletion wakes its Deployment, and
        // only a Recreate one (upstream's deletePod). Everything else a Deployment needs
        // from its pods reaches it through its ReplicaSets' status.
        const ref = getControllerOf(pod as KubeObject);
        if (ref?.kind !== 'ReplicaSet' || !pod.metadata?.namespace) return [];
        const rs = rsCache.get(`${pod.metadata.namespace}/${ref.name}`);
        const dref = rs && getControllerOf(rs as KubeObject);
        if (dref?.kind !== 'Deployment') return [];
        const d = deployments.get(`${pod.metadata.namespace}/${dref.name}`);
        return d?.spec?.strategy?.type === 'Recreate' ? [`${pod.metadata.namespace}/${dref.name}`] : [];
      },
      { predicates: [podDeletionsOnly] },
    )
    .withConfig({ name: 'deployment', concurrency: opts.concurrency ?? 4 })
    .build(reconcileDeployment);
  manager.add(c as never);
  return c;
}

/** What {@link rollbackDeployment} did. */
export interface RollbackResult {
  /** The revision whose template the Deployment now has. */
  revision: number;
  /** False when the Deployment already had that template (`skipped rollback`). */
  rolledBack: boolean;
  /** The Deployment as stored afterwards. */
  deployment: Deployment;
}

/**
 * `kubectl rollout undo`: copies the pod template of revision `toRevision` (default 0:
 * the revision before the current one) from its ReplicaSet into the Deployment; the
 * controller then rolls out to it, and that ReplicaSet becomes the newest revision.
 * Throws a 404 ApiError when the Deployment or the revision does not exist, and 409 when
 * the Deployment changed meanwhile.
 */
export async function rollbackDeployment(client: Client, namespace: string, name: string, toRevision = 0): Promise<RollbackResult> {
  const d = (await client.get('apps/v1', 'Deployment', namespace, name)) as Deployment;
  const rss = ((await client.list('apps/v1', 'ReplicaSet', { namespace })).items as ReplicaSet[]).filter((rs) => getControllerOf(rs as KubeObject)?.uid === d.metadata?.uid);
  let target = toRevision;
  if (target === 0) {
    const revs = [...new Set(rss.map(revisionOf))].sort((a, b) => b - a);
    if (revs.length < 2) throw new ApiError('NotFound', `no rollout history found for deployment "${name}"`);
    target = revs[1];
  }
  const rs = rss.find((r) => revisionOf(r) === target);
  if (!rs) throw new ApiError('NotFound', `unable to find specified revision ${target} in history`);
  if (equalIgnoreHash(rs.spec?.template, d.spec?.template)) return { revision: target, rolledBack: false, deployment: d };
  const next: Deployment = { ...d, spec: { ...d.spec!, template: templateWithoutHash(rs.spec?.template) } };
  const stored = (await client.update(next)) as Deployment;
  return { revision: target, rolledBack: true, deployment: stored };
}
