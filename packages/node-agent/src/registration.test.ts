import { describe, expect, it } from 'vitest';
import type { Node } from '@bosun/api';
import { createTestEnv, type TestEnv } from '@bosun/apiserver';
import { createInProcessCriClient } from '@bosun/cri';
import { createFakeRuntime } from '@bosun/runtime-fake';
import { createNodeAgent } from './index';
import { NODE_LEASE_NAMESPACE, registerNode, renewLease, type NodeFacts } from './node-status';

const quiet = { warn: () => undefined, error: () => undefined };

const facts = (extra: Partial<NodeFacts> = {}): NodeFacts => ({
  nodeName: 'node-1',
  hostIP: '10.0.0.1',
  capacity: { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '100Gi' },
  labels: {},
  taints: [],
  version: { version: '0.1.0', runtimeName: 'bosun-fake', runtimeVersion: '0.1.0', runtimeApiVersion: 'v1' },
  ...extra,
});

const lease = (env: TestEnv) => env.client.get('coordination.k8s.io/v1', 'Lease', NODE_LEASE_NAMESPACE, 'node-1');

/** Counts the writes (create/update/updateStatus) and reads (get) the client makes. */
function counting<C extends object>(client: C): { client: C; calls: string[] } {
  const calls: string[] = [];
  const wrapped = new Proxy(client, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || !['get', 'create', 'update', 'updateStatus'].includes(String(prop))) return v;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { client: wrapped, calls };
}

describe('registerNode', () => {
  it('registers a new node with one create carrying its status', async () => {
    await using env = await createTestEnv();
    const { client, calls } = counting(env.client);
    const node = await registerNode(client, facts({ podCidr: '10.244.0.0/24' }), env.clock);
    expect(calls).toEqual(['create']);
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const stored = await env.client.get('v1', 'Node', '', 'node-1');
    expect(stored.spec?.podCIDR).toBe('10.244.0.0/24');
    expect(stored.status?.nodeInfo?.containerRuntimeVersion).toBe('bosun-fake://0.1.0');
  });

  it('takes over an existing Node: keeps its labels, sets its own, and posts a status', async () => {
    await using env = await createTestEnv();
    await env.client.create<Node>({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', labels: { zone: 'a', disk: 'hdd' } } });
    const { client, calls } = counting(env.client);
    await registerNode(client, facts({ labels: { disk: 'ssd' }, taints: [{ key: 'k', effect: 'NoSchedule' }] }), env.clock);
    expect(calls).toEqual(['create', 'get', 'update', 'updateStatus']);
    const stored = await env.client.get('v1', 'Node', '', 'node-1');
    expect(stored.metadata.labels).toMatchObject({ zone: 'a', disk: 'ssd', 'kubernetes.io/hostname': 'node-1' });
    expect(stored.spec?.taints).toEqual([{ key: 'k', effect: 'NoSchedule' }]);
    expect(stored.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('skips the spec update when the existing Node already matches', async () => {
    await using env = await createTestEnv();
    await registerNode(env.client, facts(), env.clock);
    const { client, calls } = counting(env.client);
    await registerNode(client, facts(), env.clock);
    expect(calls).toEqual(['create', 'get', 'updateStatus']);
  });

  it('surfaces an invalid Node as the API server rejects it', async () => {
    await using env = await createTestEnv();
    await expect(registerNode(env.client, facts({ nodeName: 'Not_A_Name' }), env.clock)).rejects.toMatchObject({ reason: 'Invalid' });
  });
});

describe('renewLease', () => {
  const owner = { metadata: { name: 'node-1', uid: 'u-1' } };

  it('creates the Lease with one call on the first heartbeat (createFirst)', async () => {
    await using env = await createTestEnv();
    const { client, calls } = counting(env.client);
    await renewLease(client, owner, 40, env.clock, undefined, { createFirst: true });
    expect(calls).toEqual(['create']);
    expect((await lease(env)).spec).toMatchObject({ holderIdentity: 'node-1', leaseDurationSeconds: 40 });
  });

  it('renews an existing Lease when createFirst meets AlreadyExists', async () => {
    await using env = await createTestEnv();
    await renewLease(env.client, owner, 40, env.clock);
    await env.clock.advance(5_000);
    const { client, calls } = counting(env.client);
    await renewLease(client, owner, 40, env.clock, undefined, { createFirst: true });
    expect(calls).toEqual(['create', 'get', 'update']);
    expect((await lease(env)).spec?.renewTime).toBe('2026-01-01T00:00:05.000000Z');
  });

  it('renews with get + update without createFirst', async () => {
    await using env = await createTestEnv();
    await renewLease(env.client, owner, 40, env.clock);
    const { client, calls } = counting(env.client);
    await renewLease(client, owner, 40, env.clock);
    expect(calls).toEqual(['get', 'update']);
  });
});

describe('agent restart', () => {
  it('a second agent for the same node re-registers over the first one’s Node and Lease', async () => {
    await using env = await createTestEnv();
    const runtime = createFakeRuntime({ clock: env.clock });
    const cri = createInProcessCriClient(runtime);
    const first = createNodeAgent({ client: env.client, cri, nodeName: 'node-1', clock: env.clock, logger: quiet });
    await first.start();
    await first.stop();
    const uid = (await env.client.get('v1', 'Node', '', 'node-1')).metadata.uid;
    await env.clock.advance(3_000);
    const second = createNodeAgent({ client: env.client, cri, nodeName: 'node-1', clock: env.clock, logger: quiet });
    await second.start();
    await second.stop();
    runtime.dispose();
    const node = await env.client.get('v1', 'Node', '', 'node-1');
    expect(node.metadata.uid).toBe(uid);
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime).toBe('2026-01-01T00:00:03Z');
    expect((await lease(env)).spec?.renewTime).toBe('2026-01-01T00:00:03.000000Z');
  });
});
