import { keyOf, labelSelectorFromObject, parseLabelSelector, type KubeObject, type LabelSelector, type Selector } from '@bosun/api';
import { ControllerRuntimeError } from './errors';

/**
 * Computes the values under which an object is indexed (none, one or several). Must be
 * a pure function of the object: the cache calls it again on the old object to remove
 * stale entries.
 */
export type IndexFunc<T extends KubeObject = KubeObject> = (obj: T) => readonly string[];

/** Named index functions, as passed to {@link Cache.addIndexers}. */
export type Indexers<T extends KubeObject = KubeObject> = Record<string, IndexFunc<T>>;

/** Built-in index: `metadata.namespace` (`''` for cluster-scoped objects). */
export const NAMESPACE_INDEX = 'namespace';
/** Built-in index: the uid of every `metadata.ownerReferences[]` entry. */
export const OWNER_UID_INDEX = 'ownerUID';
/** Built-in index: `spec.nodeName` (pods bound to a node); objects without one are not indexed. */
export const NODE_NAME_INDEX = 'spec.nodeName';
/** Built-in index: one `key=value` entry per label. */
export const LABEL_INDEX = 'label';

/**
 * Opt-in index ({@link orphanIndexers}, added with {@link addOrphanIndex}): the namespace
 * of every object without a controller reference (`controller: true`), i.e. the objects a
 * controller may adopt. `list({ orphan: true })` answers from it when the cache has it.
 */
export const ORPHAN_INDEX = 'orphan';

const hasController = (obj: KubeObject) => (obj.metadata?.ownerReferences ?? []).some((r) => r.controller === true);

/** The index function of {@link ORPHAN_INDEX}. */
export const orphanIndexers: Readonly<Indexers> = Object.freeze({
  [ORPHAN_INDEX]: (obj: KubeObject) => (hasController(obj) ? [] : [obj.metadata?.namespace ?? '']),
});

/**
 * Adds {@link ORPHAN_INDEX} to `cache` unless it has it already; idempotent, so every
 * controller sharing an informer can call it at setup. Makes `list({ namespace,
 * orphan: true })` cost the orphans of the namespace instead of all its objects: what a
 * controller that adopts orphans (ReplicaSet, Deployment) needs on every sync.
 */
export function addOrphanIndex(cache: { indexNames(): string[]; addIndexers(indexers: Indexers<never>): void }): void {
  if (!cache.indexNames().includes(ORPHAN_INDEX)) cache.addIndexers(orphanIndexers);
}

/** The index functions every cache starts with: namespace, owner uid, node name and labels. */
export const builtinIndexers: Readonly<Indexers> = Object.freeze({
  [NAMESPACE_INDEX]: (obj: KubeObject) => [obj.metadata?.namespace ?? ''],
  [OWNER_UID_INDEX]: (obj: KubeObject) => (obj.metadata?.ownerReferences ?? []).map((r) => r.uid).filter((uid) => !!uid),
  [NODE_NAME_INDEX]: (obj: KubeObject) => {
    const node = (obj.spec as { nodeName?: unknown } | undefined)?.nodeName;
    return typeof node === 'string' && node ? [node] : [];
  },
  [LABEL_INDEX]: (obj: KubeObject) => Object.entries(obj.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`),
});

/** Options of {@link Cache.list}; every option given must hold (AND). */
export interface CacheListOptions {
  /** Only objects in this namespace; omit or `''` for all. */
  namespace?: string;
  /** Only objects whose labels match: a selector string (`app=web,tier!=db`), a `LabelSelector` object, or a compiled `Selector`. */
  labelSelector?: string | LabelSelector | Selector;
  /** Only objects with an ownerReference to this owner: the owner object (its uid is used) or the uid itself. */
  ownedBy?: KubeObject | string;
  /** Only objects whose controller reference (`controller: true`) points to this owner: the owner object or its uid. */
  controlledBy?: KubeObject | string;
  /**
   * `true`: only objects without a controller reference (`controller: true`), the ones a
   * controller may adopt; answered from {@link ORPHAN_INDEX} when the cache has it (see
   * {@link addOrphanIndex}). `false` or omitted: no condition.
   */
  orphan?: boolean;
}

/**
 * A read-only, indexed view of objects keyed `namespace/name` (`name` when
 * cluster-scoped), like client-go's `Indexer` without its mutators. What an informer
 * hands out: objects are shared with the cache and frozen, so copy before changing one.
 * Lists come in insertion order.
 */
export interface Cache<T extends KubeObject = KubeObject> {
  /** The object with this `namespace/name` key, if cached. */
  get(key: string): T | undefined;
  /** Every cached object, or those matching `opts`; answered from the indexes when an option allows. */
  list(opts?: CacheListOptions): T[];
  /** Every key. */
  keys(): string[];
  /** Number of cached objects. */
  readonly size: number;
  /** The objects indexed under `value` by index `indexName`; throws for an unknown index. */
  byIndex(indexName: string, value: string): T[];
  /** The keys indexed under `value` by index `indexName`; throws for an unknown index. */
  indexKeys(indexName: string, value: string): string[];
  /** Every value index `indexName` holds at least one object under. */
  indexValues(indexName: string): string[];
  /** The names of the indexes. */
  indexNames(): string[];
  /**
   * Adds indexes; the objects already cached are indexed at once. Throws when a name is
   * taken (the built-ins are {@link NAMESPACE_INDEX}, {@link OWNER_UID_INDEX},
   * {@link NODE_NAME_INDEX}, {@link LABEL_INDEX}).
   */
  addIndexers(indexers: Indexers<T>): void;
}

/** A {@link Cache} plus the mutators an informer uses to keep it current. */
export interface Indexer<T extends KubeObject = KubeObject> extends Cache<T> {
  /** Inserts or replaces the object under its key; returns the object it replaced. */
  upsert(obj: T): T | undefined;
  /** Removes the object with this key; returns it. */
  delete(key: string): T | undefined;
  /** Replaces the whole content. */
  replace(objs: readonly T[]): void;
  /** A view of this indexer without the mutators (the same data, not a copy). */
  readonly(): Cache<T>;
}

/** Options of {@link createIndexer}. */
export interface IndexerOptions<T extends KubeObject> {
  /** Indexes beside the built-in ones. */
  indexers?: Indexers<T>;
  /**
   * Called when an index function throws; the object is then left out of that index
   * (so one bad object cannot stop an informer). Default: rethrow.
   */
  onIndexError?(indexName: string, key: string, error: unknown): void;
}

function toSelector(s: string | LabelSelector | Selector): Selector {
  if (typeof s === 'string') return parseLabelSelector(s);
  if (typeof (s as Selector).matches === 'function') return s as Selector;
  return labelSelectorFromObject(s as LabelSelector);
}

function uidOf(owner: KubeObject | string): string {
  return typeof owner === 'string' ? owner : (owner.metadata?.uid ?? '');
}

/** An empty in-memory {@link Indexer} with the built-in indexes and any given ones. */
export function createIndexer<T extends KubeObject = KubeObject>(opts: IndexerOptions<T> = {}): Indexer<T> {
  const items = new Map<string, T>();
  const funcs = new Map<string, IndexFunc<T>>();
  const indices = new Map<string, Map<string, Set<string>>>();

  function values(name: string, fn: IndexFunc<T>, key: string, obj: T): readonly string[] {
    if (!opts.onIndexError) return fn(obj);
    try {
      return fn(obj);
    } catch (e) {
      opts.onIndexError(name, key, e);
      return [];
    }
  }

  function indexOne(name: string, fn: IndexFunc<T>, key: string, obj: T): void {
    const index = indices.get(name)!;
    for (const v of values(name, fn, key, obj)) {
      let set = index.get(v);
      if (!set) index.set(v, (set = new Set()));
      set.add(key);
    }
  }

  function unindexOne(name: string, fn: IndexFunc<T>, key: string, obj: T): void {
    const index = indices.get(name)!;
    for (const v of values(name, fn, key, obj)) {
      const set = index.get(v);
      if (!set) continue;
      set.delete(key);
      if (set.size === 0) index.delete(v);
    }
  }

  function index(name: string): Map<string, Set<string>> {
    const i = indices.get(name);
    if (!i) throw new ControllerRuntimeError('IndexNotFound', `cache: no index named "${name}" (have: ${[...indices.keys()].join(', ')})`);
    return i;
  }

  function addIndexers(more: Indexers<T>): void {
    for (const name of Object.keys(more)) if (funcs.has(name)) throw new ControllerRuntimeError('IndexExists', `cache: an index named "${name}" already exists`);
    for (const [name, fn] of Object.entries(more)) {
      funcs.set(name, fn);
      indices.set(name, new Map());
      for (const [key, obj] of items) indexOne(name, fn, key, obj);
    }
  }

  const cache: Indexer<T> = {
    get: (key) => items.get(key),
    list(o) {
      if (!o) return [...items.values()];
      const ns = o.namespace || undefined;
      const sel = o.labelSelector === undefined ? undefined : toSelector(o.labelSelector);
      const ownerUid = o.ownedBy === undefined ? undefined : uidOf(o.ownedBy);
      const controllerUid = o.controlledBy === undefined ? undefined : uidOf(o.controlledBy);
      const orphan = o.orphan === true;

      // Start from the smallest index bucket any option gives, then filter by all options.
      let candidates: Iterable<string> | undefined;
      let best = Infinity;
      const consider = (set: Set<string> | undefined) => {
        const n = set?.size ?? 0;
        if (n < best) (best = n), (candidates = set ?? []);
      };
      if (controllerUid !== undefined) consider(indices.get(OWNER_UID_INDEX)?.get(controllerUid));
      if (ownerUid !== undefined) consider(indices.get(OWNER_UID_INDEX)?.get(ownerUid));
      if (sel) {
        const labels = indices.get(LABEL_INDEX);
        for (const r of sel.requirements) {
          const v = sel.requiresExactMatch(r.key);
          if (v !== undefined && labels) consider(labels.get(`${r.key}=${v}`));
        }
      }
      if (ns !== undefined) consider(indices.get(NAMESPACE_INDEX)?.get(ns));
      if (orphan && ns !== undefined && indices.has(ORPHAN_INDEX)) consider(indices.get(ORPHAN_INDEX)!.get(ns));

      const out: T[] = [];
      const test = (obj: T) => {
        const m = obj.metadata;
        if (ns !== undefined && (m?.namespace ?? '') !== ns) return;
        if (sel && !sel.matches(m?.labels)) return;
        if (ownerUid !== undefined && !(m?.ownerReferences ?? []).some((r) => r.uid === ownerUid)) return;
        if (controllerUid !== undefined && !(m?.ownerReferences ?? []).some((r) => r.controller === true && r.uid === controllerUid)) return;
        if (orphan && hasController(obj)) return;
        out.push(obj);
      };
      // Filtering runs synchronously into `out`, so the index bucket needs no copy.
      if (candidates === undefined) for (const obj of items.values()) test(obj);
      else for (const k of candidates) test(items.get(k)!);
      return out;
    },
    keys: () => [...items.keys()],
    get size() {
      return items.size;
    },
    byIndex(name, value) {
      return [...(index(name).get(value) ?? [])].map((k) => items.get(k)!);
    },
    indexKeys(name, value) {
      return [...(index(name).get(value) ?? [])];
    },
    indexValues(name) {
      return [...index(name).keys()];
    },
    indexNames: () => [...indices.keys()],
    addIndexers,
    upsert(obj) {
      const key = keyOf(obj);
      const old = items.get(key);
      if (old) for (const [name, fn] of funcs) unindexOne(name, fn, key, old);
      items.set(key, obj);
      for (const [name, fn] of funcs) indexOne(name, fn, key, obj);
      return old;
    },
    delete(key) {
      const old = items.get(key);
      if (!old) return undefined;
      for (const [name, fn] of funcs) unindexOne(name, fn, key, old);
      items.delete(key);
      return old;
    },
    replace(objs) {
      items.clear();
      for (const i of indices.values()) i.clear();
      for (const obj of objs) cache.upsert(obj);
    },
    readonly() {
      return view;
    },
  };

  const view: Cache<T> = {
    get: cache.get,
    list: cache.list,
    keys: cache.keys,
    get size() {
      return items.size;
    },
    byIndex: cache.byIndex,
    indexKeys: cache.indexKeys,
    indexValues: cache.indexValues,
    indexNames: cache.indexNames,
    addIndexers,
  };

  addIndexers(builtinIndexers as Indexers<T>);
  if (opts.indexers) addIndexers(opts.indexers);
  return cache;
}
