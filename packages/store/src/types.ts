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

/** A collection, or one namespace of it (`namespace` undefined = all namespaces). */
export interface StorePrefix {
  resource: string;
  namespace?: string;
}

/** Conditions a write must meet; a mismatch fails with `Conflict`. */
export interface Preconditions {
  uid?: string;
  resourceVersion?: string;
}

/** Filters applied inside the store, so only matching objects are copied out. */
export interface StoreFilter {
  /** String form, e.g. `app=web,tier!=db`. */
  labelSelector?: string;
  /** String form, e.g. `spec.nodeName=node-1,status.phase!=Succeeded`. */
  fieldSelector?: string;
}

export interface ListOptions extends StoreFilter {
  /** Maximum number of items to return; a `continue` token follows when more remain. */
  limit?: number;
  /** Token from a previous page: the next page, read at that page's revision. */
  continue?: string;
  /**
   * Read at this revision instead of the latest. A revision older than the history
   * window fails with `Expired`; a revision in the future waits no time and fails with
   * `TooLargeResourceVersion`.
   */
  resourceVersion?: string;
}

export interface ListResult<T extends KubeObject = KubeObject> {
  items: T[];
  /** The revision the whole list was read at. */
  resourceVersion: string;
  /** Present when `limit` cut the list; pass it back to get the next page. */
  continue?: string;
  /** Number of items after this page, when known. */
  remainingItemCount?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/**
 * One change. Objects in watch events are shared between watchers and deep-frozen:
 * copy before mutating. For DELETED, `object` is the last state with
 * `metadata.resourceVersion` set to the deletion's revision. For BOOKMARK, `object`
 * only carries `metadata.resourceVersion`. ERROR carries a Kubernetes `Status`.
 */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

export interface WatchOptions extends StoreFilter {
  /**
   * Deliver changes after this revision. `'0'` or undefined: start at the current
   * revision. A revision older than the history window fails with `Expired` (410).
   */
  resourceVersion?: string;
  /** First send an ADDED event for every matching object that exists at the start revision. */
  sendInitialEvents?: boolean;
  /** Send BOOKMARK events (on {@link ObjectStore.requestProgress} and periodically when the store is configured to). */
  allowBookmarks?: boolean;
  /** Stops the watch; iteration then ends without an error. */
  signal?: AbortSignal;
}

/**
 * A live watch: an async iterable of events. Ends without error when stopped or its
 * signal aborts; throws a StoreError when the store closes it (`Expired` when the
 * watcher fell behind its buffer: resume from the last resourceVersion seen).
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
 * caller's own copies, except watch event objects (shared, frozen).
 */
export interface ObjectStore {
  /** Stores a new object; fails with `AlreadyExists`. Returns it with its resourceVersion. */
  create<T extends KubeObject>(key: StoreKey, obj: T): Promise<T>;
  /** The object, or a `NotFound` error. */
  get<T extends KubeObject>(key: StoreKey): Promise<T>;
  /** Matching objects, in key order, as of one revision. */
  list<T extends KubeObject>(prefix: StorePrefix, opts?: ListOptions): Promise<ListResult<T>>;
  /**
   * Replaces an object if the preconditions hold (`Conflict` otherwise, `NotFound` when
   * absent). An update that changes nothing is not written and returns the stored object.
   */
  update<T extends KubeObject>(key: StoreKey, obj: T, preconditions?: Preconditions): Promise<T>;
  /**
   * Read-modify-write: calls `tryUpdate` with the current object and writes its result
   * atomically (no other write in between). Returning the same object unchanged writes
   * nothing. `tryUpdate` may throw to abort; the error propagates. Preconditions are
   * checked against the current object first.
   */
  guaranteedUpdate<T extends KubeObject>(key: StoreKey, tryUpdate: (current: T) => T | Promise<T>, preconditions?: Preconditions): Promise<T>;
  /** Deletes if the preconditions hold; returns the last state with the deletion revision. */
  delete<T extends KubeObject>(key: StoreKey, preconditions?: Preconditions): Promise<T>;
  /** Changes after a revision, filtered; see {@link WatchOptions}. */
  watch<T extends KubeObject>(prefix: StorePrefix, opts?: WatchOptions): Watch<T>;
  /** The latest revision written. */
  currentRevision(): Promise<string>;
  /** Forgets history up to `revision` (inclusive of nothing after it); watches from before fail with Expired. */
  compact(revision: string): Promise<void>;
  /** Makes every watch with `allowBookmarks` receive a BOOKMARK at the current revision. */
  requestProgress(): void;
  /** Number of objects in a collection (all namespaces). */
  count(resource: string): Promise<number>;
  /** Releases resources; open watches end. */
  close(): Promise<void>;
}
