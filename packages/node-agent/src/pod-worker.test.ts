import { describe, expect, it } from 'vitest';
import type { Pod } from '@bosun/api';
import { createTestEnv } from '@bosun/apiserver';
import { createInProcessCriClient, type CriClient } from '@bosun/cri';
import { createFakeRuntime } from '@bosun/runtime-fake';
import { createNodeAgent } from './index';

const quiet = { warn: () => undefined, error: () => undefined };

/** A CRI client that records the RuntimeService methods called through it. */
function countingCri(cri: CriClient): { cri: CriClient; calls: string[] } {
  const calls: string[] = [];
  const runtime = new Proxy(cri.runtime, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { cri: { ...cri, runtime }, calls };
}

const pod = (name: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { nodeName: 'node-1', containers: [{ name: 'a', image: 'busybox:1.36' }, { name: 'b', image: 'busybox:1.36' }] },
});

/** Lets promise chains and immediates run, without moving the fake clock (so no relist, no resync). */
async function settle(agent: { idle(): Promise<void> }): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await agent.idle();
    await new Promise((r) => setImmediate(r));
  }
}

async function setup() {
  const env = await createTestEnv();
  const runtime = createFakeRuntime({ clock: env.clock });
  const counted = countingCri(createInProcessCriClient(runtime));
  const agent = createNodeAgent({ client: env.client, cri: counted.cri, nodeName: 'node-1', clock: env.clock, logger: quiet });
  await agent.start();
  return {
    env,
    agent,
    calls: counted.calls,
    async [Symbol.asyncDispose]() {
      await agent.stop();
      runtime.dispose();
      await env.stop();
    },
  };
}

describe('pod worker', () => {
  it('posts Running from the sync that started the containers, without waiting for a relist', async () => {
    await using h = await setup();
    await h.env.client.create(pod('web'));
    await settle(h.agent);
    // The fake clock never moved: no relist ran after the start.
    const p = await h.env.client.get('v1', 'Pod', 'default', 'web');
    expect(p.status?.phase).toBe('Running');
    expect(p.status?.containerStatuses?.map((s) => Object.keys(s.state ?? {})[0])).toEqual(['running', 'running']);
  });

  it('reads each container status once per state: a sync with nothing to do makes two list calls', async () => {
    await using h = await setup();
    await h.env.client.create(pod('web'));
    await settle(h.agent);
    expect(h.calls.filter((c) => c === 'containerStatus')).toHaveLength(2);
    expect(h.calls.filter((c) => c === 'podSandboxStatus')).toHaveLength(1);
    h.calls.length = 0;
    // A label change wakes the worker; the runtime did not change.
    const p = await h.env.client.get('v1', 'Pod', 'default', 'web');
    await h.env.client.update({ ...p, metadata: { ...p.metadata, labels: { touched: 'yes' } } });
    await settle(h.agent);
    expect(h.calls.sort()).toEqual(['listContainers', 'listPodSandbox']);
  });

  it('starts a new pod with one CRI round trip per step: no relist before the containers, their statuses beside the last lists', async () => {
    await using h = await setup();
    await h.env.client.create(pod('web'));
    await settle(h.agent);
    const start = h.calls.indexOf('runPodSandbox');
    expect(start).toBeGreaterThanOrEqual(0);
    // The pod's first sandbox is read by its status alone (nothing else of the pod to
    // list); each container status is issued before the two lists it accompanies (one
    // round trip), and each is issued once. That relist also checks the runtime lists
    // the new sandbox under the pod's uid.
    expect(h.calls.slice(start)).toEqual([
      'runPodSandbox',
      'podSandboxStatus',
      // The app containers are started side by side.
      'createContainer',
      'createContainer',
      'startContainer',
      'startContainer',
      'containerStatus',
      'containerStatus',
      'listPodSandbox',
      'listContainers',
    ]);
  });

  it('reads the status again once the runtime reports a new state', async () => {
    await using h = await setup();
    await h.env.client.create({ ...pod('job'), metadata: { name: 'job', namespace: 'default', annotations: { 'fake.bosun.dev/exit-after': '2s' } }, spec: { ...pod('job').spec, restartPolicy: 'Never' } });
    await settle(h.agent);
    h.calls.length = 0;
    await h.env.clock.advance(3_000); // both containers exit; the relist wakes the worker
    await settle(h.agent);
    expect(h.calls.filter((c) => c === 'containerStatus')).toHaveLength(2);
    const p = await h.env.client.get('v1', 'Pod', 'default', 'job');
    expect(p.status?.phase).toBe('Succeeded');
    expect(p.status?.containerStatuses?.map((s) => s.state?.terminated?.reason)).toEqual(['Completed', 'Completed']);
  });
});
