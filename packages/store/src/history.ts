import type { KubeObject } from '@bosun/api';
import { deepFreeze } from './deep-freeze';
import type { WatchEvent } from './types';
import type { Version } from './version';

/** What one committed write did to one key. */
export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * One committed write: the unit of the history, of MVCC reads at past revisions and of
 * watch fan-out. Watch events made from it are built once, frozen and shared by every
 * watcher that receives them.
 */
export class Change {
  private added?: WatchEvent;
  private modified?: WatchEvent;
  private deleted?: WatchEvent;

  constructor(
    readonly rev: number,
    /** The collection (resource) written. */
    readonly resource: string,
    /** The {@link indexKey} written. */
    readonly k: string,
    readonly namespace: string,
    readonly type: ChangeType,
    /** The state after the write; for DELETED the last state with the deletion's revision. */
    readonly cur: Version,
    /** The state before the write (undefined for ADDED). */
    readonly prev: Version | undefined,
  ) {}

  /** `ADDED` with the new state: a create, or an update that made the object match a filter. */
  addedEvent(): WatchEvent {
    return (this.added ??= Object.freeze({ type: 'ADDED', object: this.cur.frozen() }) as WatchEvent);
  }

  /** `MODIFIED` with the new state. */
  modifiedEvent(): WatchEvent {
    return (this.modified ??= Object.freeze({ type: 'MODIFIED', object: this.cur.frozen() }) as WatchEvent);
  }

  /**
   * `DELETED`: for a delete, the last state; for an update that made the object stop
   * matching a filter, the previous (matching) content, with this change's revision
   * either way, so a watcher can resume from it.
   */
  deletedEvent(): WatchEvent {
    if (this.deleted) return this.deleted;
    let object: KubeObject;
    if (this.type === 'DELETED') object = this.cur.frozen();
    else {
      const last = JSON.parse(this.prev!.json) as { metadata?: { resourceVersion?: string } };
      (last.metadata ??= {}).resourceVersion = String(this.rev);
      object = deepFreeze(last) as KubeObject;
    }
    return (this.deleted = Object.freeze({ type: 'DELETED', object }) as WatchEvent);
  }
}

/**
 * The log of committed writes, one per revision, from `compacted + 1` to the latest.
 * Revisions are dense (every write bumps the revision by exactly one), so a revision's
 * change is found by subtraction.
 */
export class History {
  private items: (Change | undefined)[] = [];
  private head = 0;

  /** Changes at or below this revision are forgotten; reads and watches from here on work. */
  compacted: number;

  constructor(start: number) {
    this.compacted = start;
  }

  /** Number of changes held. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Adds the change of the next revision. */
  append(change: Change): void {
    this.items.push(change);
  }

  /** The change at `rev`; only for `compacted < rev <= latest`. */
  at(rev: number): Change {
    return this.items[this.head + (rev - this.compacted - 1)]!;
  }

  /** The newest change (undefined when the log is empty). */
  last(): Change | undefined {
    return this.size ? this.items[this.items.length - 1] : undefined;
  }

  /** Forgets every change at or below `rev` (`rev` must not exceed the latest revision). */
  forgetThrough(rev: number): void {
    const n = Math.min(rev - this.compacted, this.size);
    if (n <= 0) return;
    for (let i = this.head; i < this.head + n; i++) this.items[i] = undefined;
    this.head += n;
    this.compacted = rev;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
