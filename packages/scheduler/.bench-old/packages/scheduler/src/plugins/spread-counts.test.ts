import { everythingSelector, nothingSelector, selectorFromSet, type Node, type Pod } from '@bosun/api';
import { describe, expect, it } from 'vitest';
import { node, pod } from '../../test/fixtures';
import { SchedulerCache } from '../cache/cache';
import { CycleState } from '../framework/cycle-state';
import { NodeInfo } from '../framework/node-info';
import { PodInfo } from '../framework/pod-info';
import { Snapshot } from '../framework/snapshot';
import { PodTopologySpread } from './pod-topology-spread';
import { countPodsMatchSelector, DomainCounts, SpreadCountIndex, type SpreadCountKey } from './spread-counts';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';

/** The counts from scratch, as PodTopologySpread's PreFilter computed them before the index. */
function reference(nodes: readonly NodeInfo[], k: SpreadCountKey): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of nodes) {
    const labels = n.node?.metadata?.labels;
    if (!labels || !k.requiredKeys.every((key) => key in labels)) continue;
    const v = labels[k.topologyKey];
    out.set(v, (out.get(v) ?? 0) + countPodsMatchSelector(n.pods, k.selector, k.namespace));
  }
  return out;
}

const sorted = (m: ReadonlyMap<string, number>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const minOf = (m: ReadonlyMap<string, number>) => Math.min(Number.MAX_SAFE_INTEGER, ...m.values());

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

const KEYS: SpreadCountKey[] = [
  { namespace: 'default', selector: selectorFromSet({ app: 'web' }), topologyKey: ZONE, requiredKeys: [ZONE] },
  { namespace: 'default', selector: selectorFromSet({ app: 'web' }), topologyKey: HOST, requiredKeys: [HOST, ZONE].sort() },
  { namespace: 'other', selector: selectorFromSet({ app: 'web' }), topologyKey: ZONE, requiredKeys: [ZONE] },
  { namespace: 'default', selector: everythingSelector, topologyKey: ZONE, requiredKeys: [ZONE] },
  { namespace: 'default', selector: nothingSelector, topologyKey: ZONE, requiredKeys: [ZONE] },
];

describe('SpreadCountIndex', () => {
  it('matches a from-scratch count after every random cache change (assume, forget, add, update, remove pods; add, relabel, remove nodes)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const rnd = prng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
      const cache = new SchedulerCache();
      const snapshot = new Snapshot();
      const index = new SpreadCountIndex();
      const nodes = new Map<string, Node>();
      const pods = new Map<string, { pod: Pod; assumed: boolean }>();
      let seq = 0;
      const newNode = () => {
        const name = `n${seq++}`;
        // Some nodes lack the zone label: they are left out of every count.
        const labels: Record<string, string> = rnd() < 0.85 ? { [ZONE]: pick(['a', 'b', 'c', 'd']) } : {};
        const n = node(name, { labels, pods: '1000' });
        nodes.set(name, n);
        cache.addNode(n);
      };
      const newPod = (nodeName: string): Pod => {
        const p = pod(`p${seq++}`, { namespace: pick(['default', 'default', 'other']), labels: { app: pick(['web', 'web', 'db']) }, nodeName });
        return rnd() < 0.1 ? { ...p, metadata: { ...p.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } } : p;
      };
      for (let i = 0; i < 6; i++) newNode();
      for (let step = 0; step < 400; step++) {
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
          // The informer confirms a pod, sometimes on another node than assumed.
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
          const labels: Record<string, string> = { [HOST]: name };
          if (rnd() < 0.8) labels[ZONE] = pick(['a', 'b', 'c', 'd', 'e']);
          const n = { ...old, metadata: { ...old.metadata, labels } };
          nodes.set(name, n);
          cache.updateNode(old, n);
        } else if (nodeNames.length > 1) {
          const name = pick(nodeNames);
          cache.removeNode(nodes.get(name)!);
          nodes.delete(name);
        }
        cache.updateSnapshot(snapshot);
        // Not every key is asked every cycle: stale entries must catch up too.
        for (const k of KEYS) {
          if (rnd() < 0.5) continue;
          const got = index.counts(snapshot.list(), k);
          const want = reference(snapshot.list(), k);
          expect(sorted(got.counts), `seed ${seed} step ${step} ${k.namespace}/${k.selector.toString()}/${k.topologyKey}`).toEqual(sorted(want));
          expect(got.min).toBe(minOf(want));
        }
      }
    }
  });

  it('drops a domain when its last node is relabelled or removed, and keeps empty domains that still have nodes', () => {
    const cache = new SchedulerCache();
    const a = node('n1', { labels: { [ZONE]: 'a' } });
    const b = node('n2', { labels: { [ZONE]: 'b' } });
    cache.addNode(a);
    cache.addNode(b);
    cache.addNode(node('n3', { labels: { [ZONE]: 'c' } }));
    cache.addPod(pod('w', { labels: { app: 'web' }, nodeName: 'n1' }));
    const s = new Snapshot();
    const index = new SpreadCountIndex();
    const counts = () => {
      cache.updateSnapshot(s);
      return sorted(index.counts(s.list(), KEYS[0]).counts);
    };
    expect(counts()).toEqual([['a', 1], ['b', 0], ['c', 0]]);
    cache.updateNode(a, { ...a, metadata: { ...a.metadata, labels: { [ZONE]: 'c' } } });
    expect(counts()).toEqual([['b', 0], ['c', 1]]);
    cache.removeNode(b);
    expect(counts()).toEqual([['c', 1]]);
    expect(index.counts(s.list(), KEYS[0]).min).toBe(1);
  });

  it('follows NodeInfos changed in place in the same list (no relist)', () => {
    const n1 = new NodeInfo(node('n1', { labels: { [ZONE]: 'a' } }), pod('w1', { labels: { app: 'web' } }));
    const n2 = new NodeInfo(node('n2', { labels: { [ZONE]: 'b' } }));
    const list = [n1, n2];
    const d = new DomainCounts(KEYS[0]);
    d.sync(list);
    expect(sorted(d.counts)).toEqual([['a', 1], ['b', 0]]);
    n1.setNode(node('n1', { labels: { [ZONE]: 'b' } }));
    d.sync(list);
    expect(sorted(d.counts)).toEqual([['b', 1]]);
    expect(d.min).toBe(1);
    n2.addPod(pod('w2', { labels: { app: 'web' } }));
    n1.removePod(pod('w1'));
    d.sync(list);
    expect(sorted(d.counts)).toEqual([['b', 1]]);
    n2.setNode(node('n2'));
    d.sync(list);
    expect(sorted(d.counts)).toEqual([['b', 0]]);
    expect(d.min).toBe(0);
  });

  it('recounts a node whose NodeInfo object was replaced even with the same generation', () => {
    const cache = new SchedulerCache();
    cache.addNode(node('n1', { labels: { [ZONE]: 'a' } }));
    cache.addPod(pod('w', { labels: { app: 'web' }, nodeName: 'n1' }));
    const s1 = new Snapshot();
    cache.updateSnapshot(s1);
    const k = KEYS[0];
    const d = new DomainCounts(k);
    d.sync(s1.list());
    expect(sorted(d.counts)).toEqual([['a', 1]]);
    // Another list holding a copy without the pod, generation copied: must not reuse the count.
    const copy = s1.list()[0].clone();
    copy.pods = [];
    d.sync([copy]);
    expect(sorted(d.counts)).toEqual([['a', 0]]);
  });

  it('drops the least recently used key beyond its capacity', () => {
    const index = new SpreadCountIndex(2);
    const nodes: NodeInfo[] = [];
    index.counts(nodes, KEYS[0]);
    index.counts(nodes, KEYS[1]);
    index.counts(nodes, KEYS[0]);
    index.counts(nodes, KEYS[2]);
    expect(index.size).toBe(2);
    // KEYS[1] was least recently used: asking again builds a new entry.
    const again = index.counts(nodes, KEYS[1]);
    expect(again).not.toBe(index.counts(nodes, KEYS[0]) as DomainCounts);
    expect(index.size).toBe(2);
  });

  it('tells the nothing selector from the everything selector', () => {
    const cache = new SchedulerCache();
    cache.addNode(node('n1', { labels: { [ZONE]: 'a' } }));
    cache.addPod(pod('w', { labels: { app: 'web' }, nodeName: 'n1' }));
    const s = new Snapshot();
    cache.updateSnapshot(s);
    const index = new SpreadCountIndex();
    expect(sorted(index.counts(s.list(), KEYS[3]).counts)).toEqual([['a', 1]]);
    expect(sorted(index.counts(s.list(), KEYS[4]).counts)).toEqual([['a', 0]]);
  });
});

describe('PodTopologySpread with the index', () => {
  const web = { app: 'web' };
  const constraint = { maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule' as const, labelSelector: { matchLabels: web } };
  const incoming = pod('in', { labels: web, topologySpreadConstraints: [constraint] });

  function verdicts(pl: PodTopologySpread, nodes: readonly NodeInfo[], p: Pod = incoming): Record<string, boolean> {
    const s = new CycleState();
    expect(pl.preFilter(s, p, nodes).isSuccess()).toBe(true);
    return Object.fromEntries(nodes.map((n) => [n.name, pl.filter(s, p, n).isSuccess()]));
  }

  it('a long-lived plugin filters as a fresh one while pods are placed cycle after cycle', () => {
    const cache = new SchedulerCache();
    for (const [i, z] of ['a', 'a', 'b', 'c'].entries()) cache.addNode(node(`n${i}`, { labels: { [ZONE]: z } }));
    const snapshot = new Snapshot();
    const long = new PodTopologySpread();
    for (let i = 0; i < 12; i++) {
      cache.updateSnapshot(snapshot);
      const got = verdicts(long, snapshot.list());
      expect(got).toEqual(verdicts(new PodTopologySpread(), snapshot.list()));
      // Place a matching pod on the first feasible node, as the scheduler would.
      const target = Object.keys(got).find((n) => got[n])!;
      cache.assumePod(pod(`w${i}`, { labels: web, nodeName: target }));
    }
    cache.updateSnapshot(snapshot);
    const perZone = new Map<string, number>();
    for (const n of snapshot.list()) perZone.set(n.labels[ZONE], (perZone.get(n.labels[ZONE]) ?? 0) + n.pods.length);
    expect(sorted(perZone)).toEqual([['a', 4], ['b', 4], ['c', 4]]);
  });

  it("AddPod on one cycle's state does not leak into the index (copy on write)", () => {
    const cache = new SchedulerCache();
    cache.addNode(node('n1', { labels: { [ZONE]: 'a' } }));
    cache.addNode(node('n2', { labels: { [ZONE]: 'b' } }));
    const snapshot = new Snapshot();
    cache.updateSnapshot(snapshot);
    const pl = new PodTopologySpread();
    const s = new CycleState();
    pl.preFilter(s, incoming, snapshot.list());
    const n1 = snapshot.get('n1')!;
    pl.addPod(s, incoming, new PodInfo(pod('sim', { labels: web, nodeName: 'n1' })), n1);
    expect(pl.filter(s, incoming, n1).isSuccess()).toBe(false);
    // The next cycle, with nothing changed in the cache, sees zone a empty again.
    expect(verdicts(pl, snapshot.list())).toEqual({ n1: true, n2: true });
  });

  it('a pod with a nodeSelector counts only the nodes it may land on (no index)', () => {
    const cache = new SchedulerCache();
    cache.addNode(node('n1', { labels: { [ZONE]: 'a', disk: 'ssd' } }));
    cache.addNode(node('n2', { labels: { [ZONE]: 'b' } }));
    cache.addPod(pod('w1', { labels: web, nodeName: 'n1' }));
    const snapshot = new Snapshot();
    cache.updateSnapshot(snapshot);
    const p = pod('in', { labels: web, nodeSelector: { disk: 'ssd' }, topologySpreadConstraints: [constraint] });
    // Zone b is not eligible (Honor): the only domain is a, with min 1: a gets 1 + 1 − 1 ≤ 1.
    expect(verdicts(new PodTopologySpread(), snapshot.list(), p)).toEqual({ n1: true, n2: true });
    // Without the selector zone b counts: a is refused.
    expect(verdicts(new PodTopologySpread(), snapshot.list())).toEqual({ n1: false, n2: true });
  });
});
