import type { Pod, core } from '@bosun/api';
import { describe, expect, it } from 'vitest';
import { node, pod } from '../../test/fixtures';
import { CycleState } from '../framework/cycle-state';
import { NodeInfo } from '../framework/node-info';
import { PodInfo } from '../framework/pod-info';
import { Snapshot } from '../framework/snapshot';
import {
  ERR_REASON_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
  InterPodAffinity,
} from './inter-pod-affinity';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';
const term = (labels: Record<string, string>, topologyKey = ZONE, extra: Partial<core.PodAffinityTerm> = {}): core.PodAffinityTerm => ({ labelSelector: { matchLabels: labels }, topologyKey, ...extra });
const affinity = (...required: core.PodAffinityTerm[]): core.Affinity => ({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: required } });
const antiAffinity = (...required: core.PodAffinityTerm[]): core.Affinity => ({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: required } });

/** Zone a: a1 runs db (in default) and cache (in ns "team", labelled team=x); zone b: b1 runs nothing; c1 has no zone label. */
function cluster(extra: Pod[] = []): NodeInfo[] {
  return [
    new NodeInfo(node('a1', { labels: { [ZONE]: 'a' } }), pod('db', { labels: { app: 'db' } }), pod('cache', { labels: { app: 'cache' }, namespace: 'team' }), ...extra),
    new NodeInfo(node('a2', { labels: { [ZONE]: 'a' } })),
    new NodeInfo(node('b1', { labels: { [ZONE]: 'b' } })),
    new NodeInfo(node('c1')),
  ];
}

const nsLabels = (ns: string): Record<string, string> => (ns === 'team' ? { team: 'x' } : {});

function runFilter(p: Pod, nodes: NodeInfo[]): Record<string, string> {
  const pl = new InterPodAffinity({}, nsLabels, () => Snapshot.of(nodes));
  const s = new CycleState();
  if (pl.preFilter(s, p, nodes).isSkip()) return { all: 'Skip' };
  return Object.fromEntries(nodes.map((n) => {
    const st = pl.filter(s, p, n);
    return [n.name, st.isSuccess() ? 'Success' : `${st.code}: ${st.message()}`];
  }));
}

const AFF = `UnschedulableAndUnresolvable: ${ERR_REASON_AFFINITY_RULES_NOT_MATCH}`;
const ANTI = `Unschedulable: ${ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH}`;
const EXISTING = `Unschedulable: ${ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH}`;

describe('InterPodAffinity filter', () => {
  it.each<[string, Pod, Pod[], Record<string, string>]>([
    ['a pod without affinity, among pods without anti-affinity, skips the plugin', pod('p'), [], { all: 'Skip' }],
    ['required affinity to db: only db\'s zone', pod('p', { affinity: affinity(term({ app: 'db' })) }), [], { a1: 'Success', a2: 'Success', b1: AFF, c1: AFF }],
    ['required affinity by hostname: only db\'s node', pod('p', { affinity: affinity(term({ app: 'db' }, HOST)) }), [], { a1: 'Success', a2: AFF, b1: AFF, c1: AFF }],
    ['required affinity to a pod that runs nowhere', pod('p', { affinity: affinity(term({ app: 'nope' })) }), [], { a1: AFF, a2: AFF, b1: AFF, c1: AFF }],
    [
      'the first pod of a group matching its own affinity may go anywhere the key exists',
      pod('p', { labels: { app: 'web' }, affinity: affinity(term({ app: 'web' })) }),
      [],
      { a1: 'Success', a2: 'Success', b1: 'Success', c1: AFF },
    ],
    ['terms are matched in the pod\'s own namespace by default', pod('p', { affinity: affinity(term({ app: 'cache' })) }), [], { a1: AFF, a2: AFF, b1: AFF, c1: AFF }],
    ['namespaces lists other namespaces', pod('p', { affinity: affinity(term({ app: 'cache' }, ZONE, { namespaces: ['team'] })) }), [], { a1: 'Success', a2: 'Success', b1: AFF, c1: AFF }],
    [
      'namespaceSelector selects namespaces by label',
      pod('p', { affinity: affinity(term({ app: 'cache' }, ZONE, { namespaceSelector: { matchLabels: { team: 'x' } } })) }),
      [],
      { a1: 'Success', a2: 'Success', b1: AFF, c1: AFF },
    ],
    ['an empty namespaceSelector selects every namespace', pod('p', { affinity: affinity(term({ app: 'cache' }, ZONE, { namespaceSelector: {} })) }), [], { a1: 'Success', a2: 'Success', b1: AFF, c1: AFF }],
    ['required anti-affinity to db: not db\'s zone', pod('p', { affinity: antiAffinity(term({ app: 'db' })) }), [], { a1: ANTI, a2: ANTI, b1: 'Success', c1: 'Success' }],
    ['required anti-affinity by hostname: not db\'s node', pod('p', { affinity: antiAffinity(term({ app: 'db' }, HOST)) }), [], { a1: ANTI, a2: 'Success', b1: 'Success', c1: 'Success' }],
    [
      'an existing pod\'s anti-affinity refuses the incoming pod in its domain (symmetry)',
      pod('p', { labels: { app: 'web' } }),
      [pod('loner', { affinity: antiAffinity(term({ app: 'web' })) })],
      { a1: EXISTING, a2: EXISTING, b1: 'Success', c1: 'Success' },
    ],
    [
      'an existing pod\'s anti-affinity does not refuse pods it does not select',
      pod('p', { labels: { app: 'api' } }),
      [pod('loner', { affinity: antiAffinity(term({ app: 'web' })) })],
      { all: 'Skip' },
    ],
  ])('%s', (_n, p, extra, want) => {
    expect(runFilter(p, cluster(extra))).toEqual(want);
  });

  it.each<[string, 'add' | 'remove', Record<string, string>]>([
    ['removing db (preemption) lifts the anti-affinity', 'remove', { a1: 'Success', a2: 'Success', b1: 'Success', c1: 'Success' }],
    ['adding a db pod in zone b (a nominated pod) extends it', 'add', { a1: ANTI, a2: ANTI, b1: ANTI, c1: 'Success' }],
  ])('AddPod/RemovePod: %s', (_n, op, want) => {
    const nodes = cluster();
    const pl = new InterPodAffinity({}, nsLabels);
    const p = pod('p', { affinity: antiAffinity(term({ app: 'db' })) });
    const s = new CycleState();
    pl.preFilter(s, p, nodes);
    const c = s.clone();
    if (op === 'remove') pl.removePod(c, p, nodes[0].pods[0], nodes[0]);
    else pl.addPod(c, p, new PodInfo(pod('db2', { labels: { app: 'db' } })), nodes[2]);
    expect(Object.fromEntries(nodes.map((n) => {
      const st = pl.filter(c, p, n);
      return [n.name, st.isSuccess() ? 'Success' : `${st.code}: ${st.message()}`];
    }))).toEqual(want);
    expect(pl.filter(s, p, nodes[0]).isSuccess()).toBe(false);
  });

  it('RemovePod of the last matching pod makes a self-matching pod "the first of its group" again; AddPod back restores the domain', () => {
    const nodes = cluster();
    const pl = new InterPodAffinity({}, nsLabels);
    // Affinity to app=db, and the pod is itself app=db.
    const p = pod('p', { labels: { app: 'db' }, affinity: affinity(term({ app: 'db' })) });
    const s = new CycleState();
    pl.preFilter(s, p, nodes);
    const verdicts = (st: CycleState) => Object.fromEntries(nodes.map((n) => [n.name, pl.filter(st, p, n).isSuccess()]));
    expect(verdicts(s)).toEqual({ a1: true, a2: true, b1: false, c1: false });
    const c = s.clone();
    pl.removePod(c, p, nodes[0].pods[0], nodes[0]);
    // No db pod anywhere: the first of the group may go wherever the key exists.
    expect(verdicts(c)).toEqual({ a1: true, a2: true, b1: true, c1: false });
    pl.addPod(c, p, nodes[0].pods[0], nodes[0]);
    expect(verdicts(c)).toEqual({ a1: true, a2: true, b1: false, c1: false });
  });
});

describe('InterPodAffinity score', () => {
  const weighted = (weight: number, t: core.PodAffinityTerm): core.WeightedPodAffinityTerm => ({ weight, podAffinityTerm: t });
  it.each<[string, Pod, Pod[], Record<string, number> | 'Skip']>([
    ['no preferred terms anywhere: skipped', pod('p'), [], 'Skip'],
    [
      'preferred affinity favours db\'s zone',
      pod('p', { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [weighted(50, term({ app: 'db' }))] } } }),
      [],
      { a1: 100, a2: 100, b1: 0, c1: 0 },
    ],
    [
      'preferred anti-affinity disfavours db\'s zone',
      pod('p', { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [weighted(50, term({ app: 'db' }))] } } }),
      [],
      { a1: 0, a2: 0, b1: 100, c1: 100 },
    ],
    [
      'weights add up per domain: hostname 30 + zone 10',
      pod('p', { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [weighted(30, term({ app: 'db' }, HOST)), weighted(10, term({ app: 'db' }))] } } }),
      [],
      { a1: 100, a2: 25, b1: 0, c1: 0 },
    ],
    [
      'an existing pod\'s preferred affinity to the incoming pod counts (symmetry)',
      pod('p', { labels: { app: 'web' } }),
      [pod('fan', { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [weighted(20, term({ app: 'web' }, HOST))] } } })],
      { a1: 100, a2: 0, b1: 0, c1: 0 },
    ],
    [
      'an existing pod\'s required affinity counts hardPodAffinityWeight',
      pod('p', { labels: { app: 'web' } }),
      [pod('fan', { affinity: affinity(term({ app: 'web' })) })],
      { a1: 100, a2: 100, b1: 0, c1: 0 },
    ],
  ])('%s', (_n, p, extra, want) => {
    const nodes = cluster(extra);
    const pl = new InterPodAffinity({}, nsLabels, () => Snapshot.of(nodes));
    const s = new CycleState();
    if (pl.preScore(s, p, nodes).isSkip()) {
      expect(want).toBe('Skip');
      return;
    }
    const scores = nodes.map((n) => ({ name: n.name, score: pl.score(s, p, n) }));
    pl.normalizeScore(s, p, scores);
    expect(Object.fromEntries(scores.map((x) => [x.name, x.score]))).toEqual(want);
  });

  it('refuses a hardPodAffinityWeight out of range', () => {
    expect(() => new InterPodAffinity({ hardPodAffinityWeight: 101 })).toThrow(/not in valid range \[0, 100\]/);
  });
});
