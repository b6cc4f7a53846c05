import { ApiError } from '@bosun/api';
import type { PatchField, PatchSchema } from './patch-schema';

// The patch metadata of the built-in kinds, transcribed from the `patchStrategy` and
// `patchMergeKey` struct tags of k8s.io/api. Lists tagged `+listType=atomic` or carrying
// no tag are replaced whole; they are listed as ATOMIC where users commonly expect
// otherwise, so the table says so out loud.

const merge = (patchMergeKey?: string, schema?: PatchSchema): PatchField => ({
  patchStrategy: 'merge',
  ...(patchMergeKey ? { patchMergeKey } : {}),
  ...(schema ? { schema } : {}),
});
const ATOMIC: PatchField = { patchStrategy: 'replace' };
const nested = (schema: PatchSchema): PatchField => ({ schema });
const conditions = merge('type');

const objectMeta: PatchSchema = {
  fields: {
    finalizers: merge(),
    ownerReferences: merge('uid'),
  },
};

/** Container and EphemeralContainerCommon carry the same tags. */
const container: PatchSchema = {
  fields: {
    ports: merge('containerPort'),
    env: merge('name'),
    envFrom: ATOMIC,
    volumeMounts: merge('mountPath'),
    volumeDevices: merge('devicePath'),
    resizePolicy: ATOMIC, // +listType=atomic upstream, despite resourceName being unique
  },
};

const podSpec: PatchSchema = {
  fields: {
    volumes: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
    initContainers: merge('name', container),
    containers: merge('name', container),
    ephemeralContainers: merge('name', container),
    imagePullSecrets: merge('name'),
    hostAliases: merge('ip'),
    tolerations: ATOMIC,
    readinessGates: ATOMIC,
    topologySpreadConstraints: merge('topologyKey'),
    schedulingGates: merge('name'),
    resourceClaims: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
  },
};

const podStatus: PatchSchema = {
  fields: {
    conditions,
    podIPs: merge('ip'),
    hostIPs: merge('ip'),
    initContainerStatuses: ATOMIC,
    containerStatuses: ATOMIC,
    ephemeralContainerStatuses: ATOMIC,
    resourceClaimStatuses: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
  },
};

const podTemplateSpec: PatchSchema = { fields: { metadata: nested(objectMeta), spec: nested(podSpec) } };

/** A kind with only ObjectMeta lists (finalizers, ownerReferences). */
const metadataOnly: PatchSchema = { fields: { metadata: nested(objectMeta) } };

/** A kind whose status has `conditions` merged by type. */
const withStatusConditions = (spec?: PatchSchema): PatchSchema => ({
  fields: {
    metadata: nested(objectMeta),
    ...(spec ? { spec: nested(spec) } : {}),
    status: nested({ fields: { conditions } }),
  },
});

const workloadSpec: PatchSchema = { fields: { template: nested(podTemplateSpec) } };
const jobSpec: PatchSchema = workloadSpec;
const cronJob: PatchSchema = {
  fields: {
    metadata: nested(objectMeta),
    spec: nested({ fields: { jobTemplate: nested({ fields: { metadata: nested(objectMeta), spec: nested(jobSpec) } }) } }),
    status: nested({ fields: { active: ATOMIC } }),
  },
};
const ingress = metadataOnly;

const schemas: ReadonlyMap<string, PatchSchema> = new Map<string, PatchSchema>([
  // core/v1
  ['v1/Pod', { fields: { metadata: nested(objectMeta), spec: nested(podSpec), status: nested(podStatus) } }],
  [
    'v1/Node',
    {
      fields: {
        metadata: nested(objectMeta),
        spec: nested({ fields: { podCIDRs: merge(), taints: ATOMIC } }),
        status: nested({ fields: { conditions, addresses: merge('type'), images: ATOMIC, volumesInUse: ATOMIC, volumesAttached: ATOMIC } }),
      },
    },
  ],
  ['v1/Namespace', withStatusConditions()],
  ['v1/Service', withStatusConditions({ fields: { ports: merge('port') } })],
  ['v1/Endpoints', { fields: { metadata: nested(objectMeta), subsets: ATOMIC } }],
  ['v1/ConfigMap', metadataOnly],
  ['v1/Secret', metadataOnly],
  ['v1/PersistentVolume', metadataOnly],
  ['v1/PersistentVolumeClaim', withStatusConditions()],
  ['v1/Event', metadataOnly],
  ['v1/ReplicationController', withStatusConditions(workloadSpec)],
  ['v1/ServiceAccount', { fields: { metadata: nested(objectMeta), secrets: merge('name'), imagePullSecrets: ATOMIC } }],
  // apps/v1
  ['apps/v1/Deployment', withStatusConditions({ fields: { template: nested(podTemplateSpec), strategy: { patchStrategy: 'retainKeys' } } })],
  ['apps/v1/ReplicaSet', withStatusConditions(workloadSpec)],
  ['apps/v1/StatefulSet', withStatusConditions({ fields: { template: nested(podTemplateSpec), volumeClaimTemplates: ATOMIC } })],
  ['apps/v1/DaemonSet', withStatusConditions(workloadSpec)],
  ['apps/v1/ControllerRevision', metadataOnly],
  // batch
  ['batch/v1/Job', withStatusConditions(jobSpec)],
  ['batch/v1/CronJob', cronJob],
  ['batch/v1beta1/CronJob', cronJob],
  // others
  ['autoscaling/v2/HorizontalPodAutoscaler', withStatusConditions({ fields: { metrics: ATOMIC } })],
  ['autoscaling/v1/HorizontalPodAutoscaler', metadataOnly],
  ['storage.k8s.io/v1/StorageClass', metadataOnly],
  ['networking.k8s.io/v1/Ingress', ingress],
  ['networking.k8s.io/v1beta1/Ingress', ingress],
  ['coordination.k8s.io/v1/Lease', metadataOnly],
  ['scheduling.k8s.io/v1/PriorityClass', metadataOnly],
  ['policy/v1/PodDisruptionBudget', withStatusConditions()],
]);

/**
 * The strategic-merge-patch schema of a built-in kind, matching the upstream struct tags
 * (containers by `name`, ports by `containerPort`, volumes `merge,retainKeys`, conditions
 * by `type`, tolerations and containerStatuses replaced whole, …), or undefined for a kind
 * Bosun does not build in. Custom kinds have none: Kubernetes refuses strategic merge
 * patches for custom resources, see {@link requireStrategicPatchSchema}.
 */
export function patchSchemaFor(apiVersion: string, kind: string): PatchSchema | undefined {
  return schemas.get(`${apiVersion}/${kind}`);
}

/** True when `apiVersion`/`kind` is a built-in kind that takes strategic merge patches. */
export function isStrategicPatchSupported(apiVersion: string, kind: string): boolean {
  return schemas.has(`${apiVersion}/${kind}`);
}

/**
 * The schema for a strategic merge patch of `apiVersion`/`kind`, for the API server to
 * call before applying one.
 *
 * @throws ApiError UnsupportedMediaType (415) for a kind without one (custom kinds), as
 * Kubernetes answers: `strategic merge patch is not supported for custom resources`.
 */
export function requireStrategicPatchSchema(apiVersion: string, kind: string): PatchSchema {
  const schema = patchSchemaFor(apiVersion, kind);
  if (!schema) {
    throw new ApiError(
      'UnsupportedMediaType',
      `strategic merge patch is not supported for custom resources (${kind}.${apiVersion}): use a JSON merge patch (application/merge-patch+json) or a JSON patch instead`,
      { kind },
    );
  }
  return schema;
}
