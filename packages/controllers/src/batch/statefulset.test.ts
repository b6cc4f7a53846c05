import { type StatefulSet } from '@bosun/api';
import { applyManifests, type Client } from '@bosun/apiserver';
import { describe, expect, it } from 'vitest';
import { addGarbageCollector } from '../core/garbage-collector';
import { addStatefulSetController, ordinalOf } from './statefulset';
import { events, listPods, seed, setPodStatus, startHarness, until, settle } from './testing';

const getSts = (client: Client, name: string) => client.get('apps/v1', 'StatefulSet', 'default', name);
const podNames = async (client: Client, sel: string) => (await listPods(client, sel)).filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata!.name!).sort();
const pvcNames = async (client: Client) => (await client.list('v1', 'PersistentVolumeClaim', { namespace: 'default' })).items.map((p) => p.metadata!.name!).sort();
const image = async (client: Client, pod: string) => (await client.get('v1', 'Pod', 'default', pod)).spec?.containers[0]?.image;

/** Marks Running and Ready, as the node agent would, every pod of the selector that is not yet. */
async function readyAll(client: Client, sel: string): Promise<void> {
  for (const p of await listPods(client, sel)) if (!p.metadata?.deletionTimestamp && p.status?.phase !== 'Running') await setPodStatus(client, p, { phase: 'Running', ready: true });
}

function sts(name: string, spec: Partial<NonNullable<StatefulSet['spec']>> = {}, img = 'nginx:1'): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default' },
    spec: {
      serviceName: name,
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: img }] } },
      ...spec,
    },
  };
}

describe('ordinals', () => {
  it.each([
    ['web-0', 0],
    ['web-12', 12],
    ['web-01', -1],
    ['web-x', -1],
    ['webby-1', -1],
  ])('%s has ordinal %i in set web', (pod, n) => expect(ordinalOf(sts('web'), pod)).toBe(n));
});

describe('StatefulSet controller', () => {
  it.each([
    ['kubia (003-31)', '003_bea7a2b1a17eec52-31-statefulset.yaml', 'kubia', 'data'],
    ['sleep (002-06)', '002_8cc7607eac0f66d5-06-statefulset.yaml', 'sleep', 'sleep-volume'],
  ])('creates the seed %s pods one at a time, each Running and Ready first, with claims created before their pod', async (_n, file, name, claim) => {
    await using h = await startHarness(addStatefulSetController);
    const { client } = h;
    await applyManifests(client, seed(file));
    await until(async () => (await podNames(client, `app=${name}`)).length === 1, 'pod 0');
    expect(await podNames(client, `app=${name}`)).toEqual([`${name}-0`]);
    expect(await pvcNames(client)).toEqual([`${claim}-${name}-0`]);
    await settle();
    expect(await podNames(client, `app=${name}`)).toEqual([`${name}-0`]);
    await setPodStatus(client, `${name}-0`, { phase: 'Running', ready: false });
    await settle();
    expect(await podNames(client, `app=${name}`)).toHaveLength(1);
    await setPodStatus(client, `${name}-0`, { phase: 'Running', ready: true });
    await until(async () => (await podNames(client, `app=${name}`)).length === 2, 'pod 1');
    expect(await pvcNames(client)).toEqual([`${claim}-${name}-0`, `${claim}-${name}-1`]);
    const pod1 = await client.get('v1', 'Pod', 'default', `${name}-1`);
    expect(pod1.spec).toMatchObject({ hostname: `${name}-1`, subdomain: name });
    expect(pod1.spec?.volumes).toContainEqual({ name: claim, persistentVolumeClaim: { claimName: `${claim}-${name}-1` } });
    const s = await getSts(client, name);
    expect(pod1.metadata?.labels).toMatchObject({ app: name, 'statefulset.kubernetes.io/pod-name': `${name}-1`, 'apps.kubernetes.io/pod-index': '1', 'controller-revision-hash': s.status?.updateRevision });
    expect(pod1.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'StatefulSet', name, controller: true, blockOwnerDeletion: true });
    await setPodStatus(client, `${name}-1`, { phase: 'Running', ready: true });
    await until(async () => (await getSts(client, name)).status?.readyReplicas === 2, 'readyReplicas 2');
    const st = (await getSts(client, name)).status!;
    expect(st).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2, currentReplicas: 2, updatedReplicas: 2, observedGeneration: 1 });
    expect(st.currentRevision).toBe(st.updateRevision);
    const revs = (await client.list('apps/v1', 'ControllerRevision', { namespace: 'default' })).items;
    expect(revs.map((r) => [r.metadata?.name, r.revision])).toEqual([[st.updateRevision, 1]]);
    expect((await events(client, 'SuccessfulCreate')).map((e) => e.message)).toEqual(
      expect.arrayContaining([`create Claim ${claim}-${name}-0 Pod ${name}-0 in StatefulSet ${name} success`, `create Pod ${name}-0 in StatefulSet ${name} successful`]),
    );
  });

  it('creates every pod at once with podManagementPolicy Parallel', async () => {
    await using h = await startHarness(addStatefulSetController);
    await h.client.create(sts('par', { podManagementPolicy: 'Parallel' }));
    await until(async () => (await podNames(h.client, 'app=par')).length === 3, '3 pods');
    expect(await podNames(h.client, 'app=par')).toEqual(['par-0', 'par-1', 'par-2']);
  });

  it('recreates a deleted pod with the same name and the same claim', async () => {
    await using h = await startHarness(addStatefulSetController);
    const { client } = h;
    await client.create(sts('web', { replicas: 2, volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] }));
    for (let i = 1; i <= 2; i++) {
      await until(async () => (await podNames(client, 'app=web')).length === i, `${i} pods`);
      await readyAll(client, 'app=web');
    }
    const claimUid = (await client.get('v1', 'PersistentVolumeClaim', 'default', 'www-web-0')).metadata?.uid;
    const oldUid = (await client.get('v1', 'Pod', 'default', 'web-0')).metadata?.uid;
    await client.delete('v1', 'Pod', 'default', 'web-0');
    await until(async () => {
      const p = await client.get('v1', 'Pod', 'default', 'web-0').catch(() => undefined);
      return !!p && p.metadata?.uid !== oldUid;
    }, 'web-0 recreated');
    const again = await client.get('v1', 'Pod', 'default', 'web-0');
    expect(again.spec?.volumes).toContainEqual({ name: 'www', persistentVolumeClaim: { claimName: 'www-web-0' } });
    expect((await client.get('v1', 'PersistentVolumeClaim', 'default', 'www-web-0')).metadata?.uid).toBe(claimUid);
  });

  it('scales down from the highest ordinal one at a time and keeps the claims', async () => {
    await using h = await startHarness(addStatefulSetController);
    const { client } = h;
    await client.create(sts('db', { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] }));
    for (let i = 1; i <= 3; i++) {
      await until(async () => (await podNames(client, 'app=db')).length === i, `${i} pods`);
      await readyAll(client, 'app=db');
    }
    await client.patch('apps/v1', 'StatefulSet', 'default', 'db', { spec: { replicas: 1 } });
    await until(async () => (await podNames(client, 'app=db')).length === 1, 'scaled to 1');
    expect(await podNames(client, 'app=db')).toEqual(['db-0']);
    const deletes = (await events(client, 'SuccessfulDelete')).map((e) => e.message);
    expect(deletes).toEqual(['delete Pod db-2 in StatefulSet db successful', 'delete Pod db-1 in StatefulSet db successful']);
    expect(await pvcNames(client)).toEqual(['data-db-0', 'data-db-1', 'data-db-2']);
    await until(async () => (await getSts(client, 'db')).status?.replicas === 1, 'status replicas 1');
  });

  it('rolls an update from the highest ordinal down to the partition, then to all when the partition is 0', async () => {
    await using h = await startHarness(addStatefulSetController);
    const { client } = h;
    await client.create(sts('ru', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }));
    for (let i = 1; i <= 3; i++) {
      await until(async () => (await podNames(client, 'app=ru')).length === i, `${i} pods`);
      await readyAll(client, 'app=ru');
    }
    const rev1 = (await getSts(client, 'ru')).status?.updateRevision;
    await client.patch('apps/v1', 'StatefulSet', 'default', 'ru', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } });
    await until(async () => (await image(client, 'ru-2').catch(() => '')) === 'nginx:2', 'ru-2 updated');
    expect(await image(client, 'ru-1')).toBe('nginx:1');
    await readyAll(client, 'app=ru');
    await until(async () => (await image(client, 'ru-1').catch(() => '')) === 'nginx:2', 'ru-1 updated');
    await readyAll(client, 'app=ru');
    await until(async () => (await getSts(client, 'ru')).status?.updatedReplicas === 2, 'updatedReplicas 2');
    expect(await image(client, 'ru-0')).toBe('nginx:1');
    const st = (await getSts(client, 'ru')).status!;
    expect(st.currentRevision).toBe(rev1);
    expect(st.updateRevision).not.toBe(rev1);
    await client.patch('apps/v1', 'StatefulSet', 'default', 'ru', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } });
    await until(async () => (await image(client, 'ru-0').catch(() => '')) === 'nginx:2', 'ru-0 updated');
    await readyAll(client, 'app=ru');
    await until(async () => {
      const s = (await getSts(client, 'ru')).status;
      return s?.currentRevision === s?.updateRevision && s?.updatedReplicas === 3;
    }, 'rollout done');
    const revs = (await client.list('apps/v1', 'ControllerRevision', { namespace: 'default' })).items.map((r) => r.revision).sort();
    expect(revs).toEqual([1, 2]);
  });

  it('with OnDelete, only a pod deleted by hand comes back with the new template', async () => {
    await using h = await startHarness(addStatefulSetController);
    const { client } = h;
    await client.create(sts('od', { replicas: 2, updateStrategy: { type: 'OnDelete' } }));
    for (let i = 1; i <= 2; i++) {
      await until(async () => (await podNames(client, 'app=od')).length === i, `${i} pods`);
      await readyAll(client, 'app=od');
    }
    await client.patch('apps/v1', 'StatefulSet', 'default', 'od', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } });
    await until(async () => (await getSts(client, 'od')).status?.updatedReplicas === 0, 'new revision seen');
    expect([await image(client, 'od-0'), await image(client, 'od-1')]).toEqual(['nginx:1', 'nginx:1']);
    await client.delete('v1', 'Pod', 'default', 'od-0');
    await until(async () => (await image(client, 'od-0').catch(() => '')) === 'nginx:2', 'od-0 recreated new');
    expect(await image(client, 'od-1')).toBe('nginx:1');
  });

  /** Creates `set` and marks its pods ready as they come until `n` are Running and Ready. */
  async function bringUp(client: Client, name: string, n: number): Promise<void> {
    for (let i = 1; i <= n; i++) {
      await until(async () => (await podNames(client, `app=${name}`)).length === i, `${i} pods`);
      await readyAll(client, `app=${name}`);
    }
  }
  /** Sets the image and drives the rolling update until every pod has it and the set reports it done. */
  async function rollTo(client: Client, name: string, img: string, n: number): Promise<void> {
    await client.patch('apps/v1', 'StatefulSet', 'default', name, { spec: { template: { spec: { containers: [{ name: 'c', image: img }] } } } });
    await until(async () => {
      await readyAll(client, `app=${name}`);
      const s = (await getSts(client, name)).status;
      const images = await Promise.all(Array.from({ length: n }, (_, i) => image(client, `${name}-${i}`).catch(() => '')));
      return images.every((x) => x === img) && s?.currentRevision === s?.updateRevision && s?.updatedReplicas === n && s?.readyReplicas === n;
    }, `rolled to ${img}`);
  }
  const revisions = async (client: Client) =>
    (await client.list('apps/v1', 'ControllerRevision', { namespace: 'default' })).items.map((r) => [r.metadata!.name!, r.revision!] as const).sort((a, b) => a[1] - b[1]);

  it('keeps revisionHistoryLimit old ControllerRevisions besides the current one', async () => {
    await using h = await startHarness(addStatefulSetController);
    const { client } = h;
    await client.create(sts('hist', { replicas: 2, revisionHistoryLimit: 1 }));
    await bringUp(client, 'hist', 2);
    for (const v of ['nginx:2', 'nginx:3']) await rollTo(client, 'hist', v, 2);
    await until(async () => (await revisions(client)).length === 2, 'two revisions left');
    const st = (await getSts(client, 'hist')).status!;
    expect((await revisions(client)).map((r) => r[1])).toEqual([2, 3]);
    expect((await revisions(client)).at(-1)![0]).toBe(st.updateRevision);
  });

  it('rolling back to an earlier template reuses its ControllerRevision as the newest revision', async () => {
    await using h = await startHarness(addStatefulSetController);
    const { client } = h;
    await client.create(sts('rb', { replicas: 2 }));
    await bringUp(client, 'rb', 2);
    const rev1 = (await getSts(client, 'rb')).status!.updateRevision!;
    await rollTo(client, 'rb', 'nginx:2', 2);
    const rev2 = (await getSts(client, 'rb')).status!.updateRevision!;
    await rollTo(client, 'rb', 'nginx:1', 2);
    const st = (await getSts(client, 'rb')).status!;
    expect(st).toMatchObject({ currentRevision: rev1, updateRevision: rev1 });
    expect(await revisions(client)).toEqual([[rev2, 2], [rev1, 3]]);
    for (const p of await listPods(client, 'app=rb')) expect(p.metadata?.labels?.['controller-revision-hash']).toBe(rev1);
  });

  it('a deleted pod of a partitioned rollout comes back at its own revision: below the partition the old one', async () => {
    await using h = await startHarness(addStatefulSetController);
    const { client } = h;
    await client.create(sts('part', { replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }));
    await bringUp(client, 'part', 3);
    await client.patch('apps/v1', 'StatefulSet', 'default', 'part', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } });
    await until(async () => (await image(client, 'part-2').catch(() => '')) === 'nginx:2', 'part-2 updated');
    await readyAll(client, 'app=part');
    const oldUid = (await client.get('v1', 'Pod', 'default', 'part-0')).metadata?.uid;
    await client.delete('v1', 'Pod', 'default', 'part-0');
    await until(async () => {
      const p = await client.get('v1', 'Pod', 'default', 'part-0').catch(() => undefined);
      return !!p && p.metadata?.uid !== oldUid;
    }, 'part-0 recreated');
    expect(await image(client, 'part-0')).toBe('nginx:1');
    await readyAll(client, 'app=part');
    await settle();
    expect([await image(client, 'part-0'), await image(client, 'part-1'), await image(client, 'part-2')]).toEqual(['nginx:1', 'nginx:1', 'nginx:2']);
  });

  it.each([
    ['Failed', 'RecreatingFailedPod', 'Warning', 'failed'],
    ['Succeeded', 'RecreatingTerminatedPod', 'Normal', 'terminated'],
  ] as const)('recreates a %s pod under the same name, recording %s', async (phase, reason, type, word) => {
    await using h = await startHarness(addStatefulSetController);
    const { client } = h;
    await client.create(sts('fp', { replicas: 1 }));
    await bringUp(client, 'fp', 1);
    const old = await client.get('v1', 'Pod', 'default', 'fp-0');
    await setPodStatus(client, 'fp-0', { phase });
    await until(async () => {
      const p = await client.get('v1', 'Pod', 'default', 'fp-0').catch(() => undefined);
      return !!p && p.metadata?.uid !== old.metadata?.uid;
    }, 'fp-0 recreated');
    expect(await events(client, reason)).toEqual([expect.objectContaining({ type, message: `StatefulSet default/fp is recreating ${word} Pod fp-0` })]);
  });

  it.each([
    { name: 'background (the default): the pods go, the claims stay', policy: 'Background' as const },
    { name: '--cascade=orphan: the pods stay, and the set recreated with the same name adopts them (and its revision) without replacing any', policy: 'Orphan' as const },
  ])('deleted $name', async ({ policy }) => {
    await using h = await startHarness((m) => {
      addStatefulSetController(m);
      addGarbageCollector(m);
    });
    const { client } = h;
    const claims = { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] };
    await client.create(sts('cas', { replicas: 2, ...claims }));
    await bringUp(client, 'cas', 2);
    const before = new Map((await listPods(client, 'app=cas')).map((p) => [p.metadata!.name!, p.metadata!.uid!]));
    const rev = (await getSts(client, 'cas')).status!.updateRevision!;
    await client.delete('apps/v1', 'StatefulSet', 'default', 'cas', { propagationPolicy: policy });
    await until(async () => !(await client.get('apps/v1', 'StatefulSet', 'default', 'cas').catch(() => undefined)), 'set gone');
    if (policy === 'Background') {
      await until(async () => (await podNames(client, 'app=cas')).length === 0, 'pods gone');
      expect(await pvcNames(client)).toEqual(['data-cas-0', 'data-cas-1']);
      return;
    }
    await until(async () => (await listPods(client, 'app=cas')).every((p) => !p.metadata?.ownerReferences?.length), 'pods orphaned');
    expect(await podNames(client, 'app=cas')).toEqual(['cas-0', 'cas-1']);
    await client.create(sts('cas', { replicas: 2, ...claims }));
    const set = await getSts(client, 'cas');
    await until(async () => (await listPods(client, 'app=cas')).every((p) => p.metadata?.ownerReferences?.[0]?.uid === set.metadata?.uid), 'pods adopted');
    await until(async () => (await getSts(client, 'cas')).status?.readyReplicas === 2, 'status counts the adopted pods');
    expect(new Map((await listPods(client, 'app=cas')).map((p) => [p.metadata!.name!, p.metadata!.uid!]))).toEqual(before);
    const revs = (await client.list('apps/v1', 'ControllerRevision', { namespace: 'default' })).items;
    expect(revs.map((r) => [r.metadata?.name, r.metadata?.ownerReferences?.[0]?.uid])).toEqual([[rev, set.metadata?.uid]]);
    expect(await events(client, 'SuccessfulCreate')).toHaveLength(4); // 2 claims + 2 pods, all from the first set
  });

  it('creates no pod and no revision while being deleted', async () => {
    await using h = await startHarness(addStatefulSetController);
    const { client } = h;
    await client.create({ ...sts('held', { replicas: 1 }), metadata: { name: 'held', namespace: 'default', finalizers: ['example.com/hold'] } });
    await bringUp(client, 'held', 1);
    await client.delete('apps/v1', 'StatefulSet', 'default', 'held');
    await until(async () => !!(await getSts(client, 'held')).metadata?.deletionTimestamp, 'terminating');
    await client.delete('v1', 'Pod', 'default', 'held-0', { gracePeriodSeconds: 0 });
    await settle(200);
    expect(await podNames(client, 'app=held')).toEqual([]);
    expect((await client.list('apps/v1', 'ControllerRevision', { namespace: 'default' })).items).toHaveLength(1);
    await client.patch('apps/v1', 'StatefulSet', 'default', 'held', { metadata: { finalizers: null } });
  });
});
