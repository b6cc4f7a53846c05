import { rfc3339, rfc3339Micro, type core, type Node, type Pod } from '@bosun/api';
import type { Client } from '@bosun/apiserver';
import { describe, expect, it } from 'vitest';
import { events, settle, startHarness, until, type Harness } from '../batch/testing';
import { addNodeLifecycleController, desiredConditionTaints, markConditionsUnknown, reconcileTaints, NODE_LEASE_NAMESPACE, TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE } from './node-lifecycle';
import { evictionDeadline, withDefaultNotReadyTolerations } from './taint-eviction';

const GRACE = 40_000;

/** What a kubelet does on start and on every status update: Ready=True with a fresh heartbeat. */
async function postReady(client: Client, name: string, now: number, status: 'True' | 'False' = 'True'): Promise<void> {
  const cur = await client.get('v1', 'Node', '', name);
  const others = (cur.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
  await client.updateStatus({ ...cur, status: { ...cur.status, conditions: [...others, { type: 'Ready', status, reason: status === 'True' ? 'KubeletReady' : 'KubeletNotReady', lastHeartbeatTime: rfc3339(now), lastTransitionTime: rfc3339(now) }] } });
}

/** Creates or renews the node's heartbeat Lease. */
async function renewLease(client: Client, name: string, now: number): Promise<void> {
  try {
    const cur = await client.get('coordination.k8s.io/v1', 'Lease', NODE_LEASE_NAMESPACE, name);
    await client.update({ ...cur, spec: { ...cur.spec, renewTime: rfc3339Micro(now) } });
  } catch {
    await client.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: NODE_LEASE_NAMESPACE }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: rfc3339Micro(now) } });
  }
}

async function joinNode(h: Harness, name: string): Promise<void> {
  await h.client.create({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: {} });
  await postReady(h.client, name, h.clock.now());
  await renewLease(h.client, name, h.clock.now());
}

function boundPod(name: string, node: string, tolerations?: core.Toleration[]): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: node, tolerations, containers: [{ name: 'main', image: 'nginx' }] } };
}

const getNode = (client: Client, name: string) => client.get('v1', 'Node', '', name);
const getPod = (client: Client, name: string) => client.get('v1', 'Pod', 'default', name);
const cond = (n: Node, type: string) => n.status?.conditions?.find((c) => c.type === type);
const taintKeys = (n: Node) => (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();
const terminating = async (client: Client, name: string) => !!(await getPod(client, name)).metadata?.deletionTimestamp;

describe('node lifecycle helpers', () => {
  it.each([
    ['Ready False', [{ type: 'Ready', status: 'False' }], false, [`${TAINT_NODE_NOT_READY}:NoSchedule`, `${TAINT_NODE_NOT_READY}:NoExecute`]],
    ['Ready Unknown', [{ type: 'Ready', status: 'Unknown' }], false, [`${TAINT_NODE_UNREACHABLE}:NoSchedule`, `${TAINT_NODE_UNREACHABLE}:NoExecute`]],
    ['Ready True', [{ type: 'Ready', status: 'True' }], false, []],
    ['memory pressure and cordoned', [{ type: 'Ready', status: 'True' }, { type: 'MemoryPressure', status: 'True' }], true, ['node.kubernetes.io/memory-pressure:NoSchedule', 'node.kubernetes.io/unschedulable:NoSchedule']],
  ])('a node with %s wants the taints %j', (_name, conditions, unschedulable, want) => {
    const node: Node = { metadata: { name: 'n' }, spec: { unschedulable }, status: { conditions: conditions as core.NodeCondition[] } };
    expect(desiredConditionTaints(node).map((t) => `${t.key}:${t.effect}`)).toEqual(want);
  });

  it('keeps taints it does not own and the timeAdded of the ones it keeps', () => {
    const taints: core.Taint[] = [
      { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
      { key: TAINT_NODE_UNREACHABLE, effect: 'NoExecute', timeAdded: '2026-01-01T00:00:00Z' },
      { key: TAINT_NODE_NOT_READY, effect: 'NoExecute', timeAdded: '2026-01-01T00:00:00Z' },
    ];
    const next = reconcileTaints(taints, [{ key: TAINT_NODE_UNREACHABLE, effect: 'NoExecute' }, { key: TAINT_NODE_UNREACHABLE, effect: 'NoSchedule' }], Date.parse('2026-01-01T00:01:00Z'));
    expect(next).toEqual([taints[0], taints[1], { key: TAINT_NODE_UNREACHABLE, effect: 'NoSchedule' }]);
    expect(reconcileTaints(next, [{ key: TAINT_NODE_UNREACHABLE, effect: 'NoExecute' }, { key: TAINT_NODE_UNREACHABLE, effect: 'NoSchedule' }], 0)).toBeUndefined();
  });

  it('marks the monitored conditions Unknown, adding the ones never reported', () => {
    const out = markConditionsUnknown([{ type: 'Ready', status: 'True', lastHeartbeatTime: '2026-01-01T00:00:00Z' }], Date.parse('2026-01-01T00:00:40Z'));
    expect(out.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'Unknown', 'NodeStatusUnknown'],
      ['MemoryPressure', 'Unknown', 'NodeStatusNeverUpdated'],
      ['DiskPressure', 'Unknown', 'NodeStatusNeverUpdated'],
      ['PIDPressure', 'Unknown', 'NodeStatusNeverUpdated'],
    ]);
    expect(out[0]).toMatchObject({ message: 'Kubelet stopped posting node status.', lastHeartbeatTime: '2026-01-01T00:00:00Z', lastTransitionTime: '2026-01-01T00:00:40Z' });
  });

  const taint: core.Taint = { key: TAINT_NODE_UNREACHABLE, effect: 'NoExecute' };
  const since = () => 1_000_000;
  it.each<[string, core.Toleration[], core.Taint[], number | undefined]>([
    ['no NoExecute taint: stays', [], [{ key: 'a', effect: 'NoSchedule' }], undefined],
    ['untolerated: at once', [], [taint], 1_000_000],
    ['Exists on the key with 300 s: 300 s later', [{ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }], [taint], 1_300_000],
    ['tolerated without seconds: stays', [{ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' }], [taint], undefined],
    ['empty key with Exists tolerates everything', [{ operator: 'Exists' }], [taint, { key: 'x', value: 'y', effect: 'NoExecute' }], undefined],
    ['empty effect matches NoExecute', [{ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', tolerationSeconds: 60 }], [taint], 1_060_000],
    ['Equal needs the value', [{ key: 'x', operator: 'Equal', value: 'z', effect: 'NoExecute' }], [{ key: 'x', value: 'y', effect: 'NoExecute' }], 1_000_000],
    ['the smallest tolerationSeconds wins', [{ operator: 'Exists' }, { key: TAINT_NODE_UNREACHABLE, operator: 'Exists', tolerationSeconds: 30 }], [taint], 1_030_000],
    ['negative tolerationSeconds: at once', [{ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', tolerationSeconds: -5 }], [taint], 1_000_000],
    ['one taint tolerated, another not: at once', [{ key: TAINT_NODE_UNREACHABLE, operator: 'Exists' }], [taint, { key: 'x', effect: 'NoExecute' }], 1_000_000],
  ])('eviction deadline: %s', (_name, tolerations, taints, want) => {
    expect(evictionDeadline(tolerations, taints, since)).toBe(want);
  });

  it('adds the default not-ready/unreachable tolerations only where the pod has none', () => {
    const own: core.Toleration[] = [{ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }];
    expect(withDefaultNotReadyTolerations(own, 300)).toEqual([...own, { key: TAINT_NODE_NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]);
  });
});

describe('node lifecycle controller', () => {
  it('marks a silent node Unknown after the grace period, taints it, and evicts pods by their tolerations', async () => {
    await using h = await startHarness((m) => addNodeLifecycleController(m));
    const { client, clock } = h;
    await joinNode(h, 'n1');
    const t0 = clock.now();
    // 300 s is what upstream's DefaultTolerationSeconds admission plugin adds to every pod.
    await client.create(boundPod('plain', 'n1'));
    await client.create(boundPod('patient', 'n1', [{ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]));
    await client.create(boundPod('loyal', 'n1', [{ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' }]));
    await settle();

    await clock.advance(GRACE - 1000);
    await settle();
    expect(cond(await getNode(client, 'n1'), 'Ready')?.status).toBe('True');
    expect(taintKeys(await getNode(client, 'n1'))).toEqual([]);

    await clock.advance(1000);
    await until(async () => cond(await getNode(client, 'n1'), 'Ready')?.status === 'Unknown', 'Ready Unknown');
    const node = await getNode(client, 'n1');
    for (const type of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) expect(cond(node, type)).toMatchObject({ status: 'Unknown' });
    expect(cond(node, 'Ready')).toMatchObject({ reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    await until(async () => taintKeys(await getNode(client, 'n1')).length === 2, 'taints');
    const tainted = await getNode(client, 'n1');
    expect(taintKeys(tainted)).toEqual([`${TAINT_NODE_UNREACHABLE}:NoExecute`, `${TAINT_NODE_UNREACHABLE}:NoSchedule`]);
    const taintedAt = clock.now();
    expect(tainted.spec?.taints?.find((t) => t.effect === 'NoExecute')?.timeAdded).toBe(rfc3339(taintedAt));
    expect(taintedAt - t0).toBe(GRACE);

    // No node agent: the API server deletes bound pods gracefully, so they linger with a deletionTimestamp.
    await until(() => terminating(client, 'plain'), 'plain evicted');
    const plain = await getPod(client, 'plain');
    expect(plain.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'DeletionByTaintManager' });
    await until(async () => (await events(client, 'TaintManagerEviction')).length === 1, 'eviction Event');
    expect((await events(client, 'TaintManagerEviction'))[0]).toMatchObject({ type: 'Normal', message: 'Marking for deletion Pod default/plain', involvedObject: { kind: 'Pod', name: 'plain' } });

    await clock.advance(299_000);
    await settle();
    expect(await terminating(client, 'patient')).toBe(false);
    await clock.advance(1000);
    await until(() => terminating(client, 'patient'), 'patient evicted at +300 s');
    await clock.advance(3_600_000);
    await settle();
    expect(await terminating(client, 'loyal')).toBe(false);
  });

  it.each([
    { name: 'a silent node (Ready Unknown)', silent: true },
    { name: 'a node reporting Ready=False', silent: false },
  ])('on $name, records NodeNotReady once and marks its Ready pods not ready, leaving finished pods and other nodes alone', async ({ silent }) => {
    await using h = await startHarness((m) => addNodeLifecycleController(m, { taintEviction: false }));
    const { client, clock } = h;
    await joinNode(h, 'n1');
    await joinNode(h, 'n2');
    const readyPod = async (name: string, node: string, phase: 'Running' | 'Succeeded' = 'Running') => {
      const p = await client.create(boundPod(name, node));
      await client.updateStatus({ ...p, status: { phase, conditions: [{ type: 'Ready', status: 'True' }] } });
    };
    await readyPod('on-n1', 'n1');
    await readyPod('done-n1', 'n1', 'Succeeded');
    await readyPod('on-n2', 'n2');
    await settle();
    const readyOf = async (name: string) => (await getPod(client, name)).status?.conditions?.find((c) => c.type === 'Ready')?.status;
    expect(await readyOf('on-n1')).toBe('True');
    // n2 keeps its heartbeats; n1 goes silent, or reports Ready=False itself.
    for (let t = 0; t < GRACE + 10_000; t += 5_000) {
      await clock.advance(5_000);
      await renewLease(client, 'n2', clock.now());
      if (!silent) {
        await renewLease(client, 'n1', clock.now());
        if (t === 0) await postReady(client, 'n1', clock.now(), 'False');
      }
      await settle();
    }
    await until(async () => (await readyOf('on-n1')) === 'False', 'on-n1 not ready');
    expect(await readyOf('done-n1')).toBe('True');
    expect(await readyOf('on-n2')).toBe('True');
    const podEvents = (await events(client, 'NodeNotReady')).filter((e) => e.involvedObject?.kind === 'Pod');
    expect(podEvents.map((e) => [e.type, e.involvedObject?.name, e.message])).toEqual([['Warning', 'on-n1', 'Node is not ready']]);
    const nodeEvents = (await events(client, 'NodeNotReady')).filter((e) => e.involvedObject?.kind === 'Node');
    expect(nodeEvents.map((e) => [e.type, e.involvedObject?.name, e.message, e.count ?? 1])).toEqual([['Normal', 'n1', 'Node n1 status is now: NodeNotReady', 1]]);
  });

  it('removes the taints when the node agent is back (lease renewed, Ready posted) and cancels pending evictions', async () => {
    await using h = await startHarness((m) => addNodeLifecycleController(m));
    const { client, clock } = h;
    await joinNode(h, 'n1');
    await client.create(boundPod('patient', 'n1', [{ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]));
    await clock.advance(GRACE);
    await until(async () => taintKeys(await getNode(client, 'n1')).length === 2, 'unreachable taints');
    await clock.advance(100_000);
    await renewLease(client, 'n1', clock.now());
    await postReady(client, 'n1', clock.now());
    await until(async () => taintKeys(await getNode(client, 'n1')).length === 0, 'taints removed');
    expect(cond(await getNode(client, 'n1'), 'Ready')?.status).toBe('True');
    await until(async () => (await events(client, 'TaintManagerEviction')).some((e) => e.message === 'Cancelling deletion of Pod default/patient'), 'cancel Event');
    // Keep the heartbeat going past the old deadline: the pod stays.
    for (let i = 0; i < 30; i++) {
      await clock.advance(10_000);
      await renewLease(client, 'n1', clock.now());
    }
    await settle();
    expect(await terminating(client, 'patient')).toBe(false);
    expect(taintKeys(await getNode(client, 'n1'))).toEqual([]);
  });

  it('taints a node reporting Ready=False with not-ready instead, and a lease alone keeps it Ready', async () => {
    await using h = await startHarness((m) => addNodeLifecycleController(m));
    const { client, clock } = h;
    await joinNode(h, 'n1');
    await client.create(boundPod('plain', 'n1'));
    // The lease keeps the node alive long past its Ready lastHeartbeatTime.
    for (let i = 0; i < 10; i++) {
      await clock.advance(10_000);
      await renewLease(client, 'n1', clock.now());
    }
    await settle();
    expect(cond(await getNode(client, 'n1'), 'Ready')?.status).toBe('True');
    expect(await terminating(client, 'plain')).toBe(false);
    await postReady(client, 'n1', clock.now(), 'False');
    await until(async () => taintKeys(await getNode(client, 'n1')).length === 2, 'not-ready taints');
    expect(taintKeys(await getNode(client, 'n1'))).toEqual([`${TAINT_NODE_NOT_READY}:NoExecute`, `${TAINT_NODE_NOT_READY}:NoSchedule`]);
    await until(() => terminating(client, 'plain'), 'plain evicted');
  });

  it('evicts for a NoExecute taint added by hand, by the same toleration rules', async () => {
    await using h = await startHarness((m) => addNodeLifecycleController(m));
    const { client, clock } = h;
    await joinNode(h, 'n1');
    await client.create(boundPod('plain', 'n1'));
    await client.create(boundPod('minute', 'n1', [{ key: 'maintenance', operator: 'Equal', value: 'true', effect: 'NoExecute', tolerationSeconds: 60 }]));
    await client.create(boundPod('other-value', 'n1', [{ key: 'maintenance', operator: 'Equal', value: 'false', effect: 'NoExecute' }]));
    await client.create(boundPod('anything', 'n1', [{ operator: 'Exists' }]));
    await settle();
    const beat = async (ms: number) => {
      for (let left = ms; left > 0; left -= 10_000) {
        await clock.advance(Math.min(10_000, left));
        await renewLease(client, 'n1', clock.now());
      }
    };
    const cur = await getNode(client, 'n1');
    await client.update({ ...cur, spec: { ...cur.spec, taints: [{ key: 'maintenance', value: 'true', effect: 'NoExecute' }] } });
    await until(() => terminating(client, 'plain'), 'plain evicted');
    await until(() => terminating(client, 'other-value'), 'other-value evicted');
    await beat(59_000);
    await settle();
    expect(await terminating(client, 'minute')).toBe(false);
    await beat(1_000);
    await until(() => terminating(client, 'minute'), 'minute evicted at +60 s');
    await beat(60_000);
    expect(await terminating(client, 'anything')).toBe(false);
    // The controller leaves hand-made taints alone.
    expect(taintKeys(await getNode(client, 'n1'))).toEqual(['maintenance:NoExecute']);
  });

  it('with podEvictionTimeoutMs gives pods without a not-ready toleration that long', async () => {
    await using h = await startHarness((m) => addNodeLifecycleController(m, { podEvictionTimeoutMs: 300_000 }));
    const { client, clock } = h;
    await joinNode(h, 'n1');
    await client.create(boundPod('plain', 'n1'));
    await clock.advance(GRACE);
    await until(async () => taintKeys(await getNode(client, 'n1')).length === 2, 'taints');
    await clock.advance(299_000);
    await settle();
    expect(await terminating(client, 'plain')).toBe(false);
    await clock.advance(1_000);
    await until(() => terminating(client, 'plain'), 'evicted at +300 s');
  });

  it('limits new NoExecute taints to evictionRateQps', async () => {
    await using h = await startHarness((m) => addNodeLifecycleController(m, { evictionRateQps: 0.1 }));
    const { client, clock } = h;
    await joinNode(h, 'a');
    await joinNode(h, 'b');
    await clock.advance(GRACE);
    const noExecute = async () => (await client.list('v1', 'Node')).items.filter((n) => n.spec?.taints?.some((t) => t.effect === 'NoExecute')).length;
    await until(async () => (await noExecute()) === 1, 'first node tainted');
    await settle();
    expect(await noExecute()).toBe(1);
    await clock.advance(10_000);
    await until(async () => (await noExecute()) === 2, 'second node tainted 10 s later');
  });
});
