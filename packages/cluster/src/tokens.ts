import type { Clock, Scheme } from '@bosun/api';
import type { ApiObject, ApiServer, Client, Logger, MutatingAdmissionPlugin, ValidatingAdmissionPlugin } from '@bosun/apiserver';
import type { Manager } from '@bosun/controller-runtime';
import type { MetricsProvider } from '@bosun/controllers';
import type { Scheduler } from '@bosun/scheduler';
import type { ObjectStore } from '@bosun/store';
import type { ServiceIdentifier } from 'inversify';
import type { ResolvedClusterOptions } from './options';
import type { ControllerInstaller, NetworkFactory, NodeAgentFactory, NodeRegistry, RuntimeFactory, StorageFactory } from './parts';

const token = <T>(name: string): ServiceIdentifier<T> => Symbol.for(`bosun.cluster.${name}`);

/**
 * The service identifiers of the cluster's inversify container. Every part is bound to
 * one of these by a built-in module; a host swaps a part with a module of its own:
 *
 * ```ts
 * const myRuntime = new ContainerModule(({ rebind }) => {
 *   rebind(TOKENS.RuntimeFactory).toConstantValue(async (ctx, network) => myRuntimeFor(ctx));
 * });
 * await createCluster({ nodes: 2, modules: [myRuntime] });
 * ```
 */
export const TOKENS = {
  /** The checked options ({@link ResolvedClusterOptions}). */
  Options: token<ResolvedClusterOptions>('Options'),
  Clock: token<Clock>('Clock'),
  Logger: token<Logger>('Logger'),
  Scheme: token<Scheme>('Scheme'),
  Store: token<ObjectStore>('Store'),
  /** Async: resolve with `container.getAsync`. */
  ApiServer: token<ApiServer>('ApiServer'),
  Client: token<Client>('Client'),
  /** Multi-binding: mutating admission plugins of the API server, run in binding order. */
  MutatingAdmission: token<MutatingAdmissionPlugin>('MutatingAdmission'),
  /** Multi-binding: validating admission plugins of the API server. */
  ValidatingAdmission: token<ValidatingAdmissionPlugin>('ValidatingAdmission'),
  /** Multi-binding: every installer adds its controllers to the manager. */
  ControllerInstaller: token<ControllerInstaller>('ControllerInstaller'),
  Manager: token<Manager>('Manager'),
  /** Pod usage for the HPA; default: asks the node agents. */
  MetricsProvider: token<MetricsProvider>('MetricsProvider'),
  Scheduler: token<Scheduler>('Scheduler'),
  /** The live nodes. */
  Nodes: token<NodeRegistry>('Nodes'),
  NetworkFactory: token<NetworkFactory>('NetworkFactory'),
  RuntimeFactory: token<RuntimeFactory>('RuntimeFactory'),
  StorageFactory: token<StorageFactory>('StorageFactory'),
  NodeAgentFactory: token<NodeAgentFactory>('NodeAgentFactory'),
  /** Created at start when bound (the storage module binds `standard`, the default class). */
  DefaultStorageClass: token<ApiObject>('DefaultStorageClass'),
} as const;
