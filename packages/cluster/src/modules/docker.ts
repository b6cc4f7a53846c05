// Nodes on Docker Engine: one @bosun/runtime-docker per node against the given daemon,
// with pod networking through @bosun/network-cni running the real bridge + host-local
// plugins over the node's pod CIDR. Several nodes (and several clusters) may share one
// daemon: every sandbox and container carries a label naming its node, and each node's
// runtime only sees its own.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createCniClient, createInProcessCniClient, serveCni } from '@bosun/cni';
import type { CriServiceImpl, ListContainersRequest, ListContainerStatsRequest, ListPodSandboxRequest } from '@bosun/cri';
import { createCniExecPlugin } from '@bosun/network-cni';
import { createDockerRuntime } from '@bosun/runtime-docker';
import { defaultBridgeName } from '@bosun/runtime-process';
import type { DockerChoice } from '../options';
import type { NetworkFactory, NodeContext, RuntimeFactory } from '../parts';

/** The Docker label that scopes sandboxes and containers to one node of one cluster. */
export const DOCKER_NODE_LABEL = 'dev.bosun.cluster-node';

/** Where Debian's containernetworking-plugins live, then the upstream default. */
export const CNI_BIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin'];

const once = (fn: () => Promise<void>) => {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
};

/** The scope label's value for a node: its name plus a hash of its directory (unique per cluster). */
export function dockerNodeScope(ctx: Pick<NodeContext, 'dir' | 'spec'>): string {
  return `${ctx.spec.name}.${createHash('sha256').update(ctx.dir).digest('hex').slice(0, 12)}`;
}

/** The node's Linux bridge (≤ 15 characters, derived from the node dir so clusters never share one). */
export function dockerNodeBridge(ctx: Pick<NodeContext, 'dir'>): string {
  return defaultBridgeName(ctx.dir);
}

/**
 * The CNI configuration list a Docker node runs: `bridge` (the node's own bridge, the
 * gateway on the pod CIDR's first address) with `host-local` IPAM over exactly the
 * node's `spec.podCIDR` (so pod IPs match it). No `loopback` plugin: Docker already
 * brings `lo` up in a sandbox of network mode `none`, and one plugin run less is a few
 * milliseconds off every pod start. No IP masquerade: the tests' daemons run without
 * iptables.
 */
export function dockerNodeConfList(ctx: Pick<NodeContext, 'dir' | 'podCIDR'>): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: `bosun-${createHash('sha256').update(ctx.dir).digest('hex').slice(0, 10)}`,
    plugins: [
      {
        type: 'bridge',
        bridge: dockerNodeBridge(ctx),
        isGateway: true,
        ipMasq: false,
        ipam: { type: 'host-local', ranges: [[{ subnet: ctx.podCIDR }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(ctx.dir, 'cni', 'ipam') },
      },
    ],
  };
}

/**
 * A Docker node's network: the real CNI plugins through `createCniExecPlugin` (results
 * cached under `<node dir>/cni/cache`). `close()` deletes the node's bridge once the
 * runtime has released every sandbox (CNI DEL leaves the bridge in place).
 */
export const cniBridgeNetworkFactory: NetworkFactory = async (ctx) => {
  const plugin = createCniExecPlugin({ conflist: dockerNodeConfList(ctx), binDirs: CNI_BIN_DIRS, cacheDir: join(ctx.dir, 'cni', 'cache') });
  const deleteBridge = () => {
    spawnSync('ip', ['link', 'delete', 'dev', dockerNodeBridge(ctx)], { stdio: 'ignore' });
  };
  if (ctx.transport === 'in-process') return { plugin, client: createInProcessCniClient(plugin), close: once(async () => deleteBridge()) };
  const server = await serveCni(plugin, { socketPath: join(ctx.dir, 'cni.sock') });
  const client = createCniClient(server.endpoint, { deadlineMs: 60_000 });
  return {
    plugin,
    client,
    endpoint: server.endpoint,
    close: once(async () => {
      client.close();
      await server.close();
      deleteBridge();
    }),
  };
};

/**
 * Restricts a CRI implementation to one scope: RunPodSandbox and CreateContainer add
 * `label=value` to the config's labels; ListPodSandbox, ListContainers and
 * ListContainerStats only answer objects carrying it, on top of the caller's own label
 * selector (a selector naming the scope label with another value matches nothing).
 * Every other call passes through (ids are unique on the daemon).
 */
export function scopeCri(impl: CriServiceImpl, label: string, value: string): CriServiceImpl {
  const withLabel = <T extends { labels?: Record<string, string> } | null>(config: T): T => (config ? { ...config, labels: { ...config.labels, [label]: value } } : config);
  const scoped = <F extends { labelSelector?: Record<string, string> } | null>(filter: F, defaults: Record<string, unknown>) => ({ ...defaults, ...filter, labelSelector: { ...filter?.labelSelector, [label]: value } });
  const outside = (filter: { labelSelector?: Record<string, string> } | null | undefined) => {
    const wanted = filter?.labelSelector?.[label];
    return wanted !== undefined && wanted !== value;
  };
  return {
    ...impl,
    runPodSandbox: async (req) => impl.runPodSandbox!({ ...req, config: withLabel(req.config) }),
    createContainer: async (req) => impl.createContainer!({ ...req, config: withLabel(req.config) }),
    listPodSandbox: async (req: ListPodSandboxRequest) =>
      outside(req.filter) ? { items: [] } : impl.listPodSandbox!({ ...req, filter: scoped(req.filter, { id: '', state: null }) as ListPodSandboxRequest['filter'] }),
    listContainers: async (req: ListContainersRequest) =>
      outside(req.filter) ? { containers: [] } : impl.listContainers!({ ...req, filter: scoped(req.filter, { id: '', state: null, podSandboxId: '' }) as ListContainersRequest['filter'] }),
    listContainerStats: async (req: ListContainerStatsRequest) =>
      outside(req.filter) ? { stats: [] } : impl.listContainerStats!({ ...req, filter: scoped(req.filter, { id: '', podSandboxId: '' }) as ListContainerStatsRequest['filter'] }),
  };
}

/**
 * One `@bosun/runtime-docker` per node against the daemon `choice` names (socket path,
 * DOCKER_HOST-style host, else the `DOCKER_HOST` environment variable, else
 * `/var/run/docker.sock`), with the node's CNI network and its checkpoints under
 * `<node dir>/runtime`. The node's objects are labelled {@link DOCKER_NODE_LABEL};
 * `close()` (after the cluster drains the node's sandboxes through CRI, which removes
 * their containers) stops log followers and reconnecting.
 */
export function dockerRuntimeFactory(choice: DockerChoice, expose: (kind: string, impl: CriServiceImpl, ctx: NodeContext, dispose: () => Promise<void>) => ReturnType<RuntimeFactory>): RuntimeFactory {
  return async (ctx, network) => {
    const runtime = createDockerRuntime({
      socketPath: choice.socketPath,
      dockerHost: choice.dockerHost,
      sandboxImage: choice.sandboxImage,
      network: network.client,
      stateDir: join(ctx.dir, 'runtime'),
      clock: ctx.clock,
      onError: (err) => ctx.logger.warn(`docker runtime on ${ctx.spec.name}: ${String(err)}`),
    });
    const scoped = scopeCri(runtime, DOCKER_NODE_LABEL, dockerNodeScope(ctx));
    return expose('docker', scoped, ctx, () => runtime.close());
  };
}
