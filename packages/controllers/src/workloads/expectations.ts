import type { Clock } from '@bosun/api';

/** Upstream's ExpectationsTimeout: expectations older than this are ignored (a lost watch event must not stall a controller forever). */
export const EXPECTATIONS_TTL_MS = 5 * 60_000;

interface Record {
  add: number;
  /** Keys of pods whose deletion is still to be observed (UID-tracking, so a pod counts once). */
  deletes: Set<string>;
  timestamp: number;
}

/**
 * Creations and deletions a controller has asked for and not yet seen in its caches,
 * per controller key (upstream's UIDTrackingControllerExpectations). A controller must
 * not act on its cache for a key while expectations are pending: a slow watch would
 * make it create (or delete) the same pods twice. Expectations expire after
 * {@link EXPECTATIONS_TTL_MS} of clock time.
 */
export class ControllerExpectations {
  private readonly records = new Map<string, Record>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = EXPECTATIONS_TTL_MS,
  ) {}

  /** True when nothing is pending for `key`, or its expectations expired. */
  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.add <= 0 && r.deletes.size === 0) return true;
    return this.clock.now() - r.timestamp > this.ttlMs;
  }

  /** Milliseconds until `key`'s pending expectations expire (0 when satisfied). */
  remainingMs(key: string): number {
    const r = this.records.get(key);
    if (!r || this.satisfied(key)) return 0;
    return Math.max(1, r.timestamp + this.ttlMs + 1 - this.clock.now());
  }

  /** Replaces `key`'s expectations: `adds` creations and the deletion of the pods keyed `deleteKeys`. */
  expect(key: string, adds: number, deleteKeys: readonly string[] = []): void {
    this.records.set(key, { add: adds, deletes: new Set(deleteKeys), timestamp: this.clock.now() });
  }

  /** One creation for `key` was seen (or will never happen: a failed or skipped create). */
  creationObserved(key: string): void {
    const r = this.records.get(key);
    if (r) r.add--;
  }

  /** The deletion of pod `podKey` for `key` was seen (or failed). Counting the same pod twice is harmless. */
  deletionObserved(key: string, podKey: string): void {
    this.records.get(key)?.deletes.delete(podKey);
  }

  /** Forgets `key` (its object was deleted). */
  delete(key: string): void {
    this.records.delete(key);
  }

  /** Pending creations and deletions of `key`, for tests and debugging. */
  pending(key: string): { add: number; del: number } | undefined {
    const r = this.records.get(key);
    return r && { add: r.add, del: r.deletes.size };
  }
}
