import type { Clock } from '@bosun/api';

/** Options of {@link createRestartBackoff}. */
export interface RestartBackoffOptions {
  clock: Clock;
  /** First delay. Default 10 s (upstream's kubelet). */
  initialMs?: number;
  /** Cap. Default 5 min. */
  maxMs?: number;
}

/**
 * The kubelet's per-key back-off (client-go `flowcontrol.Backoff`): a key's delay starts at
 * `initialMs` and doubles on each {@link RestartBackoff.next} up to `maxMs`; an entry not
 * touched for twice the cap (10 min) starts over. Used for CrashLoopBackOff (key
 * `<podUID>/<container>`) and ImagePullBackOff.
 */
export interface RestartBackoff {
  /** True while `now - eventTimeMs` is shorter than the key's current delay. */
  isInBackoffSince(key: string, eventTimeMs: number): boolean;
  /** True while `now` is within the key's current delay from its last {@link RestartBackoff.next} (image pulls). */
  isInBackoffSinceUpdate(key: string): boolean;
  /** Records one more back-off for `key` at `eventTimeMs` and returns the new delay. */
  next(key: string, eventTimeMs: number): number;
  /** The key's current delay (0 when none). */
  get(key: string): number;
  /** Forgets `key` (after a long healthy run). */
  reset(key: string): void;
  /** Forgets every key starting with `prefix` (a pod that went away). */
  resetPrefix(prefix: string): void;
}

/** A {@link RestartBackoff} on `clock`. */
export function createRestartBackoff(opts: RestartBackoffOptions): RestartBackoff {
  const initial = opts.initialMs ?? 10_000;
  const max = opts.maxMs ?? 300_000;
  const entries = new Map<string, { delay: number; lastUpdate: number }>();
  const expired = (e: { lastUpdate: number }, at: number) => at - e.lastUpdate > 2 * max;
  return {
    isInBackoffSince(key, eventTimeMs) {
      const e = entries.get(key);
      if (!e || expired(e, opts.clock.now())) return false;
      return opts.clock.now() - eventTimeMs < e.delay;
    },
    isInBackoffSinceUpdate(key) {
      const e = entries.get(key);
      const now = opts.clock.now();
      return !!e && !expired(e, now) && now - e.lastUpdate < e.delay;
    },
    next(key, eventTimeMs) {
      const e = entries.get(key);
      const delay = !e || expired(e, eventTimeMs) ? initial : Math.min(e.delay * 2, max);
      entries.set(key, { delay, lastUpdate: eventTimeMs });
      return delay;
    },
    get: (key) => entries.get(key)?.delay ?? 0,
    reset: (key) => void entries.delete(key),
    resetPrefix(prefix) {
      for (const k of [...entries.keys()]) if (k.startsWith(prefix)) entries.delete(k);
    },
  };
}
