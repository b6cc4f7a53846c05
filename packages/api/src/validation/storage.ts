// PersistentVolume, PersistentVolumeClaim and StorageClass, as core/validation and
// storage/validation check them.
import type { FieldCause } from '../errors';
import { PERSISTENT_VOLUME_SOURCES } from '../defaults/volume-sources';
import { validateDns1123Subdomain, validateQualifiedName } from '../selectors/index';
import { validateNodeSelector } from './scheduling';
import { arr, clone, FieldPath, fieldError, has, immutable, invalidEach, IS_NOT_POSITIVE, isObj, obj, quantity, semanticEqual, validateLabelName, validateLabelSelector, type Causes, type Path } from './util';
import { validateAbsolutePath, validateHostPathSource, validateNfsSource } from './volume';

export const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Block', 'Filesystem'];
const PV_RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];

function validateAccessModes(list: unknown, path: Path, requiredDetail: string): Causes {
  const modes = arr(list);
  const causes: Causes = [];
  if (modes.length === 0) causes.push(fieldError.required(path, requiredDetail));
  let rwop = false;
  let other = false;
  for (const m of modes) {
    if (!ACCESS_MODES.includes(m)) causes.push(fieldError.notSupported(path, m, ACCESS_MODES));
    else if (m === 'ReadWriteOncePod') rwop = true;
    else other = true;
  }
  if (rwop && other) causes.push(fieldError.forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return causes;
}

function validateClassName(v: unknown, path: Path): Causes {
  return typeof v === 'string' && v !== '' ? invalidEach(path, v, validateDns1123Subdomain(v)) : [];
}

/**
 * A PersistentVolumeClaim spec (also StatefulSet volumeClaimTemplates and ephemeral
 * volumes): at least one supported access mode, a positive `resources.requests.storage`
 * (reported on `spec.resources[storage]` as upstream does), a valid selector, class
 * name and volumeMode.
 */
export function validatePersistentVolumeClaimSpec(spec: unknown, path: Path = FieldPath.root('spec')): FieldCause[] {
  if (!isObj(spec)) return [fieldError.required(path)];
  const causes = validateAccessModes(spec.accessModes, path.child('accessModes'), 'at least 1 access mode is required');
  causes.push(...validateLabelSelector(spec.selector, path.child('selector')));
  const storagePath = path.child('resources').key('storage');
  const storage = obj(obj(spec.resources).requests).storage;
  if (!has(storage)) causes.push(fieldError.required(storagePath));
  else {
    const q = quantity(storage, storagePath, causes);
    if (q && q.sign() <= 0) causes.push(fieldError.invalid(storagePath, q.toString(), IS_NOT_POSITIVE));
  }
  causes.push(...validateClassName(spec.storageClassName, path.child('storageClassName')));
  if (has(spec.volumeMode) && !VOLUME_MODES.includes(spec.volumeMode)) causes.push(fieldError.notSupported(path.child('volumeMode'), spec.volumeMode, VOLUME_MODES));
  for (const k of ['dataSource', 'dataSourceRef']) {
    if (!has(spec[k])) continue;
    const ds = obj(spec[k]);
    if (!ds.name) causes.push(fieldError.required(path.child(k, 'name')));
    if (!ds.kind) causes.push(fieldError.required(path.child(k, 'kind')));
  }
  return causes;
}

/** The PersistentVolumeClaim kind's validation: its spec and, on update, {@link validatePersistentVolumeClaimUpdate}. */
export function validatePersistentVolumeClaim(pvc: unknown, old?: unknown): FieldCause[] {
  const causes = validatePersistentVolumeClaimSpec(obj(pvc).spec);
  if (old !== undefined) causes.push(...validatePersistentVolumeClaimUpdate(pvc, old));
  return causes;
}

/** The message of the Forbidden cause for a claim update that changes an immutable part of the spec. */
export const PVC_SPEC_IMMUTABLE = 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims';

/**
 * The rules of a claim update: the spec is immutable except volumeName (set once, by
 * binding), resources.requests and volumeAttributesClassName of bound claims; storage
 * may grow but not shrink (`field can not be less than previous value`).
 */
export function validatePersistentVolumeClaimUpdate(pvc: unknown, old: unknown): FieldCause[] {
  const causes: Causes = [];
  const now = clone(obj(obj(pvc).spec));
  const before = clone(obj(obj(old).spec));
  if (!before.volumeName) before.volumeName = now.volumeName;
  const bound = obj(obj(pvc).status).phase === 'Bound';
  if (bound) {
    now.resources = { ...obj(now.resources), requests: { ...obj(obj(now.resources).requests), storage: obj(obj(before.resources).requests).storage } };
    now.volumeAttributesClassName = before.volumeAttributesClassName;
  }
  if (!semanticEqual(now, before)) causes.push(fieldError.forbidden('spec', PVC_SPEC_IMMUTABLE));
  const sizeNow = obj(obj(obj(obj(pvc).spec).resources).requests).storage;
  const sizeBefore = obj(obj(obj(obj(old).spec).resources).requests).storage;
  if (has(sizeNow) && has(sizeBefore)) {
    const scratch: Causes = [];
    const a = quantity(sizeNow, FieldPath.root(''), scratch);
    const b = quantity(sizeBefore, FieldPath.root(''), scratch);
    if (a && b && a.cmp(b) < 0) causes.push(fieldError.forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
  }
  return causes;
}

/**
 * The PersistentVolume kind's validation: access modes, a capacity of exactly `storage`
 * and positive, exactly one volume source (`must specify a volume type`), reclaim policy
 * Retain, Delete or Recycle, node affinity with required terms (and required for
 * `local` volumes). On update the source, volumeMode and node affinity are immutable.
 */
export function validatePersistentVolume(pv: unknown, old?: unknown): FieldCause[] {
  const path = FieldPath.root('spec');
  const spec = obj(obj(pv).spec);
  const causes = validateAccessModes(spec.accessModes, path.child('accessModes'), '');
  const capacity = obj(spec.capacity);
  const capPath = path.child('capacity');
  if (Object.keys(capacity).length === 0) causes.push(fieldError.required(capPath));
  if (!has(capacity.storage) || Object.keys(capacity).length > 1) causes.push(fieldError.notSupported(capPath, capacity, ['storage']));
  for (const [name, v] of Object.entries(capacity)) {
    const q = quantity(v, capPath.key(name), causes);
    if (q && q.sign() <= 0) causes.push(fieldError.invalid(capPath.key(name), q.toString(), IS_NOT_POSITIVE));
  }
  causes.push(...validateClassName(spec.storageClassName, path.child('storageClassName')));
  if (has(spec.volumeMode) && !VOLUME_MODES.includes(spec.volumeMode)) causes.push(fieldError.notSupported(path.child('volumeMode'), spec.volumeMode, VOLUME_MODES));
  if (has(spec.persistentVolumeReclaimPolicy) && spec.persistentVolumeReclaimPolicy !== '' && !PV_RECLAIM_POLICIES.includes(spec.persistentVolumeReclaimPolicy)) {
    causes.push(fieldError.notSupported(path.child('persistentVolumeReclaimPolicy'), spec.persistentVolumeReclaimPolicy, PV_RECLAIM_POLICIES));
  }
  const hasAffinity = has(spec.nodeAffinity);
  if (hasAffinity) {
    const req = obj(spec.nodeAffinity).required;
    if (!has(req)) causes.push(fieldError.required(path.child('nodeAffinity', 'required'), 'must specify required node constraints'));
    else causes.push(...validateNodeSelector(req, path.child('nodeAffinity', 'required')));
  }
  let count = 0;
  for (const k of PERSISTENT_VOLUME_SOURCES) {
    if (!has(spec[k])) continue;
    if (count > 0) {
      causes.push(fieldError.forbidden(path.child(k), 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    const s = obj(spec[k]);
    const p = path.child(k);
    if (k === 'hostPath') causes.push(...validateHostPathSource(s, p));
    else if (k === 'nfs') causes.push(...validateNfsSource(s, p));
    else if (k === 'local') {
      causes.push(...validateAbsolutePath(s.path, p.child('path')));
      if (!hasAffinity) causes.push(fieldError.required(path.child('nodeAffinity'), 'Local volume requires node affinity'));
    } else if (k === 'csi') {
      if (!s.driver) causes.push(fieldError.required(p.child('driver')));
      if (!s.volumeHandle) causes.push(fieldError.required(p.child('volumeHandle')));
    }
  }
  if (count === 0) causes.push(fieldError.required(path, 'must specify a volume type'));
  if (isObj(spec.hostPath) && typeof spec.hostPath.path === 'string' && /^\/+$/.test(spec.hostPath.path) && spec.persistentVolumeReclaimPolicy === 'Recycle') {
    causes.push(fieldError.forbidden(path.child('persistentVolumeReclaimPolicy'), "may not be 'recycle' for a hostPath mount of '/'"));
  }
  if (old !== undefined) {
    const oldSpec = obj(obj(old).spec);
    const changed = PERSISTENT_VOLUME_SOURCES.filter((k) => !semanticEqual(spec[k], oldSpec[k]));
    if (changed.length) causes.push(fieldError.forbidden('spec.persistentvolumesource', `spec.persistentvolumesource is immutable after creation (changed: ${changed.join(', ')})`));
    causes.push(...immutable(spec.volumeMode, oldSpec.volumeMode, path.child('volumeMode')));
    if (has(oldSpec.nodeAffinity)) causes.push(...immutable(spec.nodeAffinity, oldSpec.nodeAffinity, path.child('nodeAffinity')));
  }
  return causes;
}

const SC_RECLAIM_POLICIES = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];

/**
 * The StorageClass kind's validation: provisioner required (a qualified name), at most
 * 512 parameters and 256 KiB of them, reclaimPolicy Delete or Retain, volumeBindingMode
 * Immediate or WaitForFirstConsumer, allowed topologies with label keys and values. On
 * update parameters, provisioner, reclaimPolicy and volumeBindingMode are fixed.
 */
export function validateStorageClass(sc: unknown, old?: unknown): FieldCause[] {
  const s = obj(sc);
  const causes: Causes = [];
  const root = FieldPath.root('');
  if (typeof s.provisioner !== 'string' || s.provisioner === '') causes.push(fieldError.required(root.child('provisioner')));
  else causes.push(...invalidEach(root.child('provisioner'), s.provisioner, validateQualifiedName(s.provisioner.toLowerCase())));
  const params = obj(s.parameters);
  const entries = Object.entries(params);
  if (entries.length > 512) causes.push(fieldError.tooLong(root.child('parameters'), 'Provisioner Parameters exceeded max allowed', 512));
  let size = 0;
  for (const [k, v] of entries) {
    if (k === '') causes.push(fieldError.invalid(root.child('parameters'), k, 'field can not be empty.'));
    size += k.length + String(v).length;
  }
  if (size > 256 * 1024) causes.push(fieldError.tooLong(root.child('parameters'), '', 256 * 1024));
  if (has(s.reclaimPolicy) && s.reclaimPolicy !== '' && !SC_RECLAIM_POLICIES.includes(s.reclaimPolicy)) causes.push(fieldError.notSupported(root.child('reclaimPolicy'), s.reclaimPolicy, SC_RECLAIM_POLICIES));
  if (has(s.volumeBindingMode) && !BINDING_MODES.includes(s.volumeBindingMode)) causes.push(fieldError.notSupported(root.child('volumeBindingMode'), s.volumeBindingMode, BINDING_MODES));
  arr(s.allowedTopologies).forEach((t, i) => {
    const p = root.child('allowedTopologies').index(i);
    const exprs = arr(obj(t).matchLabelExpressions);
    if (exprs.length === 0) causes.push(fieldError.required(p.child('matchLabelExpressions')));
    exprs.forEach((e, j) => {
      const ep = p.child('matchLabelExpressions').index(j);
      causes.push(...validateLabelName(obj(e).key, ep.child('key')));
      if (arr(obj(e).values).length === 0) causes.push(fieldError.required(ep.child('values'), 'must specify as least one value'));
    });
  });
  if (old !== undefined) {
    const o = obj(old);
    if (!semanticEqual(s.parameters, o.parameters)) causes.push(fieldError.forbidden(root.child('parameters'), 'updates to parameters are forbidden.'));
    if ((s.provisioner ?? '') !== (o.provisioner ?? '')) causes.push(fieldError.forbidden(root.child('provisioner'), 'updates to provisioner are forbidden.'));
    if ((s.reclaimPolicy ?? 'Delete') !== (o.reclaimPolicy ?? 'Delete')) causes.push(fieldError.forbidden(root.child('reclaimPolicy'), 'updates to reclaimPolicy are forbidden.'));
    causes.push(...immutable(s.volumeBindingMode ?? 'Immediate', o.volumeBindingMode ?? 'Immediate', root.child('volumeBindingMode')));
  }
  return causes;
}
