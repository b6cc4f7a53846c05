import type { Clock, Pod, TimerHandle } from '@bosun/api';
import type { WaitingPod } from './interface';
import { Status } from './status';

/** A pod held at Permit until every waiting plugin allows it, or one rejects or times out. */
export class WaitingPodImpl implements WaitingPod {
  private readonly pending = new Map<string, TimerHandle>();
  private settled = false;
  private resolve!: (s: Status) => void;
  /** Resolves with Success once allowed by all, or Unschedulable when rejected or timed out. */
  readonly done: Promise<Status>;

  constructor(
    readonly pod: Pod,
    timeouts: ReadonlyMap<string, number>,
    private readonly clock: Clock,
    private readonly onSettled: () => void,
  ) {
    this.done = new Promise((r) => (this.resolve = r));
    for (const [plugin, ms] of timeouts) {
      const h = clock.setTimeout(() => this.reject(plugin, `rejected due to timeout after waiting ${ms / 1000}s at plugin ${plugin}`), ms);
      this.pending.set(plugin, h);
    }
  }

  pendingPlugins(): string[] {
    return [...this.pending.keys()];
  }

  allow(plugin: string): void {
    const h = this.pending.get(plugin);
    if (!h || this.settled) return;
    this.clock.clearTimeout(h);
    this.pending.delete(plugin);
    if (this.pending.size === 0) this.finish(Status.success);
  }

  reject(plugin: string, message: string): void {
    if (this.settled) return;
    this.finish(Status.unschedulable(message).withPlugin(plugin));
  }

  private finish(s: Status): void {
    this.settled = true;
    for (const h of this.pending.values()) this.clock.clearTimeout(h);
    this.pending.clear();
    this.onSettled();
    this.resolve(s);
  }
}
