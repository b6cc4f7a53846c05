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
import { createDockerRuntime, LABELS } from '@bosun/runtime-docker';
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
 * node's `spec.podCIDR` (so pod IPs match it), then `loopback`. No IP masquerade: the
 * tests' daemons run without iptables.
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
      { type: 'loopback' },
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

/** Prefix under which {@link scopeCri} keeps CRI labels the runtime reserves for itself. */
export const KEPT_LABEL_PREFIX = 'dev.bosun.cri-label.';

const matches = (labels: Record<string, string | null | undefined>, selector: Record<string, string> | null | undefined) => Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);

/**
 * Restricts a CRI implementation to one scope: RunPodSandbox and CreateContainer add
 * `label=value` to the config's labels; ListPodSandbox, ListContainers and
 * ListContainerStats only answer objects carrying it. Every other call passes through
 * (ids are unique on the daemon).
 *
 * CRI labels whose keys are in `reserved` (runtime-docker stores its own
 * `io.kubernetes.pod.uid`, … under those keys and leaves them out of the CRI labels it
 * lists) are also kept under {@link KEPT_LABEL_PREFIX}`<key>` and given back on the way
 * out, and the caller's label selector is applied here, so the node agent finds its
 * pods' sandboxes and containers by `io.kubernetes.pod.uid` as on any CRI runtime.
 */
export function scopeCri(impl: CriServiceImpl, label: string, value: string, reserved: readonly string[] = []): CriServiceImpl {
  const hidden = new Set(reserved);
  const withLabel = <T extends { labels?: Record<string, string> } | null>(config: T): T => {
    if (!config) return config;
    const labels: Record<string, string> = { ...config.labels, [label]: value };
    for (const [k, v] of Object.entries(config.labels ?? {})) if (hidden.has(k)) labels[KEPT_LABEL_PREFIX + k] = v;
    return { ...config, labels };
  };
  const restore = (labels: Record<string, string | null | undefined> | null | undefined): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(labels ?? {})) if (!k.startsWith(KEPT_LABEL_PREFIX)) out[k] = v ?? '';
    for (const [k, v] of Object.entries(labels ?? {})) if (k.startsWith(KEPT_LABEL_PREFIX)) out[k.slice(KEPT_LABEL_PREFIX.length)] = v ?? '';
    return out;
  };
  const scoped = <F extends { labelSelector?: Record<string, string> } | null>(filter: F, defaults: Record<string, unknown>) => ({ ...defaults, ...filter, labelSelector: { [label]: value } });
  return {
    ...impl,
    runPodSandbox: async (req) => impl.runPodSandbox!({ ...req, config: withLabel(req.config) }),
    createContainer: async (req) => impl.createContainer!({ ...req, config: withLabel(req.config) }),
    listPodSandbox: async (req: ListPodSandboxRequest) => {
      const res = await impl.listPodSandbox!({ ...req, filter: scoped(req.filter, { id: '', state: null }) as ListPodSandboxRequest['filter'] });
      const items = (res.items ?? []).map((s) => ({ ...s, labels: restore(s.labels) })).filter((s) => matches(s.labels, req.filter?.labelSelector));
      return { ...res, items };
    },
    listContainers: async (req: ListContainersRequest) => {
      const res = await impl.listContainers!({ ...req, filter: scoped(req.filter, { id: '', state: null, podSandboxId: '' }) as ListContainersRequest['filter'] });
      const containers = (res.containers ?? []).map((c) => ({ ...c, labels: restore(c.labels) })).filter((c) => matches(c.labels, req.filter?.labelSelector));
      return { ...res, containers };
    },
    listContainerStats: async (req: ListContainerStatsRequest) => {
      const res = await impl.listContainerStats!({ ...req, filter: scoped(req.filter, { id: '', podSandboxId: '' }) as ListContainerStatsRequest['filter'] });
      const stats = (res.stats ?? [])
        .map((st) => (st.attributes ? { ...st, attributes: { ...st.attributes, labels: restore(st.attributes.labels) } } : st))
        .filter((st) => matches(st.attributes?.labels ?? {}, req.filter?.labelSelector));
      return { ...res, stats };
    },
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
    const scoped = scopeCri(runtime, DOCKER_NODE_LABEL, dockerNodeScope(ctx), Object.values(LABELS));
    return expose('docker', scoped, ctx, () => runtime.close());
  };
}
