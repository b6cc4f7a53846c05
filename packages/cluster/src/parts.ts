// The per-node parts a cluster composes (runtime, network, storage, agent) and the
// factories that make them: what a host rebinds to swap a part.
import type { Clock, Scheme } from '@bosun/api';
import type { ApiServer, Client, Logger } from '@bosun/apiserver';
import type { CniClient, CniPlugin } from '@bosun/cni';
import type { Manager } from '@bosun/controller-runtime';
import type { MetricsProvider } from '@bosun/controllers';
import type { CriClient } from '@bosun/cri';
import type { CsiClient, CsiPluginImpl } from '@bosun/csi';
import type { NodeAgent } from '@bosun/node-agent';
import type { NodeAgentTuning, NodeSpec, PluginTransport } from './options';

/** What every per-node factory is told about the node it builds for. */
export interface NodeContext {
  spec: NodeSpec;
  /** 1-based position; the node's pod CIDR is `10.244.<index>.0/24`. */
  index: number;
  /** `spec.podCIDR` of the Node. */
  podCIDR: string;
  /** This node's private directory under the cluster's root dir (state, logs, sockets, volumes). */
  dir: string;
  clock: Clock;
  logger: Logger;
  transport: PluginTransport;
}

/** A node's network plugin (CNI contract). */
export interface NodeNetwork {
  /** The plugin itself, when it runs in this process. */
  readonly plugin?: CniPlugin;
  /** How runtimes reach it (in-process channel or a unix socket client). */
  readonly client: CniClient;
  /** Set when served on a socket: `unix:///…`. */
  readonly endpoint?: string;
  /** Closes clients and servers; releases nothing the runtime still holds. Idempotent. */
  close(): Promise<void>;
}

/** A node's container runtime (CRI contract). */
export interface NodeRuntime {
  /** Runtime name for humans (`fake`, `process`, the endpoint). */
  readonly kind: string;
  /** The CRI client the node agent drives. */
  readonly cri: CriClient;
  /** The runtime implementation, when it runs in this process (e.g. the FakeRuntime, for tests). */
  readonly impl?: unknown;
  /** Set when served on a socket or given as one: `unix:///…`. */
  readonly endpoint?: string;
  /**
   * Stops the runtime: for runtimes the cluster created, every container and sandbox is
   * stopped and removed first (no process survives the cluster). Idempotent.
   */
  close(): Promise<void>;
}

/** A node's CSI driver. */
export interface NodeStorage {
  /** The CSI plugin name (`hostpath.csi.bosun.dev`): StorageClass `provisioner` and PV `csi.driver`. */
  readonly driverName: string;
  /** The driver itself, when it runs in this process. */
  readonly driver?: CsiPluginImpl;
  /** How the node agent and the provisioner reach it. */
  readonly client: CsiClient;
  readonly endpoint?: string;
  /** Unpublishes what the driver published (bind mounts), closes clients and servers. Idempotent. */
  close(): Promise<void>;
}

/** Makes a node's network plugin. */
export type NetworkFactory = (ctx: NodeContext) => Promise<NodeNetwork>;
/** Makes a node's runtime, wired to the node's network plugin. */
export type RuntimeFactory = (ctx: NodeContext, network: NodeNetwork) => Promise<NodeRuntime>;
/** Makes a node's CSI driver; resolves undefined for a node without one. */
export type StorageFactory = (ctx: NodeContext) => Promise<NodeStorage | undefined>;

/** Everything a node agent factory gets. */
export interface NodeAgentParts {
  ctx: NodeContext;
  client: Client;
  runtime: NodeRuntime;
  storage?: NodeStorage;
  agentOptions: NodeAgentTuning;
}
/** Makes (does not start) a node's agent. */
export type NodeAgentFactory = (parts: NodeAgentParts) => NodeAgent;

/** A running node of the cluster. */
export interface ClusterNode {
  readonly name: string;
  readonly index: number;
  readonly podCIDR: string;
  readonly dir: string;
  readonly network: NodeNetwork;
  readonly runtime: NodeRuntime;
  readonly storage?: NodeStorage;
  readonly agent: NodeAgent;
}

/** What a controller installer may read besides the manager. */
export interface InstallContext {
  server: ApiServer;
  scheme: Scheme;
  /** Pod usage from the node agents (the HPA reads it). */
  metrics: MetricsProvider;
  /** The node's CSI drivers by node, for the provisioner and attach logic. */
  nodes: NodeRegistry;
  logger: Logger;
}

/**
 * Adds controllers to the manager before it starts; bind more of them (a
 * multi-binding of `TOKENS.ControllerInstaller`) to add your own.
 */
export type ControllerInstaller = (manager: Manager, ctx: InstallContext) => void;

/** The cluster's live nodes, by name. */
export class NodeRegistry {
  private readonly nodes = new Map<string, ClusterNode>();
  private readonly reserved = new Set<number>();
  /** The node, or undefined. */
  get(name: string): ClusterNode | undefined {
    return this.nodes.get(name);
  }
  /** Every node, in the order added. */
  list(): ClusterNode[] {
    return [...this.nodes.values()];
  }
  /**
   * CSI driver name → `{ nodes: node name → that node's driver client }`, kept current as
   * nodes come and go: the shape of the CSI provisioner's node-local driver registrations
   * (it reads them on every reconcile).
   */
  readonly csiDrivers: Record<string, { nodes: Record<string, CsiClient> }> = {};
  /** Records a started node. */
  add(node: ClusterNode): void {
    this.nodes.set(node.name, node);
    if (node.storage) (this.csiDrivers[node.storage.driverName] ??= { nodes: {} }).nodes[node.name] = node.storage.client;
  }
  /** Forgets a node. */
  delete(name: string): void {
    const node = this.nodes.get(name);
    if (node?.storage) delete this.csiDrivers[node.storage.driverName]?.nodes[name];
    this.nodes.delete(name);
  }
  /** Reserves the lowest node index (1…255) not in use; 0 when all are taken. */
  reserveIndex(): number {
    for (let i = 1; i <= 255; i++) {
      if (this.reserved.has(i)) continue;
      this.reserved.add(i);
      return i;
    }
    return 0;
  }
  /** Frees an index reserved by {@link NodeRegistry.reserveIndex}. */
  releaseIndex(index: number): void {
    this.reserved.delete(index);
  }
}
