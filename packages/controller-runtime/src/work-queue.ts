import type { Clock, TimerHandle } from '@bosun/api';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter';

/** What {@link WorkQueue.get} resolves to: a key to process, or word that the queue has shut down. */
export type WorkQueueItem<T> = { key: T; shutdown: false } | { key: undefined; shutdown: true };

/** Count, sum and maximum of a set of durations in milliseconds of clock time. */
export interface DurationSummary {
  count: number;
  sumMs: number;
  maxMs: number;
}

/**
 * A snapshot of a queue's counters (client-go's workqueue metrics), plain data the
 * manager can export (Prometheus) or a health check can read.
 */
export interface WorkQueueMetrics {
  name: string;
  /** Keys queued and waiting for a worker. */
  depth: number;
  /** Adds that were accepted (adds collapsed into an already-queued key do not count). */
  adds: number;
  /** Calls of {@link WorkQueue.addRateLimited}. */
  retries: number;
  /** Keys handed to a worker and not yet `done`. */
  inFlight: number;
  /** Keys waiting for their `addAfter` delay. */
  delayed: number;
  /** Time from being added to being handed to a worker. */
  queueLatency: DurationSummary;
  /** Time from being handed to a worker to `done`. */
  workDuration: DurationSummary;
  /** Summed running time of the keys in flight: grows when workers are stuck. */
  unfinishedWorkMs: number;
  /** Running time of the oldest key in flight (0 when none). */
  longestRunningProcessorMs: number;
}

/**
 * Callbacks for exporting the queue's measurements as they happen (histograms want
 * each observation, not only the sums in {@link WorkQueueMetrics}). Called
 * synchronously; they must be cheap and must not throw.
 */
export interface WorkQueueMetricsHooks {
  /** An add was accepted; `depth` is the queue length after it. */
  onAdd?(queue: string, depth: number): void;
  /** A key was handed to a worker after waiting `latencyMs`. */
  onGet?(queue: string, latencyMs: number, depth: number): void;
  /** A worker finished a key after `durationMs`. */
  onDone?(queue: string, durationMs: number): void;
  /** `addRateLimited` was called. */
  onRetry?(queue: string): void;
}

/** Options of {@link createWorkQueue}. */
export interface WorkQueueOptions<T> {
  /** Time source for `addAfter`, rate limits and metrics. */
  clock: Clock;
  /** Delays for {@link WorkQueue.addRateLimited}; {@link defaultControllerRateLimiter} by default. */
  rateLimiter?: RateLimiter<T>;
  /** Names the queue in metrics. Default `''`. */
  name?: string;
  metrics?: WorkQueueMetricsHooks;
}

/**
 * A rate-limited, delaying work queue with client-go's guarantees:
 *
 * - a key is never handed to two workers at once;
 * - adding a key that is already queued does nothing (duplicates collapse);
 * - adding a key while a worker holds it marks it dirty, and it is queued once more
 *   when the worker calls {@link WorkQueue.done};
 * - keys come out in the order they were first queued.
 *
 * Keys are compared with `Map` semantics (SameValueZero), so use strings or other
 * primitives. A worker loop:
 *
 * ```ts
 * for (;;) {
 *   const { key, shutdown } = await queue.get();
 *   if (shutdown) return;
 *   try { await reconcile(key); queue.forget(key); }
 *   catch { queue.addRateLimited(key); }
 *   finally { queue.done(key); }
 * }
 * ```
 */
export interface WorkQueue<T = string> {
  /** The name given in {@link WorkQueueOptions.name}, used in metrics. */
  readonly name: string;
  /** Queues `key` unless it is already queued; marks it dirty if a worker holds it. Ignored after shutdown. */
  add(key: T): void;
  /**
   * Adds `key` after `delayMs` of clock time (at once when `<= 0`). While a key waits,
   * a second `addAfter` only moves its time earlier, never later. Ignored after shutdown.
   */
  addAfter(key: T, delayMs: number): void;
  /** Adds `key` after the delay the rate limiter gives it (each call counts as one more failure). */
  addRateLimited(key: T): void;
  /** Resets the rate limiter's failure count for `key` (call after a success). Does not dequeue it. */
  forget(key: T): void;
  /** How many times `key` was rate limited since it was last forgotten. */
  numRequeues(key: T): number;
  /**
   * The next key, waiting for one if the queue is empty. The key belongs to the caller
   * until {@link WorkQueue.done}. Resolves `{ shutdown: true }` once the queue shuts
   * down; rejects with the signal's reason if `signal` aborts first (the queue then
   * hands that key to nobody).
   */
  get(signal?: AbortSignal): Promise<WorkQueueItem<T>>;
  /** Ends processing of `key`; requeues it if it was added meanwhile. Unknown keys are ignored. */
  done(key: T): void;
  /** Keys queued and waiting for a worker (not counting delayed or in-flight keys). */
  len(): number;
  /**
   * Stops the queue: adds are ignored from now on, delayed and queued keys are
   * dropped, waiting and later `get` calls resolve `{ shutdown: true }`. Workers
   * finish the keys they hold. Dropping is safe because reconcilers are
   * level-triggered: the next start lists everything again. Idempotent.
   */
  shutDown(): void;
  /** {@link WorkQueue.shutDown}, then resolves once every key in flight is `done`. */
  shutDownWithDrain(): Promise<void>;
  /** True once {@link WorkQueue.shutDown} or {@link WorkQueue.shutDownWithDrain} was called. */
  isShuttingDown(): boolean;
  /** The queue's counters at this moment. */
  metrics(): WorkQueueMetrics;
}

interface Getter<T> {
  resolve(item: WorkQueueItem<T>): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

interface Delayed<T> {
  key: T;
  readyAt: number;
  seq: number;
  index: number;
}

/** FIFO with O(1) amortized shift. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(v: T): void {
    this.items.push(v);
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head];
    this.items[this.head++] = undefined as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/** Min-heap of delayed keys by ready time, then by insertion order. */
class DelayHeap<T> {
  readonly items: Delayed<T>[] = [];
  private less(a: Delayed<T>, b: Delayed<T>): boolean {
    return a.readyAt < b.readyAt || (a.readyAt === b.readyAt && a.seq < b.seq);
  }
  peek(): Delayed<T> | undefined {
    return this.items[0];
  }
  push(e: Delayed<T>): void {
    e.index = this.items.length;
    this.items.push(e);
    this.up(e.index);
  }
  pop(): Delayed<T> | undefined {
    const top = this.items[0];
    if (!top) return undefined;
    const last = this.items.pop()!;
    if (last !== top) {
      this.items[0] = last;
      last.index = 0;
      this.down(0);
    }
    return top;
  }
  /** Restores order after `e.readyAt` decreased. */
  decreased(e: Delayed<T>): void {
    this.up(e.index);
  }
  private up(i: number): void {
    const a = this.items;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i], a[p])) break;
      this.swap(i, p);
      i = p;
    }
  }
  private down(i: number): void {
    const a = this.items;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && this.less(a[l], a[m])) m = l;
      if (r < a.length && this.less(a[r], a[m])) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
  private swap(i: number, j: number): void {
    const a = this.items;
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
    a[i].index = i;
    a[j].index = j;
  }
}

const emptySummary = (): DurationSummary => ({ count: 0, sumMs: 0, maxMs: 0 });

function observe(s: DurationSummary, ms: number): void {
  s.count++;
  s.sumMs += ms;
  if (ms > s.maxMs) s.maxMs = ms;
}

/**
 * A new {@link WorkQueue} on `clock`. With the default rate limiter, repeated
 * `addRateLimited` of one key waits 5 ms, 10 ms, 20 ms … up to 1000 s, and all keys
 * together are held to 10 per second after a burst of 100.
 */
export function createWorkQueue<T = string>(opts: WorkQueueOptions<T>): WorkQueue<T> {
  const { clock } = opts;
  const name = opts.name ?? '';
  const limiter = opts.rateLimiter ?? defaultControllerRateLimiter<T>({ clock });
  const hooks = opts.metrics ?? {};

  const queue = new Fifo<T>();
  const dirty = new Set<T>();
  /** key → when a worker took it. */
  const processing = new Map<T, number>();
  /** key → when it was first added since it was last handed out (queue latency). */
  const addTimes = new Map<T, number>();
  const getters = new Fifo<Getter<T>>();
  const delayed = new Map<T, Delayed<T>>();
  const heap = new DelayHeap<T>();
  let delaySeq = 0;
  let timer: TimerHandle | undefined;
  let timerAt = 0;
  let shuttingDown = false;
  let drainWaiters: (() => void)[] = [];

  let adds = 0;
  let retries = 0;
  const queueLatency = emptySummary();
  const workDuration = emptySummary();

  function take(key: T): void {
    const now = clock.now();
    processing.set(key, now);
    dirty.delete(key);
    const added = addTimes.get(key);
    addTimes.delete(key);
    const latency = added === undefined ? 0 : now - added;
    observe(queueLatency, latency);
    hooks.onGet?.(name, latency, queue.length);
  }

  /** Makes `key` available to a worker: hands it straight to a waiting getter or queues it. */
  function enqueue(key: T): void {
    const g = getters.shift();
    if (g) {
      if (g.onAbort) g.signal!.removeEventListener('abort', g.onAbort);
      take(key);
      g.resolve({ key, shutdown: false });
      return;
    }
    queue.push(key);
  }

  function add(key: T): void {
    if (shuttingDown || dirty.has(key)) return;
    adds++;
    if (!addTimes.has(key)) addTimes.set(key, clock.now());
    dirty.add(key);
    if (!processing.has(key)) enqueue(key);
    hooks.onAdd?.(name, queue.length);
  }

  function schedule(): void {
    const top = heap.peek();
    if (!top) {
      if (timer) clock.clearTimeout(timer);
      timer = undefined;
      return;
    }
    if (timer && timerAt === top.readyAt) return;
    if (timer) clock.clearTimeout(timer);
    timerAt = top.readyAt;
    timer = clock.setTimeout(fire, Math.max(0, top.readyAt - clock.now()));
  }

  function fire(): void {
    // A real timer may fire a millisecond before Date.now() says it is due.
    const due = Math.max(clock.now(), timerAt);
    timer = undefined;
    for (let top = heap.peek(); top && top.readyAt <= due; top = heap.peek()) {
      heap.pop();
      delayed.delete(top.key);
      add(top.key);
    }
    if (!shuttingDown) schedule();
  }

  function addAfter(key: T, delayMs: number): void {
    if (shuttingDown) return;
    if (!(delayMs > 0)) return add(key);
    const readyAt = clock.now() + delayMs;
    const existing = delayed.get(key);
    if (existing) {
      if (readyAt >= existing.readyAt) return;
      existing.readyAt = readyAt;
      heap.decreased(existing);
    } else {
      const e: Delayed<T> = { key, readyAt, seq: delaySeq++, index: 0 };
      delayed.set(key, e);
      heap.push(e);
    }
    schedule();
  }

  function stop(): void {
    if (shuttingDown) return;
    shuttingDown = true;
    if (timer) clock.clearTimeout(timer);
    timer = undefined;
    delayed.clear();
    heap.items.length = 0;
    while (queue.length > 0) {
      const k = queue.shift() as T;
      dirty.delete(k);
      addTimes.delete(k);
    }
    queue.clear();
    for (let g = getters.shift(); g; g = getters.shift()) {
      if (g.onAbort) g.signal!.removeEventListener('abort', g.onAbort);
      g.resolve({ key: undefined, shutdown: true });
    }
  }

  function notifyDrained(): void {
    if (processing.size > 0 || drainWaiters.length === 0) return;
    const ws = drainWaiters;
    drainWaiters = [];
    for (const w of ws) w();
  }

  return {
    name,
    add,
    addAfter,
    addRateLimited(key) {
      if (shuttingDown) return;
      retries++;
      hooks.onRetry?.(name);
      addAfter(key, limiter.when(key));
    },
    forget(key) {
      limiter.forget(key);
    },
    numRequeues(key) {
      return limiter.numRequeues(key);
    },
    get(signal) {
      if (queue.length > 0) {
        const key = queue.shift() as T;
        take(key);
        return Promise.resolve({ key, shutdown: false });
      }
      if (shuttingDown) return Promise.resolve({ key: undefined, shutdown: true });
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<WorkQueueItem<T>>((resolve, reject) => {
        const g: Getter<T> = { resolve };
        if (signal) {
          g.signal = signal;
          g.onAbort = () => {
            removeGetter(g);
            reject(signal.reason);
          };
          signal.addEventListener('abort', g.onAbort, { once: true });
        }
        getters.push(g);
      });
    },
    done(key) {
      const started = processing.get(key);
      if (started === undefined) return;
      processing.delete(key);
      const ms = clock.now() - started;
      observe(workDuration, ms);
      hooks.onDone?.(name, ms);
      if (dirty.has(key)) {
        if (shuttingDown) {
          dirty.delete(key);
          addTimes.delete(key);
        } else enqueue(key);
      }
      notifyDrained();
    },
    len() {
      return queue.length;
    },
    shutDown: stop,
    shutDownWithDrain() {
      stop();
      return new Promise<void>((resolve) => {
        drainWaiters.push(resolve);
        notifyDrained();
      });
    },
    isShuttingDown() {
      return shuttingDown;
    },
    metrics() {
      const now = clock.now();
      let unfinished = 0;
      let longest = 0;
      for (const started of processing.values()) {
        unfinished += now - started;
        longest = Math.max(longest, now - started);
      }
      return {
        name,
        depth: queue.length,
        adds,
        retries,
        inFlight: processing.size,
        delayed: delayed.size,
        queueLatency: { ...queueLatency },
        workDuration: { ...workDuration },
        unfinishedWorkMs: unfinished,
        longestRunningProcessorMs: longest,
      };
    },
  };

  function removeGetter(g: Getter<T>): void {
    const rest: Getter<T>[] = [];
    for (let x = getters.shift(); x; x = getters.shift()) if (x !== g) rest.push(x);
    for (const x of rest) getters.push(x);
  }
}
