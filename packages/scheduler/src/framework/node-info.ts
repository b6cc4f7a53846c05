import type { Node, Pod, core } from '@bosun/api';
import { PodInfo, podKey } from './pod-info';
import { Resource } from './resource';

/** A host port in use: protocol and port on one IP (`0.0.0.0` means every IP). */
export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

const WILDCARD_IP = '0.0.0.0';
// Shared empties: the getters run for every node of every cycle.
const NO_TAINTS: readonly core.Taint[] = Object.freeze([]);
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The host ports used on a node, keyed by IP, as upstream's `HostPortInfo`: a port on
 * `0.0.0.0` conflicts with the same protocol and port on any IP.
 */
export class HostPortInfo {
  private readonly byIp = new Map<string, Map<string, number>>();

  private static k(protocol: string, port: number): string {
    return `${protocol}/${port}`;
  }
  /** Records one use of a port (uses are counted, so two pods may hold the same one after a race). */
  add(p: HostPort): void {
    const ip = p.ip || WILDCARD_IP;
    let m = this.byIp.get(ip);
    if (!m) this.byIp.set(ip, (m = new Map()));
    const key = HostPortInfo.k(p.protocol || 'TCP', p.port);
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  /** Releases one use of a port. */
  remove(p: HostPort): void {
    const ip = p.ip || WILDCARD_IP;
    const m = this.byIp.get(ip);
    if (!m) return;
    const key = HostPortInfo.k(p.protocol || 'TCP', p.port);
    const n = (m.get(key) ?? 0) - 1;
    if (n > 0) m.set(key, n);
    else m.delete(key);
    if (m.size === 0) this.byIp.delete(ip);
  }
  /** Whether `p` conflicts with a port in use. */
  checkConflict(p: HostPort): boolean {
    if (p.port <= 0) return false;
    const ip = p.ip || WILDCARD_IP;
    const key = HostPortInfo.k(p.protocol || 'TCP', p.port);
    if (ip === WILDCARD_IP) {
      for (const m of this.byIp.values()) if (m.has(key)) return true;
      return false;
    }
    return !!(this.byIp.get(ip)?.has(key) || this.byIp.get(WILDCARD_IP)?.has(key));
  }
  /** Number of distinct (ip, protocol, port) entries. */
  get size(): number {
    let n = 0;
    for (const m of this.byIp.values()) n += m.size;
    return n;
  }
  clone(): HostPortInfo {
    const c = new HostPortInfo();
    for (const [ip, m] of this.byIp) c.byIp.set(ip, new Map(m));
    return c;
  }
}

/** The host ports a pod asks for (containers and init containers, hostPort > 0). */
export function podHostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  const spec = pod.spec;
  if (!spec) return out;
  for (const cs of [spec.containers ?? [], spec.initContainers ?? []]) {
    for (const c of cs) {
      for (const p of c.ports ?? []) {
        if (p.hostPort && p.hostPort > 0) out.push({ ip: p.hostIP || WILDCARD_IP, protocol: p.protocol || 'TCP', port: p.hostPort });
      }
    }
  }
  return out;
}

/** How widely an image is spread: its size and on how many nodes it sits. */
export interface ImageStateSummary {
  size: number;
  numNodes: number;
}

/**
 * Everything the scheduler knows about one node: the Node, the pods on it (bound or
 * assumed), their summed requests (real and non-zero), what is allocatable, host ports
 * in use, image states, and the pods with (anti-)affinity. Plugins read it and never
 * change it; the cache and preemption's simulation change it through
 * {@link NodeInfo.addPod} and {@link NodeInfo.removePod}.
 */
export class NodeInfo {
  // The Node, and what Filter and Score read from it for every node of every cycle, kept
  // here: one object to load instead of a walk through the frozen Node's nested objects.
  private nodeObject: Node | undefined = undefined;
  private cachedName = '';
  private cachedTaints: readonly core.Taint[] = NO_TAINTS;
  private cachedLabels: Readonly<Record<string, string>> = NO_LABELS;
  private cachedUnschedulable = false;
  pods: PodInfo[] = [];
  podsWithAffinity: PodInfo[] = [];
  podsWithRequiredAntiAffinity: PodInfo[] = [];
  usedPorts = new HostPortInfo();
  requested = new Resource();
  nonZeroRequested = new Resource();
  allocatable = new Resource();
  /** Image name → state, for the images on this node (set by the cache). */
  imageStates = new Map<string, ImageStateSummary>();
  /** Bumped on every change; snapshots copy a NodeInfo only when it moved. */
  generation = 0;

  constructor(node?: Node, ...pods: (Pod | PodInfo)[]) {
    if (node) this.setNode(node);
    for (const p of pods) this.addPod(p);
  }

  /** The Node (undefined before it is known, or after it was deleted while pods remain). */
  get node(): Node | undefined {
    return this.nodeObject;
  }
  set node(node: Node | undefined) {
    this.nodeObject = node;
    this.cachedName = node?.metadata?.name ?? '';
    this.cachedTaints = node?.spec?.taints ?? NO_TAINTS;
    this.cachedLabels = node?.metadata?.labels ?? NO_LABELS;
    this.cachedUnschedulable = node?.spec?.unschedulable === true;
  }
  /** The node's name ('' before the Node is known). */
  get name(): string {
    return this.cachedName;
  }
  /** The node's taints. */
  get taints(): readonly core.Taint[] {
    return this.cachedTaints;
  }
  /** The node's labels. */
  get labels(): Readonly<Record<string, string>> {
    return this.cachedLabels;
  }
  /** The node's `spec.unschedulable`. */
  get unschedulable(): boolean {
    return this.cachedUnschedulable;
  }

  /** Sets or replaces the Node; allocatable comes from `status.allocatable`, or `status.capacity` when absent. */
  setNode(node: Node): void {
    this.node = node;
    this.allocatable = Resource.fromList(node.status?.allocatable ?? node.status?.capacity);
    this.generation = nextGeneration();
  }

  /** Counts a pod against this node. */
  addPod(p: Pod | PodInfo): void {
    const info = p instanceof PodInfo ? p : new PodInfo(p);
    this.pods.push(info);
    if (info.hasAffinity()) this.podsWithAffinity.push(info);
    if (info.hasRequiredAntiAffinity()) this.podsWithRequiredAntiAffinity.push(info);
    this.requested.add(info.requests);
    this.nonZeroRequested.add(info.nonZeroRequests);
    for (const hp of podHostPorts(info.pod)) this.usedPorts.add(hp);
    this.generation = nextGeneration();
  }

  /** Stops counting a pod (matched by uid); false when it was not here. */
  removePod(pod: Pod): boolean {
    const key = podKey(pod);
    const i = this.pods.findIndex((x) => podKey(x.pod) === key);
    if (i < 0) return false;
    const info = this.pods[i];
    this.pods.splice(i, 1);
    const drop = (arr: PodInfo[]) => {
      const j = arr.indexOf(info);
      if (j >= 0) arr.splice(j, 1);
    };
    drop(this.podsWithAffinity);
    drop(this.podsWithRequiredAntiAffinity);
    this.requested.sub(info.requests);
    this.nonZeroRequested.sub(info.nonZeroRequests);
    for (const hp of podHostPorts(info.pod)) this.usedPorts.remove(hp);
    this.generation = nextGeneration();
    return true;
  }

  /** A copy that can be changed without touching this one (pods' PodInfos are shared: they are immutable). */
  clone(): NodeInfo {
    const c = new NodeInfo();
    c.node = this.node;
    c.pods = [...this.pods];
    c.podsWithAffinity = [...this.podsWithAffinity];
    c.podsWithRequiredAntiAffinity = [...this.podsWithRequiredAntiAffinity];
    c.usedPorts = this.usedPorts.clone();
    c.requested = this.requested.clone();
    c.nonZeroRequested = this.nonZeroRequested.clone();
    c.allocatable = this.allocatable.clone();
    c.imageStates = new Map(this.imageStates);
    c.generation = this.generation;
    return c;
  }
}

let generation = 0;
/** A process-wide increasing counter, as upstream's nextGeneration. */
export function nextGeneration(): number {
  return ++generation;
}
