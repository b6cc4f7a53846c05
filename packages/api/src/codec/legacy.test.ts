import { describe, expect, it } from 'vitest';
import { createScheme } from '../kinds/builtin';
import type { KubeObject } from '../meta';
import { legacyVersions } from './legacy';

const scheme = createScheme();

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** Converts through the scheme, on a frozen input: a conversion that mutates its input throws. */
const served = (o: KubeObject) => scheme.toServed(deepFreeze(structuredClone(o)));

const meta = { name: 'web', namespace: 'default' };
const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } };

describe('legacy versions', () => {
  it('each names a served version, and each served kind exists', () => {
    for (const v of legacyVersions) {
      expect(scheme.lookup(v.apiVersion, v.kind), `${v.apiVersion} ${v.kind} must not be served`).toBeUndefined();
      expect(scheme.lookup(v.use, v.kind), `${v.use} ${v.kind}`).toBeDefined();
      expect(scheme.legacyVersion(v.apiVersion, v.kind)).toBe(v);
    }
  });

  it.each([
    ['batch/v1beta1', 'CronJob', 'batch/v1'],
    ['batch/v2alpha1', 'CronJob', 'batch/v1'],
    ['autoscaling/v2beta2', 'HorizontalPodAutoscaler', 'autoscaling/v2'],
    ['storage.k8s.io/v1beta1', 'StorageClass', 'storage.k8s.io/v1'],
    ['scheduling.k8s.io/v1beta1', 'PriorityClass', 'scheduling.k8s.io/v1'],
    ['scheduling.k8s.io/v1alpha1', 'PriorityClass', 'scheduling.k8s.io/v1'],
    ['coordination.k8s.io/v1beta1', 'Lease', 'coordination.k8s.io/v1'],
    ['apps/v1beta2', 'ControllerRevision', 'apps/v1'],
  ])('%s %s has the shape of %s: only apiVersion changes', (apiVersion, kind, use) => {
    const o = { apiVersion, kind, metadata: meta, spec: { a: 1, b: { c: ['d'] } }, provisioner: 'x', value: 7 };
    expect(served(o)).toEqual({ ...o, apiVersion: use });
  });

  describe('Ingress (networking.k8s.io/v1beta1, extensions/v1beta1 → networking.k8s.io/v1)', () => {
    it.each(['networking.k8s.io/v1beta1', 'extensions/v1beta1'])('converts backends, the default backend and path types from %s', (apiVersion) => {
      const o = {
        apiVersion,
        kind: 'Ingress',
        metadata: meta,
        spec: {
          ingressClassName: 'nginx',
          backend: { serviceName: 'default-http', servicePort: 80 },
          tls: [{ hosts: ['a.example.com'], secretName: 'tls' }],
          rules: [
            {
              host: 'a.example.com',
              http: {
                paths: [
                  { path: '/a', backend: { serviceName: 'a', servicePort: 8080 } },
                  { path: '/b', pathType: 'Prefix', backend: { serviceName: 'b', servicePort: 'http' } },
                  { path: '/c', pathType: 'Exact', backend: { resource: { apiGroup: 'k8s.example.com', kind: 'Bucket', name: 'static' } } },
                ],
              },
            },
          ],
        },
        status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } },
      };
      expect(served(o)).toEqual({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: meta,
        spec: {
          ingressClassName: 'nginx',
          defaultBackend: { service: { name: 'default-http', port: { number: 80 } } },
          tls: [{ hosts: ['a.example.com'], secretName: 'tls' }],
          rules: [
            {
              host: 'a.example.com',
              http: {
                paths: [
                  { path: '/a', pathType: 'ImplementationSpecific', backend: { service: { name: 'a', port: { number: 8080 } } } },
                  { path: '/b', pathType: 'Prefix', backend: { service: { name: 'b', port: { name: 'http' } } } },
                  { path: '/c', pathType: 'Exact', backend: { resource: { apiGroup: 'k8s.example.com', kind: 'Bucket', name: 'static' } } },
                ],
              },
            },
          ],
        },
        status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } },
      });
    });
  });

  describe('workloads (apps/v1beta1, apps/v1beta2, extensions/v1beta1 → apps/v1)', () => {
    it.each([
      ['apps/v1beta1', 'Deployment'],
      ['apps/v1beta1', 'StatefulSet'],
      ['apps/v1beta2', 'Deployment'],
      ['apps/v1beta2', 'StatefulSet'],
      ['apps/v1beta2', 'DaemonSet'],
      ['apps/v1beta2', 'ReplicaSet'],
      ['extensions/v1beta1', 'Deployment'],
      ['extensions/v1beta1', 'DaemonSet'],
      ['extensions/v1beta1', 'ReplicaSet'],
    ])('%s %s gets its selector from the template labels when it has none', (apiVersion, kind) => {
      const out = served({ apiVersion, kind, metadata: meta, spec: { template } });
      expect(out.apiVersion).toBe('apps/v1');
      expect((out.spec as { selector: unknown }).selector).toEqual({ matchLabels: { app: 'web' } });
    });

    it('keeps a selector that is there', () => {
      const selector = { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] };
      expect(served({ apiVersion: 'apps/v1beta2', kind: 'ReplicaSet', metadata: meta, spec: { selector, template } }).spec).toEqual({ selector, template });
    });

    it.each([
      ['extensions/v1beta1', { revisionHistoryLimit: 2147483647, progressDeadlineSeconds: 2147483647, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }],
      ['apps/v1beta1', { revisionHistoryLimit: 2 }],
      ['apps/v1beta2', {}],
    ])('a %s Deployment keeps the defaults of its version where apps/v1 would differ', (apiVersion, defaults) => {
      expect(served({ apiVersion, kind: 'Deployment', metadata: meta, spec: { replicas: 2, template } }).spec).toEqual({ replicas: 2, template, selector: { matchLabels: { app: 'web' } }, ...defaults });
    });

    it('does not put old defaults over values that are set, nor rolling update settings on Recreate', () => {
      const spec = { selector: { matchLabels: { app: 'web' } }, template, revisionHistoryLimit: 5, progressDeadlineSeconds: 60, strategy: { type: 'Recreate' } };
      expect(served({ apiVersion: 'extensions/v1beta1', kind: 'Deployment', metadata: meta, spec }).spec).toEqual(spec);
      const partial = { ...spec, strategy: { rollingUpdate: { maxSurge: '50%' } } };
      expect((served({ apiVersion: 'extensions/v1beta1', kind: 'Deployment', metadata: meta, spec: partial }).spec as { strategy: unknown }).strategy).toEqual({
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '50%', maxUnavailable: 1 },
      });
    });

    it('drops spec.rollbackTo, which apps/v1 does not have', () => {
      const out = served({ apiVersion: 'apps/v1beta1', kind: 'Deployment', metadata: meta, spec: { template, rollbackTo: { revision: 3 } } });
      expect(out.spec).not.toHaveProperty('rollbackTo');
    });

    it.each([
      ['extensions/v1beta1', 'DaemonSet', 'OnDelete'],
      ['apps/v1beta1', 'StatefulSet', 'OnDelete'],
    ])('a %s %s keeps its old default update strategy', (apiVersion, kind, type) => {
      expect((served({ apiVersion, kind, metadata: meta, spec: { template } }).spec as { updateStrategy: unknown }).updateStrategy).toEqual({ type });
    });

    it('moves an extensions/v1beta1 DaemonSet templateGeneration into its annotation', () => {
      const out = served({ apiVersion: 'extensions/v1beta1', kind: 'DaemonSet', metadata: meta, spec: { template, templateGeneration: 4, updateStrategy: { type: 'RollingUpdate' } } });
      expect(out.metadata?.annotations).toEqual({ 'deprecated.daemonset.template.generation': '4' });
      expect(out.spec).not.toHaveProperty('templateGeneration');
    });
  });

  describe('HorizontalPodAutoscaler (autoscaling/v1, v2beta1 → autoscaling/v2)', () => {
    const scaleTargetRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };

    it('turns autoscaling/v1 targetCPUUtilizationPercentage into a Resource metric', () => {
      const o = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: meta, spec: { scaleTargetRef, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 60 }, status: { currentReplicas: 2, desiredReplicas: 2, currentCPUUtilizationPercentage: 40 } };
      expect(served(o)).toEqual({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: meta,
        spec: { scaleTargetRef, minReplicas: 1, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }] },
        status: { currentReplicas: 2, desiredReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 40 } } }] },
      });
    });

    it('leaves metrics out of an autoscaling/v1 object without a target, for v2 defaulting', () => {
      expect(served({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: meta, spec: { scaleTargetRef, maxReplicas: 3 } }).spec).toEqual({ scaleTargetRef, maxReplicas: 3 });
    });

    it('moves the metrics and behavior annotations of autoscaling/v1 into the spec', () => {
      const metrics = [{ type: 'Pods', pods: { metricName: 'qps', targetAverageValue: '10' } }];
      const behavior = { scaleDown: { stabilizationWindowSeconds: 60 } };
      const o = {
        apiVersion: 'autoscaling/v1',
        kind: 'HorizontalPodAutoscaler',
        metadata: { ...meta, annotations: { 'autoscaling.alpha.kubernetes.io/metrics': JSON.stringify(metrics), 'autoscaling.alpha.kubernetes.io/behavior': JSON.stringify(behavior), keep: 'me' } },
        spec: { scaleTargetRef, maxReplicas: 3, targetCPUUtilizationPercentage: 50 },
      };
      expect(served(o)).toEqual({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { ...meta, annotations: { keep: 'me' } },
        spec: {
          scaleTargetRef,
          maxReplicas: 3,
          behavior,
          metrics: [
            { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
            { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
          ],
        },
      });
    });

    it('refuses an autoscaling/v1 metrics annotation that is not JSON, naming the version to use', () => {
      const o = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { ...meta, annotations: { 'autoscaling.alpha.kubernetes.io/metrics': '[' } } };
      expect(() => served(o)).toThrow('HorizontalPodAutoscaler in version "autoscaling/v1" is no longer served; use apiVersion: autoscaling/v2 (cannot convert: annotation autoscaling.alpha.kubernetes.io/metrics is not valid JSON)');
    });

    it('converts every v2beta1 metric and metric status to the v2 shape', () => {
      const selector = { matchLabels: { a: 'b' } };
      const target = { apiVersion: 'v1', kind: 'Service', name: 'front' };
      const o = {
        apiVersion: 'autoscaling/v2beta1',
        kind: 'HorizontalPodAutoscaler',
        metadata: meta,
        spec: {
          scaleTargetRef,
          maxReplicas: 10,
          metrics: [
            { type: 'Resource', resource: { name: 'cpu', targetAverageUtilization: 70 } },
            { type: 'Resource', resource: { name: 'memory', targetAverageValue: '1Gi' } },
            { type: 'ContainerResource', containerResource: { name: 'cpu', container: 'app', targetAverageUtilization: 50 } },
            { type: 'Pods', pods: { metricName: 'qps', targetAverageValue: '100', selector } },
            { type: 'Object', object: { target, metricName: 'rps', targetValue: '2k' } },
            { type: 'Object', object: { target, metricName: 'rps', targetValue: '2k', averageValue: '200' } },
            { type: 'External', external: { metricName: 'queue', metricSelector: selector, targetValue: '30' } },
            { type: 'External', external: { metricName: 'queue', targetAverageValue: '3' } },
          ],
        },
        status: {
          currentMetrics: [
            { type: 'Resource', resource: { name: 'cpu', currentAverageUtilization: 12, currentAverageValue: '120m' } },
            { type: 'Pods', pods: { metricName: 'qps', currentAverageValue: '90' } },
            { type: 'Object', object: { target, metricName: 'rps', currentValue: '1k' } },
            { type: 'External', external: { metricName: 'queue', currentValue: '20', currentAverageValue: '2' } },
          ],
        },
      };
      expect(served(o)).toEqual({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: meta,
        spec: {
          scaleTargetRef,
          maxReplicas: 10,
          metrics: [
            { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
            { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '1Gi' } } },
            { type: 'ContainerResource', containerResource: { name: 'cpu', container: 'app', target: { type: 'Utilization', averageUtilization: 50 } } },
            { type: 'Pods', pods: { metric: { name: 'qps', selector }, target: { type: 'AverageValue', averageValue: '100' } } },
            { type: 'Object', object: { describedObject: target, metric: { name: 'rps' }, target: { type: 'Value', value: '2k' } } },
            { type: 'Object', object: { describedObject: target, metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '200' } } },
            { type: 'External', external: { metric: { name: 'queue', selector }, target: { type: 'Value', value: '30' } } },
            { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'AverageValue', averageValue: '3' } } },
          ],
        },
        status: {
          currentMetrics: [
            { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 12, averageValue: '120m' } } },
            { type: 'Pods', pods: { metric: { name: 'qps' }, current: { averageValue: '90' } } },
            { type: 'Object', object: { describedObject: target, metric: { name: 'rps' }, current: { value: '1k' } } },
            { type: 'External', external: { metric: { name: 'queue' }, current: { value: '20', averageValue: '2' } } },
          ],
        },
      });
    });
  });

  describe('PodDisruptionBudget (policy/v1beta1 → policy/v1)', () => {
    const pdb = (selector: unknown) => ({ apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: meta, spec: { minAvailable: 1, selector } });
    const selectorOf = (o: KubeObject) => (o.spec as { selector: unknown }).selector;

    it('keeps an empty v1beta1 selector selecting nothing (in v1 it would select everything)', () => {
      expect(selectorOf(served(pdb({})))).toEqual({ matchExpressions: [{ key: 'pdb.kubernetes.io/deprecated-v1beta1-empty-selector-match', operator: 'Exists' }] });
    });

    it("turns v1beta1's match-all spelling into v1's empty selector", () => {
      expect(selectorOf(served(pdb({ matchExpressions: [{ key: 'pdb.kubernetes.io/deprecated-v1beta1-empty-selector-match', operator: 'DoesNotExist' }] })))).toEqual({});
    });

    it('keeps any other selector', () => {
      expect(selectorOf(served(pdb({ matchLabels: { app: 'web' } })))).toEqual({ matchLabels: { app: 'web' } });
    });
  });

  it.each(legacyVersions.filter((v) => v.convert).map((v) => [v.apiVersion, v.kind] as const))('%s %s converts malformed objects without throwing', (apiVersion, kind) => {
    for (const body of [
      { spec: 'x' },
      { spec: { rules: 'x', template: 'x', selector: null, metrics: 'x', strategy: 'x', backend: 5 } },
      { spec: { rules: [1, { http: { paths: [2, { backend: 'x' }] } }], template: { metadata: { labels: 'x' } }, metrics: [1, { resource: 'x' }], selector: { matchExpressions: 'x' } } },
      { metadata: { annotations: 'x' }, status: { currentMetrics: [null] } },
    ]) {
      expect(() => served({ apiVersion, kind, ...body } as KubeObject)).not.toThrow();
    }
  });
});
