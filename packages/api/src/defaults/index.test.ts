import { describe, expect, it } from 'vitest';
import { allKinds, minimalObjects, objectWith } from '../validation/fixtures';
import { defaulters, defaultObject } from './index';

describe('defaulters', () => {
  it('has one defaulter per built-in kind', () => {
    expect(Object.keys(defaulters).sort()).toEqual([...allKinds].sort());
  });

  it.each(allKinds)('defaulting %s twice changes nothing the second time', (key) => {
    const once = defaultObject(minimalObjects[key]());
    const twice = defaultObject(structuredClone(once));
    expect(twice).toEqual(once);
  });

  it.each(allKinds)('defaulting %s survives a JSON round trip unchanged', (key) => {
    const once = defaultObject(minimalObjects[key]());
    expect(defaultObject(JSON.parse(JSON.stringify(once)))).toEqual(once);
  });

  it.each(allKinds)('defaulting %s tolerates garbage fields', (key) => {
    for (const garbage of [null, 'x', 3, [], [null]]) {
      const obj = minimalObjects[key]();
      for (const k of Object.keys(obj)) if (k !== 'apiVersion' && k !== 'kind') obj[k] = garbage;
      expect(() => defaultObject(obj)).not.toThrow();
    }
  });
});

describe('defaultObject', () => {
  it('leaves unknown kinds alone', () => {
    const obj = { apiVersion: 'example.com/v1', kind: 'Widget', spec: {} };
    expect(defaultObject(obj)).toEqual({ apiVersion: 'example.com/v1', kind: 'Widget', spec: {} });
  });

  it('leaves non-objects alone', () => {
    expect(defaultObject(null)).toBeNull();
    expect(defaultObject('x')).toBe('x');
  });
});

describe('kind defaults', () => {
  it.each<[string, string, (o: any) => void, any, string[]?]>([
    [
      'a Deployment gets replicas, a RollingUpdate strategy, history and deadline',
      'apps/v1/Deployment',
      (o) => delete o.spec.replicas,
      { spec: { replicas: 1, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }, revisionHistoryLimit: 10, progressDeadlineSeconds: 600 } },
    ],
    ['a Recreate Deployment gets no rollingUpdate', 'apps/v1/Deployment', (o) => (o.spec.strategy = { type: 'Recreate' }), { spec: { strategy: { type: 'Recreate' } } }],
    ['a Deployment template gets pod spec defaults', 'apps/v1/Deployment', () => {}, { spec: { template: { spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' } } } }],
    ['a ReplicaSet gets replicas 1', 'apps/v1/ReplicaSet', (o) => delete o.spec.replicas, { spec: { replicas: 1 } }],
    [
      'a ReplicationController gets its selector and labels from the template',
      'v1/ReplicationController',
      (o) => {
        delete o.spec.selector;
        delete o.spec.replicas;
      },
      { metadata: { labels: { app: 'web' } }, spec: { replicas: 1, selector: { app: 'web' } } },
    ],
    [
      'a StatefulSet gets its policies and retention',
      'apps/v1/StatefulSet',
      (o) => delete o.spec.replicas,
      {
        spec: {
          replicas: 1,
          podManagementPolicy: 'OrderedReady',
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
          revisionHistoryLimit: 10,
          persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        },
      },
    ],
    [
      'StatefulSet volumeClaimTemplates get volumeMode Filesystem',
      'apps/v1/StatefulSet',
      (o) => (o.spec.volumeClaimTemplates = [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }]),
      { spec: { volumeClaimTemplates: [{ spec: { volumeMode: 'Filesystem' }, status: { phase: 'Pending' } }] } },
    ],
    [
      'a DaemonSet gets a RollingUpdate of one unavailable and no surge',
      'apps/v1/DaemonSet',
      () => {},
      { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 } },
    ],
    [
      'a Job without completions and parallelism gets both 1',
      'batch/v1/Job',
      () => {},
      { spec: { completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false, podReplacementPolicy: 'TerminatingOrFailed' } },
    ],
    ['a Job with only parallelism keeps completions unset', 'batch/v1/Job', (o) => (o.spec.parallelism = 2), { spec: { parallelism: 2 } }, ['spec.completions']],
    ['a Job with only completions gets parallelism 1', 'batch/v1/Job', (o) => (o.spec.completions = 5), { spec: { completions: 5, parallelism: 1 } }],
    [
      'a Job takes its labels from the template',
      'batch/v1/Job',
      (o) => (o.spec.template.metadata = { labels: { app: 'batch-job' } }),
      { metadata: { labels: { app: 'batch-job' } } },
    ],
    [
      'a Job template gets no restartPolicy',
      'batch/v1/Job',
      (o) => delete o.spec.template.spec.restartPolicy,
      { spec: { template: { spec: { dnsPolicy: 'ClusterFirst' } } } },
      ['spec.template.spec.restartPolicy'],
    ],
    [
      'a CronJob gets its policies and history limits',
      'batch/v1/CronJob',
      () => {},
      { spec: { concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 } },
    ],
    [
      'a Service gets ClusterIP, no affinity, TCP, targetPort and policies',
      'v1/Service',
      (o) => (o.spec.ports = [{ port: 80 }]),
      { spec: { type: 'ClusterIP', sessionAffinity: 'None', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], internalTrafficPolicy: 'Cluster', ipFamilyPolicy: 'SingleStack' } },
    ],
    [
      'a NodePort Service gets externalTrafficPolicy Cluster',
      'v1/Service',
      (o) => (o.spec.type = 'NodePort'),
      { spec: { type: 'NodePort', externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster' } },
    ],
    ['a LoadBalancer Service allocates node ports', 'v1/Service', (o) => (o.spec.type = 'LoadBalancer'), { spec: { allocateLoadBalancerNodePorts: true, externalTrafficPolicy: 'Cluster' } }],
    [
      'a ClientIP Service gets a three-hour affinity timeout',
      'v1/Service',
      (o) => (o.spec.sessionAffinity = 'ClientIP'),
      { spec: { sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } } } },
    ],
    ['a Service clusterIP fills clusterIPs', 'v1/Service', (o) => (o.spec.clusterIP = 'None'), { spec: { clusterIP: 'None', clusterIPs: ['None'] } }],
    ['Endpoints ports get TCP', 'v1/Endpoints', () => {}, { subsets: [{ ports: [{ port: 8080, protocol: 'TCP' }] }] }],
    ['a PersistentVolumeClaim gets Filesystem and Pending', 'v1/PersistentVolumeClaim', () => {}, { spec: { volumeMode: 'Filesystem' }, status: { phase: 'Pending' } }],
    [
      'a PersistentVolume gets Retain, Filesystem and Pending',
      'v1/PersistentVolume',
      () => {},
      { spec: { persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem', hostPath: { type: '' } }, status: { phase: 'Pending' } },
    ],
    ['a Namespace gets phase Active', 'v1/Namespace', () => {}, { status: { phase: 'Active' } }],
    [
      'a Node gets allocatable from capacity',
      'v1/Node',
      (o) => (o.status = { capacity: { cpu: '4', memory: '8Gi', pods: '110' } }),
      { status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } } },
    ],
    ['a Secret gets type Opaque', 'v1/Secret', () => {}, { type: 'Opaque' }],
    [
      'a Secret moves stringData into data',
      'v1/Secret',
      (o) => (o.stringData = { password: 'hunter2', note: 'héllo' }),
      { data: { password: 'aHVudGVyMg==', note: 'aMOpbGxv' } },
      ['stringData'],
    ],
    [
      'an HPA gets minReplicas, an 80% CPU metric and behavior',
      'autoscaling/v2/HorizontalPodAutoscaler',
      () => {},
      {
        spec: {
          minReplicas: 1,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
          behavior: {
            scaleUp: {
              stabilizationWindowSeconds: 0,
              selectPolicy: 'Max',
              policies: [
                { type: 'Pods', value: 4, periodSeconds: 15 },
                { type: 'Percent', value: 100, periodSeconds: 15 },
              ],
            },
            scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
          },
        },
      },
    ],
    [
      'an HPA keeps its own behavior parts',
      'autoscaling/v2/HorizontalPodAutoscaler',
      (o) => (o.spec.behavior = { scaleDown: { stabilizationWindowSeconds: 60 } }),
      { spec: { behavior: { scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max' }, scaleUp: { stabilizationWindowSeconds: 0 } } } },
    ],
    ['a StorageClass gets Delete and Immediate', 'storage.k8s.io/v1/StorageClass', () => {}, { reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' }],
    ['a PriorityClass gets PreemptLowerPriority', 'scheduling.k8s.io/v1/PriorityClass', () => {}, { preemptionPolicy: 'PreemptLowerPriority' }],
  ])('%s', (_, key, change, expected, absent = []) => {
    const obj = defaultObject(objectWith(key, change));
    expect(obj).toMatchObject(expected);
    for (const path of absent) expect(path.split('.').reduce((o, k) => o?.[k], obj), path).toBeUndefined();
  });

  it('keeps a user-set Job completions with parallelism', () => {
    const obj = defaultObject(objectWith('batch/v1/Job', (o) => Object.assign(o.spec, { completions: 8, parallelism: 2 })));
    expect(obj.spec).toMatchObject({ completions: 8, parallelism: 2 });
  });

  it('does not add the kubernetes finalizer to a Namespace (the create strategy does)', () => {
    expect(defaultObject(minimalObjects['v1/Namespace']()).spec).toBeUndefined();
  });

  it('leaves the job template of a CronJob without Job-level defaults, as upstream', () => {
    const obj = defaultObject(minimalObjects['batch/v1/CronJob']());
    expect(obj.spec.jobTemplate.spec.backoffLimit).toBeUndefined();
    expect(obj.spec.jobTemplate.spec.template.spec.restartPolicy).toBe('OnFailure');
  });
});
