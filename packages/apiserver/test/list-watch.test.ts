import { describe, expect, it } from 'vitest';
import { isApiError } from '@bosun/api';
import { createTestEnv } from '../src/index';
import { configMap, deployment, expectApiError, namespace, pod, WatchReader } from './fixtures';

describe('list', () => {
  it('returns a typed list with apiVersion and kind on every item', async () => {
    await using env = await createTestEnv();
    await env.client.create(deployment('a'));
    await env.client.create(deployment('b'));
    const list = await env.client.list('apps/v1', 'Deployment', { namespace: 'default' });
    expect(list.apiVersion).toBe('apps/v1');
    expect(list.kind).toBe('DeploymentList');
    expect(list.items.map((d) => [d.apiVersion, d.kind, d.metadata.name])).toEqual([
      ['apps/v1', 'Deployment', 'a'],
      ['apps/v1', 'Deployment', 'b'],
    ]);
    expect(list.metadata.resourceVersion).toMatch(/^\d+$/);
  });

  it.each([
    ['app=web', ['default/a', 'default/b', 'team/e']],
    ['app=web,tier!=front', ['default/b', 'team/e']],
    ['app in (db,cache)', ['default/c', 'default/d']],
    ['!tier', ['default/c', 'team/e']],
    ['tier', ['default/a', 'default/b', 'default/d']],
  ])('label selector %s', async (sel, expected) => {
    await using env = await createTestEnv();
    await env.client.create(namespace('team'));
    await env.client.create(pod('a', { labels: { app: 'web', tier: 'front' } }));
    await env.client.create(pod('b', { labels: { app: 'web', tier: 'back' } }));
    await env.client.create(pod('c', { labels: { app: 'db' } }));
    await env.client.create(pod('d', { labels: { app: 'cache', tier: 'back' } }));
    await env.client.create(pod('e', { namespace: 'team', labels: { app: 'web' } }));
    const list = await env.client.list('v1', 'Pod', { labelSelector: sel });
    expect(list.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(expected);
  });

  it('field selectors on supported fields filter; unsupported ones are a 400', async () => {
    await using env = await createTestEnv();
    await env.client.create(pod('a', { nodeName: 'n1' }));
    await env.client.create(pod('b', { nodeName: 'n2' }));
    await env.client.create(pod('c'));
    const onN1 = await env.client.list('v1', 'Pod', { fieldSelector: 'spec.nodeName=n1' });
    expect(onN1.items.map((p) => p.metadata.name)).toEqual(['a']);
    const unscheduled = await env.client.list('v1', 'Pod', { fieldSelector: 'spec.nodeName=' });
    expect(unscheduled.items.map((p) => p.metadata.name)).toEqual(['c']);
    const byName = await env.client.list('v1', 'Pod', { fieldSelector: 'metadata.name!=a,status.phase=Pending' });
    expect(byName.items.map((p) => p.metadata.name)).toEqual(['b', 'c']);
    const e = await expectApiError(env.client.list('v1', 'Pod', { fieldSelector: 'spec.hostname=x' }), 'BadRequest', 400);
    expect(e.message).toBe('field label not supported: spec.hostname');
    await expectApiError(env.client.list('v1', 'ConfigMap', { fieldSelector: 'spec.nodeName=n1' }), 'BadRequest');
  });

  it('a malformed label selector is a 400', async () => {
    await using env = await createTestEnv();
    await expectApiError(env.client.list('v1', 'Pod', { labelSelector: 'app in (' }), 'BadRequest', 400);
  });

  it('pages with limit and continue, all pages at one revision', async () => {
    await using env = await createTestEnv();
    for (let i = 0; i < 7; i++) await env.client.create(configMap(`c${i}`));
    const first = await env.client.list('v1', 'ConfigMap', { namespace: 'default', limit: 3 });
    expect(first.items.map((c) => c.metadata.name)).toEqual(['c0', 'c1', 'c2']);
    expect(first.metadata.continue).toBeTruthy();
    expect(first.metadata.remainingItemCount).toBe(4);
    await env.client.create(configMap('c7'));
    const second = await env.client.list('v1', 'ConfigMap', { namespace: 'default', limit: 3, continue: first.metadata.continue });
    const third = await env.client.list('v1', 'ConfigMap', { namespace: 'default', limit: 3, continue: second.metadata.continue });
    expect([...second.items, ...third.items].map((c) => c.metadata.name)).toEqual(['c3', 'c4', 'c5', 'c6']);
    expect(third.metadata.continue).toBeUndefined();
    await expectApiError(env.client.list('v1', 'ConfigMap', { continue: 'garbage' }), 'BadRequest', 400);
  });

  it('reads at an exact resourceVersion, and a compacted one is 410 Gone', async () => {
    await using env = await createTestEnv();
    const a = await env.client.create(configMap('a'));
    await env.client.create(configMap('b'));
    const past = await env.client.list('v1', 'ConfigMap', { namespace: 'default', resourceVersion: a.metadata!.resourceVersion });
    expect(past.items.map((c) => c.metadata.name)).toEqual(['a']);
    const any = await env.client.list('v1', 'ConfigMap', { namespace: 'default', resourceVersion: '0' });
    expect(any.items).toHaveLength(2);
    await env.store.compact(await env.store.currentRevision());
    const e = await expectApiError(env.client.list('v1', 'ConfigMap', { resourceVersion: a.metadata!.resourceVersion }), 'Expired', 410);
    expect(e.message).toMatch(/^too old resource version: /);
  });

  it('lists cluster-scoped kinds without a namespace', async () => {
    await using env = await createTestEnv();
    const list = await env.client.list('v1', 'Namespace');
    expect(list.items.map((n) => n.metadata.name)).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
  });
});

describe('watch', () => {
  it('without a resourceVersion sends ADDED for what exists, then the changes', async () => {
    await using env = await createTestEnv();
    await env.client.create(configMap('a'));
    await env.client.create(configMap('b'));
    const ac = new AbortController();
    const w = new WatchReader(env.client.watch('v1', 'ConfigMap', { namespace: 'default', signal: ac.signal }));
    const initial = await w.take(2);
    expect(initial.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED a', 'ADDED b']);
    expect(initial[0].object.apiVersion).toBe('v1');
    expect(initial[0].object.kind).toBe('ConfigMap');
    const c = await env.client.create(configMap('c'));
    await env.client.update({ ...c, data: { x: 'y' } });
    await env.client.delete('v1', 'ConfigMap', 'default', 'a');
    const changes = await w.take(3);
    expect(changes.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED c', 'MODIFIED c', 'DELETED a']);
    ac.abort();
    await w.expectEnd();
  });

  it("resourceVersion '0' also starts with the current state", async () => {
    await using env = await createTestEnv();
    await env.client.create(configMap('a'));
    const ac = new AbortController();
    const w = new WatchReader(env.client.watch('v1', 'ConfigMap', { resourceVersion: '0', signal: ac.signal }));
    expect((await w.take(1))[0].type).toBe('ADDED');
    ac.abort();
  });

  it('from a resourceVersion sends only what came after it', async () => {
    await using env = await createTestEnv();
    const a = await env.client.create(configMap('a'));
    await env.client.update({ ...a, data: { v: '2' } });
    await env.client.create(configMap('b'));
    const ac = new AbortController();
    const w = new WatchReader(env.client.watch('v1', 'ConfigMap', { resourceVersion: a.metadata!.resourceVersion, signal: ac.signal }));
    const events = await w.take(2);
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['MODIFIED a', 'ADDED b']);
    await w.expectQuiet();
    ac.abort();
  });

  it('filters by label selector (objects leaving the selection arrive as DELETED)', async () => {
    await using env = await createTestEnv();
    const ac = new AbortController();
    const w = new WatchReader(env.client.watch('v1', 'Pod', { labelSelector: 'app=web', signal: ac.signal }));
    await w.expectQuiet(10);
    const p = await env.client.create(pod('a', { labels: { app: 'web' } }));
    await env.client.create(pod('b', { labels: { app: 'db' } }));
    await env.client.update({ ...p, metadata: { ...p.metadata, labels: { app: 'other' } } });
    const events = await w.take(2);
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED a', 'DELETED a']);
    ac.abort();
  });

  it('from a compacted resourceVersion throws 410 Expired, so informers relist', async () => {
    await using env = await createTestEnv();
    const a = await env.client.create(configMap('a'));
    await env.client.create(configMap('b'));
    await env.store.compact(await env.store.currentRevision());
    const w = new WatchReader(env.client.watch('v1', 'ConfigMap', { resourceVersion: a.metadata!.resourceVersion }));
    const err = await w.next().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isApiError(err)).toBe(true);
    expect(err).toMatchObject({ code: 410, reason: 'Expired' });
    expect((err as Error).message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  it('an unknown kind or a bad field selector fails on the first read with an ApiError', async () => {
    await using env = await createTestEnv();
    const a = new WatchReader(env.client.watch('v1', 'Gizmo'));
    await expect(a.next()).rejects.toMatchObject({ name: 'ApiError', reason: 'NotFound' });
    const b = new WatchReader(env.client.watch('v1', 'Pod', { fieldSelector: 'spec.nope=1' }));
    await expect(b.next()).rejects.toMatchObject({ name: 'ApiError', reason: 'BadRequest', message: 'field label not supported: spec.nope' });
  });

  it('sends bookmarks periodically on the clock and on demand when asked for', async () => {
    await using env = await createTestEnv({ watchBookmarkIntervalMs: 60_000 });
    const ac = new AbortController();
    const c = await env.client.create(configMap('a'));
    const w = new WatchReader(env.client.watch('v1', 'ConfigMap', { resourceVersion: c.metadata!.resourceVersion, allowWatchBookmarks: true, signal: ac.signal }));
    const plain = new WatchReader(env.client.watch('v1', 'ConfigMap', { resourceVersion: c.metadata!.resourceVersion, signal: ac.signal }));
    await w.expectQuiet(20);
    await env.clock.advance(59_000);
    await w.expectQuiet(20);
    const c2 = await env.client.update({ ...c, data: { b: '1' } });
    await env.clock.advance(1_000);
    const [mod, bm] = await w.take(2);
    expect(mod.type).toBe('MODIFIED');
    expect(bm.type).toBe('BOOKMARK');
    expect(bm.object.metadata.resourceVersion).toBe(c2.metadata!.resourceVersion);
    expect(bm.object.kind).toBe('ConfigMap');
    env.server.requestWatchProgress();
    expect((await w.take(1))[0].type).toBe('BOOKMARK');
    await env.clock.advance(60_000);
    expect((await w.take(1))[0].type).toBe('BOOKMARK');
    // The watch that did not ask gets none.
    expect((await plain.take(1))[0].type).toBe('MODIFIED');
    await plain.expectQuiet(20);
    ac.abort();
  });

  it('stops cleanly on abort and when the server stops', async () => {
    const env = await createTestEnv();
    const ac = new AbortController();
    const a = new WatchReader(env.client.watch('v1', 'ConfigMap', { signal: ac.signal }));
    const b = new WatchReader(env.client.watch('v1', 'ConfigMap', {}));
    await a.expectQuiet(10);
    await b.expectQuiet(10);
    ac.abort();
    await a.expectEnd();
    await env.stop();
    await b.expectEnd();
    // A watch opened after the server stopped ends at once.
    const c = new WatchReader(env.client.watch('v1', 'ConfigMap', {}));
    await c.expectEnd();
  });

  it('many watches can share one signal: one abort ends them all, without a MaxListeners warning', async () => {
    await using env = await createTestEnv();
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const ac = new AbortController();
      const readers = Array.from({ length: 30 }, () => new WatchReader(env.client.watch('v1', 'ConfigMap', { signal: ac.signal })));
      await env.client.create(configMap('a'));
      for (const r of readers) expect((await r.take(1))[0].type).toBe('ADDED');
      ac.abort();
      for (const r of readers) await r.expectEnd();
      await new Promise((r) => setImmediate(r));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('stop() ends a watch that is waiting for events', async () => {
    await using env = await createTestEnv();
    const w = env.server.watch('v1', 'ConfigMap', {});
    const reader = new WatchReader(w);
    await reader.expectQuiet(10);
    w.stop();
    await reader.expectEnd();
  });

  it('event objects are frozen, so a consumer cannot corrupt what others see', async () => {
    await using env = await createTestEnv();
    await env.client.create(configMap('a', { k: 'v' }));
    const ac = new AbortController();
    const w = new WatchReader(env.client.watch('v1', 'ConfigMap', { signal: ac.signal }));
    const [ev] = await w.take(1);
    expect(Object.isFrozen(ev.object)).toBe(true);
    expect(() => {
      (ev.object.data as Record<string, string>).k = 'changed';
    }).toThrow();
    ac.abort();
  });
});
