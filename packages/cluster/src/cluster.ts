import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isApiError, type Clock, type KubeObject, type Node, type TypeOf } from '@bosun/api';
import { applyManifests, deleteManifests, type ApiObject, type ApiServer, type ApplyManifestsOptions, type Client, type DeleteManifestResult, type DeleteManifestsOptions, type Logger, type ManifestResult } from '@bosun/apiserver';
import type { Manager } from '@bosun/controller-runtime';
import { NODE_LEASE_NAMESPACE } from '@bosun/node-agent';
import type { Scheduler } from '@bosun/scheduler';
import type { ObjectStore } from '@bosun/store';
import { Container } from 'inversify';
import { ClusterError } from './errors';
import { apiModule } from './modules/api';
import { controllersModule } from './modules/controllers';
import { nodesModule } from './modules/nodes';
import { schedulerModule } from './modules/scheduler';
import { storageModule } from './modules/storage';
import { checkNodeSpec, podCIDRFor, resolveOptions, type ClusterOptions, type NodeSpec, type ResolvedClusterOptions } from './options';
import type { ClusterNode, NodeContext, NodeNetwork, NodeRegistry, NodeRuntime, NodeStorage } from './parts';
import { nodeOfPod, type ExecResult, type LogsOptions } from './pod-access';
import { TOKENS } from './tokens';
import { waitForObject, type WaitForOptions } from './wait-for';

/** Options of `cluster.removeNode`. */
export interface RemoveNodeOptions {
  /** Grace period of the evicted pods; default each pod's own. */
  gracePeriodSeconds?: number;
  /** Wall-clock ms to wait for the node's pods to go before they are force-deleted. Default 30 000. */
  drainTimeoutMs?: number;
}

/** A running cluster; see {@link createCluster}. */
export interface Cluster extends AsyncDisposable {
  /** The API client (typed per kind). */
  readonly client: Client;
  /** The clock every component runs on (advance it when it is a FakeClock). */
  readonly clock: Clock;
  /** The controller manager running every built-in controller; `manager.add(controller)` adds yours. */
  readonly manager: Manager;
  readonly scheduler: Scheduler;
  readonly server: ApiServer;
  readonly store: ObjectStore;
  /** The inversify container the cluster was composed from (read-only use after start). */
  readonly container: Container;
  /** Where node state, logs, sockets and volumes live. */
  readonly rootDir: string;
  /** The nodes this cluster runs, in the order added. */
  nodes(): ClusterNode[];
  /** One node, or undefined. */
  node(name: string): ClusterNode | undefined;
  /** `kubectl apply -f`: create-or-update, multi-document YAML or objects; Namespaces first. */
  apply(input: string | readonly ApiObject[], opts?: ApplyManifestsOptions): Promise<ManifestResult[]>;
  /** `kubectl delete -f`: objects that do not exist are reported `notFound`. */
  delete(input: string | readonly ApiObject[], opts?: DeleteManifestsOptions): Promise<DeleteManifestResult[]>;
  /**
   * Resolves with the object once `predicate` holds for it (checked now, then on every
   * change seen by a watch). Rejects with a `Timeout` ClusterError showing the last status.
   */
  waitFor<A extends string, K extends string>(apiVersion: A, kind: K, namespace: string, name: string, predicate: (obj: TypeOf<A, K>) => boolean, opts?: WaitForOptions): Promise<TypeOf<A, K>>;
  /** Resolves once the object does not exist (deleted, finalizers done). */
  waitForDeletion(apiVersion: string, kind: string, namespace: string, name: string, opts?: WaitForOptions): Promise<void>;
  /** A container's output (`kubectl logs [--previous] pod -c container`), from the pod's node agent. */
  logs(namespace: string, pod: string, opts?: LogsOptions): Promise<string>;
  /** Runs a command (no shell unless argv names one) in a running container (`kubectl exec pod -c container -- argv…`), through the pod's node agent. */
  exec(namespace: string, pod: string, container: string, argv: readonly string[], opts?: { timeoutSeconds?: number }): Promise<ExecResult>;
  /** Starts a new node (runtime, network, storage, agent) and resolves with its registered Node. */
  addNode(spec: NodeSpec): Promise<Node>;
  /**
   * Cordons the node, deletes its pods (controllers recreate theirs elsewhere) and waits
   * for them to go, then stops its agent and runtime and deletes the Node and its Lease.
   */
  removeNode(name: string, opts?: RemoveNodeOptions): Promise<void>;
  /**
   * Stops everything: scheduler, controllers, node agents; stops and removes every
   * container and sandbox of this cluster, closes plugin servers, stops the API server,
   * and removes the temp dirs it made. Idempotent.
   */
  stop(): Promise<void>;
}

/**
 * Starts a cluster in this process:
 *
 * ```ts
 * await using cluster = await createCluster({ nodes: 3, runtime: 'process' });
 * await cluster.apply(yaml);
 * await cluster.waitFor('apps/v1', 'Deployment', 'default', 'nginx', (d) => d.status?.readyReplicas === 3);
 * ```
 *
 * It is composed with inversify: one module per part (api, controllers, scheduler, nodes,
 * storage), then `options.modules` to rebind any {@link TOKENS} entry. Bad options reject
 * with a {@link ClusterError} before anything starts; a failure while starting stops
 * what started.
 */
export async function createCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const opts = resolveOptions(options);
  const container = new Container();
  let client: Client | undefined;
  const ourPodUids = async () => new Set((await client!.list('v1', 'Pod')).items.map((p) => p.metadata?.uid ?? ''));
  try {
    await container.loadAsync(apiModule(opts), controllersModule, schedulerModule, nodesModule(opts, ourPodUids), storageModule, ...(options.modules ?? []));
  } catch (err) {
    cleanupDirs(opts, new Set());
    throw err;
  }
  const api = new Teardown(opts.logger);
  const controlPlane = new Teardown(opts.logger);
  let cluster: ClusterImpl | undefined;
  try {
    const server = await container.getAsync(TOKENS.ApiServer);
    const store = container.get(TOKENS.Store);
    api.push(async () => {
      await server.stop();
      await store.close();
    });
    client = await container.getAsync(TOKENS.Client);
    if (container.isBound(TOKENS.DefaultStorageClass)) await client.apply(container.get(TOKENS.DefaultStorageClass));
    const manager = await container.getAsync(TOKENS.Manager);
    const scheduler = await container.getAsync(TOKENS.Scheduler);
    cluster = new ClusterImpl(opts, container, server, store, client, manager, scheduler, container.get(TOKENS.Nodes), controlPlane, api);
    await manager.start();
    controlPlane.push(() => manager.stop());
    const schedulerRun = scheduler.run();
    controlPlane.push(async () => {
      await scheduler.stop();
      await schedulerRun;
    });
    await Promise.all(opts.nodes.map((spec) => cluster!.addNode(spec)));
    return cluster;
  } catch (err) {
    if (cluster) await cluster.stop();
    else {
      await api.run();
      cleanupDirs(opts, new Set());
    }
    throw err;
  }
}

/** Runs teardown steps in reverse order, logging (not throwing) their errors. */
class Teardown {
  private readonly steps: Array<() => Promise<void>> = [];
  constructor(private readonly logger: Logger) {}
  push(step: () => Promise<void>): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch (err) {
        this.logger.warn(`cluster stop: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}

function cleanupDirs(opts: ResolvedClusterOptions, nodeDirs: Set<string>): void {
  if (opts.ownsRootDir) rmSync(opts.rootDir, { recursive: true, force: true });
  else for (const dir of nodeDirs) rmSync(dir, { recursive: true, force: true });
}

class ClusterImpl implements Cluster {
  private stopping?: Promise<void>;
  private readonly nodeDirs = new Set<string>();
  /** Names of nodes being added. */
  private readonly starting = new Set<string>();

  constructor(
    private readonly opts: ResolvedClusterOptions,
    readonly container: Container,
    readonly server: ApiServer,
    readonly store: ObjectStore,
    readonly client: Client,
    readonly manager: Manager,
    readonly scheduler: Scheduler,
    private readonly registry: NodeRegistry,
    /** Scheduler and controllers: stopped first, so nothing new is created while nodes go. */
    private readonly controlPlane: Teardown,
    /** API server and store: stopped last. */
    private readonly api: Teardown,
  ) {}

  get clock(): Clock {
    return this.opts.clock;
  }
  get rootDir(): string {
    return this.opts.rootDir;
  }
  nodes(): ClusterNode[] {
    return this.registry.list();
  }
  node(name: string): ClusterNode | undefined {
    return this.registry.get(name);
  }

  private live(): void {
    if (this.stopping) throw new ClusterError('Stopped', 'the cluster is stopped');
  }

  async apply(input: string | readonly ApiObject[], opts: ApplyManifestsOptions = {}): Promise<ManifestResult[]> {
    this.live();
    return applyManifests(this.client, input as string | readonly KubeObject[], { scheme: this.server.scheme, ...opts });
  }

  async delete(input: string | readonly ApiObject[], opts: DeleteManifestsOptions = {}): Promise<DeleteManifestResult[]> {
    this.live();
    return deleteManifests(this.client, input as string | readonly KubeObject[], { scheme: this.server.scheme, ...opts });
  }

  async waitFor<A extends string, K extends string>(apiVersion: A, kind: K, namespace: string, name: string, predicate: (obj: TypeOf<A, K>) => boolean, opts?: WaitForOptions): Promise<TypeOf<A, K>> {
    this.live();
    const found = await waitForObject<KubeObject>(this.client, { apiVersion, kind, namespace, name }, (o) => o !== undefined && predicate(o as TypeOf<A, K>), 'to match the condition', opts);
    return found as TypeOf<A, K>;
  }

  async waitForDeletion(apiVersion: string, kind: string, namespace: string, name: string, opts?: WaitForOptions): Promise<void> {
    this.live();
    await waitForObject(this.client, { apiVersion, kind, namespace, name }, (o) => o === undefined, 'to be deleted', opts);
  }

  async logs(namespace: string, pod: string, opts: LogsOptions = {}): Promise<string> {
    this.live();
    const node = await nodeOfPod(this.client, (n) => this.registry.get(n), namespace, pod);
    return node.agent.logs(namespace, pod, opts);
  }

  async exec(namespace: string, pod: string, container: string, argv: readonly string[], opts: { timeoutSeconds?: number } = {}): Promise<ExecResult> {
    this.live();
    const node = await nodeOfPod(this.client, (n) => this.registry.get(n), namespace, pod);
    return node.agent.exec(namespace, pod, container, argv, opts);
  }

  async addNode(spec: NodeSpec): Promise<Node> {
    this.live();
    checkNodeSpec(spec, 'addNode');
    if (this.registry.get(spec.name) || this.starting.has(spec.name)) throw new ClusterError('InvalidOptions', `addNode: node ${JSON.stringify(spec.name)} already exists`);
    const index = this.registry.reserveIndex();
    if (!index) throw new ClusterError('InvalidOptions', 'addNode: the cluster already runs 255 nodes (one /24 of its clusterCIDR each)');
    this.starting.add(spec.name);
    const dir = join(this.opts.rootDir, 'nodes', spec.name);
    mkdirSync(dir, { recursive: true });
    this.nodeDirs.add(dir);
    const ctx: NodeContext = { spec, index, podCIDR: podCIDRFor(this.opts, index), dir, clock: this.opts.clock, logger: this.opts.logger, transport: this.opts.transport };
    const undo = new Teardown(this.opts.logger);
    try {
      const network: NodeNetwork = await this.container.get(TOKENS.NetworkFactory)(ctx);
      undo.push(() => network.close());
      const runtime: NodeRuntime = await this.container.get(TOKENS.RuntimeFactory)(ctx, network);
      undo.push(() => runtime.close());
      const storage: NodeStorage | undefined = await this.container.get(TOKENS.StorageFactory)(ctx);
      if (storage) undo.push(() => storage.close());
      const agent = this.container.get(TOKENS.NodeAgentFactory)({ ctx, client: this.client, runtime, storage, agentOptions: this.opts.nodeAgent });
      undo.push(() => agent.stop());
      await agent.start();
      // stop() began meanwhile and will not see this node: take it down here.
      this.live();
      this.registry.add({ name: spec.name, index, podCIDR: ctx.podCIDR, dir, network, runtime, storage, agent });
      return await this.client.get('v1', 'Node', '', spec.name);
    } catch (err) {
      await undo.run();
      this.registry.releaseIndex(index);
      throw err;
    } finally {
      this.starting.delete(spec.name);
    }
  }

  /** Stops a node's agent and parts (containers are removed); leaves API objects alone. */
  private async stopNode(name: string): Promise<void> {
    const node = this.registry.get(name);
    if (!node) return;
    this.registry.delete(name);
    const steps = new Teardown(this.opts.logger);
    steps.push(() => node.network.close());
    if (node.storage) steps.push(() => node.storage!.close());
    steps.push(() => node.runtime.close());
    steps.push(() => node.agent.stop());
    await steps.run();
    this.registry.releaseIndex(node.index);
  }

  async removeNode(name: string, opts: RemoveNodeOptions = {}): Promise<void> {
    this.live();
    if (!this.registry.get(name)) throw new ClusterError('NotFound', `removeNode: node ${JSON.stringify(name)} is not part of this cluster`);
    await this.client.patch('v1', 'Node', '', name, { spec: { unschedulable: true } }, { type: 'merge' });
    const onNode = async () => (await this.client.list('v1', 'Pod', { fieldSelector: `spec.nodeName=${name}` })).items;
    for (const p of await onNode())
      await this.client.delete('v1', 'Pod', p.metadata?.namespace ?? '', p.metadata?.name ?? '', { gracePeriodSeconds: opts.gracePeriodSeconds }).catch(ignoreNotFound);
    const deadline = Date.now() + (opts.drainTimeoutMs ?? 30_000);
    while ((await onNode()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const p of await onNode()) await this.client.delete('v1', 'Pod', p.metadata?.namespace ?? '', p.metadata?.name ?? '', { gracePeriodSeconds: 0 }).catch(ignoreNotFound);
    await this.stopNode(name);
    await this.client.delete('coordination.k8s.io/v1', 'Lease', NODE_LEASE_NAMESPACE, name).catch(ignoreNotFound);
    await this.client.delete('v1', 'Node', '', name).catch(ignoreNotFound);
    const dir = join(this.opts.rootDir, 'nodes', name);
    rmSync(dir, { recursive: true, force: true });
    this.nodeDirs.delete(dir);
  }

  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      await this.controlPlane.run();
      await Promise.all(this.registry.list().map((n) => this.stopNode(n.name)));
      await this.api.run();
      cleanupDirs(this.opts, this.nodeDirs);
    })());
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

function ignoreNotFound(err: unknown): void {
  if (!(isApiError(err) && err.code === 404)) throw err;
}
