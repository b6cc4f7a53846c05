import { ControllerRuntimeError } from './errors';

/**
 * A sequence of retry delays. Stateful: each {@link Backoff.next} call moves one step
 * along the sequence, and {@link Backoff.reset} starts it over after a success. One
 * instance serves one retrying loop; do not share an instance between loops.
 */
export interface Backoff {
  /** The delay in milliseconds to wait before the next attempt; advances the sequence. */
  next(): number;
  /** Starts the sequence over from its first delay. Call it once an attempt succeeds. */
  reset(): void;
}

/**
 * Parameters of {@link createExponentialBackoff}, shaped like apimachinery's
 * `wait.Backoff`.
 */
export interface ExponentialBackoffOptions {
  /** The first delay, in milliseconds. */
  durationMs: number;
  /** Each delay is the previous one times this (`1` or `0`: constant). Default 2. */
  factor?: number;
  /**
   * Adds a random `[0, jitter × delay)` on top of each delay, so that many clients
   * failing together do not retry together. Default 0 (no jitter).
   */
  jitter?: number;
  /**
   * How many times the delay grows; after that it stays where it is. Default
   * `Infinity` (grows until `capMs`).
   */
  steps?: number;
  /**
   * The most the un-jittered delay grows to; reaching it stops the growth. Jitter is
   * added on top, as upstream does. Default `Infinity`.
   */
  capMs?: number;
  /** Random source in `[0, 1)` for the jitter; inject it for deterministic tests. Default `Math.random`. */
  random?: () => number;
}

/**
 * `ms` plus a random `[0, maxFactor × ms)`: apimachinery's `wait.Jitter`. A
 * `maxFactor` of 0 or less returns `ms` unchanged.
 */
export function jitter(ms: number, maxFactor: number, random: () => number = Math.random): number {
  if (maxFactor <= 0) return ms;
  return ms + random() * maxFactor * ms;
}

/**
 * Exponential backoff with optional jitter, the semantics of apimachinery's
 * `wait.Backoff.Step()`: the first call returns `durationMs` (jittered); each later call
 * returns the previous un-jittered delay times `factor`, until `steps` run out or the
 * delay reaches `capMs`, after which it stays constant (still jittered).
 *
 * ```ts
 * const b = createExponentialBackoff({ durationMs: 800, factor: 2, jitter: 1, capMs: 30_000 });
 * await clock.sleep(b.next());   // 800 ms…1600 ms, then 1.6 s…3.2 s, …
 * ```
 */
export function createExponentialBackoff(opts: ExponentialBackoffOptions): Backoff {
  const factor = opts.factor ?? 2;
  const jit = opts.jitter ?? 0;
  const steps = opts.steps ?? Infinity;
  const cap = opts.capMs ?? Infinity;
  const random = opts.random ?? Math.random;
  if (!(opts.durationMs >= 0)) throw new ControllerRuntimeError('InvalidArgument', `backoff: durationMs must be >= 0, got ${opts.durationMs}`);
  let duration = Math.min(opts.durationMs, cap);
  let left = steps;
  return {
    next() {
      if (left < 1) return jitter(duration, jit, random);
      left--;
      const current = duration;
      if (factor !== 0) {
        duration = duration * factor;
        if (duration >= cap) {
          duration = cap;
          left = 0;
        }
      }
      return jitter(current, jit, random);
    },
    reset() {
      duration = Math.min(opts.durationMs, cap);
      left = steps;
    },
  };
}

/**
 * The backoff informers use between failed list/watch attempts, client-go's reflector
 * defaults: 800 ms doubling to 30 s, each delay jittered by up to 100 %.
 */
export const INFORMER_BACKOFF: Readonly<Required<Omit<ExponentialBackoffOptions, 'random'>>> = Object.freeze({
  durationMs: 800,
  factor: 2,
  jitter: 1,
  steps: Infinity,
  capMs: 30_000,
});

/** A fresh {@link Backoff} with the {@link INFORMER_BACKOFF} parameters and an optional random source. */
export function informerBackoff(random?: () => number): Backoff {
  return createExponentialBackoff({ ...INFORMER_BACKOFF, random });
}
