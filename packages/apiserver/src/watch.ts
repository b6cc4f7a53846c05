import { ApiError, type KubeObject } from '@bosun/api';
import { isStoreError, type ObjectStore, type Watch, type WatchEvent as StoreWatchEvent } from '@bosun/store';
import { toApiError, type ErrorSubject } from './errors';
import type { WatchEvent } from './client';

/** Options of {@link ApiServer.watch}. */
export interface ServerWatchOptions {
  /** Omit or `''` for all namespaces (and for cluster-scoped kinds). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Start after this revision; `''`/undefined/`'0'`: now, with initial ADDED events. */
  resourceVersion?: string;
  /** Force (true) or suppress (false) the initial ADDED events; by default sent when no resourceVersion is given. */
  sendInitialEvents?: boolean;
  allowWatchBookmarks?: boolean;
  signal?: AbortSignal;
}

/** What a watch needs from the server; `open` resolves the kind and may throw an ApiError. */
export interface WatchTarget {
  resource: string;
  namespace?: string;
  apiVersion: string;
  kind: string;
  subject: ErrorSubject;
}

interface WatchDeps {
  open(): WatchTarget;
  store: ObjectStore;
  onStart(w: ServerWatch): void;
  onEnd(w: ServerWatch): void;
}

/**
 * A watch as the API server serves it: an async iterable of `{ type, object }` with
 * apiVersion and kind set on every object (shared and frozen: copy before mutating).
 * One consumer: it is its own iterator, so iterating again continues the same stream.
 * Failures are thrown by the iteration as ApiErrors (410 Expired: relist, or resume from
 * the last resourceVersion seen when the watcher fell behind). Ends without error on
 * {@link stop}, when the signal aborts, and when the server stops.
 *
 * Written as a plain iterator over the store's watch (no async generator in between),
 * so each event costs one promise hop on the way to the consumer.
 */
export class ServerWatch implements AsyncIterableIterator<WatchEvent<KubeObject>> {
  /** Whether BOOKMARK events were asked for. */
  readonly bookmarks: boolean;
  private readonly ac = new AbortController();
  private readonly signal: AbortSignal;
  private unlink: (() => void) | undefined;
  private inner: Watch | undefined;
  private it: AsyncIterator<StoreWatchEvent> | undefined;
  private target: WatchTarget | undefined;
  private state: 'new' | 'open' | 'done' = 'new';

  constructor(
    private readonly opts: ServerWatchOptions,
    private readonly deps: WatchDeps,
  ) {
    this.bookmarks = !!opts.allowWatchBookmarks;
    this.signal = this.ac.signal;
  }

  /** Stops delivering; a pending `next()` resolves as done. Idempotent. */
  stop(): void {
    if (!this.ac.signal.aborted) this.ac.abort();
    this.inner?.stop();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<WatchEvent<KubeObject>>> {
    if (this.state === 'new') {
      try {
        this.open();
      } catch (e) {
        this.finish();
        return Promise.reject(toApiError(e));
      }
    }
    if (this.state === 'done' || !this.it) return Promise.resolve({ done: true, value: undefined });
    return this.it.next().then(this.onResult, this.onError);
  }

  return(): Promise<IteratorResult<WatchEvent<KubeObject>>> {
    this.stop();
    this.finish();
    return Promise.resolve({ done: true, value: undefined });
  }

  private open(): void {
    this.state = 'open';
    if (this.opts.signal?.aborted || this.signal.aborted) {
      this.state = 'done';
      return;
    }
    if (this.opts.signal) this.unlink = link(this.opts.signal, this);
    const target = (this.target = this.deps.open());
    const { opts } = this;
    const rv = opts.resourceVersion || undefined;
    const initial = opts.sendInitialEvents ?? (rv === undefined || rv === '0');
    const sw = this.deps.store.watch(
      { resource: target.resource, namespace: target.namespace },
      {
        resourceVersion: rv,
        sendInitialEvents: initial,
        allowBookmarks: this.bookmarks,
        labelSelector: opts.labelSelector || undefined,
        fieldSelector: opts.fieldSelector || undefined,
        signal: this.signal,
      },
    );
    this.inner = sw;
    this.it = sw[Symbol.asyncIterator]();
    this.deps.onStart(this);
  }

  private finish(): void {
    if (this.state === 'done') return;
    const wasOpen = this.state === 'open' && this.inner !== undefined;
    this.state = 'done';
    this.inner?.stop();
    this.unlink?.();
    this.unlink = undefined;
    if (wasOpen) this.deps.onEnd(this);
  }

  private readonly onResult = (r: IteratorResult<StoreWatchEvent>): IteratorResult<WatchEvent<KubeObject>> => {
    if (r.done) {
      this.finish();
      return { done: true, value: undefined };
    }
    const ev = r.value;
    if (ev.type === 'BOOKMARK') {
      const o = ev.object;
      const t = this.target!;
      return { done: false, value: { type: 'BOOKMARK', object: o.apiVersion && o.kind ? o : { ...o, apiVersion: t.apiVersion, kind: t.kind } } };
    }
    if (ev.type === 'ERROR') {
      this.finish();
      throw ApiError.fromStatus(ev.object as never);
    }
    return { done: false, value: ev };
  };

  private readonly onError = (e: unknown): IteratorResult<WatchEvent<KubeObject>> => {
    this.finish();
    if (this.signal.aborted && isStoreError(e, 'Closed')) return { done: true, value: undefined };
    throw toApiError(e, this.target?.subject);
  };
}

interface Relay {
  watches: Set<ServerWatch>;
  onAbort: () => void;
}
const relays = new WeakMap<AbortSignal, Relay>();

/**
 * Stops `w` when `signal` aborts, through one listener per signal however many watches
 * share it: informers commonly pass one signal to every watch, and a listener each would
 * trip Node's MaxListeners warning (AbortSignal.any would not, but leaks on Node 20
 * when the shared signal lives long). Returns the unlink function.
 */
function link(signal: AbortSignal, w: ServerWatch): () => void {
  let relay = relays.get(signal);
  if (!relay) {
    const watches = new Set<ServerWatch>();
    const onAbort = () => {
      relays.delete(signal);
      for (const x of watches) x.stop();
      watches.clear();
    };
    relay = { watches, onAbort };
    relays.set(signal, relay);
    signal.addEventListener('abort', onAbort, { once: true });
  }
  const r = relay;
  r.watches.add(w);
  return () => {
    r.watches.delete(w);
    if (r.watches.size === 0 && relays.get(signal) === r) {
      signal.removeEventListener('abort', r.onAbort);
      relays.delete(signal);
    }
  };
}
