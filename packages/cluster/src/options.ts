import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RealClock, type Clock, type core } from '@bosun/api';
import type { Logger } from '@bosun/apiserver';
import type { NodeAgentOptions } from '@bosun/node-agent';
import type { ProfileConfig, Registry } from '@bosun/scheduler';
import type { ContainerModule } from 'inversify';
import { ClusterError } from './errors';

/** One node of the cluster. */
export interface NodeSpec {
  /** The Node's name (a DNS subdomain); unique in the cluster. */
  name: string;
  /** Extra labels (merged over `kubernetes.io/hostname` and the other well-known ones). */
  labels?: Record<string, string>;
  taints?: core.Taint[];
  /** Capacity (and allocatable): `{ cpu: '4', memory: '8Gi', pods: '110' }`. Default the node agent's. */
  capacity?: Partial<Record<'cpu' | 'memory' | 'pods' | 'ephemeral-storage', string>>;
}

/**
 * The container runtime every node runs:
 * - `'fake'`: `@bosun/runtime-fake`, simulated containers (tests, scale, no privileges);
 * - `'process'`: `@bosun/runtime-process`, containers are host processes (the embedded default);
 * - `'docker'` / `{ docker: { socketPath | dockerHost, sandboxImage } }`: `@bosun/runtime-docker`
 *   against one Docker daemon (default `DOCKER_HOST`), pods networked by the real CNI
 *   bridge + host-local plugins over each node's pod CIDR;
 * - `{ criEndpoint }`: node agents drive an existing CRI runtime at that socket (containerd,
 *   or any Bosun runtime served with `serveCri`). One endpoint serves one node; give a list for several.
 */
export type RuntimeChoice = 'fake' | 'process' | 'docker' | { docker: DockerChoice } | { criEndpoint: string | readonly string[] };

/**
 * The Docker daemon `'docker'` nodes run on (all nodes share it; each node's objects are
 * labelled with the node). The daemon is, in order: `socketPath`, `dockerHost`
 * (`unix:///…`, `tcp://host:port`), the `DOCKER_HOST` environment variable, then
 * `/var/run/docker.sock`.
 */
export interface DockerChoice {
  socketPath?: string;
  dockerHost?: string;
  /** The pod sandbox image; it must already be on the daemon (never pulled). Default `busybox:latest`. */
  sandboxImage?: string;
}

/** Where objects live. Only `'memory'` is built; the others are refused with a `NotBuilt` error. */
export type StoreChoice = 'memory' | { sqlite: string } | { etcd: { endpoints: string[] } };

/**
 * How the node agents reach their plugins (runtime, network, CSI driver):
 * `'in-process'` calls them through the protobuf codec without sockets; `'unix-sockets'`
 * serves each on a 0600 unix socket under the node's directory and connects gRPC clients,
 * as separate processes would be reached.
 */
export type PluginTransport = 'in-process' | 'unix-sockets';

/** The node agents' periods a cluster may tune (see `NodeAgentOptions`). */
export type NodeAgentTuning = Pick<NodeAgentOptions, 'relistIntervalMs' | 'heartbeatIntervalMs' | 'nodeStatusIntervalMs' | 'syncFrequencyMs'>;

/** Options of {@link createCluster}. */
export interface ClusterOptions {
  /** A node count (named `node-1`…`node-N`) or node specs. Default 1. `0` is allowed (add nodes later). */
  nodes?: number | readonly NodeSpec[];
  /** Default `'process'`. */
  runtime?: RuntimeChoice;
  /**
   * The pod network, a /16 (kube-controller-manager's `--cluster-cidr`): node i gets the
   * /24 with third octet i as its `spec.podCIDR`. Default `10.244.0.0/16`. Clusters that
   * run side by side on the process runtime need different ones (each node's bridge routes
   * its /24 on the host).
   */
  clusterCIDR?: string;
  /** Default `'memory'`. */
  store?: StoreChoice;
  /**
   * Every component's clock. Default a RealClock. With a FakeClock, CronJob schedules,
   * back-offs, probes, heartbeats and grace periods move only on `await clock.advance(ms)`.
   */
  clock?: Clock;
  /** Holds each node's runtime state, logs, IPAM reservations and volumes. Default a fresh temp dir, removed by `stop()`. */
  rootDir?: string;
  /** Scheduler profiles (plugins enabled, disabled, weighted) and out-of-tree plugins. */
  scheduler?: { profiles?: ProfileConfig[]; registry?: Registry };
  /** Default: transport `'in-process'`. */
  plugins?: { transport?: PluginTransport };
  /** Node agent timing (smaller values make tests on a real clock converge faster). */
  nodeAgent?: NodeAgentTuning;
  /** Where components log warnings and errors. Default `console`. */
  logger?: Logger;
  /**
   * Extra inversify modules loaded after the built-in ones: rebind a token of {@link TOKENS}
   * (e.g. `rebind(TOKENS.RuntimeFactory)`) to swap a part, or bind more
   * `TOKENS.ControllerInstaller`s to add controllers.
   */
  modules?: readonly ContainerModule[];
}

/** {@link ClusterOptions} checked and filled in. */
export interface ResolvedClusterOptions {
  nodes: NodeSpec[];
  /** `'docker'` is resolved to `{ docker: {} }`. */
  runtime: Exclude<RuntimeChoice, 'docker'>;
  /** The first two octets of the /16 pod network: `10.244`. */
  podNetworkPrefix: string;
  clock: Clock;
  rootDir: string;
  /** True when the cluster made `rootDir` (then `stop()` removes it whole). */
  ownsRootDir: boolean;
  scheduler: { profiles?: ProfileConfig[]; registry?: Registry };
  transport: PluginTransport;
  nodeAgent: NodeAgentTuning;
  logger: Logger;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Pod CIDRs are `<cluster /16>.<i>.0/24`, so at most 255 nodes (index 1…255). */
export const MAX_NODES = 255;

const consoleLogger: Logger = { warn: (m, ...a) => console.warn(m, ...a), error: (m, ...a) => console.error(m, ...a) };

/** Throws `InvalidOptions` unless `spec` is a usable node spec. */
export function checkNodeSpec(spec: NodeSpec, where: string): NodeSpec {
  if (!spec || typeof spec !== 'object') throw new ClusterError('InvalidOptions', `${where}: a node spec must be an object with a name`);
  if (typeof spec.name !== 'string' || spec.name.length > 253 || !DNS_SUBDOMAIN.test(spec.name))
    throw new ClusterError('InvalidOptions', `${where}.name: Invalid value: ${JSON.stringify(spec.name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`);
  return spec;
}

function resolveNodes(nodes: ClusterOptions['nodes']): NodeSpec[] {
  if (nodes === undefined) return [{ name: 'node-1' }];
  if (typeof nodes === 'number') {
    if (!Number.isInteger(nodes) || nodes < 0 || nodes > MAX_NODES) throw new ClusterError('InvalidOptions', `nodes: Invalid value: ${nodes}: must be an integer from 0 to ${MAX_NODES}`);
    return Array.from({ length: nodes }, (_, i) => ({ name: `node-${i + 1}` }));
  }
  if (!Array.isArray(nodes)) throw new ClusterError('InvalidOptions', 'nodes: must be a count or a list of node specs');
  if (nodes.length > MAX_NODES) throw new ClusterError('InvalidOptions', `nodes: at most ${MAX_NODES} nodes`);
  const seen = new Set<string>();
  return nodes.map((n, i) => {
    checkNodeSpec(n, `nodes[${i}]`);
    if (seen.has(n.name)) throw new ClusterError('InvalidOptions', `nodes[${i}].name: Duplicate value: ${JSON.stringify(n.name)}`);
    seen.add(n.name);
    return n;
  });
}

function resolveRuntime(runtime: ClusterOptions['runtime'], nodeCount: number): Exclude<RuntimeChoice, 'docker'> {
  if (runtime === undefined) return 'process';
  if (runtime === 'fake' || runtime === 'process') return runtime;
  if (runtime === 'docker') return { docker: {} };
  if (runtime && typeof runtime === 'object' && 'docker' in runtime) return { docker: checkDocker(runtime.docker) };
  if (runtime && typeof runtime === 'object' && 'criEndpoint' in runtime) {
    const eps = typeof runtime.criEndpoint === 'string' ? [runtime.criEndpoint] : runtime.criEndpoint;
    if (!Array.isArray(eps) || eps.length === 0 || eps.some((e) => typeof e !== 'string' || !e))
      throw new ClusterError('InvalidOptions', 'runtime.criEndpoint: must be a non-empty endpoint string or list of them');
    if (eps.length < nodeCount)
      throw new ClusterError('InvalidOptions', `runtime.criEndpoint: ${nodeCount} nodes need ${nodeCount} CRI endpoints (one runtime per node), got ${eps.length}`);
    return { criEndpoint: eps };
  }
  throw new ClusterError('InvalidOptions', `runtime: Unsupported value: ${JSON.stringify(runtime)}: supported values: "fake", "process", "docker", { docker }, { criEndpoint }`);
}

function checkDocker(docker: DockerChoice): DockerChoice {
  if (!docker || typeof docker !== 'object' || Array.isArray(docker)) throw new ClusterError('InvalidOptions', 'runtime.docker: must be an object like { socketPath: "/var/run/docker.sock" }');
  for (const key of Object.keys(docker)) {
    if (!['socketPath', 'dockerHost', 'sandboxImage'].includes(key)) throw new ClusterError('InvalidOptions', `runtime.docker.${key}: Unsupported field: supported fields: socketPath, dockerHost, sandboxImage`);
    const v = (docker as Record<string, unknown>)[key];
    if (v !== undefined && (typeof v !== 'string' || v === '')) throw new ClusterError('InvalidOptions', `runtime.docker.${key}: Invalid value: ${JSON.stringify(v)}: must be a non-empty string`);
  }
  if (docker.dockerHost !== undefined && !/^(unix|tcp|http|https):\/\/./.test(docker.dockerHost))
    throw new ClusterError('InvalidOptions', `runtime.docker.dockerHost: Invalid value: ${JSON.stringify(docker.dockerHost)}: must be unix:///path, tcp://host:port or http(s)://host:port`);
  return { ...docker };
}

function resolveClusterCIDR(cidr: string | undefined): string {
  if (cidr === undefined) return '10.244';
  const m = typeof cidr === 'string' ? /^(\d{1,3})\.(\d{1,3})\.0\.0\/16$/.exec(cidr) : null;
  if (!m || Number(m[1]) > 255 || Number(m[2]) > 255)
    throw new ClusterError('InvalidOptions', `clusterCIDR: Invalid value: ${JSON.stringify(cidr)}: must be an IPv4 /16 like "10.244.0.0/16"`);
  return `${Number(m[1])}.${Number(m[2])}`;
}

/** The pod CIDR of the node with index `index` (1…255). */
export function podCIDRFor(opts: Pick<ResolvedClusterOptions, 'podNetworkPrefix'>, index: number): string {
  return `${opts.podNetworkPrefix}.${index}.0/24`;
}

function checkStore(store: ClusterOptions['store']): void {
  if (store === undefined || store === 'memory') return;
  if (store && typeof store === 'object' && ('sqlite' in store || 'etcd' in store))
    throw new ClusterError('NotBuilt', `store ${JSON.stringify(store)}: the ${'sqlite' in store ? 'SQLite' : 'etcd'} store backend is not built yet; use 'memory'`);
  throw new ClusterError('InvalidOptions', `store: Unsupported value: ${JSON.stringify(store)}: supported values: "memory"`);
}

/** Checks `opts` (throwing a {@link ClusterError}) and fills in defaults; creates the root dir. */
export function resolveOptions(opts: ClusterOptions): ResolvedClusterOptions {
  if (opts === null || typeof opts !== 'object') throw new ClusterError('InvalidOptions', 'createCluster: options must be an object');
  const nodes = resolveNodes(opts.nodes);
  const runtime = resolveRuntime(opts.runtime, nodes.length);
  const podNetworkPrefix = resolveClusterCIDR(opts.clusterCIDR);
  checkStore(opts.store);
  const transport = opts.plugins?.transport ?? 'in-process';
  if (transport !== 'in-process' && transport !== 'unix-sockets')
    throw new ClusterError('InvalidOptions', `plugins.transport: Unsupported value: ${JSON.stringify(transport)}: supported values: "in-process", "unix-sockets"`);
  let rootDir = opts.rootDir;
  const ownsRootDir = rootDir === undefined;
  if (rootDir === undefined) rootDir = mkdtempSync(join(tmpdir(), 'bosun-'));
  else mkdirSync(rootDir, { recursive: true });
  return {
    nodes,
    runtime,
    podNetworkPrefix,
    clock: opts.clock ?? new RealClock(),
    rootDir,
    ownsRootDir,
    scheduler: opts.scheduler ?? {},
    transport,
    nodeAgent: opts.nodeAgent ?? {},
    logger: opts.logger ?? consoleLogger,
  };
}
