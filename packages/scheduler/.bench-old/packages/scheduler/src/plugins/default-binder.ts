import type { Pod } from '@bosun/api';
import { isApiError } from '@bosun/api';
import { stateKey, type CycleState } from '../framework/cycle-state';
import type { BindPlugin, Handle, PluginFactory } from '../framework/interface';
import { Status } from '../framework/status';

/**
 * Set by DefaultBinder when the write that bound the pod already marked it PodScheduled=True
 * (the pods/binding subresource does, as upstream), so the scheduler skips its own
 * condition update.
 */
export const SCHEDULED_CONDITION_WRITTEN = stateKey<true>('DefaultBinder/PodScheduledWritten');

function scheduledTrue(obj: unknown): boolean {
  const conditions = (obj as Pod | undefined)?.status?.conditions;
  return Array.isArray(conditions) && conditions.some((c) => c.type === 'PodScheduled' && c.status === 'True');
}

/** Assigns a pod to a node (`spec.nodeName`), given the pod's namespace and name. */
export type Binder = (namespace: string, podName: string, nodeName: string) => Promise<unknown>;

/**
 * Bind: writes the assignment through the pods/binding subresource (`client.bind`), or,
 * for a client without it, an update of `spec.nodeName`. A pod already bound or being
 * deleted fails with the API's Conflict, and the pod is not retried once the informer
 * shows it bound or gone.
 */
export class DefaultBinder implements BindPlugin {
  static readonly pluginName = 'DefaultBinder';
  readonly name = DefaultBinder.pluginName;

  constructor(private readonly binder: Binder) {}

  async bind(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    try {
      const bound = await this.binder(pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? '', nodeName);
      if (scheduledTrue(bound)) state.write(SCHEDULED_CONDITION_WRITTEN, true);
      return Status.success;
    } catch (e) {
      return Status.error(isApiError(e) ? e : e);
    }
  }
}

/** The binder a handle's client offers. */
export function clientBinder(handle: Handle): Binder {
  return async (namespace, name, nodeName) => {
    const client = handle.client;
    if (!client) throw new Error('DefaultBinder: the scheduler has no client');
    if (client.bind) return client.bind(namespace, name, nodeName);
    const pod = (await client.get('v1', 'Pod', namespace, name)) as Pod;
    return client.update({ ...pod, spec: { ...pod.spec!, nodeName } });
  };
}

/** Args of DefaultBinder: an optional `binder` replacing the client's (for tests and custom transports). */
export interface DefaultBinderArgs {
  binder?: Binder;
}

export const create: PluginFactory = (args, handle) => new DefaultBinder((args as DefaultBinderArgs | undefined)?.binder ?? clientBinder(handle));
