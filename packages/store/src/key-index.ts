import type { Version } from './version';

/** A live key and its latest version. `k` is the {@link indexKey} of the object. */
export interface Slot {
  readonly k: string;
  v: Version;
}

/**
 * The sort key of an object: namespace, NUL, name. Plain string comparison then orders
 * by namespace and then name, and one namespace is the range `[ns + '\0', ns + '\x01')`.
 */
export function indexKey(namespace: string, name: string): string {
  return `${namespace}\u0000${name}`;
}

/** The `[lo, hi)` key range of a namespace, or of everything when `namespace` is empty. */
export function namespaceRange(namespace: string | undefined): [string, string | undefined] {
  return namespace ? [`${namespace}\u0000`, `${namespace}\u0001`] : ['', undefined];
}

/** Changes applied one by one (binary search + splice) below this many; above, one sort-merge. */
const SMALL_BATCH = 32;

/**
 * The live objects of one collection: a map for point reads and a key-ordered array for
 * scans. Writes do not pay for order: creates that land at the end are appended,
 * others are parked and merged into the array on the next ordered read, so bulk loads
 * in any order cost one sort instead of one splice each.
 */
export class KeyIndex {
  private readonly slots = new Map<string, Slot>();
  private sorted: Slot[] = [];
  private readonly added = new Set<Slot>();
  private readonly removed = new Set<Slot>();

  /** Number of live keys. */
  get size(): number {
    return this.slots.size;
  }

  /** The slot of `k`, if live. */
  get(k: string): Slot | undefined {
    return this.slots.get(k);
  }

  /** Sets the version of `k`, adding the key when absent. */
  set(k: string, v: Version): void {
    const slot = this.slots.get(k);
    if (slot) slot.v = v;
    else this.add(k, v);
  }

  /** Adds `k`, which must be absent (a create, after its existence check): one lookup fewer than {@link set}. */
  add(k: string, v: Version): void {
    const fresh: Slot = { k, v };
    this.slots.set(k, fresh);
    const last = this.sorted[this.sorted.length - 1];
    if (this.added.size === 0 && (last === undefined || last.k < k)) this.sorted.push(fresh);
    else this.added.add(fresh);
  }

  /** Removes `k`; absent keys are ignored. */
  delete(k: string): void {
    const slot = this.slots.get(k);
    if (!slot) return;
    this.slots.delete(k);
    if (!this.added.delete(slot)) this.removed.add(slot);
  }

  /** Every live slot in key order. The array is the index's own: do not modify it. */
  ordered(): readonly Slot[] {
    if (this.added.size + this.removed.size > 0) this.flush();
    return this.sorted;
  }

  /** Index in {@link ordered} of the first key `>= k` (or `> k` when `exclusive`). */
  lowerBound(k: string, exclusive = false): number {
    const a = this.ordered();
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const mk = a[mid].k;
      if (mk < k || (exclusive && mk === k)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private flush(): void {
    if (this.added.size + this.removed.size <= SMALL_BATCH) {
      for (const slot of this.removed) this.sorted.splice(this.search(slot.k, slot), 1);
      for (const slot of this.added) this.sorted.splice(this.search(slot.k), 0, slot);
    } else {
      const kept = this.removed.size ? this.sorted.filter((s) => !this.removed.has(s)) : this.sorted;
      const extra = [...this.added].sort((a, b) => (a.k < b.k ? -1 : 1));
      this.sorted = merge(kept, extra);
    }
    this.added.clear();
    this.removed.clear();
  }

  /** Position of `slot` when given (it must be there), else the insertion point of `k`. */
  private search(k: string, slot?: Slot): number {
    const a = this.sorted;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid].k < k) lo = mid + 1;
      else hi = mid;
    }
    if (slot && a[lo] !== slot) throw new Error(`KeyIndex: slot ${JSON.stringify(k)} is missing from the order`);
    return lo;
  }
}

function merge(a: Slot[], b: Slot[]): Slot[] {
  if (b.length === 0) return a;
  const out: Slot[] = new Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let o = 0;
  while (i < a.length && j < b.length) out[o++] = a[i].k < b[j].k ? a[i++] : b[j++];
  while (i < a.length) out[o++] = a[i++];
  while (j < b.length) out[o++] = b[j++];
  return out;
}
