import type { MetricsProvider } from '@bosun/controllers';
import type { NodeRegistry } from './parts';

/**
 * The HPA's {@link MetricsProvider} over every node agent (the role metrics-server plays
 * upstream, reading the kubelets' resource metrics): each query asks every live node's
 * agent and merges the samples. A node whose agent fails is left out (its pods then
 * count as missing metrics) rather than failing the whole query.
 */
export function createAgentMetricsProvider(nodes: NodeRegistry): MetricsProvider {
  return {
    async getPodMetrics(namespace, selector) {
      const perNode = await Promise.all(nodes.list().map((n) => n.agent.metricsProvider().getPodMetrics(namespace, selector).catch(() => [])));
      return perNode.flat();
    },
  };
}
