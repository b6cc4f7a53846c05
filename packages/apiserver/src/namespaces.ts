import { ApiError, type KubeObject } from '@bosun/api';
import { isStoreError, type ObjectStore, type Watch } from '@bosun/store';
import { toApiError } from './errors';

/** The namespaces every server creates at start. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;
/** Namespaces that can never be deleted (upstream's NamespaceLifecycle "immortal" set). */
export const IMMORTAL_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public']);

const NAMESPACES = 'namespaces';

interface NsState {
  terminating: boolean;
  /** A tombstone: the namespace was deleted at `rv` (older news about it is ignored). */
  gone?: boolean;
  rv: bigint;
}

/**
 * The NamespaceLifecycle admission check: creates into a missing namespace fail with 404,
 * into a terminating one with 403. Keeps a cache so the hot path does no store read:
 * filled on first use by a live read, kept current by this server's own namespace writes
 * (synchronously) and by a watch (for writes by other servers sharing the store). A
 * stale entry can let a create slip into a namespace that another server just started
 * terminating, as upstream's cache can; the namespace controller cleans such objects up.
 */
export class NamespaceLifecycle {
  private readonly cache = new Map<string, NsState>();
  private watch: Watch | undefined;
  private stopped = false;

  constructor(private readonly store: ObjectStore) {}

  /** Starts following namespace changes from `revision`; restarts by itself after errors. */
  start(revision: string): void {
    if (this.stopped) return;
    void this.follow(revision);
  }

  stop(): void {
    this.stopped = true;
    this.watch?.stop();
  }

  /**
   * Throws the ApiError upstream returns for a create of `resource` into `namespace`.
   * Synchronous (undefined) when the cache knows the namespace; a promise otherwise.
   */
  checkCreate(namespace: string, resource: string, group: string, name: string): void | Promise<void> {
    const st = this.cache.get(namespace);
    if (st && !st.gone) return this.verdict(st, namespace, resource, group, name);
    return this.lookup(namespace).then((live) => this.verdict(live, namespace, resource, group, name));
  }

  private async lookup(namespace: string): Promise<NsState> {
    try {
      const live = await this.store.get({ resource: NAMESPACES, namespace: '', name: namespace });
      const st = this.observe(live) ?? { terminating: false, rv: 0n };
      // A tombstone newer than what we just read: trust the read (the watch lags).
      return st.gone ? (this.observe(live, true) ?? st) : st;
    } catch (e) {
      if (isStoreError(e, 'NotFound')) throw ApiError.notFound(NAMESPACES, namespace);
      throw toApiError(e, { resource: NAMESPACES, group: '', name: namespace });
    }
  }

  private verdict(st: NsState, namespace: string, resource: string, group: string, name: string): void {
    if (!st.terminating) return;
    const err = ApiError.forbidden(resource, name, `unable to create new content in namespace ${namespace} because it is being terminated`, group);
    err.details.kind = NAMESPACES;
    err.details.name = namespace;
    err.details.causes = [{ reason: 'NamespaceTerminating', field: 'metadata.namespace', message: `namespace ${namespace} is being terminated` }];
    throw err;
  }

  /** Records the state of a namespace this server just wrote or read. */
  observe(ns: KubeObject, force = false): NsState | undefined {
    const name = ns.metadata?.name;
    if (!name) return undefined;
    const rv = parseRv(ns.metadata?.resourceVersion);
    const prev = this.cache.get(name);
    if (!force && prev && rv <= prev.rv && (prev.gone || rv < prev.rv)) return prev;
    const st: NsState = { terminating: !!ns.metadata?.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating', rv };
    this.cache.set(name, st);
    return st;
  }

  /** Records that a namespace was deleted at revision `resourceVersion`. */
  forget(name: string, resourceVersion?: string): void {
    const rv = parseRv(resourceVersion);
    const prev = this.cache.get(name);
    if (prev && rv < prev.rv) return;
    this.cache.set(name, { terminating: false, gone: true, rv });
  }

  private async follow(revision: string): Promise<void> {
    let from = revision;
    while (!this.stopped) {
      const w = (this.watch = this.store.watch({ resource: NAMESPACES }, { resourceVersion: from }));
      try {
        for await (const ev of w) {
          from = ev.object.metadata?.resourceVersion ?? from;
          if (ev.type === 'DELETED') this.forget(ev.object.metadata?.name ?? '', ev.object.metadata?.resourceVersion);
          else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.observe(ev.object);
        }
        return; // stopped or store closed
      } catch (e) {
        if (this.stopped || isStoreError(e, 'Closed')) return;
        // Fell behind or history compacted: start over from now, refilling lazily.
        this.cache.clear();
        try {
          from = await this.store.currentRevision();
        } catch {
          return;
        }
      }
    }
  }
}

function parseRv(rv: string | undefined): bigint {
  if (!rv || !/^\d+$/.test(rv)) return 0n;
  return BigInt(rv);
}
