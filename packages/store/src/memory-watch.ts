import type { KubeObject } from '@bosun/api';
import { StoreError, tooOldResourceVersion } from './errors';
import type { VersionFilter } from './filter';
import type { Change, History } from './history';
import { Queue } from './queue';
import type { Watch, WatchEvent } from './types';
import type { Version } from './version';

/** What a {@link MemoryWatch} needs from its store. */
export interface WatchHost {
  /** The latest committed revision. */
  readonly revision: number;
  readonly history: History;
  /** Counts the watch as open (for close and requestProgress). */
  register(w: MemoryWatch): void;
  /** Starts pushing every committed change of the watch's resource to {@link MemoryWatch.offer}. */
  attach(w: MemoryWatch): void;
  /** Stops pushing and forgets the watch; idempotent. */
  detach(w: MemoryWatch): void;
  /** A shared frozen BOOKMARK event at `rev` for a resource. */
  bookmark(resource: string, rev: number, initialEventsEnd: boolean): WatchEvent;
}

/** The fixed parameters of one watch. */
export interface WatchSpec {
  resource: string;
  /** undefined = all namespaces. */
  namespace: string | undefined;
  allowBookmarks: boolean;
  /** Events that may wait unread before the watch is closed with `Expired`. */
  bufferSize: number;
  signal: AbortSignal | undefined;
}

interface Waiter {
  resolve(result: IteratorResult<WatchEvent>): void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * One watch on a {@link MemoryStore}, in one of two modes:
 *
 * - live: the store calls {@link offer} synchronously as each write commits; matching
 *   events go into a bounded buffer, or straight to a consumer waiting in `next()`.
 *   When the buffer is full the watch stops receiving and, once the consumer has read
 *   everything buffered, fails with `Expired`: writers never wait for a reader.
 * - catching up: started at (or fallen back to) a past revision, it reads the store's
 *   history itself, a batch at a time, only when its consumer asks for more; once it
 *   reaches the latest revision it goes live. History compacted past it → `Expired`.
 *
 * `sendInitialEvents` snapshots are kept as a list of versions and turned into ADDED
 * events one by one as they are read, so they never count against the buffer.
 */
export class MemoryWatch<T extends KubeObject = KubeObject> implements Watch<T>, AsyncIterator<WatchEvent<T>> {
  private readonly buffer = new Queue<WatchEvent>();
  private readonly waiters: Waiter[] = [];
  private filter: VersionFilter | undefined;
  private initial: readonly Version[] | undefined;
  private initialAt = 0;
  private initialEnd: WatchEvent | undefined;
  /** Every change up to this revision has been considered. */
  private cursor = 0;
  private live = false;
  private failure: StoreError | undefined;
  private ended = false;
  private progressWanted = false;
  private readonly onAbort = () => this.stop();

  constructor(
    private readonly host: WatchHost,
    readonly spec: WatchSpec,
  ) {
    if (spec.signal?.aborted) this.ended = true;
    else spec.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Begins delivering changes after `from` (validated by the store), after `initial` when given. */
  start(from: number, filter: VersionFilter | undefined, initial: readonly Version[] | undefined): void {
    if (this.ended) return;
    this.host.register(this);
    this.filter = filter;
    this.cursor = from;
    if (initial) {
      this.initial = initial;
      if (this.spec.allowBookmarks) this.initialEnd = this.host.bookmark(this.spec.resource, from, true);
    }
    if (from === this.host.revision) this.goLive();
  }

  /** Makes the first read fail with `error` (for options the store rejected). */
  fail(error: StoreError): void {
    if (!this.ended) this.failure = error;
  }

  /** A committed change of the watched resource; only called while live. */
  offer(change: Change): void {
    this.cursor = change.rev;
    const event = this.eventFor(change);
    if (!event) return;
    if (this.waiters.length) this.waiters.shift()!.resolve({ done: false, value: event });
    else if (this.buffer.length < this.spec.bufferSize) this.buffer.push(event);
    else this.overflow(change.rev);
  }

  /**
   * Queues a BOOKMARK at the latest revision, when this watch asked for bookmarks. While
   * catching up it is sent on going live; `periodic` ones are skipped then, and when the
   * last queued event is already a bookmark at that revision.
   */
  progress(periodic: boolean): void {
    if (!this.spec.allowBookmarks || this.ended || this.failure) return;
    if (!this.live) {
      if (!periodic) this.progressWanted = true;
      return;
    }
    const rev = this.host.revision;
    if (periodic) {
      const last = this.buffer.peekLast();
      if (last?.type === 'BOOKMARK' && last.object.metadata?.resourceVersion === String(rev)) return;
    }
    const event = this.host.bookmark(this.spec.resource, rev, false);
    if (this.waiters.length) this.waiters.shift()!.resolve({ done: false, value: event });
    else if (this.buffer.length < this.spec.bufferSize) this.buffer.push(event);
    else this.overflow(rev);
  }

  /** Ends the iteration; buffered events are dropped. Idempotent. */
  stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.live = false;
    this.host.detach(this);
    this.buffer.clear();
    this.initial = undefined;
    this.initialEnd = undefined;
    this.failure = undefined;
    this.spec.signal?.removeEventListener('abort', this.onAbort);
    for (const w of this.waiters.splice(0)) w.resolve(DONE);
  }

  /** The next event; waits for one when none is queued. Rejects once with the error that ended the watch. */
  next(): Promise<IteratorResult<WatchEvent<T>>> {
    if (this.waiters.length === 0) {
      const result = this.pull();
      if (result instanceof StoreError) return Promise.reject(result);
      if (result) return Promise.resolve(result as IteratorResult<WatchEvent<T>>);
    }
    return new Promise((resolve) => this.waiters.push({ resolve: resolve as Waiter['resolve'] }));
  }

  /** Called by `for await` on `break`: stops the watch. */
  return(): Promise<IteratorResult<WatchEvent<T>>> {
    this.stop();
    return Promise.resolve(DONE);
  }

  /** The watch is its own (single) iterator. */
  [Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    return this;
  }

  /** The next thing to hand out, or undefined when the consumer has to wait. */
  private pull(): IteratorResult<WatchEvent> | StoreError | undefined {
    for (;;) {
      if (this.ended) return DONE;
      if (this.initial) {
        if (this.initialAt < this.initial.length) {
          const object = this.initial[this.initialAt++].frozen();
          return { done: false, value: Object.freeze({ type: 'ADDED', object }) };
        }
        this.initial = undefined;
        if (this.initialEnd) {
          const end = this.initialEnd;
          this.initialEnd = undefined;
          return { done: false, value: end };
        }
      }
      if (this.buffer.length) return { done: false, value: this.buffer.shift() };
      if (this.failure) {
        const failure = this.failure;
        this.stop();
        return failure;
      }
      if (this.live) return undefined;
      this.catchUp();
    }
  }

  /** Reads the next batch of history into the buffer; goes live on reaching the latest revision. */
  private catchUp(): void {
    const history = this.host.history;
    if (this.cursor < history.compacted) {
      this.failure = tooOldResourceVersion(this.cursor, history.compacted);
      return;
    }
    const end = Math.min(this.host.revision, this.cursor + Math.max(1, this.spec.bufferSize));
    for (let rev = this.cursor + 1; rev <= end; rev++) {
      const change = history.at(rev);
      if (change.resource !== this.spec.resource) continue;
      const event = this.eventFor(change);
      if (event) this.buffer.push(event);
    }
    this.cursor = end;
    if (end === this.host.revision) this.goLive();
  }

  private goLive(): void {
    this.live = true;
    this.host.attach(this);
    if (this.progressWanted) {
      this.progressWanted = false;
      this.buffer.push(this.host.bookmark(this.spec.resource, this.host.revision, false));
    }
  }

  private overflow(rev: number): void {
    this.live = false;
    this.host.detach(this);
    this.failure = new StoreError(
      'Expired',
      `watcher fell behind: ${this.spec.bufferSize} events were waiting to be read at revision ${rev}; resume from the last resourceVersion received`,
    );
  }

  /** The event this watch sees for a change, with Kubernetes' filter transitions. */
  private eventFor(change: Change): WatchEvent | undefined {
    if (this.spec.namespace !== undefined && change.namespace !== this.spec.namespace) return undefined;
    const filter = this.filter;
    switch (change.type) {
      case 'ADDED':
        return !filter || filter(change.cur) ? change.addedEvent() : undefined;
      case 'DELETED':
        return !filter || filter(change.prev!) ? change.deletedEvent() : undefined;
      case 'MODIFIED': {
        if (!filter) return change.modifiedEvent();
        const now = filter(change.cur);
        const before = filter(change.prev!);
        if (now) return before ? change.modifiedEvent() : change.addedEvent();
        return before ? change.deletedEvent() : undefined;
      }
    }
  }
}
