import type { SnapshotLister } from './interface';
import type { NodeInfo } from './node-info';

/**
 * The nodes as one scheduling cycle sees them: a consistent copy of the cache, refreshed
 * incrementally before each cycle (only NodeInfos whose generation moved are copied).
 */
export class Snapshot implements SnapshotLister {
  /** Node name → NodeInfo. */
  readonly nodeInfoMap = new Map<string, NodeInfo>();
  nodeInfoList: NodeInfo[] = [];
  withAffinity: NodeInfo[] = [];
  withRequiredAntiAffinity: NodeInfo[] = [];
  /** Image name → number of nodes holding it. */
  readonly imageCounts = new Map<string, number>();
  /** The cache generation this snapshot reflects. */
  generation = 0;

  /** A snapshot of fixed NodeInfos (for tests and simulations). */
  static of(nodes: readonly NodeInfo[]): Snapshot {
    const s = new Snapshot();
    for (const n of nodes) s.nodeInfoMap.set(n.name, n);
    s.rebuildLists();
    return s;
  }

  /**
   * Recomputes the lists from {@link Snapshot.nodeInfoMap}; image states too when `images`
   * (nodes were added, changed or removed). With `nodes` false the node list is kept (the
   * same NodeInfo objects, changed in place): only the (anti-)affinity lists are rebuilt,
   * and the list keeps its identity, which plugins' caches key on.
   */
  rebuildLists(images = true, nodes = true): void {
    if (nodes) this.nodeInfoList = [...this.nodeInfoMap.values()].filter((n) => n.node);
    this.withAffinity = this.nodeInfoList.filter((n) => n.podsWithAffinity.length > 0);
    this.withRequiredAntiAffinity = this.nodeInfoList.filter((n) => n.podsWithRequiredAntiAffinity.length > 0);
    if (!images) return;
    this.imageCounts.clear();
    for (const n of this.nodeInfoList) {
      const seen = new Set<string>();
      for (const img of n.node?.status?.images ?? []) for (const name of img.names ?? []) seen.add(normalizedImageName(name));
      for (const name of seen) this.imageCounts.set(name, (this.imageCounts.get(name) ?? 0) + 1);
    }
    for (const n of this.nodeInfoList) {
      n.imageStates = new Map();
      for (const img of n.node?.status?.images ?? []) {
        for (const raw of img.names ?? []) {
          const name = normalizedImageName(raw);
          n.imageStates.set(name, { size: img.sizeBytes ?? 0, numNodes: this.imageCounts.get(name) ?? 0 });
        }
      }
    }
  }

  list(): readonly NodeInfo[] {
    return this.nodeInfoList;
  }
  havePodsWithAffinity(): readonly NodeInfo[] {
    return this.withAffinity;
  }
  havePodsWithRequiredAntiAffinity(): readonly NodeInfo[] {
    return this.withRequiredAntiAffinity;
  }
  get(nodeName: string): NodeInfo | undefined {
    return this.nodeInfoMap.get(nodeName);
  }
  imageNodeCount(image: string): number {
    return this.imageCounts.get(image) ?? 0;
  }
}

/** An image name with `:latest` added when it has no tag, as upstream's ImageLocality compares names. */
export function normalizedImageName(name: string): string {
  return name.lastIndexOf(':') <= name.lastIndexOf('/') ? `${name}:latest` : name;
}
