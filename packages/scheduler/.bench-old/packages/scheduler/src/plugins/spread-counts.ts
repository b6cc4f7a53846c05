import { nothingSelector, type Selector } from '@bosun/api';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';
import { isTerminating } from './helpers';

/** Pods on the node in `namespace` whose labels match, terminating pods excluded. */
export function countPodsMatchSelector(pods: readonly PodInfo[], selector: Selector, namespace: string): number {
  if (selector === nothingSelector) return 0;
  let n = 0;
  for (let i = 0; i < pods.length; i++) {
    const pod = pods[i].pod;
    if (isTerminating(pod) || (pod.metadata?.namespace ?? 'default') !== namespace) continue;
    if (selector.matches(pod.metadata?.labels)) n++;
  }
  return n;
}

/** What one (namespace, selector, topology key, required keys) is counted over. */
export interface SpreadCountKey {
  readonly namespace: string;
  readonly selector: Selector;
  readonly topologyKey: string;
  /** Nodes lacking any of these labels are left out (every constraint key of the pod). */
  readonly requiredKeys: readonly string[];
}

/**
 * The matching pods per topology domain for one {@link SpreadCountKey}, over every node
 * (with a Node) that has all the required keys: domains of such nodes appear even with 0
 * pods. Kept current across scheduling cycles by {@link DomainCounts.sync}: a node is
 * recounted only when its NodeInfo object or its generation changed since the last sync
 * (every change of a NodeInfo's node or pods bumps its generation), so a cycle costs one
 * pass of integer compares over the node list instead of a selector match per pod.
 */
export class DomainCounts {
  /** Domain → matching pods. Read-only for callers (copy before changing it). */
  readonly counts = new Map<string, number>();
  /** Domain → counted nodes in it; a domain is dropped when its last node goes. */
  private readonly nodesIn = new Map<string, number>();
  private list: readonly NodeInfo[] | undefined;
  private refs: (NodeInfo | undefined)[] = [];
  private gens: number[] = [];
  /** The domain node i was counted in; undefined when it was left out. */
  private values: (string | undefined)[] = [];
  private podCounts: number[] = [];
  private minCache: number | undefined;

  constructor(readonly key: SpreadCountKey) {}

  /** Brings the counts up to date with `nodes` (the snapshot's node list). */
  sync(nodes: readonly NodeInfo[]): void {
    if (nodes !== this.list || nodes.length !== this.refs.length) return this.relist(nodes);
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      if (this.refs[i] === n && this.gens[i] === n.generation) continue;
      this.retract(i);
      this.contribute(i, n);
    }
  }

  /** The smallest count among the domains (Number.MAX_SAFE_INTEGER when there are none). */
  get min(): number {
    if (this.minCache === undefined) {
      let min = Number.MAX_SAFE_INTEGER;
      for (const v of this.counts.values()) if (v < min) min = v;
      this.minCache = min;
    }
    return this.minCache;
  }

  /**
   * A new node list (nodes came or went, or the snapshot was replaced): nodes whose
   * NodeInfo and generation are unchanged keep their count, found by name; the others are
   * recounted; the domain totals are summed again.
   */
  private relist(nodes: readonly NodeInfo[]): void {
    const old = new Map<string, number>();
    for (let i = 0; i < this.refs.length; i++) {
      const r = this.refs[i];
      if (r) old.set(r.name, i);
    }
    const refs = new Array<NodeInfo | undefined>(nodes.length);
    const gens = new Array<number>(nodes.length);
    const values = new Array<string | undefined>(nodes.length);
    const podCounts = new Array<number>(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      const j = old.get(n.name);
      refs[i] = n;
      gens[i] = n.generation;
      if (j !== undefined && this.refs[j] === n && this.gens[j] === n.generation) {
        values[i] = this.values[j];
        podCounts[i] = this.podCounts[j];
      } else {
        values[i] = this.domainOf(n);
        podCounts[i] = values[i] === undefined ? 0 : countPodsMatchSelector(n.pods, this.key.selector, this.key.namespace);
      }
    }
    this.list = nodes;
    this.refs = refs;
    this.gens = gens;
    this.values = values;
    this.podCounts = podCounts;
    this.counts.clear();
    this.nodesIn.clear();
    for (let i = 0; i < nodes.length; i++) this.add(values[i], podCounts[i]);
    this.minCache = undefined;
  }

  private domainOf(n: NodeInfo): string | undefined {
    const labels = n.node?.metadata?.labels;
    if (!labels) return undefined;
    for (const k of this.key.requiredKeys) if (!(k in labels)) return undefined;
    return labels[this.key.topologyKey];
  }

  private retract(i: number): void {
    const v = this.values[i];
    if (v === undefined) return;
    const left = this.nodesIn.get(v)! - 1;
    if (left === 0) {
      this.nodesIn.delete(v);
      this.counts.delete(v);
    } else {
      this.nodesIn.set(v, left);
      this.counts.set(v, this.counts.get(v)! - this.podCounts[i]);
    }
    this.minCache = undefined;
  }

  private contribute(i: number, n: NodeInfo): void {
    const v = this.domainOf(n);
    const c = v === undefined ? 0 : countPodsMatchSelector(n.pods, this.key.selector, this.key.namespace);
    this.refs[i] = n;
    this.gens[i] = n.generation;
    this.values[i] = v;
    this.podCounts[i] = c;
    this.add(v, c);
  }

  private add(v: string | undefined, c: number): void {
    if (v === undefined) return;
    this.nodesIn.set(v, (this.nodesIn.get(v) ?? 0) + 1);
    this.counts.set(v, (this.counts.get(v) ?? 0) + c);
    this.minCache = undefined;
  }
}

/**
 * The {@link DomainCounts} PodTopologySpread has used, by key, at most `capacity` of them
 * (the least recently used goes first). Each holds a few numbers per node.
 */
export class SpreadCountIndex {
  private readonly entries = new Map<string, DomainCounts>();

  constructor(private readonly capacity = 32) {}

  /** The counts for `key` over `nodes`, brought up to date. Do not change the returned object's maps. */
  counts(nodes: readonly NodeInfo[], key: SpreadCountKey): DomainCounts {
    const id = indexKey(key);
    let e = this.entries.get(id);
    if (e) this.entries.delete(id);
    else {
      e = new DomainCounts(key);
      if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(id, e);
    e.sync(nodes);
    return e;
  }

  /** Number of keys held. */
  get size(): number {
    return this.entries.size;
  }
}

function indexKey(k: SpreadCountKey): string {
  // nothingSelector and everythingSelector share the string form '': tell them apart.
  const sel = k.selector === nothingSelector ? '\u0000nothing' : k.selector.toString();
  return `${k.namespace}\u0001${sel}\u0001${k.topologyKey}\u0001${k.requiredKeys.join('\u0002')}`;
}
