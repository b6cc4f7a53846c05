import type { Pod } from '@bosun/api';
import type { CycleState } from '../framework/cycle-state';
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, PluginFactory } from '../framework/interface';
import type { NodeInfo } from '../framework/node-info';
import { Status } from '../framework/status';
import { toleratesTaint } from './helpers';

/** The taint key of a cordoned node (`spec.unschedulable: true`). */
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
/** The reason NodeUnschedulable gives. */
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';

/**
 * Filter: a cordoned node (`spec.unschedulable`) takes only pods tolerating the
 * `node.kubernetes.io/unschedulable:NoSchedule` taint (DaemonSet pods do).
 */
export class NodeUnschedulable implements FilterPlugin, EnqueueExtensions {
  static readonly pluginName = 'NodeUnschedulable';
  readonly name = NodeUnschedulable.pluginName;

  filter(_s: CycleState, pod: Pod, node: NodeInfo): Status {
    if (!node.unschedulable) return Status.success;
    const taint = { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' };
    if ((pod.spec?.tolerations ?? []).some((t) => toleratesTaint(t, taint))) return Status.success;
    return Status.unschedulableAndUnresolvable(ERR_REASON_UNSCHEDULABLE);
  }
  eventsToRegister(): ClusterEvent[] {
    return [{ resource: 'Node', action: 'Add' }, { resource: 'Node', action: 'Update' }];
  }
}

export const create: PluginFactory = () => new NodeUnschedulable();
