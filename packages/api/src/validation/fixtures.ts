// Minimal valid objects of every built-in kind, shared by the defaulting and validation
// tests. Not exported from the package.

const ns = { namespace: 'default' };
const labels = (): Record<string, string> => ({ app: 'web' });
const template = (extra: Record<string, unknown> = {}) => ({
  metadata: { labels: labels() },
  spec: { containers: [{ name: 'web', image: 'nginx:1.25' }], ...extra },
});

/** One minimal valid object per built-in kind, keyed by `apiVersion/Kind`; call to get a fresh copy. */
export const minimalObjects: Record<string, () => any> = {
  'v1/Pod': () => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nginx', ...ns }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } }),
  'v1/Node': () => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } }),
  'v1/Namespace': () => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } }),
  'v1/Service': () => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', ...ns }, spec: { selector: labels(), ports: [{ port: 80, targetPort: 8080 }] } }),
  'v1/Endpoints': () => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', ...ns }, subsets: [{ addresses: [{ ip: '10.1.0.5' }], ports: [{ port: 8080 }] }] }),
  'v1/ConfigMap': () => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config', ...ns }, data: { 'app.properties': 'a=b' } }),
  'v1/Secret': () => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'auth', ...ns }, data: { password: 'cGFzc3dvcmQ=' } }),
  'v1/PersistentVolume': () => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'pv-1' },
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/pv-1' } },
  }),
  'v1/PersistentVolumeClaim': () => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', ...ns },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  }),
  'v1/Event': () => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'nginx.17a8f0', ...ns },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'nginx', namespace: 'default' },
    reason: 'Scheduled',
    message: 'Successfully assigned default/nginx to node-1',
    type: 'Normal',
  }),
  'v1/ReplicationController': () => ({
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name: 'web', ...ns },
    spec: { replicas: 2, selector: labels(), template: template() },
  }),
  'v1/ServiceAccount': () => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder', ...ns } }),
  'apps/v1/Deployment': () => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', ...ns },
    spec: { replicas: 3, selector: { matchLabels: labels() }, template: template() },
  }),
  'apps/v1/ReplicaSet': () => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', ...ns },
    spec: { replicas: 3, selector: { matchLabels: labels() }, template: template() },
  }),
  'apps/v1/StatefulSet': () => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', ...ns },
    spec: { serviceName: 'db', replicas: 2, selector: { matchLabels: labels() }, template: template() },
  }),
  'apps/v1/DaemonSet': () => ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', ...ns },
    spec: { selector: { matchLabels: labels() }, template: template() },
  }),
  'apps/v1/ControllerRevision': () => ({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'web-5b9f8f4d84', ...ns }, data: {}, revision: 1 }),
  'batch/v1/Job': () => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'sleep', ...ns },
    spec: { template: { spec: { containers: [{ name: 'sleep', image: 'busybox', command: ['/bin/sleep', '30'] }], restartPolicy: 'OnFailure' } } },
  }),
  'batch/v1/CronJob': () => ({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'sleep', ...ns },
    spec: {
      schedule: '0 3 * * *',
      jobTemplate: { spec: { template: { spec: { containers: [{ name: 'sleep', image: 'busybox' }], restartPolicy: 'OnFailure' } } } },
    },
  }),
  'autoscaling/v2/HorizontalPodAutoscaler': () => ({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', ...ns },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 10 },
  }),
  'storage.k8s.io/v1/StorageClass': () => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, provisioner: 'k8s.io/minikube-hostpath' }),
  'networking.k8s.io/v1/Ingress': () => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', ...ns },
    spec: { rules: [{ host: 'web.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
  }),
  'coordination.k8s.io/v1/Lease': () => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'node-1', namespace: 'kube-node-lease' },
    spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.000000Z' },
  }),
  'scheduling.k8s.io/v1/PriorityClass': () => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 }),
  'policy/v1/PodDisruptionBudget': () => ({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web', ...ns },
    spec: { minAvailable: 1, selector: { matchLabels: labels() } },
  }),
};

/** The kind keys of {@link minimalObjects}. */
export const allKinds = Object.keys(minimalObjects);

/** A fresh minimal object of `key` with `change` applied: the starting point of table tests. */
export function objectWith(key: string, change: (obj: any) => void = () => {}): any {
  const obj = minimalObjects[key]();
  change(obj);
  return obj;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A RegExp matching messages that start with `prefix`. */
export function startsWith(prefix: string): RegExp {
  return new RegExp(`^${escapeRegExp(prefix)}`);
}
