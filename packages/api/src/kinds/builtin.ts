import type { KubeObject } from '../meta';
import { Scheme, type KindDefinition } from '../scheme';
import { defaulters } from '../defaults/index';
import { validators } from '../validation/index';
import { legacyVersions } from '../codec/legacy';

type Def = Omit<KindDefinition, 'defaulter' | 'validate'>;

const replicasScale = { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' };

/** The built-in kinds with their upstream resource names, short names and scope. */
export const builtinKinds: readonly Def[] = [
  { group: '', version: 'v1', kind: 'Pod', plural: 'pods', shortNames: ['po'], namespaced: true, categories: ['all'] },
  { group: '', version: 'v1', kind: 'Node', plural: 'nodes', shortNames: ['no'], namespaced: false },
  { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', shortNames: ['ns'], namespaced: false },
  { group: '', version: 'v1', kind: 'Service', plural: 'services', shortNames: ['svc'], namespaced: true, categories: ['all'] },
  { group: '', version: 'v1', kind: 'Endpoints', plural: 'endpoints', shortNames: ['ep'], singular: 'endpoints', namespaced: true, statusSubresource: false },
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', shortNames: ['cm'], namespaced: true, statusSubresource: false },
  { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true, statusSubresource: false },
  { group: '', version: 'v1', kind: 'PersistentVolume', plural: 'persistentvolumes', shortNames: ['pv'], namespaced: false },
  { group: '', version: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', shortNames: ['pvc'], namespaced: true },
  { group: '', version: 'v1', kind: 'Event', plural: 'events', shortNames: ['ev'], namespaced: true, statusSubresource: false },
  { group: '', version: 'v1', kind: 'ReplicationController', plural: 'replicationcontrollers', shortNames: ['rc'], namespaced: true, scale: { ...replicasScale, labelSelectorPath: 'spec.selector' }, categories: ['all'] },
  { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', shortNames: ['sa'], namespaced: true, statusSubresource: false },
  { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', shortNames: ['deploy'], namespaced: true, scale: replicasScale, categories: ['all'] },
  { group: 'apps', version: 'v1', kind: 'ReplicaSet', plural: 'replicasets', shortNames: ['rs'], namespaced: true, scale: replicasScale, categories: ['all'] },
  { group: 'apps', version: 'v1', kind: 'StatefulSet', plural: 'statefulsets', shortNames: ['sts'], namespaced: true, scale: replicasScale, categories: ['all'] },
  { group: 'apps', version: 'v1', kind: 'DaemonSet', plural: 'daemonsets', shortNames: ['ds'], namespaced: true, categories: ['all'] },
  { group: 'apps', version: 'v1', kind: 'ControllerRevision', plural: 'controllerrevisions', namespaced: true, statusSubresource: false },
  { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true, categories: ['all'] },
  { group: 'batch', version: 'v1', kind: 'CronJob', plural: 'cronjobs', shortNames: ['cj'], namespaced: true, categories: ['all'] },
  { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', shortNames: ['hpa'], namespaced: true, categories: ['all'] },
  { group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass', plural: 'storageclasses', shortNames: ['sc'], namespaced: false, statusSubresource: false },
  { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', plural: 'ingresses', shortNames: ['ing'], namespaced: true },
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true, statusSubresource: false },
  { group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass', plural: 'priorityclasses', shortNames: ['pc'], namespaced: false, statusSubresource: false },
  { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', shortNames: ['pdb'], namespaced: true },
];

/**
 * A new Scheme holding every built-in kind with Kubernetes' defaulting and validation,
 * and the legacy versions users still write. Each call returns an independent scheme,
 * so registering custom kinds in one never leaks into another.
 */
export function createScheme(): Scheme {
  const scheme = new Scheme();
  for (const def of builtinKinds) {
    const apiVersion = def.group ? `${def.group}/${def.version}` : def.version;
    const k = `${apiVersion}/${def.kind}`;
    scheme.register({
      ...def,
      defaulter: defaulters[k] as ((o: KubeObject) => void) | undefined,
      validate: validators[k] as KindDefinition['validate'],
    });
  }
  for (const v of legacyVersions) scheme.registerLegacy(v);
  return scheme;
}
