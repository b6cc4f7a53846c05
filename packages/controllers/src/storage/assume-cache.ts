// An overlay on an informer cache holding the objects this process just wrote, until the
// informer catches up (upstream's assume cache in the PV controller and the scheduler).
import type { ObjectMeta } from '@bosun/api';
import type { Lister } from './helpers';

/** True when resourceVersion `a` is newer than `b` (numeric revisions; unknown shapes are never newer). */
function newer(a: string | undefined, b: string | undefined): boolean {
  if (!a || !/^\d+$/.test(a)) return false;
  if (!b || !/^\d+$/.test(b)) return true;
  return BigInt(a) > BigInt(b);
}

/**
 * Reads through to `cache`, except for objects {@link AssumeCache.assume}d: those are
 * returned as written while the cache still holds an older resourceVersion. Binding
 * decisions made back to back therefore see each other's writes, so two claims are
 * never handed the same volume because the informer lagged. (Correctness does not rest
 * on it: every write carries the resourceVersion it was decided on, so a stale
 * decision fails with 409 Conflict.)
 */
export class AssumeCache<T extends { metadata?: ObjectMeta }> implements Lister<T> {
  private readonly assumed = new Map<string, T>();

  constructor(private readonly cache: Lister<T>) {}

  /** Records an update this process made (the API's answer, with its new resourceVersion). Only for objects that exist. */
  assume(key: string, obj: T): void {
    this.assumed.set(key, obj);
  }

  /** The freshest known object under `key`. */
  get(key: string): T | undefined {
    const cached = this.cache.get(key);
    const mine = this.assumed.get(key);
    if (!mine) return cached;
    // Only updates are assumed: an object gone from the cache was deleted.
    if (!cached || !newer(mine.metadata?.resourceVersion, cached.metadata?.resourceVersion)) {
      this.assumed.delete(key);
      return cached;
    }
    return mine;
  }

  /** Every cached object, assumed versions in place of older cached ones. */
  list(): T[] {
    const out: T[] = [];
    for (const key of this.cache.keys()) {
      const obj = this.get(key);
      if (obj) out.push(obj);
    }
    for (const key of [...this.assumed.keys()]) if (!this.cache.get(key)) this.assumed.delete(key);
    return out;
  }

  /** Every key of the underlying cache. */
  keys(): string[] {
    return this.cache.keys();
  }
}
