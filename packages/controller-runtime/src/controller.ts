import { keyOf, parseApiVersion, RealClock, type Clock, type KubeObject, type TypeOf } from '@bosun/api';
import { createEventRecorder, type ApiObject, type Client, type EventRecorder, type Logger } from '@bosun/apiserver';
import { ControllerRuntimeError } from './errors';
import { cooperativeClient, shouldYield, yieldToEventLoop } from './event-loop';
import type { Informer } from './informer';
import type { ControllerMetrics } from './metrics';
import { evaluatePredicate, type Predicate, type PredicateEvent } from './predicates';
import type { RateLimiter } from './rate-limiter';
import { Action, defaultErrorPolicy, isTerminalError, type ErrorPolicy, type Reconcile, type ReconcileContext } from './reconcile';
import { createSharedInformerFactory, type SharedInformerFactory } from './shared-informers';
import { createWorkQueue, type WorkQueue } from './work-queue';

/** A kind: `{ apiVersion: 'apps/v1', kind: 'ReplicaSet' }`. */
export interface KindRef<A extends string = string, K extends string = string> {
  /** `group/version`, or `v1` for the core group. */
  apiVersion: A;
  /** The kind, e.g. `ReplicaSet`. */
  kind: K;
}

/**
 * What a {@link MapFunc} returns for each object to reconcile: its `namespace/name` key
 * (`name` when cluster-scoped), or a reference with a namespace and a name (an
 * `ObjectRef` fits).
 */
export type ReconcileRequest = string | { namespace?: string; name: string };

/**
 * Maps an object of a watched kind to the objects of the controller's kind to
 * reconcile (controller-runtime's `EnqueueRequestsFromMapFunc`). Called for the old and
 * the new object of an update. Must be quick and pure: read caches, not the API. A map
 * function that throws is logged and enqueues nothing.
 */
export type MapFunc<S extends ApiObject = ApiObject> = (obj: S) => readonly ReconcileRequest[];

/** Which objects of a kind an informer watches, and which of their events pass. */
export interface WatchOptions<S extends ApiObject = ApiObject> {
  /** Only this namespace; omit for all namespaces (and for cluster-scoped kinds). */
  namespace?: string;
  /** Only objects matching this label selector. */
  labelSelector?: string;
  /** Only objects matching this field selector. */
  fieldSelector?: string;
  /** Only events every one of these lets through reach the queue (besides the builder's event filters). */
  predicates?: Predicate<S>[];
}

/** Options of `Controller.for`. */
export interface ForOptions<T extends ApiObject = ApiObject> extends WatchOptions<T> {
  /**
   * The kind is cluster-scoped. Owned objects then enqueue their owner by name alone
   * (otherwise by the owned object's namespace and the owner's name, since a namespaced
   * owner always lives in its dependents' namespace). Default false.
   */
  clusterScoped?: boolean;
}

/** Options of `withConfig`. */
export interface ControllerConfig {
  /** Names the controller in metrics, logs, its queue and its Events' source. Default: the kind, lower-cased. */
  name?: string;
  /** Workers, i.e. how many keys are reconciled at once (never one key twice). Default 1. */
  concurrency?: number;
  /**
   * The queue's rate limiter (delays of {@link Action.requeue} and of errors); client-go's
   * default controller rate limiter (5 ms doubling to 1000 s per key, 10 qps burst 100
   * overall) by default. Owned by this controller: do not share an instance.
   */
  rateLimiter?: RateLimiter<string>;
}

/** What a controller runs against, given by a `Manager` or by `ControllerBuilder.run`. */
export interface ControllerEnv {
  /** The client reconciles get in their context (and Events are written through, by default). */
  client: Client;
  /** Time source of the queue (delays, backoff) and of the metrics' durations. */
  clock: Clock;
  /** Where the controller gets (and shares) its informers. */
  informers: SharedInformerFactory;
  /** Records the controller's Events; a recorder on `client` with component = the controller's name by default. */
  recorder?: EventRecorder;
  /** Where reconcile counts, durations and queue metrics go; none by default. */
  metrics?: ControllerMetrics;
  /** Where reconcile errors are logged; `console` by default. */
  logger?: Logger;
}

/**
 * A built controller: one kind reconciled by a {@link Reconcile}, fed by informers for
 * that kind, the kinds it owns and the kinds it watches, through one rate-limited work
 * queue. A `Manager` runs it (`manager.add(controller)`); `ControllerBuilder.run` runs
 * one alone.
 */
export interface Controller<T extends ApiObject = ApiObject> {
  /** See {@link ControllerConfig.name}. */
  readonly name: string;
  /** The kind reconciled. */
  readonly forKind: KindRef;
  /** Worker count. */
  readonly concurrency: number;
  /**
   * Binds the controller to `env` and creates the informers it reads (so a manager can
   * wait for their sync before starting it). Called once, by the manager or `run`; a
   * controller belongs to one environment (throws when bound to another).
   */
  setup(env: ControllerEnv): void;
  /**
   * Registers the event handlers, then processes keys with `concurrency` workers until
   * `signal` aborts; then stops taking keys, aborts the reconciles' signal, waits for
   * the ones in flight to finish, and resolves. Queued keys are dropped (the next start
   * enqueues every cached object again). Call after the informers synced, and not again
   * before the previous run resolved (throws).
   */
  start(signal: AbortSignal): Promise<void>;
  /** True between {@link Controller.start} and the end of its drain. */
  isRunning(): boolean;
  /** Keys waiting for a worker (0 when not running). */
  queueDepth(): number;
}

/** Options of {@link ControllerBuilder.run}. */
export interface RunOptions {
  /** Stops the controller (and the informers `run` created). */
  signal: AbortSignal;
  /** The client; defaults to `ctx.client` when the context has one. */
  client?: Client;
  /** Shared informers to use (pass the factory your context's caches come from); a new factory by default, shut down when `run` ends. */
  informers?: SharedInformerFactory;
  /** Default: a `RealClock`. */
  clock?: Clock;
  /** See {@link ControllerEnv.recorder}. */
  recorder?: EventRecorder;
  /** See {@link ControllerEnv.metrics}. */
  metrics?: ControllerMetrics;
  /** See {@link ControllerEnv.logger}. */
  logger?: Logger;
}

interface WatchSpec {
  kind: KindRef;
  opts: WatchOptions<ApiObject>;
  /** Turns an object of this kind into keys of the controller's kind. */
  keys: (obj: ApiObject) => readonly string[];
}

interface BuilderSpec {
  forKind: KindRef;
  forOpts: ForOptions<ApiObject>;
  owns: WatchSpec[];
  watches: WatchSpec[];
  filters: Predicate<ApiObject>[];
  config: ControllerConfig;
}

const consoleLogger: Logger = {
  warn: (m, ...a) => console.warn(m, ...a),
  error: (m, ...a) => console.error(m, ...a),
};

function requestKey(r: ReconcileRequest): string {
  return typeof r === 'string' ? r : r.namespace ? `${r.namespace}/${r.name}` : r.name;
}

function toKindRef(a: string | KindRef, b?: unknown): KindRef {
  if (typeof a === 'string') {
    if (typeof b !== 'string') throw new ControllerRuntimeError('InvalidArgument', `controller: kind missing after apiVersion ${a}`);
    return { apiVersion: a, kind: b };
  }
  return { apiVersion: a.apiVersion, kind: a.kind };
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Composes a controller: the kind it reconciles, what else it watches, its filters and
 * its configuration. Immutable: each method returns a new builder. Start with
 * `Controller.for(…)`.
 *
 * ```ts
 * const controller = Controller.for('example.com/v1', 'Mirror')
 *   .owns('v1', 'ConfigMap')
 *   .withEventFilter(generationChanged())
 *   .withConfig({ concurrency: 4 })
 *   .build(reconcileMirror);
 * manager.add(controller);
 * ```
 */
export class ControllerBuilder<T extends ApiObject = ApiObject> {
  /** @internal Use `Controller.for`. */
  constructor(private readonly spec: BuilderSpec) {}

  /**
   * Also reconciles on events of objects of this kind controlled by an object of the
   * controller's kind: each event enqueues the owner named by the object's
   * ownerReference with `controller: true` and the controller's group and kind (for an
   * update, the owners of both the old and the new object).
   */
  owns<A extends string, K extends string>(apiVersion: A, kind: K, opts?: WatchOptions<TypeOf<A, K>>): ControllerBuilder<T>;
  owns<S extends ApiObject = ApiObject>(kind: KindRef, opts?: WatchOptions<S>): ControllerBuilder<T>;
  owns(a: string | KindRef, b?: unknown, c?: unknown): ControllerBuilder<T> {
    const kind = toKindRef(a, b);
    const opts = ((typeof a === 'string' ? c : b) ?? {}) as WatchOptions<ApiObject>;
    const { group } = parseApiVersion(this.spec.forKind.apiVersion);
    const ownerKind = this.spec.forKind.kind;
    const clusterScoped = this.spec.forOpts.clusterScoped === true;
    const keys = (obj: ApiObject): string[] => {
      const out: string[] = [];
      for (const r of obj.metadata?.ownerReferences ?? []) {
        if (r.controller !== true || r.kind !== ownerKind || parseApiVersion(r.apiVersion).group !== group) continue;
        const ns = obj.metadata?.namespace;
        out.push(clusterScoped || !ns ? r.name : `${ns}/${r.name}`);
      }
      return out;
    };
    return new ControllerBuilder<T>({ ...this.spec, owns: [...this.spec.owns, { kind, opts, keys }] });
  }

  /**
   * Also reconciles on events of objects of this kind, enqueueing what `mapFn` returns
   * for them (for an update, for both the old and the new object).
   */
  watches<A extends string, K extends string>(apiVersion: A, kind: K, mapFn: MapFunc<TypeOf<A, K>>, opts?: WatchOptions<TypeOf<A, K>>): ControllerBuilder<T>;
  watches<S extends ApiObject = ApiObject>(kind: KindRef, mapFn: MapFunc<S>, opts?: WatchOptions<S>): ControllerBuilder<T>;
  watches(a: string | KindRef, b: unknown, c?: unknown, d?: unknown): ControllerBuilder<T> {
    const kind = toKindRef(a, b);
    const mapFn = (typeof a === 'string' ? c : b) as MapFunc<ApiObject>;
    const opts = ((typeof a === 'string' ? d : c) ?? {}) as WatchOptions<ApiObject>;
    if (typeof mapFn !== 'function') throw new ControllerRuntimeError('InvalidArgument', `controller: watches(${kind.apiVersion}, ${kind.kind}) needs a map function`);
    const keys = (obj: ApiObject) => mapFn(obj).map(requestKey);
    return new ControllerBuilder<T>({ ...this.spec, watches: [...this.spec.watches, { kind, opts, keys }] });
  }

  /**
   * Filters the events of every watched kind (the controller's own, owned and watched
   * kinds) before they enqueue anything; several filters must all pass. See
   * `generationChanged()` and the other predicates.
   */
  withEventFilter(p: Predicate<ApiObject>): ControllerBuilder<T> {
    return new ControllerBuilder<T>({ ...this.spec, filters: [...this.spec.filters, p] });
  }

  /** Sets the name, worker count and rate limiter (merged over earlier `withConfig` calls). */
  withConfig(config: ControllerConfig): ControllerBuilder<T> {
    const merged = { ...this.spec.config, ...config };
    const c = merged.concurrency;
    if (c !== undefined && !(Number.isInteger(c) && c >= 1)) throw new ControllerRuntimeError('InvalidArgument', `controller: concurrency must be an integer >= 1, got ${c}`);
    return new ControllerBuilder<T>({ ...this.spec, config: merged });
  }

  /**
   * The controller, for a `Manager` to run. `errorPolicy` defaults to
   * {@link defaultErrorPolicy} (per-key exponential backoff). `ctx` is spread into every
   * reconcile's context, under the {@link ReconcileContext} fields.
   */
  build(reconcile: Reconcile<T, object>, errorPolicy?: ErrorPolicy<T, object>): Controller<T>;
  build<Ctx extends object>(reconcile: Reconcile<T, Ctx>, errorPolicy: ErrorPolicy<T, Ctx> | undefined, ctx: Ctx): Controller<T>;
  build<Ctx extends object>(reconcile: Reconcile<T, Ctx>, errorPolicy?: ErrorPolicy<T, Ctx>, ctx?: Ctx): Controller<T> {
    return createController<T, Ctx>(this.spec, reconcile, errorPolicy ?? (defaultErrorPolicy as ErrorPolicy<T, Ctx>), (ctx ?? {}) as Ctx);
  }

  /**
   * Runs the controller alone until `opts.signal` aborts: starts the informers (its own
   * factory unless `opts.informers` is given), waits for their sync, then reconciles.
   * Resolves once the controller has drained (and the informers it created stopped).
   */
  async run<Ctx extends object>(reconcile: Reconcile<T, Ctx>, errorPolicy: ErrorPolicy<T, Ctx> | undefined, ctx: Ctx, opts: RunOptions): Promise<void> {
    const client = opts.client ?? (ctx as { client?: Client }).client;
    if (!client) throw new ControllerRuntimeError('InvalidArgument', 'controller: run needs a client (opts.client or ctx.client)');
    const clock = opts.clock ?? new RealClock();
    const own = !opts.informers;
    const informers = opts.informers ?? createSharedInformerFactory(client, { clock, logger: opts.logger });
    const controller = this.build(reconcile, errorPolicy, ctx);
    controller.setup({ client, clock, informers, recorder: opts.recorder, metrics: opts.metrics, logger: opts.logger });
    try {
      informers.start(opts.signal);
      if ((await informers.waitForCacheSync(opts.signal)) && !opts.signal.aborted) await controller.start(opts.signal);
    } finally {
      if (own) await informers.shutdown();
    }
  }
}

/**
 * Starts composing a controller for a kind: `Controller.for('apps/v1', 'ReplicaSet')`
 * or `Controller.for({ apiVersion, kind })`. The object type follows the kind for
 * built-in kinds; give it for custom kinds: `Controller.for<Mirror>(MirrorKind)`.
 */
function forKind<A extends string, K extends string>(apiVersion: A, kind: K, opts?: ForOptions<TypeOf<A, K>>): ControllerBuilder<TypeOf<A, K>>;
function forKind<T extends ApiObject = ApiObject>(kind: KindRef, opts?: ForOptions<T>): ControllerBuilder<T>;
function forKind(a: string | KindRef, b?: unknown, c?: unknown): ControllerBuilder<ApiObject> {
  const kind = toKindRef(a, b);
  const forOpts = ((typeof a === 'string' ? c : b) ?? {}) as ForOptions<ApiObject>;
  return new ControllerBuilder({ forKind: kind, forOpts, owns: [], watches: [], filters: [], config: {} });
}

/** The entry point of the controller builder: `Controller.for(kind)`; see {@link ControllerBuilder}. */
export const Controller = { for: forKind } as const;

function createController<T extends ApiObject, Ctx extends object>(spec: BuilderSpec, reconcile: Reconcile<T, Ctx>, errorPolicy: ErrorPolicy<T, Ctx>, userCtx: Ctx): Controller<T> {
  const name = spec.config.name ?? spec.forKind.kind.toLowerCase();
  const concurrency = spec.config.concurrency ?? 1;
  let env: ControllerEnv | undefined;
  let recorder: EventRecorder;
  let logger: Logger;
  let primary: Informer;
  let sources: { informer: Informer; spec: WatchSpec | undefined }[] = [];
  let queue: WorkQueue<string> | undefined;
  let running = false;

  function pass(watchPredicates: readonly Predicate<ApiObject>[] | undefined, event: PredicateEvent<ApiObject>): boolean {
    for (const p of spec.filters) if (!evaluatePredicate(p, event)) return false;
    for (const p of watchPredicates ?? []) if (!evaluatePredicate(p, event)) return false;
    return true;
  }

  const controller: Controller<T> = {
    name,
    forKind: spec.forKind,
    concurrency,
    setup(e) {
      if (env) {
        if (env.informers === e.informers && env.client === e.client) return;
        throw new ControllerRuntimeError('InvalidArgument', `controller ${name}: already set up with another manager or informer factory`);
      }
      env = e;
      recorder = e.recorder ?? createEventRecorder(e.client, { component: name, logger: e.logger }, e.clock);
      logger = e.logger ?? consoleLogger;
      const informerFor = (k: KindRef, o: WatchOptions<ApiObject>) =>
        e.informers.forKind(k.apiVersion, k.kind, { namespace: o.namespace, labelSelector: o.labelSelector, fieldSelector: o.fieldSelector }) as unknown as Informer;
      primary = informerFor(spec.forKind, spec.forOpts);
      sources = [{ informer: primary, spec: undefined }, ...[...spec.owns, ...spec.watches].map((w) => ({ informer: informerFor(w.kind, w.opts), spec: w }))];
      e.metrics?.registerController(name, concurrency);
    },
    async start(signal) {
      if (!env) throw new ControllerRuntimeError('InvalidArgument', `controller ${name}: start before setup (add it to a manager, or use run)`);
      if (running) throw new ControllerRuntimeError('InvalidArgument', `controller ${name}: already running`);
      if (signal.aborted) return;
      running = true;
      const { clock, informers, metrics } = env;
      // Reconciles' calls, not the host's, make way for the host's event loop when it is starved.
      const client = cooperativeClient(env.client);
      const q = createWorkQueue<string>({ clock, name, rateLimiter: spec.config.rateLimiter, metrics: metrics?.queueHooks() });
      queue = q;
      const untrack = metrics?.trackQueue(q as WorkQueue<unknown>);
      // Reconciles see this signal: it aborts as soon as the controller begins to stop.
      const stopping = new AbortController();
      let active = 0;

      const enqueue = (keys: readonly string[]) => {
        for (const k of keys) if (k) q.add(k);
      };
      const safeKeys = (w: WatchSpec, obj: ApiObject): readonly string[] => {
        try {
          return w.keys(obj);
        } catch (e) {
          logger.error(`controller ${name}: mapping ${w.kind.kind} ${keyOf(obj)} to requests failed: ${errorMessage(e)}`, e);
          return [];
        }
      };
      const removers = sources.map(({ informer, spec: w }) => {
        const keysOf = (obj: ApiObject) => (w ? safeKeys(w, obj) : [keyOf(obj)]);
        const preds = w ? w.opts.predicates : spec.forOpts.predicates;
        return informer.addEventHandler({
          onAdd: (obj) => {
            if (pass(preds, { type: 'create', obj })) enqueue(keysOf(obj));
          },
          onUpdate: (oldObj, newObj) => {
            if (!pass(preds, { type: 'update', oldObj, newObj })) return;
            enqueue(keysOf(newObj));
            if (w && oldObj !== newObj) enqueue(keysOf(oldObj));
          },
          onDelete: (obj) => {
            if (pass(preds, { type: 'delete', obj })) enqueue(keysOf(obj));
          },
        });
      });

      const apply = (key: string, action: Action, succeeded: boolean) => {
        switch (action.type) {
          case 'requeue':
            q.addRateLimited(key);
            break;
          case 'requeueAfter':
            if (succeeded) q.forget(key);
            q.addAfter(key, action.delayMs);
            break;
          default:
            if (succeeded) q.forget(key);
        }
      };

      async function processKey(key: string): Promise<void> {
        const obj = primary.cache.get(key) as T | undefined;
        if (!obj) {
          // Gone: nothing to converge. Cleanup on deletion belongs in a finalizer.
          q.forget(key);
          return;
        }
        const ctx = { ...userCtx, key, controller: name, client, clock, recorder, informers, retries: q.numRequeues(key) } as Ctx & ReconcileContext;
        const started = clock.now();
        const seconds = () => (clock.now() - started) / 1000;
        metrics?.setActiveWorkers(name, ++active);
        try {
          const action = (await reconcile(obj, ctx, stopping.signal)) ?? Action.awaitChange();
          metrics?.observeReconcile(name, action.type === 'requeue' ? 'requeue' : action.type === 'requeueAfter' ? 'requeue_after' : 'success', seconds());
          apply(key, action, true);
        } catch (err) {
          // A reconcile cut short by the stop is not a failure; the next start looks again.
          if (stopping.signal.aborted) return;
          const terminal = isTerminalError(err);
          metrics?.observeReconcile(name, 'error', seconds());
          metrics?.reconcileError(name, terminal);
          recorder.event(obj as unknown as KubeObject, 'Warning', 'ReconcileError', errorMessage(err));
          logger.error(`controller ${name}: reconcile ${key} failed${terminal ? ' (terminal, not requeued)' : ''}: ${errorMessage(err)}`, err);
          if (terminal) {
            q.forget(key);
            return;
          }
          let action: Action;
          try {
            action = errorPolicy(err, obj, ctx);
            if (!(action instanceof Action)) action = Action.requeue();
          } catch (e) {
            logger.error(`controller ${name}: error policy threw for ${key}; requeueing with backoff`, e);
            action = Action.requeue();
          }
          apply(key, action, false);
        } finally {
          metrics?.setActiveWorkers(name, --active);
        }
      }

      async function worker(): Promise<void> {
        for (;;) {
          // Quick reconciles back to back never reach the event loop by themselves.
          if (shouldYield()) await yieldToEventLoop();
          const item = await q.get();
          if (item.shutdown) return;
          try {
            await processKey(item.key);
          } catch (e) {
            logger.error(`controller ${name}: unexpected failure processing ${item.key}`, e);
          } finally {
            q.done(item.key);
          }
        }
      }

      const workers = Array.from({ length: concurrency }, () => worker());
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
      stopping.abort(signal.reason);
      for (const remove of removers) remove();
      await q.shutDownWithDrain();
      await Promise.all(workers);
      untrack?.();
      queue = undefined;
      running = false;
    },
    isRunning: () => running,
    queueDepth: () => queue?.len() ?? 0,
  };
  return controller;
}
