import type { KubeObject, ObjectMeta, Scale, TypeOf } from '@bosun/api';

/**
 * What the write methods accept: anything with the API envelope. Wider than
 * `KubeObject` on purpose: the typed kinds (`Deployment`, `Pod`, the results of `get`)
 * are interfaces without an index signature, so they would not fit `KubeObject`, and
 * `client.update(await client.get(…))` must type-check.
 */
export interface ApiObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** Options every write takes. */
export interface WriteOptions {
  /** `['All']` runs admission and validation but stores nothing. */
  dryRun?: ['All'] | [];
  /** Identifies the writer (kept for field-manager bookkeeping). */
  fieldManager?: string;
  signal?: AbortSignal;
}

/** Options of {@link Client.list}. */
export interface ClientListOptions {
  /** Omit or `''` for cluster-scoped kinds or for all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  /** `''`/undefined: latest; `'0'`: any; otherwise read at that revision (410 when compacted). */
  resourceVersion?: string;
  signal?: AbortSignal;
}

/** A list as the API returns it: `<Kind>List` with items (apiVersion and kind set on each) and list metadata. */
export interface ObjectList<T> {
  apiVersion: string;
  kind: string;
  items: T[];
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
}

/** Options of {@link Client.watch}. */
export interface ClientWatchOptions extends Omit<ClientListOptions, 'limit' | 'continue'> {
  /** Send BOOKMARK events carrying the current resourceVersion. */
  allowWatchBookmarks?: boolean;
  /**
   * With no resourceVersion (or `sendInitialEvents: true`), the watch first sends
   * ADDED for every existing match, then changes — like `kubectl get -w`.
   */
  sendInitialEvents?: boolean;
}

/** ERROR is reserved for remote transports; the in-process client throws ApiErrors from the iteration instead. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One change seen by a watch. BOOKMARK objects carry only apiVersion, kind and `metadata.resourceVersion`. */
export interface WatchEvent<T = KubeObject> {
  type: WatchEventType;
  /** Shared and frozen: copy before mutating. */
  object: T;
}

/** `merge`: RFC 7386; `json`: RFC 6902; `strategic`: Kubernetes strategic merge (built-in kinds); `apply`: create-or-update with the three-way merge. */
export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

/** Options of {@link Client.patch}. */
export interface PatchOptions extends WriteOptions {
  type?: PatchType;
  /** Patch the status subresource instead of the main resource. */
  subresource?: 'status' | 'scale';
}

/** What happens to dependents: Background (default) deletes them after the owner, Foreground before, Orphan keeps them. */
export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

/** Options of {@link Client.delete}. */
export interface DeleteOptions extends WriteOptions {
  propagationPolicy?: PropagationPolicy;
  /** 0 deletes at once; pods default to their terminationGracePeriodSeconds. */
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** Options of {@link Client.deleteCollection}: the selection plus the options of each delete. */
export interface DeleteCollectionOptions extends DeleteOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** Options of {@link Client.apply}. */
export interface ApplyOptions extends WriteOptions {
  /** Namespace for namespaced objects that name none (default `default`). */
  namespace?: string;
}

/** What `apply` did to one object. */
export interface ApplyResult<T = KubeObject> {
  action: 'created' | 'configured' | 'unchanged';
  object: T;
}

/**
 * The typed client every component uses to talk to the API. Transport-agnostic: the
 * in-process implementation calls the server core directly; a remote one speaks HTTP.
 * Every failure is an `ApiError` with a Kubernetes status (`code`, `reason`, causes).
 */
export interface Client {
  /** Creates; 409 AlreadyExists, 422 Invalid, 404 when the namespace is missing, 403 when it is terminating. */
  create<T extends ApiObject>(obj: T, opts?: WriteOptions): Promise<T>;
  /** `''` namespace for cluster-scoped kinds. 404 NotFound. */
  get<A extends string, K extends string>(apiVersion: A, kind: K, namespace: string, name: string, opts?: { signal?: AbortSignal }): Promise<TypeOf<A, K>>;
  /**
   * Objects of a kind with selectors and paging; items carry apiVersion and kind. 400 for
   * a malformed or unsupported selector (`field label not supported: x`), 410 when the
   * resourceVersion or continue token is compacted.
   */
  list<A extends string, K extends string>(apiVersion: A, kind: K, opts?: ClientListOptions): Promise<ObjectList<TypeOf<A, K>>>;
  /** Replaces spec and metadata (never status when the kind has a status subresource). 409 Conflict on a stale resourceVersion. */
  update<T extends ApiObject>(obj: T, opts?: WriteOptions): Promise<T>;
  /** Replaces status only. 409 Conflict on a stale resourceVersion. */
  updateStatus<T extends ApiObject>(obj: T, opts?: WriteOptions): Promise<T>;
  /**
   * Patches the latest stored object atomically (merge by default; `json` RFC 6902;
   * `strategic` for built-in kinds, 415 for others; `apply` = server-side create-or-update)
   * and runs admission and validation like an update. A `metadata.resourceVersion` in the
   * patch is a precondition (409). With `subresource: 'scale'` the patch applies to the
   * Scale view and the updated object is returned.
   */
  patch<A extends string, K extends string>(apiVersion: A, kind: K, namespace: string, name: string, patch: unknown, opts?: PatchOptions): Promise<TypeOf<A, K>>;
  /**
   * Deletes. Returns the object as it stands after the call: with a deletionTimestamp
   * when it lingers (finalizers, graceful pod deletion), or its last state when gone.
   */
  delete<A extends string, K extends string>(apiVersion: A, kind: K, namespace: string, name: string, opts?: DeleteOptions): Promise<TypeOf<A, K>>;
  /** Deletes every match of the selectors (each like {@link Client.delete}); returns what each delete returned. */
  deleteCollection<A extends string, K extends string>(apiVersion: A, kind: K, opts?: DeleteCollectionOptions): Promise<ObjectList<TypeOf<A, K>>>;
  /**
   * Changes to a kind. No resourceVersion (or `'0'`, or `sendInitialEvents`): ADDED for
   * every existing match first. Errors are thrown by the iteration (410 Expired: relist);
   * the iteration ends without error when `signal` aborts or the server stops.
   */
  watch<A extends string, K extends string>(apiVersion: A, kind: K, opts?: ClientWatchOptions): AsyncIterable<WatchEvent<TypeOf<A, K>>>;
  /** Create-or-update like `kubectl apply`: three-way merge against the last-applied record. */
  apply<T extends ApiObject>(obj: T, opts?: ApplyOptions): Promise<ApplyResult<T>>;
  /** The autoscaling/v1 Scale of a kind with a scale subresource (Deployment, ReplicaSet, StatefulSet, ReplicationController); 404 for other kinds. */
  getScale(apiVersion: string, kind: string, namespace: string, name: string): Promise<Scale>;
  /** Sets `spec.replicas` through the scale subresource. 409 on a stale `scale.metadata.resourceVersion`, 422 for negative replicas. */
  updateScale(apiVersion: string, kind: string, namespace: string, name: string, scale: Scale, opts?: WriteOptions): Promise<Scale>;
  /**
   * The pods/binding subresource: assigns a pending pod to a node (what the scheduler
   * calls). 409 Conflict when the pod is already assigned (`pod x is already assigned
   * to node "y"`) or being deleted; 404 when absent. Optional: clients that cannot bind
   * leave it out.
   */
  bind?(namespace: string, podName: string, nodeName: string, opts?: WriteOptions): Promise<TypeOf<'v1', 'Pod'>>;
}
