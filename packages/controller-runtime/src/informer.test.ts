import { ApiError, keyOf, type KubeObject } from '@bosun/api';
import { createTestEnv, type Client, type ClientWatchOptions, type Logger, type TestEnv, type WatchEvent } from '@bosun/apiserver';
import { describe, expect, it } from 'vitest';
import { informerBackoff } from './backoff';
import { NODE_NAME_INDEX, OWNER_UID_INDEX } from './indexer';
import { createInformer, type Informer, type InformerOptions, type ResourceEventHandler } from './informer';

// ---------------------------------------------------------------- helpers

function pod(name: string, o: { ns?: string; labels?: Record<string, string>; node?: string; owner?: KubeObject } = {}): KubeObject {
  const m = o.owner?.metadata;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.ns ?? 'default',
      labels: o.labels,
      ownerReferences: m ? [{ apiVersion: o.owner!.apiVersion!, kind: o.owner!.kind!, name: m.name!, uid: m.uid!, controller: true }] : undefined,
    },
    spec: { nodeName: o.node, containers: [{ name: 'c', image: 'busybox' }] },
  };
}

const del = (env: TestEnv, name: string, ns = 'default') => env.client.delete('v1', 'Pod', ns, name, { gracePeriodSeconds: 0 });
const label = (env: TestEnv, name: string, labels: Record<string, string>) => env.client.patch('v1', 'Pod', 'default', name, { metadata: { labels } });

/** Records every event as a short line: `add default/a initial`, `update default/a 5→6`, `delete default/b unknown`. */
function recorder(): ResourceEventHandler & { events: string[]; take(): string[] } {
  const events: string[] = [];
  return {
    events,
    onAdd: (o, initial) => events.push(`add ${keyOf(o)}${initial ? ' initial' : ''}`),
    onUpdate: (a, b) => events.push(`update ${keyOf(b)}${a === b ? ' resync' : ''}`),
    onDelete: (o, info) => events.push(`delete ${keyOf(o)}${info.finalStateUnknown ? ' unknown' : ''}`),
    take() {
      return events.splice(0).sort();
    },
  };
}

/** Lets the informer's promise chains run until `cond` holds (no clock time passes). */
async function until(cond: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise<void>((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const quietLogger = (): Logger & { lines: string[] } => {
  const lines: string[] = [];
  return { lines, warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
};

/**
 * Fault injection over the real client: `cut()` ends every open watch (cleanly, as a
 * server restart does, or with an error), `pause()` holds new lists and watches until
 * `resume()`, `failWith(err)` makes them fail until `failWith(undefined)`.
 */
function faulty(inner: Client) {
  const live = new Map<AbortController, { error?: unknown }>();
  let gate: { promise: Promise<void>; open(): void } | undefined;
  let failure: unknown;
  let lists = 0;
  const hold = async (signal?: AbortSignal) => {
    while (gate) await Promise.race([gate.promise, new Promise((r) => signal?.addEventListener('abort', r, { once: true }))]).then(() => signal?.throwIfAborted());
    if (failure) throw failure;
  };
  const client: Client = {
    ...inner,
    async list(apiVersion, kind, opts = {}) {
      await hold(opts.signal);
      lists++;
      return inner.list(apiVersion, kind, opts);
    },
    watch(apiVersion, kind, opts: ClientWatchOptions = {}) {
      return {
        async *[Symbol.asyncIterator]() {
          await hold(opts.signal);
          const ac = new AbortController();
          const state: { error?: unknown } = {};
          live.set(ac, state);
          const onAbort = () => ac.abort();
          opts.signal?.addEventListener('abort', onAbort, { once: true });
          try {
            yield* inner.watch(apiVersion, kind, { ...opts, signal: ac.signal }) as AsyncIterable<WatchEvent<never>>;
            if (state.error) throw state.error;
          } finally {
            live.delete(ac);
            opts.signal?.removeEventListener('abort', onAbort);
          }
        },
      };
    },
  };
  return {
    client,
    get lists() {
      return lists;
    },
    get openWatches() {
      return live.size;
    },
    cut(error?: unknown) {
      for (const [ac, state] of live) (state.error = error), ac.abort();
    },
    pause() {
      let open!: () => void;
      const promise = new Promise<void>((r) => (open = r));
      gate = { promise, open };
    },
    resume() {
      const g = gate;
      gate = undefined;
      g?.open();
    },
    failWith(e: unknown) {
      failure = e;
    },
  };
}

async function start(env: TestEnv, opts: Partial<InformerOptions> & { client?: Client } = {}): Promise<{ inf: Informer; rec: ReturnType<typeof recorder>; ac: AbortController; done: Promise<void>; logger: ReturnType<typeof quietLogger> }> {
  const logger = quietLogger();
  const inf = createInformer(opts.client ?? env.client, 'v1', 'Pod', { clock: env.clock, backoff: informerBackoff(() => 0), logger, ...opts });
  const rec = recorder();
  inf.addEventHandler(rec);
  const ac = new AbortController();
  const done = inf.run(ac.signal);
  return { inf, rec, ac, done, logger };
}

// ---------------------------------------------------------------- tests

describe('createInformer: list then watch', () => {
  it('delivers the initial list as adds, then live adds, updates and deletes', async () => {
    await using env = await createTestEnv();
    await env.client.create(pod('a'));
    await env.client.create(pod('b'));
    const { inf, rec, ac, done } = await start(env);
    expect(await inf.waitForSync()).toBe(true);
    expect(rec.take()).toEqual(['add default/a initial', 'add default/b initial']);

    await env.client.create(pod('c'));
    await label(env, 'a', { app: 'web' });
    await del(env, 'b');
    await until(() => rec.events.length === 3, 'three events');
    expect(rec.take()).toEqual(['add default/c', 'delete default/b', 'update default/a']);
    expect(inf.cache.keys().sort()).toEqual(['default/a', 'default/c']);
    expect(inf.cache.get('default/a')?.metadata?.labels).toEqual({ app: 'web' });
    expect(inf.lastSyncResourceVersion()).toBe(await env.store.currentRevision());
    ac.abort();
    await done;
    expect(inf.isRunning()).toBe(false);
  });

  it.each([
    ['a namespace', { namespace: 'kube-system' }, ['kube-system/dns']],
    ['a label selector', { labelSelector: 'app=web' }, ['default/web']],
    ['a field selector', { fieldSelector: 'spec.nodeName=n1' }, ['default/db']],
  ])('lists and watches only the objects matching %s', async (_name, opts, expected) => {
    await using env = await createTestEnv();
    await env.client.create(pod('dns', { ns: 'kube-system' }));
    await env.client.create(pod('web', { labels: { app: 'web' } }));
    await env.client.create(pod('db', { node: 'n1' }));
    const { inf, rec, ac } = await start(env, opts);
    await inf.waitForSync();
    expect(inf.cache.keys()).toEqual(expected);
    rec.take();
    // `other` matches none of the filters; `web2` matches all three. Watch order means
    // `other` would arrive before `web2` if the filter let it through.
    await env.client.create(pod('other'));
    await env.client.create(pod('web2', { labels: { app: 'web' }, node: 'n1', ns: 'kube-system' }));
    await until(() => rec.events.length === 1, 'web2');
    expect(rec.take()).toEqual(['add kube-system/web2']);
    expect(inf.cache.keys()).toEqual([...expected, 'kube-system/web2']);
    ac.abort();
  });

  it('hands handlers and readers deep-frozen objects, from the list and from the watch', async () => {
    await using env = await createTestEnv();
    await env.client.create(pod('listed', { labels: { app: 'web' } }));
    const seen: KubeObject[] = [];
    const { inf, ac } = await start(env);
    inf.addEventHandler({ onAdd: (o) => seen.push(o), onUpdate: (_o, n) => seen.push(n) });
    await inf.waitForSync();
    await env.client.create(pod('watched', { labels: { app: 'web' } }));
    await until(() => seen.length === 2);
    for (const obj of [...seen, ...inf.cache.list()]) {
      expect(Object.isFrozen(obj)).toBe(true);
      expect(Object.isFrozen(obj.metadata!.labels)).toBe(true);
      expect(Object.isFrozen((obj.spec as { containers: object[] }).containers[0])).toBe(true);
      expect(() => {
        (obj.metadata!.labels as Record<string, string>).app = 'mutated';
      }).toThrow(TypeError);
    }
    expect(inf.cache.get('default/listed')!.metadata!.labels!.app).toBe('web');
    ac.abort();
  });

  it('gives a handler added after sync a synthetic add for each cached object, and stops after unsubscribe', async () => {
    await using env = await createTestEnv();
    await env.client.create(pod('a'));
    await env.client.create(pod('b'));
    const { inf, ac } = await start(env);
    await inf.waitForSync();
    const late = recorder();
    const unsubscribe = inf.addEventHandler(late);
    expect(late.take()).toEqual(['add default/a initial', 'add default/b initial']);
    await env.client.create(pod('c'));
    await until(() => late.events.length === 1);
    unsubscribe();
    await env.client.create(pod('d'));
    await until(() => inf.cache.size === 4);
    expect(late.take()).toEqual(['add default/c']);
    ac.abort();
  });

  it('advances its resourceVersion on bookmarks', async () => {
    await using env = await createTestEnv();
    const { inf, ac } = await start(env);
    await inf.waitForSync();
    const before = inf.lastSyncResourceVersion();
    await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' } });
    env.server.requestWatchProgress();
    await until(() => inf.lastSyncResourceVersion() !== before, 'a bookmark');
    expect(inf.lastSyncResourceVersion()).toBe(await env.store.currentRevision());
    ac.abort();
  });
});

describe('createInformer: recovery', () => {
  it('resumes from its last resourceVersion when the watch ends cleanly, without relisting', async () => {
    await using env = await createTestEnv();
    await env.client.create(pod('a'));
    await env.client.create(pod('b'));
    const f = faulty(env.client);
    const { inf, rec } = await start(env, { client: f.client });
    await inf.waitForSync();
    rec.take();
    await env.client.create(pod('c'));
    await until(() => rec.events.length === 1);
    rec.take();

    f.pause();
    f.cut();
    await del(env, 'b');
    await env.client.create(pod('d'));
    f.resume();
    await until(() => rec.events.length === 2, 'replayed events');
    expect(rec.take()).toEqual(['add default/d', 'delete default/b']);
    expect(f.lists).toBe(1);
    expect(inf.stats()).toMatchObject({ lists: 1, watches: 2, failures: 0 });
    inf.stop();
  });

  it('relists after 410 Gone, converges to the server state and emits deletes for vanished objects', async () => {
    await using env = await createTestEnv();
    for (const n of ['a', 'b']) await env.client.create(pod(n));
    const f = faulty(env.client);
    const { inf, rec, logger } = await start(env, { client: f.client });
    await inf.waitForSync();
    await env.client.create(pod('c'));
    await until(() => rec.events.length === 3);
    rec.take();

    // Disconnected: changes happen and the history the informer would resume from is compacted.
    f.pause();
    f.cut();
    await del(env, 'b');
    await label(env, 'a', { moved: 'yes' });
    await env.client.create(pod('d'));
    await env.store.compact(await env.store.currentRevision());
    f.resume();

    await until(() => inf.stats().failures === 1, 'the 410');
    expect(inf.stats().lastError).toMatchObject({ code: 410 });
    await env.clock.advance(800);
    await until(() => rec.events.length === 3, 'the relist diff');
    expect(rec.take()).toEqual(['add default/d', 'delete default/b unknown', 'update default/a']);
    expect(inf.cache.keys().sort()).toEqual(['default/a', 'default/c', 'default/d']);
    expect(inf.cache.get('default/a')!.metadata!.labels).toEqual({ moved: 'yes' });
    expect(f.lists).toBe(2);
    expect(logger.lines).toEqual([]); // a 410 is routine, not worth a warning

    // And it keeps watching after the relist.
    await del(env, 'c');
    await until(() => rec.events.length === 1);
    expect(rec.take()).toEqual(['delete default/c']);
    inf.stop();
  });

  it('keeps retrying with growing, jittered backoff while the server fails, then converges', async () => {
    await using env = await createTestEnv();
    await env.client.create(pod('a'));
    const f = faulty(env.client);
    const { inf, rec, logger } = await start(env, { client: f.client });
    await inf.waitForSync();
    rec.take();

    await until(() => f.openWatches === 1);
    f.failWith(new ApiError('ServiceUnavailable', 'the server is down'));
    f.cut(new ApiError('InternalError', 'stream broken'));
    await until(() => inf.stats().failures === 1);
    await del(env, 'a');
    await env.client.create(pod('b'));
    // Backoff with random 0: 800, 1600, 3200 ms; each failed attempt is one more failure.
    for (const [advance, failures] of [[799, 1], [1, 2], [1599, 2], [1, 3], [3200, 4]] as const) {
      await env.clock.advance(advance);
      await until(() => inf.stats().failures === failures, `${failures} failures`);
    }
    expect(inf.isRunning()).toBe(true);
    expect(logger.lines.filter((l) => l.startsWith('warn'))).toHaveLength(4);

    f.failWith(undefined);
    await env.clock.advance(6400);
    await until(() => rec.events.length === 2, 'convergence');
    expect(rec.take()).toEqual(['add default/b', 'delete default/a unknown']);
    expect(inf.cache.keys()).toEqual(['default/b']);
    inf.stop();
  });

  it('backs off instead of spinning when watches keep ending without events', async () => {
    await using env = await createTestEnv();
    const f = faulty(env.client);
    const { inf } = await start(env, { client: f.client });
    await inf.waitForSync();
    await until(() => f.openWatches === 1);
    f.cut();
    await until(() => inf.stats().failures === 1);
    expect(inf.stats().watches).toBe(1);
    await env.clock.advance(800);
    await until(() => inf.stats().watches === 2);
    expect(f.lists).toBe(1);
    inf.stop();
  });

  it('keeps retrying a list the server refuses, and never reports synced', async () => {
    await using env = await createTestEnv();
    const logger = quietLogger();
    const inf = createInformer(env.client, 'v1', 'NoSuchKind', { clock: env.clock, backoff: informerBackoff(() => 0), logger });
    const run = inf.run();
    await until(() => inf.stats().failures === 1);
    await env.clock.advance(800 + 1600);
    await until(() => inf.stats().failures === 3);
    const ac = new AbortController();
    const waiting = inf.waitForSync(ac.signal);
    ac.abort();
    expect(await waiting).toBe(false);
    expect(inf.hasSynced()).toBe(false);
    inf.stop();
    await run;
    expect(await inf.waitForSync()).toBe(false);
  });

  it('logs a handler that throws and still delivers to the other handlers', async () => {
    await using env = await createTestEnv();
    const { inf, rec, logger, ac } = await start(env);
    inf.addEventHandler({
      onAdd: () => {
        throw new Error('handler bug');
      },
    });
    await inf.waitForSync();
    await env.client.create(pod('a'));
    await env.client.create(pod('b'));
    await until(() => rec.events.length === 2);
    expect(logger.lines.filter((l) => l.includes('event handler threw'))).toHaveLength(2);
    expect(inf.stats().failures).toBe(0);
    ac.abort();
  });
});

describe('createInformer: resync and lifecycle', () => {
  it('re-delivers every cached object as onUpdate(old = new) each resync period', async () => {
    await using env = await createTestEnv();
    await env.client.create(pod('a'));
    await env.client.create(pod('b'));
    const { inf, rec, ac } = await start(env, { resyncPeriodMs: 30_000 });
    await inf.waitForSync();
    rec.take();
    await env.clock.advance(29_999);
    expect(rec.take()).toEqual([]);
    await env.clock.advance(1);
    expect(rec.take()).toEqual(['update default/a resync', 'update default/b resync']);
    await env.clock.advance(30_000);
    expect(rec.take()).toEqual(['update default/a resync', 'update default/b resync']);
    ac.abort();
    await env.clock.advance(60_000);
    expect(rec.take()).toEqual([]);
  });

  it('stops on stop(): run resolves, no more events, and a second run does nothing', async () => {
    await using env = await createTestEnv();
    const { inf, rec, done } = await start(env);
    await inf.waitForSync();
    inf.stop();
    await done;
    await env.client.create(pod('late'));
    await env.clock.advance(60_000);
    expect(rec.events).toEqual([]);
    await inf.run();
    expect(inf.isRunning()).toBe(false);
    expect(inf.hasSynced()).toBe(true);
  });

  it('returns the same promise when run twice', async () => {
    await using env = await createTestEnv();
    const inf = createInformer(env.client, 'v1', 'Pod', { clock: env.clock });
    const a = inf.run();
    expect(inf.run()).toBe(a);
    inf.stop();
    await a;
  });
});

describe('createInformer: cache indexes', () => {
  it('answers by owner and by node name, following binds and deletes', async () => {
    await using env = await createTestEnv();
    const rs: KubeObject = await env.client.create<KubeObject>({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    await env.client.create(pod('web-1', { owner: rs, labels: { app: 'web' }, node: 'n1' }));
    await env.client.create(pod('web-2', { owner: rs, labels: { app: 'web' } }));
    await env.client.create(pod('solo', { node: 'n1' }));
    const { inf, rec, ac } = await start(env);
    await inf.waitForSync();
    const names = (objs: KubeObject[]) => objs.map((o) => o.metadata!.name).sort();

    expect(names(inf.cache.list({ namespace: 'default', ownedBy: rs }))).toEqual(['web-1', 'web-2']);
    expect(names(inf.cache.byIndex(OWNER_UID_INDEX, rs.metadata!.uid!))).toEqual(['web-1', 'web-2']);
    expect(names(inf.cache.byIndex(NODE_NAME_INDEX, 'n1'))).toEqual(['solo', 'web-1']);

    rec.take();
    await env.client.bind!('default', 'web-2', 'n1');
    await del(env, 'solo');
    await until(() => rec.events.length === 2);
    expect(names(inf.cache.byIndex(NODE_NAME_INDEX, 'n1'))).toEqual(['web-1', 'web-2']);
    expect(names(inf.cache.list({ controlledBy: rs, labelSelector: 'app=web' }))).toEqual(['web-1', 'web-2']);
    ac.abort();
  });

  it('accepts user-defined indexes at creation and later', async () => {
    await using env = await createTestEnv();
    await env.client.create(pod('a', { labels: { team: 'red' } }));
    const { inf, ac } = await start(env, { indexers: { team: (o) => [o.metadata?.labels?.team ?? 'none'] } });
    await inf.waitForSync();
    inf.cache.addIndexers({ image: (o) => ((o.spec as { containers?: { image: string }[] })?.containers ?? []).map((c) => c.image) });
    await env.client.create(pod('b'));
    await until(() => inf.cache.size === 2);
    expect(inf.cache.indexKeys('team', 'red')).toEqual(['default/a']);
    expect(inf.cache.indexKeys('team', 'none')).toEqual(['default/b']);
    expect(inf.cache.indexKeys('image', 'busybox')).toEqual(['default/a', 'default/b']);
    ac.abort();
  });
});
