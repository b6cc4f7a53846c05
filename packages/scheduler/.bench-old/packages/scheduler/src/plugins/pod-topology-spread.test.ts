import type { Pod, core } from '@bosun/api';
import { describe, expect, it } from 'vitest';
import { node, pod } from '../../test/fixtures';
import { CycleState } from '../framework/cycle-state';
import { NodeInfo } from '../framework/node-info';
import { PodInfo } from '../framework/pod-info';
import { Snapshot } from '../framework/snapshot';
import { ERR_REASON_CONSTRAINTS_NOT_MATCH, ERR_REASON_NODE_LABEL_NOT_MATCH, PodTopologySpread, type SpreadListers } from './pod-topology-spread';

const ZONE = 'topology.kubernetes.io/zone';
const web = { app: 'web' };
const spread = (maxSkew: number, extra: Partial<core.TopologySpreadConstraint> = {}): core.TopologySpreadConstraint => ({
  maxSkew,
  topologyKey: ZONE,
  whenUnsatisfiable: 'DoNotSchedule',
  labelSelector: { matchLabels: web },
  ...extra,
});

/** Zones a (2 matching pods), b (1), c (0), plus a node without a zone label. */
function cluster(): NodeInfo[] {
  return [
    new NodeInfo(node('a1', { labels: { [ZONE]: 'a' } }), pod('w1', { labels: web }), pod('w2', { labels: web })),
    new NodeInfo(node('b1', { labels: { [ZONE]: 'b' } }), pod('w3', { labels: web }), pod('other', { labels: { app: 'db' } })),
    new NodeInfo(node('c1', { labels: { [ZONE]: 'c', disk: 'hdd' } })),
    new NodeInfo(node('nozone')),
  ];
}

function runFilter(p: Pod, nodes: NodeInfo[]): Record<string, string> {
  const pl = new PodTopologySpread();
  const s = new CycleState();
  const pre = pl.preFilter(s, p, nodes);
  if (pre.isSkip()) return Object.fromEntries(nodes.map((n) => [n.name, 'Skip']));
  return Object.fromEntries(nodes.map((n) => {
    const st = pl.filter(s, p, n);
    return [n.name, st.isSuccess() ? 'Success' : `${st.code}: ${st.message()}`];
  }));
}

const NOT_MATCH = `Unschedulable: ${ERR_REASON_CONSTRAINTS_NOT_MATCH}`;
const NO_LABEL = `UnschedulableAndUnresolvable: ${ERR_REASON_NODE_LABEL_NOT_MATCH}`;

describe('PodTopologySpread filter', () => {
  it.each<[string, Pod, Record<string, string>]>([
    ['a pod without constraints skips the plugin', pod('p', { labels: web }), { a1: 'Skip', b1: 'Skip', c1: 'Skip', nozone: 'Skip' }],
    ['maxSkew 1 only allows the emptiest zone', pod('p', { labels: web, topologySpreadConstraints: [spread(1)] }), { a1: NOT_MATCH, b1: NOT_MATCH, c1: 'Success', nozone: NO_LABEL }],
    ['maxSkew 2 also allows the zone one above the minimum', pod('p', { labels: web, topologySpreadConstraints: [spread(2)] }), { a1: NOT_MATCH, b1: 'Success', c1: 'Success', nozone: NO_LABEL }],
    ['a pod its selector does not match does not count itself', pod('p', { labels: { app: 'x' }, topologySpreadConstraints: [spread(2)] }), { a1: 'Success', b1: 'Success', c1: 'Success', nozone: NO_LABEL }],
    ['ScheduleAnyway constraints do not filter', pod('p', { labels: web, topologySpreadConstraints: [spread(1, { whenUnsatisfiable: 'ScheduleAnyway' })] }), { a1: 'Skip', b1: 'Skip', c1: 'Skip', nozone: 'Skip' }],
    [
      'minDomains above the number of domains makes the global minimum 0',
      pod('p', { labels: web, topologySpreadConstraints: [spread(2, { minDomains: 5 })] }),
      { a1: NOT_MATCH, b1: 'Success', c1: 'Success', nozone: NO_LABEL },
    ],
    [
      'nodeAffinityPolicy Honor leaves zone c out of the domains (its node does not match the nodeSelector)',
      pod('p', { labels: web, nodeSelector: { [ZONE]: 'a' }, topologySpreadConstraints: [spread(1)] }),
      // counted domains: a (2) only → min 2: a is 2+1-2 = 1 ≤ 1.
      { a1: 'Success', b1: 'Success', c1: 'Success', nozone: NO_LABEL },
    ],
    [
      'nodeAffinityPolicy Ignore counts every domain',
      pod('p', { labels: web, nodeSelector: { [ZONE]: 'a' }, topologySpreadConstraints: [spread(1, { nodeAffinityPolicy: 'Ignore' })] }),
      { a1: NOT_MATCH, b1: NOT_MATCH, c1: 'Success', nozone: NO_LABEL },
    ],
    [
      'matchLabelKeys narrows the selector to pods with the same value',
      pod('p', { labels: { ...web, rev: '2' }, topologySpreadConstraints: [spread(1, { matchLabelKeys: ['rev'] })] }),
      { a1: 'Success', b1: 'Success', c1: 'Success', nozone: NO_LABEL },
    ],
  ])('%s', (_n, p, want) => {
    expect(runFilter(p, cluster())).toEqual(want);
  });

  it('nodeTaintsPolicy Honor leaves out nodes whose taints the pod does not tolerate', () => {
    const nodes = cluster();
    nodes[2] = new NodeInfo(node('c1', { labels: { [ZONE]: 'c' }, taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }));
    // Without zone c, the minimum is zone b's 1 pod.
    expect(runFilter(pod('p', { labels: web, topologySpreadConstraints: [spread(1, { nodeTaintsPolicy: 'Honor' })] }), nodes)).toEqual({ a1: NOT_MATCH, b1: 'Success', c1: 'Success', nozone: NO_LABEL });
  });

  it('does not count terminating pods nor pods of other namespaces', () => {
    const gone = { ...pod('w4', { labels: web }), metadata: { ...pod('w4', { labels: web }).metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
    const nodes = [
      new NodeInfo(node('a1', { labels: { [ZONE]: 'a' } }), gone, pod('w5', { labels: web, namespace: 'other' })),
      new NodeInfo(node('b1', { labels: { [ZONE]: 'b' } })),
    ];
    expect(runFilter(pod('p', { labels: web, topologySpreadConstraints: [spread(1)] }), nodes)).toEqual({ a1: 'Success', b1: 'Success' });
  });

  it.each<[string, 'add' | 'remove', string, Record<string, string>]>([
    ["removing zone a's matching pods (preemption) lets a pod land there", 'remove', 'a1', { a1: 'Success', b1: NOT_MATCH, c1: 'Success', nozone: NO_LABEL }],
    ['adding a matching pod to zone c raises the minimum', 'add', 'c1', { a1: NOT_MATCH, b1: 'Success', c1: 'Success', nozone: NO_LABEL }],
  ])('AddPod/RemovePod: %s', (_n, op, where, want) => {
    const nodes = cluster();
    const pl = new PodTopologySpread();
    const s = new CycleState();
    const p = pod('p', { labels: web, topologySpreadConstraints: [spread(1)] });
    pl.preFilter(s, p, nodes);
    const n = nodes.find((x) => x.name === where)!;
    const changed = s.clone();
    if (op === 'remove') {
      // remove both of zone a's pods: a 0, b 1, c 0
      for (const x of [...n.pods]) pl.removePod(changed, p, x, n);
    } else {
      pl.addPod(changed, p, new PodInfo(pod('w9', { labels: web })), n);
    }
    expect(Object.fromEntries(nodes.map((x) => {
      const st = pl.filter(changed, p, x);
      return [x.name, st.isSuccess() ? 'Success' : `${st.code}: ${st.message()}`];
    }))).toEqual(want);
    // The original state is untouched by the clone's changes.
    expect(pl.filter(s, p, nodes[1]).isSuccess()).toBe(false);
  });
});

function runScore(p: Pod, nodes: NodeInfo[], pl = new PodTopologySpread(undefined, undefined, { snapshot: () => Snapshot.of(nodes) })): Record<string, number> | 'Skip' {
  const s = new CycleState();
  if (pl.preScore(s, p, nodes).isSkip()) return 'Skip';
  const scores = nodes.map((n) => ({ name: n.name, score: pl.score(s, p, n) }));
  pl.normalizeScore(s, p, scores);
  return Object.fromEntries(scores.map((x) => [x.name, x.score]));
}

describe('PodTopologySpread score', () => {
  it.each<[string, Pod, Record<string, number> | 'Skip']>([
    ['no ScheduleAnyway constraint and no owner: skipped', pod('p', { labels: web }), 'Skip'],
    [
      'fewer matching pods in the zone scores higher; nodes without the key score 0',
      pod('p', { labels: web, topologySpreadConstraints: [spread(1, { whenUnsatisfiable: 'ScheduleAnyway' })] }),
      // weight ln(3+2); raw a 2·1.609=3, b 2 (1.609 → 2), c 0; normalized 100·(3+0−s)/3
      { a1: 0, b1: 33, c1: 100, nozone: 0 },
    ],
    [
      'a hostname constraint counts pods on the node itself',
      pod('p', { labels: web, topologySpreadConstraints: [spread(1, { whenUnsatisfiable: 'ScheduleAnyway', topologyKey: 'kubernetes.io/hostname' })] }),
      // weight ln(4+2)=1.79: a1 2→4 (3.58), b1 1→2, c1 0, nozone 0; normalized 100·(4+0−s)/4
      { a1: 0, b1: 50, c1: 100, nozone: 100 },
    ],
  ])('%s', (_n, p, want) => {
    expect(runScore(p, cluster())).toEqual(want);
  });

  it('applies the system default constraints to a pod selected by a Service', () => {
    const listers: SpreadListers = {
      services: () => [{ metadata: { name: 'web' }, spec: { selector: web } }],
      replicationController: () => undefined,
      replicaSet: () => undefined,
      statefulSet: () => undefined,
    };
    const nodes = cluster();
    const pl = new PodTopologySpread({}, listers, { snapshot: () => Snapshot.of(nodes) });
    const got = runScore(pod('p', { labels: web }), nodes, pl) as Record<string, number>;
    // System defaults do not require every key: the zone-less node is scored on hostname alone.
    expect(got.nozone).toBe(100);
    expect(got.a1).toBeLessThan(got.b1);
    expect(got.b1).toBeLessThan(got.c1);
    // Defaults are ScheduleAnyway: they never filter.
    expect(pl.preFilter(new CycleState(), pod('p', { labels: web }), nodes).isSkip()).toBe(true);
  });

  it('derives the default selector from the owning ReplicaSet', () => {
    const listers: SpreadListers = {
      services: () => [],
      replicationController: () => undefined,
      replicaSet: (_ns, name) => (name === 'rs' ? { metadata: { name: 'rs' }, spec: { selector: { matchLabels: web }, template: {} } } : undefined),
      statefulSet: () => undefined,
    };
    const pl = new PodTopologySpread({}, listers);
    const owned = pod('p', { labels: web, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true }] });
    expect(pl.defaultSelector(owned).toString()).toBe('app=web');
    expect(pl.defaultSelector(pod('q', { labels: web })).isEmpty()).toBe(true);
  });

  it.each([
    ['an unknown defaultingType', { defaultingType: 'Sometimes' }, /defaultingType: Unsupported value/],
    ['default constraints with the System type', { defaultConstraints: [spread(1)] }, /when .defaultingType is "System"/],
    ['a default constraint with a selector', { defaultingType: 'List', defaultConstraints: [spread(1)] }, /must not define a selector/],
    ['a default constraint with maxSkew 0', { defaultingType: 'List', defaultConstraints: [{ maxSkew: 0, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule' }] }, /must be greater than zero/],
  ])('refuses %s', (_n, args, err) => {
    expect(() => new PodTopologySpread(args as never)).toThrow(err);
  });
});
