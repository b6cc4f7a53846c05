import type { PluginFactory, QueueSortPlugin, QueuedPodInfo } from '../framework/interface';

/**
 * QueueSort: higher priority first; at equal priority, the pod that entered the queue
 * first (as upstream, a pod that failed goes behind pods queued while it backed off),
 * then the older pod by creationTimestamp, then by namespace/name so the order is total.
 */
export class PrioritySort implements QueueSortPlugin {
  static readonly pluginName = 'PrioritySort';
  readonly name = PrioritySort.pluginName;

  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    if (a.priority !== b.priority) return a.priority > b.priority;
    if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp;
    const ca = a.podInfo.pod.metadata?.creationTimestamp ?? '';
    const cb = b.podInfo.pod.metadata?.creationTimestamp ?? '';
    if (ca !== cb) return ca < cb;
    const ka = `${a.podInfo.pod.metadata?.namespace}/${a.podInfo.pod.metadata?.name}`;
    const kb = `${b.podInfo.pod.metadata?.namespace}/${b.podInfo.pod.metadata?.name}`;
    return ka < kb;
  }
}

export const create: PluginFactory = () => new PrioritySort();
