import type { Clock } from '@bosun/api';
import { ControllerRuntimeError } from './errors';

/**
 * Decides how long a work-queue item waits before it is retried, client-go's
 * `workqueue.RateLimiter`. Used by {@link WorkQueue.addRateLimited}.
 */
export interface RateLimiter<T = string> {
  /**
   * The delay in milliseconds before `item` may be processed again. Each call counts as
   * one more failure of `item` (it is not idempotent).
   */
  when(item: T): number;
  /** Stops tracking `item`: its next failure starts from the first delay again. Idempotent. */
  forget(item: T): void;
  /** How many times `item` has been rate limited since it was last forgotten. */
  numRequeues(item: T): number;
}

/** Options of {@link createItemExponentialFailureRateLimiter}. */
export interface ItemExponentialFailureOptions {
  /** The delay after the first failure. Default 5 ms. */
  baseDelayMs?: number;
  /** The largest delay. Default 1000 s. */
  maxDelayMs?: number;
}

/**
 * Per-item exponential backoff: `baseDelayMs × 2^failures`, capped at `maxDelayMs`
 * (client-go default: 5 ms, 10 ms, 20 ms … up to 1000 s). Each item counts its own
 * failures until {@link RateLimiter.forget}.
 */
export function createItemExponentialFailureRateLimiter<T = string>(opts: ItemExponentialFailureOptions = {}): RateLimiter<T> {
  const base = opts.baseDelayMs ?? 5;
  const max = opts.maxDelayMs ?? 1_000_000;
  const failures = new Map<T, number>();
  return {
    when(item) {
      const exp = failures.get(item) ?? 0;
      failures.set(item, exp + 1);
      // 2^exp overflows to Infinity long before it could lose precision below the cap.
      const delay = base * 2 ** exp;
      return Number.isFinite(delay) && delay < max ? delay : max;
    },
    forget(item) {
      failures.delete(item);
    },
    numRequeues(item) {
      return failures.get(item) ?? 0;
    },
  };
}

/** Options of {@link createItemFastSlowRateLimiter}. */
export interface ItemFastSlowOptions {
  /** Delay of the first `maxFastAttempts` failures. */
  fastDelayMs: number;
  /** Delay of every later failure. */
  slowDelayMs: number;
  /** How many attempts get the fast delay before every further one gets the slow delay. */
  maxFastAttempts: number;
}

/** `fastDelayMs` for the first `maxFastAttempts` failures of an item, then `slowDelayMs` (client-go's `ItemFastSlowRateLimiter`). */
export function createItemFastSlowRateLimiter<T = string>(opts: ItemFastSlowOptions): RateLimiter<T> {
  const failures = new Map<T, number>();
  return {
    when(item) {
      const n = (failures.get(item) ?? 0) + 1;
      failures.set(item, n);
      return n <= opts.maxFastAttempts ? opts.fastDelayMs : opts.slowDelayMs;
    },
    forget(item) {
      failures.delete(item);
    },
    numRequeues(item) {
      return failures.get(item) ?? 0;
    },
  };
}

/** Options of {@link createBucketRateLimiter}. */
export interface BucketRateLimiterOptions {
  /** Time source for refilling the bucket. */
  clock: Clock;
  /** Tokens added per second. Default 10. */
  qps?: number;
  /** Bucket size, which is also how many tokens it starts with. Default 100. */
  burst?: number;
}

/**
 * An overall token bucket shared by all items (client-go's `BucketRateLimiter`, over
 * `golang.org/x/time/rate`): the first `burst` calls return 0, later ones are spaced
 * `1/qps` seconds apart. Every call reserves a token, even one in the future, so
 * callers that honour the delay never exceed `qps` on average. Counts no per-item
 * failures: `numRequeues` is always 0 and `forget` does nothing.
 */
export function createBucketRateLimiter<T = string>(opts: BucketRateLimiterOptions): RateLimiter<T> {
  const qps = opts.qps ?? 10;
  const burst = opts.burst ?? 100;
  if (!(qps > 0)) throw new ControllerRuntimeError('InvalidArgument', `bucket rate limiter: qps must be > 0, got ${qps}`);
  const { clock } = opts;
  let tokens = burst;
  let last = clock.now();
  return {
    when() {
      const now = clock.now();
      if (now > last) {
        tokens = Math.min(burst, tokens + ((now - last) / 1000) * qps);
        last = now;
      }
      tokens -= 1;
      if (tokens >= 0) return 0;
      // Subtract a hair so that float error (0.1 qps steps) does not round 100 up to 101.
      return Math.max(0, Math.ceil((-tokens * 1000) / qps - 1e-9));
    },
    forget() {},
    numRequeues() {
      return 0;
    },
  };
}

/**
 * The longest delay any of `limiters` asks for (client-go's `MaxOfRateLimiter`). Every
 * limiter is consulted on every call, so each keeps its own count; `numRequeues` is
 * the largest count any of them reports.
 */
export function createMaxOfRateLimiter<T = string>(...limiters: RateLimiter<T>[]): RateLimiter<T> {
  return {
    when(item) {
      let max = 0;
      for (const l of limiters) max = Math.max(max, l.when(item));
      return max;
    },
    forget(item) {
      for (const l of limiters) l.forget(item);
    },
    numRequeues(item) {
      let max = 0;
      for (const l of limiters) max = Math.max(max, l.numRequeues(item));
      return max;
    },
  };
}

/**
 * client-go's `DefaultControllerRateLimiter`: the larger of per-item exponential backoff
 * (5 ms doubling to 1000 s) and an overall token bucket (10 qps, burst 100) on `clock`.
 */
export function defaultControllerRateLimiter<T = string>(opts: { clock: Clock }): RateLimiter<T> {
  return createMaxOfRateLimiter<T>(
    createItemExponentialFailureRateLimiter<T>({ baseDelayMs: 5, maxDelayMs: 1_000_000 }),
    createBucketRateLimiter<T>({ clock: opts.clock, qps: 10, burst: 100 }),
  );
}
