import { setMaxListeners } from 'node:events';
import { RealClock, type Clock } from '@bosun/api';
import { createEventRecorder, type Client, type EventRecorder, type Logger } from '@bosun/apiserver';
import type { Registry } from 'prom-client';
import type { Backoff } from './backoff';
import type { Controller } from './controller';
import { ControllerRuntimeError } from './errors';
import { createLeaderElector, LEADER_ELECTION_DEFAULTS, type LeaderElector, type LeaderElectorOptions } from './leader-election';
import { createControllerMetrics, type ControllerMetrics } from './metrics';
import { createSharedInformerFactory, type SharedInformerFactory } from './shared-informers';

/** Leader election for a {@link Manager}: only the holder of the Lease runs controllers. */
export interface ManagerLeaderElectionOptions {
  /** The Lease's name, shared by every replica of the same manager. */
  leaseName: string;
  /** The Lease's namespace (must exist), e.g. `kube-system`. */
  namespace: string;
  /** This replica's unique identity. */
  identity: string;
  /** Default 15 s; see {@link LeaderElectorOptions.leaseDurationMs}. */
  leaseDurationMs?: number;
  /** Default 10 s; see {@link LeaderElectorOptions.renewDeadlineMs}. */
  renewDeadlineMs?: number;
  /** Default 2 s; see {@link LeaderElectorOptions.retryPeriodMs}. */
  retryPeriodMs?: number;
  /** Random source for the acquire jitter (tests). */
  random?: () => number;
}

/** Options of {@link createManager}. */
export interface ManagerOptions {
  /** The API client for informers, controllers, Events and the Lease. */
  client: Client;
  /** Default: a `RealClock`. */
  clock?: Clock;
  /** When set, controllers run only while this manager holds the Lease. */
  leaderElection?: ManagerLeaderElectionOptions;
  /**
   * The Events recorder controllers use: one recorder for all, or one made per
   * controller name. Default: a recorder on `client` per controller, with the
   * controller's name as `source.component`.
   */
  recorder?: EventRecorder | ((controllerName: string) => EventRecorder);
  /** Where controllers, informers and leader election log; `console` by default. */
  logger?: Logger;
  /** Options of the shared informers. */
  informers?: { namespace?: string; resyncPeriodMs?: number; backoff?: () => Backoff };
  /** Metrics registry holder; a fresh one (own prom-client `Registry`) by default. */
  metrics?: ControllerMetrics;
}

/** A snapshot of a {@link Manager}'s state for a health or readiness endpoint. */
export interface ManagerHealth {
  /** Every informer has completed its first list. */
  synced: boolean;
  /** This manager runs its controllers now: it holds the Lease, or runs without leader election and has started them. */
  leader: boolean;
  /** Per controller: its name, the keys waiting in its queue, and whether its workers run. */
  controllers: { name: string; queueDepth: number; running: boolean }[];
}

/**
 * Runs controllers over one set of shared informers (one cache and one watch per kind,
 * however many controllers read it), with optional leader election, health and
 * Prometheus metrics. controller-runtime's `Manager`.
 *
 * ```ts
 * const manager = createManager({ client, clock });
 * manager.add(Controller.for('apps/v1', 'ReplicaSet').owns('v1', 'Pod').build(reconcileReplicaSet));
 * await manager.start(signal);      // caches synced, controllers running
 * …
 * await manager.stop();
 * ```
 */
export interface Manager {
  /** The client every controller gets in its reconcile context. */
  readonly client: Client;
  /** The clock every controller, informer and the leader election run on. */
  readonly clock: Clock;
  /** The shared informers; read caches for your reconcile context from here. */
  readonly informers: SharedInformerFactory;
  /** The prom-client registry the metrics live in. */
  readonly registry: Registry;
  /**
   * Adds a controller; it gets its informers now. Names must be unique (throws). Added
   * after start, it starts once its informers synced, if the manager is leading.
   */
  add(controller: Controller): void;
  /**
   * Starts the informers, waits for their caches to sync, then starts the controllers,
   * or, with leader election, starts campaigning and runs the controllers only while
   * leading. Resolves true once that is done (not waiting to be elected); false if the
   * manager was stopped before the caches synced. `signal` aborting stops the manager.
   * Call once.
   */
  start(signal?: AbortSignal): Promise<boolean>;
  /**
   * Stops the controllers (in-flight reconciles finish, queues are dropped), then steps
   * down and releases the Lease, flushes Events and stops the informers. Idempotent;
   * resolves when everything has stopped.
   */
  stop(): Promise<void>;
  /** Sync, leadership and per-controller queue depth, right now. */
  health(): ManagerHealth;
  /** Every metric in the Prometheus text format. */
  metrics(): Promise<string>;
}

const consoleLogger: Logger = {
  warn: (m, ...a) => console.warn(m, ...a),
  error: (m, ...a) => console.error(m, ...a),
};

/** A new {@link Manager}; nothing runs until {@link Manager.start}. */
export function createManager(opts: ManagerOptions): Manager {
  const { client } = opts;
  const clock = opts.clock ?? new RealClock();
  const logger = opts.logger ?? consoleLogger;
  const metrics = opts.metrics ?? createControllerMetrics();
  const informers = createSharedInformerFactory(client, { clock, logger, ...opts.informers });
  const le = opts.leaderElection;
  const leName = le ? `${le.namespace}/${le.leaseName}` : '';

  const controllers: Controller[] = [];
  const recorders: EventRecorder[] = [];
  /** Aborted by stop: informers and the campaign. */
  const lifetime = new AbortController();
  /** Aborted to stop the current controllers run (stop, or leadership lost). */
  let run: { ac: AbortController; done: Promise<void>[] } | undefined;
  let elector: LeaderElector | undefined;
  let campaign: Promise<void> | undefined;
  let started = false;
  let synced = false;
  let stopping: Promise<void> | undefined;

  function recorderFor(name: string): EventRecorder {
    const r = opts.recorder;
    if (r) return typeof r === 'function' ? r(name) : r;
    const made = createEventRecorder(client, { component: name, logger }, clock);
    recorders.push(made);
    return made;
  }

  function startOne(c: Controller, signal: AbortSignal): Promise<void> {
    return c.start(signal).catch((e: unknown) => logger.error(`manager: controller ${c.name} failed`, e));
  }

  /** Starts every controller until `signal` aborts; resolves when they have all drained. */
  function runControllers(signal: AbortSignal): Promise<void> {
    const ac = new AbortController();
    // One listener per controller (the garbage collector alone adds one per kind): a
    // fan-out by design, not a leak, so lift Node's default warning threshold of 10.
    setMaxListeners(0, ac.signal);
    if (signal.aborted) ac.abort(signal.reason);
    else signal.addEventListener('abort', () => ac.abort(signal.reason), { once: true });
    const current = { ac, done: controllers.map((c) => startOne(c, ac.signal)) };
    run = current;
    const settled = async () => {
      // Controllers added while running push onto `done`; wait for those too.
      for (let n = 0; n !== current.done.length; ) {
        n = current.done.length;
        await Promise.all(current.done);
      }
    };
    return new Promise<void>((resolve) => {
      const finish = () => void settled().then(() => {
        if (run === current) run = undefined;
        resolve();
      });
      if (ac.signal.aborted) finish();
      else ac.signal.addEventListener('abort', finish, { once: true });
    });
  }

  async function runCampaign(): Promise<void> {
    const l = le!;
    while (!lifetime.signal.aborted && !stopping) {
      elector = createLeaderElector({
        client,
        clock,
        lock: { namespace: l.namespace, name: l.leaseName },
        identity: l.identity,
        leaseDurationMs: l.leaseDurationMs,
        renewDeadlineMs: l.renewDeadlineMs,
        retryPeriodMs: l.retryPeriodMs,
        random: l.random,
        logger,
        onStartedLeading: (signal) => {
          metrics.setLeader(leName, true);
          return runControllers(signal);
        },
        onStoppedLeading: () => metrics.setLeader(leName, false),
      });
      await elector.run(lifetime.signal);
      if (lifetime.signal.aborted || stopping) break;
      logger.warn(`manager: ${l.identity} lost leadership of lease ${leName}; campaigning again`);
      try {
        await clock.sleep(l.retryPeriodMs ?? LEADER_ELECTION_DEFAULTS.retryPeriodMs, lifetime.signal);
      } catch {
        break;
      }
    }
  }

  const manager: Manager = {
    client,
    clock,
    informers,
    registry: metrics.registry,
    add(c) {
      if (stopping) throw new ControllerRuntimeError('InvalidArgument', `manager: cannot add controller ${c.name} after stop`);
      if (controllers.some((x) => x.name === c.name)) throw new ControllerRuntimeError('InvalidArgument', `manager: a controller named ${JSON.stringify(c.name)} was already added; give each a unique name with withConfig({ name })`);
      c.setup({ client, clock, informers, recorder: recorderFor(c.name), metrics, logger });
      controllers.push(c);
      const current = run;
      if (current && !current.ac.signal.aborted) {
        current.done.push(
          informers.waitForCacheSync(current.ac.signal).then((ok) => (ok && !current.ac.signal.aborted ? startOne(c, current.ac.signal) : undefined)),
        );
      }
    },
    async start(signal) {
      if (started) throw new ControllerRuntimeError('InvalidArgument', 'manager: start was already called');
      started = true;
      if (signal?.aborted) {
        await manager.stop();
        return false;
      }
      signal?.addEventListener('abort', () => void manager.stop(), { once: true });
      if (le) metrics.setLeader(leName, false);
      informers.start(lifetime.signal);
      synced = await informers.waitForCacheSync(lifetime.signal);
      if (!synced || lifetime.signal.aborted || stopping) return false;
      if (le) campaign = runCampaign();
      else void runControllers(lifetime.signal);
      return true;
    },
    stop() {
      return (stopping ??= (async () => {
        // Controllers first: the lease is released only once no reconcile runs any more.
        const current = run;
        if (current) {
          current.ac.abort(new Error('manager stopping'));
          await Promise.all(current.done);
        }
        lifetime.abort(new Error('manager stopping'));
        await campaign;
        await Promise.all(recorders.map((r) => r.flush()));
        await informers.shutdown();
      })());
    },
    health() {
      const infs = informers.informers();
      return {
        synced: started && infs.every((i) => i.hasSynced()),
        leader: le ? (elector?.isLeader() ?? false) : !!run && !run.ac.signal.aborted,
        controllers: controllers.map((c) => ({ name: c.name, queueDepth: c.queueDepth(), running: c.isRunning() })),
      };
    },
    metrics: () => metrics.text(),
  };
  return manager;
}
