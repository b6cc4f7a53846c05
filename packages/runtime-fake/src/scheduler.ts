import type { Clock, TimerHandle } from '@bosun/api';

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A scheduled event; `cancel()` is idempotent. */
export interface ScheduledEvent {
  cancel(): void;
}

/**
 * Many future events on one clock timer: a binary min-heap ordered by time (ties in the
 * order scheduled), with only the earliest event armed on the clock. Idle containers cost
 * nothing; 10,000 scheduled exits cost one clock timer.
 */
export class EventScheduler {
  private heap: Entry[] = [];
  private seq = 0;
  private armed: { handle: TimerHandle; at: number } | undefined;

  constructor(private readonly clock: Clock) {}

  /** Number of pending (not cancelled, not fired) events, counting lazily removed ones. */
  get size(): number {
    return this.heap.length;
  }

  /** Runs `fn` once at `at` (clock milliseconds); times in the past run on the next tick. */
  at(at: number, fn: () => void): ScheduledEvent {
    const e: Entry = { at, seq: this.seq++, fn, cancelled: false };
    this.push(e);
    this.arm();
    return { cancel: () => void (e.cancelled = true) };
  }

  /** Runs `fn` once after `ms`. */
  after(ms: number, fn: () => void): ScheduledEvent {
    return this.at(this.clock.now() + Math.max(0, ms), fn);
  }

  /** Cancels the clock timer and drops every event. */
  dispose(): void {
    if (this.armed) this.clock.clearTimeout(this.armed.handle);
    this.armed = undefined;
    this.heap = [];
  }

  private arm(): void {
    while (this.heap.length && this.heap[0]!.cancelled) this.pop();
    const next = this.heap[0];
    if (!next) {
      if (this.armed) this.clock.clearTimeout(this.armed.handle), (this.armed = undefined);
      return;
    }
    if (this.armed && this.armed.at <= next.at) return;
    if (this.armed) this.clock.clearTimeout(this.armed.handle);
    const handle = this.clock.setTimeout(() => this.fire(), next.at - this.clock.now());
    this.armed = { handle, at: next.at };
  }

  private fire(): void {
    this.armed = undefined;
    const now = this.clock.now();
    while (this.heap.length && this.heap[0]!.at <= now) {
      const e = this.pop()!;
      if (!e.cancelled) e.fn();
    }
    this.arm();
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
