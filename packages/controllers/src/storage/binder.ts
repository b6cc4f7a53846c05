// The PV/PVC binder: Kubernetes' persistentvolume controller (static binding, phases,
// reclaim of released volumes), as two level-triggered reconciles over claims and volumes.
import { isConflict, isNotFound } from '@bosun/api';
import type { Client, EventRecorder } from '@bosun/apiserver';
import { Action, Controller, type Manager, type Reconcile } from '@bosun/controller-runtime';
import { AssumeCache } from './assume-cache';
import {
  ANN_BETA_STORAGE_PROVISIONER,
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  ANN_DYNAMICALLY_PROVISIONED,
  ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER,
  NO_PROVISIONER,
  claimClass,
  claimKey,
  claimRefKey,
  claimRefOf,
  findMatchingVolume,
  isVolumeBoundToClaim,
  volumeMismatch,
  type Lister,
  type StoredClaim as PersistentVolumeClaim,
  type StoredClass,
  type StoredVolume as PersistentVolume,
} from './helpers';

/** Options of {@link addPersistentVolumeBinder}. */
export interface PersistentVolumeBinderOptions {
  /** Workers of each of the two controllers (claims, volumes). Default 1 (binding decisions are then serial, as upstream). */
  concurrency?: number;
  /** Prefix of the controllers' names: `<name>-claims`, `<name>-volumes`. Default `persistentvolume-binder`. */
  name?: string;
}

/** The index of the volume cache by the `namespace/name` of the claim a volume's claimRef names. */
export const VOLUME_CLAIM_INDEX = 'storage.bosun.dev/claimRef';

/** Reasons of the Events the binder records, as upstream's. */
export const BinderEvents = {
  FailedBinding: 'FailedBinding',
  VolumeMismatch: 'VolumeMismatch',
  WaitForFirstConsumer: 'WaitForFirstConsumer',
  ExternalProvisioning: 'ExternalProvisioning',
  ProvisioningFailed: 'ProvisioningFailed',
  ClaimLost: 'ClaimLost',
  ClaimMisbound: 'ClaimMisbound',
  VolumeFailedDelete: 'VolumeFailedDelete',
  VolumeFailedRecycle: 'VolumeFailedRecycle',
} as const;

type ClaimPhase = 'Pending' | 'Bound' | 'Lost';
type VolumePhase = 'Pending' | 'Available' | 'Bound' | 'Released' | 'Failed';

/** What both reconciles share: the caches and the assumed writes. */
interface BinderState {
  volumes: AssumeCache<PersistentVolume>;
  claims: AssumeCache<PersistentVolumeClaim>;
  classes: Lister<StoredClass>;
}

interface Io {
  client: Client;
  recorder: EventRecorder;
  signal: AbortSignal;
  state: BinderState;
}

async function setClaimStatus(io: Io, claim: PersistentVolumeClaim, phase: ClaimPhase, volume?: PersistentVolume): Promise<PersistentVolumeClaim> {
  const cur = claim.status ?? {};
  const accessModes = volume ? volume.spec?.accessModes : phase === 'Bound' ? cur.accessModes : undefined;
  const capacity = volume ? volume.spec?.capacity : phase === 'Bound' ? cur.capacity : undefined;
  const same = cur.phase === phase && JSON.stringify(cur.accessModes) === JSON.stringify(accessModes) && JSON.stringify(cur.capacity) === JSON.stringify(capacity);
  if (same) return claim;
  const updated = await io.client.updateStatus({ ...claim, status: { ...cur, phase, accessModes, capacity } }, { signal: io.signal });
  io.state.claims.assume(claimKey(updated), updated);
  return updated;
}

async function setVolumePhase(io: Io, pv: PersistentVolume, phase: VolumePhase, message?: string): Promise<PersistentVolume> {
  if (pv.status?.phase === phase && (pv.status?.message ?? undefined) === message) return pv;
  const updated = await io.client.updateStatus({ ...pv, status: { ...pv.status, phase, message } }, { signal: io.signal });
  io.state.volumes.assume(updated.metadata?.name ?? '', updated);
  return updated;
}

/**
 * Binds `claim` and `pv` in upstream's order, each step skipped when already done: the
 * volume's claimRef (annotated bound-by-controller unless the user pre-bound it), the
 * volume's phase Bound, the claim's volumeName and bind-completed annotation, the
 * claim's phase, access modes and capacity. Every write carries the resourceVersion the
 * decision was made on, so a volume taken meanwhile fails with a Conflict instead of
 * being bound twice.
 */
async function bind(io: Io, pv: PersistentVolume, claim: PersistentVolumeClaim): Promise<void> {
  const pvName = pv.metadata?.name ?? '';
  const ref = pv.spec?.claimRef;
  if (!isVolumeBoundToClaim(pv, claim) || ref?.uid !== claim.metadata?.uid) {
    const annotations = { ...pv.metadata?.annotations };
    if (!isVolumeBoundToClaim(pv, claim)) annotations[ANN_BOUND_BY_CONTROLLER] = 'yes';
    pv = await io.client.update({ ...pv, metadata: { ...pv.metadata, annotations }, spec: { ...pv.spec, claimRef: claimRefOf(claim) } }, { signal: io.signal });
    io.state.volumes.assume(pvName, pv);
  }
  pv = await setVolumePhase(io, pv, 'Bound');
  const ann = claim.metadata?.annotations ?? {};
  if (claim.spec?.volumeName !== pvName || ann[ANN_BIND_COMPLETED] !== 'yes') {
    const annotations: Record<string, string> = { ...ann, [ANN_BIND_COMPLETED]: 'yes' };
    if (!claim.spec?.volumeName) annotations[ANN_BOUND_BY_CONTROLLER] = 'yes';
    claim = await io.client.update({ ...claim, metadata: { ...claim.metadata, annotations }, spec: { ...claim.spec, volumeName: pvName } }, { signal: io.signal });
    io.state.claims.assume(claimKey(claim), claim);
  }
  await setClaimStatus(io, claim, 'Bound', pv);
}

/** An unbound claim with no volume chosen: static match, else wait, else hand over to a provisioner. */
async function syncClaimWithoutVolume(io: Io, claim: PersistentVolumeClaim): Promise<void> {
  const cls = claimClass(claim);
  const sc = cls ? io.state.classes.get(cls) : undefined;
  const delayBinding = sc?.volumeBindingMode === 'WaitForFirstConsumer';
  const pv = findMatchingVolume(claim, io.state.volumes.list(), { delayBinding });
  if (pv) return bind(io, pv, claim);
  const ann = claim.metadata?.annotations ?? {};
  if (delayBinding && !ann[ANN_SELECTED_NODE]) {
    io.recorder.event(claim, 'Normal', BinderEvents.WaitForFirstConsumer, 'waiting for first consumer to be created before binding');
  } else if (!cls) {
    io.recorder.event(claim, 'Normal', BinderEvents.FailedBinding, 'no persistent volumes available for this claim and no storage class is set');
  } else if (!sc) {
    io.recorder.event(claim, 'Warning', BinderEvents.ProvisioningFailed, `storageclass.storage.k8s.io "${cls}" not found`);
  } else if (!sc.provisioner || sc.provisioner === NO_PROVISIONER) {
    io.recorder.event(claim, 'Normal', BinderEvents.FailedBinding, `no persistent volumes available for this claim and storage class "${cls}" does not provision volumes`);
  } else {
    if (ann[ANN_STORAGE_PROVISIONER] !== sc.provisioner) {
      const annotations = { ...ann, [ANN_STORAGE_PROVISIONER]: sc.provisioner, [ANN_BETA_STORAGE_PROVISIONER]: sc.provisioner };
      claim = await io.client.update({ ...claim, metadata: { ...claim.metadata, annotations } }, { signal: io.signal });
      io.state.claims.assume(claimKey(claim), claim);
    }
    io.recorder.event(
      claim,
      'Normal',
      BinderEvents.ExternalProvisioning,
      `Waiting for a volume to be created either by the external provisioner '${sc.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
    );
  }
  await setClaimStatus(io, claim, 'Pending');
}

/** A claim not yet bind-completed: upstream's `syncUnboundClaim`. */
async function syncUnboundClaim(io: Io, claim: PersistentVolumeClaim): Promise<void> {
  const volumeName = claim.spec?.volumeName;
  if (!volumeName) return syncClaimWithoutVolume(io, claim);
  // The user pre-bound the claim to a volume by name.
  const pv = io.state.volumes.get(volumeName);
  if (!pv) {
    io.recorder.event(claim, 'Normal', BinderEvents.FailedBinding, `volume "${volumeName}" requested by the claim does not exist`);
    await setClaimStatus(io, claim, 'Pending');
    return;
  }
  if (!pv.spec?.claimRef) {
    const why = volumeMismatch(pv, claim);
    if (why) {
      io.recorder.event(claim, 'Warning', BinderEvents.VolumeMismatch, `Cannot bind to requested volume "${volumeName}": ${why}`);
      await setClaimStatus(io, claim, 'Pending');
      return;
    }
    return bind(io, pv, claim);
  }
  if (isVolumeBoundToClaim(pv, claim)) return bind(io, pv, claim);
  io.recorder.event(claim, 'Warning', BinderEvents.FailedBinding, `volume "${volumeName}" already bound to a different claim.`);
  await setClaimStatus(io, claim, 'Pending');
}

/** A bind-completed claim: keep it Bound, or mark it Lost when its volume is gone or taken. */
async function syncBoundClaim(io: Io, claim: PersistentVolumeClaim): Promise<void> {
  const volumeName = claim.spec?.volumeName;
  const pv = volumeName ? io.state.volumes.get(volumeName) : undefined;
  if (!pv) {
    if (claim.status?.phase !== 'Lost') io.recorder.event(claim, 'Warning', BinderEvents.ClaimLost, 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!');
    await setClaimStatus(io, claim, 'Lost');
    return;
  }
  if (!pv.spec?.claimRef || isVolumeBoundToClaim(pv, claim)) return bind(io, pv, claim);
  if (claim.status?.phase !== 'Lost') io.recorder.event(claim, 'Warning', BinderEvents.ClaimMisbound, 'Two claims are bound to the same volume, this one is bound incorrectly');
  await setClaimStatus(io, claim, 'Lost');
}

/**
 * The claim reconcile: upstream's `syncClaim`. A Conflict (someone else wrote the volume
 * or the claim meanwhile) is not an error: the key is requeued with backoff and decides
 * again on fresher state.
 */
function createClaimReconcile(state: BinderState): Reconcile<PersistentVolumeClaim> {
  return async (cached, { client, recorder }, signal) => {
    const claim = state.claims.get(claimKey(cached)) ?? cached;
    if (claim.metadata?.deletionTimestamp) return Action.awaitChange();
    const io: Io = { client, recorder, signal, state };
    try {
      if (claim.metadata?.annotations?.[ANN_BIND_COMPLETED]) await syncBoundClaim(io, claim);
      else await syncUnboundClaim(io, claim);
    } catch (e) {
      if (isConflict(e)) return Action.requeue();
      throw e;
    }
    return Action.awaitChange();
  };
}

/** The claim a volume names, from the cache, double-checked against the API before the binder concludes it is gone. */
async function claimOf(io: Io, pv: PersistentVolume): Promise<PersistentVolumeClaim | undefined> {
  const key = claimRefKey(pv);
  if (!key) return undefined;
  const uid = pv.spec?.claimRef?.uid;
  const cached = io.state.claims.get(key);
  if (cached && cached.metadata?.uid === uid) return cached;
  const ref = pv.spec!.claimRef!;
  try {
    const live = await io.client.get('v1', 'PersistentVolumeClaim', ref.namespace ?? 'default', ref.name ?? '', { signal: io.signal });
    return live.metadata?.uid === uid ? live : undefined;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * What happens to a Released volume, by its reclaim policy: Retain keeps it Released
 * for an administrator; Delete of a provisioned volume is the provisioner's (named by
 * `pv.kubernetes.io/provisioned-by`), of any other volume fails (no in-tree deleter);
 * Recycle is not supported (deprecated upstream) and fails.
 */
async function reclaim(io: Io, pv: PersistentVolume): Promise<void> {
  const policy = pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
  if (policy === 'Retain') return;
  if (policy === 'Recycle') {
    const msg = 'Recycle is not supported: use Delete (dynamic provisioning) or Retain';
    if (pv.status?.phase !== 'Failed') io.recorder.event(pv, 'Warning', BinderEvents.VolumeFailedRecycle, msg);
    await setVolumePhase(io, pv, 'Failed', msg);
    return;
  }
  if (pv.metadata?.annotations?.[ANN_DYNAMICALLY_PROVISIONED]) return; // the CSI provisioner deletes it
  const msg = `error getting deleter volume plugin for volume "${pv.metadata?.name}": no deletable volume plugin matched`;
  if (pv.status?.phase !== 'Failed') io.recorder.event(pv, 'Warning', BinderEvents.VolumeFailedDelete, msg);
  await setVolumePhase(io, pv, 'Failed', msg);
}

/** The volume reconcile: upstream's `syncVolume`. */
function createVolumeReconcile(state: BinderState): Reconcile<PersistentVolume> {
  return async (cached, { client, recorder }, signal) => {
    const pv = state.volumes.get(cached.metadata?.name ?? '') ?? cached;
    if (pv.metadata?.deletionTimestamp) return Action.awaitChange();
    const io: Io = { client, recorder, signal, state };
    try {
      await syncVolume(io, pv);
    } catch (e) {
      if (isConflict(e)) return Action.requeue();
      throw e;
    }
    return Action.awaitChange();
  };
}

async function syncVolume(io: Io, pv: PersistentVolume): Promise<void> {
  const ref = pv.spec?.claimRef;
  // Unused, or pre-bound by the user to a claim not yet seen: Available.
  if (!ref?.name || !ref.uid) {
    await setVolumePhase(io, pv, 'Available');
    return;
  }
  const claim = await claimOf(io, pv);
  const phase = pv.status?.phase;
  if (!claim) {
    const released = phase === 'Released' || phase === 'Failed' ? pv : await setVolumePhase(io, pv, 'Released');
    if (released.status?.phase === 'Released') await reclaim(io, released);
    return;
  }
  const volumeName = claim.spec?.volumeName;
  if (!volumeName) return; // the claim reconcile finishes (or undoes) the binding
  if (volumeName === pv.metadata?.name) {
    await setVolumePhase(io, pv, 'Bound');
    return;
  }
  // The claim went to another volume.
  const ann = pv.metadata?.annotations ?? {};
  if (ann[ANN_DYNAMICALLY_PROVISIONED] && pv.spec?.persistentVolumeReclaimPolicy === 'Delete') {
    const released = phase === 'Released' || phase === 'Failed' ? pv : await setVolumePhase(io, pv, 'Released');
    if (released.status?.phase === 'Released') await reclaim(io, released);
  } else if (ann[ANN_BOUND_BY_CONTROLLER]) {
    // Our own half-done binding lost the race: undo it.
    const { [ANN_BOUND_BY_CONTROLLER]: _, ...rest } = ann;
    const updated = await io.client.update({ ...pv, metadata: { ...pv.metadata, annotations: rest }, spec: { ...pv.spec, claimRef: undefined } }, { signal: io.signal });
    io.state.volumes.assume(updated.metadata?.name ?? '', updated);
    await setVolumePhase(io, updated, 'Available');
  }
}

/** Pending claims with no volume yet, optionally only of class `cls`. */
function unboundClaims(claims: Lister<PersistentVolumeClaim>, cls?: string): string[] {
  return claims
    .list()
    .filter((c) => !c.spec?.volumeName && (cls === undefined || claimClass(c) === cls))
    .map(claimKey);
}

function ensureClaimIndex(volumes: { indexNames(): string[]; addIndexers(i: Record<string, (pv: PersistentVolume) => string[]>): void }): void {
  if (volumes.indexNames().includes(VOLUME_CLAIM_INDEX)) return;
  volumes.addIndexers({
    [VOLUME_CLAIM_INDEX]: (pv) => {
      const k = claimRefKey(pv);
      return k ? [k] : [];
    },
  });
}

/**
 * Adds the PV/PVC binder to `manager` (Kubernetes' persistentvolume controller), as two
 * controllers sharing caches:
 *
 * - `<name>-claims` reconciles PersistentVolumeClaims. An unbound claim is bound to the
 *   volume pre-bound to it (its `spec.volumeName`, or a volume whose `claimRef` names
 *   it), else to the smallest Available volume of its class (`""` included, for manual
 *   binding; the `volume.beta.kubernetes.io/storage-class` annotation wins over the
 *   field) with every requested access mode, the same volume mode, enough capacity and
 *   labels matching its selector. WaitForFirstConsumer claims are left to the scheduler
 *   (Event WaitForFirstConsumer). With no volume and a class with a provisioner, the claim
 *   is annotated `volume.kubernetes.io/storage-provisioner` and waits (Event
 *   ExternalProvisioning). Bound claims whose volume vanished or went to another claim
 *   become Lost (ClaimLost, ClaimMisbound). Annotations `pv.kubernetes.io/bind-completed`
 *   and `pv.kubernetes.io/bound-by-controller` as upstream.
 * - `<name>-volumes` reconciles PersistentVolumes: Available when unclaimed, Bound when
 *   its claim names it, Released when its claim is gone (checked against the API, not
 *   only the cache); then the reclaim policy: Retain keeps it Released; Delete of a
 *   provisioned volume is left to the CSI provisioner ({@link addCsiProvisioner}); Delete
 *   of a static volume and Recycle fail (phase Failed, VolumeFailedDelete /
 *   VolumeFailedRecycle). A controller-made binding the claim abandoned is undone.
 *
 * A volume is never bound to two claims: each write carries the resourceVersion it was
 * decided on (a stale decision fails with Conflict and is retried), and decisions see
 * this process's own writes before the informer does. Idempotent: safe to run again at
 * any time, and after a restart it converges from what the API holds.
 */
export function addPersistentVolumeBinder(manager: Manager, opts: PersistentVolumeBinderOptions = {}): void {
  const name = opts.name ?? 'persistentvolume-binder';
  const concurrency = opts.concurrency ?? 1;
  const pvCache = manager.informers.forKind('v1', 'PersistentVolume').cache;
  const pvcCache = manager.informers.forKind('v1', 'PersistentVolumeClaim').cache;
  const scCache = manager.informers.forKind('storage.k8s.io/v1', 'StorageClass').cache;
  ensureClaimIndex(pvCache);
  const state: BinderState = { volumes: new AssumeCache(pvCache), claims: new AssumeCache(pvcCache), classes: scCache };

  manager.add(
    Controller.for('v1', 'PersistentVolumeClaim')
      // A volume changing concerns the claim it names; a volume becoming free concerns every waiting claim.
      .watches('v1', 'PersistentVolume', (pv) => {
        const ref = claimRefKey(pv);
        if (ref) return [ref];
        return pv.status?.phase === 'Available' ? unboundClaims(pvcCache) : [];
      })
      .watches('storage.k8s.io/v1', 'StorageClass', (sc) => unboundClaims(pvcCache, sc.metadata?.name ?? ''))
      .withConfig({ name: `${name}-claims`, concurrency })
      .build(createClaimReconcile(state)),
  );
  manager.add(
    Controller.for('v1', 'PersistentVolume', { clusterScoped: true })
      .watches('v1', 'PersistentVolumeClaim', (claim) => {
        const names = new Set(pvCache.indexKeys(VOLUME_CLAIM_INDEX, claimKey(claim)));
        if (claim.spec?.volumeName) names.add(claim.spec.volumeName);
        return [...names];
      })
      .withConfig({ name: `${name}-volumes`, concurrency })
      .build(createVolumeReconcile(state)),
  );
}
