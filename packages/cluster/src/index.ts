// @bosun/cluster: the composition root. createCluster() wires the API server, the
// controllers, the scheduler and one node agent per node with its runtime, network and
// storage plugins, using inversify modules a host can rebind.
export { createCluster } from './cluster';
export type { Cluster, RemoveNodeOptions } from './cluster';
export { MAX_NODES } from './options';
export type { ClusterOptions, DockerChoice, NodeAgentTuning, NodeSpec, RuntimeChoice, StoreChoice, PluginTransport, ResolvedClusterOptions } from './options';
export { ClusterError, isClusterError } from './errors';
export type { ClusterErrorCode } from './errors';
export { TOKENS } from './tokens';
export { NodeRegistry } from './parts';
export type { ClusterNode, NodeContext, NodeNetwork, NodeRuntime, NodeStorage, NetworkFactory, RuntimeFactory, StorageFactory, NodeAgentFactory, NodeAgentParts, ControllerInstaller, InstallContext } from './parts';
export { apiModule } from './modules/api';
export { controllersModule, BUILTIN_CONTROLLERS } from './modules/controllers';
export { schedulerModule } from './modules/scheduler';
export { nodesModule, hostLocalNetworkFactory, fakeRuntimeFactory, processRuntimeFactory, criEndpointRuntimeFactory, defaultNodeAgentFactory, drainRuntime } from './modules/nodes';
export { cniBridgeNetworkFactory, dockerRuntimeFactory, dockerNodeConfList, dockerNodeBridge, dockerNodeScope, scopeCri, DOCKER_NODE_LABEL } from './modules/docker';
export { storageModule, hostPathStorageFactory, DEFAULT_STORAGE_CLASS } from './modules/storage';
export { createAgentMetricsProvider } from './metrics';
export type { LogsOptions, ExecResult } from './pod-access';
export type { WaitForOptions } from './wait-for';
export { FakeClock, RealClock } from '@bosun/api';
export type { Clock } from '@bosun/api';
export { ContainerModule } from 'inversify';
