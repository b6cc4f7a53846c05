import { rfc3339, type Pod } from '@bosun/api';
import type { TestEnv } from '@bosun/apiserver';
import { isPodReady } from './pod-utils';

/**
 * Marks every pod matching `labelSelector` in `namespace` Running and Ready (condition
 * Ready=True, transition time = now on the env's clock) through the status subresource,
 * the way kwok fakes a node agent. Pods already ready or being deleted are left alone.
 * For tests, until a node agent runs. Resolves to the number of pods changed.
 */
export async function makePodsReady(env: Pick<TestEnv, 'client' | 'clock'>, labelSelector: string, namespace = 'default'): Promise<number> {
  const pods = await env.client.list('v1', 'Pod', { namespace, labelSelector });
  let n = 0;
  const now = rfc3339(env.clock.now());
  for (const pod of pods.items) {
    if (pod.metadata?.deletionTimestamp || isPodReady(pod)) continue;
    const conditions = [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
      { type: 'Initialized', status: 'True', lastTransitionTime: now },
      { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
      { type: 'Ready', status: 'True', lastTransitionTime: now },
    ];
    const status: Pod['status'] = { ...pod.status, phase: 'Running', conditions, startTime: pod.status?.startTime ?? now };
    try {
      await env.client.updateStatus({ ...pod, status });
      n++;
    } catch {
      // deleted or changed meanwhile: the next call catches it
    }
  }
  return n;
}

/**
 * Waits until `cond` holds, letting the controllers run: yields to the event loop and
 * moves the fake clock `stepMs` (default 10 ms, so rate-limited requeues fire) between
 * checks, up to `maxSteps` steps. Throws naming `what` when it never holds. For tests.
 */
export async function waitFor(env: Pick<TestEnv, 'clock'>, cond: () => boolean | Promise<boolean>, what = 'condition', opts: { stepMs?: number; maxSteps?: number } = {}): Promise<void> {
  const steps = opts.maxSteps ?? 400;
  for (let i = 0; i < steps; i++) {
    if (await cond()) return;
    for (let j = 0; j < 5; j++) await new Promise<void>((r) => setImmediate(r));
    if (await cond()) return;
    await env.clock.advance(opts.stepMs ?? 10);
  }
  if (!(await cond())) throw new Error(`timed out waiting for ${what}`);
}
