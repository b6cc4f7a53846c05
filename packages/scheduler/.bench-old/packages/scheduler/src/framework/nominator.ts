import type { Pod } from '@bosun/api';
import { PodInfo, podKey } from './pod-info';

const NONE: readonly PodInfo[] = Object.freeze([]);

/**
 * The pods nominated to nodes by preemption (`status.nominatedNodeName`), as upstream's
 * nominator: while their victims terminate, the room they freed is held for them, so
 * pods of lower or equal priority filtered meanwhile see those nominated pods as if
 * they already ran there.
 */
export class Nominator {
  private readonly byNode = new Map<string, Map<string, PodInfo>>();
  private readonly nodeOf = new Map<string, string>();

  /** Records (or moves) the pod's nomination; an empty node name removes it. */
  add(pod: Pod, nodeName: string | undefined): void {
    this.delete(pod);
    if (!nodeName) return;
    const key = podKey(pod);
    let m = this.byNode.get(nodeName);
    if (!m) this.byNode.set(nodeName, (m = new Map()));
    m.set(key, new PodInfo(pod));
    this.nodeOf.set(key, nodeName);
  }

  /** Forgets the pod's nomination (it was bound, deleted, or its nomination cleared). */
  delete(pod: Pod): void {
    const key = podKey(pod);
    const node = this.nodeOf.get(key);
    if (node === undefined) return;
    this.nodeOf.delete(key);
    const m = this.byNode.get(node);
    m?.delete(key);
    if (m?.size === 0) this.byNode.delete(node);
  }

  /** The node a pod is nominated to. */
  nominatedNodeOf(pod: Pod): string | undefined {
    return this.nodeOf.get(podKey(pod));
  }

  /** The pods nominated to a node (a shared empty array when none: Filter asks for every node of every cycle). */
  nominatedPodsForNode(nodeName: string): readonly PodInfo[] {
    if (this.byNode.size === 0) return NONE;
    const m = this.byNode.get(nodeName);
    return m ? [...m.values()] : NONE;
  }
}
