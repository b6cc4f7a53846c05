import type { Pod } from '@bosun/api';
import type { ClusterEvent, EnqueueExtensions, PluginFactory, PreEnqueuePlugin } from '../framework/interface';
import { Status } from '../framework/status';

/** PreEnqueue: a pod with `spec.schedulingGates` stays out of activeQ until every gate is removed. */
export class SchedulingGates implements PreEnqueuePlugin, EnqueueExtensions {
  static readonly pluginName = 'SchedulingGates';
  readonly name = SchedulingGates.pluginName;

  preEnqueue(pod: Pod): Status {
    const gates = pod.spec?.schedulingGates ?? [];
    if (gates.length === 0) return Status.success;
    return Status.unschedulableAndUnresolvable(`waiting for scheduling gates: [${gates.map((g) => g.name).join(' ')}]`);
  }
  eventsToRegister(): ClusterEvent[] {
    return [{ resource: 'Pod', action: 'Update' }];
  }
}

export const create: PluginFactory = () => new SchedulingGates();
