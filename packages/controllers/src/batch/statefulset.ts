// The StatefulSet controller: ordered pods with stable names and storage.
import { controllerRef, getControllerOf, isAlreadyExists, isConflict, isNotFound, keyOf, type ControllerRevision, type PersistentVolumeClaim, type Pod, type PodTemplateSpec, type Selector, type StatefulSet } from '@bosun/api';
import type { Client } from '@bosun/apiserver';
import { Action, Controller, addOrphanIndex, adopt, isAlreadyOwnedError, release, type CacheListOptions, type Manager, type Reconcile } from '@bosun/controller-runtime';
import { Expectations, asKube, compileSelector, deleteIgnoringNotFound, hashOf, isRunningAndReady, isTerminating, writeStatus } from './util';

/** Pod label: the pod's own name (for per-pod Services). */
export const STATEFULSET_POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
/** Pod label: the pod's ordinal. */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** Pod label: the ControllerRevision (name) the pod was made from. */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';

/** Options of {@link addStatefulSetController}. */
export interface StatefulSetControllerOptions {
  /** Workers. Default 2. */
  concurrency?: number;
  /** Controller name. Default `statefulset-controller`. */
  name?: string;
}

/** The ordinal of `<set>-<ordinal>`, or -1 when the name is not one of the set's. */
export function ordinalOf(set: StatefulSet, podName: string): number {
  const prefix = `${set.metadata?.name ?? ''}-`;
  if (!podName.startsWith(prefix)) return -1;
  const rest = podName.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : -1;
}

/** The PVC name of claim template `claim` for ordinal `i`: `<claim>-<set>-<i>`. */
export function claimName(set: StatefulSet, claim: string, ordinal: number): string {
  return `${claim}-${set.metadata?.name ?? ''}-${ordinal}`;
}

/** The ControllerRevision name for a template: `<set>-<hash>`. */
export function revisionName(set: StatefulSet, template: PodTemplateSpec | undefined): string {
  return `${set.metadata?.name ?? ''}-${hashOf(template ?? {})}`;
}

/** The pod of ordinal `i` from `template` (of revision `revision`). */
export function podForOrdinal(set: StatefulSet, template: PodTemplateSpec, revision: string, i: number): Pod {
  const name = `${set.metadata?.name ?? ''}-${i}`;
  const spec = structuredClone(template.spec ?? { containers: [] });
  spec.hostname = name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  const claims = set.spec?.volumeClaimTemplates ?? [];
  if (claims.length) {
    const claimNames = new Set(claims.map((c) => c.metadata?.name));
    spec.volumes = [
      ...(spec.volumes ?? []).filter((v) => !claimNames.has(v.name)),
      ...claims.map((c) => ({ name: c.metadata?.name ?? '', persistentVolumeClaim: { claimName: claimName(set, c.metadata?.name ?? '', i) } })),
    ];
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: set.metadata?.namespace,
      labels: { ...(template.metadata?.labels ?? {}), [STATEFULSET_POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(i), [CONTROLLER_REVISION_HASH_LABEL]: revision },
      annotations: template.metadata?.annotations,
      ownerReferences: [controllerRef(asKube(set), { blockOwnerDeletion: true })],
    },
    spec,
  };
}

/**
 * The set's pods, claimed as upstream's `ClaimPods` with the `isMemberOf` filter: pods it
 * controls that match its selector; orphans that match it and are named
 * `<set>-<ordinal>` are adopted (a set recreated after `--cascade=orphan` takes its pods
 * back); pods it controls that stop matching are released. A set being deleted only
 * reads.
 */
async function claimPods(client: Client, set: StatefulSet, selector: Selector | undefined, podCache: { list(opts: CacheListOptions): Pod[] }, signal: AbortSignal): Promise<Pod[]> {
  const ns = set.metadata?.namespace ?? '';
  const deleting = !!set.metadata?.deletionTimestamp;
  const out: Pod[] = [];
  for (const p of podCache.list({ namespace: ns, controlledBy: asKube(set) })) {
    if (selector?.matches(p.metadata?.labels)) out.push(p);
    else if (!deleting) await release(client, asKube(set), p, { signal });
  }
  if (deleting || !selector) return out;
  for (const p of podCache.list({ namespace: ns, orphan: true, labelSelector: selector })) {
    if (isTerminating(p) || ordinalOf(set, p.metadata?.name ?? '') < 0) continue;
    try {
      const adopted = await adopt(client, asKube(set), p, { signal });
      if (adopted) out.push(adopted);
    } catch (e) {
      if (!isAlreadyOwnedError(e) && !isNotFound(e)) throw e;
    }
  }
  return out;
}

/**
 * Creates the StatefulSet reconcile: ControllerRevisions for the template, PVCs from
 * volumeClaimTemplates before each pod, pods `<set>-<ordinal>` created, replaced and
 * scaled as podManagementPolicy says (OrderedReady: one at a time, each Running and
 * Ready first, scale-down from the highest ordinal; Parallel: all at once), rolling
 * updates from the highest ordinal down to the partition, and the status.
 */
export function createStatefulSetReconcile(): Reconcile<StatefulSet> {
  const expectations = new Expectations();
  return async (set, ctx, signal) => {
    const { client, clock, recorder, informers } = ctx;
    const now = clock.now();
    const key = keyOf(set);
    const ns = set.metadata?.namespace ?? '';
    const setName = set.metadata?.name ?? '';
    const podCache = informers.forKind('v1', 'Pod').cache;
    const pvcCache = informers.forKind('v1', 'PersistentVolumeClaim').cache;
    const revCache = informers.forKind('apps/v1', 'ControllerRevision').cache;
    // Being deleted (the collector takes or orphans the pods and revisions): create,
    // delete and write nothing; a set recreated under the same name takes over.
    if (set.metadata?.deletionTimestamp) {
      expectations.forget(key);
      return Action.awaitChange();
    }
    if (!expectations.satisfied(key, (n) => podCache.get(`${ns}/${n}`), now)) return Action.awaitChange();

    // Revisions.
    const revisions = [...revCache.list({ namespace: ns, controlledBy: asKube(set) })];
    const updateName = revisionName(set, set.spec?.template);
    let updateRev: ControllerRevision | undefined = revisions.find((r) => r.metadata?.name === updateName);
    const maxRev = revisions.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);
    if (updateRev && (updateRev.revision ?? 0) < maxRev) {
      // Back to an older template (a rollback): as upstream, its revision becomes the newest.
      try {
        updateRev = await client.update({ ...updateRev, revision: maxRev + 1 }, { signal });
      } catch (e) {
        if (isConflict(e) || isNotFound(e)) return Action.requeue(); // our cache lagged: look again
        throw e;
      }
      const i = revisions.findIndex((r) => r.metadata?.name === updateName);
      revisions[i] = updateRev as (typeof revisions)[number];
    }
    if (!updateRev) {
      const rev: ControllerRevision = {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: { name: updateName, namespace: ns, labels: { ...(set.spec?.selector?.matchLabels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: updateName }, ownerReferences: [controllerRef(asKube(set), { blockOwnerDeletion: true })] },
        data: { spec: { template: { ...structuredClone(set.spec?.template ?? {}), $patch: 'replace' } } },
        revision: maxRev + 1,
      };
      try {
        updateRev = await client.create(rev, { signal });
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        // Our cache lagged, or the revision of an earlier set of this name was orphaned
        // (`--cascade=orphan`): it holds the same template, so adopt it, as upstream.
        // One controlled by another object makes `adopt` throw (AlreadyOwned): retried.
        const existing = await client.get('apps/v1', 'ControllerRevision', ns, updateName, { signal });
        updateRev = await adopt(client, asKube(set), existing, { signal });
        if (!updateRev) return Action.requeue();
      }
    }
    const currentName = set.status?.currentRevision && revisions.some((r) => r.metadata?.name === set.status?.currentRevision) ? set.status.currentRevision : updateName;
    const templateOf = (rev: string): PodTemplateSpec => {
      if (rev === updateName) return set.spec?.template ?? {};
      const r = revisions.find((x) => x.metadata?.name === rev);
      const t = (r?.data as { spec?: { template?: PodTemplateSpec & { $patch?: string } } } | undefined)?.spec?.template;
      if (!t) return set.spec?.template ?? {};
      const { $patch: _p, ...rest } = t;
      return rest;
    };

    const replicas = set.spec?.replicas ?? 1;
    const ordered = (set.spec?.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
    const strategy = set.spec?.updateStrategy?.type ?? 'RollingUpdate';
    const partition = strategy === 'RollingUpdate' ? (set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0) : 0;
    /** The revision a new pod of ordinal `i` gets. */
    const revisionFor = (i: number) => (strategy === 'RollingUpdate' && i < partition ? currentName : updateName);

    const selector = compileSelector(set.spec?.selector);
    const pods = new Map<number, Pod>();
    const condemned: Pod[] = [];
    for (const p of await claimPods(client, set, selector, podCache, signal)) {
      const i = ordinalOf(set, p.metadata?.name ?? '');
      if (i < 0) continue;
      if (i < replicas) pods.set(i, p);
      else condemned.push(p);
    }
    condemned.sort((a, b) => ordinalOf(set, b.metadata?.name ?? '') - ordinalOf(set, a.metadata?.name ?? ''));

    const deletePod = async (p: Pod) => {
      if (await deleteIgnoringNotFound(client, p)) {
        expectations.expectDelete(key, p.metadata?.name ?? '', p.metadata?.uid, now);
        recorder.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${p.metadata?.name} in StatefulSet ${setName} successful`);
      }
    };
    const createPod = async (i: number) => {
      const rev = revisionFor(i);
      const pod = podForOrdinal(set, templateOf(rev), rev, i);
      for (const c of set.spec?.volumeClaimTemplates ?? []) {
        const name = claimName(set, c.metadata?.name ?? '', i);
        if (pvcCache.get(`${ns}/${name}`)) continue;
        const pvc: PersistentVolumeClaim = {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name, namespace: ns, labels: { ...(c.metadata?.labels ?? {}), ...(set.spec?.selector?.matchLabels ?? {}) }, annotations: c.metadata?.annotations },
          spec: structuredClone(c.spec ?? {}),
        };
        try {
          await client.create(pvc, { signal });
          recorder.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${name} Pod ${pod.metadata?.name} in StatefulSet ${setName} success`);
        } catch (e) {
          if (!isAlreadyExists(e)) {
            recorder.event(set, 'Warning', 'FailedCreate', `create Claim ${name} for Pod ${pod.metadata?.name} in StatefulSet ${setName} failed error: ${e instanceof Error ? e.message : String(e)}`);
            throw e;
          }
        }
      }
      try {
        await client.create(pod, { signal });
      } catch (e) {
        if (isAlreadyExists(e)) return; // the old pod is still going away
        recorder.event(set, 'Warning', 'FailedCreate', `create Pod ${pod.metadata?.name} in StatefulSet ${setName} failed error: ${e instanceof Error ? e.message : String(e)}`);
        throw e;
      }
      expectations.expectCreate(key, pod.metadata?.name ?? '', now);
      recorder.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata?.name} in StatefulSet ${setName} successful`);
      pods.set(i, pod);
    };

    const step = async (): Promise<void> => {
      // Create or replace pods in range, in ordinal order.
      for (let i = 0; i < replicas; i++) {
        const p = pods.get(i);
        if (p && (p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded') && !isTerminating(p)) {
          if (p.status?.phase === 'Failed') recorder.event(set, 'Warning', 'RecreatingFailedPod', `StatefulSet ${ns}/${setName} is recreating failed Pod ${p.metadata?.name}`);
          else recorder.event(set, 'Normal', 'RecreatingTerminatedPod', `StatefulSet ${ns}/${setName} is recreating terminated Pod ${p.metadata?.name}`);
          await deletePod(p);
          if (ordered) return;
          continue;
        }
        if (!p) {
          await createPod(i);
          if (ordered) return;
          continue;
        }
        if (ordered && (isTerminating(p) || !isRunningAndReady(p))) return;
      }
      // Scale down from the highest ordinal.
      if (ordered && [...pods.values()].some((p) => isTerminating(p) || !isRunningAndReady(p))) return;
      for (const p of condemned) {
        if (isTerminating(p)) {
          if (ordered) return;
          continue;
        }
        await deletePod(p);
        if (ordered) return;
      }
      if (condemned.length) return;
      // Rolling update: highest ordinal first, down to the partition, one at a time.
      if (strategy !== 'RollingUpdate') return;
      if ([...pods.values()].some((p) => isTerminating(p) || !isRunningAndReady(p))) return;
      for (let i = replicas - 1; i >= partition; i--) {
        const p = pods.get(i);
        if (p && p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] !== updateName) {
          await deletePod(p);
          return;
        }
      }
    };
    await step();

    // Status from the pods as they stand after this pass.
    const all = [...pods.values(), ...condemned].filter((p) => !isTerminating(p) || pods.get(ordinalOf(set, p.metadata?.name ?? '')) === p);
    const revOf = (p: Pod) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
    const ready = all.filter(isRunningAndReady).length;
    const updated = all.filter((p) => revOf(p) === updateName).length;
    let current = all.filter((p) => revOf(p) === currentName).length;
    let currentRevision = currentName;
    const inRange = [...pods.values()];
    if (updated === replicas && condemned.length === 0 && inRange.length === replicas && inRange.every((p) => revOf(p) === updateName && isRunningAndReady(p))) {
      currentRevision = updateName;
      current = updated;
    }
    const status = {
      ...(set.status ?? {}),
      observedGeneration: set.metadata?.generation,
      replicas: all.length,
      readyReplicas: ready,
      availableReplicas: ready,
      currentReplicas: current,
      updatedReplicas: updated,
      currentRevision,
      updateRevision: updateName,
      collisionCount: set.status?.collisionCount ?? 0,
    };
    await writeStatus(client, set, status, signal);

    // History: keep revisionHistoryLimit revisions besides the current and update ones and those pods use.
    const limit = set.spec?.revisionHistoryLimit ?? 10;
    const used = new Set([currentRevision, updateName, ...all.map(revOf)]);
    const old = revisions.filter((r) => !used.has(r.metadata?.name)).sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
    for (const r of old.slice(0, Math.max(0, old.length - limit))) await deleteIgnoringNotFound(client, r);
    return Action.awaitChange();
  };
}

/**
 * Adds the StatefulSet controller to `manager`: StatefulSets, their pods and their
 * ControllerRevisions, plus the PVC cache. Pods are `<set>-<ordinal>` with hostname =
 * pod name and subdomain = serviceName, labels `statefulset.kubernetes.io/pod-name`,
 * `apps.kubernetes.io/pod-index`, `controller-revision-hash`; claims
 * `<claim>-<set>-<ordinal>` are created before the pod and never deleted (Retain).
 * Events: SuccessfulCreate, SuccessfulDelete, FailedCreate, RecreatingFailedPod (Warning)
 * and RecreatingTerminatedPod (upstream messages).
 */
export function addStatefulSetController(manager: Manager, opts: StatefulSetControllerOptions = {}): void {
  manager.informers.forKind('v1', 'PersistentVolumeClaim');
  addOrphanIndex(manager.informers.forKind('v1', 'Pod').cache);
  const sets = () => manager.informers.forKind('apps/v1', 'StatefulSet').cache;
  manager.add(
    Controller.for('apps/v1', 'StatefulSet')
      .owns('v1', 'Pod')
      .owns('apps/v1', 'ControllerRevision')
      .watches('v1', 'Pod', (pod) => {
        // An orphan wakes the sets that may adopt it (by selector and name).
        if (getControllerOf(asKube(pod)) || !pod.metadata?.namespace) return [];
        return sets()
          .list({ namespace: pod.metadata.namespace })
          .filter((st) => ordinalOf(st, pod.metadata?.name ?? '') >= 0 && !!compileSelector(st.spec?.selector)?.matches(pod.metadata?.labels))
          .map((st) => keyOf(st));
      })
      .withConfig({ name: opts.name ?? 'statefulset-controller', concurrency: opts.concurrency ?? 2 })
      .build(createStatefulSetReconcile()),
  );
}
