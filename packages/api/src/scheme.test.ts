import { describe, expect, it } from 'vitest';
import { isApiError } from './errors';
import { createScheme } from './kinds/builtin';

describe('Scheme', () => {
  const scheme = createScheme();

  it.each([
    ['po', 'Pod', 'v1'],
    ['pods', 'Pod', 'v1'],
    ['deploy', 'Deployment', 'apps/v1'],
    ['deployments.apps', 'Deployment', 'apps/v1'],
    ['rs', 'ReplicaSet', 'apps/v1'],
    ['rc', 'ReplicationController', 'v1'],
    ['sts', 'StatefulSet', 'apps/v1'],
    ['ds', 'DaemonSet', 'apps/v1'],
    ['svc', 'Service', 'v1'],
    ['cm', 'ConfigMap', 'v1'],
    ['pv', 'PersistentVolume', 'v1'],
    ['pvc', 'PersistentVolumeClaim', 'v1'],
    ['hpa', 'HorizontalPodAutoscaler', 'autoscaling/v2'],
    ['ns', 'Namespace', 'v1'],
    ['cj', 'CronJob', 'batch/v1'],
    ['job', 'Job', 'batch/v1'],
    ['Lease', 'Lease', 'coordination.k8s.io/v1'],
    ['priorityclasses', 'PriorityClass', 'scheduling.k8s.io/v1'],
  ])('resolves the resource name %s to %s', (name, kind, apiVersion) => {
    const info = scheme.resolveResource(name);
    expect(info?.kind).toBe(kind);
    expect(info?.apiVersion).toBe(apiVersion);
  });

  it.each([
    ['Pod', 'v1', true],
    ['Node', 'v1', false],
    ['Namespace', 'v1', false],
    ['PersistentVolume', 'v1', false],
    ['StorageClass', 'storage.k8s.io/v1', false],
    ['PriorityClass', 'scheduling.k8s.io/v1', false],
    ['Deployment', 'apps/v1', true],
  ])('knows %s is namespaced: %s', (kind, apiVersion, namespaced) => {
    expect(scheme.lookup(apiVersion, kind)?.namespaced).toBe(namespaced);
  });

  it('gives the scale subresource only to kinds that have one', () => {
    const scalable = scheme.kinds().filter((k) => k.scale).map((k) => k.kind).sort();
    expect(scalable).toEqual(['Deployment', 'ReplicaSet', 'ReplicationController', 'StatefulSet']);
  });

  it('registers custom kinds and refuses duplicates', () => {
    const s = createScheme();
    s.register({ group: 'example.com', version: 'v1', kind: 'Widget', plural: 'widgets', shortNames: ['wd'], namespaced: true });
    expect(s.resolveResource('wd')?.apiVersion).toBe('example.com/v1');
    expect(s.resolveResource('widgets.example.com')?.kind).toBe('Widget');
    expect(() => s.register({ group: 'example.com', version: 'v1', kind: 'Widget', plural: 'widgets', namespaced: true })).toThrow(/already registered/);
    expect(createScheme().lookup('example.com/v1', 'Widget')).toBeUndefined();
  });

  it('answers an unknown kind with a 404 that names it', () => {
    try {
      scheme.require('v1', 'Pdo');
      expect.unreachable();
    } catch (e) {
      expect(isApiError(e) && e.code).toBe(404);
      expect((e as Error).message).toBe('no matches for kind "Pdo" in version "v1"');
    }
  });

  it('names the served version when a kind is asked for in the wrong one', () => {
    expect(() => scheme.require('v1', 'Deployment')).toThrow('no matches for kind "Deployment" in version "v1"; use apps/v1');
  });
});
