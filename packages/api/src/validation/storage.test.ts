import { describe, expect, it } from 'vitest';
import { defaultObject } from '../defaults/index';
import { objectWith, startsWith } from './fixtures';
import { validateObject } from './index';
import { PVC_SPEC_IMMUTABLE } from './storage';

const cause = (field: string, message: string) => expect.objectContaining({ field, message: expect.stringMatching(startsWith(message)) });
const PV = 'v1/PersistentVolume';
const PVC = 'v1/PersistentVolumeClaim';
const SC = 'storage.k8s.io/v1/StorageClass';

describe('storage validation', () => {
  it.each<[string, string, (o: any) => void, string, string]>([
    ['a PV has capacity', PV, (o) => delete o.spec.capacity, 'spec.capacity', 'Required value'],
    ['a PV capacity is storage only', PV, (o) => (o.spec.capacity = { storage: '1Gi', cpu: '1' }), 'spec.capacity', 'Unsupported value: {"storage":"1Gi","cpu":"1"}: supported values: "storage"'],
    ['a PV capacity is positive', PV, (o) => (o.spec.capacity = { storage: '0' }), 'spec.capacity[storage]', 'Invalid value: "0": must be greater than zero'],
    ['a PV has access modes', PV, (o) => (o.spec.accessModes = []), 'spec.accessModes', 'Required value'],
    [
      'PV access modes are supported',
      PV,
      (o) => (o.spec.accessModes = ['ReadWriteSometimes']),
      'spec.accessModes',
      'Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
    ],
    ['ReadWriteOncePod stands alone', PV, (o) => (o.spec.accessModes = ['ReadWriteOncePod', 'ReadOnlyMany']), 'spec.accessModes', 'Forbidden: may not use ReadWriteOncePod with other access modes'],
    ['a PV has a source', PV, (o) => delete o.spec.hostPath, 'spec', 'Required value: must specify a volume type'],
    ['a PV has one source', PV, (o) => (o.spec.nfs = { server: 'nfs', path: '/exports' }), 'spec.nfs', 'Forbidden: may not specify more than 1 volume type'],
    ['a PV reclaim policy is supported', PV, (o) => (o.spec.persistentVolumeReclaimPolicy = 'Cycle'), 'spec.persistentVolumeReclaimPolicy', 'Unsupported value: "Cycle": supported values: "Delete", "Recycle", "Retain"'],
    ['a local PV needs node affinity', PV, (o) => Object.assign(o.spec, { hostPath: undefined, local: { path: '/mnt/disk' } }), 'spec.nodeAffinity', 'Required value: Local volume requires node affinity'],
    ['PV node affinity has required terms', PV, (o) => (o.spec.nodeAffinity = {}), 'spec.nodeAffinity.required', 'Required value: must specify required node constraints'],
    ['a PVC has access modes', PVC, (o) => delete o.spec.accessModes, 'spec.accessModes', 'Required value: at least 1 access mode is required'],
    ['a PVC requests storage', PVC, (o) => (o.spec.resources = {}), 'spec.resources[storage]', 'Required value'],
    ['a PVC requests positive storage', PVC, (o) => (o.spec.resources.requests.storage = '0'), 'spec.resources[storage]', 'Invalid value: "0": must be greater than zero'],
    ['a PVC storage class is a subdomain', PVC, (o) => (o.spec.storageClassName = 'Fast SSD'), 'spec.storageClassName', 'Invalid value: "Fast SSD"'],
    ['a PVC volume mode is supported', PVC, (o) => (o.spec.volumeMode = 'Raw'), 'spec.volumeMode', 'Unsupported value: "Raw": supported values: "Block", "Filesystem"'],
    ['a StorageClass has a provisioner', SC, (o) => delete o.provisioner, 'provisioner', 'Required value'],
    ['a StorageClass reclaim policy is Delete or Retain', SC, (o) => (o.reclaimPolicy = 'Recycle'), 'reclaimPolicy', 'Unsupported value: "Recycle": supported values: "Delete", "Retain"'],
    ['a StorageClass binding mode is supported', SC, (o) => (o.volumeBindingMode = 'Later'), 'volumeBindingMode', 'Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"'],
  ])('%s', (_, key, change, field, message) => {
    expect(validateObject(defaultObject(objectWith(key, change)))).toContainEqual(cause(field, message));
  });

  it.each<[string, string, (o: any) => void]>([
    ['the seed PV with two access modes', PV, (o) => Object.assign(o.spec, { accessModes: ['ReadWriteOnce', 'ReadOnlyMany'], persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: '/tmp/mongodb' } })],
    ['a local PV with node affinity', PV, (o) => Object.assign(o.spec, {
      hostPath: undefined,
      local: { path: '/mnt/disk' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-1'] }] }] } },
    })],
    ['a CSI PV', PV, (o) => Object.assign(o.spec, { hostPath: undefined, csi: { driver: 'hostpath.csi.bosun.dev', volumeHandle: 'v1' } })],
    ['a PVC with an empty storage class (static binding)', PVC, (o) => (o.spec.storageClassName = '')],
    ['a WaitForFirstConsumer StorageClass', SC, (o) => Object.assign(o, { volumeBindingMode: 'WaitForFirstConsumer', parameters: { type: 'pd-ssd' } })],
  ])('accepts %s', (_, key, change) => {
    expect(validateObject(defaultObject(objectWith(key, change)))).toEqual([]);
  });
});

describe('storage updates', () => {
  const update = (key: string, before: (o: any) => void, change: (o: any) => void) => {
    const old = defaultObject(objectWith(key, before));
    const obj = structuredClone(old);
    change(obj);
    return validateObject(obj, old);
  };

  it.each<[string, string, (o: any) => void, (o: any) => void, string, string]>([
    ['a claim spec is immutable', PVC, () => {}, (o) => (o.spec.accessModes = ['ReadWriteMany']), 'spec', `Forbidden: ${PVC_SPEC_IMMUTABLE}`],
    ['an unbound claim cannot be resized', PVC, () => {}, (o) => (o.spec.resources.requests.storage = '2Gi'), 'spec', 'Forbidden: spec is immutable after creation'],
    [
      'a bound claim cannot shrink',
      PVC,
      (o) => Object.assign(o, { status: { phase: 'Bound' } }),
      (o) => (o.spec.resources.requests.storage = '500Mi'),
      'spec.resources.requests.storage',
      'Forbidden: field can not be less than previous value',
    ],
    ['a bound claim keeps its volume', PVC, (o) => (o.spec.volumeName = 'pv-1'), (o) => (o.spec.volumeName = 'pv-2'), 'spec', 'Forbidden: spec is immutable after creation'],
    ['a PV source is immutable', PV, () => {}, (o) => (o.spec.hostPath.path = '/tmp/other'), 'spec.persistentvolumesource', 'Forbidden: spec.persistentvolumesource is immutable after creation'],
    ['StorageClass parameters are fixed', SC, () => {}, (o) => (o.parameters = { type: 'ssd' }), 'parameters', 'Forbidden: updates to parameters are forbidden.'],
    ['a StorageClass provisioner is fixed', SC, () => {}, (o) => (o.provisioner = 'other.io/x'), 'provisioner', 'Forbidden: updates to provisioner are forbidden.'],
    ['a StorageClass reclaim policy is fixed', SC, () => {}, (o) => (o.reclaimPolicy = 'Retain'), 'reclaimPolicy', 'Forbidden: updates to reclaimPolicy are forbidden.'],
  ])('%s', (_, key, before, change, field, message) => {
    expect(update(key, before, change)).toContainEqual(cause(field, message));
  });

  it.each<[string, string, (o: any) => void, (o: any) => void]>([
    ['binding a claim to a volume', PVC, () => {}, (o) => (o.spec.volumeName = 'pv-1')],
    ['growing a bound claim', PVC, (o) => Object.assign(o, { status: { phase: 'Bound' } }), (o) => (o.spec.resources.requests.storage = '2Gi')],
    ['binding a PV to a claim', PV, () => {}, (o) => (o.spec.claimRef = { namespace: 'default', name: 'data' })],
    ['changing a PV reclaim policy', PV, () => {}, (o) => (o.spec.persistentVolumeReclaimPolicy = 'Delete')],
  ])('allows %s', (_, key, before, change) => {
    expect(update(key, before, change)).toEqual([]);
  });
});
