import { join } from 'node:path';
import { createCniClient, createInProcessCniClient, serveCni } from '@bosun/cni';
import { createCriClient, createInProcessCriClient, serveCri, type CriClient, type CriServiceImpl } from '@bosun/cri';
import { createHostLocalNetwork } from '@bosun/network-hostlocal';
import { createNodeAgent } from '@bosun/node-agent';
import { createFakeRuntime } from '@bosun/runtime-fake';
import { createProcessRuntime, defaultBridgeName } from '@bosun/runtime-process';
import { HOSTPATH_DRIVER_NAME, HOSTPATH_TOPOLOGY_KEY } from '@bosun/storage-hostpath';
import { ContainerModule } from 'inversify';
import { ClusterError } from '../errors';
import type { ResolvedClusterOptions } from '../options';
import { cniBridgeNetworkFactory, dockerRuntimeFactory } from './docker';
import { NodeRegistry, type NetworkFactory, type NodeAgentFactory, type NodeContext, type NodeRuntime, type RuntimeFactory } from '../parts';
import { TOKENS } from '../tokens';

const once = (fn: () => Promise<void>) => {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
};

/** The host-local IPAM plugin over `ctx.podCIDR`, reservations under `<node dir>/cni`; served on `cni.sock` with the socket transport. */
export const hostLocalNetworkFactory: NetworkFactory = async (ctx) => {
  const plugin = createHostLocalNetwork({ podCIDR: ctx.podCIDR, dataDir: join(ctx.dir, 'cni') });
  if (ctx.transport === 'in-process') return { plugin, client: createInProcessCniClient(plugin), close: async () => undefined };
  const server = await serveCni(plugin, { socketPath: join(ctx.dir, 'cni.sock') });
  const client = createCniClient(server.endpoint);
  return {
    plugin,
    client,
    endpoint: server.endpoint,
    close: once(async () => {
      client.close();
      await server.close();
    }),
  };
};

/**
 * Stops and removes every sandbox (and so every container) in a runtime, or only those
 * `keep` says are ours. Errors are collected, not thrown, so one stuck pod does not stop
 * the rest from going.
 */
export async function drainRuntime(cri: CriClient, mine: (labels: Record<string, string>) => boolean = () => true): Promise<unknown[]> {
  const errors: unknown[] = [];
  const sandboxes = await cri.runtime.listPodSandbox().catch((e: unknown) => (errors.push(e), []));
  await Promise.all(
    sandboxes
      .filter((s) => mine(s.labels ?? {}))
      .map(async (s) => {
        await cri.runtime.stopPodSandbox(s.id, { deadlineMs: 15_000 }).catch((e: unknown) => errors.push(e));
        await cri.runtime.removePodSandbox(s.id, { deadlineMs: 15_000 }).catch((e: unknown) => errors.push(e));
      }),
  );
  return errors;
}

/** Puts an in-process CRI impl behind the chosen transport; `dispose` runs after the runtime is drained. */
export async function expose(kind: string, impl: CriServiceImpl, ctx: NodeContext, dispose: () => Promise<void> | void): Promise<NodeRuntime> {
  if (ctx.transport === 'in-process') {
    const cri = createInProcessCriClient(impl);
    return {
      kind,
      cri,
      impl,
      close: once(async () => {
        await drainRuntime(cri);
        await dispose();
      }),
    };
  }
  const server = await serveCri(impl, { socketPath: join(ctx.dir, 'cri.sock') });
  const cri = createCriClient(server.endpoint);
  return {
    kind,
    cri,
    impl,
    endpoint: server.endpoint,
    close: once(async () => {
      await drainRuntime(cri);
      cri.close();
      await server.close();
      await dispose();
    }),
  };
}

/** The simulated runtime (`@bosun/runtime-fake`); pod IPs come from the node's pod CIDR. */
export const fakeRuntimeFactory: RuntimeFactory = async (ctx) => {
  const runtime = createFakeRuntime({ clock: ctx.clock, podCidr: ctx.podCIDR, logRoot: join(ctx.dir, 'logs') });
  return expose('fake', runtime, ctx, () => runtime.dispose());
};

/**
 * The process runtime (`@bosun/runtime-process`): containers are host processes, in
 * namespaces when running as root with `unshare` (else raw host processes). State under
 * `<node dir>/runtime`; its bridge is named from the node dir, so clusters side by side
 * never share one; pod addresses come from the node's host-local network plugin.
 * `close()` kills every process and deletes the bridge.
 */
export const processRuntimeFactory: RuntimeFactory = async (ctx, network) => {
  const runtime = createProcessRuntime({
    stateDir: join(ctx.dir, 'runtime'),
    clock: ctx.clock,
    network: network.client,
    nodeName: ctx.spec.name,
    bridgeName: defaultBridgeName(ctx.dir),
    logRoot: join(ctx.dir, 'logs'),
  });
  return expose('process', runtime, ctx, () => runtime.shutdown({ killAll: true }));
};

/**
 * Node agents drive existing CRI runtimes: node i uses `endpoints[i - 1]`. `stop()`
 * removes only the pod sandboxes of this cluster's pods from them (by pod uid), never
 * anything else the runtime runs.
 */
export function criEndpointRuntimeFactory(endpoints: readonly string[], ourPodUids: () => Promise<Set<string>>): RuntimeFactory {
  return async (ctx) => {
    const endpoint = endpoints[ctx.index - 1];
    if (!endpoint) throw new ClusterError('InvalidOptions', `node ${ctx.spec.name}: no CRI endpoint left for node #${ctx.index} (${endpoints.length} given)`);
    const cri = createCriClient(endpoint);
    return {
      kind: endpoint,
      cri,
      endpoint,
      close: once(async () => {
        const uids = await ourPodUids();
        await drainRuntime(cri, (labels) => uids.has(labels['io.kubernetes.pod.uid'] ?? ''));
        cri.close();
      }),
    };
  };
}

function runtimeFactoryFor(choice: ResolvedClusterOptions['runtime'], ourPodUids: () => Promise<Set<string>>): RuntimeFactory {
  if (choice === 'fake') return fakeRuntimeFactory;
  if (choice === 'process') return processRuntimeFactory;
  if ('docker' in choice) return dockerRuntimeFactory(choice.docker, expose);
  const eps = choice.criEndpoint;
  return criEndpointRuntimeFactory(typeof eps === 'string' ? [eps] : eps, ourPodUids);
}

/**
 * The node agent (kubelet) over the node's runtime: pod logs under `<node dir>/logs`, pod
 * volumes under `<node dir>/kubelet`, the node's CSI driver registered by name. A node
 * with the hostpath driver carries its topology label, as CSI node registration does.
 */
export const defaultNodeAgentFactory: NodeAgentFactory = ({ ctx, client, runtime, storage, agentOptions }) =>
  createNodeAgent({
    client,
    cri: runtime.cri,
    nodeName: ctx.spec.name,
    clock: ctx.clock,
    labels: storage?.driverName === HOSTPATH_DRIVER_NAME ? { [HOSTPATH_TOPOLOGY_KEY]: ctx.spec.name, ...ctx.spec.labels } : ctx.spec.labels,
    rootDir: join(ctx.dir, 'kubelet'),
    csiDrivers: storage ? { [storage.driverName]: storage.client } : {},
    taints: ctx.spec.taints,
    capacity: ctx.spec.capacity as Record<string, string> | undefined,
    podCidr: ctx.podCIDR,
    logRoot: join(ctx.dir, 'logs'),
    logger: ctx.logger,
    ...agentOptions,
  });

/**
 * Per-node parts: the live node registry, the network factory (host-local IPAM), the
 * runtime factory for `options.runtime`, and the node agent factory. Rebind
 * `TOKENS.RuntimeFactory` to run nodes on a runtime of your own.
 */
export function nodesModule(options: ResolvedClusterOptions, ourPodUids: () => Promise<Set<string>>): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.Nodes).toConstantValue(new NodeRegistry());
    // Docker sandboxes need a plugin that creates the interface (runtime-docker refuses
    // IPAM-only results): the real bridge + host-local plugins.
    const dockerNodes = typeof options.runtime === 'object' && 'docker' in options.runtime;
    bind(TOKENS.NetworkFactory).toConstantValue(dockerNodes ? cniBridgeNetworkFactory : hostLocalNetworkFactory);
    bind(TOKENS.RuntimeFactory).toConstantValue(runtimeFactoryFor(options.runtime, ourPodUids));
    bind(TOKENS.NodeAgentFactory).toConstantValue(defaultNodeAgentFactory);
  });
}

