import type { Node, Pod, core } from '@bosun/api';
import { describe, expect, it } from 'vitest';
import { node, pod } from '../../test/fixtures';
import { SchedulerCache } from '../cache/cache';
import type { NodeInfo } from '../framework/node-info';
import { PodInfo, affinityTermMatches, type AffinityTerm } from '../framework/pod-info';
import { Snapshot } from '../framework/snapshot';
import { AffinityCountIndex, ExistingAntiAffinityIndex, bumpCount, termKey, type TopologyCounts } from './affinity-counts';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';
const nsLabels = (ns: string): Record<string, string> => (ns === 'other' ? { team: 'x' } : {});

/** A deterministic PRNG (mulberry32), so a failure replays. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const plain = (m: TopologyCounts) =>
  [...m].map(([k, vs]) => [k, [...vs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

function labelOf(n: NodeInfo, key: string): string | undefined {
  return n.node?.metadata?.labels?.[key];
}

/** Existing pods' anti-affinity matching `incoming`, scanned as InterPodAffinity's PreFilter did before the index. */
function referenceExisting(nodes: readonly NodeInfo[], incoming: Pod): TopologyCounts {
  const m: TopologyCounts = new Map();
  for (const n of nodes) {
    for (const p of n.podsWithRequiredAntiAffinity) {
      for (const t of p.requiredAntiAffinityTerms) {
        const v = labelOf(n, t.topologyKey);
        if (v !== undefined && n.node && affinityTermMatches(t, incoming, nsLabels)) bumpCount(m, t.topologyKey, v, 1);
      }
    }
  }
  return m;
}

/** Pods matching all `terms`, bumped once per term's key, scanned from scratch. */
function referenceAffinity(nodes: readonly NodeInfo[], terms: readonly AffinityTerm[]): TopologyCounts {
  const m: TopologyCounts = new Map();
  for (const n of nodes) {
    if (!n.node) continue;
    for (const p of n.pods) {
      if (!terms.every((t) => affinityTermMatches(t, p.pod))) continue;
      for (const t of terms) {
        const v = labelOf(n, t.topologyKey);
        if (v !== undefined) bumpCount(m, t.topologyKey, v, 1);
      }
    }
  }
  return m;
}

const TERMS: core.PodAffinityTerm[] = [
  { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: HOST },
  { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: ZONE },
  { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: ZONE, namespaces: ['default', 'other'] },
  { labelSelector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, topologyKey: HOST },
  { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: ZONE, namespaceSelector: { matchLabels: { team: 'x' } } },
];

describe('ExistingAntiAffinityIndex and AffinityCountIndex', () => {
  it('match a from-scratch scan after every random cache change, as do the snapshot affinity lists (assume, forget, add, update, remove pods; add, relabel, remove nodes)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const rnd = prng(seed);
      const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
      const cache = new SchedulerCache();
      const snapshot = new Snapshot();
      const existing = new ExistingAntiAffinityIndex();
      const incoming = new AffinityCountIndex();
      const nodes = new Map<string, Node>();
      const pods = new Map<string, { pod: Pod; assumed: boolean }>();
      let seq = 0;
      const newNode = () => {
        const name = `n${seq++}`;
        const labels: Record<string, string> = { [HOST]: name };
        if (rnd() < 0.85) labels[ZONE] = pick(['a', 'b', 'c']);
        const n = node(name, { labels, pods: '1000' });
        nodes.set(name, n);
        cache.addNode(n);
      };
      const newPod = (nodeName: string): Pod => {
        const terms = rnd() < 0.4 ? [pick(TERMS), ...(rnd() < 0.3 ? [pick(TERMS)] : [])] : [];
        const affinity: core.Affinity | undefined = terms.length ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } } : undefined;
        return pod(`p${seq++}`, { namespace: pick(['default', 'default', 'other']), labels: { app: pick(['web', 'web', 'db']) }, nodeName, affinity });
      };
      for (let i = 0; i < 6; i++) newNode();
      for (let step = 0; step < 300; step++) {
        const r = rnd();
        const nodeNames = [...nodes.keys()];
        if (r < 0.25 && nodeNames.length) {
          const p = newPod(pick(nodeNames));
          cache.assumePod(p);
          pods.set(p.metadata!.name!, { pod: p, assumed: true });
        } else if (r < 0.35 && pods.size) {
          const [name, st] = pick([...pods]);
          if (st.assumed) {
            cache.forgetPod(st.pod);
            pods.delete(name);
          }
        } else if (r < 0.5 && pods.size) {
          const [name, st] = pick([...pods]);
          const target = nodeNames.length && rnd() < 0.2 ? pick(nodeNames) : st.pod.spec!.nodeName!;
          const p = { ...st.pod, spec: { ...st.pod.spec!, nodeName: target } };
          cache.addPod(p);
          pods.set(name, { pod: p, assumed: false });
        } else if (r < 0.6 && pods.size) {
          const [name, st] = pick([...pods]);
          if (!st.assumed) {
            const p = { ...st.pod, metadata: { ...st.pod.metadata, labels: { app: pick(['web', 'db']) } } };
            cache.updatePod(st.pod, p);
            pods.set(name, { pod: p, assumed: false });
          }
        } else if (r < 0.7 && pods.size) {
          const [name, st] = pick([...pods]);
          if (!st.assumed) {
            cache.removePod(st.pod);
            pods.delete(name);
          }
        } else if (r < 0.8) {
          newNode();
        } else if (r < 0.9 && nodeNames.length) {
          const name = pick(nodeNames);
          const old = nodes.get(name)!;
          const labels: Record<string, string> = rnd() < 0.9 ? { [HOST]: name } : {};
          if (rnd() < 0.8) labels[ZONE] = pick(['a', 'b', 'c', 'd']);
          const n = { ...old, metadata: { ...old.metadata, labels } };
          nodes.set(name, n);
          cache.updateNode(old, n);
        } else if (nodeNames.length > 1) {
          const name = pick(nodeNames);
          cache.removeNode(nodes.get(name)!);
          nodes.delete(name);
        }
        cache.updateSnapshot(snapshot);
        const list = snapshot.list();
        // The snapshot's (anti-)affinity lists follow nodes joining and leaving them in place.
        const names = (ns: readonly NodeInfo[]) => ns.map((n) => n.name).sort();
        expect(names(snapshot.havePodsWithAffinity()), `seed ${seed} step ${step} withAffinity`).toEqual(names(list.filter((n) => n.podsWithAffinity.length > 0)));
        expect(names(snapshot.havePodsWithRequiredAntiAffinity()), `seed ${seed} step ${step} withAnti`).toEqual(names(list.filter((n) => n.podsWithRequiredAntiAffinity.length > 0)));
        // Not every question is asked every cycle: stale entries must catch up too.
        const probe = newPod(pick([...nodes.keys()]));
        if (rnd() < 0.6) {
          const got = existing.matching(list, probe, nsLabels);
          expect(plain(got.counts), `seed ${seed} step ${step} existing`).toEqual(plain(referenceExisting(list, probe)));
        }
        const info = new PodInfo(probe);
        if (info.requiredAntiAffinityTerms.length && rnd() < 0.6) {
          const terms = info.requiredAntiAffinityTerms;
          const got = incoming.affinity(list, terms);
          if (terms.some((t) => t.namespaceSelector)) expect(got).toBeUndefined();
          else expect(plain(got!), `seed ${seed} step ${step} all of ${terms.map(termKey).join(' & ')}`).toEqual(plain(referenceAffinity(list, terms)));
          const t = terms[0];
          const one = incoming.antiAffinity(list, t);
          if (t.namespaceSelector) expect(one).toBeUndefined();
          else expect(plain(one!), `seed ${seed} step ${step} ${termKey(t)}`).toEqual(plain(referenceAffinity(list, [t])));
        }
      }
      expect(existing.groupCount).toBeLessThanOrEqual(TERMS.length * 3);
    }
  });

  it('shares the index maps when one term matches and copies when two terms of one key must be added', () => {
    const cache = new SchedulerCache();
    cache.addNode(node('n1', { labels: { [ZONE]: 'a', [HOST]: 'n1' } }));
    cache.addNode(node('n2', { labels: { [ZONE]: 'b', [HOST]: 'n2' } }));
    const anti = (name: string, nodeName: string, t: core.PodAffinityTerm) =>
      pod(name, { nodeName, labels: { app: 'x' }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [t] } } });
    cache.addPod(anti('e1', 'n1', TERMS[1]));
    const snapshot = new Snapshot();
    cache.updateSnapshot(snapshot);
    const index = new ExistingAntiAffinityIndex();
    const web = pod('w', { labels: { app: 'web' } });
    const one = index.matching(snapshot.list(), web, nsLabels);
    expect(one.shared).toBe(true);
    expect(plain(one.counts)).toEqual([[ZONE, [['a', 1]]]]);
    // A second, different term on the same key: the counts are summed into a copy.
    cache.addPod(anti('e2', 'n2', { labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] }, topologyKey: ZONE }));
    cache.updateSnapshot(snapshot);
    const two = index.matching(snapshot.list(), web, nsLabels);
    expect(two.shared).toBe(false);
    expect(plain(two.counts)).toEqual([[ZONE, [['a', 1], ['b', 1]]]]);
    // The index's own maps were not changed by the sum.
    expect(plain(index.matching(snapshot.list(), pod('d', { labels: { app: 'db' } }), nsLabels).counts)).toEqual([]);
  });
});
