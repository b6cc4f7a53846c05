// Shared pieces of the storage controllers: the annotations upstream uses, class
// lookup, quantities, and the claim ↔ volume matching rules of the PV controller.
import { labelSelectorFromObject, tryParseQuantity, type core, type PersistentVolume, type PersistentVolumeClaim, type StorageClass, type TypeOf } from '@bosun/api';

/** A PersistentVolume as the API and the caches hand it out (apiVersion, kind, metadata set). */
export type StoredVolume = TypeOf<'v1', 'PersistentVolume'>;
/** A PersistentVolumeClaim as the API and the caches hand it out. */
export type StoredClaim = TypeOf<'v1', 'PersistentVolumeClaim'>;
/** A StorageClass as the API and the caches hand it out. */
export type StoredClass = TypeOf<'storage.k8s.io/v1', 'StorageClass'>;

/** The read side of an informer cache the storage controllers use. */
export interface Lister<T> {
  get(key: string): T | undefined;
  list(): T[];
  keys(): string[];
}

/** PVC annotation: the binder finished binding this claim (set once the claim names its volume). */
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
/** PV and PVC annotation: the binder (not the user) set the claimRef / volumeName. */
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
/** PV annotation: the provisioner (CSI driver name) that created the volume; it also deletes it. */
export const ANN_DYNAMICALLY_PROVISIONED = 'pv.kubernetes.io/provisioned-by';
/** PVC annotation: the provisioner expected to provision the claim (set by the binder). */
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
/** PVC annotation: the beta name of {@link ANN_STORAGE_PROVISIONER}, still set for old tools. */
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
/** PVC/PV annotation that names the class and wins over `spec.storageClassName` (deprecated upstream, still honoured). */
export const ANN_BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';
/** PVC annotation: the node the scheduler chose for the claim's first consumer (WaitForFirstConsumer). */
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
/** StorageClass annotation marking the default class. */
export const ANN_DEFAULT_STORAGE_CLASS = 'storageclass.kubernetes.io/is-default-class';
/** The beta name of {@link ANN_DEFAULT_STORAGE_CLASS}. */
export const ANN_BETA_DEFAULT_STORAGE_CLASS = 'storageclass.beta.kubernetes.io/is-default-class';
/** PV annotation (Bosun): the node whose instance of a node-local CSI driver holds the volume. */
export const ANN_PROVISIONED_ON_NODE = 'storage.bosun.dev/provisioned-on-node';
/** The provisioner name of classes for static volumes only. */
export const NO_PROVISIONER = 'kubernetes.io/no-provisioner';

/** `namespace/name` of a claim. */
export function claimKey(claim: PersistentVolumeClaim): string {
  return `${claim.metadata?.namespace ?? 'default'}/${claim.metadata?.name ?? ''}`;
}

/** `namespace/name` of the claim a volume's claimRef names, or undefined. */
export function claimRefKey(pv: PersistentVolume): string | undefined {
  const ref = pv.spec?.claimRef;
  return ref?.name ? `${ref.namespace ?? 'default'}/${ref.name}` : undefined;
}

/**
 * The class a claim asks for: the beta annotation when present, else
 * `spec.storageClassName`; `''` when neither is set (as upstream's
 * `GetPersistentVolumeClaimClass`).
 */
export function claimClass(claim: PersistentVolumeClaim): string {
  const ann = claim.metadata?.annotations?.[ANN_BETA_STORAGE_CLASS];
  if (ann !== undefined) return ann;
  return claim.spec?.storageClassName ?? '';
}

/** True when the claim names no class at all (neither annotation nor field), so the default class applies. */
export function claimClassUnset(claim: PersistentVolumeClaim): boolean {
  return claim.metadata?.annotations?.[ANN_BETA_STORAGE_CLASS] === undefined && claim.spec?.storageClassName == null;
}

/** The class of a volume: the beta annotation when present, else `spec.storageClassName`, else `''`. */
export function volumeClass(pv: PersistentVolume): string {
  return pv.metadata?.annotations?.[ANN_BETA_STORAGE_CLASS] ?? pv.spec?.storageClassName ?? '';
}

/** True for a class marked default (either annotation, value `true`). */
export function isDefaultClass(sc: StorageClass): boolean {
  const a = sc.metadata?.annotations ?? {};
  return a[ANN_DEFAULT_STORAGE_CLASS] === 'true' || a[ANN_BETA_DEFAULT_STORAGE_CLASS] === 'true';
}

/**
 * The default class among `classes`: when several are marked, the newest (then the
 * first by name), as upstream's `GetDefaultClass`; undefined when none is.
 */
export function defaultClassOf(classes: readonly StorageClass[]): StorageClass | undefined {
  const defaults = classes.filter(isDefaultClass);
  defaults.sort((a, b) => {
    const ta = a.metadata?.creationTimestamp ?? '';
    const tb = b.metadata?.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? 1 : -1;
    return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
  });
  return defaults[0];
}

/** Bytes of `list.storage` (requests or capacity); 0n when absent or unparsable. */
export function storageBytes(list: Record<string, unknown> | undefined): bigint {
  const q = list?.storage;
  const parsed = typeof q === 'string' || typeof q === 'number' ? tryParseQuantity(q) : undefined;
  return parsed ? parsed.value() : 0n;
}

/** The claim's requested bytes. */
export function requestedBytes(claim: PersistentVolumeClaim): bigint {
  return storageBytes(claim.spec?.resources?.requests as Record<string, unknown> | undefined);
}

/** The volume's capacity in bytes. */
export function capacityBytes(pv: PersistentVolume): bigint {
  return storageBytes(pv.spec?.capacity as Record<string, unknown> | undefined);
}

/** True when the volume's claimRef names this claim (by namespace and name, and by uid when the ref has one). */
export function isVolumeBoundToClaim(pv: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref?.name) return false;
  if ((ref.namespace ?? 'default') !== (claim.metadata?.namespace ?? 'default') || ref.name !== claim.metadata?.name) return false;
  return !ref.uid || ref.uid === claim.metadata?.uid;
}

/** A claimRef naming `claim` (with its uid and resourceVersion), as the binder writes it. */
export function claimRefOf(claim: PersistentVolumeClaim): core.ObjectReference {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    namespace: claim.metadata?.namespace ?? 'default',
    name: claim.metadata?.name ?? '',
    uid: claim.metadata?.uid,
    resourceVersion: claim.metadata?.resourceVersion,
  };
}

/**
 * Why `pv` cannot serve `claim` (the checks upstream's `checkVolumeSatisfyClaim` makes
 * for explicit bindings): capacity, class, volume mode, access modes. Undefined when it can.
 */
export function volumeMismatch(pv: PersistentVolume, claim: PersistentVolumeClaim): string | undefined {
  const want = requestedBytes(claim);
  const have = capacityBytes(pv);
  if (have < want) return `requested PV is too small`;
  if (volumeClass(pv) !== claimClass(claim)) return `storageClassName does not match`;
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (claim.spec?.volumeMode ?? 'Filesystem')) return `incompatible volumeMode`;
  const modes = pv.spec?.accessModes ?? [];
  if (!(claim.spec?.accessModes ?? []).every((m) => modes.includes(m))) return `incompatible accessMode`;
  return undefined;
}

/**
 * The volume the binder binds an unbound claim to, as upstream's `findMatchingVolume`:
 * a volume pre-bound to the claim (claimRef names it) when large enough; otherwise the
 * smallest Available volume with no claimRef, the claim's class and volume mode, every
 * requested access mode, capacity ≥ request and labels matching the claim's selector.
 * With `delayBinding` (a WaitForFirstConsumer class) only pre-bound volumes count: the
 * scheduler picks the rest, knowing the node. `taken` volumes (assumed for other claims)
 * are skipped.
 */
export function findMatchingVolume<V extends PersistentVolume>(
  claim: PersistentVolumeClaim,
  volumes: Iterable<V>,
  opts: { delayBinding?: boolean; taken?: ReadonlySet<string> } = {},
): V | undefined {
  const want = requestedBytes(claim);
  const cls = claimClass(claim);
  const mode = claim.spec?.volumeMode ?? 'Filesystem';
  const modes = claim.spec?.accessModes ?? [];
  let selector;
  try {
    selector = claim.spec?.selector ? labelSelectorFromObject(claim.spec.selector) : undefined;
  } catch {
    return undefined; // an invalid selector matches nothing (validation normally refuses it)
  }
  let best: V | undefined;
  let bestSize = 0n;
  for (const pv of volumes) {
    const name = pv.metadata?.name ?? '';
    if (pv.metadata?.deletionTimestamp || opts.taken?.has(name)) continue;
    if ((pv.spec?.volumeMode ?? 'Filesystem') !== mode) continue;
    const size = capacityBytes(pv);
    if (isVolumeBoundToClaim(pv, claim)) {
      if (size < want) continue;
      return pv;
    }
    if (opts.delayBinding) continue;
    if (pv.spec?.claimRef) continue;
    if (pv.status?.phase !== 'Available') continue;
    if (selector && !selector.matches(pv.metadata?.labels)) continue;
    if (volumeClass(pv) !== cls) continue;
    const pvModes = pv.spec?.accessModes ?? [];
    if (!modes.every((m) => pvModes.includes(m))) continue;
    if (size < want) continue;
    if (!best || size < bestSize || (size === bestSize && name < (best.metadata?.name ?? ''))) {
      best = pv;
      bestSize = size;
    }
  }
  return best;
}

/** The message of an unknown error. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
