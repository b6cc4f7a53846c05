// Where the HorizontalPodAutoscaler controller gets pod resource usage (the role of
// metrics-server's resource metrics API upstream).
import type { Clock, Selector } from '@bosun/api';

/** One pod's resource usage over a window, as the resource metrics API reports it. */
export interface PodUsageSample {
  /** The pod's name (in the namespace asked for). */
  pod: string;
  /** When the window ended, in ms since the epoch (on the cluster's clock). */
  timestamp: number;
  /** How long the window the usage was averaged over lasted, in ms. */
  windowMs: number;
  /** Usage as quantities (`"250m"`, `"64Mi"`), summed over the pod's containers. */
  usage: { cpu?: string; memory?: string };
}

/**
 * A source of pod resource usage for the HorizontalPodAutoscaler controller. The node
 * agent feeds the cluster's provider; tests use {@link createStaticMetricsProvider}.
 */
export interface MetricsProvider {
  /**
   * Usage of the pods in `namespace` matching `selector`, one sample per pod it has
   * data for (pods left out count as "missing metrics"). Called once per HPA per sync:
   * should answer from memory. Samples for pods that do not match may be returned and
   * are ignored. A rejection makes every resource metric of that sync fail.
   */
  getPodMetrics(namespace: string, selector: Selector): Promise<PodUsageSample[]>;
}

/** Options of {@link createStaticMetricsProvider}. */
export interface StaticMetricsProviderOptions {
  /** Stamps samples with `clock.now()` at query time (use the cluster's clock). Default: `Date.now()`. */
  clock?: Pick<Clock, 'now'>;
  /** The window reported for every sample. Default 30 s (the kubelet's resource metrics window). */
  windowMs?: number;
}

/** A {@link MetricsProvider} whose usage is set by hand. */
export interface StaticMetricsProvider extends MetricsProvider {
  /** Sets (replaces) the usage of one pod; `timestamp` defaults to the time of each query. */
  set(namespace: string, pod: string, usage: PodUsageSample['usage'], timestamp?: number): void;
  /** Forgets one pod (its metrics go missing). */
  delete(namespace: string, pod: string): void;
  /** Forgets every pod. */
  clear(): void;
}

/**
 * A {@link StaticMetricsProvider}: usage is whatever was last `set`. It cannot see pod
 * labels, so it returns every pod it holds in the namespace and relies on the caller to
 * keep the ones its selector matches (the HPA controller does).
 */
export function createStaticMetricsProvider(opts: StaticMetricsProviderOptions = {}): StaticMetricsProvider {
  const byNs = new Map<string, Map<string, { usage: PodUsageSample['usage']; timestamp?: number }>>();
  const windowMs = opts.windowMs ?? 30_000;
  return {
    async getPodMetrics(namespace) {
      const now = opts.clock ? opts.clock.now() : Date.now();
      return [...(byNs.get(namespace) ?? new Map()).entries()].map(([pod, s]) => ({ pod, timestamp: s.timestamp ?? now, windowMs, usage: { ...s.usage } }));
    },
    set(namespace, pod, usage, timestamp) {
      let m = byNs.get(namespace);
      if (!m) byNs.set(namespace, (m = new Map()));
      m.set(pod, { usage: { ...usage }, timestamp });
    },
    delete(namespace, pod) {
      byNs.get(namespace)?.delete(pod);
    },
    clear() {
      byNs.clear();
    },
  };
}
