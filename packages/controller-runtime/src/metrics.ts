import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { WorkQueue, WorkQueueMetricsHooks } from './work-queue';

/** How a reconcile ended, the `result` label of `controller_runtime_reconcile_total`. */
export type ReconcileResult = 'success' | 'error' | 'requeue' | 'requeue_after';

/** controller-runtime's reconcile-time buckets, in seconds. */
const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8,
  9, 10, 15, 20, 25, 30, 40, 50, 60,
];
/** client-go's workqueue buckets: 10 ns × 10^i for i in 0..11, in seconds. */
const QUEUE_BUCKETS = Array.from({ length: 12 }, (_, i) => 1e-8 * 10 ** i);

/**
 * The Prometheus metrics of one manager (or one standalone controller), on its own
 * prom-client `Registry`, never the global default one, so that several managers in
 * one process (and tests) do not collide. Series are named like controller-runtime's
 * and client-go's:
 *
 * - `controller_runtime_reconcile_total{controller,result}` (result: success, error,
 *   requeue, requeue_after), `controller_runtime_reconcile_errors_total{controller}`,
 *   `controller_runtime_terminal_reconcile_errors_total{controller}`,
 *   `controller_runtime_reconcile_time_seconds{controller}` (histogram),
 *   `controller_runtime_max_concurrent_reconciles{controller}`,
 *   `controller_runtime_active_workers{controller}`;
 * - `workqueue_depth{name}`, `workqueue_adds_total{name}`, `workqueue_retries_total{name}`,
 *   `workqueue_queue_duration_seconds{name}` and `workqueue_work_duration_seconds{name}`
 *   (histograms), `workqueue_unfinished_work_seconds{name}`,
 *   `workqueue_longest_running_processor_seconds{name}`;
 * - `leader_election_master_status{name}` (1 while leading).
 *
 * Durations are measured on the controller's clock, so they are deterministic under a
 * fake clock.
 */
export interface ControllerMetrics {
  /** The registry the series live in; add your own metrics to it if you like. */
  readonly registry: Registry;
  /** Creates a controller's series at zero, so they show before its first reconcile. */
  registerController(controller: string, maxConcurrentReconciles: number): void;
  /** Records one finished reconcile. */
  observeReconcile(controller: string, result: ReconcileResult, seconds: number): void;
  /** Counts a failed reconcile; `terminal` for a `TerminalError`. */
  reconcileError(controller: string, terminal: boolean): void;
  /** Workers currently inside a reconcile. */
  setActiveWorkers(controller: string, n: number): void;
  /** Hooks to pass to `createWorkQueue({ metrics })`. */
  queueHooks(): WorkQueueMetricsHooks;
  /**
   * Reports `queue`'s depth and unfinished work on every scrape, until the returned
   * function is called (the depth then reads 0).
   */
  trackQueue(queue: WorkQueue<unknown>): () => void;
  /** Sets `leader_election_master_status{name}`. */
  setLeader(name: string, leading: boolean): void;
  /** The Prometheus text exposition of every series. */
  text(): Promise<string>;
  /** The content type of {@link ControllerMetrics.text}, for an HTTP `/metrics` handler. */
  readonly contentType: string;
}

/** Options of {@link createControllerMetrics}. */
export interface ControllerMetricsOptions {
  /** Registers into this registry instead of a new one (it must not hold these names already). */
  registry?: Registry;
}

/** A new {@link ControllerMetrics} on a fresh registry (or the one given). */
export function createControllerMetrics(opts: ControllerMetricsOptions = {}): ControllerMetrics {
  const registry = opts.registry ?? new Registry();
  const registers = [registry];
  /** Queue name → the queue while tracked, `undefined` after (its gauges then read 0). */
  const queues = new Map<string, WorkQueue<unknown> | undefined>();

  const reconcileTotal = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Total number of reconciliations per controller',
    labelNames: ['controller', 'result'] as const,
    registers,
  });
  const reconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Total number of reconciliation errors per controller',
    labelNames: ['controller'] as const,
    registers,
  });
  const terminalErrors = new Counter({
    name: 'controller_runtime_terminal_reconcile_errors_total',
    help: 'Total number of terminal reconciliation errors per controller',
    labelNames: ['controller'] as const,
    registers,
  });
  const reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of time per reconciliation per controller',
    labelNames: ['controller'] as const,
    buckets: RECONCILE_BUCKETS,
    registers,
  });
  const maxConcurrent = new Gauge({
    name: 'controller_runtime_max_concurrent_reconciles',
    help: 'Maximum number of concurrent reconciles per controller',
    labelNames: ['controller'] as const,
    registers,
  });
  const activeWorkers = new Gauge({
    name: 'controller_runtime_active_workers',
    help: 'Number of currently used workers per controller',
    labelNames: ['controller'] as const,
    registers,
  });

  const depth = new Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of workqueue',
    labelNames: ['name'] as const,
    registers,
    collect() {
      for (const [name, q] of queues) this.set({ name }, q ? q.len() : 0);
    },
  });
  const adds = new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', labelNames: ['name'] as const, registers });
  const retries = new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames: ['name'] as const, registers });
  const queueDuration = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long in seconds an item stays in workqueue before being requested',
    labelNames: ['name'] as const,
    buckets: QUEUE_BUCKETS,
    registers,
  });
  const workDuration = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'How long in seconds processing an item from workqueue takes',
    labelNames: ['name'] as const,
    buckets: QUEUE_BUCKETS,
    registers,
  });
  new Gauge({
    name: 'workqueue_unfinished_work_seconds',
    help: 'How many seconds of work has been done that is in progress and hasn\'t been observed by work_duration. Large values indicate stuck threads.',
    labelNames: ['name'] as const,
    registers,
    collect() {
      for (const [name, q] of queues) this.set({ name }, q ? q.metrics().unfinishedWorkMs / 1000 : 0);
    },
  });
  new Gauge({
    name: 'workqueue_longest_running_processor_seconds',
    help: 'How many seconds has the longest running processor for workqueue been running.',
    labelNames: ['name'] as const,
    registers,
    collect() {
      for (const [name, q] of queues) this.set({ name }, q ? q.metrics().longestRunningProcessorMs / 1000 : 0);
    },
  });
  const leader = new Gauge({
    name: 'leader_election_master_status',
    help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master.',
    labelNames: ['name'] as const,
    registers,
  });

  const hooks: WorkQueueMetricsHooks = {
    onAdd: (name) => adds.inc({ name }),
    onGet: (name, latencyMs) => queueDuration.observe({ name }, latencyMs / 1000),
    onDone: (name, durationMs) => workDuration.observe({ name }, durationMs / 1000),
    onRetry: (name) => retries.inc({ name }),
  };

  return {
    registry,
    contentType: registry.contentType,
    registerController(controller, max) {
      for (const result of ['success', 'error', 'requeue', 'requeue_after'] as const) reconcileTotal.inc({ controller, result }, 0);
      reconcileErrors.inc({ controller }, 0);
      terminalErrors.inc({ controller }, 0);
      maxConcurrent.set({ controller }, max);
      activeWorkers.set({ controller }, 0);
      depth.set({ name: controller }, 0);
      adds.inc({ name: controller }, 0);
      retries.inc({ name: controller }, 0);
      if (!queues.has(controller)) queues.set(controller, undefined);
    },
    observeReconcile(controller, result, seconds) {
      reconcileTotal.inc({ controller, result });
      reconcileTime.observe({ controller }, seconds);
    },
    reconcileError(controller, terminal) {
      reconcileErrors.inc({ controller });
      if (terminal) terminalErrors.inc({ controller });
    },
    setActiveWorkers(controller, n) {
      activeWorkers.set({ controller }, n);
    },
    queueHooks: () => hooks,
    trackQueue(queue) {
      queues.set(queue.name, queue);
      return () => {
        if (queues.get(queue.name) === queue) queues.set(queue.name, undefined);
      };
    },
    setLeader(name, leading) {
      leader.set({ name }, leading ? 1 : 0);
    },
    text: () => registry.metrics(),
  };
}
