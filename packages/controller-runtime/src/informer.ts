import { ApiError, isGone, keyOf, type Clock, type KubeObject, type TimerHandle, type TypeOf } from '@bosun/api';
import type { Client, Logger, WatchEvent } from '@bosun/apiserver';
import { informerBackoff, type Backoff } from './backoff';
import { deepFreeze } from './freeze';
import { createIndexer, type Cache, type Indexers } from './indexer';

/** Extra facts about a delete, for {@link ResourceEventHandler.onDelete}. */
export interface DeleteInfo {
  /**
   * True when the informer did not see the delete itself: the object was gone from a
   * relist after the watch broke (client-go wraps these in `DeletedFinalStateUnknown`).
   * The object is then the last state the informer knew, which may be stale.
   */
  finalStateUnknown: boolean;
}

/**
 * Callbacks for changes to an informer's objects. Called synchronously, one event at a
 * time in the order the informer saw them; keep them quick (enqueue a key, do the work
 * in a worker). A callback that throws is logged and does not disturb the informer or
 * the other handlers. Objects are frozen and shared with the cache: copy before changing.
 */
export interface ResourceEventHandler<T extends KubeObject = KubeObject> {
  /**
   * An object appeared. `isInInitialList` is true for objects from the first list and
   * for the synthetic adds a handler registered late receives for cached objects.
   */
  onAdd?(obj: T, isInInitialList: boolean): void;
  /**
   * An object changed. On a resync (see {@link InformerOptions.resyncPeriodMs}) it is
   * called with `oldObj === newObj` for every cached object.
   */
  onUpdate?(oldObj: T, newObj: T): void;
  /** An object went away; `obj` is its last known state. */
  onDelete?(obj: T, info: DeleteInfo): void;
}

/** Counters describing an informer's connection to the API, for health checks and tests. */
export interface InformerStats {
  /** Successful lists (the first one plus every relist). */
  lists: number;
  /** Watches opened. */
  watches: number;
  /** Failed lists and watches (errors, 410 Gone, or watches that ended without delivering anything). */
  failures: number;
  /** The last failure, if any. */
  lastError?: unknown;
}

/** Options of {@link createInformer}. */
export interface InformerOptions<T extends KubeObject = KubeObject> {
  /** Time source for backoff and resync. */
  clock: Clock;
  /** Only this namespace; omit or `''` for all namespaces and for cluster-scoped kinds. */
  namespace?: string;
  /** Only objects matching this label selector (`app=web`). */
  labelSelector?: string;
  /** Only objects matching this field selector (`spec.nodeName=node-1`). */
  fieldSelector?: string;
  /** Calls `onUpdate(obj, obj)` for every cached object this often (clock time). 0 or omitted: never. */
  resyncPeriodMs?: number;
  /**
   * Delays between failed list/watch attempts; {@link informerBackoff} (800 ms doubling
   * to 30 s, jittered) by default. Owned by this informer: do not share an instance.
   */
  backoff?: Backoff;
  /** Where failures and throwing handlers are reported; `console` by default. */
  logger?: Logger;
  /** Indexes beside the built-in ones (namespace, owner uid, node name, labels). */
  indexers?: Indexers<T>;
}

/**
 * A local, indexed, read-only mirror of one kind, kept current by list + watch, with
 * change notifications. Created by {@link createInformer} or, shared between
 * controllers, by a {@link SharedInformerFactory}.
 *
 * It lists, then watches from the list's resourceVersion (with bookmarks). When a watch
 * ends cleanly it resumes from the last resourceVersion it saw; when a list or watch
 * fails (410 Gone included) it lists again, after a jittered exponential backoff, and
 * turns the difference between the new list and the cache into add, update and delete
 * events. It never stops by itself: only {@link Informer.stop} or the run signal stop it.
 */
export interface Informer<T extends KubeObject = KubeObject> {
  /** The apiVersion of the kind mirrored. */
  readonly apiVersion: string;
  /** The kind mirrored. */
  readonly kind: string;
  /** The mirror. Objects are deep-frozen and shared: copy before changing one. */
  readonly cache: Cache<T>;
  /**
   * Registers a handler and returns the function that removes it. A handler added
   * while objects are cached first gets `onAdd(obj, true)` for each of them, so it
   * never misses what came before it.
   */
  addEventHandler(handler: ResourceEventHandler<T>): () => void;
  /** True once the first list has been applied to the cache. Stays true across relists. */
  hasSynced(): boolean;
  /** Resolves true once synced; false if `signal` aborts or the informer stops first. */
  waitForSync(signal?: AbortSignal): Promise<boolean>;
  /** The resourceVersion of the last list, watch event or bookmark applied (`''` before the first list). */
  lastSyncResourceVersion(): string;
  /**
   * Starts listing and watching; resolves once the informer has stopped (when `signal`
   * aborts or {@link Informer.stop} is called). Never rejects. Calling it again while it
   * runs returns the same promise; after a stop it resolves at once (an informer runs once).
   */
  run(signal?: AbortSignal): Promise<void>;
  /** Stops watching and cancels retries and resyncs; the cache keeps its last content. Idempotent. */
  stop(): void;
  /** True between {@link Informer.run} and the stop. */
  isRunning(): boolean;
  /** Connection counters. */
  stats(): InformerStats;
}

const consoleLogger: Logger = {
  warn: (m, ...a) => console.warn(m, ...a),
  error: (m, ...a) => console.error(m, ...a),
};

function rvOf(obj: KubeObject | undefined): string {
  return obj?.metadata?.resourceVersion ?? '';
}

/** Thrown internally when a watch ends cleanly without delivering anything, so the retry backs off. */
class EmptyWatch extends Error {
  override readonly name = 'EmptyWatch';
}

/**
 * An {@link Informer} for `apiVersion`/`kind`. Nothing happens until
 * {@link Informer.run}:
 *
 * ```ts
 * const pods = createInformer(client, 'v1', 'Pod', { clock, namespace: 'default' });
 * pods.addEventHandler({ onAdd: (p) => queue.add(keyOf(p)) });
 * void pods.run(signal);
 * await pods.waitForSync(signal);
 * pods.cache.list({ labelSelector: 'app=web' });
 * ```
 */
export function createInformer<A extends string, K extends string>(
  client: Client,
  apiVersion: A,
  kind: K,
  opts: InformerOptions<TypeOf<A, K>>,
): Informer<TypeOf<A, K>>;
export function createInformer<T extends KubeObject>(client: Client, apiVersion: string, kind: string, opts: InformerOptions<T>): Informer<T>;
export function createInformer<T extends KubeObject>(client: Client, apiVersion: string, kind: string, opts: InformerOptions<T>): Informer<T> {
  const { clock } = opts;
  const logger = opts.logger ?? consoleLogger;
  const backoff = opts.backoff ?? informerBackoff();
  const what = `${kind}.${apiVersion}${opts.namespace ? ` in namespace ${opts.namespace}` : ''}`;
  const indexer = createIndexer<T>({
    indexers: opts.indexers,
    onIndexError: (index, key, e) => logger.error(`informer ${what}: index ${index} failed for ${key}`, e),
  });
  const cache = indexer.readonly();

  let handlers: readonly ResourceEventHandler<T>[] = [];
  let synced = false;
  let lastRv = '';
  let running = false;
  let stopped = false;
  let runPromise: Promise<void> | undefined;
  const ac = new AbortController();
  let syncWaiters: ((ok: boolean) => void)[] = [];
  let resyncTimer: TimerHandle | undefined;
  const counters: InformerStats = { lists: 0, watches: 0, failures: 0 };

  function call(h: ResourceEventHandler<T>, fn: (h: ResourceEventHandler<T>) => void): void {
    try {
      fn(h);
    } catch (e) {
      logger.error(`informer ${what}: event handler threw`, e);
    }
  }
  function emit(fn: (h: ResourceEventHandler<T>) => void): void {
    // `handlers` is replaced, never mutated, so (un)registering from a handler is safe.
    for (const h of handlers) call(h, fn);
  }

  function markSynced(): void {
    if (synced) return;
    synced = true;
    const ws = syncWaiters;
    syncWaiters = [];
    for (const w of ws) w(true);
    scheduleResync();
  }

  function scheduleResync(): void {
    const period = opts.resyncPeriodMs ?? 0;
    if (!(period > 0) || stopped || resyncTimer) return;
    resyncTimer = clock.setTimeout(() => {
      resyncTimer = undefined;
      if (stopped) return;
      for (const obj of indexer.list()) emit((h) => h.onUpdate?.(obj, obj));
      scheduleResync();
    }, period);
  }

  /** Applies a full list: the diff against the cache becomes events. */
  function replace(items: readonly T[], rv: string): void {
    const initial = !synced;
    const seen = new Set<string>();
    for (const raw of items) {
      const obj = deepFreeze(raw);
      const key = keyOf(obj);
      seen.add(key);
      const old = indexer.get(key);
      if (old && rvOf(old) !== '' && rvOf(old) === rvOf(obj)) continue;
      indexer.upsert(obj);
      if (old) emit((h) => h.onUpdate?.(old, obj));
      else emit((h) => h.onAdd?.(obj, initial));
    }
    for (const key of indexer.keys()) {
      if (seen.has(key)) continue;
      const old = indexer.delete(key)!;
      emit((h) => h.onDelete?.(old, { finalStateUnknown: true }));
    }
    lastRv = rv;
    markSynced();
  }

  /** Applies one watch event to the cache and the handlers. */
  function apply(ev: WatchEvent<T>): void {
    if (ev.type === 'ERROR') throw ApiError.fromStatus(ev.object as never);
    const obj = deepFreeze(ev.object);
    const rv = rvOf(obj);
    if (ev.type === 'BOOKMARK') {
      if (rv) lastRv = rv;
      return;
    }
    const key = keyOf(obj);
    if (ev.type === 'DELETED') {
      const old = indexer.delete(key);
      // A delete for an object never seen (it left the selector before we listed) is noise.
      if (old) emit((h) => h.onDelete?.(obj, { finalStateUnknown: false }));
    } else {
      const cached = indexer.get(key);
      // The same resourceVersion is the same object (a replay after resuming): no news.
      if (cached && rv !== '' && rvOf(cached) === rv) return;
      const old = indexer.upsert(obj);
      if (old) emit((h) => h.onUpdate?.(old, obj));
      else emit((h) => h.onAdd?.(obj, false));
    }
    if (rv) lastRv = rv;
  }

  async function loop(signal: AbortSignal): Promise<void> {
    let needList = true;
    const selectors = { namespace: opts.namespace || undefined, labelSelector: opts.labelSelector || undefined, fieldSelector: opts.fieldSelector || undefined };
    while (!signal.aborted) {
      try {
        if (needList) {
          const list = await client.list(apiVersion, kind, { ...selectors, signal });
          if (signal.aborted) break;
          counters.lists++;
          replace(list.items as unknown as T[], list.metadata.resourceVersion);
          needList = false;
        }
        counters.watches++;
        const watch = client.watch(apiVersion, kind, {
          ...selectors,
          resourceVersion: lastRv,
          sendInitialEvents: false,
          allowWatchBookmarks: true,
          signal,
        }) as AsyncIterable<WatchEvent<T>>;
        let delivered = false;
        for await (const ev of watch) {
          if (!delivered) {
            delivered = true;
            backoff.reset();
          }
          apply(ev);
        }
        if (signal.aborted) break;
        // A clean end (server restart, watch timeout): resume from lastRv without a relist.
        // Only a watch that delivered nothing makes us wait, so a server that closes every
        // watch at once cannot spin us.
        if (delivered) continue;
        throw new EmptyWatch(`watch of ${what} ended without delivering an event`);
      } catch (e) {
        if (signal.aborted) break;
        counters.failures++;
        counters.lastError = e;
        if (e instanceof EmptyWatch) {
          // Resume the watch; a 410 on the resume makes the next round relist.
        } else {
          needList = true;
          if (!isGone(e)) logger.warn(`informer ${what}: list/watch failed, relisting after backoff: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      try {
        await clock.sleep(backoff.next(), signal);
      } catch {
        break;
      }
    }
  }

  function stop(): void {
    if (stopped) return;
    stopped = true;
    ac.abort();
    if (resyncTimer) clock.clearTimeout(resyncTimer);
    resyncTimer = undefined;
    const ws = syncWaiters;
    syncWaiters = [];
    for (const w of ws) w(false);
  }

  return {
    apiVersion,
    kind,
    cache,
    addEventHandler(handler) {
      handlers = [...handlers, handler];
      for (const obj of indexer.list()) call(handler, (h) => h.onAdd?.(obj, true));
      return () => {
        handlers = handlers.filter((h) => h !== handler);
      };
    },
    hasSynced: () => synced,
    waitForSync(signal) {
      if (synced) return Promise.resolve(true);
      if (stopped || signal?.aborted) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const onAbort = () => {
          syncWaiters = syncWaiters.filter((w) => w !== done);
          resolve(false);
        };
        const done = (ok: boolean) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(ok);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        syncWaiters.push(done);
      });
    },
    lastSyncResourceVersion: () => lastRv,
    run(signal) {
      if (runPromise) return runPromise;
      if (stopped) return Promise.resolve();
      if (signal?.aborted) {
        stop();
        return Promise.resolve();
      }
      const onAbort = () => stop();
      signal?.addEventListener('abort', onAbort, { once: true });
      running = true;
      runPromise = loop(ac.signal)
        .catch((e: unknown) => logger.error(`informer ${what}: stopped by an unexpected error`, e))
        .finally(() => {
          running = false;
          signal?.removeEventListener('abort', onAbort);
          stop();
        });
      return runPromise;
    },
    stop,
    isRunning: () => running,
    stats: () => ({ ...counters }),
  };
}
