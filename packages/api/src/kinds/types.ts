import type * as core from 'kubernetes-types/core/v1';
import type * as apps from 'kubernetes-types/apps/v1';
import type * as batch from 'kubernetes-types/batch/v1';
import type * as autoscaling from 'kubernetes-types/autoscaling/v2';
import type * as autoscalingV1 from 'kubernetes-types/autoscaling/v1';
import type * as storage from 'kubernetes-types/storage/v1';
import type * as networking from 'kubernetes-types/networking/v1';
import type * as coordination from 'kubernetes-types/coordination/v1';
import type * as scheduling from 'kubernetes-types/scheduling/v1';
import type * as policy from 'kubernetes-types/policy/v1';

export type { core, apps, batch, autoscaling, storage, networking, coordination, scheduling, policy };

// The built-in kinds, field-compatible with upstream (types from `kubernetes-types`).
export type Pod = core.Pod;
export type PodSpec = core.PodSpec;
export type PodTemplateSpec = core.PodTemplateSpec;
export type Container = core.Container;
export type Node = core.Node;
export type Namespace = core.Namespace;
export type Service = core.Service;
export type Endpoints = core.Endpoints;
export type ConfigMap = core.ConfigMap;
export type Secret = core.Secret;
export type PersistentVolume = core.PersistentVolume;
export type PersistentVolumeClaim = core.PersistentVolumeClaim;
export type Event = core.Event;
export type ReplicationController = core.ReplicationController;
export type ServiceAccount = core.ServiceAccount;
export type Deployment = apps.Deployment;
export type ReplicaSet = apps.ReplicaSet;
export type StatefulSet = apps.StatefulSet;
export type DaemonSet = apps.DaemonSet;
export type ControllerRevision = apps.ControllerRevision;
export type Job = batch.Job;
export type CronJob = batch.CronJob;
export type HorizontalPodAutoscaler = autoscaling.HorizontalPodAutoscaler;
export type StorageClass = storage.StorageClass;
export type Ingress = networking.Ingress;
export type Lease = coordination.Lease;
export type PriorityClass = scheduling.PriorityClass;
export type PodDisruptionBudget = policy.PodDisruptionBudget;
/** autoscaling/v1 Scale: what the scale subresource reads and writes. */
export type Scale = autoscalingV1.Scale;

/**
 * apiVersion → kind → TypeScript type. The Client uses it to type results
 * (`client.get('apps/v1', 'Deployment', …)` returns a Deployment). Custom kinds join
 * by module augmentation:
 *
 * ```ts
 * declare module '@bosun/api' {
 *   interface KindTypes { 'example.com/v1': { Widget: Widget } }
 * }
 * ```
 */
export interface KindTypes {
  v1: {
    Pod: Pod;
    Node: Node;
    Namespace: Namespace;
    Service: Service;
    Endpoints: Endpoints;
    ConfigMap: ConfigMap;
    Secret: Secret;
    PersistentVolume: PersistentVolume;
    PersistentVolumeClaim: PersistentVolumeClaim;
    Event: Event;
    ReplicationController: ReplicationController;
    ServiceAccount: ServiceAccount;
  };
  'apps/v1': {
    Deployment: Deployment;
    ReplicaSet: ReplicaSet;
    StatefulSet: StatefulSet;
    DaemonSet: DaemonSet;
    ControllerRevision: ControllerRevision;
  };
  'batch/v1': { Job: Job; CronJob: CronJob };
  'autoscaling/v2': { HorizontalPodAutoscaler: HorizontalPodAutoscaler };
  'autoscaling/v1': { Scale: Scale };
  'storage.k8s.io/v1': { StorageClass: StorageClass };
  'networking.k8s.io/v1': { Ingress: Ingress };
  'coordination.k8s.io/v1': { Lease: Lease };
  'scheduling.k8s.io/v1': { PriorityClass: PriorityClass };
  'policy/v1': { PodDisruptionBudget: PodDisruptionBudget };
}

/** The type of `apiVersion`+`kind`, or a generic object for kinds the map does not know. */
export type TypeOf<A extends string, K extends string> = A extends keyof KindTypes
  ? K extends keyof KindTypes[A]
    ? KindTypes[A][K] & { apiVersion: A; kind: K; metadata: NonNullable<Pod['metadata']> }
    : import('../meta').KubeObject
  : import('../meta').KubeObject;
