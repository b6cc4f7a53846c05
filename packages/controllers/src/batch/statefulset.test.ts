import { type StatefulSet } from '@bosun/api';
import { applyManifests, type Client } from '@bosun/apiserver';
import { describe, expect, it } from 'vitest';
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
});
