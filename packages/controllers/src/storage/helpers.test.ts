import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '@bosun/api';
import { describe, expect, it } from 'vitest';
import { claimClass, claimClassUnset, defaultClassOf, volumeMismatch, ANN_BETA_STORAGE_CLASS, ANN_DEFAULT_STORAGE_CLASS } from './helpers';
import { persistentVolumeFor, volumeCapabilities } from './provisioner';
import { pv, pvc } from './testing';

const sc = (name: string, created: string, isDefault: boolean, extra: Partial<StorageClass> = {}): StorageClass => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name, creationTimestamp: created, annotations: isDefault ? { [ANN_DEFAULT_STORAGE_CLASS]: 'true' } : {} },
  provisioner: 'p',
  ...extra,
});

describe('storage helpers', () => {
  it.each([
    ['no class is default', [sc('a', '2026-01-01T00:00:00Z', false)], undefined],
    ['the one default', [sc('a', '2026-01-01T00:00:00Z', false), sc('b', '2026-01-01T00:00:00Z', true)], 'b'],
    ['the newest of several defaults', [sc('old', '2026-01-01T00:00:00Z', true), sc('new', '2026-02-01T00:00:00Z', true)], 'new'],
  ])('defaultClassOf picks %s', (_n, classes, expected) => {
    expect(defaultClassOf(classes)?.metadata?.name).toBe(expected);
  });

  it.each<[string, PersistentVolumeClaim, string, boolean]>([
    ['the field', pvc('c', '1Gi', { storageClassName: 'fast' }) as PersistentVolumeClaim, 'fast', false],
    ['"" (manual binding)', pvc('c', '1Gi') as PersistentVolumeClaim, '', false],
    ['the beta annotation over the field', pvc('c', '1Gi', { storageClassName: 'fast' }, { [ANN_BETA_STORAGE_CLASS]: 'slow' }) as PersistentVolumeClaim, 'slow', false],
    ['nothing at all', { spec: { accessModes: ['ReadWriteOnce'] } }, '', true],
  ])('the class of a claim with %s', (_n, claim, cls, unset) => {
    expect(claimClass(claim)).toBe(cls);
    expect(claimClassUnset(claim)).toBe(unset);
  });

  it.each([
    ['fits', pv('v', '2Gi'), pvc('c', '1Gi'), undefined],
    ['too small', pv('v', '1Gi'), pvc('c', '2Gi'), 'requested PV is too small'],
    ['another class', pv('v', '1Gi', { storageClassName: 'x' }), pvc('c', '1Gi'), 'storageClassName does not match'],
    ['Block for a Filesystem claim', pv('v', '1Gi', { volumeMode: 'Block' }), pvc('c', '1Gi'), 'incompatible volumeMode'],
    ['missing an access mode', pv('v', '1Gi'), pvc('c', '1Gi', { accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] }), 'incompatible accessMode'],
  ])('volumeMismatch: %s', (_n, v, c, why) => {
    expect(volumeMismatch(v as PersistentVolume, c as PersistentVolumeClaim)).toBe(why);
  });

  it('maps access modes and volume mode to CSI capabilities', () => {
    const cls = sc('fast', '2026-01-01T00:00:00Z', false, { parameters: { 'csi.storage.k8s.io/fstype': 'xfs' }, mountOptions: ['noatime'] });
    const claim = pvc('c', '1Gi', { accessModes: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany'] }) as PersistentVolumeClaim;
    expect(volumeCapabilities(claim, cls)).toEqual([
      { accessMode: { mode: 'SINGLE_NODE_WRITER' }, mount: { fsType: 'xfs', mountFlags: ['noatime'] } },
      { accessMode: { mode: 'MULTI_NODE_READER_ONLY' }, mount: { fsType: 'xfs', mountFlags: ['noatime'] } },
      { accessMode: { mode: 'MULTI_NODE_MULTI_WRITER' }, mount: { fsType: 'xfs', mountFlags: ['noatime'] } },
    ]);
    const block = pvc('b', '1Gi', { accessModes: ['ReadWriteOncePod'], volumeMode: 'Block' }) as PersistentVolumeClaim;
    expect(volumeCapabilities(block, cls)).toEqual([{ accessMode: { mode: 'SINGLE_NODE_SINGLE_WRITER' }, block: {} }]);
  });

  it('builds the PV of a provisioned volume with one node-affinity term per accessible topology', () => {
    const claim = { ...pvc('c', '3Gi', { storageClassName: 'fast' }), metadata: { name: 'c', namespace: 'ns', uid: 'u-1', resourceVersion: '7' } } as PersistentVolumeClaim;
    const out = persistentVolumeFor(claim, sc('fast', '2026-01-01T00:00:00Z', false, { reclaimPolicy: 'Retain' }), 'd.csi.io', {
      volumeId: 'vol-1',
      capacityBytes: 3 * 1024 ** 3,
      volumeContext: { a: 'b' },
      contentSource: null,
      accessibleTopology: [{ segments: { zone: 'z1', rack: 'r1' } }, { segments: { zone: 'z2' } }],
    });
    expect(out.metadata?.name).toBe('pvc-u-1');
    expect(out.spec).toMatchObject({
      capacity: { storage: '3Gi' },
      persistentVolumeReclaimPolicy: 'Retain',
      claimRef: { namespace: 'ns', name: 'c', uid: 'u-1', resourceVersion: '7' },
      csi: { driver: 'd.csi.io', volumeHandle: 'vol-1', volumeAttributes: { a: 'b' } },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }, { key: 'rack', operator: 'In', values: ['r1'] }] },
            { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] },
          ],
        },
      },
    });
  });
});
