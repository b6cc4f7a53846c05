import { describe, expect, it } from 'vitest';
import { createTestEnv } from '@bosun/apiserver';
import { createInProcessCriClient } from '@bosun/cri';
import { createFakeRuntime } from '@bosun/runtime-fake';
import { createNodeAgent } from './index';

describe('a runtime that does not list back the sandbox it created', () => {
  it('removes each such sandbox with a clear error instead of piling them up', async () => {
    await using env = await createTestEnv();
    const runtime = createFakeRuntime({ clock: env.clock, podCidr: '10.244.1.0/24' });
    // The runtime loses the pod's labels when listing (as a runtime that keeps its own
    // io.kubernetes.* keys might): the agent never finds its sandbox under the pod's uid.
    const lossy = { ...runtime, listPodSandbox: async () => ({ items: [] }) };
    const logged: string[] = [];
    const logger = { warn: (m: string, ...a: unknown[]) => void logged.push([m, ...a.map(String)].join(' ')), error: (m: string, ...a: unknown[]) => void logged.push([m, ...a.map(String)].join(' ')) };
    const agent = createNodeAgent({ client: env.client, cri: createInProcessCriClient(lossy), nodeName: 'node-1', clock: env.clock, logger });
    await agent.start();
    try {
      await env.client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'busybox:1.36' }] } });
      for (let i = 0; i < 40 && !logged.some((l) => l.includes('does not list it')); i++) {
        await env.clock.advance(1_000);
        for (let j = 0; j < 10; j++) await new Promise((r) => setImmediate(r));
      }
      expect(logged.find((l) => l.includes('does not list it'))).toMatch(/the runtime created sandbox \S+ for pod default\/p .*removed it/);
      // Retries happen on later syncs; none of them leaves a sandbox behind.
      for (let i = 0; i < 5; i++) {
        await env.clock.advance(2_000);
        for (let j = 0; j < 10; j++) await new Promise((r) => setImmediate(r));
      }
      await agent.idle();
      expect((await runtime.listPodSandbox({} as never)).items).toEqual([]);
      expect((await env.client.get('v1', 'Pod', 'default', 'p')).status?.phase).not.toBe('Running');
    } finally {
      await agent.stop();
      runtime.dispose();
    }
  });
});
