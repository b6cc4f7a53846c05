import type { KubeObject } from '@bosun/api';
import { applyManifests, type Client } from '@bosun/apiserver';
import { describe, expect, it } from 'vitest';
import { addPersistentVolumeBinder } from './binder';
import { ANN_BETA_STORAGE_CLASS, ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER } from './helpers';
import { claimPhase, eventsFor, findVolume, getClaim, getVolume, pv, pvc, settle, startStorageHarness, storageClass, until, volumePhase, type StorageHarness, seed } from './testing';


function binder(concurrency = 1) {
  return startStorageHarness({ add: (m) => addPersistentVolumeBinder(m, { concurrency }) });
}

async function createAll(client: Client, objs: KubeObject[]): Promise<void> {
  for (const o of objs) await client.create(o);
}

/** Waits until every volume has left Pending (the volume controller saw it). */
async function volumesSettled(h: StorageHarness, names: string[]): Promise<void> {
  await until(h.env, async () => (await Promise.all(names.map((n) => volumePhase(h.client, n)))).every((p) => p && p !== 'Pending'), 'volumes Available');
}

describe('PV/PVC binder: static binding', () => {
  it.each<[string, KubeObject[], KubeObject, string]>([
    ['the smallest volume with capacity ≥ the request wins', [pv('big', '5Gi'), pv('small', '500Mi'), pv('fit', '1Gi')], pvc('c', '800Mi'), 'fit'],
    ['access modes must include every requested mode', [pv('rwo', '1Gi'), pv('rwo-rox', '2Gi', { accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] })], pvc('c', '1Gi', { accessModes: ['ReadOnlyMany'] }), 'rwo-rox'],
    ['storageClassName "" binds only class-less volumes (manual binding)', [pv('fast', '1Gi', { storageClassName: 'fast' }), pv('manual', '2Gi')], pvc('c', '1Gi'), 'manual'],
    ['a named class binds only volumes of that class', [pv('fast', '2Gi', { storageClassName: 'fast' }), pv('manual', '1Gi')], pvc('c', '1Gi', { storageClassName: 'fast' }), 'fast'],
    ['the beta storage-class annotation wins over the field', [pv('slow', '2Gi', { storageClassName: 'slow' }), pv('manual', '1Gi')], pvc('c', '1Gi', {}, { [ANN_BETA_STORAGE_CLASS]: 'slow' }), 'slow'],
    [
      'the claim selector filters volumes by label',
      [pv('hdd', '1Gi', {}, { disk: 'hdd' }), pv('ssd', '2Gi', {}, { disk: 'ssd' })],
      pvc('c', '1Gi', { selector: { matchLabels: { disk: 'ssd' } } }),
      'ssd',
    ],
    ['volumeName pre-binds the claim to a volume that is not the smallest', [pv('small', '1Gi'), pv('chosen', '4Gi')], pvc('c', '1Gi', { volumeName: 'chosen' }), 'chosen'],
    [
      'a volume whose claimRef names the claim is taken over a smaller free one',
      [pv('small', '1Gi'), pv('reserved', '3Gi', { claimRef: { namespace: 'default', name: 'c' } })],
      pvc('c', '1Gi'),
      'reserved',
    ],
    ['volume mode must match', [pv('fs', '1Gi'), pv('blk', '2Gi', { volumeMode: 'Block' })], pvc('c', '1Gi', { volumeMode: 'Block' }), 'blk'],
  ])('%s', async (_name, volumes, claim, expected) => {
    await using h = await binder();
    await createAll(h.client, volumes);
    await volumesSettled(h, volumes.map((v) => v.metadata!.name!));
    await h.client.create(claim);
    await until(h.env, async () => (await claimPhase(h.client, 'c')) === 'Bound', 'claim Bound');
    const c = await getClaim(h.client, 'c');
    expect(c.spec?.volumeName).toBe(expected);
    expect(c.metadata?.annotations?.[ANN_BIND_COMPLETED]).toBe('yes');
    const v = await getVolume(h.client, expected);
    expect(v.spec?.claimRef).toMatchObject({ namespace: 'default', name: 'c', uid: c.metadata?.uid });
    await until(h.env, async () => (await volumePhase(h.client, expected)) === 'Bound', 'volume Bound');
    expect(c.status?.capacity).toEqual(v.spec?.capacity);
    expect(c.status?.accessModes).toEqual(v.spec?.accessModes);
    // Every other volume is still free.
    for (const o of volumes) if (o.metadata!.name !== expected) expect(await volumePhase(h.client, o.metadata!.name!)).toBe('Available');
  });

  it.each<[string, KubeObject[], KubeObject, string, string]>([
    ['no volume is large enough', [pv('small', '1Gi')], pvc('c', '2Gi'), 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set'],
    ['no volume has the access mode', [pv('rwo', '1Gi')], pvc('c', '1Gi', { accessModes: ['ReadWriteMany'] }), 'FailedBinding', 'no persistent volumes available'],
    ['the selector matches no volume', [pv('hdd', '1Gi', {}, { disk: 'hdd' })], pvc('c', '1Gi', { selector: { matchLabels: { disk: 'ssd' } } }), 'FailedBinding', 'no persistent volumes'],
    ['the class does not exist', [pv('a', '1Gi', { storageClassName: 'gold' })], pvc('c', '1Gi', { storageClassName: 'silver' }), 'ProvisioningFailed', 'storageclass.storage.k8s.io "silver" not found'],
    ['the requested volume is too small', [pv('tiny', '1Gi')], pvc('c', '5Gi', { volumeName: 'tiny' }), 'VolumeMismatch', 'Cannot bind to requested volume "tiny": requested PV is too small'],
    ['the requested volume does not exist', [], pvc('c', '1Gi', { volumeName: 'ghost' }), 'FailedBinding', 'volume "ghost" requested by the claim does not exist'],
  ])('a claim stays Pending when %s, with an Event saying why', async (_n, volumes, claim, reason, message) => {
    await using h = await binder();
    await createAll(h.client, volumes);
    await volumesSettled(h, volumes.map((v) => v.metadata!.name!));
    await h.client.create(claim);
    await until(h.env, async () => (await eventsFor(h.client, 'c', reason)).length > 0, `${reason} event`);
    expect((await eventsFor(h.client, 'c', reason))[0]!.message).toContain(message);
    expect(await claimPhase(h.client, 'c')).toBe('Pending');
    expect((await getClaim(h.client, 'c')).metadata?.annotations?.[ANN_BIND_COMPLETED]).toBeUndefined();
    for (const o of volumes) expect((await getVolume(h.client, o.metadata!.name!)).spec?.claimRef).toBeUndefined();
  });

  it('marks who bound what: bound-by-controller on both sides unless the user pre-bound', async () => {
    await using h = await binder();
    await createAll(h.client, [pv('auto', '1Gi'), pv('by-name', '1Gi', { storageClassName: 'x' }), pv('by-ref', '1Gi', { storageClassName: 'y', claimRef: { namespace: 'default', name: 'c3' } })]);
    await volumesSettled(h, ['auto', 'by-name', 'by-ref']);
    await createAll(h.client, [pvc('c1', '1Gi'), pvc('c2', '1Gi', { volumeName: 'by-name', storageClassName: 'x' }), pvc('c3', '1Gi', { storageClassName: 'y' })]);
    await until(h.env, async () => (await Promise.all(['c1', 'c2', 'c3'].map((c) => claimPhase(h.client, c)))).every((p) => p === 'Bound'), 'all Bound');
    const ann = async (kind: 'claim' | 'volume', name: string) =>
      (kind === 'claim' ? await getClaim(h.client, name) : await getVolume(h.client, name)).metadata?.annotations?.[ANN_BOUND_BY_CONTROLLER];
    expect([await ann('claim', 'c1'), await ann('volume', 'auto')]).toEqual(['yes', 'yes']);
    // The user named the volume: the claim's side is the user's, the volume's the controller's.
    expect([await ann('claim', 'c2'), await ann('volume', 'by-name')]).toEqual([undefined, 'yes']);
    // The user set the claimRef: the volume's side is the user's.
    expect([await ann('claim', 'c3'), await ann('volume', 'by-ref')]).toEqual(['yes', undefined]);
  });

  it('binds the seeds\' manual hostPath PV and its PVC with storageClassName ""', async () => {
    await using h = await binder();
    await applyManifests(h.client, seed('003_bea7a2b1a17eec52-19-persistentvolume.yaml'));
    await applyManifests(h.client, seed('003_bea7a2b1a17eec52-20-persistentvolumeclaim.yaml'));
    await until(h.env, async () => (await claimPhase(h.client, 'mongodb-pvc')) === 'Bound', 'mongodb-pvc Bound');
    await until(h.env, async () => (await volumePhase(h.client, 'mongodb-pv')) === 'Bound', 'mongodb-pv Bound');
    const claim = await getClaim(h.client, 'mongodb-pvc');
    expect(claim.spec?.volumeName).toBe('mongodb-pv');
    expect(claim.status).toMatchObject({ phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] });
  });
});

describe('PV/PVC binder: one volume, one claim', () => {
  it('never binds a volume to two claims created at once (4 workers)', async () => {
    await using h = await binder(4);
    await h.client.create(pv('only', '1Gi'));
    await volumesSettled(h, ['only']);
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    await Promise.all(names.map((n) => h.client.create(pvc(n, '1Gi'))));
    await until(h.env, async () => (await Promise.all(names.map((n) => claimPhase(h.client, n)))).includes('Bound'), 'one claim Bound');
    await settle(300);
    await h.env.clock.advance(5000);
    await settle(300);
    const claims = await Promise.all(names.map((n) => getClaim(h.client, n)));
    const bound = claims.filter((c) => c.spec?.volumeName);
    expect(bound).toHaveLength(1);
    expect(claims.filter((c) => c.status?.phase === 'Bound')).toHaveLength(1);
    const v = await getVolume(h.client, 'only');
    expect(v.spec?.claimRef?.uid).toBe(bound[0]!.metadata?.uid);
  });

  it('gives three volumes to three of six claims racing for them, each to a different claim', async () => {
    await using h = await binder(4);
    await createAll(h.client, [pv('v1', '1Gi'), pv('v2', '1Gi'), pv('v3', '1Gi')]);
    await volumesSettled(h, ['v1', 'v2', 'v3']);
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    await Promise.all(names.map((n) => h.client.create(pvc(n, '1Gi'))));
    await until(h.env, async () => (await Promise.all(names.map((n) => claimPhase(h.client, n)))).filter((p) => p === 'Bound').length === 3, 'three claims Bound');
    await settle(300);
    await h.env.clock.advance(5000);
    await settle(300);
    const claims = await Promise.all(names.map((n) => getClaim(h.client, n)));
    const used = claims.map((c) => c.spec?.volumeName).filter(Boolean);
    expect(used.sort()).toEqual(['v1', 'v2', 'v3']);
    for (const name of ['v1', 'v2', 'v3']) {
      const v = await getVolume(h.client, name);
      const owner = claims.find((c) => c.spec?.volumeName === name)!;
      expect(v.spec?.claimRef?.uid).toBe(owner.metadata?.uid);
      expect(v.status?.phase).toBe('Bound');
    }
  });

  it('binds a waiting claim as soon as a fitting volume appears', async () => {
    await using h = await binder();
    await h.client.create(pvc('c', '1Gi'));
    await until(h.env, async () => (await eventsFor(h.client, 'c', 'FailedBinding')).length > 0, 'FailedBinding');
    await h.client.create(pv('late', '1Gi'));
    await until(h.env, async () => (await claimPhase(h.client, 'c')) === 'Bound', 'claim Bound');
    expect((await getClaim(h.client, 'c')).spec?.volumeName).toBe('late');
  });

  it('leaves WaitForFirstConsumer claims to the scheduler', async () => {
    await using h = await binder();
    await h.client.create(storageClass('local', 'kubernetes.io/no-provisioner', { volumeBindingMode: 'WaitForFirstConsumer' }));
    await h.client.create(pv('local-1', '1Gi', { storageClassName: 'local' }));
    await volumesSettled(h, ['local-1']);
    await h.client.create(pvc('c', '1Gi', { storageClassName: 'local' }));
    await until(h.env, async () => (await eventsFor(h.client, 'c', 'WaitForFirstConsumer')).length > 0, 'WaitForFirstConsumer event');
    expect(await claimPhase(h.client, 'c')).toBe('Pending');
    expect((await getVolume(h.client, 'local-1')).spec?.claimRef).toBeUndefined();
  });
});

describe('PV/PVC binder: release and reclaim', () => {
  async function boundPair(h: StorageHarness, spec: Parameters<typeof pv>[2] = {}): Promise<void> {
    await h.client.create(pv('vol', '1Gi', spec));
    await volumesSettled(h, ['vol']);
    await h.client.create(pvc('c', '1Gi'));
    await until(h.env, async () => (await volumePhase(h.client, 'vol')) === 'Bound', 'volume Bound');
  }

  it('keeps a Retain volume Released (not reused) when its claim is deleted, and frees it when the claimRef is removed', async () => {
    await using h = await binder();
    await boundPair(h, { persistentVolumeReclaimPolicy: 'Retain' });
    await h.client.delete('v1', 'PersistentVolumeClaim', 'default', 'c');
    await until(h.env, async () => (await volumePhase(h.client, 'vol')) === 'Released', 'Released');
    await h.client.create(pvc('next', '1Gi'));
    await until(h.env, async () => (await eventsFor(h.client, 'next', 'FailedBinding')).length > 0, 'next FailedBinding');
    expect(await claimPhase(h.client, 'next')).toBe('Pending');
    expect((await getVolume(h.client, 'vol')).spec?.claimRef?.name).toBe('c');
    // The administrator makes it reusable.
    await h.client.patch('v1', 'PersistentVolume', '', 'vol', { spec: { claimRef: null } }, { type: 'merge' });
    await until(h.env, async () => (await claimPhase(h.client, 'next')) === 'Bound', 'next Bound');
    expect((await getClaim(h.client, 'next')).spec?.volumeName).toBe('vol');
  });

  it.each([
    ['Delete of a static volume fails: no deleter for hostPath', 'Delete', 'VolumeFailedDelete', 'no deletable volume plugin matched'],
    ['Recycle fails: not supported', 'Recycle', 'VolumeFailedRecycle', 'Recycle is not supported'],
  ])('%s', async (_n, policy, reason, message) => {
    await using h = await binder();
    await boundPair(h, { persistentVolumeReclaimPolicy: policy });
    await h.client.delete('v1', 'PersistentVolumeClaim', 'default', 'c');
    await until(h.env, async () => (await volumePhase(h.client, 'vol')) === 'Failed', 'Failed');
    const v = await getVolume(h.client, 'vol');
    expect(v.status?.message).toContain(message);
    expect((await eventsFor(h.client, 'vol', reason))[0]?.message).toContain(message);
    expect(await findVolume(h.client, 'vol')).toBeDefined();
  });

  it('marks a bound claim Lost when its volume is deleted', async () => {
    await using h = await binder();
    await boundPair(h);
    await until(h.env, async () => (await claimPhase(h.client, 'c')) === 'Bound', 'claim Bound');
    await h.client.delete('v1', 'PersistentVolume', '', 'vol');
    await until(h.env, async () => (await claimPhase(h.client, 'c')) === 'Lost', 'claim Lost');
    expect((await eventsFor(h.client, 'c', 'ClaimLost'))[0]?.message).toBe('Bound claim has lost reference to PersistentVolume. Data on the volume is lost!');
  });

  it('undoes its own claimRef when the claim was bound to another volume meanwhile', async () => {
    await using h = await binder();
    await createAll(h.client, [pv('other', '1Gi')]);
    await volumesSettled(h, ['other']);
    await h.client.create(pvc('c', '1Gi', { volumeName: 'other' }));
    await until(h.env, async () => (await claimPhase(h.client, 'c')) === 'Bound', 'claim Bound');
    const claim = await getClaim(h.client, 'c');
    // A half-done binding of another volume to the same claim, as a crashed binder would leave.
    const stale = pv('stale', '1Gi', { claimRef: { namespace: 'default', name: 'c', uid: claim.metadata?.uid } });
    stale.metadata!.annotations = { [ANN_BOUND_BY_CONTROLLER]: 'yes' };
    await h.client.create(stale);
    await until(h.env, async () => (await volumePhase(h.client, 'stale')) === 'Available', 'stale Available');
    const undone = await getVolume(h.client, 'stale');
    expect(undone.spec?.claimRef).toBeUndefined();
    expect(undone.metadata?.annotations?.[ANN_BOUND_BY_CONTROLLER]).toBeUndefined();
    expect((await getClaim(h.client, 'c')).spec?.volumeName).toBe('other');
  });
});
