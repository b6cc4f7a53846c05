import type { PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '@bosun/api';
import { describe, expect, it } from 'vitest';
import { node, pod } from '../../test/fixtures';
import { CycleState } from '../framework/cycle-state';
import { NodeInfo } from '../framework/node-info';
import { ERR_REASON_BIND_CONFLICT, ERR_REASON_NODE_CONFLICT, ERR_REASON_PV_NOT_EXIST, ERR_REASON_UNBOUND_IMMEDIATE, VolumeBinding, type VolumeListers } from './volume-binding';

const HOST = 'kubernetes.io/hostname';
const onNode = (n: string) => ({ required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOST, operator: 'In', values: [n] }] }] } });

const claim = (name: string, s: { className?: string; volumeName?: string; size?: string; modes?: string[] } = {}): PersistentVolumeClaim => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: { storageClassName: s.className, volumeName: s.volumeName, accessModes: s.modes ?? ['ReadWriteOnce'], resources: { requests: { storage: s.size ?? '1Gi' } } },
});
const volume = (name: string, s: { className?: string; node?: string; size?: string; modes?: string[]; claimRef?: string } = {}): PersistentVolume => ({
  metadata: { name },
  spec: {
    storageClassName: s.className,
    capacity: { storage: s.size ?? '10Gi' },
    accessModes: s.modes ?? ['ReadWriteOnce'],
    local: { path: '/mnt/disk' },
    nodeAffinity: s.node ? onNode(s.node) : undefined,
    claimRef: s.claimRef ? { namespace: 'default', name: s.claimRef } : undefined,
  },
  status: { phase: s.claimRef ? 'Bound' : 'Available' },
});
const classes: Record<string, StorageClass> = {
  local: { metadata: { name: 'local' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' },
  fast: { metadata: { name: 'fast' }, provisioner: 'csi.example.com', volumeBindingMode: 'WaitForFirstConsumer', allowedTopologies: [{ matchLabelExpressions: [{ key: HOST, values: ['n1'] }] }] },
  standard: { metadata: { name: 'standard' }, provisioner: 'csi.example.com' },
};

function listers(claims: PersistentVolumeClaim[], volumes: PersistentVolume[]): VolumeListers {
  return {
    claim: (_ns, name) => claims.find((c) => c.metadata?.name === name),
    volume: (name) => volumes.find((v) => v.metadata?.name === name),
    volumes: () => volumes,
    storageClass: (name) => classes[name],
  };
}

const withClaims = (...names: string[]): Pod => pod('p', { volumes: names.map((n) => ({ name: n, persistentVolumeClaim: { claimName: n } })) });
const nodes = () => ['n1', 'n2'].map((n) => new NodeInfo(node(n)));

function run(p: Pod, claims: PersistentVolumeClaim[], volumes: PersistentVolume[]): Record<string, string> {
  const pl = new VolumeBinding(listers(claims, volumes));
  const s = new CycleState();
  const pre = pl.preFilter(s, p);
  if (pre.isSkip()) return { all: 'Skip' };
  if (!pre.isSuccess()) return { all: `${pre.code}: ${pre.message()}` };
  return Object.fromEntries(nodes().map((n) => {
    const st = pl.filter(s, p, n);
    return [n.name, st.isSuccess() ? 'Success' : `${st.code}: ${st.message()}`];
  }));
}

const U = 'UnschedulableAndUnresolvable: ';

describe('VolumeBinding', () => {
  it.each<[string, Pod, PersistentVolumeClaim[], PersistentVolume[], Record<string, string>]>([
    ['a pod without claims skips the plugin', pod('p'), [], [], { all: 'Skip' }],
    ['a missing claim', withClaims('data'), [], [], { all: `${U}persistentvolumeclaim "data" not found` }],
    ['an unbound claim of an Immediate class', withClaims('data'), [claim('data', { className: 'standard' })], [], { all: `${U}${ERR_REASON_UNBOUND_IMMEDIATE}` }],
    ['an unbound claim without a class binds immediately too', withClaims('data'), [claim('data')], [], { all: `${U}${ERR_REASON_UNBOUND_IMMEDIATE}` }],
    ['a bound claim whose volume any node can use', withClaims('data'), [claim('data', { volumeName: 'pv1' })], [volume('pv1', { claimRef: 'data' })], { n1: 'Success', n2: 'Success' }],
    ['a bound claim whose local volume sits on n1', withClaims('data'), [claim('data', { volumeName: 'pv1' })], [volume('pv1', { node: 'n1', claimRef: 'data' })], { n1: 'Success', n2: `${U}${ERR_REASON_NODE_CONFLICT}` }],
    ['a bound claim whose volume is gone', withClaims('data'), [claim('data', { volumeName: 'pv1' })], [], { n1: `${U}${ERR_REASON_PV_NOT_EXIST}`, n2: `${U}${ERR_REASON_PV_NOT_EXIST}` }],
    ['a WaitForFirstConsumer claim with a local volume on n2', withClaims('data'), [claim('data', { className: 'local' })], [volume('pv2', { className: 'local', node: 'n2' })], { n1: `${U}${ERR_REASON_BIND_CONFLICT}`, n2: 'Success' }],
    ['a volume too small does not fit', withClaims('data'), [claim('data', { className: 'local', size: '20Gi' })], [volume('pv2', { className: 'local', node: 'n2' })], { n1: `${U}${ERR_REASON_BIND_CONFLICT}`, n2: `${U}${ERR_REASON_BIND_CONFLICT}` }],
    ['a volume of another class does not fit', withClaims('data'), [claim('data', { className: 'local' })], [volume('pv2', { className: 'other', node: 'n2' })], { n1: `${U}${ERR_REASON_BIND_CONFLICT}`, n2: `${U}${ERR_REASON_BIND_CONFLICT}` }],
    ['missing access modes do not fit', withClaims('data'), [claim('data', { className: 'local', modes: ['ReadWriteMany'] })], [volume('pv2', { className: 'local', node: 'n2' })], { n1: `${U}${ERR_REASON_BIND_CONFLICT}`, n2: `${U}${ERR_REASON_BIND_CONFLICT}` }],
    ['a volume bound to another claim is not available', withClaims('data'), [claim('data', { className: 'local' })], [volume('pv2', { className: 'local', node: 'n2', claimRef: 'other' })], { n1: `${U}${ERR_REASON_BIND_CONFLICT}`, n2: `${U}${ERR_REASON_BIND_CONFLICT}` }],
    ['two claims cannot share one volume', withClaims('a', 'b'), [claim('a', { className: 'local' }), claim('b', { className: 'local' })], [volume('pv2', { className: 'local', node: 'n2' })], { n1: `${U}${ERR_REASON_BIND_CONFLICT}`, n2: `${U}${ERR_REASON_BIND_CONFLICT}` }],
    ['a class with a provisioner provisions where its allowedTopologies allow', withClaims('data'), [claim('data', { className: 'fast' })], [], { n1: 'Success', n2: `${U}${ERR_REASON_BIND_CONFLICT}` }],
  ])('%s', (_n, p, claims, volumes, want) => {
    expect(run(p, claims, volumes)).toEqual(want);
  });

  it('picks the smallest volume that fits, and Reserve keeps it from other pods until Unreserve', () => {
    const claims = [claim('data', { className: 'local', size: '5Gi' }), { ...claim('other', { className: 'local', size: '5Gi' }) }];
    const volumes = [volume('big', { className: 'local', node: 'n1', size: '100Gi' }), volume('small', { className: 'local', node: 'n1', size: '8Gi' })];
    const pl = new VolumeBinding(listers(claims, volumes));
    const s = new CycleState();
    const p = withClaims('data');
    pl.preFilter(s, p);
    expect(pl.filter(s, p, nodes()[0]).isSuccess()).toBe(true);
    expect(pl.reserve(s, p, 'n1').isSuccess()).toBe(true);
    // A second pod's claim now only finds the big volume.
    const q = { ...withClaims('other'), metadata: { name: 'q', namespace: 'default', uid: 'uid-q' } };
    const s2 = new CycleState();
    pl.preFilter(s2, q);
    pl.filter(s2, q, nodes()[0]);
    pl.reserve(s2, q, 'n1');
    pl.unreserve(s);
    pl.unreserve(s);
    const s3 = new CycleState();
    pl.preFilter(s3, p);
    pl.filter(s3, p, nodes()[0]);
    expect(pl.reserve(s3, p, 'n1').isSuccess()).toBe(true);
    // Both pods hold a volume: the second pod got "big".
    expect(pl.reserve(s2, q, 'n1').isSuccess()).toBe(true);
  });
});
