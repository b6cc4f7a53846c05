import type { Node, Pod } from '@bosun/api';
import { NodeInfo } from '../framework/node-info';
import { PodInfo, podKey } from '../framework/pod-info';
import type { Snapshot } from '../framework/snapshot';

interface PodState {
  pod: Pod;
  nodeName: string;
  assumed: boolean;
}

/**
 * The scheduler's view of where pods run, kept current incrementally from the pod and
 * node informers, plus the pods the scheduler has assumed onto nodes while binding them.
 * An assumed pod counts against its node at once, so the next cycle does not place a
 * second pod into the same room; it is forgotten when binding fails and confirmed when
 * the informer sees it bound.
 */
export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly pods = new Map<string, PodState>();
  /** Nodes changed since {@link SchedulerCache.updateSnapshot} last brought `synced` up to date. */
  private readonly dirty = new Set<string>();
  private synced: Snapshot | undefined;

  private nodeInfo(name: string): NodeInfo {
    this.dirty.add(name);
    let n = this.nodes.get(name);
    if (!n) this.nodes.set(name, (n = new NodeInfo()));
    return n;
  }

  private removeFromNode(pod: Pod, nodeName: string): void {
    this.dirty.add(nodeName);
    const n = this.nodes.get(nodeName);
    if (!n) return;
    n.removePod(pod);
    if (!n.node && n.pods.length === 0) this.nodes.delete(nodeName);
  }

  /**
   * Counts `pod` (with `spec.nodeName` set to its chosen node) against that node before
   * it is bound. Throws when the pod is already in the cache (assumed or bound): the
   * scheduler never assumes a pod twice.
   */
  assumePod(pod: Pod): void {
    const key = podKey(pod);
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) throw new Error(`assumePod: pod ${key} has no spec.nodeName`);
    if (this.pods.has(key)) throw new Error(`pod ${key} is in the cache, so can't be assumed`);
    this.nodeInfo(nodeName).addPod(new PodInfo(pod));
    this.pods.set(key, { pod, nodeName, assumed: true });
  }

  /** Undoes {@link SchedulerCache.assumePod} after a failed binding. Ignores pods that are not assumed. */
  forgetPod(pod: Pod): void {
    const key = podKey(pod);
    const st = this.pods.get(key);
    if (!st?.assumed) return;
    this.removeFromNode(st.pod, st.nodeName);
    this.pods.delete(key);
  }

  /** True while the pod is assumed and not yet confirmed by the informer. */
  isAssumedPod(pod: Pod): boolean {
    return this.pods.get(podKey(pod))?.assumed === true;
  }

  /** The cached state of a pod (bound or assumed). */
  getPod(pod: Pod): Pod | undefined {
    return this.pods.get(podKey(pod))?.pod;
  }

  /** The informer saw a bound pod: confirms an assumed pod (moving it if it landed elsewhere) or adds it. */
  addPod(pod: Pod): void {
    const key = podKey(pod);
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const st = this.pods.get(key);
    if (st) {
      this.removeFromNode(st.pod, st.nodeName);
    }
    this.nodeInfo(nodeName).addPod(new PodInfo(pod));
    this.pods.set(key, { pod, nodeName, assumed: false });
  }

  /** A bound pod changed (labels, requests after resize, …). */
  updatePod(_old: Pod, pod: Pod): void {
    this.addPod(pod);
  }

  /** A bound pod went away (deleted, or finished). */
  removePod(pod: Pod): void {
    const key = podKey(pod);
    const st = this.pods.get(key);
    if (!st) return;
    this.removeFromNode(st.pod, st.nodeName);
    this.pods.delete(key);
  }

  addNode(node: Node): void {
    this.nodeInfo(node.metadata?.name ?? '').setNode(node);
  }
  updateNode(_old: Node, node: Node): void {
    this.addNode(node);
  }
  /** Drops the Node; its NodeInfo lingers (without a node, so never a candidate) while pods remain on it. */
  removeNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    this.dirty.add(name);
    const n = this.nodes.get(name);
    if (!n) return;
    if (n.pods.length === 0) this.nodes.delete(name);
    else {
      n.node = undefined;
      n.generation++;
    }
  }

  /** Number of nodes known (with a Node object). */
  nodeCount(): number {
    let c = 0;
    for (const n of this.nodes.values()) if (n.node) c++;
    return c;
  }
  /** Number of pods known (bound and assumed). */
  podCount(): number {
    return this.pods.size;
  }
  /** The live NodeInfo of a node (do not change it): for tests and debugging. */
  dumpNode(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  /**
   * Brings `snapshot` up to date: NodeInfos whose generation moved are copied, nodes that
   * went away are dropped, and the lists (and image states, when nodes changed) rebuilt.
   * For the snapshot it updated last, only the nodes changed since are visited, and a
   * node whose pods changed is updated in place, so the lists are rebuilt only when nodes
   * come or go, or a node starts or stops holding pods with (anti-)affinity (as upstream's
   * UpdateSnapshot: before, every cycle visited every node and rebuilt every list, 44% of
   * the CPU of scheduling at 5000 nodes).
   */
  updateSnapshot(snapshot: Snapshot): void {
    if (snapshot === this.synced) return this.updateSnapshotIncrementally(snapshot);
    this.synced = snapshot;
    this.dirty.clear();
    let changed = false;
    let nodesChanged = false;
    for (const [name, n] of this.nodes) {
      const prev = snapshot.nodeInfoMap.get(name);
      if (!n.node) {
        if (prev) {
          snapshot.nodeInfoMap.delete(name);
          changed = nodesChanged = true;
        }
        continue;
      }
      if (prev && prev.generation === n.generation) continue;
      const copy = n.clone();
      if (prev && prev.node === n.node) copy.imageStates = prev.imageStates;
      else nodesChanged = true;
      snapshot.nodeInfoMap.set(name, copy);
      changed = true;
    }
    if (snapshot.nodeInfoMap.size !== this.nodeCount()) {
      for (const name of [...snapshot.nodeInfoMap.keys()]) {
        if (!this.nodes.get(name)?.node) {
          snapshot.nodeInfoMap.delete(name);
          changed = nodesChanged = true;
        }
      }
    }
    if (changed) snapshot.rebuildLists(nodesChanged);
  }

  private updateSnapshotIncrementally(snapshot: Snapshot): void {
    let listsChanged = false;
    let nodesChanged = false;
    for (const name of this.dirty) {
      const n = this.nodes.get(name);
      const prev = snapshot.nodeInfoMap.get(name);
      if (!n?.node) {
        if (prev) {
          snapshot.nodeInfoMap.delete(name);
          listsChanged = nodesChanged = true;
        }
        continue;
      }
      if (prev && prev.generation === n.generation) continue;
      const copy = n.clone();
      if (prev && prev.node === n.node) {
        copy.imageStates = prev.imageStates;
        const hadAffinity = prev.podsWithAffinity.length > 0;
        const hadAnti = prev.podsWithRequiredAntiAffinity.length > 0;
        // In place: the snapshot's lists hold this object.
        Object.assign(prev, copy);
        if (hadAffinity !== prev.podsWithAffinity.length > 0 || hadAnti !== prev.podsWithRequiredAntiAffinity.length > 0) listsChanged = true;
      } else {
        snapshot.nodeInfoMap.set(name, copy);
        listsChanged = nodesChanged = true;
      }
    }
    this.dirty.clear();
    if (listsChanged) snapshot.rebuildLists(nodesChanged, nodesChanged);
  }
}
