import { RealClock, type Clock, type KubeObject, type TimerHandle } from '@bosun/api';
import { decodeContinue, encodeContinue } from './continue-token';
import { deepFreeze } from './deep-freeze';
import { CONFLICT_MESSAGE, CONTINUE_EXPIRED_MESSAGE, StoreError, isStoreError, tooOldResourceVersion } from './errors';
import { compileFilter } from './filter';
import { Change, History } from './history';
import { KeyIndex, indexKey, namespaceRange } from './key-index';
import { MemoryWatch, type WatchHost } from './memory-watch';
import { parseResourceVersion, requestedRevision } from './resource-version';
import type { ListOptions, ListResult, ObjectStore, Preconditions, StoreKey, StorePrefix, Watch, WatchEvent, WatchOptions, WriteOptions } from './types';
import { Version, labelsOf } from './version';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * How many writes the store remembers (default 100,000): watches resume, lists read
   * at past revisions and continue tokens work within this window; older revisions fail
   * with `Expired`. The window also holds the states those writes replaced, so memory
   * grows with it. `0` keeps no history (only the latest revision is readable).
   */
  historySize?: number;
  /**
   * Events a watch may hold unread before it is closed with `Expired` (default 10,000).
   * Initial events (`sendInitialEvents`) and history a watch catches up on do not count.
   */
  watchBufferSize?: number;
  /** When set, every watch with `allowBookmarks` receives a BOOKMARK this often. */
  bookmarkIntervalMs?: number;
  /** Time source for `bookmarkIntervalMs` (default: {@link RealClock}). */
  clock?: Clock;
}

/** The revision of an empty store (as in etcd); the first write is revision 2. */
const INITIAL_REVISION = 1;
const DEFAULT_HISTORY_SIZE = 100_000;
const DEFAULT_WATCH_BUFFER_SIZE = 10_000;

interface Collection {
  readonly resource: string;
  readonly index: KeyIndex;
  /** Watches that are live (receive each commit). */
  readonly live: Set<MemoryWatch>;
  /** apiVersion and kind of the last object written, for bookmark objects. */
  apiVersion?: string;
  kind?: string;
  lastBookmark?: WatchEvent;
}

/**
 * The in-memory {@link ObjectStore}: the default backend, and the reference the
 * conformance suite is checked against. Single-threaded and synchronous inside: every
 * write commits, and is pushed into the buffers of live watches, during the call, before
 * its promise is returned; writers never wait for watchers.
 *
 * Storage: each object is kept as its JSON text plus its labels and uid; writes
 * serialize their input, so no caller object is ever retained, and reads hand out fresh
 * copies (parsed from the text, or cloned from the frozen copy when there is one).
 * Writes with `owned` return the object they were given (its resourceVersion set)
 * instead of parsing a copy: a write then costs one `JSON.stringify` and no parse.
 *
 * Sharing: a deep-frozen parsed copy of a version is made on first need (watch events,
 * field selectors) and kept with it. Watch events are built once per change, frozen,
 * and the same event object goes to every watch that receives it: never mutate one.
 *
 * History (MVCC): the last `historySize` writes are kept with the states they replaced.
 * A list at revision R is the latest state with the writes after R undone; a watch from
 * R replays them; anything older fails with `Expired`.
 */
export class MemoryStore implements ObjectStore {
  private revision = INITIAL_REVISION;
  private readonly history = new History(INITIAL_REVISION);
  private readonly collections = new Map<string, Collection>();
  private readonly watches = new Set<MemoryWatch>();
  private readonly historySize: number;
  private readonly watchBufferSize: number;
  private readonly clock: Clock | undefined;
  private readonly bookmarkIntervalMs: number | undefined;
  private timer: TimerHandle | undefined;
  private closed = false;
  private readonly host: WatchHost;

  constructor(opts: MemoryStoreOptions = {}) {
    this.historySize = nonNegative('historySize', opts.historySize ?? DEFAULT_HISTORY_SIZE);
    this.watchBufferSize = Math.max(1, nonNegative('watchBufferSize', opts.watchBufferSize ?? DEFAULT_WATCH_BUFFER_SIZE));
    const store = this;
    this.host = {
      get revision() {
        return store.revision;
      },
      history: this.history,
      register: (w) => void this.watches.add(w),
      attach: (w) => void this.collection(w.spec.resource).live.add(w),
      detach: (w) => {
        this.watches.delete(w);
        this.collections.get(w.spec.resource)?.live.delete(w);
      },
      bookmark: (resource, rev, initialEventsEnd) => this.bookmark(resource, rev, initialEventsEnd),
    };
    if (opts.bookmarkIntervalMs !== undefined && opts.bookmarkIntervalMs > 0) {
      this.bookmarkIntervalMs = opts.bookmarkIntervalMs;
      this.clock = opts.clock ?? new RealClock();
      this.armBookmarkTimer();
    }
  }

  async create<T extends KubeObject>(key: StoreKey, obj: T, opts?: WriteOptions): Promise<T> {
    this.assertOpen();
    const k = checkKey(key);
    const col = this.collection(key.resource);
    if (col.index.get(k)) throw new StoreError('AlreadyExists', `${describe(key)} already exists`);
    const rev = this.revision + 1;
    const owned = opts?.owned === true;
    const json = owned ? encodeOwned(key, obj, String(rev)) : encode(key, obj, String(rev));
    const v = new Version(rev, json, labelsOf(obj, json), uidOf(obj));
    col.index.add(k, v);
    noteType(col, obj);
    this.commit(col, new Change(rev, col.resource, k, key.namespace, 'ADDED', v, undefined));
    return owned ? obj : v.copy<T>();
  }

  async get<T extends KubeObject>(key: StoreKey): Promise<T> {
    this.assertOpen();
    return this.locate(key).slot.v.copy<T>();
  }

  async list<T extends KubeObject>(prefix: StorePrefix, opts: ListOptions = {}): Promise<ListResult<T>> {
    this.assertOpen();
    checkPrefix(prefix);
    const namespace = prefix.namespace || '';
    const filter = compileFilter(opts);
    let at: number;
    let after: string | undefined;
    if (opts.continue) {
      if (requestedRevision(opts.resourceVersion) !== undefined) {
        throw new StoreError('BadRequest', 'specifying resourceVersion is not allowed when using continue');
      }
      const token = decodeContinue(opts.continue);
      if (token.resource !== prefix.resource || token.namespace !== namespace) {
        throw new StoreError('InvalidContinue', `continue key is not valid: it was issued for another list (${token.resource} in ${JSON.stringify(token.namespace)})`);
      }
      if (token.rev > this.revision) throw new StoreError('InvalidContinue', 'continue key is not valid: its revision is in the future');
      if (token.rev < this.history.compacted) {
        throw new StoreError('Expired', CONTINUE_EXPIRED_MESSAGE, { continue: encodeContinue({ ...token, rev: this.revision }) });
      }
      at = token.rev;
      after = token.after;
    } else {
      at = this.readableRevision(opts.resourceVersion);
    }
    const limit = opts.limit !== undefined && opts.limit > 0 ? Math.floor(opts.limit) : 0;
    const items: T[] = [];
    let last = '';
    let more = false;
    let remaining = 0;
    this.scan(prefix.resource, namespace, at, after, (k, v) => {
      if (filter && !filter(v)) return true;
      if (limit && items.length >= limit) {
        more = true;
        remaining++;
        return !filter; // counting what remains is cheap only without a filter
      }
      items.push(v.copy<T>());
      last = k;
      return true;
    });
    const result: ListResult<T> = { items, resourceVersion: String(at) };
    if (more) {
      result.continue = encodeContinue({ resource: prefix.resource, namespace, rev: at, after: last });
      if (!filter) result.remainingItemCount = remaining;
    }
    return result;
  }

  async update<T extends KubeObject>(key: StoreKey, obj: T, preconditions?: Preconditions, opts?: WriteOptions): Promise<T> {
    this.assertOpen();
    const { col, k, slot } = this.locate(key);
    checkPreconditions(slot.v, preconditions);
    return this.replace(col, key, k, slot.v, obj, opts?.owned === true);
  }

  async guaranteedUpdate<T extends KubeObject>(key: StoreKey, tryUpdate: (current: T) => T | Promise<T>, preconditions?: Preconditions, opts?: WriteOptions): Promise<T> {
    for (;;) {
      this.assertOpen();
      const { col, k, slot } = this.locate(key);
      const seen = slot.v;
      checkPreconditions(seen, preconditions);
      const next = await tryUpdate(seen.copy<T>());
      this.assertOpen();
      // Another write landed while tryUpdate ran: run it again on the new state.
      if (col.index.get(k)?.v !== seen) continue;
      return this.replace(col, key, k, seen, next, opts?.owned === true);
    }
  }

  async delete<T extends KubeObject>(key: StoreKey, preconditions?: Preconditions): Promise<T> {
    this.assertOpen();
    const { col, k, slot } = this.locate(key);
    const prev = slot.v;
    checkPreconditions(prev, preconditions);
    const rev = this.revision + 1;
    const last = prev.copy<T>();
    ((last.metadata ??= {}) as { resourceVersion?: string }).resourceVersion = String(rev);
    const v = new Version(rev, JSON.stringify(last), prev.labels, prev.uid);
    col.index.delete(k);
    this.commit(col, new Change(rev, col.resource, k, key.namespace, 'DELETED', v, prev));
    return last;
  }

  watch<T extends KubeObject>(prefix: StorePrefix, opts: WatchOptions = {}): Watch<T> {
    const w = new MemoryWatch<T>(this.host, {
      resource: prefix?.resource,
      namespace: prefix?.namespace || undefined,
      allowBookmarks: opts.allowBookmarks === true,
      bufferSize: this.watchBufferSize,
      signal: opts.signal,
    });
    try {
      this.assertOpen();
      checkPrefix(prefix);
      const filter = compileFilter(opts);
      const from = this.readableRevision(opts.resourceVersion);
      let initial: Version[] | undefined;
      if (opts.sendInitialEvents) {
        initial = [];
        const into = initial;
        this.scan(prefix.resource, prefix.namespace || '', from, undefined, (_k, v) => {
          if (!filter || filter(v)) into.push(v);
          return true;
        });
      }
      w.start(from, filter, initial);
    } catch (e) {
      w.fail(isStoreError(e) ? e : new StoreError('Internal', String(e), { cause: e }));
    }
    return w;
  }

  async currentRevision(): Promise<string> {
    this.assertOpen();
    return String(this.revision);
  }

  async compact(revision: string): Promise<void> {
    this.assertOpen();
    const rev = parseResourceVersion(revision, 'compaction revision');
    if (rev > this.revision) throw new StoreError('TooLargeResourceVersion', `cannot compact to revision ${rev}: the current revision is ${this.revision}`);
    this.history.forgetThrough(rev);
  }

  requestProgress(): void {
    for (const w of this.watches) w.progress(false);
  }

  async count(resource: string): Promise<number> {
    this.assertOpen();
    return this.collections.get(resource)?.index.size ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) this.clock!.clearTimeout(this.timer);
    for (const w of [...this.watches]) w.stop();
    this.watches.clear();
    this.collections.clear();
    this.history.forgetThrough(this.revision);
  }

  /** The oldest revision still readable (reads and watches from older ones fail with `Expired`). */
  get compactedRevision(): string {
    return String(this.history.compacted);
  }

  /** Number of watches open. */
  get watchCount(): number {
    return this.watches.size;
  }

  private commit(col: Collection, change: Change): void {
    this.revision = change.rev;
    this.history.append(change);
    const excess = this.history.size - this.historySize;
    if (excess > 0) this.history.forgetThrough(this.history.compacted + excess);
    if (col.live.size) for (const w of col.live) w.offer(change);
  }

  /**
   * Writes `obj` over `cur` unless it changes nothing; returns the caller's copy (`obj`
   * itself, its resourceVersion set, when `owned`).
   */
  private replace<T extends KubeObject>(col: Collection, key: StoreKey, k: string, cur: Version, obj: T, owned: boolean): T {
    const encodeAt = owned ? encodeOwned : encode;
    const same = encodeAt(key, obj, String(cur.rev));
    if (same === cur.json) return owned ? obj : cur.copy<T>();
    const rev = this.revision + 1;
    const json = encodeAt(key, obj, String(rev));
    const v = new Version(rev, json, labelsOf(obj, json), uidOf(obj));
    col.index.set(k, v);
    noteType(col, obj);
    this.commit(col, new Change(rev, col.resource, k, key.namespace, 'MODIFIED', v, cur));
    return owned ? obj : v.copy<T>();
  }

  /**
   * Calls `visit` for each object under `resource`/`namespace` as of revision `at`, in
   * key order, starting after key `after`; stops when `visit` returns false. A past
   * revision is served by undoing, key by key, the writes made since.
   */
  private scan(resource: string, namespace: string, at: number, after: string | undefined, visit: (k: string, v: Version) => boolean): void {
    const col = this.collections.get(resource);
    if (!col) return;
    const [lo, hi] = namespaceRange(namespace);
    const from = after !== undefined && after >= lo ? after : undefined;
    const slots = col.index.ordered();
    let i = from === undefined ? col.index.lowerBound(lo) : col.index.lowerBound(from, true);
    if (at === this.revision) {
      for (; i < slots.length; i++) {
        const slot = slots[i];
        if (hi !== undefined && slot.k >= hi) return;
        if (!visit(slot.k, slot.v)) return;
      }
      return;
    }
    // The state at `at` of every key written since: walking back, the earliest write wins.
    const undo = new Map<string, Version | undefined>();
    for (let rev = this.revision; rev > at; rev--) {
      const change = this.history.at(rev);
      if (change.resource === resource) undo.set(change.k, change.prev);
    }
    const gone: string[] = [];
    for (const k of undo.keys()) {
      if (!col.index.get(k) && k >= lo && (hi === undefined || k < hi) && (from === undefined || k > from)) gone.push(k);
    }
    gone.sort();
    let j = 0;
    for (;;) {
      const slot = i < slots.length && (hi === undefined || slots[i].k < hi) ? slots[i] : undefined;
      const other = j < gone.length ? gone[j] : undefined;
      let k: string;
      let v: Version | undefined;
      if (slot && (other === undefined || slot.k < other)) {
        k = slot.k;
        v = undo.has(k) ? undo.get(k) : slot.v;
        i++;
      } else if (other !== undefined) {
        k = other;
        v = undo.get(k);
        j++;
      } else return;
      if (v && !visit(k, v)) return;
    }
  }

  /** The revision a read option names, checked against the history window. */
  private readableRevision(rv: string | undefined): number {
    const rev = requestedRevision(rv);
    if (rev === undefined) return this.revision;
    if (rev > this.revision) throw new StoreError('TooLargeResourceVersion', `Too large resource version: ${rev}, current: ${this.revision}`);
    if (rev < this.history.compacted) throw tooOldResourceVersion(rev, this.history.compacted);
    return rev;
  }

  private locate(key: StoreKey): { col: Collection; k: string; slot: NonNullable<ReturnType<KeyIndex['get']>> } {
    const k = checkKey(key);
    const col = this.collections.get(key.resource);
    const slot = col?.index.get(k);
    if (!col || !slot) throw new StoreError('NotFound', `${describe(key)} not found`);
    return { col, k, slot };
  }

  private collection(resource: string): Collection {
    let col = this.collections.get(resource);
    if (!col) this.collections.set(resource, (col = { resource, index: new KeyIndex(), live: new Set() }));
    return col;
  }

  private bookmark(resource: string, rev: number, initialEventsEnd: boolean): WatchEvent {
    const col = this.collections.get(resource);
    const cached = col?.lastBookmark;
    if (!initialEventsEnd && cached && cached.object.metadata?.resourceVersion === String(rev)) return cached;
    const object: KubeObject = {};
    if (col?.apiVersion) object.apiVersion = col.apiVersion;
    if (col?.kind) object.kind = col.kind;
    object.metadata = { resourceVersion: String(rev) };
    if (initialEventsEnd) object.metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
    const event = deepFreeze<WatchEvent>({ type: 'BOOKMARK', object });
    if (!initialEventsEnd && col) col.lastBookmark = event;
    return event;
  }

  private armBookmarkTimer(): void {
    this.timer = this.clock!.setTimeout(() => {
      if (this.closed) return;
      for (const w of this.watches) w.progress(true);
      this.armBookmarkTimer();
    }, this.bookmarkIntervalMs!);
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('Closed', 'the store is closed');
  }
}

/** Creates an empty in-memory store; see {@link MemoryStore} and {@link MemoryStoreOptions}. */
export function createMemoryStore(opts?: MemoryStoreOptions): MemoryStore {
  return new MemoryStore(opts);
}

function nonNegative(name: string, n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`MemoryStore: ${name} must be a non-negative integer, got ${n}`);
  return n;
}

/** `pods "web-1"`, `deployments.apps "web"`: how Kubernetes names an object in messages. */
function describe(key: StoreKey): string {
  const slash = key.resource.indexOf('/');
  const resource = slash < 0 ? key.resource : `${key.resource.slice(slash + 1)}.${key.resource.slice(0, slash)}`;
  return `${resource} ${JSON.stringify(key.name)}`;
}

function checkKey(key: StoreKey): string {
  if (
    !key ||
    typeof key.resource !== 'string' ||
    key.resource === '' ||
    typeof key.name !== 'string' ||
    key.name === '' ||
    typeof key.namespace !== 'string' ||
    key.name.includes('\u0000') ||
    key.namespace.includes('\u0000')
  ) {
    throw new StoreError('BadRequest', `invalid store key ${JSON.stringify(key)}: resource and name must be non-empty strings, namespace a string`);
  }
  return indexKey(key.namespace, key.name);
}

function checkPrefix(prefix: StorePrefix): void {
  if (!prefix || typeof prefix.resource !== 'string' || prefix.resource === '' || (prefix.namespace !== undefined && typeof prefix.namespace !== 'string')) {
    throw new StoreError('BadRequest', `invalid store prefix ${JSON.stringify(prefix)}: resource must be a non-empty string`);
  }
}

function checkPreconditions(cur: Version, pre: Preconditions | undefined): void {
  if (!pre) return;
  if (pre.resourceVersion) {
    const rev = parseResourceVersion(pre.resourceVersion, 'precondition resourceVersion');
    if (rev !== cur.rev) throw new StoreError('Conflict', CONFLICT_MESSAGE);
  }
  if (pre.uid && pre.uid !== cur.uid) {
    throw new StoreError('Conflict', `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.uid ?? ''}`);
  }
}

/** The JSON text to store: `obj` with `metadata.resourceVersion = rv`, checked against the key. */
function encode(key: StoreKey, obj: KubeObject, rv: string): string {
  const meta = checkObject(key, obj);
  return serialize(key, { ...obj, metadata: { ...meta, resourceVersion: rv } });
}

/**
 * Like {@link encode} for an object the caller handed over (`owned`): sets
 * `metadata.resourceVersion` on `obj` itself instead of serializing a shallow copy, so
 * `obj` is then exactly what the JSON holds.
 */
function encodeOwned(key: StoreKey, obj: KubeObject, rv: string): string {
  checkObject(key, obj);
  ((obj.metadata ??= {}) as { resourceVersion?: string }).resourceVersion = rv;
  return serialize(key, obj);
}

/** Checks that `obj` is an object whose metadata agrees with the key; returns the metadata. */
function checkObject(key: StoreKey, obj: KubeObject): KubeObject['metadata'] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new StoreError('BadRequest', `${describe(key)}: the object must be a JSON object`);
  const meta = obj.metadata;
  if (meta !== undefined && (meta === null || typeof meta !== 'object')) throw new StoreError('BadRequest', `${describe(key)}: metadata must be an object`);
  if (meta?.name !== undefined && meta.name !== key.name) {
    throw new StoreError('BadRequest', `${describe(key)}: metadata.name ${JSON.stringify(meta.name)} does not match the key`);
  }
  if (meta?.namespace !== undefined && meta.namespace !== key.namespace) {
    throw new StoreError('BadRequest', `${describe(key)}: metadata.namespace ${JSON.stringify(meta.namespace)} does not match the key's ${JSON.stringify(key.namespace)}`);
  }
  return meta;
}

function serialize(key: StoreKey, value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (e) {
    throw new StoreError('BadRequest', `${describe(key)}: the object cannot be serialized to JSON: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

function uidOf(obj: KubeObject): string | undefined {
  const uid = obj.metadata?.uid;
  return typeof uid === 'string' ? uid : undefined;
}

function noteType(col: Collection, obj: KubeObject): void {
  if (typeof obj.apiVersion === 'string') col.apiVersion = obj.apiVersion;
  if (typeof obj.kind === 'string') col.kind = obj.kind;
}
