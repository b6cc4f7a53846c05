// The scheduler framework (extension points, profiles, queue, cache) and the default plugins.
export { createScheduler, numFeasibleNodesToFind, DEFAULT_SCHEDULER_NAME } from './scheduler';
export type { Scheduler, SchedulerOptions } from './scheduler';
export { SchedulerError, isSchedulerError } from './errors';
export type { SchedulerErrorCode } from './errors';

// framework
export { Status, asStatus } from './framework/status';
export type { Code } from './framework/status';
export { CycleState, stateKey } from './framework/cycle-state';
export type { StateKey } from './framework/cycle-state';
export { NodeInfo, HostPortInfo, podHostPorts } from './framework/node-info';
export type { HostPort, ImageStateSummary } from './framework/node-info';
export { PodInfo, affinityTermMatches } from './framework/pod-info';
export type { AffinityTerm, WeightedAffinityTerm, NamespaceLabels } from './framework/pod-info';
export { Resource, podRequests, DEFAULT_MILLI_CPU_REQUEST, DEFAULT_MEMORY_REQUEST } from './framework/resource';
export type { PodRequestsOptions } from './framework/resource';
export { Registry } from './framework/registry';
export type { PluginRef, PluginSet, PluginsConfig, ProfileConfig } from './framework/profile';
export { Framework, MAX_PERMIT_TIMEOUT_MS } from './framework/framework';
export type { FrameworkOptions, NodePluginScores } from './framework/framework';
export { Snapshot, normalizedImageName } from './framework/snapshot';
export { fitErrorMessage } from './framework/fit-error';
export type { Diagnosis } from './framework/fit-error';
export { Nominator } from './framework/nominator';
export { createPriorityResolver } from './framework/priority';
export type { PriorityResolver } from './framework/priority';
export { MAX_NODE_SCORE, MIN_NODE_SCORE, EXTENSION_POINTS } from './framework/interface';
export type {
  Plugin,
  PluginFactory,
  Handle,
  QueuedPodInfo,
  PreEnqueuePlugin,
  QueueSortPlugin,
  PreFilterPlugin,
  PreFilterResult,
  PreFilterExtensions,
  FilterPlugin,
  PostFilterPlugin,
  PostFilterResult,
  NodeToStatus,
  PreScorePlugin,
  ScorePlugin,
  ScoreExtensions,
  NodeScore,
  ReservePlugin,
  PermitPlugin,
  PermitResult,
  PreBindPlugin,
  BindPlugin,
  PostBindPlugin,
  EnqueueExtensions,
  ClusterEvent,
  WaitingPod,
  SnapshotLister,
  ExtensionPoint,
} from './framework/interface';
export { SchedulerCache } from './cache/cache';
export { SchedulingQueue } from './queue/scheduling-queue';
export type { SchedulingQueueOptions, QueueCounts } from './queue/scheduling-queue';

// plugins
export { inTreeRegistry, DEFAULT_PLUGINS, DEFAULT_SCORE_WEIGHTS } from './plugins/registry';
export { defaultNormalizeScore, toleratesTaint, findUntoleratedTaint, requiredNodeAffinity } from './plugins/helpers';
export { PrioritySort } from './plugins/priority-sort';
export { SchedulingGates } from './plugins/scheduling-gates';
export { NodeName } from './plugins/node-name';
export { NodeUnschedulable } from './plugins/node-unschedulable';
export { NodeAffinity } from './plugins/node-affinity';
export type { NodeAffinityArgs } from './plugins/node-affinity';
export { TaintToleration } from './plugins/taint-toleration';
export { NodePorts } from './plugins/node-ports';
export { NodeResourcesFit, fitsRequest } from './plugins/node-resources-fit';
export type { NodeResourcesFitArgs, ScoringStrategy, UtilizationShapePoint, InsufficientResource } from './plugins/node-resources-fit';
export { NodeResourcesBalancedAllocation } from './plugins/node-resources-balanced-allocation';
export type { NodeResourcesBalancedAllocationArgs } from './plugins/node-resources-balanced-allocation';
export type { ResourceSpec } from './plugins/resource-allocation';
export { ImageLocality } from './plugins/image-locality';
export { DefaultBinder } from './plugins/default-binder';
export type { Binder, DefaultBinderArgs } from './plugins/default-binder';
export { PodTopologySpread, SYSTEM_DEFAULT_CONSTRAINTS, ERR_REASON_CONSTRAINTS_NOT_MATCH, ERR_REASON_NODE_LABEL_NOT_MATCH } from './plugins/pod-topology-spread';
export type { PodTopologySpreadArgs, SpreadListers } from './plugins/pod-topology-spread';
export {
  InterPodAffinity,
  ERR_REASON_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
} from './plugins/inter-pod-affinity';
export type { InterPodAffinityArgs } from './plugins/inter-pod-affinity';
export {
  VolumeBinding,
  ANN_SELECTED_NODE,
  ERR_REASON_UNBOUND_IMMEDIATE,
  ERR_REASON_NODE_CONFLICT,
  ERR_REASON_BIND_CONFLICT,
  ERR_REASON_PV_NOT_EXIST,
} from './plugins/volume-binding';
export type { VolumeListers } from './plugins/volume-binding';
export { DefaultPreemption, terminatingByPreemption, ERR_REASON_NOT_HELPFUL, ERR_REASON_NO_VICTIMS, REASON_PREEMPTION_BY_SCHEDULER } from './plugins/default-preemption';
export type { DefaultPreemptionArgs, PreemptionHandle, Candidate } from './plugins/default-preemption';
