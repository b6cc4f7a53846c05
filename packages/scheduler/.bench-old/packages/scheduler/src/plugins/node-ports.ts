import type { Pod } from '@bosun/api';
import { stateKey, type CycleState } from '../framework/cycle-state';
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, PluginFactory, PreFilterPlugin } from '../framework/interface';
import { podHostPorts, type HostPort, type NodeInfo } from '../framework/node-info';
import { Status } from '../framework/status';

/** The reason NodePorts gives. */
export const ERR_REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";

const preFilterKey = stateKey<HostPort[]>('PreFilterNodePorts');

/** Filter: the host ports the pod asks for must be free on the node (`0.0.0.0` clashes with every IP). */
export class NodePorts implements PreFilterPlugin, FilterPlugin, EnqueueExtensions {
  static readonly pluginName = 'NodePorts';
  readonly name = NodePorts.pluginName;

  preFilter(state: CycleState, pod: Pod): Status {
    const ports = podHostPorts(pod);
    if (ports.length === 0) return Status.skip();
    state.write(preFilterKey, ports);
    return Status.success;
  }

  filter(state: CycleState, pod: Pod, node: NodeInfo): Status {
    const ports = state.tryRead(preFilterKey) ?? podHostPorts(pod);
    for (const p of ports) if (node.usedPorts.checkConflict(p)) return Status.unschedulable(ERR_REASON_PORTS);
    return Status.success;
  }

  eventsToRegister(): ClusterEvent[] {
    return [{ resource: 'AssignedPod', action: 'Delete' }, { resource: 'Node', action: 'Add' }, { resource: 'Node', action: 'Update' }];
  }
}

export const create: PluginFactory = () => new NodePorts();
