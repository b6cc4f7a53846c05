// The WaitForFirstConsumer round trip with the real scheduler: VolumeBinding picks a node
// and annotates the claim, the provisioner creates the volume on that node, the binder
// binds it, and a replacement pod follows its volume to the same node.
import { applyManifests } from '@bosun/apiserver';
import { createScheduler } from '@bosun/scheduler';
import { HOSTPATH_DRIVER_NAME, HOSTPATH_TOPOLOGY_KEY } from '@bosun/storage-hostpath';
import { describe, expect, it } from 'vitest';
import { addStatefulSetController } from '../batch/statefulset';
import { setPodStatus } from '../batch/testing';
import { addPersistentVolumeBinder } from './binder';
import { ANN_SELECTED_NODE } from './helpers';
import { addCsiProvisioner } from './provisioner';
import { claimPhase, getClaim, getVolume, startStorageHarness, storageClass, until, seed } from './testing';


describe('WaitForFirstConsumer with the scheduler', () => {
  it('provisions each StatefulSet claim on the node its pod was scheduled to, and a replaced pod returns there', async () => {
    await using h = await startStorageHarness({
      driverNodes: ['node-1', 'node-2'],
      add: (m, drivers) => {
        addPersistentVolumeBinder(m);
        addCsiProvisioner(m, { drivers: { [HOSTPATH_DRIVER_NAME]: { nodes: Object.fromEntries(Object.entries(drivers).map(([n, d]) => [n, d.client])) } } });
        addStatefulSetController(m);
      },
    });
    const { client, env } = h;
    for (const n of ['node-1', 'node-2']) {
      await client.create({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: n, labels: { 'kubernetes.io/hostname': n, [HOSTPATH_TOPOLOGY_KEY]: n } },
        status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, capacity: { cpu: '4', memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
      });
    }
    const scheduler = createScheduler({ client, clock: env.clock });
    const running = scheduler.run();
    try {
      await client.create(storageClass('longhorn', HOSTPATH_DRIVER_NAME, { volumeBindingMode: 'WaitForFirstConsumer' }));
      await applyManifests(client, seed('002_8cc7607eac0f66d5-06-statefulset.yaml'));

      const nodeOf = async (pod: string) => (await client.list('v1', 'Pod', { namespace: 'default' })).items.find((p) => p.metadata?.name === pod)?.spec?.nodeName;
      await until(env, async () => (await claimPhase(client, 'sleep-volume-sleep-0')) === 'Bound', 'claim 0 Bound');
      await until(env, async () => Boolean(await nodeOf('sleep-0')), 'sleep-0 scheduled');
      const node0 = (await nodeOf('sleep-0'))!;
      const claim0 = await getClaim(client, 'sleep-volume-sleep-0');
      expect(claim0.metadata?.annotations?.[ANN_SELECTED_NODE]).toBe(node0);
      expect(h.drivers[node0]!.driver.volumes().map((v) => v.name)).toEqual([claim0.spec?.volumeName]);
      const pv0 = await getVolume(client, claim0.spec!.volumeName!);
      expect(pv0.spec?.nodeAffinity?.required?.nodeSelectorTerms[0]?.matchExpressions?.[0]?.values).toEqual([node0]);

      await setPodStatus(client, 'sleep-0', { phase: 'Running', ready: true });
      await until(env, async () => (await claimPhase(client, 'sleep-volume-sleep-1')) === 'Bound', 'claim 1 Bound');
      await until(env, async () => Boolean(await nodeOf('sleep-1')), 'sleep-1 scheduled');
      const node1 = (await nodeOf('sleep-1'))!;
      const claim1 = await getClaim(client, 'sleep-volume-sleep-1');
      expect(h.drivers[node1]!.driver.volumes().map((v) => v.name)).toContain(claim1.spec?.volumeName);

      // The replacement pod must land where its volume lives.
      const old = await client.get('v1', 'Pod', 'default', 'sleep-0');
      await client.delete('v1', 'Pod', 'default', 'sleep-0', { gracePeriodSeconds: 0 });
      const replacement = async () => (await client.list('v1', 'Pod', { namespace: 'default' })).items.find((p) => p.metadata?.name === 'sleep-0' && p.metadata.uid !== old.metadata?.uid);
      await until(env, async () => Boolean((await replacement())?.spec?.nodeName), 'new sleep-0 scheduled');
      expect((await replacement())!.spec?.nodeName).toBe(node0);
      expect((await getClaim(client, 'sleep-volume-sleep-0')).spec?.volumeName).toBe(claim0.spec?.volumeName);
    } finally {
      await scheduler.stop();
      await running;
    }
  });
});
