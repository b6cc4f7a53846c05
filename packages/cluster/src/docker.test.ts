// The Docker node wiring that needs no daemon: the per-node CNI configuration and the
// CRI scoping that lets several nodes share one daemon (checked on the fake runtime).
// Real Docker runs are in test/runtimes.
import { describe, expect, it } from 'vitest';
import { createInProcessCriClient } from '@bosun/cri';
import { createFakeRuntime } from '@bosun/runtime-fake';
import { DOCKER_NODE_LABEL, dockerNodeBridge, dockerNodeConfList, dockerNodeScope, scopeCri } from './modules/docker';

const sandbox = (name: string) => ({ metadata: { name, namespace: 'default', uid: `uid-${name}`, attempt: 0 }, hostname: name, labels: { app: 'x' }, linux: {} });

describe('Docker nodes', () => {
  it('run bridge + host-local over exactly the node pod CIDR, on a bridge of their own', () => {
    const a = { dir: '/tmp/c1/nodes/node-1', podCIDR: '10.250.1.0/24', spec: { name: 'node-1' } };
    const b = { dir: '/tmp/c2/nodes/node-1', podCIDR: '10.250.1.0/24', spec: { name: 'node-1' } };
    const list = dockerNodeConfList(a) as { plugins: Array<Record<string, any>> };
    expect(list.plugins.map((p) => p.type)).toEqual(['bridge']);
    expect(list.plugins[0]!.ipam).toMatchObject({ type: 'host-local', ranges: [[{ subnet: '10.250.1.0/24' }]], dataDir: '/tmp/c1/nodes/node-1/cni/ipam' });
    expect(list.plugins[0]!.bridge).toBe(dockerNodeBridge(a));
    expect(dockerNodeBridge(a).length).toBeLessThanOrEqual(15);
    expect(dockerNodeBridge(a)).not.toBe(dockerNodeBridge(b));
    expect(dockerNodeScope(a)).not.toBe(dockerNodeScope(b));
    expect(dockerNodeScope(a)).toMatch(/^node-1\./);
  });

  it('see only their own sandboxes and containers on a shared runtime', async () => {
    const shared = createFakeRuntime({ podCidr: '10.250.9.0/24' });
    const one = createInProcessCriClient(scopeCri(shared, DOCKER_NODE_LABEL, 'node-1.aaa'));
    const two = createInProcessCriClient(scopeCri(shared, DOCKER_NODE_LABEL, 'node-2.bbb'));
    const all = createInProcessCriClient(shared);
    try {
      const s1 = await one.runtime.runPodSandbox(sandbox('p1'));
      const s2 = await two.runtime.runPodSandbox(sandbox('p2'));
      const c1 = await one.runtime.createContainer(s1, { metadata: { name: 'c', attempt: 0 }, image: { image: 'busybox' }, command: ['sleep', '60'], labels: { role: 'app' } }, sandbox('p1'));
      expect((await one.runtime.listPodSandbox()).map((s) => s.id)).toEqual([s1]);
      expect((await two.runtime.listPodSandbox()).map((s) => s.id)).toEqual([s2]);
      expect((await one.runtime.listPodSandbox()).map((s) => s.labels)).toEqual([{ app: 'x', [DOCKER_NODE_LABEL]: 'node-1.aaa' }]);
      expect((await one.runtime.listContainers()).map((c) => c.id)).toEqual([c1]);
      expect(await two.runtime.listContainers()).toEqual([]);
      // A caller's own selector still applies, on top of the scope.
      expect(await one.runtime.listPodSandbox({ labelSelector: { app: 'y' } })).toEqual([]);
      expect((await one.runtime.listContainers({ labelSelector: { role: 'app' } })).map((c) => c.id)).toEqual([c1]);
      expect((await all.runtime.listPodSandbox()).length).toBe(2);
    } finally {
      shared.dispose();
    }
  });
});

describe('scopeCri selectors', () => {
  it.each<[string, Record<string, string>, string[]]>([
    ['the caller selector alone, inside the scope', { 'io.kubernetes.pod.uid': 'uid-p' }, ['p']],
    ['the caller selector and the own scope label', { 'io.kubernetes.pod.uid': 'uid-p', [DOCKER_NODE_LABEL]: 'n' }, ['p']],
    ['another node scope label', { [DOCKER_NODE_LABEL]: 'other' }, []],
    ['a value nobody carries', { 'io.kubernetes.pod.uid': 'nobody' }, []],
  ])('match %s', async (_n, labelSelector, want) => {
    const shared = createFakeRuntime({ podCidr: '10.250.8.0/24' });
    const cri = createInProcessCriClient(scopeCri(shared, DOCKER_NODE_LABEL, 'n'));
    const elsewhere = createInProcessCriClient(scopeCri(shared, DOCKER_NODE_LABEL, 'other'));
    try {
      const id = await cri.runtime.runPodSandbox({ ...sandbox('p'), labels: { 'io.kubernetes.pod.uid': 'uid-p' } });
      await elsewhere.runtime.runPodSandbox({ ...sandbox('q'), labels: { 'io.kubernetes.pod.uid': 'uid-p' } });
      const found = await cri.runtime.listPodSandbox({ labelSelector });
      expect(found.map((s) => s.metadata?.name)).toEqual(want);
      if (want.length) expect(found[0]!.id).toBe(id);
    } finally {
      shared.dispose();
    }
  });
});
