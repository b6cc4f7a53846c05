import { FakeClock, type KubeObject } from '@bosun/api';
import { afterEach, describe, expect, it } from 'vitest';
import { describeStoreConformance } from './conformance';
import { CONTINUE_EXPIRED_MESSAGE, isStoreError } from './errors';
import { createMemoryStore, type MemoryStore, type MemoryStoreOptions } from './memory-store';
import type { StoreKey, Watch, WatchEvent } from './types';

describeStoreConformance('memory', () => createMemoryStore());

const key = (name: string, namespace = 'default'): StoreKey => ({ resource: 'pods', namespace, name });
const pod = (name: string, labels: Record<string, string> = {}, namespace = 'default'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, uid: `uid-${name}`, labels },
  spec: {},
});

async function take(w: Watch, n: number): Promise<WatchEvent[]> {
  const it = w[Symbol.asyncIterator]();
  const out: WatchEvent[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) throw new Error(`watch ended after ${out.length} events`);
    out.push(r.value);
  }
  return out;
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('MemoryStore', () => {
  const stores: MemoryStore[] = [];
  const make = (opts?: MemoryStoreOptions) => {
    const s = createMemoryStore(opts);
    stores.push(s);
    return s;
  };
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  it.each([
    ['historySize', { historySize: -1 }],
    ['watchBufferSize', { watchBufferSize: 1.5 }],
  ])('rejects a bad %s option', (_name, opts) => {
    expect(() => createMemoryStore(opts)).toThrow(RangeError);
  });

  it('an owned write returns the very object it was given, with its resourceVersion, and parses nothing', async () => {
    const store = make();
    const input = pod('a', { app: 'web' });
    const created = await store.create(key('a'), input, { owned: true });
    expect(created).toBe(input);
    expect(created.metadata?.resourceVersion).toBe('2');
    const next = { ...structuredClone(created), spec: { nodeName: 'n' } };
    expect(await store.update(key('a'), next, undefined, { owned: true })).toBe(next);
    expect(next.metadata?.resourceVersion).toBe('3');
    expect(await store.get(key('a'))).toEqual(next);
  });

  it('a version read again is cloned from its shared parsed copy: reads stay independent copies', async () => {
    const store = make();
    await store.create(key('a'), pod('a', { app: 'web' }));
    const reads = [await store.get(key('a')), await store.get(key('a')), (await store.list({ resource: 'pods' })).items[0]];
    for (const r of reads) expect(Object.isFrozen(r) || Object.isFrozen(r.metadata)).toBe(false);
    (reads[1].metadata!.labels as Record<string, string>).app = 'mutated';
    expect(reads[2].metadata?.labels).toEqual({ app: 'web' });
    expect(await store.get(key('a'))).toEqual(reads[0]);
  });

  it('starts at revision 1, so a list never returns the "any" resourceVersion 0', async () => {
    const store = make();
    expect([await store.currentRevision(), (await store.list({ resource: 'pods' })).resourceVersion]).toEqual(['1', '1']);
    expect((await store.create(key('a'), pod('a'))).metadata?.resourceVersion).toBe('2');
  });

  it('keeps only historySize writes: older revisions expire for lists and watches', async () => {
    const store = make({ historySize: 3 });
    const first = await store.create(key('a'), pod('a'));
    for (const n of ['b', 'c', 'd', 'e']) await store.create(key(n), pod(n));
    expect(store.compactedRevision).toBe('3');
    expect(isStoreError(await errorOf(store.list({ resource: 'pods' }, { resourceVersion: first.metadata!.resourceVersion })), 'Expired')).toBe(true);
    const w = store.watch({ resource: 'pods' }, { resourceVersion: first.metadata!.resourceVersion });
    const error = await errorOf(w[Symbol.asyncIterator]().next());
    expect((error as Error).message).toBe('too old resource version: 2 (3)');
    expect((await store.list({ resource: 'pods' }, { resourceVersion: '3' })).items.map((o) => o.metadata!.name)).toEqual(['a', 'b']);
  });

  it('with historySize 0 only the latest revision is readable', async () => {
    const store = make({ historySize: 0 });
    for (const n of ['a', 'b', 'c']) await store.create(key(n), pod(n));
    const page = await store.list({ resource: 'pods' }, { limit: 1 });
    expect(page.items.map((o) => o.metadata!.name)).toEqual(['a']);
    await store.create(key('d'), pod('d'));
    expect(isStoreError(await errorOf(store.list({ resource: 'pods' }, { continue: page.continue })), 'Expired')).toBe(true);
  });

  it('an expired continue token comes with a token that reads the rest at the latest revision', async () => {
    const store = make();
    for (const n of ['a', 'b', 'c']) await store.create(key(n), pod(n));
    const page = await store.list({ resource: 'pods' }, { limit: 1 });
    await store.delete(key('b'));
    await store.create(key('e'), pod('e'));
    await store.compact(await store.currentRevision());
    const error = await errorOf(store.list({ resource: 'pods' }, { continue: page.continue }));
    expect([isStoreError(error, 'Expired'), (error as Error).message]).toEqual([true, CONTINUE_EXPIRED_MESSAGE]);
    const rest = await store.list({ resource: 'pods' }, { continue: (error as { continue?: string }).continue });
    expect([rest.items.map((o) => o.metadata!.name), rest.resourceVersion]).toEqual([['c', 'e'], await store.currentRevision()]);
  });

  it('a watch resuming from further back than its buffer catches up from history without expiring', async () => {
    const store = make({ watchBufferSize: 4 });
    const start = await store.currentRevision();
    for (let i = 0; i < 50; i++) await store.create(key(`p${i}`), pod(`p${i}`));
    const w = store.watch({ resource: 'pods' }, { resourceVersion: start });
    const events = await take(w, 50);
    expect(events.map((e) => Number(e.object.metadata!.resourceVersion))).toEqual(Array.from({ length: 50 }, (_, i) => Number(start) + 1 + i));
    w.stop();
  });

  it('initial events do not count against the watch buffer', async () => {
    const store = make({ watchBufferSize: 2 });
    for (let i = 0; i < 10; i++) await store.create(key(`p${i}`), pod(`p${i}`));
    const w = store.watch({ resource: 'pods' }, { sendInitialEvents: true });
    await store.create(key('q'), pod('q'));
    expect((await take(w, 11)).map((e) => `${e.type} ${e.object.metadata!.name}`).slice(-2)).toEqual(['ADDED p9', 'ADDED q']);
    w.stop();
  });

  it('a watch that falls behind says so, after handing out what it buffered', async () => {
    const store = make({ watchBufferSize: 3 });
    const w = store.watch({ resource: 'pods' });
    for (let i = 0; i < 5; i++) await store.create(key(`p${i}`), pod(`p${i}`));
    const it = w[Symbol.asyncIterator]();
    const names = [];
    for (let i = 0; i < 3; i++) names.push(((await it.next()).value as WatchEvent).object.metadata!.name);
    const error = await errorOf(it.next());
    expect([names, isStoreError(error, 'Expired'), (error as Error).message]).toEqual([
      ['p0', 'p1', 'p2'],
      true,
      'watcher fell behind: 3 events were waiting to be read at revision 5; resume from the last resourceVersion received',
    ]);
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(store.watchCount).toBe(0);
  });

  it('watch events are one frozen object shared by every watch', async () => {
    const store = make();
    const w1 = store.watch({ resource: 'pods' });
    const w2 = store.watch({ resource: 'pods' }, { labelSelector: 'app=web' });
    await store.create(key('a'), pod('a', { app: 'web' }));
    const [[e1], [e2]] = await Promise.all([take(w1, 1), take(w2, 1)]);
    expect(e1).toBe(e2);
    expect(Object.isFrozen(e1)).toBe(true);
  });

  it.each([
    ['stop()', (w: Watch) => w.stop()],
    ['return() (what for await calls on break)', (w: Watch) => void w[Symbol.asyncIterator]().return?.()],
  ])('%s releases the watch', async (_how, end) => {
    const store = make();
    const w = store.watch({ resource: 'pods' });
    expect(store.watchCount).toBe(1);
    end(w);
    expect(store.watchCount).toBe(0);
  });

  it('aborting a signal releases the watch', async () => {
    const store = make();
    const controller = new AbortController();
    store.watch({ resource: 'pods' }, { signal: controller.signal });
    controller.abort();
    expect(store.watchCount).toBe(0);
  });

  it('sends periodic bookmarks on the injected clock, only to watches that allow them', async () => {
    const clock = new FakeClock();
    const store = make({ bookmarkIntervalMs: 1000, clock });
    const withBookmarks = store.watch({ resource: 'pods' }, { allowBookmarks: true });
    const without = store.watch({ resource: 'pods' });
    await store.create(key('a'), pod('a'));
    await clock.advance(999);
    await store.create(key('b'), pod('b'));
    await clock.advance(1);
    await store.create(key('c'), pod('c'));
    const summary = (events: WatchEvent[]) => events.map((e) => (e.type === 'BOOKMARK' ? `BOOKMARK ${e.object.metadata!.resourceVersion}` : `${e.type} ${e.object.metadata!.name}`));
    expect(summary(await take(withBookmarks, 4))).toEqual(['ADDED a', 'ADDED b', 'BOOKMARK 3', 'ADDED c']);
    expect(summary(await take(without, 3))).toEqual(['ADDED a', 'ADDED b', 'ADDED c']);
    await store.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('an unread bookmark is not repeated by the periodic timer while the revision stands still', async () => {
    const clock = new FakeClock();
    const store = make({ bookmarkIntervalMs: 1000, clock });
    const w = store.watch({ resource: 'pods' }, { allowBookmarks: true });
    await clock.advance(5000);
    await store.create(key('a'), pod('a'));
    expect((await take(w, 2)).map((e) => e.type)).toEqual(['BOOKMARK', 'ADDED']);
  });

  it('bookmarks name the kind of the watched collection', async () => {
    const store = make();
    await store.create(key('a'), pod('a'));
    const w = store.watch({ resource: 'pods' }, { allowBookmarks: true });
    store.requestProgress();
    const [bookmark] = await take(w, 1);
    expect(bookmark.object).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { resourceVersion: '2' } });
    w.stop();
  });

  it('a watch on a closed store fails with Closed', async () => {
    const store = make();
    await store.close();
    await store.close();
    const error = await errorOf(store.watch({ resource: 'pods' })[Symbol.asyncIterator]().next());
    expect(isStoreError(error, 'Closed')).toBe(true);
  });

  it('compacting to a future revision fails with TooLargeResourceVersion', async () => {
    const store = make();
    expect(isStoreError(await errorOf(store.compact('100')), 'TooLargeResourceVersion')).toBe(true);
  });

  it('names objects the way Kubernetes does in errors, with the group after the resource', async () => {
    const store = make();
    const error = await errorOf(store.get({ resource: 'apps/deployments', namespace: 'default', name: 'web' }));
    expect((error as Error).message).toBe('deployments.apps "web" not found');
  });

  it('keeps list order when many objects are created and deleted in random order', async () => {
    const store = make();
    const names = Array.from({ length: 300 }, (_, i) => `p${(i * 7919) % 300}`);
    for (const n of names) await store.create(key(n, n.length % 2 ? 'odd' : 'even'), pod(n, {}, n.length % 2 ? 'odd' : 'even'));
    for (const n of names.slice(0, 100)) await store.delete(key(n, n.length % 2 ? 'odd' : 'even'));
    const listed = (await store.list({ resource: 'pods' })).items.map((o) => `${o.metadata!.namespace}/${o.metadata!.name}`);
    expect(listed).toEqual([...listed].sort());
    expect(listed.length).toBe(200);
  });

  it('a stored object with a non-string label value is still selected by what the JSON says', async () => {
    const store = make();
    await store.create(key('a'), { metadata: { name: 'a', labels: { tier: 'web', n: 1 as unknown as string } } });
    expect((await store.list({ resource: 'pods' }, { labelSelector: 'tier=web' })).items.length).toBe(1);
  });
});
