import { defaultVolumeSourceFields } from './pod';
import { child, isObj, setDefault, setDefaultString } from './util';

/**
 * PersistentVolume defaults (core/v1 SetDefaults_PersistentVolume):
 * persistentVolumeReclaimPolicy Retain, volumeMode Filesystem, status.phase Pending, and
 * the in-tree source defaults. Idempotent.
 */
export function defaultPersistentVolume(obj: unknown): void {
  if (!isObj(obj)) return;
  const spec = child(obj, 'spec');
  if (spec) {
    setDefaultString(spec, 'persistentVolumeReclaimPolicy', 'Retain');
    setDefault(spec, 'volumeMode', 'Filesystem');
    defaultVolumeSourceFields(spec);
  }
  const status = child(obj, 'status');
  if (status) setDefaultString(status, 'phase', 'Pending');
}

/**
 * PersistentVolumeClaim defaults (core/v1 SetDefaults_PersistentVolumeClaim):
 * spec.volumeMode Filesystem and status.phase Pending. Also applied to StatefulSet
 * volumeClaimTemplates. Idempotent.
 */
export function defaultPersistentVolumeClaim(obj: unknown): void {
  if (!isObj(obj)) return;
  const spec = child(obj, 'spec');
  if (spec) setDefault(spec, 'volumeMode', 'Filesystem');
  const status = child(obj, 'status');
  if (status) setDefaultString(status, 'phase', 'Pending');
}

/** StorageClass defaults (storage/v1): reclaimPolicy Delete, volumeBindingMode Immediate. Idempotent. */
export function defaultStorageClass(obj: unknown): void {
  if (!isObj(obj)) return;
  setDefault(obj, 'reclaimPolicy', 'Delete');
  setDefault(obj, 'volumeBindingMode', 'Immediate');
}
