// Curated named exports of the autoscaling controllers: the HorizontalPodAutoscaler
// (autoscaling/v2) and the MetricsProvider it reads pod usage from.
export {
  addHorizontalPodAutoscalerController,
  createHorizontalPodAutoscalerReconcile,
  resolveScalingRules,
  scaleUpLimit,
  scaleDownLimit,
} from './hpa';
export type { HorizontalPodAutoscalerControllerOptions, ResolvedScalingRules, TimedValue } from './hpa';
export { createStaticMetricsProvider } from './metrics-provider';
export type { MetricsProvider, PodUsageSample, StaticMetricsProvider, StaticMetricsProviderOptions } from './metrics-provider';
export { calculateResourceReplicas, groupPods, podRequests } from './replica-calculator';
export type { ReplicaCalculatorOptions, ResourceName, ResourceTarget, ResourceReplicasInput, ResourceReplicasProposal, ResourceReplicasFailure } from './replica-calculator';
