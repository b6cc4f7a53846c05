import type { KubeObject, OwnerReference } from '@bosun/api';
import { createTestEnv, type TestEnv } from '@bosun/apiserver';
import { describe, expect, it } from 'vitest';
import { adopt, AlreadyOwnedError, isAlreadyOwnedError, isControlledBy, release, removeOwnerReference, setControllerReference, setOwnerReference } from './owner-refs';

const owner = (name = 'rs', uid = 'uid-rs', extra: Partial<KubeObject> = {}): KubeObject => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, namespace: 'default', uid }, ...extra });
const pod = (refs?: OwnerReference[], ns = 'default'): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: ns, ownerReferences: refs } });
const ctrlRef = (name = 'rs', uid = 'uid-rs', kind = 'ReplicaSet', apiVersion = 'apps/v1'): OwnerReference => ({ apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true });
const plainRef = (name = 'rs', uid = 'uid-rs', kind = 'ReplicaSet'): OwnerReference => ({ apiVersion: 'apps/v1', kind, name, uid });

describe('setControllerReference', () => {
  it.each<[string, KubeObject, OwnerReference[]]>([
    ['sets it on an object without owners', pod(), [ctrlRef()]],
    ['keeps owners that are not the controller', pod([plainRef('cfg', 'uid-cfg', 'ConfigMap')]), [plainRef('cfg', 'uid-cfg', 'ConfigMap'), ctrlRef()]],
    ['turns a plain reference to the same owner into the controller reference', pod([plainRef()]), [ctrlRef()]],
    ['replaces a controller reference to the same owner from an older version of its group', pod([ctrlRef('rs', 'uid-rs', 'ReplicaSet', 'apps/v1beta2')]), [ctrlRef()]],
  ])('%s', (_name, obj, expected) => {
    const frozen = Object.freeze(obj);
    expect(setControllerReference(owner(), frozen).metadata?.ownerReferences).toEqual(expected);
  });

  it('refuses an object another controller owns, with controller-runtime’s AlreadyOwnedError', () => {
    const obj = pod([ctrlRef('other', 'uid-other')]);
    let err: unknown;
    try {
      setControllerReference(owner(), obj);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AlreadyOwnedError);
    expect(isAlreadyOwnedError(err)).toBe(true);
    expect((err as AlreadyOwnedError).message).toBe('Object default/p is already owned by another ReplicaSet controller other');
    expect((err as AlreadyOwnedError).owner.uid).toBe('uid-other');
  });

  it.each<[string, KubeObject, KubeObject, RegExp]>([
    ['an owner in another namespace', owner(), pod(undefined, 'other'), /cross-namespace owner references are disallowed/],
    ['a namespaced owner for a cluster-scoped object', owner(), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' } }, /cluster-scoped resource must not have a namespace-scoped owner/],
    ['an owner without a uid (never stored)', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', namespace: 'default' } }, pod(), /needs apiVersion, kind, metadata.name and metadata.uid/],
  ])('refuses %s', (_name, o, obj, message) => {
    expect(() => setControllerReference(o, obj)).toThrow(message);
  });

  it('accepts a cluster-scoped owner for a namespaced object', () => {
    const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', uid: 'uid-ns' } };
    expect(setControllerReference(ns, pod()).metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Namespace', name: 'team', uid: 'uid-ns', controller: true, blockOwnerDeletion: true }]);
  });
});

describe('owner reference helpers', () => {
  it.each<[string, KubeObject, boolean]>([
    ['controlled by it', pod([ctrlRef()]), true],
    ['owned by it without controller: true', pod([plainRef()]), false],
    ['controlled by another owner with the same name', pod([ctrlRef('rs', 'uid-old')]), false],
    ['without owners', pod(), false],
  ])('isControlledBy is %s → %s', (_name, obj, expected) => {
    expect(isControlledBy(obj, owner())).toBe(expected);
  });

  it('setOwnerReference adds a plain reference; removeOwnerReference drops references by uid', () => {
    const withPlain = setOwnerReference(owner(), pod([ctrlRef('other', 'uid-other')]));
    expect(withPlain.metadata?.ownerReferences).toEqual([ctrlRef('other', 'uid-other'), plainRef()]);
    expect(removeOwnerReference(owner(), withPlain).metadata?.ownerReferences).toEqual([ctrlRef('other', 'uid-other')]);
    expect(removeOwnerReference(owner('other', 'uid-other'), removeOwnerReference(owner(), withPlain)).metadata).not.toHaveProperty('ownerReferences');
  });
});

describe('adopt and release against the API server', () => {
  async function setup(env: TestEnv, podRefs?: (rs: KubeObject) => OwnerReference[]) {
    const rs = await env.client.create({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'rs', namespace: 'default' },
      spec: { replicas: 0, selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    });
    const p = await env.client.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default', labels: { app: 'a' }, ownerReferences: podRefs?.(rs) },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    });
    return { rs: rs as KubeObject, p: p as KubeObject };
  }
  const storedRefs = async (env: TestEnv) => (await env.client.get('v1', 'Pod', 'default', 'p')).metadata.ownerReferences;

  it('adopts an orphan, retrying on conflict with a stale copy', async () => {
    await using env = await createTestEnv();
    const { rs, p } = await setup(env);
    await env.client.patch('v1', 'Pod', 'default', 'p', { metadata: { labels: { app: 'a', extra: 'x' } } });
    const adopted = await adopt(env.client, rs, p);
    expect(adopted && isControlledBy(adopted, rs)).toBe(true);
    expect(await storedRefs(env)).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: rs.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
    expect((await env.client.get('v1', 'Pod', 'default', 'p')).metadata.labels).toEqual({ app: 'a', extra: 'x' });
  });

  it('refuses to adopt what another controller owns', async () => {
    await using env = await createTestEnv();
    const { rs, p } = await setup(env, () => [ctrlRef('other', 'uid-other')]);
    await expect(adopt(env.client, rs, p)).rejects.toBeInstanceOf(AlreadyOwnedError);
    expect(await storedRefs(env)).toEqual([ctrlRef('other', 'uid-other')]);
  });

  it('adopts nothing when the owner is being deleted', async () => {
    await using env = await createTestEnv();
    const { rs, p } = await setup(env);
    const deletingOwner = { ...rs, metadata: { ...rs.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
    expect(await adopt(env.client, deletingOwner, p)).toBeUndefined();
    expect(await storedRefs(env)).toBeUndefined();
  });

  it('adopts nothing when the object is being deleted', async () => {
    await using env = await createTestEnv();
    const { rs } = await setup(env);
    await env.client.patch('v1', 'Pod', 'default', 'p', { metadata: { finalizers: ['example.com/hold'] } });
    const deleting = await env.client.delete('v1', 'Pod', 'default', 'p', { gracePeriodSeconds: 0 });
    expect(await adopt(env.client, rs, deleting as KubeObject)).toBeUndefined();
    expect(await storedRefs(env)).toBeUndefined();
  });

  it('releases an object it owns and leaves other owners in place', async () => {
    await using env = await createTestEnv();
    const { rs, p } = await setup(env, (o) => [ctrlRef('rs', o.metadata!.uid!), plainRef('cfg', 'uid-cfg', 'ConfigMap')]);
    const released = await release(env.client, rs, p);
    expect(released?.metadata?.ownerReferences).toEqual([plainRef('cfg', 'uid-cfg', 'ConfigMap')]);
    expect(await storedRefs(env)).toEqual([plainRef('cfg', 'uid-cfg', 'ConfigMap')]);
  });

  it('writes nothing to release an object it does not own, and resolves undefined for one that is gone', async () => {
    await using env = await createTestEnv();
    const { rs, p } = await setup(env);
    expect((await release(env.client, rs, p))?.metadata?.resourceVersion).toBe(p.metadata!.resourceVersion);
    await env.client.patch('v1', 'Pod', 'default', 'p', { metadata: { ownerReferences: [ctrlRef('rs', rs.metadata!.uid!)] } });
    await env.client.delete('v1', 'Pod', 'default', 'p', { gracePeriodSeconds: 0 });
    expect(await release(env.client, rs, { ...p, metadata: { ...p.metadata, ownerReferences: [ctrlRef('rs', rs.metadata!.uid!)] } })).toBeUndefined();
  });
});
