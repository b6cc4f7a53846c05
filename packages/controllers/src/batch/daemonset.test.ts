import { type DaemonSet, type Pod } from '@bosun/api';
import { applyManifests, type Client } from '@bosun/apiserver';
import { describe, expect, it } from 'vitest';
import { addDaemonSetController, daemonPodNode } from './daemonset';
import { listPods, node, seed, setPodStatus, startHarness, until } from './testing';

const live = async (client: Client, sel: string) => (await listPods(client, sel)).filter((p) => !p.metadata?.deletionTimestamp);
const podNodes = async (client: Client, sel: string) => (await live(client, sel)).map((p) => daemonPodNode(p)).sort();
const getDs = (client: Client, name: string) => client.get('apps/v1', 'DaemonSet', 'default', name);

function ds(name: string, podSpec: Partial<NonNullable<Pod['spec']>> = {}, extra: Partial<NonNullable<DaemonSet['spec']>> = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'agent:1' }], ...podSpec } }, ...extra },
  };
}

describe('DaemonSet controller', () => {
  it('runs the seed ssd-monitor on ssd nodes only, following node labels, joins and removals', async () => {
    await using h = await startHarness(addDaemonSetController);
    const { client } = h;
    await client.create(node('n1', { disk: 'ssd' }));
    await client.create(node('n2'));
    await client.create(node('n3', { disk: 'ssd' }, [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]));
    await applyManifests(client, seed('003_bea7a2b1a17eec52-06-daemonset.yaml'));
    await until(async () => (await podNodes(client, 'app=ssd-monitor')).length === 1, 'one pod');
    expect(await podNodes(client, 'app=ssd-monitor')).toEqual(['n1']);
    const pod = (await live(client, 'app=ssd-monitor'))[0]!;
    // No scheduler runs here: the pod waits unbound, pinned to its node by affinity.
    expect(pod.spec?.nodeName).toBeUndefined();
    expect(pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual({ nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] });
    expect(pod.spec?.tolerations).toEqual(expect.arrayContaining([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
    ]));
    expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'DaemonSet', name: 'ssd-monitor', controller: true });

    await client.patch('v1', 'Node', '', 'n2', { metadata: { labels: { disk: 'ssd' } } });
    await until(async () => (await podNodes(client, 'app=ssd-monitor')).length === 2, 'pod on n2');
    expect(await podNodes(client, 'app=ssd-monitor')).toEqual(['n1', 'n2']);
    await client.create(node('n4', { disk: 'ssd' }));
    await until(async () => (await podNodes(client, 'app=ssd-monitor')).length === 3, 'pod on new node n4');
    await client.patch('v1', 'Node', '', 'n1', { metadata: { labels: { disk: null } } });
    await until(async () => !(await podNodes(client, 'app=ssd-monitor')).includes('n1'), 'pod off n1');
    await client.delete('v1', 'Node', '', 'n4');
    await until(async () => (await podNodes(client, 'app=ssd-monitor')).join() === 'n2', 'pod off removed n4');
    for (const p of await live(client, 'app=ssd-monitor')) await setPodStatus(client, p, { phase: 'Running', ready: true });
    await until(async () => (await getDs(client, 'ssd-monitor')).status?.numberReady === 1, 'numberReady');
    expect((await getDs(client, 'ssd-monitor')).status).toMatchObject({ desiredNumberScheduled: 1, currentNumberScheduled: 1, numberMisscheduled: 0, numberReady: 1, updatedNumberScheduled: 1 });
  });

  it.each([
    ['places a pod on an unschedulable-tainted node (default toleration)', { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, {}, true],
    ['places a pod on a not-ready NoExecute node (default toleration)', { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }, {}, true],
    ['places a pod despite a PreferNoSchedule taint', { key: 'dedicated', value: 'gpu', effect: 'PreferNoSchedule' }, {}, true],
    ['keeps off a node with an untolerated NoSchedule taint', { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, {}, false],
    ['places a pod when the template tolerates the taint', { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }, true],
    ['keeps off a network-unavailable node without hostNetwork', { key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }, {}, false],
    ['places a hostNetwork pod on a network-unavailable node', { key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }, { hostNetwork: true }, true],
  ] as const)('%s', async (_n, taint, podSpec, placed) => {
    await using h = await startHarness(addDaemonSetController);
    const { client } = h;
    await client.create(node('plain'));
    await client.create(node('tainted', {}, [taint]));
    await client.create(ds('agent', podSpec as Partial<NonNullable<Pod['spec']>>));
    await until(async () => (await getDs(client, 'agent')).status?.desiredNumberScheduled !== undefined, 'status');
    await until(async () => (await podNodes(client, 'app=agent')).length === (placed ? 2 : 1), 'pods');
    expect(await podNodes(client, 'app=agent')).toEqual(placed ? ['plain', 'tainted'] : ['plain']);
  });

  it('honours required node affinity terms of the template', async () => {
    await using h = await startHarness(addDaemonSetController);
    const { client } = h;
    await client.create(node('a1', { zone: 'a' }));
    await client.create(node('b1', { zone: 'b' }));
    await client.create(ds('zonal', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } } }));
    await until(async () => (await podNodes(client, 'app=zonal')).length === 1, 'one pod');
    expect(await podNodes(client, 'app=zonal')).toEqual(['a1']);
  });

  it('rolls an update node by node within maxUnavailable 1', async () => {
    await using h = await startHarness(addDaemonSetController);
    const { client } = h;
    for (const n of ['n1', 'n2', 'n3']) await client.create(node(n));
    await client.create(ds('roll'));
    await until(async () => (await live(client, 'app=roll')).length === 3, '3 pods');
    for (const p of await live(client, 'app=roll')) await setPodStatus(client, p, { phase: 'Running', ready: true });
    await until(async () => (await getDs(client, 'roll')).status?.numberReady === 3, 'ready');
    await client.patch('apps/v1', 'DaemonSet', 'default', 'roll', { spec: { template: { spec: { containers: [{ name: 'c', image: 'agent:2' }] } } } });
    for (let done = 1; done <= 3; done++) {
      await until(async () => (await live(client, 'app=roll')).filter((p) => p.spec?.containers[0]?.image === 'agent:2').length === done, `${done} updated`);
      const pods = await live(client, 'app=roll');
      expect(pods).toHaveLength(3);
      // At most one node without a ready pod at any time.
      expect(pods.filter((p) => p.status?.phase !== 'Running').length).toBeLessThanOrEqual(1);
      for (const p of pods) if (p.status?.phase !== 'Running') await setPodStatus(client, p, { phase: 'Running', ready: true });
    }
    await until(async () => (await getDs(client, 'roll')).status?.updatedNumberScheduled === 3 && (await getDs(client, 'roll')).status?.numberReady === 3, 'rolled');
  });
});
