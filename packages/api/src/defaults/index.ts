import { defaultHorizontalPodAutoscaler } from './autoscaling';
import { defaultCronJob, defaultJob } from './batch';
import { defaultNamespace, defaultNode, defaultPriorityClass, defaultSecret } from './cluster';
import { defaultEndpoints, defaultService } from './networking';
import { defaultPod } from './pod';
import { defaultPersistentVolume, defaultPersistentVolumeClaim, defaultStorageClass } from './storage';
import { defaultDaemonSet, defaultDeployment, defaultReplicaSet, defaultReplicationController, defaultStatefulSet } from './workloads';

const noDefaults = (): void => {};

/**
 * Defaulting functions of the built-in kinds, keyed by `apiVersion/Kind` (e.g.
 * `apps/v1/Deployment`). Each fills in Kubernetes' defaults in place, tolerates
 * malformed input, and is idempotent: defaulting a defaulted object changes nothing.
 * Kinds upstream gives no defaults (ConfigMap, Event, ServiceAccount, ControllerRevision,
 * Ingress, Lease, PodDisruptionBudget) map to a no-op.
 */
export const defaulters: Record<string, (obj: any) => void> = {
  'v1/Pod': defaultPod,
  'v1/Node': defaultNode,
  'v1/Namespace': defaultNamespace,
  'v1/Service': defaultService,
  'v1/Endpoints': defaultEndpoints,
  'v1/ConfigMap': noDefaults,
  'v1/Secret': defaultSecret,
  'v1/PersistentVolume': defaultPersistentVolume,
  'v1/PersistentVolumeClaim': defaultPersistentVolumeClaim,
  'v1/Event': noDefaults,
  'v1/ReplicationController': defaultReplicationController,
  'v1/ServiceAccount': noDefaults,
  'apps/v1/Deployment': defaultDeployment,
  'apps/v1/ReplicaSet': defaultReplicaSet,
  'apps/v1/StatefulSet': defaultStatefulSet,
  'apps/v1/DaemonSet': defaultDaemonSet,
  'apps/v1/ControllerRevision': noDefaults,
  'batch/v1/Job': defaultJob,
  'batch/v1/CronJob': defaultCronJob,
  'autoscaling/v2/HorizontalPodAutoscaler': defaultHorizontalPodAutoscaler,
  'storage.k8s.io/v1/StorageClass': defaultStorageClass,
  'networking.k8s.io/v1/Ingress': noDefaults,
  'coordination.k8s.io/v1/Lease': noDefaults,
  'scheduling.k8s.io/v1/PriorityClass': defaultPriorityClass,
  'policy/v1/PodDisruptionBudget': noDefaults,
};

/**
 * Applies the built-in defaults for `obj`'s apiVersion and kind in place and returns
 * the same object; objects of other kinds (and non-objects) are returned untouched.
 * Idempotent.
 */
export function defaultObject<T>(obj: T): T {
  if (typeof obj === 'object' && obj !== null && !Array.isArray(obj)) {
    const { apiVersion, kind } = obj as { apiVersion?: unknown; kind?: unknown };
    if (typeof apiVersion === 'string' && typeof kind === 'string' && Object.hasOwn(defaulters, `${apiVersion}/${kind}`)) {
      defaulters[`${apiVersion}/${kind}`](obj);
    }
  }
  return obj;
}

export { defaultPod, defaultPodSpec, defaultPodTemplate, defaultContainer, defaultProbe, defaultVolume } from './pod';
export type { PodSpecDefaultOptions } from './pod';
export { defaultImagePullPolicy, parseImageReference } from './image';
export type { ImageReference } from './image';
export { defaultDeployment, defaultReplicaSet, defaultReplicationController, defaultStatefulSet, defaultDaemonSet } from './workloads';
export { defaultJob, defaultCronJob } from './batch';
export { defaultService, defaultEndpoints } from './networking';
export { defaultPersistentVolume, defaultPersistentVolumeClaim, defaultStorageClass } from './storage';
export { defaultNamespace, defaultNode, defaultSecret, defaultPriorityClass } from './cluster';
export { defaultHorizontalPodAutoscaler, defaultScaleUpRules, defaultScaleDownRules } from './autoscaling';
