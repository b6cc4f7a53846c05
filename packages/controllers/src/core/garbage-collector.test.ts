import { readFileSync } from 'node:fs';
import { decodeAll, type ConfigMap, type KubeObject } from '@bosun/api';
import { applyManifests, createTestEnv, type ApiObject, type TestEnv } from '@bosun/apiserver';
import { createManager, type Manager } from '@bosun/controller-runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { addReplicaSetController, addReplicationController } from '../workloads/replicaset';
import { waitFor } from '../workloads/testing';
import { addGarbageCollector } from './garbage-collector';
import { addNamespaceController } from './namespace-controller';
import { addServiceAccountsController } from './serviceaccounts-controller';

const seed = (name: string) => readFileSync(new URL(`../../../../test/fixtures/seeds/${name}`, import.meta.url), 'utf8');
const quiet = { warn: () => {}, error: () => {} };

const running: { env: TestEnv; manager: Manager }[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) {
    await s.manager.stop();
    await s.env.stop();
  }
});

async function setup(opts: { workloads?: boolean } = {}) {
  const env = await createTestEnv();
  const manager = createManager({ client: env.client, clock: env.clock, logger: quiet });
  if (opts.workloads !== false) {
    addReplicaSetController(manager);
    addReplicationController(manager);
  }
  addGarbageCollector(manager, { scheme: env.scheme });
  addNamespaceController(manager, { scheme: env.scheme, finalize: (name) => env.server.finalizeNamespace(name) });
  addServiceAccountsController(manager);
  await manager.start();
  running.push({ env, manager });
  return { env, manager, client: env.client };
}
type S = Awaited<ReturnType<typeof setup>>;

const livePods = async (s: S, sel: string, namespace = 'default') => (await s.client.list('v1', 'Pod', { namespace, labelSelector: sel })).items.filter((p) => !p.metadata?.deletionTimestamp);
const exists = async (s: S, apiVersion: string, kind: string, ns: string, name: string) =>
  s.client.get(apiVersion, kind, ns, name).then(() => true, () => false);
const cm = (name: string, owners: ApiObject[] = [], extra: Partial<ConfigMap['metadata']> = {}, namespace = 'default'): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name,
    namespace,
    ...extra,
    ownerReferences: owners.length ? owners.map((o) => ({ apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata!.name!, uid: o.metadata!.uid!, blockOwnerDeletion: true })) : undefined,
  },
});

const seeds = [
  { name: 'ReplicationController', file: '003_bea7a2b1a17eec52-04-replicationcontroller.yaml', apiVersion: 'v1', kind: 'ReplicationController' },
  { name: 'ReplicaSet', file: '003_bea7a2b1a17eec52-05-replicaset.yaml', apiVersion: 'apps/v1', kind: 'ReplicaSet' },
] as const;

describe('garbage collector', () => {
  it.each(seeds)('deletes the pods of the seed $name kubia after it (background cascade)', async ({ file, apiVersion, kind }) => {
    const s = await setup();
    await applyManifests(s.client, decodeAll(seed(file)) as KubeObject[]);
    await waitFor(s.env, async () => (await livePods(s, 'app=kubia')).length === 3, '3 pods');
    await s.client.delete(apiVersion, kind, 'default', 'kubia', { propagationPolicy: 'Background' });
    await waitFor(s.env, async () => (await livePods(s, 'app=kubia')).length === 0, 'pods gone');
  });

  it.each(seeds)('deletes the pods of the seed $name kubia before it (foreground cascade)', async ({ file, apiVersion, kind }) => {
    const s = await setup();
    await applyManifests(s.client, decodeAll(seed(file)) as KubeObject[]);
    await waitFor(s.env, async () => (await livePods(s, 'app=kubia')).length === 3, '3 pods');
    const deleting = await s.client.delete(apiVersion, kind, 'default', 'kubia', { propagationPolicy: 'Foreground' });
    expect(deleting.metadata?.finalizers).toContain('foregroundDeletion');
    await waitFor(s.env, async () => !(await exists(s, apiVersion, kind, 'default', 'kubia')), 'owner gone');
    expect((await livePods(s, 'app=kubia')).length).toBe(0);
  });

  it.each(seeds)('keeps the pods of the seed $name kubia with --cascade=orphan and removes their ownerReferences', async ({ file, apiVersion, kind }) => {
    const s = await setup();
    await applyManifests(s.client, decodeAll(seed(file)) as KubeObject[]);
    await waitFor(s.env, async () => (await livePods(s, 'app=kubia')).length === 3, '3 pods');
    await s.client.delete(apiVersion, kind, 'default', 'kubia', { propagationPolicy: 'Orphan' });
    await waitFor(s.env, async () => !(await exists(s, apiVersion, kind, 'default', 'kubia')), 'owner gone');
    for (let i = 0; i < 20; i++) await s.env.clock.advance(10);
    const pods = await livePods(s, 'app=kubia');
    expect(pods.length).toBe(3);
    expect(pods.every((p) => !p.metadata?.ownerReferences?.length)).toBe(true);
  });

  it('deletes a dependent whose owner uid does not exist (dangling reference)', async () => {
    const s = await setup({ workloads: false });
    const ghost = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ghost', uid: '00000000-0000-0000-0000-000000000000' } };
    await s.client.create(cm('child', [ghost]));
    await waitFor(s.env, async () => !(await exists(s, 'v1', 'ConfigMap', 'default', 'child')), 'dangling dependent deleted');
  });

  it('keeps a dependent with another live owner, removing only the reference to the deleted one', async () => {
    const s = await setup({ workloads: false });
    const a = await s.client.create(cm('a'));
    const b = await s.client.create(cm('b'));
    await s.client.create(cm('child', [a, b]));
    await s.client.delete('v1', 'ConfigMap', 'default', 'a');
    await waitFor(s.env, async () => (await s.client.get('v1', 'ConfigMap', 'default', 'child')).metadata?.ownerReferences?.length === 1, 'reference removed');
    expect((await s.client.get('v1', 'ConfigMap', 'default', 'child')).metadata?.ownerReferences?.[0].name).toBe('b');
    await s.client.delete('v1', 'ConfigMap', 'default', 'b');
    await waitFor(s.env, async () => !(await exists(s, 'v1', 'ConfigMap', 'default', 'child')), 'child deleted with its last owner');
  });

  it('follows a cluster-scoped owner of a namespaced dependent', async () => {
    const s = await setup({ workloads: false });
    const ns = await s.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'owner-ns' } });
    await s.client.create(cm('child', [ns]));
    for (let i = 0; i < 20; i++) await s.env.clock.advance(10);
    expect(await exists(s, 'v1', 'ConfigMap', 'default', 'child')).toBe(true); // a live cluster-scoped owner holds it
    await s.client.delete('v1', 'Namespace', '', 'owner-ns');
    await waitFor(s.env, async () => !(await exists(s, 'v1', 'Namespace', '', 'owner-ns')), 'namespace gone');
    await waitFor(s.env, async () => !(await exists(s, 'v1', 'ConfigMap', 'default', 'child')), 'child deleted');
  });

  it('cascades foreground deletion through two levels before the owner goes', async () => {
    const s = await setup({ workloads: false });
    const top = await s.client.create(cm('top'));
    const mid = await s.client.create(cm('mid', [top]));
    await s.client.create(cm('leaf', [mid]));
    await s.client.delete('v1', 'ConfigMap', 'default', 'top', { propagationPolicy: 'Foreground' });
    await waitFor(s.env, async () => !(await exists(s, 'v1', 'ConfigMap', 'default', 'top')), 'top gone');
    expect(await exists(s, 'v1', 'ConfigMap', 'default', 'mid')).toBe(false);
    expect(await exists(s, 'v1', 'ConfigMap', 'default', 'leaf')).toBe(false);
  });

  it.each([
    { name: 'a blocking dependent (blockOwnerDeletion true) holds the owner until it is gone', block: true },
    { name: 'a non-blocking dependent (blockOwnerDeletion false) does not hold the owner', block: false },
  ])('foreground: $name', async ({ block }) => {
    const s = await setup({ workloads: false });
    const owner = await s.client.create(cm('owner'));
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid!, blockOwnerDeletion: block };
    // A finalizer keeps the dependent around (terminating) after the collector deletes it.
    await s.client.create({ ...cm('held'), metadata: { name: 'held', namespace: 'default', finalizers: ['example.com/hold'], ownerReferences: [ref] } });
    await s.client.delete('v1', 'ConfigMap', 'default', 'owner', { propagationPolicy: 'Foreground' });
    await waitFor(s.env, async () => !!(await s.client.get('v1', 'ConfigMap', 'default', 'held')).metadata?.deletionTimestamp, 'dependent being deleted');
    for (let i = 0; i < 20; i++) await s.env.clock.advance(10);
    if (block) {
      const o = await s.client.get('v1', 'ConfigMap', 'default', 'owner');
      expect(o.metadata?.deletionTimestamp).toBeDefined();
      expect(o.metadata?.finalizers).toContain('foregroundDeletion');
    } else {
      await waitFor(s.env, async () => !(await exists(s, 'v1', 'ConfigMap', 'default', 'owner')), 'owner gone first');
    }
    await s.client.patch('v1', 'ConfigMap', 'default', 'held', { metadata: { finalizers: null } });
    await waitFor(s.env, async () => !(await exists(s, 'v1', 'ConfigMap', 'default', 'held')), 'dependent gone');
    await waitFor(s.env, async () => !(await exists(s, 'v1', 'ConfigMap', 'default', 'owner')), 'owner gone');
  });

  it('deletes a dependent whose owner was recreated under the same name (a new uid is a dangling reference)', async () => {
    const s = await setup({ workloads: false });
    const first = await s.client.create(cm('phoenix'));
    await s.client.delete('v1', 'ConfigMap', 'default', 'phoenix', { propagationPolicy: 'Orphan' });
    await waitFor(s.env, async () => !(await exists(s, 'v1', 'ConfigMap', 'default', 'phoenix')), 'first owner gone');
    await s.client.create(cm('phoenix'));
    await s.client.create(cm('child-of-first', [first]));
    await waitFor(s.env, async () => !(await exists(s, 'v1', 'ConfigMap', 'default', 'child-of-first')), 'dependent of the old uid deleted');
    expect(await exists(s, 'v1', 'ConfigMap', 'default', 'phoenix')).toBe(true);
  });
});

describe('namespace and service-account controllers', () => {
  it('gives every namespace a default ServiceAccount, and recreates it when deleted', async () => {
    const s = await setup({ workloads: false });
    await applyManifests(s.client, decodeAll(seed('003_bea7a2b1a17eec52-02-namespace.yaml')) as KubeObject[]);
    await waitFor(s.env, () => exists(s, 'v1', 'ServiceAccount', 'custom-namespace', 'default'), 'default SA');
    expect(await exists(s, 'v1', 'ServiceAccount', 'default', 'default')).toBe(true);
    await s.client.delete('v1', 'ServiceAccount', 'custom-namespace', 'default');
    await waitFor(s.env, () => exists(s, 'v1', 'ServiceAccount', 'custom-namespace', 'default'), 'default SA recreated');
  });

  it('empties a deleted namespace (pods, controllers, config) and then the namespace disappears', async () => {
    const s = await setup();
    await applyManifests(s.client, decodeAll(seed('003_bea7a2b1a17eec52-02-namespace.yaml')) as KubeObject[]);
    await applyManifests(s.client, decodeAll(seed('003_bea7a2b1a17eec52-05-replicaset.yaml')) as KubeObject[], { namespace: 'custom-namespace' });
    await s.client.create(cm('settings', [], {}, 'custom-namespace'));
    await waitFor(s.env, async () => (await livePods(s, 'app=kubia', 'custom-namespace')).length === 3, '3 pods');
    await s.client.delete('v1', 'Namespace', '', 'custom-namespace');
    await waitFor(s.env, async () => !(await exists(s, 'v1', 'Namespace', '', 'custom-namespace')), 'namespace gone', { stepMs: 250 });
    expect((await s.client.list('v1', 'Pod', { namespace: 'custom-namespace' })).items).toEqual([]);
    expect((await s.client.list('v1', 'ConfigMap', { namespace: 'custom-namespace' })).items).toEqual([]);
  });
});
