// The node agent (kubelet): registers its Node, heartbeats a Lease, and runs the pods
// bound to it through a CRI runtime — sandboxes, init and app containers, image pulls,
// restarts with CrashLoopBackOff, probes, graceful termination and pod status.
export { createNodeAgent } from './node-agent';
export type { NodeAgent, NodeAgentOptions, ExecResult, NodeMetricsProvider, PodUsageSample } from './node-agent';
export { NodeAgentError, isNodeAgentError } from './errors';
export type { NodeAgentErrorCode } from './errors';
export { createRestartBackoff } from './backoff';
export type { RestartBackoff, RestartBackoffOptions } from './backoff';
export { expandVars, containerEnv, resolveContainerEnv, apiEnvSources, serviceEnv, podFieldValue, resourceFieldValue, formatMap, isEnvVarName, configMapValues, secretValues } from './env';
export type { EnvVar, EnvSources, EnvInput, ResolvedEnv } from './env';
export { linuxResources, podQosClass, milliCpuToShares, milliCpuToQuota, oomScoreAdj, CPU_PERIOD_US } from './resources';
export { VolumeManager, checkHostPath, VOLUME_PLUGIN_DIRS } from './volumes';
export type { VolumeManagerOptions, MountedVolume, CsiNodeClient } from './volumes';
export { AtomicWriter, validatePayloadPath } from './atomic-writer';
export type { PayloadFile } from './atomic-writer';
export { runLifecycleHandler, httpGet, PROBE_USER_AGENT } from './handlers';
export type { HookTarget, HookFailure } from './handlers';
export { readContainerLog, parseCriLog } from './logs';
export type { LogOptions, CriLogLine } from './logs';
export { NODE_LEASE_NAMESPACE, KUBELET_VERSION, DEFAULT_CAPACITY, buildNodeStatus, nodeLabels } from './node-status';
export type { NodeFacts } from './node-status';
export { computePodStatus, podPhase } from './pod-status';
export type { PodObservation, ObservedContainer, WaitingReason, PodStatusInput } from './pod-status';
export { POD_UID_LABEL, POD_NAME_LABEL, POD_NAMESPACE_LABEL, CONTAINER_NAME_LABEL, RESTART_COUNT_ANNOTATION, CONTAINER_ANNOTATIONS, pullPolicyOf, containerConfig } from './pod-worker';
export type { ContainerConfigExtras } from './pod-worker';
export { createProbeManager, runProbeAction, probeWithOutput, resolvePort } from './probes';
export type { ProbeManager, ProbeKind, ProbeResult, ProbeTarget } from './probes';
