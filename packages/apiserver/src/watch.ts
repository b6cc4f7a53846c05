import { ApiError, type KubeObject } from '@bosun/api';
import { isStoreError, type ObjectStore, type Watch } from '@bosun/store';
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
 * One consumer: iterating again continues the same stream. Failures are thrown by the
 * iteration as ApiErrors (410 Expired: relist, or resume from the last resourceVersion
 * seen when the watcher fell behind). Ends without error on {@link stop}, when the
 * signal aborts, and when the server stops.
 */
export class ServerWatch implements AsyncIterable<WatchEvent<KubeObject>> {
  /** Whether BOOKMARK events were asked for. */
  readonly bookmarks: boolean;
  private readonly ac = new AbortController();
  private inner: Watch | undefined;
  private iterator: AsyncGenerator<WatchEvent<KubeObject>> | undefined;
  private readonly unlink: (() => void) | undefined;

  constructor(
    private readonly opts: ServerWatchOptions,
    private readonly deps: WatchDeps,
  ) {
    this.bookmarks = !!opts.allowWatchBookmarks;
    const signal = opts.signal;
    if (signal) {
      if (signal.aborted) this.ac.abort();
      else {
        const onAbort = () => this.stop();
        signal.addEventListener('abort', onAbort, { once: true });
        this.unlink = () => signal.removeEventListener('abort', onAbort);
      }
    }
  }

  /** Stops delivering; a pending `next()` resolves as done. Idempotent. */
  stop(): void {
    if (!this.ac.signal.aborted) this.ac.abort();
    this.inner?.stop();
    this.unlink?.();
  }

  [Symbol.asyncIterator](): AsyncGenerator<WatchEvent<KubeObject>> {
    return (this.iterator ??= this.run());
  }

  private async *run(): AsyncGenerator<WatchEvent<KubeObject>> {
    if (this.ac.signal.aborted) return;
    let target: WatchTarget;
    try {
      target = this.deps.open();
    } catch (e) {
      throw toApiError(e);
    }
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
        signal: this.ac.signal,
      },
    );
    this.inner = sw;
    this.deps.onStart(this);
    try {
      for await (const ev of sw) {
        if (ev.type === 'BOOKMARK') {
          const o = ev.object;
          yield { type: 'BOOKMARK', object: o.apiVersion && o.kind ? o : { ...o, apiVersion: target.apiVersion, kind: target.kind } };
        } else if (ev.type === 'ERROR') {
          throw ApiError.fromStatus(ev.object as never);
        } else {
          yield ev;
        }
      }
    } catch (e) {
      if (this.ac.signal.aborted && isStoreError(e, 'Closed')) return;
      throw toApiError(e, target.subject);
    } finally {
      sw.stop();
      this.unlink?.();
      this.deps.onEnd(this);
    }
  }
}
