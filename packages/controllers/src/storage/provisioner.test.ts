import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { applyManifests, type Client } from '@bosun/apiserver';
import { HOSTPATH_DRIVER_NAME, HOSTPATH_TOPOLOGY_KEY } from '@bosun/storage-hostpath';
import { describe, expect, it } from 'vitest';
import { addStatefulSetController } from '../batch/statefulset';
import { setPodStatus } from '../batch/testing';
import { createDefaultStorageClassAdmission } from './default-class';
import { ANN_DEFAULT_STORAGE_CLASS, ANN_DYNAMICALLY_PROVISIONED, ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER } from './helpers';
import { type CsiDriverRegistration } from './provisioner';
import { addStorageControllers } from './storage-controllers';
import { claimPhase, eventsFor, findVolume, getClaim, getVolume, pvc, settle, startStorageHarness, storageClass, until, volumePhase, type ServedDriver, type StorageHarness, seed } from './testing';

const MiB = 1024 * 1024;

type Registration = (drivers: Record<string, ServedDriver>) => CsiDriverRegistration;
/** One cluster-wide client: node-1's driver. */
const clusterWide: Registration = (d) => d['node-1']!.client;
/** One client per node. */
const perNode: Registration = (d) => ({ nodes: Object.fromEntries(Object.entries(d).map(([n, s]) => [n, s.client])) });

interface Setup {
  nodes?: string[];
  registration?: Registration;
  statefulSets?: boolean;
  defaultClassAdmission?: boolean;
  maxVolumeBytes?: number;
  topologyKeys?: string[];
}

async function start(s: Setup = {}): Promise<StorageHarness> {
  const nodes = s.nodes ?? ['node-1'];
  let client: Client | undefined;
  const h = await startStorageHarness({
    driverNodes: nodes,
    driverOptions: s.maxVolumeBytes ? { maxVolumeBytes: s.maxVolumeBytes } : {},
    env: s.defaultClassAdmission
      ? { admission: { mutating: [createDefaultStorageClassAdmission({ listStorageClasses: async () => (await client!.list('storage.k8s.io/v1', 'StorageClass')).items })] } }
      : undefined,
    add: (m, drivers) => {
      addStorageControllers(m, {
        provisioner: {
          drivers: { [HOSTPATH_DRIVER_NAME]: (s.registration ?? clusterWide)(drivers) },
          topologyKeys: s.topologyKeys ? { [HOSTPATH_DRIVER_NAME]: s.topologyKeys } : undefined,
        },
      });
      if (s.statefulSets) addStatefulSetController(m);
    },
  });
  client = h.client;
  // Nodes carry their driver's topology label, as a kubelet registering the driver would set it.
  for (const n of nodes) await h.client.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: n, labels: { 'kubernetes.io/hostname': n, [HOSTPATH_TOPOLOGY_KEY]: n } } });
  return h;
}

const hostpath = (name: string, extra: Parameters<typeof storageClass>[2] = {}) => storageClass(name, HOSTPATH_DRIVER_NAME, extra);
const bound = (h: StorageHarness, name: string) => until(h.env, async () => (await claimPhase(h.client, name)) === 'Bound', `${name} Bound`);
const volumeDir = (d: ServedDriver, id: string) => join(d.rootDir, 'volumes', id);

describe('CSI provisioner: Immediate binding', () => {
  it('creates a volume through CreateVolume and a PV the binder binds to the claim', async () => {
    await using h = await start();
    await h.client.create(hostpath('fast', { parameters: { type: 'ssd', 'csi.storage.k8s.io/fstype': 'ext4' } }));
    await h.client.create(pvc('data', '10Mi', { storageClassName: 'fast' }));
    await bound(h, 'data');
    const claim = await getClaim(h.client, 'data');
    const name = `pvc-${claim.metadata?.uid}`;
    expect(claim.spec?.volumeName).toBe(name);
    expect(claim.metadata?.annotations?.[ANN_STORAGE_PROVISIONER]).toBe(HOSTPATH_DRIVER_NAME);
    const [vol] = h.drivers['node-1']!.driver.volumes();
    expect(vol).toMatchObject({ name, capacityBytes: 10 * MiB, parameters: { type: 'ssd' } });
    expect(existsSync(volumeDir(h.drivers['node-1']!, vol!.volumeId))).toBe(true);
    const pv = await getVolume(h.client, name);
    expect(pv.metadata?.annotations?.[ANN_DYNAMICALLY_PROVISIONED]).toBe(HOSTPATH_DRIVER_NAME);
    expect(pv.spec).toMatchObject({
      capacity: { storage: '10Mi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'fast',
      volumeMode: 'Filesystem',
      csi: { driver: HOSTPATH_DRIVER_NAME, volumeHandle: vol!.volumeId, volumeAttributes: { type: 'ssd' }, fsType: 'ext4' },
      claimRef: { namespace: 'default', name: 'data', uid: claim.metadata?.uid },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTPATH_TOPOLOGY_KEY, operator: 'In', values: ['node-1'] }] }] } },
    });
    await until(h.env, async () => (await volumePhase(h.client, name)) === 'Bound', 'PV Bound');
    expect((await eventsFor(h.client, 'data', 'ProvisioningSucceeded'))[0]?.message).toBe(`Successfully provisioned volume ${name}`);
    expect((await eventsFor(h.client, 'data', 'Provisioning'))[0]?.message).toBe('External provisioner is provisioning volume for claim "default/data"');
  });

  it('deletes the driver volume (its directory is gone) and the PV when a Delete claim is deleted', async () => {
    await using h = await start();
    await h.client.create(hostpath('fast'));
    await h.client.create(pvc('data', '10Mi', { storageClassName: 'fast' }));
    await bound(h, 'data');
    const name = (await getClaim(h.client, 'data')).spec!.volumeName!;
    const d = h.drivers['node-1']!;
    const dir = volumeDir(d, d.driver.volumes()[0]!.volumeId);
    expect(existsSync(dir)).toBe(true);
    await h.client.delete('v1', 'PersistentVolumeClaim', 'default', 'data');
    await until(h.env, async () => !(await findVolume(h.client, name)), 'PV deleted');
    expect(existsSync(dir)).toBe(false);
    expect(d.driver.volumes()).toEqual([]);
  });

  it('keeps the volume and a Released PV when the class reclaims with Retain', async () => {
    await using h = await start();
    await h.client.create(hostpath('keep', { reclaimPolicy: 'Retain' }));
    await h.client.create(pvc('data', '10Mi', { storageClassName: 'keep' }));
    await bound(h, 'data');
    const name = (await getClaim(h.client, 'data')).spec!.volumeName!;
    await h.client.delete('v1', 'PersistentVolumeClaim', 'default', 'data');
    await until(h.env, async () => (await volumePhase(h.client, name)) === 'Released', 'Released');
    await settle();
    expect((await getVolume(h.client, name)).spec?.persistentVolumeReclaimPolicy).toBe('Retain');
    expect(h.drivers['node-1']!.driver.volumes()).toHaveLength(1);
  });

  it('spreads Immediate claims of a node-local driver over its nodes and deletes each from its own node', async () => {
    await using h = await start({ nodes: ['node-1', 'node-2'], registration: perNode });
    await h.client.create(hostpath('fast'));
    const names = Array.from({ length: 8 }, (_, i) => `c${i}`);
    for (const n of names) await h.client.create(pvc(n, '1Mi', { storageClassName: 'fast' }));
    for (const n of names) await bound(h, n);
    const counts = ['node-1', 'node-2'].map((n) => h.drivers[n]!.driver.volumes().length);
    expect(counts[0]! + counts[1]!).toBe(8);
    for (const n of names) {
      const pv = await getVolume(h.client, (await getClaim(h.client, n)).spec!.volumeName!);
      const node = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms[0]?.matchExpressions?.[0]?.values?.[0];
      expect(h.drivers[node!]!.driver.volumes().map((v) => v.volumeId)).toContain(pv.spec?.csi?.volumeHandle);
    }
    for (const n of names) await h.client.delete('v1', 'PersistentVolumeClaim', 'default', n);
    await until(h.env, () => ['node-1', 'node-2'].every((n) => h.drivers[n]!.driver.volumes().length === 0), 'all volumes deleted');
  });
});

describe('CSI provisioner: WaitForFirstConsumer', () => {
  it('waits for the selected node, then provisions on that node\'s driver instance', async () => {
    await using h = await start({ nodes: ['node-1', 'node-2'], registration: perNode });
    await h.client.create(hostpath('local', { volumeBindingMode: 'WaitForFirstConsumer' }));
    await h.client.create(pvc('data', '10Mi', { storageClassName: 'local' }));
    await until(h.env, async () => (await eventsFor(h.client, 'data', 'WaitForFirstConsumer')).length > 0, 'WaitForFirstConsumer');
    await settle();
    expect(h.drivers['node-1']!.driver.volumes()).toEqual([]);
    expect(h.drivers['node-2']!.driver.volumes()).toEqual([]);
    // What the scheduler's VolumeBinding PreBind writes once it chose node-2.
    await h.client.patch('v1', 'PersistentVolumeClaim', 'default', 'data', { metadata: { annotations: { [ANN_SELECTED_NODE]: 'node-2' } } }, { type: 'merge' });
    await bound(h, 'data');
    expect(h.drivers['node-1']!.driver.volumes()).toEqual([]);
    expect(h.drivers['node-2']!.driver.volumes()).toHaveLength(1);
    const pv = await getVolume(h.client, (await getClaim(h.client, 'data')).spec!.volumeName!);
    expect(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms).toEqual([{ matchExpressions: [{ key: HOSTPATH_TOPOLOGY_KEY, operator: 'In', values: ['node-2'] }] }]);
  });

  it('asks a cluster-wide driver for the selected node\'s topology (from its labels) and provisions there', async () => {
    await using h = await start({ nodes: ['node-1'], topologyKeys: [HOSTPATH_TOPOLOGY_KEY] });
    await h.client.create(hostpath('local', { volumeBindingMode: 'WaitForFirstConsumer' }));
    await h.client.create(pvc('data', '10Mi', { storageClassName: 'local' }, { [ANN_SELECTED_NODE]: 'node-1' }));
    await bound(h, 'data');
    expect(h.drivers['node-1']!.driver.volumes()).toHaveLength(1);
  });

  it('reports ProvisioningFailed and hands the claim back to the scheduler when the node cannot hold the volume', async () => {
    await using h = await start({ nodes: ['node-1', 'node-2'] }); // one cluster-wide client: node-1's driver
    await h.client.create(hostpath('local', { volumeBindingMode: 'WaitForFirstConsumer' }));
    await h.client.create(pvc('data', '10Mi', { storageClassName: 'local' }, { [ANN_SELECTED_NODE]: 'node-2' }));
    await until(h.env, async () => (await eventsFor(h.client, 'data', 'ProvisioningFailed')).length > 0, 'ProvisioningFailed');
    expect((await eventsFor(h.client, 'data', 'ProvisioningFailed'))[0]?.message).toContain('can only be provisioned on node node-1');
    await until(h.env, async () => !(await getClaim(h.client, 'data')).metadata?.annotations?.[ANN_SELECTED_NODE], 'selected-node removed');
    expect(await claimPhase(h.client, 'data')).toBe('Pending');
    expect(h.drivers['node-1']!.driver.volumes()).toEqual([]);
  });
});

describe('CSI provisioner: refusals and failures', () => {
  it.each([
    ['a claim larger than the driver allows', pvc('data', '100Mi', { storageClassName: 'fast' }), 'requested 104857600 bytes; the largest volume is'],
    ['ReadWriteMany on a single-node driver', pvc('data', '1Mi', { storageClassName: 'fast', accessModes: ['ReadWriteMany'] }), 'access mode MULTI_NODE_MULTI_WRITER is not supported'],
    ['a claim with a selector', pvc('data', '1Mi', { storageClassName: 'fast', selector: { matchLabels: { a: 'b' } } }), 'claim Selector is not supported'],
  ])('records ProvisioningFailed for %s and creates no PV', async (_n, claim, message) => {
    await using h = await start({ maxVolumeBytes: 50 * MiB });
    await h.client.create(hostpath('fast'));
    await h.client.create(claim);
    await until(h.env, async () => (await eventsFor(h.client, 'data', 'ProvisioningFailed')).length > 0, 'ProvisioningFailed');
    const ev = (await eventsFor(h.client, 'data', 'ProvisioningFailed'))[0]!;
    expect(ev.type).toBe('Warning');
    expect(ev.message).toContain('failed to provision volume with StorageClass "fast"');
    expect(ev.message).toContain(message);
    expect((await h.client.list('v1', 'PersistentVolume')).items).toEqual([]);
    expect(await claimPhase(h.client, 'data')).toBe('Pending');
  });

  it('refuses a selected node that has no instance of a node-local driver', async () => {
    await using h = await start({ nodes: ['node-1'], registration: perNode });
    await h.client.create(hostpath('local', { volumeBindingMode: 'WaitForFirstConsumer' }));
    await h.client.create(pvc('data', '1Mi', { storageClassName: 'local' }, { [ANN_SELECTED_NODE]: 'node-9' }));
    await until(h.env, async () => (await eventsFor(h.client, 'data', 'ProvisioningFailed')).length > 0, 'ProvisioningFailed');
    expect((await eventsFor(h.client, 'data', 'ProvisioningFailed'))[0]?.message).toBe(
      `failed to provision volume with StorageClass "local": driver ${HOSTPATH_DRIVER_NAME} has no instance on node "node-9"`,
    );
    expect(h.drivers['node-1']!.driver.volumes()).toEqual([]);
  });

  it('leaves claims of a provisioner it does not serve to someone else', async () => {
    await using h = await start();
    await h.client.create(storageClass('other', 'example.com/other'));
    await h.client.create(pvc('data', '1Mi', { storageClassName: 'other' }));
    await until(h.env, async () => (await eventsFor(h.client, 'data', 'ExternalProvisioning')).length > 0, 'ExternalProvisioning');
    await settle();
    expect(await eventsFor(h.client, 'data', 'Provisioning')).toEqual([]);
    expect(h.drivers['node-1']!.driver.volumes()).toEqual([]);
  });

  it('provisions a claim created before its class once the class appears', async () => {
    await using h = await start();
    await h.client.create(pvc('data', '1Mi', { storageClassName: 'late' }));
    await until(h.env, async () => (await eventsFor(h.client, 'data', 'ProvisioningFailed')).length > 0, 'class not found');
    await h.client.create(hostpath('late'));
    await bound(h, 'data');
  });
});

describe('CSI provisioner: StatefulSets and the default class', () => {
  it('provisions and binds the seed StatefulSet\'s volumeClaimTemplates, one claim per pod, claims outliving pods', async () => {
    await using h = await start({ statefulSets: true });
    await h.client.create(hostpath('longhorn')); // the class the seed names
    await applyManifests(h.client, seed('002_8cc7607eac0f66d5-06-statefulset.yaml'));
    await bound(h, 'sleep-volume-sleep-0');
    await until(h.env, async () => (await h.client.list('v1', 'Pod', { namespace: 'default' })).items.length === 1, 'pod sleep-0');
    await setPodStatus(h.client, 'sleep-0', { phase: 'Running', ready: true });
    await bound(h, 'sleep-volume-sleep-1');
    const vols = h.drivers['node-1']!.driver.volumes();
    expect(vols).toHaveLength(2);
    for (const v of vols) expect(v.capacityBytes).toBe(10 * MiB);
    const claim0 = await getClaim(h.client, 'sleep-volume-sleep-0');
    const oldPod = await h.client.get('v1', 'Pod', 'default', 'sleep-0');
    await h.client.delete('v1', 'Pod', 'default', 'sleep-0', { gracePeriodSeconds: 0 });
    const replaced = async () => (await h.client.list('v1', 'Pod', { namespace: 'default' })).items.some((p) => p.metadata?.name === 'sleep-0' && p.metadata.uid !== oldPod.metadata?.uid);
    await until(h.env, replaced, 'a new sleep-0');
    const again = await getClaim(h.client, 'sleep-volume-sleep-0');
    expect(again.metadata?.uid).toBe(claim0.metadata?.uid);
    expect(again.spec?.volumeName).toBe(claim0.spec?.volumeName);
    expect(h.drivers['node-1']!.driver.volumes()).toHaveLength(2);
  });

  it('gives claims without a class the default class (admission), and leaves storageClassName "" alone', async () => {
    await using h = await start({ defaultClassAdmission: true, statefulSets: true });
    await h.client.create(hostpath('standard', { metadata: { name: 'standard', annotations: { [ANN_DEFAULT_STORAGE_CLASS]: 'true' } } }));
    // The kubia seed's volumeClaimTemplate names no class.
    await applyManifests(h.client, seed('003_bea7a2b1a17eec52-31-statefulset.yaml'));
    await bound(h, 'data-kubia-0');
    expect((await getClaim(h.client, 'data-kubia-0')).spec?.storageClassName).toBe('standard');
    await h.client.create(pvc('manual', '1Mi'));
    expect((await getClaim(h.client, 'manual')).spec?.storageClassName).toBe('');
    const noClass = pvc('plain', '1Mi');
    delete (noClass.spec as { storageClassName?: string }).storageClassName;
    await h.client.create(noClass);
    expect((await getClaim(h.client, 'plain')).spec?.storageClassName).toBe('standard');
  });
});
