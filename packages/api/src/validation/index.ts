import type { FieldCause } from '../errors';
import { fieldError } from '../field';
import { validateHorizontalPodAutoscaler } from './autoscaling';
import { validateCronJob, validateJob } from './batch';
import { validateEvent, validateLease, validateNamespace, validateNode, validatePodDisruptionBudget, validatePriorityClass, validateServiceAccount } from './cluster';
import { validateConfigMap, validateSecret } from './config';
import { validateObjectMeta, validateObjectMetaUpdate, type NameValidation } from './meta';
import { validateEndpoints, validateIngress, validateService } from './networking';
import { validatePod } from './pod';
import { validatePersistentVolume, validatePersistentVolumeClaim, validateStorageClass } from './storage';
import { validateControllerRevision, validateDaemonSet, validateDeployment, validateReplicaSet, validateReplicationController, validateStatefulSet } from './workloads';

/**
 * Kind-specific validation of the built-in kinds, keyed by `apiVersion/Kind`; `old` is
 * set on update, for immutability checks. Metadata is validated separately and
 * generically ({@link validateObjectMeta}, {@link validateObjectMetaUpdate}), except
 * the narrower name rules of Namespace (DNS-1123 label) and Service (DNS-1035 label),
 * which their validators report for names that pass the generic subdomain check.
 * Every validator accepts defaulted and undefaulted objects, never throws on malformed
 * input, and returns every problem found with Kubernetes' field paths and messages.
 */
export const validators: Record<string, (obj: any, old?: any) => FieldCause[]> = {
  'v1/Pod': validatePod,
  'v1/Node': validateNode,
  'v1/Namespace': validateNamespace,
  'v1/Service': validateService,
  'v1/Endpoints': validateEndpoints,
  'v1/ConfigMap': validateConfigMap,
  'v1/Secret': validateSecret,
  'v1/PersistentVolume': validatePersistentVolume,
  'v1/PersistentVolumeClaim': validatePersistentVolumeClaim,
  'v1/Event': validateEvent,
  'v1/ReplicationController': validateReplicationController,
  'v1/ServiceAccount': validateServiceAccount,
  'apps/v1/Deployment': validateDeployment,
  'apps/v1/ReplicaSet': validateReplicaSet,
  'apps/v1/StatefulSet': validateStatefulSet,
  'apps/v1/DaemonSet': validateDaemonSet,
  'apps/v1/ControllerRevision': validateControllerRevision,
  'batch/v1/Job': validateJob,
  'batch/v1/CronJob': validateCronJob,
  'autoscaling/v2/HorizontalPodAutoscaler': validateHorizontalPodAutoscaler,
  'storage.k8s.io/v1/StorageClass': validateStorageClass,
  'networking.k8s.io/v1/Ingress': validateIngress,
  'coordination.k8s.io/v1/Lease': validateLease,
  'scheduling.k8s.io/v1/PriorityClass': validatePriorityClass,
  'policy/v1/PodDisruptionBudget': validatePodDisruptionBudget,
};

const CLUSTER_SCOPED = new Set(['v1/Node', 'v1/Namespace', 'v1/PersistentVolume', 'storage.k8s.io/v1/StorageClass', 'scheduling.k8s.io/v1/PriorityClass']);

/**
 * The generic name rule of a built-in kind, to pass as `nameValidator` to
 * {@link validateObjectMeta}: `path` for HorizontalPodAutoscaler (upstream accepts any
 * URL path segment), `subdomain` for every other kind (Namespace and Service narrow it in
 * their own validators). Undefined for kinds that are not built in.
 */
export function nameValidationFor(apiVersion: string, kind: string): NameValidation | undefined {
  const key = `${apiVersion}/${kind}`;
  if (!Object.hasOwn(validators, key)) return undefined;
  return key === 'autoscaling/v2/HorizontalPodAutoscaler' ? 'path' : 'subdomain';
}

/**
 * Validates a built-in object completely, as the API server does: its metadata
 * ({@link validateObjectMeta} with the kind's scope and name rule, plus
 * {@link validateObjectMetaUpdate} when `old` is given) and its kind-specific
 * {@link validators}. An object of a kind that is not built in gets one cause on `kind`.
 * Pure: the object is not defaulted first (call `defaultObject` for that).
 */
export function validateObject(obj: unknown, old?: unknown): FieldCause[] {
  const o = (typeof obj === 'object' && obj !== null ? obj : {}) as { apiVersion?: unknown; kind?: unknown; metadata?: unknown };
  const apiVersion = typeof o.apiVersion === 'string' ? o.apiVersion : '';
  const kind = typeof o.kind === 'string' ? o.kind : '';
  const key = `${apiVersion}/${kind}`;
  if (!Object.hasOwn(validators, key)) return [fieldError.notSupported('kind', kind, [])];
  const causes = validateObjectMeta(o.metadata, { namespaced: !CLUSTER_SCOPED.has(key), nameValidator: nameValidationFor(apiVersion, kind) });
  if (old !== undefined) causes.push(...validateObjectMetaUpdate(o.metadata, (old as { metadata?: unknown } | null)?.metadata));
  causes.push(...validators[key](obj, old));
  return causes;
}

export { validateObjectMeta, validateObjectMetaUpdate, validateAnnotations, validateName, TOTAL_ANNOTATION_SIZE_LIMIT } from './meta';
export type { NameValidation, ObjectMetaValidationOptions } from './meta';
export { validatePod, validatePodSpec, validatePodTemplate, validatePodUpdate, POD_UPDATE_FORBIDDEN } from './pod';
export type { PodSpecValidationOptions } from './pod';
export { validateDeployment, validateReplicaSet, validateReplicationController, validateStatefulSet, validateDaemonSet, validateControllerRevision } from './workloads';
export { validateJob, validateJobSpec, validateCronJob } from './batch';
export { parseCron, isValidTimeZone } from './cron';
export type { CronSchedule } from './cron';
export { validateService, validateEndpoints, validateIngress, NODE_PORT_RANGE } from './networking';
export { validateConfigMap, validateSecret } from './config';
export { validatePersistentVolume, validatePersistentVolumeClaim, validatePersistentVolumeClaimSpec, validateStorageClass } from './storage';
export { validateNamespace, validateNode, validateEvent, validateServiceAccount, validateLease, validatePriorityClass, validatePodDisruptionBudget } from './cluster';
export { validateHorizontalPodAutoscaler } from './autoscaling';
export { validateLabelSelector as validateLabelSelectorFields, semanticEqual } from './util';
