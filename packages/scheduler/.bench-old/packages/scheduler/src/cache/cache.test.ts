import { describe, expect, it } from 'vitest';
import { node, pod } from '../../test/fixtures';
import { Snapshot } from '../framework/snapshot';
import { SchedulerCache } from './cache';

const bound = (name: string, nodeName: string, cpu = '1') => pod(name, { cpu, nodeName });

describe('SchedulerCache', () => {
  it('counts an assumed pod against its node at once and forgets it on failure', () => {
    const c = new SchedulerCache();
    c.addNode(node('n1', { cpu: '4' }));
    c.assumePod(bound('p', 'n1'));
    expect(c.dumpNode('n1')!.requested.milliCPU).toBe(1000);
    expect(c.isAssumedPod(pod('p'))).toBe(true);
    expect(() => c.assumePod(bound('p', 'n1'))).toThrow(/can't be assumed/);
    c.forgetPod(bound('p', 'n1'));
    expect(c.dumpNode('n1')!.requested.milliCPU).toBe(0);
    expect(c.podCount()).toBe(0);
  });

  it('confirms an assumed pod when the informer sees it bound, without counting it twice', () => {
    const c = new SchedulerCache();
    c.addNode(node('n1', { cpu: '4' }));
    c.assumePod(bound('p', 'n1'));
    c.addPod(bound('p', 'n1'));
    expect(c.isAssumedPod(pod('p'))).toBe(false);
    expect(c.dumpNode('n1')!.pods.length).toBe(1);
    c.forgetPod(bound('p', 'n1'));
    expect(c.dumpNode('n1')!.pods.length).toBe(1);
    c.removePod(bound('p', 'n1'));
    expect(c.dumpNode('n1')!.requested.milliCPU).toBe(0);
  });

  it('keeps a NodeInfo for pods whose node is gone, out of the snapshot', () => {
    const c = new SchedulerCache();
    c.addNode(node('n1'));
    c.addPod(bound('p', 'n1'));
    c.removeNode(node('n1'));
    const s = new Snapshot();
    c.updateSnapshot(s);
    expect(s.list()).toEqual([]);
    expect(c.nodeCount()).toBe(0);
  });

  it('refreshes only changed nodes in the snapshot', () => {
    const c = new SchedulerCache();
    c.addNode(node('n1'));
    c.addNode(node('n2'));
    const s = new Snapshot();
    c.updateSnapshot(s);
    const n2 = s.get('n2');
    c.addPod(bound('p', 'n1'));
    c.updateSnapshot(s);
    expect(s.get('n2')).toBe(n2);
    expect(s.get('n1')!.pods.length).toBe(1);
    // The snapshot is a copy: changing the cache does not change it until the next update.
    c.addPod(bound('q', 'n1'));
    expect(s.get('n1')!.pods.length).toBe(1);
  });

  // Regression: updateSnapshot visited every node and rebuilt every list in every cycle
  // (44% of the CPU at 5000 nodes). It now visits the changed nodes and updates them in
  // place; these check the lists stay right.
  it('updates the snapshot incrementally, keeping its lists right as pods, affinity and nodes change', () => {
    const c = new SchedulerCache();
    c.addNode(node('n1'));
    c.addNode(node('n2'));
    const s = new Snapshot();
    c.updateSnapshot(s);
    const listed = (xs: readonly { name: string }[]) => xs.map((n) => n.name);

    c.assumePod(bound('p', 'n1'));
    c.updateSnapshot(s);
    expect(s.list().find((n) => n.name === 'n1')!.pods.length).toBe(1);
    expect(s.get('n1')!.requested.milliCPU).toBe(1000);

    const anti = pod('a', { nodeName: 'n2', labels: { app: 'a' }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'a' } }, topologyKey: 'kubernetes.io/hostname' }] } } });
    c.addPod(anti);
    c.updateSnapshot(s);
    expect(listed(s.havePodsWithRequiredAntiAffinity())).toEqual(['n2']);
    expect(listed(s.havePodsWithAffinity())).toEqual(['n2']);
    c.removePod(anti);
    c.updateSnapshot(s);
    expect(listed(s.havePodsWithRequiredAntiAffinity())).toEqual([]);

    c.addNode(node('n3'));
    c.forgetPod(bound('p', 'n1'));
    c.updateSnapshot(s);
    expect(listed(s.list())).toEqual(['n1', 'n2', 'n3']);
    expect(s.get('n1')!.pods.length).toBe(0);

    c.updateNode(node('n2'), node('n2', { labels: { zone: 'b' } }));
    c.removeNode(node('n1'));
    c.updateSnapshot(s);
    expect(listed(s.list())).toEqual(['n2', 'n3']);
    expect(s.get('n2')!.labels.zone).toBe('b');

    // Another snapshot gets a full copy.
    const fresh = new Snapshot();
    c.updateSnapshot(fresh);
    expect(listed(fresh.list())).toEqual(['n2', 'n3']);
    c.addPod(bound('q', 'n3'));
    c.updateSnapshot(s);
    expect(s.get('n3')!.pods.length).toBe(1);
  });

  it('keeps the node list (same array) when only pods with affinity come and go, and rebuilds the affinity lists', () => {
    const c = new SchedulerCache();
    c.addNode(node('n1'));
    c.addNode(node('n2'));
    const s = new Snapshot();
    c.updateSnapshot(s);
    const list = s.list();
    const anti = (name: string, nodeName: string) =>
      pod(name, { nodeName, labels: { app: 'a' }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'a' } }, topologyKey: 'kubernetes.io/hostname' }] } } });
    c.assumePod(anti('p', 'n2'));
    c.updateSnapshot(s);
    expect(s.list()).toBe(list);
    expect(s.havePodsWithAffinity().map((n) => n.name)).toEqual(['n2']);
    expect(s.havePodsWithRequiredAntiAffinity().map((n) => n.name)).toEqual(['n2']);
    expect(s.get('n2')!.pods.length).toBe(1);
    c.forgetPod(anti('p', 'n2'));
    c.updateSnapshot(s);
    expect(s.list()).toBe(list);
    expect(s.havePodsWithAffinity()).toEqual([]);
    expect(s.havePodsWithRequiredAntiAffinity()).toEqual([]);
    // A node coming changes the list.
    c.addNode(node('n3'));
    c.updateSnapshot(s);
    expect(s.list()).not.toBe(list);
    expect(s.list().map((n) => n.name)).toEqual(['n1', 'n2', 'n3']);
  });
});
