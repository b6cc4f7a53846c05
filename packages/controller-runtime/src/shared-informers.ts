import { setMaxListeners } from 'node:events';
import type { Clock, KubeObject, TypeOf } from '@bosun/api';
import type { Client, Logger } from '@bosun/apiserver';
import type { Backoff } from './backoff';
import { createInformer, type Informer } from './informer';

/** Options of {@link createSharedInformerFactory}. */
export interface SharedInformerFactoryOptions {
  /** Time source for every informer's backoff and resync. */
  clock: Clock;
  /** Default resync period of the informers (0 or omitted: no resync). */
  resyncPeriodMs?: number;
  /** Default namespace of the informers; omit for all namespaces. */
  namespace?: string;
  /** Makes each informer's backoff; `informerBackoff()` by default. Called once per informer. */
  backoff?: () => Backoff;
  /** Where the informers report failures; `console` by default. */
  logger?: Logger;
}

/** What makes two {@link SharedInformerFactory.forKind} calls share an informer: the same kind and the same options. */
export interface ForKindOptions {
  /** Overrides the factory's namespace; `''` for all namespaces. */
  namespace?: string;
  /** Only objects matching this label selector. */
  labelSelector?: string;
  /** Only objects matching this field selector. */
  fieldSelector?: string;
  /** Used only by the call that creates the informer; later calls share its period. */
  resyncPeriodMs?: number;
}

/**
 * One informer per kind (and per namespace and selectors), shared by every controller
 * that asks for it, so a manager keeps one cache and one watch per kind however many
 * controllers read it.
 */
export interface SharedInformerFactory {
  /**
   * The shared informer for this kind and options, created on first use. Informers
   * created after {@link SharedInformerFactory.start} start at once. Add indexes with
   * `informer.cache.addIndexers`.
   */
  forKind<A extends string, K extends string>(apiVersion: A, kind: K, opts?: ForKindOptions): Informer<TypeOf<A, K>>;
  /** Starts every informer, now and as they are created, until `signal` aborts or {@link SharedInformerFactory.shutdown}. Idempotent. */
  start(signal?: AbortSignal): void;
  /**
   * Resolves true once every informer created so far has synced; false if `signal`
   * aborts or an informer stops first. Call after {@link SharedInformerFactory.start}.
   */
  waitForCacheSync(signal?: AbortSignal): Promise<boolean>;
  /** Every informer created so far. */
  informers(): Informer[];
  /** Stops every informer and resolves once they have all stopped. Idempotent. */
  shutdown(): Promise<void>;
}

/**
 * A signal that follows `signal` and may have any number of listeners: every informer
 * listens on it (one per kind), a fan-out rather than a leak. The warning threshold is
 * lifted on a signal of our own, never on the caller's.
 */
function fanOut(signal: AbortSignal | undefined): AbortSignal | undefined {
  if (!signal) return undefined;
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  if (signal.aborted) ac.abort(signal.reason);
  else signal.addEventListener('abort', () => ac.abort(signal.reason), { once: true });
  return ac.signal;
}

/** A new {@link SharedInformerFactory} over `client`. */
export function createSharedInformerFactory(client: Client, opts: SharedInformerFactoryOptions): SharedInformerFactory {
  const informers = new Map<string, Informer>();
  const runs: Promise<void>[] = [];
  let started = false;
  let shutDown = false;
  let startSignal: AbortSignal | undefined;

  function startOne(inf: Informer): void {
    runs.push(inf.run(startSignal));
  }

  return {
    forKind<A extends string, K extends string>(apiVersion: A, kind: K, o: ForKindOptions = {}): Informer<TypeOf<A, K>> {
      const namespace = o.namespace ?? opts.namespace ?? '';
      const id = JSON.stringify([apiVersion, kind, namespace, o.labelSelector ?? '', o.fieldSelector ?? '']);
      let inf = informers.get(id);
      if (!inf) {
        inf = createInformer<KubeObject>(client, apiVersion, kind, {
          clock: opts.clock,
          namespace,
          labelSelector: o.labelSelector,
          fieldSelector: o.fieldSelector,
          resyncPeriodMs: o.resyncPeriodMs ?? opts.resyncPeriodMs,
          backoff: opts.backoff?.(),
          logger: opts.logger,
        });
        informers.set(id, inf);
        if (shutDown) inf.stop();
        else if (started) startOne(inf);
      }
      return inf as unknown as Informer<TypeOf<A, K>>;
    },
    start(signal) {
      if (started || shutDown) return;
      started = true;
      startSignal = fanOut(signal);
      for (const inf of informers.values()) startOne(inf);
    },
    async waitForCacheSync(signal) {
      const waitSignal = fanOut(signal);
      const results = await Promise.all([...informers.values()].map((inf) => inf.waitForSync(waitSignal)));
      return results.every(Boolean);
    },
    informers: () => [...informers.values()],
    async shutdown() {
      shutDown = true;
      for (const inf of informers.values()) inf.stop();
      await Promise.all(runs);
    },
  };
}
