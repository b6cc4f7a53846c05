import { parseFieldSelector, parseLabelSelector, type KubeObject } from '@bosun/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStoreError, type StoreError } from './errors';
import { createMemoryStore, type MemoryStore } from './memory-store';
import type { StoreKey, Watch, WatchEvent, WatchOptions } from './types';

/*
 * Model-based tests: random writes, compactions and watcher restarts against the memory
 * store, checked against a plain model of the same writes. Every watcher must see each
 * change that concerns it exactly once, in revision order, and rebuild the same state
 * the store lists at that revision.
 */

const NAMES = ['p0', 'p1', 'p2', 'p3', 'p4'] as const;
const NAMESPACES = ['a', 'b'] as const;
const COLORS = ['red', 'blue'] as const;

type Command =
  | { t: 'create'; name: string; ns: string; color: string }
  | { t: 'update'; name: string; ns: string; color: string; data: number }
  | { t: 'noop'; name: string; ns: string }
  | { t: 'delete'; name: string; ns: string }
  | { t: 'other'; name: string }
  | { t: 'compact'; back: number }
  | { t: 'read'; w: number; n: number }
  | { t: 'restart'; w: number };

/** What each watcher of the model test filters on (all with bookmarks, so reads never block). */
const WATCHERS: { prefix: { resource: string; namespace?: string }; options: WatchOptions; relistWithInitialEvents: boolean }[] = [
  { prefix: { resource: 'pods' }, options: {}, relistWithInitialEvents: false },
  { prefix: { resource: 'pods', namespace: 'a' }, options: {}, relistWithInitialEvents: true },
  { prefix: { resource: 'pods' }, options: { labelSelector: 'color=red' }, relistWithInitialEvents: false },
  { prefix: { resource: 'pods', namespace: 'b' }, options: { labelSelector: 'color!=red' }, relistWithInitialEvents: true },
  { prefix: { resource: 'pods' }, options: { fieldSelector: 'metadata.name=p1', labelSelector: 'color' }, relistWithInitialEvents: false },
];

const name = fc.constantFrom(...NAMES);
const ns = fc.constantFrom(...NAMESPACES);
const color = fc.constantFrom(...COLORS);
const watcherIndex = fc.integer({ min: 0, max: WATCHERS.length - 1 });
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('create' as const), name, ns, color }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('update' as const), name, ns, color, data: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('noop' as const), name, ns }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('delete' as const), name, ns }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('other' as const), name }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('compact' as const), back: fc.integer({ min: 0, max: 12 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('read' as const), w: watcherIndex, n: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('restart' as const), w: watcherIndex }) },
);

interface LogEntry {
  rev: number;
  key: string;
  before?: KubeObject;
  after?: KubeObject;
}

/** The reference: a map of objects and the list of writes, nothing else. */
class Model {
  readonly objects = new Map<string, KubeObject>();
  readonly log: LogEntry[] = [];
  revision: number;
  constructor(revision: number) {
    this.revision = revision;
  }
  write(key: string, after: KubeObject | undefined): void {
    const before = this.objects.get(key);
    this.revision++;
    this.log.push({ rev: this.revision, key, before, after });
    if (after) this.objects.set(key, after);
    else this.objects.delete(key);
  }
}

type Matcher = (obj: KubeObject) => boolean;

function matcherOf(spec: (typeof WATCHERS)[number]): Matcher {
  const labels = parseLabelSelector(spec.options.labelSelector ?? '');
  const fields = parseFieldSelector(spec.options.fieldSelector ?? '');
  const namespace = spec.prefix.namespace;
  return (obj) => (!namespace || obj.metadata?.namespace === namespace) && labels.matches(obj.metadata?.labels ?? {}) && fields.matches(obj);
}

/** The events a watcher with `match` must see for the writes in `(from, to]`. */
function expectedEvents(model: Model, match: Matcher, from: number, to: number): string[] {
  const out: string[] = [];
  for (const e of model.log) {
    if (e.rev <= from || e.rev > to) continue;
    const was = e.before !== undefined && match(e.before);
    const now = e.after !== undefined && match(e.after);
    if (now) out.push(`${was ? 'MODIFIED' : 'ADDED'} ${e.key} ${e.rev}`);
    else if (was) out.push(`DELETED ${e.key} ${e.rev}`);
  }
  return out;
}

/** A client like an informer: keeps a cache from list + watch, resumes, relists on Expired. */
class Client {
  watch!: Watch;
  iter!: AsyncIterator<WatchEvent>;
  state = new Map<string, KubeObject>();
  lastRv = 0;
  /** The revision the current run of events starts after (a list or the initial-events end). */
  segmentStart = 0;
  received: string[] = [];
  /** True while the initial events of a `sendInitialEvents` relist are arriving. */
  initial = false;
  relists = 0;
  resumes = 0;

  constructor(
    private readonly store: MemoryStore,
    readonly spec: (typeof WATCHERS)[number],
    readonly match: Matcher,
  ) {}

  async start(): Promise<void> {
    await this.relist();
  }

  async relist(): Promise<void> {
    this.relists++;
    this.watch?.stop();
    this.state.clear();
    this.received = [];
    if (this.spec.relistWithInitialEvents) {
      this.initial = true;
      this.open({ ...this.spec.options, sendInitialEvents: true, allowBookmarks: true });
      return;
    }
    const list = await this.store.list(this.spec.prefix, this.spec.options);
    for (const item of list.items) this.state.set(keyOf(item), item);
    this.lastRv = this.segmentStart = Number(list.resourceVersion);
    this.open({ ...this.spec.options, resourceVersion: list.resourceVersion, allowBookmarks: true });
  }

  /** Stops the watch and watches again from the last revision seen (a relist when there is none). */
  async restart(): Promise<void> {
    if (this.initial) return this.relist();
    this.resumes++;
    this.watch.stop();
    this.open({ ...this.spec.options, resourceVersion: String(this.lastRv), allowBookmarks: true });
  }

  /** Reads up to `n` events, stopping at a bookmark; never blocks because a progress request is made first. */
  async read(n: number): Promise<void> {
    this.store.requestProgress();
    for (let i = 0; i < n; i++) {
      const event = await this.nextOrRecover();
      if (event === 'recovered') return;
      if (event.type === 'BOOKMARK' && !this.initial) return;
      if (event.type === 'BOOKMARK') continue;
    }
  }

  /** Reads until the watcher has seen the store's current revision. */
  async catchUp(): Promise<void> {
    const target = Number(await this.store.currentRevision());
    for (let rounds = 0; this.initial || this.lastRv < target; rounds++) {
      if (rounds > 1000) throw new Error(`watcher ${JSON.stringify(this.spec)} does not catch up`);
      await this.read(Number.MAX_SAFE_INTEGER);
    }
    expect(this.lastRv).toBe(target);
  }

  private open(options: WatchOptions): void {
    this.watch = this.store.watch(this.spec.prefix, options);
    this.iter = this.watch[Symbol.asyncIterator]();
  }

  private async nextOrRecover(): Promise<WatchEvent | 'recovered'> {
    let result: IteratorResult<WatchEvent>;
    try {
      result = await this.iter.next();
    } catch (e) {
      expect(isStoreError(e, 'Expired')).toBe(true);
      const message = (e as StoreError).message;
      if (message.startsWith('watcher fell behind')) {
        await this.restart();
      } else {
        const [, asked, oldest] = /^too old resource version: (\d+) \((\d+)\)$/.exec(message) ?? [];
        expect(Number(asked)).toBeLessThan(Number(oldest));
        expect(Number(oldest)).toBeLessThanOrEqual(Number(this.store.compactedRevision));
        await this.relist();
      }
      return 'recovered';
    }
    if (result.done) throw new Error('a watch ended that nobody stopped');
    this.apply(result.value);
    return result.value;
  }

  private apply(event: WatchEvent): void {
    const rv = Number(event.object.metadata?.resourceVersion);
    if (event.type === 'BOOKMARK') {
      if (event.object.metadata?.annotations?.['k8s.io/initial-events-end'] === 'true') {
        expect(this.initial).toBe(true);
        this.initial = false;
        this.lastRv = this.segmentStart = rv;
      } else if (!this.initial) {
        expect(rv).toBeGreaterThanOrEqual(this.lastRv);
        this.lastRv = rv;
      }
      return;
    }
    const key = keyOf(event.object);
    // ADDED/MODIFIED carry the matching new state; DELETED the last matching state.
    expect(this.match(event.object)).toBe(true);
    if (this.initial) {
      expect(event.type).toBe('ADDED');
      this.state.set(key, event.object);
      return;
    }
    expect(rv).toBeGreaterThan(this.lastRv);
    this.lastRv = rv;
    this.received.push(`${event.type} ${key} ${rv}`);
    if (event.type === 'DELETED') this.state.delete(key);
    else this.state.set(key, event.object);
  }
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata!.namespace}/${obj.metadata!.name}`;
}

function storeKey(k: string): StoreKey {
  const [namespace, name] = k.split('/');
  return { resource: 'pods', namespace, name };
}

function pod(name: string, namespace: string, color: string, data = 0): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, uid: `uid-${namespace}-${name}`, labels: { color } }, spec: { data } };
}

async function expectOutcome(p: Promise<unknown>, expectedError: 'AlreadyExists' | 'NotFound' | undefined): Promise<void> {
  if (!expectedError) {
    await p;
    return;
  }
  await expect(p).rejects.toSatisfy((e) => isStoreError(e, expectedError));
}

interface Stats {
  relists: number;
  resumes: number;
}

async function runScenario(commands: Command[], historySize: number, watchBufferSize: number, stats: Stats): Promise<void> {
  const store = createMemoryStore({ historySize, watchBufferSize });
  try {
    const model = new Model(Number(await store.currentRevision()));
    const clients = WATCHERS.map((spec) => new Client(store, spec, matcherOf(spec)));
    for (const c of clients) await c.start();

    for (const cmd of commands) {
      switch (cmd.t) {
        case 'create': {
          const k = `${cmd.ns}/${cmd.name}`;
          const exists = model.objects.has(k);
          const obj = pod(cmd.name, cmd.ns, cmd.color);
          await expectOutcome(store.create(storeKey(k), obj), exists ? 'AlreadyExists' : undefined);
          if (!exists) model.write(k, { ...obj, metadata: { ...obj.metadata, resourceVersion: String(model.revision + 1) } });
          break;
        }
        case 'update': {
          const k = `${cmd.ns}/${cmd.name}`;
          const cur = model.objects.get(k);
          const obj = pod(cmd.name, cmd.ns, cmd.color, cmd.data);
          await expectOutcome(store.update(storeKey(k), obj), cur ? undefined : 'NotFound');
          const changed = cur && JSON.stringify({ ...obj, metadata: { ...obj.metadata, resourceVersion: cur.metadata!.resourceVersion } }) !== JSON.stringify(cur);
          if (changed) model.write(k, { ...obj, metadata: { ...obj.metadata, resourceVersion: String(model.revision + 1) } });
          break;
        }
        case 'noop': {
          const k = `${cmd.ns}/${cmd.name}`;
          const cur = model.objects.get(k);
          await expectOutcome(store.guaranteedUpdate(storeKey(k), (o) => o), cur ? undefined : 'NotFound');
          break;
        }
        case 'delete': {
          const k = `${cmd.ns}/${cmd.name}`;
          const cur = model.objects.get(k);
          await expectOutcome(store.delete(storeKey(k)), cur ? undefined : 'NotFound');
          if (cur) model.write(k, undefined);
          break;
        }
        case 'other': {
          // A write to another resource: moves the revision, concerns no pod watcher.
          await store.create({ resource: 'configmaps', namespace: 'a', name: `${cmd.name}-${model.revision}` }, { metadata: {} });
          model.revision++;
          break;
        }
        case 'compact': {
          const to = Math.max(Number(store.compactedRevision), model.revision - cmd.back);
          await store.compact(String(to));
          break;
        }
        case 'read':
          await clients[cmd.w].read(cmd.n);
          break;
        case 'restart':
          await clients[cmd.w].restart();
          break;
      }
      expect(await store.currentRevision()).toBe(String(model.revision));
    }

    for (const c of clients) await c.catchUp();
    for (const c of clients) {
      const listed = await store.list(c.spec.prefix, c.spec.options);
      expect(listed.resourceVersion).toBe(String(model.revision));
      const modelState = [...model.objects.entries()].filter(([, o]) => c.match(o)).sort(([a], [b]) => (a < b ? -1 : 1));
      expect(listed.items.map((o) => [keyOf(o), o])).toEqual(modelState);
      expect(new Map(c.state)).toEqual(new Map(modelState));
      expect(c.received).toEqual(expectedEvents(model, c.match, c.segmentStart, model.revision));
    }
    for (const c of clients) {
      c.watch.stop();
      stats.relists += c.relists - 1;
      stats.resumes += c.resumes;
    }
    expect(store.watchCount).toBe(0);
  } finally {
    await store.close();
  }
}

describe('watch model', () => {
  it.each([
    ['a large history and large buffers', 10_000, 10_000],
    ['a short history (watchers expire and relist)', 6, 10_000],
    ['small buffers (watchers fall behind and resume)', 10_000, 3],
    ['a short history and small buffers', 8, 2],
  ])('every watcher sees each change once, in order, and rebuilds the listed state, with %s', async (_case, historySize, bufferSize) => {
    const stats: Stats = { relists: 0, resumes: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 80 }), (commands) => runScenario(commands, historySize, bufferSize, stats)),
      { numRuns: 150 },
    );
    // The recovery paths were taken, so the property was not checked vacuously.
    expect(stats.relists).toBeGreaterThan(0);
    expect(stats.resumes).toBeGreaterThan(0);
  });

  it('a scenario that exercises expiry, falling behind and resumption really does so', async () => {
    // Guards the property above against vacuity: these commands force every recovery path.
    const store = createMemoryStore({ historySize: 4, watchBufferSize: 2 });
    const spec = WATCHERS[0];
    const client = new Client(store, spec, matcherOf(spec));
    await client.start();
    for (let i = 0; i < 5; i++) await store.create(storeKey(`a/p${i}`), pod(`p${i}`, 'a', 'red'));
    await client.read(1); // the buffer overflowed at the 3rd create: this reads 1 of the 2 kept
    await store.compact(await store.currentRevision());
    await client.catchUp(); // reads the other, fell behind → resumes → too old → relists
    expect([client.relists, client.resumes]).toEqual([2, 1]);
    expect([...client.state.keys()]).toEqual(['a/p0', 'a/p1', 'a/p2', 'a/p3', 'a/p4']);
    await store.close();
  });
});

describe('optimistic concurrency', () => {
  it('N writers doing get + update with retry on Conflict end at exactly N×M, and every stale update gets Conflict', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 5 }), async (s, writers, rounds) => {
        const store = createMemoryStore();
        const k: StoreKey = { resource: 'configmaps', namespace: 'default', name: 'counter' };
        await store.create(k, { metadata: { name: 'counter' }, data: { n: '0' } });
        let stale = 0;
        let conflicts = 0;
        const run = async (w: number) => {
          for (let i = 0; i < rounds; i++) {
            for (;;) {
              const cur = await store.get(k);
              await s.schedule(Promise.resolve(), `writer ${w} between get and update`);
              const rv = cur.metadata!.resourceVersion!;
              // The memory store serves each call at the moment it is made, so `peek` sees
              // exactly the state the update below is checked against.
              const peek = store.get(k);
              const attempt = store.update(k, { ...cur, data: { n: String(Number((cur.data as { n: string }).n) + 1) } }, { resourceVersion: rv });
              const isStale = (await peek).metadata!.resourceVersion !== rv;
              if (isStale) stale++;
              try {
                await attempt;
                expect(isStale).toBe(false);
                break;
              } catch (e) {
                expect(isStoreError(e, 'Conflict')).toBe(true);
                expect(isStale).toBe(true);
                conflicts++;
              }
            }
          }
        };
        let finished = false;
        const done = Promise.all(Array.from({ length: writers }, (_, w) => run(w))).finally(() => (finished = true));
        while (!finished) {
          await s.waitIdle();
          await new Promise((resolve) => setImmediate(resolve));
        }
        await done;
        const final = await store.get(k);
        expect(Number((final.data as { n: string }).n)).toBe(writers * rounds);
        expect(conflicts).toBe(stale);
        await store.close();
      }),
      { numRuns: 100 },
    );
  });
});
