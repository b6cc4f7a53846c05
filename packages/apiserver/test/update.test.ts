import { describe, expect, it } from 'vitest';
import { isConflict, type Deployment, type KubeObject, type Pod } from '@bosun/api';
import { createTestEnv } from '../src/index';
import { configMap, deployment, expectApiError, pod } from './fixtures';

describe('update', () => {
  it('refuses a stale resourceVersion with the Conflict message clients know', async () => {
    await using env = await createTestEnv();
    const d = await env.client.create(deployment('web'));
    await env.client.update({ ...d, metadata: { ...d.metadata, labels: { app: 'web', v: '2' } } });
    const e = await expectApiError(env.client.update({ ...d, spec: { ...d.spec!, replicas: 5 } }), 'Conflict', 409);
    expect(e.message).toBe('Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again');
  });

  it.each([
    ['an update', 'update'],
    ['a status update', 'updateStatus'],
    ['an update that changes nothing', 'noop'],
  ] as const)('%s returns a copy shared with neither the caller’s object nor the store', async (_n, how) => {
    await using env = await createTestEnv();
    const d = await env.client.create(deployment('web'));
    const input = how === 'noop' ? d : { ...d, metadata: { ...d.metadata, labels: { app: 'web', v: '2' } }, status: { replicas: 1 } };
    const before = JSON.stringify(input);
    const out = how === 'updateStatus' ? await env.client.updateStatus(input) : await env.client.update(input);
    const stored = JSON.stringify(await env.client.get('apps/v1', 'Deployment', 'default', 'web'));
    out.metadata!.labels!.app = 'changed';
    out.spec!.replicas = 99;
    expect(JSON.stringify(input)).toBe(before);
    expect(JSON.stringify(await env.client.get('apps/v1', 'Deployment', 'default', 'web'))).toBe(stored);
  });

  it('treats an update without resourceVersion as unconditional', async () => {
    await using env = await createTestEnv();
    const c = await env.client.create(configMap('c', { a: '1' }));
    await env.client.update({ ...c, data: { a: '2' } });
    const { resourceVersion: _rv, ...meta } = c.metadata!;
    const out = await env.client.update({ ...c, metadata: meta, data: { a: '3' } });
    expect(out.data).toEqual({ a: '3' });
  });

  it('never creates on update: a missing object is a 404', async () => {
    await using env = await createTestEnv();
    const e = await expectApiError(env.client.update(configMap('ghost')), 'NotFound', 404);
    expect(e.message).toBe('configmaps "ghost" not found');
  });

  it('bumps generation only when the spec changes', async () => {
    await using env = await createTestEnv();
    let d = (await env.client.create(deployment('web'))) as Deployment;
    expect(d.metadata!.generation).toBe(1);
    d = await env.client.update({ ...d, metadata: { ...d.metadata, labels: { app: 'web', tier: 'x' }, annotations: { note: 'hi' } } });
    expect(d.metadata!.generation).toBe(1);
    d = await env.client.update({ ...d, spec: { ...d.spec!, replicas: 7 } });
    expect(d.metadata!.generation).toBe(2);
    d = await env.client.updateStatus({ ...d, status: { replicas: 7, observedGeneration: 2 } });
    expect(d.metadata!.generation).toBe(2);
    // Same spec with keys in another order is not a change.
    const reordered = { ...d, spec: Object.fromEntries(Object.entries(d.spec!).reverse()) } as Deployment;
    d = await env.client.update(reordered);
    expect(d.metadata!.generation).toBe(2);
  });

  it('keeps the object unchanged (same resourceVersion) when nothing changes', async () => {
    await using env = await createTestEnv();
    const d = await env.client.create(deployment('web'));
    const again = await env.client.update(d);
    expect(again.metadata!.resourceVersion).toBe(d.metadata!.resourceVersion);
  });

  it('preserves uid, name, namespace and creationTimestamp', async () => {
    await using env = await createTestEnv();
    const c = await env.client.create(configMap('c'));
    await env.clock.advance(5000);
    const out = await env.client.update({ ...c, metadata: { ...c.metadata, creationTimestamp: '1999-01-01T00:00:00Z', uid: undefined } });
    expect(out.metadata!.uid).toBe(c.metadata!.uid);
    expect(out.metadata!.creationTimestamp).toBe(c.metadata!.creationTimestamp);
  });

  it('refuses an update carrying another uid with 409', async () => {
    await using env = await createTestEnv();
    const c = await env.client.create(configMap('c'));
    const e = await expectApiError(env.client.update({ ...c, metadata: { ...c.metadata, uid: 'other' } }), 'Conflict');
    expect(e.message).toContain('Precondition failed: UID in precondition: other');
  });

  it('does not let clients set deletionTimestamp', async () => {
    await using env = await createTestEnv();
    const c = await env.client.create(configMap('c'));
    const e = await expectApiError(env.client.update({ ...c, metadata: { ...c.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } }), 'Invalid', 422);
    expect(e.causes[0].field).toBe('metadata.deletionTimestamp');
  });

  it('refuses changes to immutable fields (a Deployment’s selector) with 422 field is immutable', async () => {
    await using env = await createTestEnv();
    const d = await env.client.create(deployment('web'));
    const changed = { ...d, spec: { ...d.spec!, selector: { matchLabels: { app: 'web', v: '2' } }, template: { ...d.spec!.template, metadata: { labels: { app: 'web', v: '2' } } } } };
    const e = await expectApiError(env.client.update(changed), 'Invalid', 422);
    expect(e.causes.find((c) => c.field === 'spec.selector')?.message).toContain('field is immutable');
  });

  it('defaults the updated object (a removed defaulted field comes back)', async () => {
    await using env = await createTestEnv();
    const p = (await env.client.create(pod('p'))) as Pod;
    const { restartPolicy: _r, ...spec } = p.spec!;
    const out = (await env.client.update({ ...p, spec })) as Pod;
    expect(out.spec?.restartPolicy).toBe('Always');
    expect(out.metadata!.resourceVersion).toBe(p.metadata!.resourceVersion);
  });
});

describe('status subresource', () => {
  it('update ignores status; updateStatus ignores spec and metadata', async () => {
    await using env = await createTestEnv();
    const d = (await env.client.create(deployment('web'))) as Deployment;
    const u = await env.client.update({ ...d, spec: { ...d.spec!, replicas: 5 }, status: { replicas: 99 } });
    expect(u.spec!.replicas).toBe(5);
    expect(u.status).toBeUndefined();

    const s = await env.client.updateStatus({ ...u, spec: { ...u.spec!, replicas: 1 }, metadata: { ...u.metadata, labels: { hacked: 'yes' } }, status: { replicas: 5, readyReplicas: 2 } });
    expect(s.spec!.replicas).toBe(5);
    expect(s.metadata!.labels).toEqual({ app: 'web' });
    expect(s.status).toEqual({ replicas: 5, readyReplicas: 2 });

    const u2 = await env.client.update({ ...s, status: { replicas: 0 }, spec: { ...s.spec!, replicas: 6 } });
    expect(u2.status).toEqual({ replicas: 5, readyReplicas: 2 });
  });

  it('updateStatus refuses a stale resourceVersion', async () => {
    await using env = await createTestEnv();
    const d = await env.client.create(deployment('web'));
    await env.client.updateStatus({ ...d, status: { replicas: 1 } });
    await expectApiError(env.client.updateStatus({ ...d, status: { replicas: 2 } }), 'Conflict');
  });

  it('for kinds without a status subresource, update writes everything', async () => {
    await using env = await createTestEnv();
    const c = (await env.client.create(configMap('c'))) as KubeObject;
    const out = await env.client.update({ ...c, data: { a: 'b' } });
    expect(out.data).toEqual({ a: 'b' });
  });
});

describe('concurrency', () => {
  it('N writers doing get+update with retry end with the exact count, and every stale write gets 409', async () => {
    await using env = await createTestEnv();
    await env.client.create(configMap('counter', { n: '0' }));
    const writers = 8;
    const perWriter = 25;
    let conflicts = 0;
    let attempts = 0;
    const writer = async () => {
      for (let i = 0; i < perWriter; i++) {
        for (;;) {
          const cur = await env.client.get('v1', 'ConfigMap', 'default', 'counter');
          await new Promise((r) => setImmediate(r)); // let others interleave between read and write
          attempts++;
          try {
            await env.client.update({ ...cur, data: { n: String(Number(cur.data!.n) + 1) } });
            break;
          } catch (e) {
            if (!isConflict(e)) throw e;
            conflicts++;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: writers }, writer));
    const final = await env.client.get('v1', 'ConfigMap', 'default', 'counter');
    expect(Number(final.data!.n)).toBe(writers * perWriter);
    expect(conflicts).toBeGreaterThan(0);
    expect(attempts).toBe(writers * perWriter + conflicts);
  });
});
