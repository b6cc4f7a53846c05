import { describe, expect, it } from 'vitest';
import { defaultObject } from '../defaults/index';
import { objectWith, startsWith } from './fixtures';
import { validateObject } from './index';

const cause = (field: string, message: string) => expect.objectContaining({ field, message: expect.stringMatching(startsWith(message)) });
const HPA = 'autoscaling/v2/HorizontalPodAutoscaler';
const cpu = (target: Record<string, unknown>) => [{ type: 'Resource', resource: { name: 'cpu', target } }];

describe('HorizontalPodAutoscaler validation', () => {
  it.each<[string, (o: any) => void, string, string]>([
    ['the target kind is required', (o) => delete o.spec.scaleTargetRef.kind, 'spec.scaleTargetRef.kind', 'Required value'],
    ['the target name is required', (o) => delete o.spec.scaleTargetRef.name, 'spec.scaleTargetRef.name', 'Required value'],
    ['minReplicas is at least 1', (o) => (o.spec.minReplicas = 0), 'spec.minReplicas', 'Invalid value: 0: must be greater than or equal to 1'],
    ['maxReplicas is positive', (o) => (o.spec.maxReplicas = 0), 'spec.maxReplicas', 'Invalid value: 0: must be greater than 0'],
    ['maxReplicas is required', (o) => delete o.spec.maxReplicas, 'spec.maxReplicas', 'Invalid value: 0: must be greater than 0'],
    ['maxReplicas is at least minReplicas', (o) => Object.assign(o.spec, { minReplicas: 5, maxReplicas: 3 }), 'spec.maxReplicas', 'Invalid value: 3: must be greater than or equal to `minReplicas`'],
    ['a metric type is supported', (o) => (o.spec.metrics = [{ type: 'Cpu' }]), 'spec.metrics[0].type', 'Unsupported value: "Cpu": supported values: "Object", "Pods", "Resource", "External", "ContainerResource"'],
    ['a metric fills its own source', (o) => (o.spec.metrics = [{ type: 'Resource' }]), 'spec.metrics[0].resource', 'Required value: must populate information for the given metric source'],
    [
      'a metric fills only its own source',
      (o) => (o.spec.metrics = [{ ...cpu({ type: 'Utilization', averageUtilization: 50 })[0], pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '1k' } } }]),
      'spec.metrics[0].pods',
      'Forbidden: must populate the given metric source only',
    ],
    ['a target type is known', (o) => (o.spec.metrics = cpu({ type: 'Percent', averageUtilization: 50 })), 'spec.metrics[0].resource.target.type', 'Invalid value: "Percent": must be either Utilization, Value, or AverageValue'],
    ['utilization is positive', (o) => (o.spec.metrics = cpu({ type: 'Utilization', averageUtilization: 0 })), 'spec.metrics[0].resource.target.averageUtilization', 'Invalid value: 0: must be greater than 0'],
    [
      'a resource metric sets a target',
      (o) => (o.spec.metrics = cpu({ type: 'Utilization' })),
      'spec.metrics[0].resource.target.averageUtilization',
      'Required value: must set either a target raw value or a target utilization',
    ],
    [
      'a pods metric sets an average value',
      (o) => (o.spec.metrics = [{ type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue' } } }]),
      'spec.metrics[0].pods.target.averageValue',
      'Required value: must specify a positive target averageValue',
    ],
    ['values are positive', (o) => (o.spec.metrics = cpu({ type: 'AverageValue', averageValue: '-1' })), 'spec.metrics[0].resource.target.averageValue', 'Invalid value: "-1": must be positive'],
    [
      'a scaling rule has policies',
      (o) => (o.spec.behavior = { scaleUp: { policies: [] } }),
      'spec.behavior.scaleUp.policies',
      'Required value: must specify at least one Policy',
    ],
    [
      'a stabilization window is at most an hour',
      (o) => (o.spec.behavior = { scaleDown: { stabilizationWindowSeconds: 3601 } }),
      'spec.behavior.scaleDown.stabilizationWindowSeconds',
      'Invalid value: 3601: must be less than or equal to 3600',
    ],
    [
      'a policy type is Pods or Percent',
      (o) => (o.spec.behavior = { scaleUp: { policies: [{ type: 'Nodes', value: 1, periodSeconds: 60 }] } }),
      'spec.behavior.scaleUp.policies[0].type',
      'Unsupported value: "Nodes": supported values: "Pods", "Percent"',
    ],
    [
      'a policy period is at most 30 minutes',
      (o) => (o.spec.behavior = { scaleUp: { policies: [{ type: 'Pods', value: 1, periodSeconds: 1801 }] } }),
      'spec.behavior.scaleUp.policies[0].periodSeconds',
      'Invalid value: 1801: must be less than or equal to 1800',
    ],
    ['a select policy is supported', (o) => (o.spec.behavior = { scaleUp: { selectPolicy: 'Avg' } }), 'spec.behavior.scaleUp.selectPolicy', 'Unsupported value: "Avg": supported values: "Disabled", "Max", "Min"'],
  ])('%s', (_, change, field, message) => {
    expect(validateObject(defaultObject(objectWith(HPA, change)))).toContainEqual(cause(field, message));
  });

  it.each<[string, (o: any) => void]>([
    ['the seed nginx autoscaler', (o) => Object.assign(o.spec, { minReplicas: 1, maxReplicas: 10, metrics: cpu({ type: 'Utilization', averageUtilization: 50 }) })],
    ['an external metric', (o) => (o.spec.metrics = [{ type: 'External', external: { metric: { name: 'queue_depth', selector: { matchLabels: { queue: 'jobs' } } }, target: { type: 'Value', value: '30' } } }])],
    ['an object metric', (o) => (o.spec.metrics = [{ type: 'Object', object: { describedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'web' }, metric: { name: 'requests-per-second' }, target: { type: 'Value', value: '10k' } } }])],
    ['a container resource metric', (o) => (o.spec.metrics = [{ type: 'ContainerResource', containerResource: { name: 'memory', container: 'app', target: { type: 'AverageValue', averageValue: '500Mi' } } }])],
    ['disabled scale down', (o) => (o.spec.behavior = { scaleDown: { selectPolicy: 'Disabled' } })],
  ])('accepts %s', (_, change) => {
    expect(validateObject(defaultObject(objectWith(HPA, change)))).toEqual([]);
  });
});
