import type { Pod } from '@bosun/api';
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, PluginFactory } from '../framework/interface';
import type { NodeInfo } from '../framework/node-info';
import { Status } from '../framework/status';
import type { CycleState } from '../framework/cycle-state';

/** The reason NodeName gives. */
export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

/** Filter: a pod that names a node (`spec.nodeName`) fits only there. */
export class NodeName implements FilterPlugin, EnqueueExtensions {
  static readonly pluginName = 'NodeName';
  readonly name = NodeName.pluginName;

  filter(_s: CycleState, pod: Pod, node: NodeInfo): Status {
    const want = pod.spec?.nodeName;
    return !want || want === node.name ? Status.success : Status.unschedulableAndUnresolvable(ERR_REASON_NODE_NAME);
  }
  eventsToRegister(): ClusterEvent[] {
    return [{ resource: 'Node', action: 'Add' }, { resource: 'Node', action: 'Update' }];
  }
}

export const create: PluginFactory = () => new NodeName();
