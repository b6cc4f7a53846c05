import { type DaemonSet, type Pod } from '@bosun/api';
import { applyManifests, type Client } from '@bosun/apiserver';
import { describe, expect, it } from 'vitest';
import { addGarbageCollector } from '../core/garbage-collector';
import { addDaemonSetController, daemonPodNode } from './daemonset';
import { events, listPods, node, podCreateRefusal, seed, setPodStatus, settle, startHarness, until } from './testing';

const live = async (client: Client, sel: string) => (await listPods(client, sel)).filter((p) => !p.metadata?.deletionTimestamp);
const podNodes = async (client: Client, sel: string) => (await live(client, sel)).map((p) => daemonPodNode(p)).sort();
const podNodesOf = async (client: Client, sel: string) => (await live(client, sel)).map((p) => daemonPodNode(p)).sort();
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
    ['places a pod on an unreachable NoExecute node (default toleration)', { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }, {}, true],
    ['places a pod on a disk-pressure node (default toleration)', { key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' }, {}, true],
    ['places a pod on a memory-pressure node (default toleration)', { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }, {}, true],
    ['places a pod on a pid-pressure node (default toleration)', { key: 'node.kubernetes.io/pid-pressure', effect: 'NoSchedule' }, {}, true],
    ['keeps off a node with an untolerated NoExecute taint', { key: 'dedicated', value: 'gpu', effect: 'NoExecute' }, {}, false],
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

  it.each([
    { name: 'maxUnavailable 2 replaces two nodes at a time', maxUnavailable: 2 as number | string, nodes: 5, step: 2 },
    { name: 'maxUnavailable 50% of 4 nodes replaces two at a time', maxUnavailable: '50%', nodes: 4, step: 2 },
    { name: 'maxUnavailable 30% of 4 nodes rounds up to two', maxUnavailable: '30%', nodes: 4, step: 2 },
    { name: 'maxUnavailable 10% of 4 nodes still replaces one at a time', maxUnavailable: '10%', nodes: 4, step: 1 },
  ])('$name', async ({ maxUnavailable, nodes, step }) => {
    await using h = await startHarness(addDaemonSetController);
    const { client } = h;
    for (let i = 1; i <= nodes; i++) await client.create(node(`n${i}`));
    await client.create(ds('mu', {}, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable } } }));
    await until(async () => (await live(client, 'app=mu')).length === nodes, `${nodes} pods`);
    for (const p of await live(client, 'app=mu')) await setPodStatus(client, p, { phase: 'Running', ready: true });
    await until(async () => (await getDs(client, 'mu')).status?.numberReady === nodes, 'ready');
    await client.patch('apps/v1', 'DaemonSet', 'default', 'mu', { spec: { template: { spec: { containers: [{ name: 'c', image: 'agent:2' }] } } } });
    let updated = 0;
    while (updated < nodes) {
      const want = Math.min(nodes, updated + step);
      await until(async () => (await live(client, 'app=mu')).filter((p) => p.spec?.containers[0]?.image === 'agent:2').length === want, `${want} updated`);
      await settle();
      const pods = await live(client, 'app=mu');
      // Exactly `step` nodes at a time are without a ready pod, never more.
      expect(pods.filter((p) => p.spec?.containers[0]?.image === 'agent:2')).toHaveLength(want);
      expect(pods.filter((p) => p.status?.phase !== 'Running').length).toBeLessThanOrEqual(step);
      for (const p of pods) if (p.status?.phase !== 'Running') await setPodStatus(client, p, { phase: 'Running', ready: true });
      updated = want;
    }
    await until(async () => (await getDs(client, 'mu')).status?.updatedNumberScheduled === nodes && (await getDs(client, 'mu')).status?.numberReady === nodes, 'rolled');
  });

  it('with OnDelete, keeps old pods until deleted by hand, then replaces them from the new template', async () => {
    await using h = await startHarness(addDaemonSetController);
    const { client } = h;
    for (const n of ['n1', 'n2']) await client.create(node(n));
    await client.create(ds('od', {}, { updateStrategy: { type: 'OnDelete' } }));
    await until(async () => (await live(client, 'app=od')).length === 2, '2 pods');
    for (const p of await live(client, 'app=od')) await setPodStatus(client, p, { phase: 'Running', ready: true });
    await client.patch('apps/v1', 'DaemonSet', 'default', 'od', { spec: { template: { spec: { containers: [{ name: 'c', image: 'agent:2' }] } } } });
    await until(async () => (await getDs(client, 'od')).status?.observedGeneration === 2, 'generation 2 seen');
    await settle();
    expect((await live(client, 'app=od')).map((p) => p.spec?.containers[0]?.image)).toEqual(['agent:1', 'agent:1']);
    expect((await getDs(client, 'od')).status?.updatedNumberScheduled).toBe(0);
    const onN1 = (await live(client, 'app=od')).find((p) => daemonPodNode(p) === 'n1')!;
    await client.delete('v1', 'Pod', 'default', onN1.metadata!.name!, { gracePeriodSeconds: 0 });
    await until(async () => (await live(client, 'app=od')).some((p) => daemonPodNode(p) === 'n1' && p.spec?.containers[0]?.image === 'agent:2'), 'n1 replaced');
    expect((await live(client, 'app=od')).find((p) => daemonPodNode(p) === 'n2')?.spec?.containers[0]?.image).toBe('agent:1');
  });

  it.each([
    ['a quota refusal (403)', 'quota' as const, /^Error creating: .*exceeded quota/],
    ['an invalid pod (422)', 'invalid' as const, /^Error creating: .*Required value/],
  ])('records FailedCreate for %s, retries with backoff, and places the pods once creation is allowed', async (_n, kind, message) => {
    const refusal = podCreateRefusal(kind);
    await using h = await startHarness(addDaemonSetController, { admission: refusal.admission });
    const { client, clock } = h;
    for (const n of ['n1', 'n2']) await client.create(node(n));
    await client.create(ds('fc'));
    // Identical Events are aggregated into one with a count.
    await until(async () => (await events(client, 'FailedCreate')).reduce((n, e) => n + (e.count ?? 1), 0) >= 2, 'FailedCreate events');
    const warnings = await events(client, 'FailedCreate');
    expect(warnings[0]).toMatchObject({ type: 'Warning', involvedObject: { kind: 'DaemonSet', name: 'fc' } });
    expect(warnings[0]!.message).toMatch(message);
    expect(await live(client, 'app=fc')).toHaveLength(0);
    // The status is written after the failed creations: wait for it.
    await until(async () => (await getDs(client, 'fc')).status?.desiredNumberScheduled === 2, 'status');
    expect((await getDs(client, 'fc')).status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 0 });
    refusal.refuse(false);
    for (let i = 0; i < 20 && (await live(client, 'app=fc')).length < 2; i++) {
      await clock.advance(1000);
      await settle();
    }
    expect((await podNodesOf(client, 'app=fc'))).toEqual(['n1', 'n2']);
    // The refused creations were logged as reconcile errors: expected here.
    expect(h.errors.length).toBeGreaterThan(0);
    h.errors.length = 0;
  });

  it('replaces a failed daemon pod on its node with a FailedDaemonPod warning, and a deleted one too', async () => {
    await using h = await startHarness(addDaemonSetController);
    const { client } = h;
    await client.create(node('n1'));
    await client.create(ds('fd'));
    await until(async () => (await live(client, 'app=fd')).length === 1, 'one pod');
    const [first] = await live(client, 'app=fd');
    await setPodStatus(client, first!, { phase: 'Failed' });
    await until(async () => (await live(client, 'app=fd')).some((p) => p.metadata?.uid !== first!.metadata?.uid), 'replacement');
    const [warn] = await events(client, 'FailedDaemonPod');
    expect(warn).toMatchObject({ type: 'Warning', message: `Found failed daemon pod default/${first!.metadata?.name} on node n1, will try to kill it` });
    const [second] = (await live(client, 'app=fd')).filter((p) => p.metadata?.uid !== first!.metadata?.uid);
    expect(daemonPodNode(second!)).toBe('n1');
    await client.delete('v1', 'Pod', 'default', second!.metadata!.name!, { gracePeriodSeconds: 0 });
    await until(async () => (await live(client, 'app=fd')).some((p) => p.metadata?.uid !== second!.metadata?.uid && p.metadata?.uid !== first!.metadata?.uid), 'second replacement');
    expect(await podNodesOf(client, 'app=fd')).toEqual(['n1']);
  });

  it.each([
    { name: 'background (the default): its pods go with it', policy: 'Background' as const },
    { name: '--cascade=orphan: its pods stay, and a DaemonSet recreated with the same selector adopts them instead of doubling them', policy: 'Orphan' as const },
  ])('deleted $name', async ({ policy }) => {
    await using h = await startHarness((m) => {
      addDaemonSetController(m);
      addGarbageCollector(m);
    });
    const { client } = h;
    for (const n of ['n1', 'n2']) await client.create(node(n));
    await client.create(ds('cas'));
    await until(async () => (await live(client, 'app=cas')).length === 2, '2 pods');
    const before = (await live(client, 'app=cas')).map((p) => p.metadata!.uid!).sort();
    await client.delete('apps/v1', 'DaemonSet', 'default', 'cas', { propagationPolicy: policy });
    await until(async () => !(await getDs(client, 'cas').catch(() => undefined)), 'DaemonSet gone');
    if (policy === 'Background') {
      await until(async () => (await live(client, 'app=cas')).length === 0, 'pods gone');
      return;
    }
    await until(async () => (await live(client, 'app=cas')).every((p) => !p.metadata?.ownerReferences?.length), 'pods orphaned');
    await client.create(ds('cas'));
    const again = await getDs(client, 'cas');
    await until(async () => (await live(client, 'app=cas')).every((p) => p.metadata?.ownerReferences?.[0]?.uid === again.metadata?.uid), 'pods adopted');
    await until(async () => (await getDs(client, 'cas')).status?.currentNumberScheduled === 2, 'status');
    await settle();
    expect((await live(client, 'app=cas')).map((p) => p.metadata!.uid!).sort()).toEqual(before);
  });

  // Regression: a DaemonSet being deleted (orphan cascade) recreated the pods the
  // collector had just orphaned, doubling them once a new DaemonSet adopted them.
  it('creates no pod while being deleted', async () => {
    await using h = await startHarness(addDaemonSetController);
    const { client } = h;
    await client.create(node('n1'));
    await client.create({ ...ds('held'), metadata: { name: 'held', namespace: 'default', finalizers: ['example.com/hold'] } });
    await until(async () => (await live(client, 'app=held')).length === 1, 'one pod');
    await client.delete('apps/v1', 'DaemonSet', 'default', 'held');
    await until(async () => !!(await getDs(client, 'held')).metadata?.deletionTimestamp, 'terminating');
    const [pod] = await live(client, 'app=held');
    await client.delete('v1', 'Pod', 'default', pod!.metadata!.name!, { gracePeriodSeconds: 0 });
    await client.create(node('n2'));
    await settle(200);
    expect(await live(client, 'app=held')).toEqual([]);
    await client.patch('apps/v1', 'DaemonSet', 'default', 'held', { metadata: { finalizers: null } });
  });
});
