import { describe, expect, it } from 'vitest';
import type { KubeObject, Pod } from '@bosun/api';
import { createTestEnv, type PropagationPolicy } from '../src/index';
import { configMap, deployment, expectApiError, namespace, pod, WatchReader } from './fixtures';

describe('delete: finalizers', () => {
  it('marks an object with finalizers as deleting; removing the last finalizer deletes it; a watch sees MODIFIED then DELETED', async () => {
    await using env = await createTestEnv();
    const ac = new AbortController();
    const cm: KubeObject = await env.client.create({ ...configMap('c'), metadata: { name: 'c', namespace: 'default', finalizers: ['example.com/cleanup', 'example.com/other'] } });
    const w = new WatchReader(env.client.watch('v1', 'ConfigMap', { namespace: 'default', resourceVersion: cm.metadata!.resourceVersion, signal: ac.signal }));

    await env.clock.advance(1000);
    const deleting = await env.client.delete('v1', 'ConfigMap', 'default', 'c');
    expect(deleting.metadata?.deletionTimestamp).toBe('2026-01-01T00:00:01Z');
    expect(deleting.metadata?.deletionGracePeriodSeconds).toBe(0);
    expect((await env.client.get('v1', 'ConfigMap', 'default', 'c')).metadata.deletionTimestamp).toBeDefined();

    // A second delete returns it unchanged.
    const again = await env.client.delete('v1', 'ConfigMap', 'default', 'c');
    expect(again.metadata?.resourceVersion).toBe(deleting.metadata?.resourceVersion);

    const one = await env.client.update({ ...deleting, metadata: { ...deleting.metadata, finalizers: ['example.com/other'] } });
    expect(one.metadata?.finalizers).toEqual(['example.com/other']);
    const gone = await env.client.update({ ...one, metadata: { ...one.metadata, finalizers: [] } });
    expect(gone.metadata?.name).toBe('c');
    await expectApiError(env.client.get('v1', 'ConfigMap', 'default', 'c'), 'NotFound');

    const events = await w.take(4);
    expect(events.map((e) => e.type)).toEqual(['MODIFIED', 'MODIFIED', 'MODIFIED', 'DELETED']);
    expect(events[0].object.metadata?.deletionTimestamp).toBeDefined();
    ac.abort();
  });

  it('a finalizer removed with a patch completes the deletion too', async () => {
    await using env = await createTestEnv();
    await env.client.create({ ...configMap('c'), metadata: { name: 'c', namespace: 'default', finalizers: ['x/y'] } });
    await env.client.delete('v1', 'ConfigMap', 'default', 'c');
    await env.client.patch('v1', 'ConfigMap', 'default', 'c', { metadata: { finalizers: null } });
    await expectApiError(env.client.get('v1', 'ConfigMap', 'default', 'c'), 'NotFound');
  });

  it('objects without finalizers are deleted at once and the last state is returned', async () => {
    await using env = await createTestEnv();
    const c = await env.client.create(configMap('c', { a: 'b' }));
    const last = await env.client.delete('v1', 'ConfigMap', 'default', 'c');
    expect(last.data).toEqual({ a: 'b' });
    expect(BigInt(last.metadata!.resourceVersion!)).toBeGreaterThan(BigInt(c.metadata!.resourceVersion!));
    await expectApiError(env.client.get('v1', 'ConfigMap', 'default', 'c'), 'NotFound');
    await expectApiError(env.client.delete('v1', 'ConfigMap', 'default', 'c'), 'NotFound', 404);
  });

  it.each([
    ['uid', (uid: string) => ({ uid: `${uid}-other` }), 'Precondition failed: UID in precondition'],
    ['resourceVersion', () => ({ resourceVersion: '1' }), 'the object has been modified'],
  ])('a %s precondition that does not hold is a 409', async (_n, pre, message) => {
    await using env = await createTestEnv();
    const c = await env.client.create(configMap('c'));
    const e = await expectApiError(env.client.delete('v1', 'ConfigMap', 'default', 'c', { preconditions: pre(c.metadata!.uid!) }), 'Conflict', 409);
    expect(e.message).toContain(message);
    await env.client.delete('v1', 'ConfigMap', 'default', 'c', { preconditions: { uid: c.metadata!.uid, resourceVersion: c.metadata!.resourceVersion } });
  });
});

describe('delete: propagation policy', () => {
  it.each<[PropagationPolicy | undefined, string[] | undefined, string[] | undefined]>([
    ['Foreground', undefined, ['foregroundDeletion']],
    ['Orphan', undefined, ['orphan']],
    ['Orphan', ['foregroundDeletion'], ['orphan']],
    ['Foreground', ['x/keep'], ['x/keep', 'foregroundDeletion']],
    ['Background', ['orphan', 'x/keep'], ['x/keep']],
    [undefined, ['orphan'], ['orphan']],
    ['Background', undefined, undefined],
  ])('policy %s on finalizers %j leaves %j', async (policy, before, after) => {
    await using env = await createTestEnv();
    await env.client.create({ ...deployment('web'), metadata: { name: 'web', namespace: 'default', ...(before ? { finalizers: before } : {}) } });
    const res = await env.client.delete('apps/v1', 'Deployment', 'default', 'web', { propagationPolicy: policy });
    if (after === undefined) {
      await expectApiError(env.client.get('apps/v1', 'Deployment', 'default', 'web'), 'NotFound');
    } else {
      expect(res.metadata?.finalizers).toEqual(after);
      expect(res.metadata?.deletionTimestamp).toBeDefined();
      expect(res.metadata?.generation).toBe(2);
    }
  });
});

describe('delete: graceful pod deletion', () => {
  it('a bound pod gets deletionTimestamp = now + 30 s and stays until the node agent deletes it with grace 0', async () => {
    await using env = await createTestEnv();
    await env.client.create(pod('p', { nodeName: 'node-1' }));
    await env.clock.advance(2000);
    const res = (await env.client.delete('v1', 'Pod', 'default', 'p')) as Pod;
    expect(res.metadata?.deletionTimestamp).toBe('2026-01-01T00:00:32Z');
    expect(res.metadata?.deletionGracePeriodSeconds).toBe(30);
    await env.clock.advance(60_000);
    expect((await env.client.get('v1', 'Pod', 'default', 'p')).metadata.deletionTimestamp).toBe('2026-01-01T00:00:32Z');
    // A longer grace period changes nothing; a shorter one moves the deadline.
    const longer = await env.client.delete('v1', 'Pod', 'default', 'p', { gracePeriodSeconds: 100 });
    expect(longer.metadata?.deletionGracePeriodSeconds).toBe(30);
    const shorter = await env.client.delete('v1', 'Pod', 'default', 'p', { gracePeriodSeconds: 10 });
    expect(shorter.metadata?.deletionGracePeriodSeconds).toBe(10);
    expect(shorter.metadata?.deletionTimestamp).toBe('2026-01-01T00:00:12Z');
    await env.client.delete('v1', 'Pod', 'default', 'p', { gracePeriodSeconds: 0 });
    await expectApiError(env.client.get('v1', 'Pod', 'default', 'p'), 'NotFound');
  });

  it.each([
    ['spec.terminationGracePeriodSeconds', { terminationGracePeriodSeconds: 5 }, undefined, 5],
    ['the option over the pod’s own period', { terminationGracePeriodSeconds: 5 }, 7, 7],
    ['a negative option as 1 second', {}, -3, 1],
  ])('the grace period comes from %s', async (_n, spec, option, expected) => {
    await using env = await createTestEnv();
    await env.client.create(pod('p', { nodeName: 'node-1', spec }));
    const res = await env.client.delete('v1', 'Pod', 'default', 'p', { gracePeriodSeconds: option });
    expect(res.metadata?.deletionGracePeriodSeconds).toBe(expected);
  });

  it.each([
    ['an unbound pod', pod('p'), undefined],
    ['a bound pod with grace 0', pod('p', { nodeName: 'node-1' }), 0],
  ])('%s is deleted at once', async (_n, p, grace) => {
    await using env = await createTestEnv();
    await env.client.create(p);
    await env.client.delete('v1', 'Pod', 'default', 'p', { gracePeriodSeconds: grace });
    await expectApiError(env.client.get('v1', 'Pod', 'default', 'p'), 'NotFound');
  });

  it('a bound pod that already Succeeded is deleted at once', async () => {
    await using env = await createTestEnv();
    const p = await env.client.create(pod('p', { nodeName: 'node-1' }));
    await env.client.updateStatus({ ...p, status: { phase: 'Succeeded' } });
    await env.client.delete('v1', 'Pod', 'default', 'p');
    await expectApiError(env.client.get('v1', 'Pod', 'default', 'p'), 'NotFound');
  });

  it('a pod with grace 0 but a finalizer stays until the finalizer is removed', async () => {
    await using env = await createTestEnv();
    await env.client.create(pod('p', { finalizers: ['x/y'] }));
    const res = await env.client.delete('v1', 'Pod', 'default', 'p', { gracePeriodSeconds: 0 });
    expect(res.metadata?.deletionTimestamp).toBe('2026-01-01T00:00:00Z');
    await env.client.patch('v1', 'Pod', 'default', 'p', [{ op: 'remove', path: '/metadata/finalizers' }], { type: 'json' });
    await expectApiError(env.client.get('v1', 'Pod', 'default', 'p'), 'NotFound');
  });

  it('removing the finalizers of a pod whose grace period is running leaves it for the node agent', async () => {
    await using env = await createTestEnv();
    await env.client.create(pod('p', { nodeName: 'node-1', finalizers: ['x/y'] }));
    await env.client.delete('v1', 'Pod', 'default', 'p');
    await env.client.patch('v1', 'Pod', 'default', 'p', { metadata: { finalizers: null } });
    expect((await env.client.get('v1', 'Pod', 'default', 'p')).metadata.deletionGracePeriodSeconds).toBe(30);
    await env.client.delete('v1', 'Pod', 'default', 'p', { gracePeriodSeconds: 0 });
    await expectApiError(env.client.get('v1', 'Pod', 'default', 'p'), 'NotFound');
  });
});

describe('delete: namespaces', () => {
  it.each(['default', 'kube-system'])('namespace %s may not be deleted (403)', async (name) => {
    await using env = await createTestEnv();
    const e = await expectApiError(env.client.delete('v1', 'Namespace', '', name), 'Forbidden', 403);
    expect(e.message).toBe(`namespaces "${name}" is forbidden: this namespace may not be deleted`);
  });

  it('a deleted namespace is Terminating until finalizeNamespace removes the kubernetes finalizer', async () => {
    await using env = await createTestEnv();
    await env.client.create(namespace('team-a'));
    const ns = await env.client.delete('v1', 'Namespace', '', 'team-a');
    expect(ns.status?.phase).toBe('Terminating');
    expect(ns.metadata?.deletionTimestamp).toBeDefined();
    expect((await env.client.get('v1', 'Namespace', '', 'team-a')).status?.phase).toBe('Terminating');
    // A client cannot drop spec.finalizers by update; only the finalize subresource can.
    const live = await env.client.get('v1', 'Namespace', '', 'team-a');
    await env.client.update({ ...live, spec: { finalizers: [] } });
    expect((await env.client.get('v1', 'Namespace', '', 'team-a')).spec?.finalizers).toEqual(['kubernetes']);
    await env.server.finalizeNamespace('team-a');
    await expectApiError(env.client.get('v1', 'Namespace', '', 'team-a'), 'NotFound');
  });

  it('a namespace with metadata finalizers outlives finalizeNamespace until they are removed', async () => {
    await using env = await createTestEnv();
    await env.client.create({ ...namespace('team-a'), metadata: { name: 'team-a', finalizers: ['x/y'] } });
    await env.client.delete('v1', 'Namespace', '', 'team-a');
    await env.server.finalizeNamespace('team-a');
    const ns = await env.client.get('v1', 'Namespace', '', 'team-a');
    expect(ns.spec?.finalizers).toBeUndefined();
    await env.client.update({ ...ns, metadata: { ...ns.metadata, finalizers: [] } });
    await expectApiError(env.client.get('v1', 'Namespace', '', 'team-a'), 'NotFound');
  });
});

describe('deleteCollection', () => {
  it('deletes what the selectors match and leaves the rest', async () => {
    await using env = await createTestEnv();
    for (const [name, app] of [['a', 'web'], ['b', 'web'], ['c', 'db']]) await env.client.create(pod(name, { labels: { app } }));
    await env.client.create(namespace('other'));
    await env.client.create(pod('d', { namespace: 'other', labels: { app: 'web' } }));
    const res = await env.client.deleteCollection('v1', 'Pod', { namespace: 'default', labelSelector: 'app=web' });
    expect(res.items.map((p) => p.metadata.name).sort()).toEqual(['a', 'b']);
    const left = await env.client.list('v1', 'Pod', {});
    expect(left.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort()).toEqual(['default/c', 'other/d']);
  });

  it('applies the delete options to each object (graceful pods linger)', async () => {
    await using env = await createTestEnv();
    await env.client.create(pod('a', { nodeName: 'n1' }));
    await env.client.create(pod('b'));
    const res = await env.client.deleteCollection('v1', 'Pod', { namespace: 'default', fieldSelector: 'metadata.namespace=default' });
    expect(res.items).toHaveLength(2);
    const left = await env.client.list('v1', 'Pod', { namespace: 'default' });
    expect(left.items.map((p) => p.metadata.name)).toEqual(['a']);
    expect(left.items[0].metadata.deletionTimestamp).toBeDefined();
  });
});
