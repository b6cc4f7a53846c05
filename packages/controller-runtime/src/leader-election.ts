import { isNotFound, rfc3339Micro, type Clock, type Lease } from '@bosun/api';
import type { Client, Logger } from '@bosun/apiserver';
import { jitter } from './backoff';
import { ControllerRuntimeError } from './errors';

/** The Lease a {@link LeaderElector} competes for. */
export interface LeaseLock {
  /** The Lease's namespace (must exist). */
  namespace: string;
  /** The Lease's name, the same for every candidate. */
  name: string;
}

/** Options of {@link createLeaderElector}; the timings are client-go's `LeaderElectionConfig`. */
export interface LeaderElectorOptions {
  /** Reads and writes the Lease. */
  client: Client;
  /** Times renewals, retries and expiry. */
  clock: Clock;
  /** The coordination.k8s.io/v1 Lease to hold; created when absent (its namespace must exist). */
  lock: LeaseLock;
  /** This candidate's unique name (`spec.holderIdentity`), e.g. host name plus a random suffix. */
  identity: string;
  /**
   * How long a lease stays valid without renewal, judged from when each candidate last
   * saw it change (so clocks need not agree). Followers wait this long before taking
   * over. Written as `spec.leaseDurationSeconds` (rounded up to whole seconds). Default 15 s.
   */
  leaseDurationMs?: number;
  /**
   * How long the leader keeps retrying a failing renewal before it steps down. Must be
   * shorter than the lease duration, so that a leader that cannot renew stops before
   * anyone else may start. Default 10 s.
   */
  renewDeadlineMs?: number;
  /** How often candidates try to acquire and the leader renews. Default 2 s. */
  retryPeriodMs?: number;
  /** Acquire attempts wait `retryPeriod` plus up to this factor of it, at random (client-go: 1.2). */
  jitterFactor?: number;
  /** Random source for the jitter, `[0, 1)`; inject it for deterministic tests. */
  random?: () => number;
  /**
   * On stop (the run signal aborting), hand the lease back (empty holder, 1 s duration)
   * so another candidate takes over at once. Default true. Unlike client-go, a leader
   * that lost the lease by failing to renew does not try to release it.
   */
  releaseOnCancel?: boolean;
  /**
   * Called once this candidate holds the lease; do the leader's work until `signal`
   * aborts (leadership lost, or the elector stopped). May return a promise that settles
   * when the work has stopped: the lease is released only after it settles, so another
   * leader never overlaps work that is still winding down.
   */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Called when this candidate stops leading (after the work above settled and the lease was released). Not called if it never led. */
  onStoppedLeading(): void;
  /** Called when the observed holder changes to a non-empty identity (this candidate included). */
  onNewLeader?(identity: string): void;
  /** Where failed attempts are reported; silent by default. */
  logger?: Logger;
}

/**
 * Leader election over a coordination.k8s.io/v1 Lease, with client-go's semantics:
 *
 * - a candidate takes the lease when it is absent, released (empty holder), or expired:
 *   unchanged for `leaseDurationSeconds` since this candidate last saw it change;
 * - every write is an update at the resourceVersion read, so of two candidates racing
 *   one gets 409 Conflict and stays a follower;
 * - the leader renews (`spec.renewTime`) every retry period; when it cannot renew for
 *   `renewDeadline` it steps down;
 * - taking over from another holder increments `spec.leaseTransitions`.
 */
export interface LeaderElector {
  /**
   * Campaigns until this candidate leads, then leads until the lease is lost or `signal`
   * aborts; resolves after stepping down (work settled, lease released). One term per
   * call, like client-go's `Run`: call it again to campaign again. Never rejects.
   */
  run(signal: AbortSignal): Promise<void>;
  /** True while this candidate leads. */
  isLeader(): boolean;
  /** The holder this candidate last observed (`''` when none or not yet known). */
  getLeader(): string;
}

/** Default lease timings (client-go / controller-runtime defaults), in milliseconds. */
export const LEADER_ELECTION_DEFAULTS = Object.freeze({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });

type LeaseSpec = NonNullable<Lease['spec']>;

class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
}

/** Rejects when `signal` aborts, even if `p` never settles (a hung client call). */
function within<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new DeadlineExceeded('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new DeadlineExceeded('deadline exceeded'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A signal that aborts after `ms` of clock time or when `parent` aborts; `clear` releases its timer. */
function deadline(clock: Clock, ms: number, parent?: AbortSignal): { signal: AbortSignal; clear(): void } {
  const ac = new AbortController();
  const timer = clock.setTimeout(() => ac.abort(new DeadlineExceeded(`deadline of ${ms} ms exceeded`)), ms);
  const onAbort = () => ac.abort(parent?.reason);
  if (parent?.aborted) ac.abort(parent.reason);
  else parent?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ac.signal,
    clear() {
      clock.clearTimeout(timer);
      parent?.removeEventListener('abort', onAbort);
    },
  };
}

const silent: Logger = { warn: () => {}, error: () => {} };

/** A new {@link LeaderElector}; validates the timings as client-go does (lease > renew deadline > jitter × retry period). */
export function createLeaderElector(opts: LeaderElectorOptions): LeaderElector {
  const { client, clock, identity } = opts;
  const { namespace, name } = opts.lock;
  const leaseDurationMs = opts.leaseDurationMs ?? LEADER_ELECTION_DEFAULTS.leaseDurationMs;
  const renewDeadlineMs = opts.renewDeadlineMs ?? LEADER_ELECTION_DEFAULTS.renewDeadlineMs;
  const retryPeriodMs = opts.retryPeriodMs ?? LEADER_ELECTION_DEFAULTS.retryPeriodMs;
  const jitterFactor = opts.jitterFactor ?? 1.2;
  const random = opts.random ?? Math.random;
  const releaseOnCancel = opts.releaseOnCancel ?? true;
  const logger = opts.logger ?? silent;
  const invalid = (m: string) => new ControllerRuntimeError('InvalidArgument', `leader election: ${m}`);
  if (!identity) throw invalid('identity must not be empty');
  if (!namespace || !name) throw invalid('lock needs a namespace and a name');
  if (!(retryPeriodMs > 0) || !(renewDeadlineMs > 0) || !(leaseDurationMs > 0)) throw invalid('leaseDuration, renewDeadline and retryPeriod must be > 0');
  if (!(leaseDurationMs > renewDeadlineMs)) throw invalid(`leaseDuration (${leaseDurationMs} ms) must be greater than renewDeadline (${renewDeadlineMs} ms)`);
  if (!(renewDeadlineMs > jitterFactor * retryPeriodMs)) throw invalid(`renewDeadline (${renewDeadlineMs} ms) must be greater than jitterFactor × retryPeriod (${jitterFactor * retryPeriodMs} ms)`);
  const leaseDurationSeconds = Math.max(1, Math.ceil(leaseDurationMs / 1000));

  /** The lease as last read or written: its resourceVersion guards the next write. */
  let observedLease: Lease | undefined;
  let observedRecord: LeaseSpec = {};
  let observedRaw = '';
  /** When this candidate last saw the record change, on its own clock. */
  let observedTime = 0;
  let reportedLeader = '';
  let leading = false;
  let running = false;

  const isLeader = () => !!observedRecord.holderIdentity && observedRecord.holderIdentity === identity;
  const raw = (s: LeaseSpec) =>
    JSON.stringify([s.holderIdentity ?? '', s.leaseDurationSeconds ?? 0, s.acquireTime ?? '', s.renewTime ?? '', s.leaseTransitions ?? 0]);

  function observe(lease: Lease, now: number): void {
    observedLease = lease;
    const spec = lease.spec ?? {};
    const r = raw(spec);
    if (r !== observedRaw) {
      observedRaw = r;
      observedRecord = spec;
      observedTime = now;
    }
  }

  function reportTransition(): void {
    const holder = observedRecord.holderIdentity ?? '';
    if (!holder || holder === reportedLeader) return;
    reportedLeader = holder;
    try {
      opts.onNewLeader?.(holder);
    } catch (e) {
      logger.error('leader election: onNewLeader threw', e);
    }
  }

  /** client-go's `tryAcquireOrRenew`: one read and at most one write, bounded by `signal`. */
  async function tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = clock.now();
    const record: LeaseSpec = { holderIdentity: identity, leaseDurationSeconds, acquireTime: rfc3339Micro(now), renewTime: rfc3339Micro(now) };
    let current: Lease;
    try {
      current = await within(client.get('coordination.k8s.io/v1', 'Lease', namespace, name, { signal }), signal);
    } catch (e) {
      if (!isNotFound(e)) {
        logger.warn(`leader election: error retrieving lease ${namespace}/${name}: ${e instanceof Error ? e.message : String(e)}`);
        return false;
      }
      try {
        const created = await within(
          client.create<Lease>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { namespace, name }, spec: { ...record, leaseTransitions: 0 } }, { signal }),
          signal,
        );
        observe(created, now);
        return true;
      } catch (e2) {
        logger.warn(`leader election: error creating lease ${namespace}/${name}: ${e2 instanceof Error ? e2.message : String(e2)}`);
        return false;
      }
    }
    observe(current, now);
    const old = observedRecord;
    const valid = observedTime + (old.leaseDurationSeconds ?? 0) * 1000 > now;
    if (old.holderIdentity && valid && !isLeader()) return false;
    const next: LeaseSpec = isLeader()
      ? { ...record, acquireTime: old.acquireTime ?? record.acquireTime, leaseTransitions: old.leaseTransitions ?? 0 }
      : { ...record, leaseTransitions: (old.leaseTransitions ?? 0) + 1 };
    try {
      const updated = await within(client.update<Lease>({ ...current, spec: next }, { signal }), signal);
      observe(updated, now);
      return true;
    } catch (e) {
      // Conflict: another candidate wrote first; anything else: try again next period.
      logger.warn(`leader election: failed to update lease ${namespace}/${name}: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  }

  /** client-go's `release`: empty holder and a 1 s duration, written at the observed resourceVersion. */
  async function release(): Promise<void> {
    if (!isLeader() || !observedLease) return;
    const now = clock.now();
    const d = deadline(clock, renewDeadlineMs);
    try {
      const spec: LeaseSpec = { leaseDurationSeconds: 1, acquireTime: rfc3339Micro(now), renewTime: rfc3339Micro(now), leaseTransitions: observedRecord.leaseTransitions ?? 0 };
      const updated = await within(client.update<Lease>({ ...observedLease, spec }, { signal: d.signal }), d.signal);
      observe(updated, now);
    } catch (e) {
      logger.warn(`leader election: failed to release lease ${namespace}/${name}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      d.clear();
    }
  }

  /** Sleeps; false when `signal` aborted first. */
  async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    try {
      await clock.sleep(ms, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Tries until acquired; false when `signal` aborted first. */
  async function acquire(signal: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal.aborted) return false;
      // Bound each attempt, so a hung API call cannot park the candidate forever.
      const d = deadline(clock, renewDeadlineMs, signal);
      const ok = await tryAcquireOrRenew(d.signal);
      d.clear();
      reportTransition();
      if (ok) return true;
      if (!(await sleep(jitter(retryPeriodMs, jitterFactor, random), signal))) return false;
    }
  }

  /** Renews every retry period until a renewal cycle fails for `renewDeadline` or `signal` aborts. */
  async function renew(signal: AbortSignal): Promise<void> {
    for (;;) {
      const d = deadline(clock, renewDeadlineMs, signal);
      let renewed = false;
      while (!d.signal.aborted) {
        if (await tryAcquireOrRenew(d.signal)) {
          renewed = true;
          break;
        }
        if (!(await sleep(retryPeriodMs, d.signal))) break;
      }
      d.clear();
      reportTransition();
      if (signal.aborted) return;
      if (!renewed || !isLeader()) {
        logger.warn(`leader election: ${identity} failed to renew lease ${namespace}/${name} within ${renewDeadlineMs} ms; stepping down`);
        return;
      }
      if (!(await sleep(retryPeriodMs, signal))) return;
    }
  }

  return {
    async run(signal) {
      if (running) throw new ControllerRuntimeError('InvalidArgument', 'leader election: run is already in progress');
      running = true;
      try {
        if (!(await acquire(signal))) return;
        leading = true;
        const term = new AbortController();
        const onAbort = () => term.abort(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        let work: Promise<void> = Promise.resolve();
        try {
          work = Promise.resolve(opts.onStartedLeading(term.signal)).catch((e: unknown) => logger.error('leader election: onStartedLeading failed', e));
        } catch (e) {
          logger.error('leader election: onStartedLeading threw', e);
        }
        await renew(signal);
        signal.removeEventListener('abort', onAbort);
        leading = false;
        term.abort(new DeadlineExceeded('leadership lost'));
        await work;
        // Released on a stop only: after a failed renewal the API is unreachable or the lease
        // is someone else's, and waiting on a hung write would only delay onStoppedLeading.
        if (releaseOnCancel && signal.aborted) await release();
        try {
          opts.onStoppedLeading();
        } catch (e) {
          logger.error('leader election: onStoppedLeading threw', e);
        }
      } finally {
        leading = false;
        running = false;
      }
    },
    isLeader: () => leading,
    getLeader: () => observedRecord.holderIdentity ?? '',
  };
}
