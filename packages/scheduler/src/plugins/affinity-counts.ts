import { nothingSelector, type Pod, type Selector } from '@bosun/api';
import type { NodeInfo } from '../framework/node-info';
import { affinityTermMatches, type AffinityTerm, type NamespaceLabels } from '../framework/pod-info';

/**
 * topologyKey → value → count (non-zero counts only; a key without counts is dropped, so
 * `size === 0` means none).
 */
export type TopologyCounts = Map<string, Map<string, number>>;

/** Adds `delta` to (key, value), dropping zero counts and empty keys. */
export function bumpCount(m: TopologyCounts, key: string, value: string, delta: number): void {
  let values = m.get(key);
  if (!values) m.set(key, (values = new Map()));
  const n = (values.get(value) ?? 0) + delta;
  if (n !== 0) values.set(value, n);
  else {
    values.delete(value);
    if (values.size === 0) m.delete(key);
  }
}

/** Adds every count of `from` into `into`. */
export function addCounts(into: TopologyCounts, from: TopologyCounts): void {
  for (const [k, values] of from) for (const [v, n] of values) bumpCount(into, k, v, n);
}

function selectorKey(s: Selector | undefined): string {
  if (s === undefined) return '\u0000none';
  // nothingSelector and everythingSelector share the string form '': tell them apart.
  return s === nothingSelector ? '\u0000nothing' : s.toString();
}

/** A string equal for two terms exactly when {@link affinityTermMatches} and the topology key agree. */
export function termKey(t: AffinityTerm): string {
  return `${selectorKey(t.selector)}\u0001${[...t.namespaces].sort().join('\u0002')}\u0001${selectorKey(t.namespaceSelector)}\u0001${t.topologyKey}`;
}

/**
 * Something derived from each node (type T), kept in step with a node list: a node is
 * derived again only when its NodeInfo object or its generation changed since the last
 * sync (every change of a NodeInfo bumps its generation), so a cycle costs one pass of
 * integer compares over the list. Subclasses keep totals through `apply(x, ±1)`.
 */
abstract class NodeSynced<T> {
  private list: readonly NodeInfo[] | undefined;
  private refs: NodeInfo[] = [];
  private gens: number[] = [];
  private derived: (T | undefined)[] = [];

  /** Brings the totals up to date with `nodes` (the snapshot's node list). */
  sync(nodes: readonly NodeInfo[]): void {
    if (nodes !== this.list || nodes.length !== this.refs.length) return this.relist(nodes);
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      if (this.refs[i] === n && this.gens[i] === n.generation) continue;
      const old = this.derived[i];
      if (old !== undefined) this.apply(old, -1);
      const x = this.derive(n);
      if (x !== undefined) this.apply(x, 1);
      this.refs[i] = n;
      this.gens[i] = n.generation;
      this.derived[i] = x;
    }
  }

  /** A new node list: unchanged nodes (found by name) keep what was derived; totals are summed again. */
  private relist(nodes: readonly NodeInfo[]): void {
    const old = new Map<string, number>();
    for (let i = 0; i < this.refs.length; i++) old.set(this.refs[i].name, i);
    const refs = new Array<NodeInfo>(nodes.length);
    const gens = new Array<number>(nodes.length);
    const derived = new Array<T | undefined>(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      const j = old.get(n.name);
      refs[i] = n;
      gens[i] = n.generation;
      derived[i] = j !== undefined && this.refs[j] === n && this.gens[j] === n.generation ? this.derived[j] : this.derive(n);
    }
    this.list = nodes;
    this.refs = refs;
    this.gens = gens;
    this.derived = derived;
    this.reset();
    for (const x of derived) if (x !== undefined) this.apply(x, 1);
  }

  protected abstract derive(n: NodeInfo): T | undefined;
  protected abstract apply(x: T, sign: 1 | -1): void;
  protected abstract reset(): void;
}

/** Existing pods' required anti-affinity terms equal by {@link termKey}, with the domains they hold. */
interface TermGroup {
  readonly term: AffinityTerm;
  /** The term's topologyKey → the holders' values → number of such terms. */
  readonly counts: TopologyCounts;
  total: number;
}

/** One required anti-affinity term of a pod on a node, with the node's value of its key. */
interface TermHeld {
  readonly term: AffinityTerm;
  /** {@link termKey} of the term. */
  readonly key: string;
  readonly value: string;
}

/**
 * Existing pods' required anti-affinity terms, grouped by equal terms, each group with the
 * domains (values of its topologyKey) of the nodes holding them. A PreFilter then matches
 * the incoming pod once per distinct term instead of once per existing pod.
 */
export class ExistingAntiAffinityIndex extends NodeSynced<TermHeld[]> {
  private readonly groups = new Map<string, TermGroup>();

  /**
   * Domains where an existing pod's required anti-affinity term matches `pod`, as a scan of
   * every existing pod's terms counts them. The result may share maps with the index:
   * `shared` is true then, and the caller copies before changing it.
   */
  matching(nodes: readonly NodeInfo[], pod: Pod, ns: NamespaceLabels): { counts: TopologyCounts; shared: boolean } {
    this.sync(nodes);
    let counts: TopologyCounts = new Map();
    let shared = false;
    for (const g of this.groups.values()) {
      if (!affinityTermMatches(g.term, pod, ns)) continue;
      const k = g.term.topologyKey;
      const mine = g.counts.get(k);
      if (!mine) continue;
      if (counts.size === 0 && !shared) {
        counts = new Map([[k, mine]]);
        shared = true;
      } else if (shared && !counts.has(k)) counts.set(k, mine);
      else {
        if (shared) counts = copyCounts(counts);
        shared = false;
        for (const [v, n] of mine) bumpCount(counts, k, v, n);
      }
    }
    return { counts, shared };
  }

  /** Number of distinct terms held. */
  get groupCount(): number {
    return this.groups.size;
  }

  protected derive(n: NodeInfo): TermHeld[] | undefined {
    const labels = n.node?.metadata?.labels;
    if (!labels || n.podsWithRequiredAntiAffinity.length === 0) return undefined;
    const out: TermHeld[] = [];
    for (const p of n.podsWithRequiredAntiAffinity) {
      for (const term of p.requiredAntiAffinityTerms) {
        const value = labels[term.topologyKey];
        if (value !== undefined) out.push({ term, key: termKey(term), value });
      }
    }
    return out.length > 0 ? out : undefined;
  }

  protected apply(entries: TermHeld[], sign: 1 | -1): void {
    for (const { term, key, value } of entries) {
      let group = this.groups.get(key);
      if (!group) this.groups.set(key, (group = { term, counts: new Map(), total: 0 }));
      bumpCount(group.counts, term.topologyKey, value, sign);
      group.total += sign;
      if (group.total === 0) this.groups.delete(key);
    }
  }

  protected reset(): void {
    this.groups.clear();
  }
}

/**
 * Pods matching a predicate, counted by domain of some topology keys: for each node, the
 * number of its pods the predicate accepts is added to (key, the node's value) for every
 * key of `topologyKeys` (repeats count again, as a scan bumping once per term does).
 */
export class MatchingPodCounts extends NodeSynced<{ key: string; value: string; n: number }[]> {
  /** Read-only for callers (copy before changing it). */
  readonly counts: TopologyCounts = new Map();

  constructor(
    private readonly matches: (pod: Pod) => boolean,
    private readonly topologyKeys: readonly string[],
  ) {
    super();
  }

  protected derive(n: NodeInfo): { key: string; value: string; n: number }[] | undefined {
    const labels = n.node?.metadata?.labels;
    if (!labels) return undefined;
    let c = 0;
    for (const p of n.pods) if (this.matches(p.pod)) c++;
    if (c === 0) return undefined;
    const out: { key: string; value: string; n: number }[] = [];
    for (const key of this.topologyKeys) {
      const value = labels[key];
      if (value !== undefined) out.push({ key, value, n: c });
    }
    return out.length > 0 ? out : undefined;
  }

  protected apply(entries: { key: string; value: string; n: number }[], sign: 1 | -1): void {
    for (const e of entries) bumpCount(this.counts, e.key, e.value, sign * e.n);
  }

  protected reset(): void {
    this.counts.clear();
  }
}

/**
 * The {@link MatchingPodCounts} InterPodAffinity has used for incoming pods' required
 * terms, by the terms' keys, at most `capacity` of them (the least recently used goes
 * first). Terms with a namespaceSelector are not indexed (namespace labels change without
 * any node changing): {@link AffinityCountIndex.affinity} and `antiAffinity` return
 * undefined for them and the caller scans.
 */
export class AffinityCountIndex {
  private readonly entries = new Map<string, MatchingPodCounts>();

  constructor(private readonly capacity = 32) {}

  /** Domains of the pods matching every one of `terms` (bumped once per term's key), over `nodes`. */
  affinity(nodes: readonly NodeInfo[], terms: readonly AffinityTerm[]): TopologyCounts | undefined {
    if (terms.length === 0 || terms.some((t) => t.namespaceSelector !== undefined)) return undefined;
    const id = `all\u0003${terms.map(termKey).join('\u0003')}`;
    return this.get(id, nodes, () => new MatchingPodCounts((p) => terms.every((t) => affinityTermMatches(t, p)), terms.map((t) => t.topologyKey)));
  }

  /** Domains of the pods matching `term`, over `nodes`. */
  antiAffinity(nodes: readonly NodeInfo[], term: AffinityTerm): TopologyCounts | undefined {
    if (term.namespaceSelector !== undefined) return undefined;
    return this.get(`one\u0003${termKey(term)}`, nodes, () => new MatchingPodCounts((p) => affinityTermMatches(term, p), [term.topologyKey]));
  }

  /** Number of entries held. */
  get size(): number {
    return this.entries.size;
  }

  private get(id: string, nodes: readonly NodeInfo[], make: () => MatchingPodCounts): TopologyCounts {
    let e = this.entries.get(id);
    if (e) this.entries.delete(id);
    else {
      e = make();
      if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(id, e);
    e.sync(nodes);
    return e.counts;
  }
}

/** A deep copy. */
export function copyCounts(m: TopologyCounts): TopologyCounts {
  return new Map([...m].map(([k, vs]) => [k, new Map(vs)]));
}
