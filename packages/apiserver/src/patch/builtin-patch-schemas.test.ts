import { describe, expect, it } from 'vitest';
import { isApiError } from '@bosun/api';
import { isStrategicPatchSupported, patchSchemaFor, requireStrategicPatchSchema } from './builtin-patch-schemas';
import { lookupPatchMeta, type PatchField } from './patch-schema';

const merge = (patchMergeKey?: string): PatchField => ({ patchStrategy: 'merge', ...(patchMergeKey ? { patchMergeKey } : {}) });
const atomic: PatchField = { patchStrategy: 'replace' };

// Each row is an upstream struct tag (k8s.io/api), reached through the kind's object path.
const tags: [apiVersion: string, kind: string, path: string, expected: Partial<PatchField> | undefined][] = [
  ['v1', 'Pod', 'metadata.finalizers', merge()],
  ['v1', 'Pod', 'metadata.ownerReferences', merge('uid')],
  ['v1', 'Pod', 'spec.containers', merge('name')],
  ['v1', 'Pod', 'spec.initContainers', merge('name')],
  ['v1', 'Pod', 'spec.ephemeralContainers', merge('name')],
  ['v1', 'Pod', 'spec.volumes', { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' }],
  ['v1', 'Pod', 'spec.imagePullSecrets', merge('name')],
  ['v1', 'Pod', 'spec.hostAliases', merge('ip')],
  ['v1', 'Pod', 'spec.tolerations', atomic],
  ['v1', 'Pod', 'spec.topologySpreadConstraints', merge('topologyKey')],
  ['v1', 'Pod', 'spec.containers.ports', merge('containerPort')],
  ['v1', 'Pod', 'spec.containers.env', merge('name')],
  ['v1', 'Pod', 'spec.containers.envFrom', atomic],
  ['v1', 'Pod', 'spec.containers.volumeMounts', merge('mountPath')],
  ['v1', 'Pod', 'spec.containers.volumeDevices', merge('devicePath')],
  ['v1', 'Pod', 'spec.containers.resizePolicy', atomic],
  ['v1', 'Pod', 'spec.initContainers.env', merge('name')],
  ['v1', 'Pod', 'status.conditions', merge('type')],
  ['v1', 'Pod', 'status.podIPs', merge('ip')],
  ['v1', 'Pod', 'status.containerStatuses', atomic],
  ['v1', 'Pod', 'spec.nodeSelector', undefined],
  ['v1', 'Node', 'status.conditions', merge('type')],
  ['v1', 'Node', 'status.addresses', merge('type')],
  ['v1', 'Node', 'spec.taints', atomic],
  ['v1', 'Node', 'spec.podCIDRs', merge()],
  ['v1', 'Service', 'spec.ports', merge('port')],
  ['v1', 'Endpoints', 'subsets', atomic],
  ['v1', 'ServiceAccount', 'secrets', merge('name')],
  ['v1', 'PersistentVolumeClaim', 'status.conditions', merge('type')],
  ['v1', 'Namespace', 'status.conditions', merge('type')],
  ['v1', 'ReplicationController', 'spec.template.spec.containers', merge('name')],
  ['apps/v1', 'Deployment', 'spec.template.spec.containers', merge('name')],
  ['apps/v1', 'Deployment', 'spec.template.spec.containers.env', merge('name')],
  ['apps/v1', 'Deployment', 'spec.template.metadata.finalizers', merge()],
  ['apps/v1', 'Deployment', 'spec.strategy', { patchStrategy: 'retainKeys' }],
  ['apps/v1', 'Deployment', 'status.conditions', merge('type')],
  ['apps/v1', 'ReplicaSet', 'spec.template.spec.volumes', { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' }],
  ['apps/v1', 'ReplicaSet', 'status.conditions', merge('type')],
  ['apps/v1', 'StatefulSet', 'spec.volumeClaimTemplates', atomic],
  ['apps/v1', 'StatefulSet', 'spec.template.spec.containers', merge('name')],
  ['apps/v1', 'StatefulSet', 'status.conditions', merge('type')],
  ['apps/v1', 'DaemonSet', 'spec.template.spec.containers', merge('name')],
  ['apps/v1', 'DaemonSet', 'status.conditions', merge('type')],
  ['batch/v1', 'Job', 'spec.template.spec.containers', merge('name')],
  ['batch/v1', 'Job', 'status.conditions', merge('type')],
  ['batch/v1', 'CronJob', 'spec.jobTemplate.spec.template.spec.containers', merge('name')],
  ['batch/v1', 'CronJob', 'spec.jobTemplate.spec.template.spec.containers.ports', merge('containerPort')],
  ['batch/v1beta1', 'CronJob', 'spec.jobTemplate.spec.template.spec.containers', merge('name')],
  ['autoscaling/v2', 'HorizontalPodAutoscaler', 'status.conditions', merge('type')],
  ['policy/v1', 'PodDisruptionBudget', 'status.conditions', merge('type')],
  ['v1', 'ConfigMap', 'metadata.finalizers', merge()],
];

describe('patchSchemaFor', () => {
  it.each(tags)('gives %s %s %s the upstream tag', (apiVersion, kind, path, expected) => {
    const meta = lookupPatchMeta(patchSchemaFor(apiVersion, kind), path);
    if (expected === undefined) expect(meta).toBeUndefined();
    else expect({ patchStrategy: meta?.patchStrategy, patchMergeKey: meta?.patchMergeKey }).toEqual({ patchMergeKey: undefined, ...expected });
  });

  it.each([
    ['v1', 'Pod'],
    ['v1', 'ConfigMap'],
    ['apps/v1', 'Deployment'],
    ['batch/v1', 'CronJob'],
    ['networking.k8s.io/v1', 'Ingress'],
    ['coordination.k8s.io/v1', 'Lease'],
  ])('supports strategic patches of the built-in %s %s', (apiVersion, kind) => {
    expect(isStrategicPatchSupported(apiVersion, kind)).toBe(true);
    expect(requireStrategicPatchSchema(apiVersion, kind)).toBe(patchSchemaFor(apiVersion, kind));
  });

  it.each([
    ['example.com/v1', 'Widget'],
    ['v1', 'Widget'],
    ['apps/v2', 'Deployment'],
  ])('has no schema for %s %s, and refuses strategic patches with 415', (apiVersion, kind) => {
    expect(patchSchemaFor(apiVersion, kind)).toBeUndefined();
    expect(isStrategicPatchSupported(apiVersion, kind)).toBe(false);
    try {
      requireStrategicPatchSchema(apiVersion, kind);
      expect.unreachable();
    } catch (e) {
      expect(isApiError(e) && e.reason).toBe('UnsupportedMediaType');
      expect(isApiError(e) && e.code).toBe(415);
      expect((e as Error).message).toMatch(/^strategic merge patch is not supported for custom resources/);
    }
  });
});
