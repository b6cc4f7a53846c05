import type { Clock, Pod, TimerHandle } from '@bosun/api';
import type { ClusterEvent, QueuedPodInfo } from '../framework/interface';
import { PodInfo, podKey } from '../framework/pod-info';
import type { Status } from '../framework/status';
import { Heap } from './heap';

/** Options of {@link SchedulingQueue}. */
export interface SchedulingQueueOptions {
  clock: Clock;
  /** activeQ order: the profile's QueueSort plugin. */
  less: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  /** The pod's priority (resolved once when queued). */
  priority?: (pod: Pod) => number;
  /** PreEnqueue plugins of the pod's profile: a failure parks the pod as unschedulable (gated). */
  preEnqueue?: (pod: Pod) => Status;
  /** Plugin name → events that may help pods it rejected (undefined: every event). */
  pluginEvents?: ReadonlyMap<string, readonly ClusterEvent[] | undefined>;
  /** First backoff after a failed attempt; doubles each attempt. Default 1 s. */
  podInitialBackoffMs?: number;
  /** Backoff cap. Default 10 s. */
  podMaxBackoffMs?: number;
  /** An unschedulable pod goes back to activeQ after this long even without a helpful event. Default 5 min. */
  podMaxInUnschedulablePodsDurationMs?: number;
  /** How often the unschedulable pods are checked against that limit. Default 30 s. */
  unschedulableFlushIntervalMs?: number;
}

/** Where the queued pods are, for tests and metrics. */
export interface QueueCounts {
  active: number;
  backoff: number;
  unschedulable: number;
}

function eventMatches(registered: readonly ClusterEvent[], e: ClusterEvent): boolean {
  return registered.some((r) => (r.resource === '*' || r.resource === e.resource) && (r.action === '*' || r.action === e.action));
}

/**
 * The scheduling queue, as upstream's PriorityQueue: activeQ (pods to try now, in
 * QueueSort order), backoffQ (pods that failed recently, each waiting 1 s doubling to
 * 10 s per attempt on the clock), and the unschedulable pods, parked with the plugins
 * that rejected them until a cluster event one of those plugins registered for moves
 * them back (or a periodic flush after 5 minutes).
 */
export class SchedulingQueue {
  private readonly clock: Clock;
  private readonly activeQ: Heap<QueuedPodInfo>;
  private readonly backoffQ: Heap<QueuedPodInfo>;
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  /** Pods popped and not yet done. */
  private readonly inFlight = new Set<string>();
  private readonly initialBackoff: number;
  private readonly maxBackoff: number;
  private readonly maxUnschedulable: number;
  private readonly flushInterval: number;
  private cycle = 0;
  private moveRequestCycle = -1;
  private waiters: (() => void)[] = [];
  private backoffTimer: { handle: TimerHandle; at: number } | undefined;
  private flushTimer: TimerHandle | undefined;
  private closed = false;

  constructor(private readonly opts: SchedulingQueueOptions) {
    this.clock = opts.clock;
    this.initialBackoff = opts.podInitialBackoffMs ?? 1000;
    this.maxBackoff = opts.podMaxBackoffMs ?? 10_000;
    this.maxUnschedulable = opts.podMaxInUnschedulablePodsDurationMs ?? 5 * 60_000;
    this.flushInterval = opts.unschedulableFlushIntervalMs ?? 30_000;
    const key = (q: QueuedPodInfo) => podKey(q.podInfo.pod);
    this.activeQ = new Heap(key, opts.less);
    this.backoffQ = new Heap(key, (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
  }

  /** Starts the periodic unschedulable flush. */
  run(): void {
    if (this.flushTimer || this.closed) return;
    const tick = () => {
      this.flushUnschedulableLeftover();
      if (!this.closed) this.flushTimer = this.clock.setTimeout(tick, this.flushInterval);
    };
    this.flushTimer = this.clock.setTimeout(tick, this.flushInterval);
  }

  /** Stops timers and wakes every waiting {@link SchedulingQueue.pop} (which then rejects). Idempotent. */
  close(): void {
    this.closed = true;
    if (this.flushTimer) this.clock.clearTimeout(this.flushTimer);
    if (this.backoffTimer) this.clock.clearTimeout(this.backoffTimer.handle);
    this.wake();
  }

  /** The number of the current scheduling cycle (bumped by each pop). */
  schedulingCycle(): number {
    return this.cycle;
  }

  private newInfo(pod: Pod): QueuedPodInfo {
    const now = this.clock.now();
    return { podInfo: new PodInfo(pod), priority: this.opts.priority?.(pod) ?? pod.spec?.priority ?? 0, initialAttemptTimestamp: now, timestamp: now, attempts: 0, unschedulablePlugins: new Set() };
  }

  /** True when the pod is queued anywhere (or being scheduled). */
  has(pod: Pod): boolean {
    const k = podKey(pod);
    return this.activeQ.has(k) || this.backoffQ.has(k) || this.unschedulable.has(k) || this.inFlight.has(k);
  }

  /** A new pending pod: to activeQ, or parked when a PreEnqueue plugin gates it. */
  add(pod: Pod): void {
    const k = podKey(pod);
    if (this.activeQ.has(k) || this.backoffQ.has(k) || this.unschedulable.has(k)) return this.update(pod, pod);
    this.moveToActive(this.newInfo(pod));
  }

  private moveToActive(q: QueuedPodInfo): boolean {
    const k = podKey(q.podInfo.pod);
    const gate = this.opts.preEnqueue?.(q.podInfo.pod);
    if (gate && !gate.isSuccess()) {
      q.unschedulablePlugins = new Set(gate.plugin ? [gate.plugin] : []);
      this.unschedulable.set(k, q);
      return false;
    }
    this.backoffQ.delete(k);
    this.unschedulable.delete(k);
    this.activeQ.push(q);
    this.wake();
    return true;
  }

  /**
   * A pending pod changed: the queued copy is replaced. A parked pod whose spec changed
   * is tried again (the change may have made it fit).
   */
  update(oldPod: Pod, pod: Pod): void {
    const k = podKey(pod);
    for (const h of [this.activeQ, this.backoffQ]) {
      const q = h.get(k);
      if (q) {
        h.push({ ...q, podInfo: new PodInfo(pod) });
        return;
      }
    }
    const q = this.unschedulable.get(k);
    if (q) {
      const moved = { ...q, podInfo: new PodInfo(pod) };
      if (JSON.stringify(oldPod.spec) !== JSON.stringify(pod.spec) || JSON.stringify(oldPod.metadata?.labels) !== JSON.stringify(pod.metadata?.labels)) {
        this.unschedulable.delete(k);
        if (this.isBackingOff(moved)) this.backoffQ.push(moved);
        else this.moveToActive(moved);
        this.armBackoffTimer();
      } else this.unschedulable.set(k, moved);
      return;
    }
    if (!this.inFlight.has(k)) this.add(pod);
  }

  /** The pod is gone, or bound: removed from every sub-queue. */
  delete(pod: Pod): void {
    const k = podKey(pod);
    this.activeQ.delete(k);
    this.backoffQ.delete(k);
    this.unschedulable.delete(k);
  }

  /**
   * The next pod to schedule, waiting for one when activeQ is empty. Rejects when the
   * queue closes or `signal` aborts. Every pop starts a new scheduling cycle.
   */
  async pop(signal?: AbortSignal): Promise<QueuedPodInfo> {
    for (;;) {
      if (this.closed) throw new Error('scheduling queue is closed');
      signal?.throwIfAborted();
      const q = this.activeQ.pop();
      if (q) {
        q.attempts++;
        this.cycle++;
        this.inFlight.add(podKey(q.podInfo.pod));
        return q;
      }
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiters.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }

  /** The pod's scheduling attempt is over (bound, requeued or dropped). */
  done(pod: Pod): void {
    this.inFlight.delete(podKey(pod));
  }

  /**
   * Requeues a pod after a failed attempt in cycle `podSchedulingCycle`. A pod rejected
   * by plugins is parked as unschedulable — unless a move request came during its cycle
   * (the event might have helped it), or it failed with an error (no rejecting plugins):
   * then it waits out its backoff in backoffQ.
   */
  addUnschedulableIfNotPresent(q: QueuedPodInfo, podSchedulingCycle: number): void {
    const k = podKey(q.podInfo.pod);
    this.inFlight.delete(k);
    if (this.activeQ.has(k) || this.backoffQ.has(k) || this.unschedulable.has(k)) return;
    q.timestamp = this.clock.now();
    if (this.moveRequestCycle >= podSchedulingCycle || q.unschedulablePlugins.size === 0) {
      this.backoffQ.push(q);
      this.armBackoffTimer();
    } else {
      this.unschedulable.set(k, q);
    }
  }

  /** How long a pod with `attempts` failed attempts waits: 1 s, 2 s, 4 s, 8 s, 10 s, 10 s, … */
  backoffDuration(attempts: number): number {
    let d = this.initialBackoff;
    for (let i = 1; i < attempts; i++) {
      d *= 2;
      if (d > this.maxBackoff) return this.maxBackoff;
    }
    return d;
  }

  private backoffExpiry(q: QueuedPodInfo): number {
    return q.timestamp + this.backoffDuration(q.attempts);
  }
  private isBackingOff(q: QueuedPodInfo): boolean {
    return q.attempts > 0 && this.backoffExpiry(q) > this.clock.now();
  }

  private armBackoffTimer(): void {
    const head = this.backoffQ.peek();
    if (!head || this.closed) return;
    const at = this.backoffExpiry(head);
    if (this.backoffTimer && this.backoffTimer.at <= at) return;
    if (this.backoffTimer) this.clock.clearTimeout(this.backoffTimer.handle);
    const handle = this.clock.setTimeout(() => {
      this.backoffTimer = undefined;
      this.flushBackoffQCompleted();
    }, Math.max(0, at - this.clock.now()));
    this.backoffTimer = { handle, at };
  }

  /** Moves every pod whose backoff is over to activeQ. Called by a timer; public for tests. */
  flushBackoffQCompleted(): void {
    const now = this.clock.now();
    for (;;) {
      const head = this.backoffQ.peek();
      if (!head || this.backoffExpiry(head) > now) break;
      this.backoffQ.pop();
      this.moveToActive(head);
    }
    this.armBackoffTimer();
  }

  /** Moves pods parked longer than the limit back. Called periodically; public for tests. */
  flushUnschedulableLeftover(): void {
    const now = this.clock.now();
    const stale = [...this.unschedulable.values()].filter((q) => now - q.timestamp >= this.maxUnschedulable);
    if (stale.length) this.movePods(stale);
  }

  /**
   * A cluster event happened: every parked pod that one of its rejecting plugins
   * registered this event for goes back to activeQ (or backoffQ while backing off).
   * `filter` narrows further (e.g. only pods that may fit the new node).
   */
  moveAllToActiveOrBackoffQueue(event: ClusterEvent, filter?: (pod: Pod) => boolean): void {
    const moving: QueuedPodInfo[] = [];
    for (const q of this.unschedulable.values()) {
      if (filter && !filter(q.podInfo.pod)) continue;
      if (this.podMatchesEvent(q, event)) moving.push(q);
    }
    this.movePods(moving);
    this.moveRequestCycle = this.cycle;
  }

  private podMatchesEvent(q: QueuedPodInfo, event: ClusterEvent): boolean {
    if (event.resource === '*') return true;
    if (q.unschedulablePlugins.size === 0) return true;
    for (const p of q.unschedulablePlugins) {
      const registered = this.opts.pluginEvents?.get(p);
      if (!registered || eventMatches(registered, event)) return true;
    }
    return false;
  }

  private movePods(qs: QueuedPodInfo[]): void {
    for (const q of qs) {
      const k = podKey(q.podInfo.pod);
      this.unschedulable.delete(k);
      if (this.isBackingOff(q)) this.backoffQ.push(q);
      else if (!this.moveToActive(q)) continue;
    }
    this.armBackoffTimer();
  }

  /** Counts per sub-queue. */
  counts(): QueueCounts {
    return { active: this.activeQ.size, backoff: this.backoffQ.size, unschedulable: this.unschedulable.size };
  }
  /** Every pending pod (active, backoff, unschedulable). */
  pendingPods(): Pod[] {
    return [...this.activeQ.values(), ...this.backoffQ.values(), ...this.unschedulable.values()].map((q) => q.podInfo.pod);
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
}
