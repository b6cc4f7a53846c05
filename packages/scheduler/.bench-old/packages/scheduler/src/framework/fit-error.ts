import type { Status } from './status';

/** Why a pod fits no node: each rejected node's status, the plugins that rejected it, and PreFilter/PostFilter messages. */
export interface Diagnosis {
  /** Node name → the status that rejected the pod there. */
  nodeToStatus: Map<string, Status>;
  /** Plugins that returned Unschedulable(AndUnresolvable): only events they registered for requeue the pod. */
  unschedulablePlugins: Set<string>;
  /** Set when a PreFilter plugin rejected the pod for every node. */
  preFilterMsg?: string;
  /** The PostFilter (preemption) outcome, appended to the message. */
  postFilterMsg?: string;
}

/** An empty {@link Diagnosis}. */
export function newDiagnosis(): Diagnosis {
  return { nodeToStatus: new Map(), unschedulablePlugins: new Set() };
}

/**
 * The message of a pod that fits nowhere, exactly as kube-scheduler's FitError writes it:
 * `0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {dedicated: gpu}.`
 * — reasons counted over the rejected nodes, each as `<count> <reason>`, sorted as strings —
 * then the PostFilter message (`preemption: 0/5 nodes are available: 5 Preemption is not
 * helpful for scheduling.`). When PreFilter rejected the pod, its message replaces the histogram.
 */
export function fitErrorMessage(numAllNodes: number, d: Pick<Diagnosis, 'nodeToStatus' | 'preFilterMsg' | 'postFilterMsg'>): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (d.preFilterMsg) {
    msg += ` ${d.preFilterMsg}.`;
  } else {
    const counts = new Map<string, number>();
    for (const s of d.nodeToStatus.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort();
    if (parts.length) msg += ` ${parts.join(', ')}.`;
  }
  if (d.postFilterMsg) msg += ` ${d.postFilterMsg}.`.replace(/\.\.$/, '.');
  return msg;
}
