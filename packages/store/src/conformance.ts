import type { KubeObject } from '@bosun/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStoreError, type StoreErrorCode } from './errors';
import type { ObjectStore, StoreKey, Watch, WatchEvent, WatchOptions } from './types';

/** Options of {@link describeStoreConformance}. */
export interface StoreConformanceOptions {
  /**
   * The per-watch buffer of the stores the factory makes (default 10,000, the memory
   * store's default): the slow-watcher test writes a little more than this many events.
   */
  watchBufferSize?: number;
  /** How long a test waits for a watch event it expects (default 5,000 ms). */
  eventTimeoutMs?: number;
}

/**
 * Registers the vitest suite every {@link ObjectStore} backend must pass, under
 * `describe('ObjectStore conformance: <name>')`. Call it at the top level of a test
 * file. `factory` is called before each test and must return an empty store; the suite
 * closes it after the test.
 *
 * Covers: create/get/update/delete and their errors, owned writes, preconditions, no-op updates, one
 * revision across resources, list order, selectors, pagination over a consistent
 * snapshot, reads at past revisions, compaction, watch order and resumption, filter
 * transitions, initial events, bookmarks, slow watchers, stopping, and read-modify-write
 * under concurrent writers.
 *
 * @example
 * describeStoreConformance('memory', () => createMemoryStore());
 */
export function describeStoreConformance(name: string, factory: () => Promise<ObjectStore> | ObjectStore, opts: StoreConformanceOptions = {}): void {
  const bufferSize = opts.watchBufferSize ?? 10_000;
  const timeoutMs = opts.eventTimeoutMs ?? 5_000;

  describe(`ObjectStore conformance: ${name}`, () => {
    let store: ObjectStore;
    const open: Watch[] = [];
    /** A watch that is stopped after the test, with a reader that times out. */
    const watch = (prefix: { resource: string; namespace?: string }, options?: WatchOptions) => {
      const w = store.watch(prefix, options);
      open.push(w);
      return new Reader(w, timeoutMs);
    };

    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      for (const w of open.splice(0)) w.stop();
      await store.close();
    });

    describe('objects', () => {
      it('create returns the object with a resourceVersion, and get returns the same', async () => {
        const input = pod('web-1', { labels: { app: 'web' } });
        const created = await store.create(key('web-1'), input);
        const { resourceVersion, ...meta } = created.metadata!;
        expect(resourceVersion).toBe(await store.currentRevision());
        expect({ ...created, metadata: meta }).toEqual(input);
        expect(await store.get(key('web-1'))).toEqual(created);
      });

      it('the store keeps no reference to objects passed in or handed out', async () => {
        const input = pod('web-1', { labels: { app: 'web' } });
        const created = await store.create(key('web-1'), input);
        (input.metadata!.labels as Record<string, string>).app = 'mutated-input';
        (created.metadata!.labels as Record<string, string>).app = 'mutated-result';
        const got = await store.get(key('web-1'));
        (got.metadata!.labels as Record<string, string>).app = 'mutated-get';
        expect((await store.get(key('web-1'))).metadata?.labels).toEqual({ app: 'web' });
        expect(input.metadata?.resourceVersion).toBeUndefined();
      });

      it('an owned create returns the object with its resourceVersion, and the store keeps no reference to it', async () => {
        const input = pod('web-1', { labels: { app: 'web' } });
        const created = await store.create(key('web-1'), input, { owned: true });
        expect(created.metadata?.resourceVersion).toBe(await store.currentRevision());
        expect(created.metadata?.labels).toEqual({ app: 'web' });
        // The store may hand back `input` itself: neither it nor the result reaches the stored state.
        (input.metadata!.labels as Record<string, string>).app = 'mutated-input';
        (created.metadata!.labels as Record<string, string>).app = 'mutated-result';
        const got = await store.get(key('web-1'));
        expect(got.metadata?.labels).toEqual({ app: 'web' });
        expect(got.metadata?.resourceVersion).toBe(await store.currentRevision());
      });

      it('owned updates and read-modify-writes return the written object, and the store keeps no reference to it', async () => {
        const created = await store.create(key('web-1'), pod('web-1', { labels: { app: 'web' } }));
        // Owned objects share nothing with anything the caller keeps: a deep copy, not a spread of `created`.
        const updated = await store.update(key('web-1'), { ...structuredClone(created), spec: { nodeName: 'node-1' } }, undefined, { owned: true });
        expect(rv(updated)).toBeGreaterThan(rv(created));
        expect(updated.spec).toEqual({ nodeName: 'node-1' });
        (updated.spec as Record<string, string>).nodeName = 'mutated';
        const next = await store.guaranteedUpdate(key('web-1'), (cur) => ({ ...cur, spec: { nodeName: 'node-2' } }), undefined, { owned: true });
        expect(String(rv(next))).toBe(await store.currentRevision());
        (next.spec as Record<string, string>).nodeName = 'mutated';
        expect((await store.get(key('web-1'))).spec).toEqual({ nodeName: 'node-2' });
        const same = await store.update(key('web-1'), pod('web-1', { labels: { app: 'web' }, nodeName: 'node-2' }), undefined, { owned: true });
        expect(rv(same)).toBe(rv(await store.get(key('web-1'))));
      });

      it('create ignores a resourceVersion set on the input', async () => {
        const input = pod('web-1');
        (input.metadata as { resourceVersion?: string }).resourceVersion = '999999';
        const created = await store.create(key('web-1'), input);
        expect(created.metadata?.resourceVersion).toBe(await store.currentRevision());
      });

      it('create fails with AlreadyExists when the key holds an object', async () => {
        await store.create(key('web-1'), pod('web-1'));
        await expectCode(store.create(key('web-1'), pod('web-1', { labels: { other: 'x' } })), 'AlreadyExists');
        expect((await store.get(key('web-1'))).metadata?.labels).toBeUndefined();
      });

      it.each([
        ['get', (s: ObjectStore) => s.get(key('missing'))],
        ['update', (s: ObjectStore) => s.update(key('missing'), pod('missing'))],
        ['delete', (s: ObjectStore) => s.delete(key('missing'))],
        ['guaranteedUpdate', (s: ObjectStore) => s.guaranteedUpdate(key('missing'), (o) => o)],
      ] as const)('%s of a missing key fails with NotFound', async (_op, call) => {
        await store.create(key('missing', 'other-namespace'), pod('missing', { ns: 'other-namespace' }));
        await expectCode(call(store), 'NotFound');
      });

      it.each([
        ['metadata.name differs from the key', pod('other')],
        ['metadata.namespace differs from the key', pod('web-1', { ns: 'elsewhere' })],
      ])('create fails with BadRequest when %s', async (_case, obj) => {
        await expectCode(store.create(key('web-1'), obj), 'BadRequest');
        expect(await store.count('pods')).toBe(0);
      });

      it('update replaces the object and gives it the new revision', async () => {
        const created = await store.create(key('web-1'), pod('web-1'));
        const updated = await store.update(key('web-1'), { ...created, spec: { nodeName: 'node-1' } });
        expect(rv(updated)).toBeGreaterThan(rv(created));
        expect(String(rv(updated))).toBe(await store.currentRevision());
        expect(await store.get(key('web-1'))).toEqual(updated);
        expect(updated.spec).toEqual({ nodeName: 'node-1' });
      });

      it.each([
        ['a stale resourceVersion', 'stale-rv'],
        ['another uid', 'uid'],
      ])('update with %s fails with Conflict and writes nothing', async (_case, kind) => {
        const created = await store.create(key('web-1'), pod('web-1'));
        const updated = await store.update(key('web-1'), { ...created, spec: { nodeName: 'node-1' } });
        const pre = kind === 'uid' ? { uid: 'someone-else' } : { resourceVersion: created.metadata!.resourceVersion! };
        const before = await store.currentRevision();
        const error = await expectCode(store.update(key('web-1'), { ...updated, spec: { nodeName: 'node-2' } }, pre), 'Conflict');
        if (kind === 'stale-rv') expect(error.message).toContain('the object has been modified; please apply your changes to the latest version and try again');
        expect(await store.currentRevision()).toBe(before);
        expect(await store.get(key('web-1'))).toEqual(updated);
      });

      it('update with preconditions that hold succeeds', async () => {
        const created = await store.create(key('web-1'), pod('web-1'));
        const updated = await store.update(key('web-1'), { ...created, spec: { nodeName: 'node-1' } }, { uid: uid('web-1'), resourceVersion: created.metadata!.resourceVersion });
        expect(updated.spec).toEqual({ nodeName: 'node-1' });
      });

      it('a precondition with a malformed resourceVersion fails with BadRequest', async () => {
        await store.create(key('web-1'), pod('web-1'));
        await expectCode(store.update(key('web-1'), pod('web-1'), { resourceVersion: 'abc' }), 'BadRequest');
      });

      it('an update that changes nothing writes nothing and keeps the revision', async () => {
        const created = await store.create(key('web-1'), pod('web-1', { labels: { app: 'web' } }));
        const w = watch({ resource: 'pods' });
        const same = await store.update(key('web-1'), created);
        const sameWithoutRv = await store.update(key('web-1'), pod('web-1', { labels: { app: 'web' } }));
        expect(same).toEqual(created);
        expect(sameWithoutRv).toEqual(created);
        expect(await store.currentRevision()).toBe(created.metadata!.resourceVersion);
        await store.create(key('web-2'), pod('web-2'));
        expect(summary(await w.take(1))).toEqual(['ADDED default/web-2']);
      });

      it('delete returns the last state with the deletion revision, and the key is gone', async () => {
        const created = await store.create(key('web-1'), pod('web-1', { labels: { app: 'web' } }));
        const deleted = await store.delete(key('web-1'));
        expect(rv(deleted)).toBeGreaterThan(rv(created));
        expect(String(rv(deleted))).toBe(await store.currentRevision());
        expect({ ...deleted, metadata: { ...deleted.metadata, resourceVersion: undefined } }).toEqual({ ...created, metadata: { ...created.metadata, resourceVersion: undefined } });
        await expectCode(store.get(key('web-1')), 'NotFound');
        expect(await store.count('pods')).toBe(0);
      });

      it.each([
        ['a stale resourceVersion', 'stale-rv'],
        ['another uid', 'uid'],
      ])('delete with %s fails with Conflict and keeps the object', async (_case, kind) => {
        const created = await store.create(key('web-1'), pod('web-1'));
        await store.update(key('web-1'), { ...created, spec: { nodeName: 'node-1' } });
        const pre = kind === 'uid' ? { uid: 'someone-else' } : { resourceVersion: created.metadata!.resourceVersion! };
        await expectCode(store.delete(key('web-1'), pre), 'Conflict');
        expect(await store.count('pods')).toBe(1);
      });

      it('a deleted key can be created again', async () => {
        await store.create(key('web-1'), pod('web-1', { labels: { gen: '1' } }));
        await store.delete(key('web-1'));
        const again = await store.create(key('web-1'), pod('web-1', { labels: { gen: '2' } }));
        expect((await store.get(key('web-1'))).metadata?.labels).toEqual({ gen: '2' });
        expect(again.metadata?.labels).toEqual({ gen: '2' });
      });

      it('one revision orders every write, across resources and namespaces', async () => {
        const revs: number[] = [];
        revs.push(rv(await store.create(key('a', 'ns-1'), pod('a', { ns: 'ns-1' }))));
        revs.push(rv(await store.create({ resource: 'configmaps', namespace: 'ns-2', name: 'c' }, configMap('c', 'ns-2'))));
        revs.push(rv(await store.create({ resource: 'nodes', namespace: '', name: 'node-1' }, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } })));
        const a = await store.get(key('a', 'ns-1'));
        revs.push(rv(await store.update(key('a', 'ns-1'), { ...a, spec: { nodeName: 'node-1' } })));
        revs.push(rv(await store.delete({ resource: 'configmaps', namespace: 'ns-2', name: 'c' })));
        for (let i = 1; i < revs.length; i++) expect(revs[i]).toBe(revs[i - 1] + 1);
        expect(await store.currentRevision()).toBe(String(revs[revs.length - 1]));
      });

      it('count reports the objects of a resource across namespaces', async () => {
        await store.create(key('a', 'ns-1'), pod('a', { ns: 'ns-1' }));
        await store.create(key('b', 'ns-2'), pod('b', { ns: 'ns-2' }));
        await store.create({ resource: 'configmaps', namespace: 'ns-1', name: 'c' }, configMap('c', 'ns-1'));
        expect([await store.count('pods'), await store.count('configmaps'), await store.count('secrets')]).toEqual([2, 1, 0]);
      });

      it('operations on a closed store fail with Closed, a watch on its first read', async () => {
        await store.close();
        await store.close();
        await expectCode(store.get(key('a')), 'Closed');
        await expectCode(store.create(key('a'), pod('a')), 'Closed');
        await expectCode(store.watch({ resource: 'pods' })[Symbol.asyncIterator]().next(), 'Closed');
      });
    });

    describe('list', () => {
      it('lists in key order: by namespace, then by name', async () => {
        const names = [['b', 'x'], ['a', 'y'], ['b', 'a'], ['a', 'b'], ['kube-system', 'z'], ['a', 'a-1'], ['a', 'a']];
        for (const [ns, n] of names) await store.create(key(n, ns), pod(n, { ns }));
        const list = await store.list({ resource: 'pods' });
        expect(list.items.map(id)).toEqual(['a/a', 'a/a-1', 'a/b', 'a/y', 'b/a', 'b/x', 'kube-system/z']);
        expect(list.resourceVersion).toBe(await store.currentRevision());
        expect(list.continue).toBeUndefined();
      });

      it.each([
        ['one namespace', 'a', ['a/p1', 'a/p2']],
        ['all namespaces (undefined)', undefined, ['a/p1', 'a/p2', 'ab/p0', 'b/p0']],
        ["all namespaces ('')", '', ['a/p1', 'a/p2', 'ab/p0', 'b/p0']],
        ['a namespace that is a prefix of another', 'ab', ['ab/p0']],
        ['an empty namespace', 'c', []],
      ])('lists %s', async (_case, namespace, expected) => {
        for (const [ns, n] of [['b', 'p0'], ['a', 'p2'], ['ab', 'p0'], ['a', 'p1']]) await store.create(key(n, ns), pod(n, { ns }));
        await store.create({ resource: 'configmaps', namespace: 'a', name: 'p3' }, configMap('p3', 'a'));
        expect((await store.list({ resource: 'pods', namespace })).items.map(id)).toEqual(expected);
      });

      it.each([
        ['app=web', ['a', 'b']],
        ['app==web', ['a', 'b']],
        ['app!=web', ['c', 'd']],
        ['tier in (fe,be)', ['a', 'b']],
        ['tier notin (fe)', ['b', 'c', 'd']],
        ['tier', ['a', 'b']],
        ['!tier', ['c', 'd']],
        ['app=web,tier=be', ['b']],
        ['', ['a', 'b', 'c', 'd']],
      ])('applies the label selector %j', async (selector, expected) => {
        await createLabelled(store);
        expect((await store.list({ resource: 'pods' }, { labelSelector: selector })).items.map((o) => o.metadata!.name)).toEqual(expected);
      });

      it.each([
        ['metadata.name=b', ['b']],
        ['metadata.namespace=default', ['a', 'b', 'c', 'd']],
        ['spec.nodeName=node-1', ['a', 'c']],
        ['spec.nodeName!=node-1', ['b', 'd']],
        ['status.phase=Running,spec.nodeName=node-1', ['a']],
      ])('applies the field selector %j', async (selector, expected) => {
        await createLabelled(store);
        expect((await store.list({ resource: 'pods' }, { fieldSelector: selector })).items.map((o) => o.metadata!.name)).toEqual(expected);
      });

      it('applies label and field selectors together', async () => {
        await createLabelled(store);
        const list = await store.list({ resource: 'pods' }, { labelSelector: 'app=web', fieldSelector: 'spec.nodeName=node-1' });
        expect(list.items.map((o) => o.metadata!.name)).toEqual(['a']);
      });

      it.each([
        ['label selector', { labelSelector: 'app in (web' }],
        ['field selector', { fieldSelector: 'metadata.name' }],
      ])('a malformed %s fails with BadRequest', async (_case, options) => {
        await expectCode(store.list({ resource: 'pods' }, options), 'BadRequest');
      });

      it('pages join into the whole list, all read at the first page’s revision', async () => {
        for (let i = 0; i < 7; i++) await store.create(key(`p${i}`), pod(`p${i}`));
        const pages = await pageThrough(store, { resource: 'pods' }, { limit: 3 });
        expect(pages.map((p) => p.items.map((o) => o.metadata!.name))).toEqual([['p0', 'p1', 'p2'], ['p3', 'p4', 'p5'], ['p6']]);
        expect(new Set(pages.map((p) => p.resourceVersion)).size).toBe(1);
        expect(pages[0].remainingItemCount ?? 4).toBe(4);
        expect(pages[2].continue).toBeUndefined();
      });

      it('a page with a selector holds up to limit matches and continues after the last', async () => {
        for (let i = 0; i < 10; i++) await store.create(key(`p${i}`), pod(`p${i}`, { labels: { even: String(i % 2 === 0) } }));
        const pages = await pageThrough(store, { resource: 'pods' }, { limit: 2, labelSelector: 'even=true' });
        expect(pages.flatMap((p) => p.items.map((o) => o.metadata!.name))).toEqual(['p0', 'p2', 'p4', 'p6', 'p8']);
        expect(pages.every((p) => p.items.length <= 2)).toBe(true);
      });

      it('later pages show the first page’s snapshot although objects changed in between', async () => {
        for (let i = 0; i < 6; i++) await store.create(key(`p${i}`), pod(`p${i}`, { labels: { v: '1' } }));
        const first = await store.list({ resource: 'pods' }, { limit: 2 });
        const before = await store.list({ resource: 'pods' });
        await store.delete(key('p3'));
        await store.create(key('p3a'), pod('p3a', { labels: { v: '1' } }));
        const p4 = await store.get(key('p4'));
        await store.update(key('p4'), { ...p4, metadata: { ...p4.metadata, labels: { v: '2' } } });
        await store.create(key('p9'), pod('p9'));
        await store.delete(key('p9'));
        await store.create({ resource: 'configmaps', namespace: 'default', name: 'c' }, configMap('c', 'default'));
        const rest = await pageThrough(store, { resource: 'pods' }, { limit: 2, continue: first.continue });
        expect([...first.items, ...rest.flatMap((p) => p.items)]).toEqual(before.items);
        expect(rest.every((p) => p.resourceVersion === first.resourceVersion)).toBe(true);
      });

      it('lists the state at a past resourceVersion', async () => {
        await store.create(key('a'), pod('a', { labels: { v: '1' } }));
        await store.create(key('b'), pod('b', { labels: { v: '1' } }));
        const then = await store.list({ resource: 'pods' });
        const a = await store.get(key('a'));
        await store.update(key('a'), { ...a, metadata: { ...a.metadata, labels: { v: '2' } } });
        await store.delete(key('b'));
        await store.create(key('c'), pod('c'));
        const past = await store.list({ resource: 'pods' }, { resourceVersion: then.resourceVersion });
        expect(past).toEqual({ items: then.items, resourceVersion: then.resourceVersion });
        const pastSelected = await store.list({ resource: 'pods' }, { resourceVersion: then.resourceVersion, labelSelector: 'v=1', limit: 1 });
        expect(pastSelected.items.map((o) => o.metadata!.name)).toEqual(['a']);
        expect(pastSelected.continue).toBeDefined();
      });

      it("resourceVersion '0' reads the latest state", async () => {
        await store.create(key('a'), pod('a'));
        const list = await store.list({ resource: 'pods' }, { resourceVersion: '0' });
        expect([list.items.map(id), list.resourceVersion]).toEqual([['default/a'], await store.currentRevision()]);
      });

      it.each([
        ['in the future', 'TooLargeResourceVersion', (cur: number) => String(cur + 10)],
        ['that is not a number', 'BadRequest', () => 'abc'],
        ['that is negative', 'BadRequest', () => '-1'],
      ] as const)('a resourceVersion %s fails with %s', async (_case, code, make) => {
        await store.create(key('a'), pod('a'));
        await expectCode(store.list({ resource: 'pods' }, { resourceVersion: make(Number(await store.currentRevision())) }), code);
      });

      it.each([
        ['is not a token', () => ({ resource: 'pods' }), 'not-a-token!!'],
        ['comes from another resource', () => ({ resource: 'configmaps' }), undefined],
        ['comes from another namespace', () => ({ resource: 'pods', namespace: 'other' }), undefined],
      ])('a continue token that %s fails with InvalidContinue', async (_case, prefix, token) => {
        for (let i = 0; i < 3; i++) await store.create(key(`p${i}`), pod(`p${i}`));
        const first = await store.list({ resource: 'pods' }, { limit: 1 });
        await expectCode(store.list(prefix(), { continue: token ?? first.continue }), 'InvalidContinue');
      });

      it('a continue token whose revision was compacted fails with Expired', async () => {
        for (let i = 0; i < 3; i++) await store.create(key(`p${i}`), pod(`p${i}`));
        const first = await store.list({ resource: 'pods' }, { limit: 1 });
        await store.create(key('p9'), pod('p9'));
        await store.compact(await store.currentRevision());
        const error = await expectCode(store.list({ resource: 'pods' }, { limit: 1, continue: first.continue }), 'Expired');
        expect(error.message).toBe(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
      });

      it('a resourceVersion older than the compaction fails with Expired', async () => {
        const a = await store.create(key('a'), pod('a'));
        await store.create(key('b'), pod('b'));
        await store.compact(await store.currentRevision());
        const error = await expectCode(store.list({ resource: 'pods' }, { resourceVersion: a.metadata!.resourceVersion }), 'Expired');
        expect(error.message).toMatch(/^too old resource version: /);
        expect((await store.list({ resource: 'pods' }, { resourceVersion: await store.currentRevision() })).items.map(id)).toEqual(['default/a', 'default/b']);
      });
    });

    describe('guaranteedUpdate', () => {
      it('writes what tryUpdate returns for the current object', async () => {
        await store.create(key('a'), pod('a', { labels: { n: '1' } }));
        const out = await store.guaranteedUpdate(key('a'), (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { n: String(Number(cur.metadata!.labels!.n) + 1) } } }));
        expect(out.metadata?.labels).toEqual({ n: '2' });
        expect(await store.get(key('a'))).toEqual(out);
        expect(String(rv(out))).toBe(await store.currentRevision());
      });

      it('returning the object unchanged writes nothing', async () => {
        const created = await store.create(key('a'), pod('a'));
        const out = await store.guaranteedUpdate(key('a'), (cur) => cur);
        expect(out).toEqual(created);
        expect(await store.currentRevision()).toBe(created.metadata!.resourceVersion);
      });

      it('an error thrown by tryUpdate propagates and nothing is written', async () => {
        const created = await store.create(key('a'), pod('a'));
        const boom = new Error('refused');
        await expect(
          store.guaranteedUpdate(key('a'), () => {
            throw boom;
          }),
        ).rejects.toBe(boom);
        expect(await store.currentRevision()).toBe(created.metadata!.resourceVersion);
      });

      it('preconditions are checked against the current object', async () => {
        const created = await store.create(key('a'), pod('a'));
        await store.update(key('a'), { ...created, spec: { nodeName: 'n' } });
        let called = false;
        const run = store.guaranteedUpdate(key('a'), (cur) => ((called = true), cur), { resourceVersion: created.metadata!.resourceVersion });
        await expectCode(run, 'Conflict');
        expect(called).toBe(false);
      });

      it('tryUpdate runs again when another write lands while it runs', async () => {
        await store.create(key('a'), pod('a', { labels: { x: '0', y: '0' } }));
        const calls: string[] = [];
        let sneak = true;
        const out = await store.guaranteedUpdate(key('a'), async (cur) => {
          calls.push(JSON.stringify(cur.metadata!.labels));
          if (sneak) {
            sneak = false;
            await store.update(key('a'), { ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata!.labels, y: '1' } } });
          }
          return { ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata!.labels, x: '1' } } };
        });
        expect(calls).toEqual(['{"x":"0","y":"0"}', '{"x":"0","y":"1"}']);
        expect(out.metadata?.labels).toEqual({ x: '1', y: '1' });
      });

      it('concurrent read-modify-write loops lose no increment', async () => {
        const writers = 8;
        const rounds = 10;
        await store.create(key('counter'), counter('counter', 0));
        await Promise.all(
          times(writers, async () => {
            for (let i = 0; i < rounds; i++) {
              await store.guaranteedUpdate(key('counter'), async (cur) => {
                await pause();
                return counter('counter', count(cur) + 1);
              });
            }
          }),
        );
        expect(count(await store.get(key('counter')))).toBe(writers * rounds);
      });

      it('get then update with a resourceVersion precondition: every stale write is refused', async () => {
        const writers = 8;
        const rounds = 10;
        const created = await store.create(key('counter'), counter('counter', 0));
        let conflicts = 0;
        let written = 0;
        await Promise.all(
          times(writers, async () => {
            for (let i = 0; i < rounds; i++) {
              for (;;) {
                const cur = await store.get(key('counter'));
                await pause();
                try {
                  await store.update(key('counter'), counter('counter', count(cur) + 1), { resourceVersion: cur.metadata!.resourceVersion });
                  written++;
                  break;
                } catch (e) {
                  if (!isStoreError(e, 'Conflict')) throw e;
                  conflicts++;
                }
              }
            }
          }),
        );
        const final = await store.get(key('counter'));
        expect(count(final)).toBe(writers * rounds);
        expect(written).toBe(writers * rounds);
        expect(rv(final) - rv(created)).toBe(writers * rounds);
        expect(conflicts).toBeGreaterThan(0);
      });
    });

    describe('watch', () => {
      it('delivers ADDED, MODIFIED and DELETED in revision order, each with its revision', async () => {
        const w = watch({ resource: 'pods' });
        const a = await store.create(key('a'), pod('a'));
        const b = await store.create(key('b', 'other'), pod('b', { ns: 'other' }));
        const a2 = await store.update(key('a'), { ...a, spec: { nodeName: 'node-1' } });
        await store.create({ resource: 'configmaps', namespace: 'default', name: 'c' }, configMap('c', 'default'));
        const bGone = await store.delete(key('b', 'other'));
        const events = await w.take(4);
        expect(summary(events)).toEqual(['ADDED default/a', 'ADDED other/b', 'MODIFIED default/a', 'DELETED other/b']);
        expect(events.map((e) => e.object)).toEqual([a, b, a2, bGone]);
      });

      it('starts after the current revision by default', async () => {
        await store.create(key('before'), pod('before'));
        const w = watch({ resource: 'pods' });
        await store.create(key('after'), pod('after'));
        expect(summary(await w.take(1))).toEqual(['ADDED default/after']);
      });

      it('resumes after a past resourceVersion with every later change', async () => {
        const a = await store.create(key('a'), pod('a'));
        await store.create(key('b'), pod('b'));
        await store.update(key('a'), { ...a, spec: { nodeName: 'n' } });
        await store.delete(key('b'));
        const w = watch({ resource: 'pods' }, { resourceVersion: a.metadata!.resourceVersion });
        await store.create(key('c'), pod('c'));
        expect(summary(await w.take(4))).toEqual(['ADDED default/b', 'MODIFIED default/a', 'DELETED default/b', 'ADDED default/c']);
      });

      it('filters by namespace', async () => {
        const w = watch({ resource: 'pods', namespace: 'a' });
        await store.create(key('x', 'ab'), pod('x', { ns: 'ab' }));
        await store.create(key('y', 'b'), pod('y', { ns: 'b' }));
        await store.create(key('z', 'a'), pod('z', { ns: 'a' }));
        expect(summary(await w.take(1))).toEqual(['ADDED a/z']);
      });

      it.each([
        ['starts matching', { app: 'db' }, { app: 'web' }, 'ADDED', { app: 'web' }],
        ['stops matching', { app: 'web' }, { app: 'db' }, 'DELETED', { app: 'web' }],
        ['keeps matching', { app: 'web' }, { app: 'web', v: '2' }, 'MODIFIED', { app: 'web', v: '2' }],
        ['never matches', { app: 'db' }, { app: 'db', v: '2' }, undefined, undefined],
      ] as const)('an object that %s under a label selector', async (_case, from, to, type, labels) => {
        const created = await store.create(key('a'), pod('a', { labels: { ...from } }));
        const w = watch({ resource: 'pods' }, { labelSelector: 'app=web' });
        const updated = await store.update(key('a'), { ...created, metadata: { ...created.metadata, labels: { ...to } } });
        await store.create(key('marker'), pod('marker', { labels: { app: 'web' } }));
        const events = await w.take(type ? 2 : 1);
        if (!type) return expect(summary(events)).toEqual(['ADDED default/marker']);
        expect(summary(events)).toEqual([`${type} default/a`, 'ADDED default/marker']);
        expect(events[0].object.metadata?.labels).toEqual(labels);
        expect(events[0].object.metadata?.resourceVersion).toBe(updated.metadata!.resourceVersion);
      });

      it('a field selector sees an object leave when the field changes', async () => {
        const created = await store.create(key('a'), pod('a', { nodeName: 'node-1' }));
        const w = watch({ resource: 'pods' }, { fieldSelector: 'spec.nodeName=node-1' });
        const moved = await store.update(key('a'), { ...created, spec: { nodeName: 'node-2' } });
        const [event] = await w.take(1);
        expect([event.type, (event.object.spec as { nodeName?: string }).nodeName, event.object.metadata?.resourceVersion]).toEqual(['DELETED', 'node-1', moved.metadata!.resourceVersion]);
      });

      it('sendInitialEvents sends ADDED for each match, then the initial-events-end bookmark, then changes', async () => {
        await store.create(key('b'), pod('b', { labels: { app: 'web' } }));
        await store.create(key('a'), pod('a', { labels: { app: 'web' } }));
        await store.create(key('c'), pod('c', { labels: { app: 'db' } }));
        const at = await store.currentRevision();
        const w = watch({ resource: 'pods' }, { sendInitialEvents: true, allowBookmarks: true, labelSelector: 'app=web' });
        await store.create(key('d'), pod('d', { labels: { app: 'web' } }));
        const events = await w.take(4);
        expect(summary(events)).toEqual(['ADDED default/a', 'ADDED default/b', `BOOKMARK ${at}`, 'ADDED default/d']);
        expect(events[2].object.metadata?.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
      });

      it('sendInitialEvents from a past revision sends the state at that revision', async () => {
        const a = await store.create(key('a'), pod('a'));
        const b = await store.create(key('b'), pod('b'));
        await store.delete(key('a'));
        await store.update(key('b'), { ...b, spec: { nodeName: 'n' } });
        const w = watch({ resource: 'pods' }, { sendInitialEvents: true, resourceVersion: b.metadata!.resourceVersion });
        const events = await w.take(4);
        expect(summary(events)).toEqual(['ADDED default/a', 'ADDED default/b', 'DELETED default/a', 'MODIFIED default/b']);
        expect(events[0].object).toEqual(a);
        expect(events[1].object).toEqual(b);
      });

      it('requestProgress sends a BOOKMARK at the current revision to watches that allow bookmarks', async () => {
        const withBookmarks = watch({ resource: 'pods' }, { allowBookmarks: true });
        const without = watch({ resource: 'pods' });
        await store.create(key('a'), pod('a'));
        await store.create({ resource: 'configmaps', namespace: 'default', name: 'c' }, configMap('c', 'default'));
        const at = await store.currentRevision();
        store.requestProgress();
        await store.create(key('b'), pod('b'));
        const events = await withBookmarks.take(3);
        expect(summary(events)).toEqual(['ADDED default/a', `BOOKMARK ${at}`, 'ADDED default/b']);
        expect(Object.keys(events[1].object.metadata ?? {})).toEqual(['resourceVersion']);
        expect(summary(await without.take(2))).toEqual(['ADDED default/a', 'ADDED default/b']);
      });

      it('a watch catching up from a past revision gets its bookmark after the history', async () => {
        const a = await store.create(key('a'), pod('a'));
        await store.create(key('b'), pod('b'));
        const w = watch({ resource: 'pods' }, { allowBookmarks: true, resourceVersion: a.metadata!.resourceVersion });
        store.requestProgress();
        expect(summary(await w.take(2))).toEqual(['ADDED default/b', `BOOKMARK ${await store.currentRevision()}`]);
      });

      it('event objects are deep-frozen', async () => {
        const w = watch({ resource: 'pods' });
        await store.create(key('a'), pod('a', { labels: { app: 'web' } }));
        const [event] = await w.take(1);
        expect([Object.isFrozen(event.object), Object.isFrozen(event.object.metadata), Object.isFrozen(event.object.metadata!.labels)]).toEqual([true, true, true]);
      });

      it.each([
        ['a resourceVersion in the future', 'TooLargeResourceVersion', (cur: number) => ({ resourceVersion: String(cur + 5) })],
        ['a malformed resourceVersion', 'BadRequest', () => ({ resourceVersion: 'x1' })],
        ['a malformed label selector', 'BadRequest', () => ({ labelSelector: '=web' })],
        ['a malformed field selector', 'BadRequest', () => ({ fieldSelector: 'spec.nodeName' })],
      ] as const)('a watch with %s fails with %s on its first read, never in watch()', async (_case, code, options) => {
        const cur = Number(await store.currentRevision());
        let w: Watch | undefined;
        expect(() => (w = store.watch({ resource: 'pods' }, options(cur)))).not.toThrow();
        open.push(w!);
        await expectCode(w![Symbol.asyncIterator]().next(), code);
      });

      it('watching from a compacted revision fails with Expired', async () => {
        const a = await store.create(key('a'), pod('a'));
        await store.create(key('b'), pod('b'));
        await store.create(key('c'), pod('c'));
        await store.compact(await store.currentRevision());
        const error = await expectCode(watch({ resource: 'pods' }, { resourceVersion: a.metadata!.resourceVersion }).next(), 'Expired');
        expect(error.message).toMatch(/^too old resource version: /);
      });

      it('a watch opened before a compaction keeps delivering', async () => {
        const w = watch({ resource: 'pods' });
        await store.create(key('a'), pod('a'));
        await store.create(key('b'), pod('b'));
        await store.compact(await store.currentRevision());
        await store.create(key('c'), pod('c'));
        expect(summary(await w.take(3))).toEqual(['ADDED default/a', 'ADDED default/b', 'ADDED default/c']);
      });

      it('stop ends the iteration, also a read already waiting', async () => {
        const w = watch({ resource: 'pods' });
        const waiting = w.next();
        w.stop();
        w.stop();
        expect(await waiting).toEqual({ done: true, value: undefined });
        await store.create(key('a'), pod('a'));
        expect(await w.next()).toEqual({ done: true, value: undefined });
      });

      it('aborting the signal ends the iteration', async () => {
        const controller = new AbortController();
        const w = watch({ resource: 'pods' }, { signal: controller.signal });
        await store.create(key('a'), pod('a'));
        expect(summary(await w.take(1))).toEqual(['ADDED default/a']);
        const waiting = w.next();
        controller.abort();
        expect(await waiting).toEqual({ done: true, value: undefined });
      });

      it('an already aborted signal yields nothing', async () => {
        await store.create(key('a'), pod('a'));
        const w = watch({ resource: 'pods' }, { signal: AbortSignal.abort(), sendInitialEvents: true });
        expect(await w.next()).toEqual({ done: true, value: undefined });
      });

      it('breaking out of for await stops the watch', async () => {
        const raw = store.watch({ resource: 'pods' });
        open.push(raw);
        await store.create(key('a'), pod('a'));
        await store.create(key('b'), pod('b'));
        const seen: string[] = [];
        for await (const event of raw) {
          seen.push(event.object.metadata!.name!);
          break;
        }
        expect(seen).toEqual(['a']);
        expect(await raw[Symbol.asyncIterator]().next()).toEqual({ done: true, value: undefined });
      });

      it('closing the store ends open watches', async () => {
        const w = watch({ resource: 'pods' });
        const waiting = w.next();
        await store.close();
        expect(await waiting).toEqual({ done: true, value: undefined });
      });

      it(
        'a watch that is not read is closed with Expired without holding up writers or other watches',
        async () => {
          const total = bufferSize + 50;
          const slow = watch({ resource: 'pods' });
          const fast = watch({ resource: 'pods' });
          const fastSeen = fast.take(total);
          const start = rv(await store.create(key('p-00000'), pod('p-00000')));
          for (let i = 1; i < total; i++) await store.create(key(`p-${String(i).padStart(5, '0')}`), pod(`p-${String(i).padStart(5, '0')}`));
          const fastRevs = (await fastSeen).map((e) => rv(e.object));
          expect(fastRevs).toEqual(times(total, (i) => start + i));
          const slowRevs: number[] = [];
          const error = await slow.drain((e) => slowRevs.push(rv(e.object)));
          expect(isStoreError(error, 'Expired')).toBe(true);
          expect(slowRevs.length).toBeGreaterThan(0);
          expect(slowRevs.length).toBeLessThanOrEqual(bufferSize);
          expect(slowRevs).toEqual(times(slowRevs.length, (i) => start + i));
          const resumed = watch({ resource: 'pods' }, { resourceVersion: String(slowRevs[slowRevs.length - 1]) });
          const rest = await resumed.take(total - slowRevs.length);
          expect(rest.map((e) => rv(e.object))).toEqual(times(total - slowRevs.length, (i) => start + slowRevs.length + i));
        },
        Math.max(30_000, timeoutMs * 2),
      );
    });
  });
}

/** Reads a watch with a time limit per event, so a missing event fails the test instead of hanging it. */
class Reader {
  private readonly it: AsyncIterator<WatchEvent>;
  constructor(
    private readonly watch: Watch,
    private readonly timeoutMs: number,
  ) {
    this.it = watch[Symbol.asyncIterator]();
  }

  stop(): void {
    this.watch.stop();
  }

  next(): Promise<IteratorResult<WatchEvent>> {
    return withTimeout(this.it.next(), this.timeoutMs, 'the next watch event');
  }

  /** The next `n` events; fails if the watch ends first. */
  async take(n: number): Promise<WatchEvent[]> {
    const out: WatchEvent[] = [];
    while (out.length < n) {
      const r = await this.next();
      if (r.done) throw new Error(`the watch ended after ${out.length} of ${n} expected events`);
      out.push(r.value);
    }
    return out;
  }

  /** Reads until the watch ends; returns the error it ended with, or undefined. */
  async drain(each: (e: WatchEvent) => void): Promise<unknown> {
    try {
      for (;;) {
        const r = await this.next();
        if (r.done) return undefined;
        each(r.value);
      }
    } catch (e) {
      return e;
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function expectCode(p: Promise<unknown>, code: StoreErrorCode): Promise<Error> {
  let error: unknown;
  try {
    await p;
  } catch (e) {
    error = e;
  }
  expect(error, `expected a StoreError ${code}`).toBeInstanceOf(Error);
  expect({ name: (error as Error).name, code: (error as { code?: string }).code }).toEqual({ name: 'StoreError', code });
  return error as Error;
}

async function pageThrough(store: ObjectStore, prefix: { resource: string }, options: { limit: number; continue?: string; labelSelector?: string }) {
  const pages = [];
  let token = options.continue;
  do {
    const page = await store.list(prefix, { ...options, continue: token });
    pages.push(page);
    token = page.continue;
    if (pages.length > 1000) throw new Error('pagination does not end');
  } while (token);
  return pages;
}

async function createLabelled(store: ObjectStore): Promise<void> {
  await store.create(key('d'), pod('d', { nodeName: 'node-2', phase: 'Pending' }));
  await store.create(key('b'), pod('b', { labels: { app: 'web', tier: 'be' }, nodeName: 'node-2', phase: 'Running' }));
  await store.create(key('c'), pod('c', { labels: { app: 'db' }, nodeName: 'node-1', phase: 'Pending' }));
  await store.create(key('a'), pod('a', { labels: { app: 'web', tier: 'fe' }, nodeName: 'node-1', phase: 'Running' }));
  await store.create(key('e', 'other'), pod('e', { ns: 'other', labels: { app: 'web', tier: 'fe' }, nodeName: 'node-1', phase: 'Running' }));
  await store.delete(key('e', 'other'));
}

function key(name: string, namespace = 'default', resource = 'pods'): StoreKey {
  return { resource, namespace, name };
}

function uid(name: string): string {
  return `uid-${name}`;
}

function pod(name: string, o: { ns?: string; labels?: Record<string, string>; nodeName?: string; phase?: string } = {}): KubeObject {
  const metadata: Record<string, unknown> = { name, namespace: o.ns ?? 'default', uid: uid(name) };
  if (o.labels) metadata.labels = o.labels;
  const obj: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata, spec: o.nodeName ? { nodeName: o.nodeName } : {} };
  if (o.phase) obj.status = { phase: o.phase };
  return obj;
}

function configMap(name: string, namespace: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, uid: uid(name) }, data: { k: 'v' } };
}

function counter(name: string, n: number): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', uid: uid(name) }, data: { count: String(n) } };
}

function count(obj: KubeObject): number {
  return Number((obj.data as { count: string }).count);
}

function rv(obj: KubeObject): number {
  return Number(obj.metadata!.resourceVersion);
}

function id(obj: KubeObject): string {
  return `${obj.metadata!.namespace}/${obj.metadata!.name}`;
}

function summary(events: WatchEvent[]): string[] {
  return events.map((e) => (e.type === 'BOOKMARK' ? `BOOKMARK ${e.object.metadata?.resourceVersion}` : `${e.type} ${id(e.object)}`));
}

function times<T>(n: number, fn: (i: number) => T): T[] {
  return Array.from({ length: n }, (_, i) => fn(i));
}

/** Yields to other tasks, so concurrent writers interleave between read and write. */
function pause(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
