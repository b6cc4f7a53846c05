import { randomUUID } from 'node:crypto';
import {
  ApiError,
  RealClock,
  createScheme,
  fieldError,
  isApiError,
  rfc3339,
  type Clock,
  type FieldCause,
  type KindInfo,
  type KubeObject,
  type ObjectMeta,
  type Scale,
  type Scheme,
} from '@bosun/api';
import { createMemoryStore, isStoreError, type ObjectStore, type Preconditions, type StoreKey } from '@bosun/store';
import { runMutating, runValidating, type AdmissionAttributes, type AdmissionConfig, type AdmissionOperation, type MutatingAdmissionPlugin, type ValidatingAdmissionPlugin } from './admission';
import { OBJECT_MODIFIED, resourceNotFound, toApiError, type ErrorSubject } from './errors';
import { IMMORTAL_NAMESPACES, NamespaceLifecycle, SYSTEM_NAMESPACES } from './namespaces';
import { applyPatchOfType, LAST_APPLIED_ANNOTATION, threeWayApply, withLastApplied } from './patching';
import { strategyFor, NAMESPACE_FINALIZER, type KindStrategy } from './strategy';
import { checkFieldSelector, checkTypes, validateCreate, validateUpdate } from './validation';
import { ServerWatch, type ServerWatchOptions } from './watch';
import { typeStateFor } from './structure';
import { clone, copyIn, copyInTyped, generateNameFrom, getPath, isRecord, jsonEqual, metaOf, selectorString, setPath, specChanged, type Meta } from './util';
import type { ApiObject, ObjectList, PatchType, PropagationPolicy } from './client';

/** A sink for the few things the server reports without failing a request. */
export interface Logger {
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

/** Options of {@link createApiServer}. */
export interface ApiServerOptions {
  /** Where objects live; a new memory store by default (then closed by {@link ApiServer.stop}). */
  store?: ObjectStore;
  /** The kinds served; `createScheme()` by default. Register custom kinds before serving them. */
  scheme?: Scheme;
  /** Time for timestamps, grace periods and bookmarks; the wall clock by default. */
  clock?: Clock;
  /** User admission plugins, run in order after defaulting (mutating) and after validation (validating). */
  admission?: AdmissionConfig;
  /** How often watches with `allowWatchBookmarks` get a BOOKMARK (clock time); 60 s as upstream. 0 disables. */
  watchBookmarkIntervalMs?: number;
  /** The random source for generated name suffixes (`[0, 1)`); `Math.random` by default. Tests inject one to force collisions. */
  random?: () => number;
  /** How many times a create with `generateName` draws a new name after a collision (upstream retries too). Default 8. */
  generateNameAttempts?: number;
  logger?: Logger;
}

/** Options every write takes at the server. */
export interface ServerWriteOptions {
  /** Run admission and validation but store nothing. */
  dryRun?: boolean;
  fieldManager?: string;
}

/** Options of {@link ApiServer.create}. */
export interface ServerCreateOptions extends ServerWriteOptions {
  /** The request's namespace: used when the object names none; a different one in the object is a 400. */
  namespace?: string;
}

/** Options of {@link ApiServer.list}. */
export interface ServerListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

/** Options of {@link ApiServer.patch}. */
export interface ServerPatchOptions extends ServerWriteOptions {
  type?: PatchType;
  subresource?: '' | 'status' | 'scale';
}

/** Options of {@link ApiServer.delete}. */
export interface ServerDeleteOptions extends ServerWriteOptions {
  propagationPolicy?: PropagationPolicy;
  gracePeriodSeconds?: number;
  preconditions?: Preconditions;
}

/** What a delete did. */
export interface DeleteResult {
  /** The object as it stands: with a deletionTimestamp when it lingers, its last state when gone. */
  object: KubeObject;
  /** True when the object was removed from the store by this call. */
  deleted: boolean;
}

/** What an apply did. */
export interface ServerApplyResult {
  action: 'created' | 'configured' | 'unchanged';
  object: KubeObject;
}

/** Per-kind facts resolved once and reused by every request. */
interface Resource {
  info: KindInfo;
  apiVersion: string;
  kind: string;
  listKind: string;
  group: string;
  plural: string;
  /** The store's collection name: `<group>/<plural>`, or `<plural>` for the core group. */
  storeResource: string;
  namespaced: boolean;
  statusSubresource: boolean;
  strategy: KindStrategy;
}

type Subresource = '' | 'status' | 'scale' | 'finalize' | 'binding';

interface UpdatePlan {
  subresource: Subresource;
  /** User preconditions checked against the stored object (409 on mismatch). */
  preconditions?: Preconditions;
  /** Builds the proposed object from the current one (its own copy, free to mutate). `attempt` counts retries. */
  build(current: KubeObject, attempt: number): KubeObject;
  dryRun?: boolean;
  /** Skips the kind's PrepareForUpdate (the finalize subresource changes what it pins). */
  skipPrepare?: boolean;
  /** Where the proposed object came from, for how ill-typed values are refused. */
  source?: 'body' | 'patch';
  /**
   * The proposed object is the stored one with a few server-chosen fields set (the
   * binding subresource): no type check, defaulting or kind validation, as upstream's
   * binding storage writes through GuaranteedUpdate without the pod strategy. Admission
   * still runs.
   */
  serverBuilt?: boolean;
}

interface UpdateOutcome {
  object: KubeObject;
  old: KubeObject;
  deleted: boolean;
}

const OWNED = Object.freeze({ owned: true });
const FINALIZER_ORPHAN = 'orphan';
const FINALIZER_FOREGROUND = 'foregroundDeletion';
const NAMESPACE_KIND = 'Namespace';

/**
 * The API server core: Kubernetes' generic registry semantics over an {@link ObjectStore}.
 * Every write runs conversion → defaulting → mutating admission → validation →
 * validating admission, then the store's optimistic concurrency; the server owns uid,
 * creationTimestamp, generation and resourceVersion, keeps status and spec apart through
 * the status subresource, and carries out graceful deletion and finalizers.
 *
 * Every method fails only with an {@link ApiError}. Returned objects are the caller's own
 * copies; watch event objects are shared and frozen.
 *
 * Create one with {@link createApiServer}; talk to it through {@link createClient}.
 */
export class ApiServer {
  readonly store: ObjectStore;
  readonly scheme: Scheme;
  readonly clock: Clock;
  private readonly mutating: MutatingAdmissionPlugin[];
  private readonly validating: ValidatingAdmissionPlugin[];
  private readonly random: () => number;
  private readonly generateNameAttempts: number;
  private readonly bookmarkIntervalMs: number;
  private readonly resources = new Map<KindInfo, Resource>();
  private readonly namespaces: NamespaceLifecycle;
  private readonly watches = new Set<ServerWatch>();
  private bookmarkTimer: ReturnType<Clock['setTimeout']> | undefined;
  private bookmarkWatchers = 0;
  private stopped = false;
  private readonly ownsStore: boolean;
  readonly logger: Logger;

  /** Use {@link createApiServer}, which also creates the system namespaces. */
  constructor(opts: ApiServerOptions = {}) {
    this.ownsStore = !opts.store;
    this.store = opts.store ?? createMemoryStore();
    this.scheme = opts.scheme ?? createScheme();
    this.clock = opts.clock ?? new RealClock();
    this.mutating = [...(opts.admission?.mutating ?? [])];
    this.validating = [...(opts.admission?.validating ?? [])];
    this.random = opts.random ?? Math.random;
    this.generateNameAttempts = opts.generateNameAttempts ?? 8;
    this.bookmarkIntervalMs = opts.watchBookmarkIntervalMs ?? 60_000;
    this.logger = opts.logger ?? { warn: (m, ...a) => console.warn(m, ...a), error: (m, ...a) => console.error(m, ...a) };
    this.namespaces = new NamespaceLifecycle(this.store);
  }

  /**
   * Creates the system namespaces (`default`, `kube-system`, `kube-public`,
   * `kube-node-lease`) when missing and starts following namespace changes.
   * Idempotent; {@link createApiServer} calls it.
   */
  async start(): Promise<void> {
    const revision = await this.store.currentRevision().catch((e: unknown) => {
      throw toApiError(e);
    });
    this.namespaces.start(revision);
    for (const name of SYSTEM_NAMESPACES) {
      try {
        await this.create({ apiVersion: 'v1', kind: NAMESPACE_KIND, metadata: { name } });
      } catch (e) {
        if (!(isApiError(e) && e.reason === 'AlreadyExists')) throw e;
      }
    }
  }

  /**
   * Ends every open watch (their iterations finish without error), cancels timers and,
   * when the server created its store, closes it. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const w of [...this.watches]) w.stop();
    this.watches.clear();
    if (this.bookmarkTimer) this.clock.clearTimeout(this.bookmarkTimer);
    this.bookmarkTimer = undefined;
    this.namespaces.stop();
    if (this.ownsStore) await this.store.close();
  }

  private lastSecond = NaN;
  private lastStamp = '';
  /** RFC 3339 at second precision, formatted once per second of clock time (it is on every create). */
  private timestamp(ms: number): string {
    const sec = Math.floor(ms / 1000);
    if (sec !== this.lastSecond) {
      this.lastSecond = sec;
      this.lastStamp = rfc3339(ms);
    }
    return this.lastStamp;
  }

  // ---------------------------------------------------------------- kinds

  /** The served kind for apiVersion+kind; 404 NotFound (naming the version to use) otherwise. */
  private resolve(apiVersion: string | undefined, kind: string | undefined): Resource {
    return this.resourceOf(this.scheme.lookup(apiVersion ?? '', kind ?? '') ?? this.scheme.require(apiVersion ?? '', kind ?? ''));
  }

  private resourceOf(info: KindInfo): Resource {
    let r = this.resources.get(info);
    if (!r) {
      r = {
        info,
        apiVersion: info.apiVersion,
        kind: info.kind,
        listKind: `${info.kind}List`,
        group: info.group,
        plural: info.plural,
        storeResource: info.group ? `${info.group}/${info.plural}` : info.plural,
        namespaced: info.namespaced,
        statusSubresource: info.statusSubresource,
        strategy: strategyFor(info.apiVersion, info.kind),
      };
      this.resources.set(info, r);
    }
    return r;
  }

  private key(r: Resource, namespace: string | undefined, name: string): StoreKey {
    if (!name) throw ApiError.badRequest('name is required');
    return { resource: r.storeResource, namespace: r.namespaced ? namespace || 'default' : '', name };
  }

  private subject(r: Resource, name?: string): ErrorSubject {
    return { resource: r.plural, group: r.group, name };
  }

  private attrs(r: Resource, operation: AdmissionOperation, subresource: string, obj: KubeObject, old: KubeObject | undefined, dryRun: boolean): AdmissionAttributes {
    const meta = obj.metadata ?? {};
    return { operation, kind: r.info, subresource, namespace: r.namespaced ? (meta.namespace ?? '') : '', name: meta.name ?? '', object: obj, oldObject: old, dryRun };
  }

  // ---------------------------------------------------------------- create

  /**
   * Creates an object. Legacy versions are converted (or refused naming the version to
   * use); server-owned metadata is reset (uid, creationTimestamp, generation,
   * resourceVersion); `generateName` draws a 5-character suffix, retrying on collision;
   * status is dropped for kinds with a status subresource (except what defaulting and
   * the kind set: Pod phase Pending and its QoS class, Namespace phase Active).
   * Namespaced objects without a namespace go to `options.namespace` or `default`;
   * a namespace on a cluster-scoped object is ignored.
   *
   * Fails with 409 AlreadyExists, 422 Invalid, 404 when the namespace is missing,
   * 403 when it is terminating or an admission plugin denies the request.
   */
  async create(input: ApiObject, opts: ServerCreateOptions = {}): Promise<KubeObject> {
    // For a served kind, one walk copies the request and checks its field types. Others
    // (legacy versions to convert, unknown kinds) and ill-typed requests (for the
    // causes) take the separate check; so do requests whose copy names another kind
    // than the request did (a getter), as the check must be that of the kind served.
    const named = isRecord(input) ? this.scheme.lookup(stringOr(input.apiVersion), stringOr(input.kind)) : undefined;
    const { copy, wellTyped } = named ? copyInTyped(input as KubeObject, typeStateFor(named.kind)) : { copy: copyIn(input as KubeObject), wellTyped: false };
    const info = named && copy.apiVersion === named.apiVersion && copy.kind === named.kind ? named : this.scheme.lookup(copy.apiVersion ?? '', copy.kind ?? '');
    const obj = info ? copy : this.scheme.toServed(copy);
    const r = info ? this.resourceOf(info) : this.resolve(obj.apiVersion, obj.kind);
    if (!(wellTyped && info === named)) checkTypes(r.info, obj, 'body');
    obj.apiVersion = r.apiVersion;
    obj.kind = r.kind;
    const meta = metaOf(obj);
    if (r.namespaced) {
      if (opts.namespace && meta.namespace && opts.namespace !== meta.namespace) {
        throw ApiError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = meta.namespace || opts.namespace || 'default';
    } else if (meta.namespace !== undefined) delete meta.namespace;
    resetServerMetadata(meta);
    if (r.statusSubresource && !r.strategy.keepStatusOnCreate && 'status' in obj) delete obj.status;
    r.info.defaulter?.(obj);

    if (r.namespaced) {
      const pending = this.namespaces.checkCreate(meta.namespace!, r.plural, r.group, meta.name ?? '');
      if (pending) await pending;
    }
    const dryRun = !!opts.dryRun;
    if (this.mutating.length) await runMutating(this.mutating, this.attrs(r, 'CREATE', '', obj, undefined, dryRun));

    const m = metaOf(obj);
    if (r.namespaced && !m.namespace) m.namespace = meta.namespace;
    const generated = !m.name && !!m.generateName;
    if (generated) m.name = generateNameFrom(m.generateName!, this.random);
    r.strategy.prepareForCreate?.(obj);
    m.uid = randomUUID();
    m.creationTimestamp = this.timestamp(this.clock.now());
    if (obj.spec !== undefined) m.generation = 1;
    else if ('generation' in m) delete m.generation;
    if ('resourceVersion' in m) delete m.resourceVersion;

    throwIfInvalid(r, obj, validateCreate(r.info, obj));
    if (this.validating.length) await runValidating(this.validating, this.attrs(r, 'CREATE', '', obj, undefined, dryRun));
    if (dryRun) return obj;

    // `obj` is this request's private copy and nothing keeps it, so the store may hand it
    // back as the caller's copy instead of parsing one. Not after mutating admission:
    // a plugin may have put values it keeps (a shared label map) into the object.
    const writeOpts = this.mutating.length === 0 ? OWNED : undefined;
    for (let attempt = 1; ; attempt++) {
      const key: StoreKey = { resource: r.storeResource, namespace: r.namespaced ? m.namespace! : '', name: m.name! };
      try {
        const stored = await this.store.create(key, obj, writeOpts);
        if (r.kind === NAMESPACE_KIND && r.group === '') this.namespaces.observe(stored);
        return stored;
      } catch (e) {
        if (generated && attempt < this.generateNameAttempts && isStoreError(e, 'AlreadyExists')) {
          m.name = generateNameFrom(m.generateName!, this.random);
          continue;
        }
        throw toApiError(e, this.subject(r, m.name));
      }
    }
  }

  // ---------------------------------------------------------------- reads

  /** One object; 404 NotFound (`pods "x" not found`). `namespace` is ignored for cluster-scoped kinds; `''` means `default` for namespaced ones (as for update, patch and delete). */
  async get(apiVersion: string, kind: string, namespace: string, name: string): Promise<KubeObject> {
    const r = this.resolve(apiVersion, kind);
    try {
      return await this.store.get(this.key(r, namespace, name));
    } catch (e) {
      throw toApiError(e, this.subject(r, name));
    }
  }

  /**
   * Objects of a kind, filtered in the store by label and field selectors, paged by
   * `limit`/`continue`. `resourceVersion` `''`/undefined reads the latest, `'0'` any
   * (the latest here), anything else exactly that revision (410 when compacted).
   * Unsupported field selectors fail with 400 `field label not supported: x`.
   */
  async list(apiVersion: string, kind: string, opts: ServerListOptions = {}): Promise<ObjectList<KubeObject>> {
    const r = this.resolve(apiVersion, kind);
    if (opts.fieldSelector) checkFieldSelector(r.info, opts.fieldSelector);
    const rv = opts.resourceVersion === '0' ? undefined : opts.resourceVersion || undefined;
    try {
      const res = await this.store.list(
        { resource: r.storeResource, namespace: r.namespaced && opts.namespace ? opts.namespace : undefined },
        { labelSelector: opts.labelSelector || undefined, fieldSelector: opts.fieldSelector || undefined, limit: opts.limit, continue: opts.continue || undefined, resourceVersion: rv },
      );
      const metadata: ObjectList<KubeObject>['metadata'] = { resourceVersion: res.resourceVersion };
      if (res.continue) metadata.continue = res.continue;
      if (res.remainingItemCount !== undefined) metadata.remainingItemCount = res.remainingItemCount;
      return { apiVersion: r.apiVersion, kind: r.listKind, items: res.items, metadata };
    } catch (e) {
      throw toApiError(e, this.subject(r));
    }
  }

  /**
   * Watches a kind. Without a resourceVersion (or with `'0'`, or `sendInitialEvents`)
   * the stream starts with ADDED for every existing match, then the changes; with a
   * resourceVersion it starts after that revision. Errors (bad options, 410 Expired when
   * the revision is compacted or the watcher fell behind) are thrown by the iteration.
   * Iteration ends without error when `signal` aborts, the watch is stopped or the
   * server stops. With `allowWatchBookmarks`, BOOKMARKs arrive every
   * `watchBookmarkIntervalMs` of clock time and on {@link requestWatchProgress}.
   */
  watch(apiVersion: string, kind: string, opts: ServerWatchOptions = {}): ServerWatch {
    const w = new ServerWatch(opts, {
      open: () => {
        const r = this.resolve(apiVersion, kind);
        if (opts.fieldSelector) checkFieldSelector(r.info, opts.fieldSelector);
        return { resource: r.storeResource, namespace: r.namespaced && opts.namespace ? opts.namespace : undefined, apiVersion: r.apiVersion, kind: r.kind, subject: this.subject(r) };
      },
      store: this.store,
      onStart: (ww) => this.trackWatch(ww),
      onEnd: (ww) => this.untrackWatch(ww),
    });
    if (this.stopped) w.stop();
    return w;
  }

  /** Makes every open watch with bookmarks enabled receive a BOOKMARK at the current revision. */
  requestWatchProgress(): void {
    this.store.requestProgress();
  }

  private trackWatch(w: ServerWatch): void {
    if (this.stopped) {
      w.stop();
      return;
    }
    this.watches.add(w);
    if (w.bookmarks) {
      this.bookmarkWatchers++;
      this.scheduleBookmarks();
    }
  }

  private untrackWatch(w: ServerWatch): void {
    if (!this.watches.delete(w)) return;
    if (w.bookmarks) this.bookmarkWatchers--;
    if (this.bookmarkWatchers === 0 && this.bookmarkTimer) {
      this.clock.clearTimeout(this.bookmarkTimer);
      this.bookmarkTimer = undefined;
    }
  }

  private scheduleBookmarks(): void {
    if (this.bookmarkTimer || this.bookmarkIntervalMs <= 0 || this.stopped) return;
    this.bookmarkTimer = this.clock.setTimeout(() => {
      this.bookmarkTimer = undefined;
      if (this.stopped || this.bookmarkWatchers === 0) return;
      this.store.requestProgress();
      this.scheduleBookmarks();
    }, this.bookmarkIntervalMs);
  }

  // ---------------------------------------------------------------- updates

  /**
   * Replaces an object. A `metadata.resourceVersion` makes it conditional (409 Conflict
   * when stale); without one the update is unconditional. uid, name, namespace,
   * creationTimestamp and deletion metadata are the server's; with a status subresource
   * the stored status is kept; `generation` moves only when something outside metadata
   * and status changes. An update that removes the last finalizer of an object being
   * deleted completes its deletion (the result is then its last state). 404 when absent.
   */
  async update(input: ApiObject, opts: ServerWriteOptions = {}): Promise<KubeObject> {
    return (await this.replace(input, '', opts)).object;
  }

  /** Replaces only the status (spec and metadata changes are ignored). 409 on a stale resourceVersion; 404 when absent. */
  async updateStatus(input: ApiObject, opts: ServerWriteOptions = {}): Promise<KubeObject> {
    return (await this.replace(input, 'status', opts)).object;
  }

  private async replace(input: ApiObject, subresource: '' | 'status', opts: ServerWriteOptions): Promise<UpdateOutcome> {
    const pristine = copyIn(input as KubeObject);
    const first = this.scheme.toServed(clone(pristine));
    const r = this.resolve(first.apiVersion, first.kind);
    const meta = metaOf(first);
    const key = this.key(r, meta.namespace, meta.name ?? '');
    const rv = meta.resourceVersion;
    return this.updateObject(r, key, {
      subresource,
      source: 'body',
      preconditions: rv ? { resourceVersion: rv } : undefined,
      dryRun: opts.dryRun,
      build: (current, attempt) => {
        const proposed = attempt === 0 ? first : this.scheme.toServed(clone(pristine));
        if (subresource === 'status') {
          current.status = proposed.status;
          return current;
        }
        return proposed;
      },
    });
  }

  /**
   * Patches an object: JSON merge patch (default), JSON patch (RFC 6902), strategic
   * merge patch (415 for kinds without a patch schema), or `apply` (create-or-update
   * with the three-way merge of {@link apply}). The patch applies to the latest stored
   * object atomically and the result goes through admission and validation like an
   * update; a `metadata.resourceVersion` in the result that differs from the stored one
   * is a 409 Conflict. `subresource: 'status'` changes only status; `'scale'` patches
   * the Scale view and returns the resulting object.
   */
  async patch(apiVersion: string, kind: string, namespace: string, name: string, patch: unknown, opts: ServerPatchOptions = {}): Promise<KubeObject> {
    const r = this.resolve(apiVersion, kind);
    const type = opts.type ?? 'merge';
    const subresource = opts.subresource ?? '';
    if (type === 'apply') {
      if (subresource) throw ApiError.methodNotAllowed(`apply patches are not supported on the ${subresource} subresource`);
      const desired = { ...(isRecord(patch) ? patch : {}) } as KubeObject;
      desired.apiVersion ??= r.apiVersion;
      desired.kind ??= r.kind;
      desired.metadata = { ...(isRecord(desired.metadata) ? desired.metadata : {}), name };
      if (r.namespaced) desired.metadata.namespace = namespace || 'default';
      return (await this.apply(desired, { dryRun: opts.dryRun, fieldManager: opts.fieldManager })).object;
    }
    if (subresource === 'scale' && !r.info.scale) throw resourceNotFound();
    const key = this.key(r, namespace, name);
    const outcome = await this.updateObject(r, key, {
      subresource,
      dryRun: opts.dryRun,
      build: (current) => {
        if (subresource === 'scale') {
          const scale = applyPatchOfType(type, toScale(r, current) as KubeObject, patch, 'autoscaling/v1', 'Scale') as Scale;
          checkScalePrecondition(r, current, scale);
          setScaleReplicas(r, current, scale);
          return current;
        }
        const patched = applyPatchOfType(type, clone(current), patch, r.apiVersion, r.kind);
        const prv = patched.metadata?.resourceVersion;
        if (prv && prv !== current.metadata?.resourceVersion) throw ApiError.conflict(r.plural, name, OBJECT_MODIFIED, r.group);
        if (patched.apiVersion !== r.apiVersion || patched.kind !== r.kind) throw ApiError.badRequest(`a patch may not change apiVersion or kind (${r.apiVersion} ${r.kind})`);
        if (subresource === 'status') {
          current.status = patched.status;
          return current;
        }
        return patched;
      },
    });
    return outcome.object;
  }

  /**
   * The core of every update-like write. Inside the store's atomic read-modify-write:
   * builds the proposed object, pins server-owned metadata, applies the status
   * subresource split, defaults, runs mutating admission, bumps generation, validates
   * (with the old object), runs validating admission. Afterwards completes a deletion
   * whose finalizers are all gone.
   */
  private async updateObject(r: Resource, key: StoreKey, plan: UpdatePlan): Promise<UpdateOutcome> {
    let old: KubeObject | undefined;
    let attempt = 0;
    const tryUpdate = async (current: KubeObject): Promise<KubeObject> => {
      old = clone(current);
      const proposed = plan.build(current, attempt++);
      await this.prepareUpdate(r, proposed, old, plan);
      // The store compares serialisations; hand back the stored form when only key order differs.
      return jsonEqual(proposed, old) ? old : proposed;
    };
    const subject = this.subject(r, key.name);
    try {
      if (plan.dryRun) {
        const current = await this.store.get(key);
        checkPreconditions(r, key.name, current, plan.preconditions);
        const proposed = await tryUpdate(current);
        return { object: proposed, old: old!, deleted: false };
      }
      // A body's proposed object is built from this request's private copy and the stored
      // object's copies only, so the store may hand it back instead of parsing one; a
      // patch result may hold parts of the caller's patch, a plugin values it keeps.
      const owned = (plan.source === 'body' || plan.serverBuilt === true) && this.mutating.length === 0;
      const stored = await this.store.guaranteedUpdate(key, tryUpdate, plan.preconditions, owned ? OWNED : undefined);
      if (r.kind === NAMESPACE_KIND && r.group === '') this.namespaces.observe(stored);
      if (this.deletable(r, stored)) {
        const last = await this.completeDeletion(r, key, stored);
        if (last) return { object: last, old: old!, deleted: true };
      }
      return { object: stored, old: old!, deleted: false };
    } catch (e) {
      throw toApiError(e, subject);
    }
  }

  private async prepareUpdate(r: Resource, proposed: KubeObject, old: KubeObject, plan: UpdatePlan): Promise<void> {
    const om = old.metadata ?? {};
    checkPreconditions(r, om.name ?? '', old, plan.preconditions);
    if (!plan.serverBuilt) checkTypes(r.info, proposed, plan.source ?? 'patch');
    proposed.apiVersion = r.apiVersion;
    proposed.kind = r.kind;
    const meta = metaOf(proposed);
    if (meta.uid && meta.uid !== om.uid) {
      throw ApiError.conflict(r.plural, om.name ?? '', `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${om.uid}`, r.group);
    }
    const causes: FieldCause[] = [];
    if (meta.deletionTimestamp && !om.deletionTimestamp) causes.push(fieldError.immutable('metadata.deletionTimestamp', meta.deletionTimestamp));
    if (causes.length) throw ApiError.invalid(r.kind, om.name ?? '', causes, r.group);
    pinServerMetadata(meta, om);
    if (plan.subresource === '' && r.statusSubresource) {
      if (old.status === undefined) delete proposed.status;
      else proposed.status = clone(old.status);
    }
    if (plan.subresource === 'status') {
      // Status writes ignore everything but status (upstream ResetObjectMetaForStatus and the kinds' status strategies).
      const status = proposed.status;
      for (const k of Object.keys(proposed)) if (k !== 'apiVersion' && k !== 'kind' && k !== 'metadata') delete proposed[k];
      for (const k of Object.keys(old)) if (k !== 'apiVersion' && k !== 'kind' && k !== 'metadata' && k !== 'status') proposed[k] = clone(old[k]);
      if (status === undefined) delete proposed.status;
      else proposed.status = status;
      proposed.metadata = { ...clone(om) };
    }
    if (plan.subresource === '' && !plan.skipPrepare) r.strategy.prepareForUpdate?.(proposed, old);
    if (plan.subresource === 'status') r.strategy.prepareForStatusUpdate?.(proposed, old);
    if (!plan.serverBuilt) r.info.defaulter?.(proposed);
    const dryRun = !!plan.dryRun;
    if (this.mutating.length) await runMutating(this.mutating, this.attrs(r, 'UPDATE', plan.subresource, proposed, old, dryRun));
    const m = metaOf(proposed);
    pinServerMetadata(m, om);
    if (om.generation !== undefined) m.generation = specChanged(proposed, old) ? om.generation + 1 : om.generation;
    if (!plan.serverBuilt) throwIfInvalid(r, proposed, validateUpdate(r.info, proposed, old));
    if (this.validating.length) await runValidating(this.validating, this.attrs(r, 'UPDATE', plan.subresource, proposed, old, dryRun));
  }

  /** True when an object being deleted has nothing left holding it (no finalizers, no pending grace). */
  private deletable(r: Resource, obj: KubeObject): boolean {
    const m = obj.metadata;
    if (!m?.deletionTimestamp || m.finalizers?.length) return false;
    if ((m.deletionGracePeriodSeconds ?? 0) > 0) return false;
    return r.strategy.finalized ? r.strategy.finalized(obj) : true;
  }

  /** Removes an object whose deletion is complete; re-checks after a concurrent write. Returns the last state, or undefined when it must stay. */
  private async completeDeletion(r: Resource, key: StoreKey, obj: KubeObject): Promise<KubeObject | undefined> {
    let cur = obj;
    for (let i = 0; i < 16; i++) {
      try {
        const last = await this.store.delete(key, { uid: cur.metadata?.uid, resourceVersion: cur.metadata?.resourceVersion });
        if (r.kind === NAMESPACE_KIND && r.group === '') this.namespaces.forget(key.name, last.metadata?.resourceVersion);
        return last;
      } catch (e) {
        if (isStoreError(e, 'NotFound')) return undefined;
        if (!isStoreError(e, 'Conflict')) throw e;
        try {
          cur = await this.store.get(key);
        } catch (e2) {
          if (isStoreError(e2, 'NotFound')) return undefined;
          throw e2;
        }
        if (!this.deletable(r, cur)) return undefined;
      }
    }
    return undefined;
  }

  // ---------------------------------------------------------------- apply

  /**
   * Create-or-update like `kubectl apply`: records the manifest (compact JSON, without
   * the record itself) in the `kubectl.kubernetes.io/last-applied-configuration`
   * annotation and merges three ways — fields dropped from the manifest since the last
   * apply are removed, fields others set (controllers, defaulting) survive. `unchanged`
   * when nothing was written.
   */
  async apply(input: ApiObject, opts: ServerCreateOptions = {}): Promise<ServerApplyResult> {
    const desired = this.scheme.toServed(copyIn(input as KubeObject));
    const r = this.resolve(desired.apiVersion, desired.kind);
    checkTypes(r.info, desired, 'body');
    desired.apiVersion = r.apiVersion;
    desired.kind = r.kind;
    const meta = metaOf(desired);
    if (r.namespaced) meta.namespace = meta.namespace || opts.namespace || 'default';
    else delete meta.namespace;
    for (const f of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink'] as const) delete meta[f];
    if (!meta.name) throw ApiError.invalid(r.kind, '', [fieldError.required('metadata.name', 'name is required for apply')], r.group);
    const recorded = withLastApplied(desired);
    const key = this.key(r, meta.namespace, meta.name);

    for (let attempt = 0; attempt < 8; attempt++) {
      let exists = true;
      try {
        await this.store.get(key);
      } catch (e) {
        if (!isStoreError(e, 'NotFound')) throw toApiError(e, this.subject(r, meta.name));
        exists = false;
      }
      if (!exists) {
        try {
          return { action: 'created', object: await this.create(recorded, opts) };
        } catch (e) {
          if (isApiError(e) && e.reason === 'AlreadyExists') continue;
          throw e;
        }
      }
      try {
        const out = await this.updateObject(r, key, {
          subresource: '',
          dryRun: opts.dryRun,
          build: (current) => {
            const previous = parseRecord(current.metadata?.annotations?.[LAST_APPLIED_ANNOTATION]);
            return threeWayApply(previous, recorded, current, r.apiVersion, r.kind);
          },
        });
        const changed = out.deleted || out.object.metadata?.resourceVersion !== out.old.metadata?.resourceVersion || (!!opts.dryRun && specOrMetaChanged(out.object, out.old));
        return { action: changed ? 'configured' : 'unchanged', object: out.object };
      } catch (e) {
        if (isApiError(e) && e.reason === 'NotFound') continue;
        throw e;
      }
    }
    throw ApiError.conflict(r.plural, meta.name, OBJECT_MODIFIED, r.group);
  }

  // ---------------------------------------------------------------- deletes

  /**
   * Deletes an object as upstream's generic registry does. Preconditions (uid,
   * resourceVersion) that do not hold are a 409. The propagation policy adds the
   * `orphan` (Orphan) or `foregroundDeletion` (Foreground) finalizer, Background removes
   * both; without a policy the object's own GC finalizer decides. Pods bound to a node
   * are deleted gracefully (deletionTimestamp = now + grace, from the option, else
   * `spec.terminationGracePeriodSeconds`, else 30 s) and stay until the node agent
   * deletes them with grace 0; a later delete may only shorten the grace period.
   * Objects with finalizers get a deletionTimestamp (grace 0) and stay until the last
   * finalizer is removed. Namespaces switch to phase Terminating and stay until
   * {@link finalizeNamespace}; `default`, `kube-system` and `kube-public` cannot be
   * deleted (403). Deleting an object already being deleted returns it unchanged.
   */
  async delete(apiVersion: string, kind: string, namespace: string, name: string, opts: ServerDeleteOptions = {}): Promise<DeleteResult> {
    const r = this.resolve(apiVersion, kind);
    const key = this.key(r, namespace, name);
    const subject = this.subject(r, name);
    if (r.kind === NAMESPACE_KIND && r.group === '' && IMMORTAL_NAMESPACES.has(name)) {
      throw ApiError.forbidden('namespaces', name, 'this namespace may not be deleted');
    }
    const dryRun = !!opts.dryRun;
    for (let attempt = 0; ; attempt++) {
      let current: KubeObject;
      try {
        current = await this.store.get(key);
      } catch (e) {
        throw toApiError(e, subject);
      }
      checkPreconditions(r, name, current, opts.preconditions);
      if (this.validating.length) await runValidating(this.validating, this.attrs(r, 'DELETE', '', current, undefined, dryRun));
      const cm = current.metadata ?? {};
      const plan = this.planDelete(r, clone(current), opts);
      if (dryRun || plan.action === 'none') return { object: plan.action === 'update' ? plan.object : current, deleted: false };
      try {
        if (plan.action === 'update') {
          const updated = await this.store.update(key, plan.object, { resourceVersion: cm.resourceVersion });
          if (r.kind === NAMESPACE_KIND && r.group === '') this.namespaces.observe(updated);
          return { object: updated, deleted: false };
        }
        const last = await this.store.delete(key, { uid: cm.uid, resourceVersion: cm.resourceVersion });
        if (r.kind === NAMESPACE_KIND && r.group === '') this.namespaces.forget(name, last.metadata?.resourceVersion);
        return { object: last, deleted: true };
      } catch (e) {
        // Someone wrote in between: decide again on the new state.
        if (isStoreError(e, 'Conflict') && attempt < 32) continue;
        throw toApiError(e, subject);
      }
    }
  }

  /** Decides what a delete does to `obj` (a copy it may change). */
  private planDelete(r: Resource, obj: KubeObject, opts: ServerDeleteOptions): { action: 'none' } | { action: 'delete' } | { action: 'update'; object: KubeObject } {
    const meta = metaOf(obj);
    const now = this.clock.now();
    const requested = opts.gracePeriodSeconds === undefined ? undefined : opts.gracePeriodSeconds < 0 ? 1 : Math.floor(opts.gracePeriodSeconds);
    const gc = gcFinalizers(meta.finalizers ?? [], opts.propagationPolicy);

    if (r.kind === NAMESPACE_KIND && r.group === '') {
      if (!meta.deletionTimestamp) {
        meta.deletionTimestamp = rfc3339(now);
        obj.status = { ...(isRecord(obj.status) ? obj.status : {}), phase: 'Terminating' };
        if (gc.changed) meta.finalizers = gc.finalizers;
        if (!meta.finalizers?.length) delete meta.finalizers;
        if (this.deletable(r, obj)) return { action: 'delete' };
        return { action: 'update', object: obj };
      }
      if (!this.deletable(r, { ...obj, metadata: { ...meta, finalizers: [] } })) return { action: 'none' };
    }

    if (meta.deletionTimestamp) {
      const pending = meta.deletionGracePeriodSeconds ?? 0;
      if (pending > 0) {
        // Graceful deletion under way: only a shorter grace period changes anything.
        if (requested === undefined || requested >= pending) return { action: 'none' };
        const start = Date.parse(meta.deletionTimestamp) - pending * 1000;
        meta.deletionTimestamp = rfc3339(start + requested * 1000);
        meta.deletionGracePeriodSeconds = requested;
        if (requested === 0 && !meta.finalizers?.length && (!r.strategy.finalized || r.strategy.finalized(obj))) return { action: 'delete' };
        return { action: 'update', object: obj };
      }
      if (gc.changed) {
        if (!gc.finalizers.length && (!r.strategy.finalized || r.strategy.finalized(obj))) return { action: 'delete' };
        meta.finalizers = gc.finalizers;
        return { action: 'update', object: obj };
      }
      if (this.deletable(r, obj)) return { action: 'delete' };
      return { action: 'none' };
    }

    const finalizers = gc.changed ? gc.finalizers : (meta.finalizers ?? []);
    const grace = r.strategy.gracePeriodSeconds?.(obj, requested);
    if (grace !== undefined && grace > 0) {
      markDeleting(meta, now + grace * 1000, grace);
      if (gc.changed) meta.finalizers = finalizers;
      return { action: 'update', object: obj };
    }
    if (finalizers.length) {
      markDeleting(meta, now, 0);
      meta.finalizers = finalizers;
      return { action: 'update', object: obj };
    }
    return { action: 'delete' };
  }

  /**
   * Deletes every object matching the selectors (in one namespace or all), each with
   * the same options as {@link delete}; objects that vanish meanwhile are skipped.
   * Returns what each delete returned.
   */
  async deleteCollection(apiVersion: string, kind: string, opts: ServerDeleteOptions & ServerListOptions = {}): Promise<ObjectList<KubeObject>> {
    const list = await this.list(apiVersion, kind, { namespace: opts.namespace, labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector });
    const items: KubeObject[] = [];
    for (const obj of list.items) {
      const m = obj.metadata ?? {};
      try {
        const res = await this.delete(apiVersion, kind, m.namespace ?? '', m.name ?? '', { ...opts, preconditions: opts.preconditions });
        items.push(res.object);
      } catch (e) {
        if (isApiError(e) && e.reason === 'NotFound') continue;
        throw e;
      }
    }
    return { ...list, items };
  }

  /**
   * The namespace `finalize` subresource: removes the `kubernetes` finalizer from
   * `spec.finalizers` and, when the namespace is being deleted and nothing else holds
   * it, deletes it. Called by the namespace controller once it has emptied the
   * namespace (until that controller exists, callers do it themselves). Returns the
   * namespace as it stands (its last state when deleted).
   */
  async finalizeNamespace(name: string): Promise<KubeObject> {
    const r = this.resolve('v1', NAMESPACE_KIND);
    const out = await this.updateObject(r, this.key(r, '', name), {
      subresource: 'finalize',
      skipPrepare: true,
      build: (current) => {
        const spec = (isRecord(current.spec) ? current.spec : (current.spec = {})) as { finalizers?: string[] };
        const rest = (spec.finalizers ?? []).filter((f) => f !== NAMESPACE_FINALIZER);
        if (rest.length) spec.finalizers = rest;
        else delete spec.finalizers;
        return current;
      },
    });
    return out.object;
  }

  // ---------------------------------------------------------------- subresources

  /** The autoscaling/v1 Scale of a Deployment, ReplicaSet, StatefulSet, ReplicationController or custom kind with a scale subresource. */
  async getScale(apiVersion: string, kind: string, namespace: string, name: string): Promise<Scale> {
    const r = this.resolve(apiVersion, kind);
    if (!r.info.scale) throw resourceNotFound();
    return toScale(r, await this.get(apiVersion, kind, namespace, name));
  }

  /**
   * Sets `spec.replicas` through the scale subresource. A `metadata.resourceVersion` on
   * the Scale is a precondition (409); negative replicas are a 422. Returns the new Scale.
   */
  async updateScale(apiVersion: string, kind: string, namespace: string, name: string, scale: Scale, opts: ServerWriteOptions = {}): Promise<Scale> {
    const r = this.resolve(apiVersion, kind);
    if (!r.info.scale) throw resourceNotFound();
    if (typeof scale !== 'object' || scale === null || Array.isArray(scale)) throw ApiError.badRequest('the request body must be a Scale object');
    const sname = scale.metadata?.name;
    if (sname && sname !== name) throw ApiError.badRequest(`the name of the object (${sname}) does not match the name on the URL (${name})`);
    validateScale(scale, name);
    const rv = scale.metadata?.resourceVersion;
    const out = await this.updateObject(r, this.key(r, namespace, name), {
      subresource: 'scale',
      preconditions: rv ? { resourceVersion: rv } : undefined,
      dryRun: opts.dryRun,
      build: (current) => {
        setScaleReplicas(r, current, scale);
        return current;
      },
    });
    return toScale(r, out.object);
  }

  /**
   * The pods/binding subresource: assigns a pod to a node by setting `spec.nodeName`.
   * 409 Conflict when the pod is already assigned (`pod x is already assigned to node
   * "y"`) or being deleted. Sets the PodScheduled=True condition in the same write, as
   * upstream's binding storage does.
   */
  async bind(namespace: string, podName: string, nodeName: string, opts: ServerWriteOptions = {}): Promise<KubeObject> {
    const r = this.resolve('v1', 'Pod');
    if (!nodeName) throw ApiError.invalid('Binding', podName, [fieldError.required('target.name')]);
    const out = await this.updateObject(r, this.key(r, namespace, podName), {
      subresource: 'binding',
      dryRun: opts.dryRun,
      serverBuilt: true,
      build: (pod) => {
        const spec = (isRecord(pod.spec) ? pod.spec : (pod.spec = {})) as { nodeName?: string; schedulingGates?: unknown[] };
        if (pod.metadata?.deletionTimestamp) throw ApiError.conflict('pods/binding', podName, `pod ${podName} is being deleted, cannot be assigned to a host`);
        if (spec.nodeName) throw ApiError.conflict('pods/binding', podName, `pod ${podName} is already assigned to node ${JSON.stringify(spec.nodeName)}`);
        if (Array.isArray(spec.schedulingGates) && spec.schedulingGates.length > 0) throw ApiError.conflict('pods/binding', podName, `pod ${podName} has non-empty .spec.schedulingGates`);
        spec.nodeName = nodeName;
        // As upstream's binding storage: the pod is marked scheduled in the same write.
        const status = (isRecord(pod.status) ? pod.status : (pod.status = {})) as { conditions?: Array<Record<string, unknown>> };
        const conditions = Array.isArray(status.conditions) ? status.conditions.filter((c) => c?.type !== 'PodScheduled') : [];
        const old = status.conditions?.find((c) => c?.type === 'PodScheduled');
        conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: old?.status === 'True' ? old.lastTransitionTime : this.timestamp(this.clock.now()) });
        status.conditions = conditions;
        return pod;
      },
    });
    return out.object;
  }
}

// ---------------------------------------------------------------- helpers

function stringOr(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function parseRecord(text: string | undefined): KubeObject | undefined {
  if (!text) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return isRecord(v) ? (v as KubeObject) : undefined;
  } catch {
    return undefined;
  }
}

function specOrMetaChanged(a: KubeObject, b: KubeObject): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}

/**
 * Fields a create request may not choose. Deletes only members that are there: a delete
 * of an absent member still costs a runtime call, and this runs on every create.
 */
function resetServerMetadata(meta: Meta): void {
  if ('uid' in meta) delete meta.uid;
  if ('resourceVersion' in meta) delete meta.resourceVersion;
  if ('creationTimestamp' in meta) delete meta.creationTimestamp;
  if ('deletionTimestamp' in meta) delete meta.deletionTimestamp;
  if ('deletionGracePeriodSeconds' in meta) delete meta.deletionGracePeriodSeconds;
  if ('generation' in meta) delete meta.generation;
  if ('selfLink' in meta) delete meta.selfLink;
}

/** Metadata an update may not change: taken from the stored object. */
function pinServerMetadata(meta: Meta, old: ObjectMeta): void {
  meta.name = old.name;
  if (old.namespace !== undefined) meta.namespace = old.namespace;
  else delete meta.namespace;
  // Absent stays absent, not a member holding undefined: the result may be handed back
  // as the caller's copy (an owned write), which must read like a parsed one.
  if (old.uid !== undefined) meta.uid = old.uid;
  else if ('uid' in meta) delete meta.uid;
  if (old.creationTimestamp !== undefined) meta.creationTimestamp = old.creationTimestamp;
  else if ('creationTimestamp' in meta) delete meta.creationTimestamp;
  if (old.resourceVersion !== undefined) meta.resourceVersion = old.resourceVersion;
  else if ('resourceVersion' in meta) delete meta.resourceVersion;
  if (old.generateName !== undefined && meta.generateName === undefined) meta.generateName = old.generateName;
  if (old.deletionTimestamp) meta.deletionTimestamp = old.deletionTimestamp;
  else delete meta.deletionTimestamp;
  if (old.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
  else delete meta.deletionGracePeriodSeconds;
  if (old.generation !== undefined) meta.generation = old.generation;
  else delete meta.generation;
}

function markDeleting(meta: Meta, at: number, grace: number): void {
  meta.deletionTimestamp = rfc3339(at);
  meta.deletionGracePeriodSeconds = grace;
  if (meta.generation !== undefined && meta.generation > 0) meta.generation++;
}

/**
 * The GC finalizers a delete leaves on an object (upstream's
 * deletionFinalizersForGarbageCollection with the default policy Background).
 */
function gcFinalizers(stored: unknown, policy: PropagationPolicy | undefined): { changed: boolean; finalizers: string[] } {
  const current = Array.isArray(stored) ? stored.filter((f): f is string => typeof f === 'string') : [];
  let orphan: boolean;
  let foreground: boolean;
  if (policy === 'Orphan') [orphan, foreground] = [true, false];
  else if (policy === 'Foreground') [orphan, foreground] = [false, true];
  else if (policy === 'Background') [orphan, foreground] = [false, false];
  else {
    const first = current.find((f) => f === FINALIZER_ORPHAN || f === FINALIZER_FOREGROUND);
    orphan = first === FINALIZER_ORPHAN;
    foreground = first === FINALIZER_FOREGROUND;
  }
  const next = current.filter((f) => f !== FINALIZER_ORPHAN && f !== FINALIZER_FOREGROUND);
  if (orphan) next.push(FINALIZER_ORPHAN);
  if (foreground) next.push(FINALIZER_FOREGROUND);
  const a = new Set(current);
  const b = new Set(next);
  const same = a.size === b.size && [...a].every((f) => b.has(f));
  return { changed: !same, finalizers: same ? current : next };
}

function checkPreconditions(r: Resource, name: string, obj: KubeObject, p: Preconditions | undefined): void {
  if (!p) return;
  const m = obj.metadata ?? {};
  if (p.uid && p.uid !== m.uid) {
    throw ApiError.conflict(r.plural, name, `Precondition failed: UID in precondition: ${p.uid}, UID in object meta: ${m.uid ?? ''}`, r.group);
  }
  if (p.resourceVersion && p.resourceVersion !== m.resourceVersion) throw ApiError.conflict(r.plural, name, OBJECT_MODIFIED, r.group);
}

function throwIfInvalid(r: Resource, obj: KubeObject, causes: FieldCause[]): void {
  if (causes.length) throw ApiError.invalid(r.kind, obj.metadata?.name ?? '', causes, r.group);
}

function toScale(r: Resource, obj: KubeObject): Scale {
  const sub = r.info.scale!;
  const m = obj.metadata ?? {};
  const metadata: Scale['metadata'] = { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp };
  if (!metadata.namespace) delete metadata.namespace;
  const specReplicas = getPath(obj, sub.specReplicasPath);
  const statusReplicas = getPath(obj, sub.statusReplicasPath);
  const selector = sub.labelSelectorPath ? selectorString(getPath(obj, sub.labelSelectorPath)) : '';
  const status: NonNullable<Scale['status']> = { replicas: typeof statusReplicas === 'number' ? statusReplicas : 0 };
  if (selector) status.selector = selector;
  return { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata, spec: { replicas: typeof specReplicas === 'number' ? specReplicas : 0 }, status };
}

function validateScale(scale: Scale, name: string): void {
  const replicas: unknown = scale.spec?.replicas;
  const causes: FieldCause[] = [];
  if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas))) causes.push(fieldError.typeInvalid('spec.replicas', replicas, 'must be an integer'));
  else if (typeof replicas === 'number' && replicas < 0) causes.push(fieldError.invalid('spec.replicas', replicas, 'must be greater than or equal to 0'));
  if (causes.length) throw ApiError.invalid('Scale', name, causes, 'autoscaling');
}

function checkScalePrecondition(r: Resource, current: KubeObject, scale: Scale): void {
  const rv = scale.metadata?.resourceVersion;
  if (rv && rv !== current.metadata?.resourceVersion) throw ApiError.conflict(r.plural, current.metadata?.name ?? '', OBJECT_MODIFIED, r.group);
}

function setScaleReplicas(r: Resource, obj: KubeObject, scale: Scale): void {
  validateScale(scale, obj.metadata?.name ?? '');
  setPath(obj as Record<string, unknown>, r.info.scale!.specReplicasPath, scale.spec?.replicas ?? 0);
}

/**
 * Creates an API server and starts it: the system namespaces exist when the promise
 * resolves. Stop it with {@link ApiServer.stop}.
 */
export async function createApiServer(opts: ApiServerOptions = {}): Promise<ApiServer> {
  const server = new ApiServer(opts);
  await server.start();
  return server;
}

