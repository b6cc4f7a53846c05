import type { Client } from '@bosun/apiserver';
import type { ExecResult, LogOptions } from '@bosun/node-agent';
import { ClusterError } from './errors';
import type { ClusterNode } from './parts';

/** Options of `cluster.logs` (the node agent's): `container`, `previous`, `tailLines`, `timestamps`. */
export type LogsOptions = LogOptions;
/** What `cluster.exec` returns: ExecSync's exit code and output, decoded as UTF-8. */
export type { ExecResult };

/**
 * The node running a pod: logs and exec go to that node's agent, as the API server
 * forwards `pods/log` and `pods/exec` to the kubelet. Rejects with NotFound (an ApiError)
 * for an unknown pod, and a `NotFound` ClusterError for a pod not bound yet or bound to a
 * node this cluster does not run.
 */
export async function nodeOfPod(client: Client, nodes: (name: string) => ClusterNode | undefined, namespace: string, podName: string): Promise<ClusterNode> {
  const pod = await client.get('v1', 'Pod', namespace, podName);
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) throw new ClusterError('NotFound', `pod ${namespace}/${podName} is not scheduled to a node yet`);
  const node = nodes(nodeName);
  if (!node) throw new ClusterError('NotFound', `pod ${namespace}/${podName} is on node ${nodeName}, which this cluster does not run`);
  return node;
}
