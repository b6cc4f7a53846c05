import type { KubeObject } from '@bosun/api';

/**
 * Where an object lives in the store. `resource` names the collection the way
 * Kubernetes' storage keys do (`pods`, `apps/deployments`); `namespace` is `''`
 * for cluster-scoped objects.
 */
export interface StoreKey {
  resource: string;
  namespace: string;
  name: string;
}

/**
 * A collection, or one namespace of it. `namespace` undefined or `''` = all namespaces
 * (cluster-scoped objects live under `''`, so for them both mean the whole collection).
 */
export interface StorePrefix {
  resource: string;
  namespace?: string;
}

/**
 * Conditions a write must meet, checked against the stored object; a mismatch fails
 * with `Conflict`. A malformed `resourceVersion` fails with `BadRequest`.
 */
export interface Preconditions {
  uid?: string;
  resourceVersion?: string;
}

/**
 * Filters applied inside the store, so only matching objects are copied out. Parsed
 * once per call with `parseLabelSelector` / `parseFieldSelector` from `@bosun/api`; a
 * malformed selector fails with `BadRequest`.
 */
export interface StoreFilter {
  /** String form, e.g. `app=web,tier!=db`. */
  labelSelector?: string;
  /** String form, e.g. `spec.nodeName=node-1,status.phase!=Succeeded`. */
  fieldSelector?: string;
}

/**
 * Options of the writes that take an object ({@link ObjectStore.create},
 * {@link ObjectStore.update}, {@link ObjectStore.guaranteedUpdate}).
 */
export interface WriteOptions {
  /**
   * The caller hands the object over: it is a plain JSON value (what `JSON.parse` could
   * return: no `undefined`, no class instances, no shared subtrees) that nobody else
   * references, and the caller gives up its own reference except to the result. The
   * store may then set `metadata.resourceVersion` on it and return that very object
   * instead of a fresh copy, which saves a parse per write (the API server passes its
   * private copy of each request). The store still keeps no reference to it. A backend
   * may ignore the option and return a copy: callers must use the result, not `obj`.
   * For {@link ObjectStore.guaranteedUpdate} it applies to what `tryUpdate` returns.
   */
  owned?: boolean;
}

/** Options of {@link ObjectStore.list}. */
export interface ListOptions extends StoreFilter {
  /** Maximum number of items to return (`0`/undefined: no limit); a `continue` token follows when more matches remain. */
  limit?: number;
  /**
   * Token from a previous page: the next page, read at the first page's revision, so
   * every page reflects one snapshot. When that revision has been compacted the call
   * fails with `Expired` (whose `continue` reads the rest at the latest revision);
   * a token that is malformed or from another collection fails with `InvalidContinue`.
   * Cannot be combined with `resourceVersion` (other than `'0'`): `BadRequest`.
   */
  continue?: string;
  /**
   * Read at this revision instead of the latest (`'0'` or `''`: the latest). A revision older than the history
   * window fails with `Expired`; a revision in the future waits no time and fails with
   * `TooLargeResourceVersion`.
   */
  resourceVersion?: string;
}

/** One page of a list: items in key order, all as of `resourceVersion`. */
export interface ListResult<T extends KubeObject = KubeObject> {
  items: T[];
  /** The revision the whole list was read at. */
  resourceVersion: string;
  /** Present when `limit` cut the list; pass it back to get the next page. */
  continue?: string;
  /** Number of items after this page, when known (the memory store knows it for lists without selectors). */
  remainingItemCount?: number;
}

/** The kinds of {@link WatchEvent}, as in Kubernetes' watch stream. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/**
 * One change. Objects in watch events are shared between watchers and deep-frozen:
 * copy before mutating. Every event's `object.metadata.resourceVersion` is the revision
 * of the change, so a watcher can resume from the last one it saw.
 *
 * With a namespace or selector filter, Kubernetes semantics apply: a change that makes
 * an object start matching arrives as ADDED, one that makes it stop matching as DELETED
 * carrying the object's previous (matching) content with the new revision.
 * For DELETED, `object` is the last state with `metadata.resourceVersion` set to the
 * deletion's revision. For BOOKMARK, `object` only carries `apiVersion`/`kind` (when
 * known) and `metadata.resourceVersion`; the bookmark that ends `sendInitialEvents`
 * also carries the annotation `k8s.io/initial-events-end: "true"`. ERROR carries a
 * Kubernetes `Status` (the store never emits it; the API server may).
 */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

/** Options of {@link ObjectStore.watch}. */
export interface WatchOptions extends StoreFilter {
  /**
   * Deliver changes after this revision. `'0'`, `''` or undefined: start at the current
   * revision. A revision older than the history window fails with `Expired` (410); a
   * revision newer than the store's with `TooLargeResourceVersion`.
   */
  resourceVersion?: string;
  /**
   * First send an ADDED event for every matching object that exists at the start
   * revision (in key order), then — with `allowBookmarks` — a BOOKMARK at the start
   * revision annotated `k8s.io/initial-events-end: "true"`, then the changes after it.
   */
  sendInitialEvents?: boolean;
  /** Send BOOKMARK events (on {@link ObjectStore.requestProgress} and periodically when the store is configured to). */
  allowBookmarks?: boolean;
  /** Stops the watch; iteration then ends without an error. */
  signal?: AbortSignal;
}

/**
 * A live watch: an async iterable of events, in revision order, each change once. It
 * has one consumer: iterating it again continues the same stream. Ends without error
 * when stopped, when its signal aborts or when the store closes. Throws a StoreError
 * when the watch cannot go on: `Expired` when the watcher fell behind its buffer (after
 * delivering everything buffered: resume from the last resourceVersion seen) or when
 * its start revision is compacted (relist), and the option errors of
 * {@link ObjectStore.watch}.
 */
export interface Watch<T extends KubeObject = KubeObject> extends AsyncIterable<WatchEvent<T>> {
  /** Stops delivering; idempotent. */
  stop(): void;
}

/**
 * The storage contract every backend meets (memory, SQLite, etcd) and the API server
 * is written against. One monotonic revision orders every write in the store; each
 * stored object's `metadata.resourceVersion` is the revision of its last write.
 *
 * Values passed in are not retained (the store copies them); values returned are the
 * caller's own copies, except watch event objects (shared, frozen). With
 * {@link WriteOptions.owned} a write may return the object passed in (with its new
 * `metadata.resourceVersion`) as that copy.
 */
export interface ObjectStore {
  /**
   * Stores a new object; fails with `AlreadyExists`. Returns it with its resourceVersion.
   * Any `metadata.resourceVersion` on the input is ignored. `metadata.name` and
   * `metadata.namespace`, when set, must agree with the key (`BadRequest` otherwise).
   * With `opts.owned` the result may be `obj` itself (see {@link WriteOptions.owned}).
   */
  create<T extends KubeObject>(key: StoreKey, obj: T, opts?: WriteOptions): Promise<T>;
  /** The object, or a `NotFound` error. */
  get<T extends KubeObject>(key: StoreKey): Promise<T>;
  /** Matching objects, in key order, as of one revision. */
  list<T extends KubeObject>(prefix: StorePrefix, opts?: ListOptions): Promise<ListResult<T>>;
  /**
   * Replaces an object if the preconditions hold (`Conflict` otherwise, `NotFound` when
   * absent). An update that changes nothing is not written and returns the stored object.
   * `obj.metadata.resourceVersion` is not a precondition (it is overwritten): pass
   * `preconditions.resourceVersion` for optimistic concurrency. With `opts.owned` the
   * result may be `obj` itself (see {@link WriteOptions.owned}).
   */
  update<T extends KubeObject>(key: StoreKey, obj: T, preconditions?: Preconditions, opts?: WriteOptions): Promise<T>;
  /**
   * Read-modify-write: calls `tryUpdate` with the current object and writes its result
   * atomically (no other write in between). Returning the same object unchanged writes
   * nothing. `tryUpdate` may throw to abort; the error propagates. Preconditions are
   * checked against the current object first. `tryUpdate` receives the caller's own
   * copy and may be async; when another write to the key lands while it runs, it is
   * called again with the new state, so it must be free of side effects it cannot repeat.
   * With `opts.owned` the result may be the object `tryUpdate` returned.
   */
  guaranteedUpdate<T extends KubeObject>(key: StoreKey, tryUpdate: (current: T) => T | Promise<T>, preconditions?: Preconditions, opts?: WriteOptions): Promise<T>;
  /** Deletes if the preconditions hold (`Conflict` otherwise, `NotFound` when absent); returns the last state with the deletion revision. */
  delete<T extends KubeObject>(key: StoreKey, preconditions?: Preconditions): Promise<T>;
  /**
   * Changes after a revision, filtered; see {@link WatchOptions}. Never throws: every
   * failure (malformed options, `Expired`, `TooLargeResourceVersion`, `Closed`) is
   * reported by the first `next()` of the iteration, so consumers handle one path.
   * Writers never wait for watchers: each watcher has a bounded buffer and is closed
   * with `Expired` when it overflows.
   */
  watch<T extends KubeObject>(prefix: StorePrefix, opts?: WatchOptions): Watch<T>;
  /** The latest revision written. */
  currentRevision(): Promise<string>;
  /**
   * Forgets history up to `revision`: reads and watches at any revision `>= revision`
   * still work; older ones (and continue tokens from them) fail with `Expired`. A revision
   * at or below the current compaction does nothing; one above the current revision
   * fails with `TooLargeResourceVersion`. Open watches keep everything already delivered
   * to their buffers.
   */
  compact(revision: string): Promise<void>;
  /**
   * Makes every watch with `allowBookmarks` receive a BOOKMARK at the current revision
   * (a watch still catching up from history receives it once it has caught up).
   */
  requestProgress(): void;
  /** Number of objects in a collection (all namespaces). */
  count(resource: string): Promise<number>;
  /** Releases resources; open watches end; later calls fail with `Closed`. Idempotent. */
  close(): Promise<void>;
}
