import { describe, expect, it } from 'vitest';
import { createScheme, type Deployment, type KubeObject, type Pod } from '@bosun/api';
import { createTestEnv, LAST_APPLIED_ANNOTATION } from '../src/index';
import { configMap, deployment, expectApiError, pod } from './fixtures';

describe('patch', () => {
  it('merge patch: sets, replaces and deletes with null', async () => {
    await using env = await createTestEnv();
    await env.client.create({ ...configMap('c', { a: '1', b: '2' }), metadata: { name: 'c', namespace: 'default', labels: { x: 'y' } } });
    const out = await env.client.patch('v1', 'ConfigMap', 'default', 'c', { data: { a: '10', b: null, c: '3' }, metadata: { labels: { z: 'w' } } });
    expect(out.data).toEqual({ a: '10', c: '3' });
    expect(out.metadata.labels).toEqual({ x: 'y', z: 'w' });
  });

  it('json patch: operations in order; a failing test operation is a 422 and changes nothing', async () => {
    await using env = await createTestEnv();
    const d = await env.client.create(deployment('web'));
    const out = await env.client.patch('apps/v1', 'Deployment', 'default', 'web', [
      { op: 'test', path: '/spec/replicas', value: 3 },
      { op: 'replace', path: '/spec/replicas', value: 4 },
      { op: 'add', path: '/metadata/labels/tier', value: 'front' },
    ], { type: 'json' });
    expect(out.spec?.replicas).toBe(4);
    expect(out.metadata.labels).toEqual({ app: 'web', tier: 'front' });
    expect(out.metadata.generation).toBe(2);
    await expectApiError(env.client.patch('apps/v1', 'Deployment', 'default', 'web', [{ op: 'test', path: '/spec/replicas', value: 3 }, { op: 'replace', path: '/spec/replicas', value: 9 }], { type: 'json' }), 'Invalid', 422);
    expect((await env.client.get('apps/v1', 'Deployment', 'default', 'web')).spec?.replicas).toBe(4);
    void d;
  });

  it('strategic merge patch merges a Deployment’s containers by name', async () => {
    await using env = await createTestEnv();
    const d = deployment('web');
    d.spec.template.spec.containers.push({ name: 'sidecar', image: 'envoy:1.30', ports: [] });
    await env.client.create(d);
    const out = (await env.client.patch(
      'apps/v1',
      'Deployment',
      'default',
      'web',
      { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } } },
      { type: 'strategic' },
    )) as Deployment;
    const containers = out.spec!.template.spec!.containers;
    expect(containers.map((c) => [c.name, c.image])).toEqual([
      ['web', 'nginx:1.27'],
      ['sidecar', 'envoy:1.30'],
    ]);
    expect(containers[0].ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
    // The same body as a merge patch replaces the whole list.
    const merged = (await env.client.patch('apps/v1', 'Deployment', 'default', 'web', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.28' }] } } } })) as Deployment;
    expect(merged.spec!.template.spec!.containers.map((c) => c.name)).toEqual(['web']);
  });

  it('refuses a strategic merge patch for a kind without a patch schema with 415', async () => {
    const scheme = createScheme();
    scheme.register({ group: 'example.com', version: 'v1', kind: 'Widget', plural: 'widgets', namespaced: true });
    await using env = await createTestEnv({ scheme });
    await env.client.create({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { a: 1 } });
    await expectApiError(env.client.patch('example.com/v1', 'Widget', 'default', 'w', { spec: { a: 2 } }, { type: 'strategic' }), 'UnsupportedMediaType', 415);
    const ok = await env.client.patch('example.com/v1', 'Widget', 'default', 'w', { spec: { a: 2 } });
    expect(ok.spec).toEqual({ a: 2 });
  });

  it('a resourceVersion in the patch is a precondition', async () => {
    await using env = await createTestEnv();
    const c = await env.client.create(configMap('c'));
    await env.client.patch('v1', 'ConfigMap', 'default', 'c', { data: { a: '1' } });
    const e = await expectApiError(env.client.patch('v1', 'ConfigMap', 'default', 'c', { metadata: { resourceVersion: c.metadata!.resourceVersion }, data: { a: '2' } }), 'Conflict', 409);
    expect(e.message).toContain('the object has been modified');
  });

  it('a status patch changes only status; a main-resource patch never changes status', async () => {
    await using env = await createTestEnv();
    await env.client.create(deployment('web'));
    const s = await env.client.patch('apps/v1', 'Deployment', 'default', 'web', { spec: { replicas: 9 }, status: { readyReplicas: 2 } }, { subresource: 'status' });
    expect(s.spec?.replicas).toBe(3);
    expect(s.status).toEqual({ readyReplicas: 2 });
    const m = await env.client.patch('apps/v1', 'Deployment', 'default', 'web', { spec: { replicas: 4 }, status: { readyReplicas: 7 } });
    expect(m.spec?.replicas).toBe(4);
    expect(m.status).toEqual({ readyReplicas: 2 });
  });

  it('patched objects are validated like updates', async () => {
    await using env = await createTestEnv();
    await env.client.create(deployment('web'));
    await expectApiError(env.client.patch('apps/v1', 'Deployment', 'default', 'web', { spec: { replicas: -1 } }), 'Invalid', 422);
    await expectApiError(env.client.patch('apps/v1', 'Deployment', 'default', 'missing', { spec: { replicas: 1 } }), 'NotFound', 404);
  });

  it('refuses a patch whose result has a value of the wrong type with 422 (regression: a mapping stored as metadata.finalizers crashed delete)', async () => {
    await using env = await createTestEnv();
    await env.client.create(configMap('c'));
    const e = await expectApiError(env.client.patch('v1', 'ConfigMap', 'default', 'c', [{ op: 'add', path: '/metadata/finalizers', value: { a: 1 } }], { type: 'json' }), 'Invalid', 422);
    expect(e.causes[0].field).toBe('metadata.finalizers');
    await env.client.delete('v1', 'ConfigMap', 'default', 'c');
  });

  it.each([
    ['a merge patch that is not an object', 'merge', [1, 2]],
    ['a json patch that is not a list', 'json', { op: 'add' }],
  ] as const)('refuses %s with 400', async (_n, type, body) => {
    await using env = await createTestEnv();
    await env.client.create(configMap('c'));
    await expectApiError(env.client.patch('v1', 'ConfigMap', 'default', 'c', body, { type }), 'BadRequest', 400);
  });
});

describe('apply', () => {
  it('creates, then reports unchanged, then configured', async () => {
    await using env = await createTestEnv();
    const first = await env.client.apply(deployment('web'));
    expect(first.action).toBe('created');
    const record = JSON.parse(first.object.metadata!.annotations![LAST_APPLIED_ANNOTATION]) as KubeObject;
    expect(record.spec).toEqual(deployment('web').spec);
    expect(record.metadata?.annotations?.[LAST_APPLIED_ANNOTATION]).toBeUndefined();
    const second = await env.client.apply(deployment('web'));
    expect(second.action).toBe('unchanged');
    expect(second.object.metadata!.resourceVersion).toBe(first.object.metadata!.resourceVersion);
    const third = await env.client.apply(deployment('web', 5));
    expect(third.action).toBe('configured');
    expect((third.object as Deployment).spec!.replicas).toBe(5);
  });

  it('merges three ways: a label dropped from the manifest goes, a field set by someone else stays', async () => {
    await using env = await createTestEnv();
    const manifest = deployment('web');
    manifest.metadata!.labels = { app: 'web', team: 'blue' };
    await env.client.apply(manifest);
    // A controller (or a human) adds an annotation and a container env var.
    const live = (await env.client.get('apps/v1', 'Deployment', 'default', 'web')) as Deployment;
    live.metadata!.annotations = { ...live.metadata!.annotations, 'deployment.kubernetes.io/revision': '1' };
    live.spec!.template.spec!.containers[0].env = [{ name: 'EXTRA', value: '1' }];
    await env.client.update(live);

    const next = deployment('web');
    next.metadata!.labels = { app: 'web' };
    const res = await env.client.apply(next);
    expect(res.action).toBe('configured');
    const d = res.object as Deployment;
    expect(d.metadata!.labels).toEqual({ app: 'web' });
    expect(d.metadata!.annotations!['deployment.kubernetes.io/revision']).toBe('1');
    expect(d.spec!.template.spec!.containers[0].env).toEqual([{ name: 'EXTRA', value: '1' }]);
  });

  it('applies into the namespace given in the options, and a patch of type apply creates too', async () => {
    await using env = await createTestEnv();
    await env.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    const p = pod('p') as KubeObject;
    delete p.metadata!.namespace;
    const res = await env.client.apply(p, { namespace: 'team' });
    expect(res.object.metadata?.namespace).toBe('team');
    const viaPatch = await env.client.patch('v1', 'ConfigMap', 'team', 'cfg', { apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' } }, { type: 'apply' });
    expect(viaPatch.data).toEqual({ a: '1' });
    expect(viaPatch.metadata.annotations?.[LAST_APPLIED_ANNOTATION]).toBeDefined();
  });

  it('an invalid manifest is a 422 and stores nothing', async () => {
    await using env = await createTestEnv();
    await expectApiError(env.client.apply(deployment('web', -2)), 'Invalid', 422);
    await expectApiError(env.client.get('apps/v1', 'Deployment', 'default', 'web'), 'NotFound');
  });
});

describe('scale subresource', () => {
  it.each([
    ['apps/v1', 'Deployment', deployment('web', 3), 'app=web'],
    ['apps/v1', 'ReplicaSet', { ...deployment('web', 3), kind: 'ReplicaSet' }, 'app=web'],
    ['apps/v1', 'StatefulSet', { ...deployment('web', 3), kind: 'StatefulSet', spec: { ...deployment('web', 3).spec, serviceName: 'web' } }, 'app=web'],
    ['v1', 'ReplicationController', { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 3, selector: { app: 'web', tier: 'a' }, template: { metadata: { labels: { app: 'web', tier: 'a' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } } } }, 'app=web,tier=a'],
  ])('%s %s: get and update the Scale', async (apiVersion, kind, obj, selector) => {
    await using env = await createTestEnv();
    const created = await env.client.create(obj as KubeObject);
    const scale = await env.client.getScale(apiVersion, kind, 'default', 'web');
    expect(scale).toEqual({
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'web', namespace: 'default', uid: created.metadata!.uid, resourceVersion: created.metadata!.resourceVersion, creationTimestamp: created.metadata!.creationTimestamp },
      spec: { replicas: 3 },
      status: { replicas: 0, selector },
    });
    const updated = await env.client.updateScale(apiVersion, kind, 'default', 'web', { ...scale, spec: { replicas: 5 } });
    expect(updated.spec?.replicas).toBe(5);
    const obj2 = await env.client.get(apiVersion, kind, 'default', 'web');
    expect((obj2.spec as { replicas: number }).replicas).toBe(5);
    expect(obj2.metadata?.generation).toBe(2);
    // The first Scale is stale now.
    await expectApiError(env.client.updateScale(apiVersion, kind, 'default', 'web', { ...scale, spec: { replicas: 6 } }), 'Conflict', 409);
  });

  it('refuses negative replicas with the upstream message', async () => {
    await using env = await createTestEnv();
    await env.client.create(deployment('web'));
    const e = await expectApiError(env.client.updateScale('apps/v1', 'Deployment', 'default', 'web', { spec: { replicas: -1 } }), 'Invalid', 422);
    expect(e.message).toBe('Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  });

  it('patches the Scale view', async () => {
    await using env = await createTestEnv();
    await env.client.create(deployment('web'));
    const out = await env.client.patch('apps/v1', 'Deployment', 'default', 'web', { spec: { replicas: 0 } }, { subresource: 'scale' });
    expect(out.spec?.replicas).toBe(0);
  });

  it('is a 404 for kinds without it', async () => {
    await using env = await createTestEnv();
    await env.client.create(pod('p'));
    const e = await expectApiError(env.client.getScale('v1', 'Pod', 'default', 'p'), 'NotFound');
    expect(e.message).toBe('the server could not find the requested resource');
  });
});

describe('binding', () => {
  it('assigns a pod to a node once', async () => {
    await using env = await createTestEnv();
    await env.client.create(pod('p'));
    const bound = await env.client.bind!('default', 'p', 'node-1');
    expect(bound.spec?.nodeName).toBe('node-1');
    expect(bound.status?.conditions).toEqual([{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: bound.metadata?.creationTimestamp }]);
    const e = await expectApiError(env.client.bind!('default', 'p', 'node-2'), 'Conflict', 409);
    expect(e.message).toBe('Operation cannot be fulfilled on pods/binding "p": pod p is already assigned to node "node-1"');
    await expectApiError(env.client.bind!('default', 'missing', 'node-1'), 'NotFound');
  });

  it('refuses a pod with scheduling gates and one being deleted, and an empty target, storing nothing', async () => {
    await using env = await createTestEnv();
    const gated = pod('gated');
    gated.spec!.schedulingGates = [{ name: 'example.com/wait' }];
    await env.client.create(gated);
    const e = await expectApiError(env.client.bind!('default', 'gated', 'node-1'), 'Conflict', 409);
    expect(e.message).toBe('Operation cannot be fulfilled on pods/binding "gated": pod gated has non-empty .spec.schedulingGates');
    await expectApiError(env.client.bind!('default', 'gated', ''), 'Invalid', 422);
    const kept = (await env.client.get('v1', 'Pod', 'default', 'gated')) as Pod;
    expect(kept.spec?.nodeName).toBeUndefined();
    expect(kept.status?.conditions ?? []).toEqual([]);

    const held = pod('held');
    held.metadata!.finalizers = ['example.com/hold'];
    await env.client.create(held);
    await env.client.delete('v1', 'Pod', 'default', 'held', { gracePeriodSeconds: 0 });
    const d = await expectApiError(env.client.bind!('default', 'held', 'node-1'), 'Conflict', 409);
    expect(d.message).toBe('Operation cannot be fulfilled on pods/binding "held": pod held is being deleted, cannot be assigned to a host');
  });

  it('writes only nodeName and the PodScheduled condition: the rest of the pod is as stored', async () => {
    await using env = await createTestEnv();
    const created = (await env.client.create(pod('p'))) as Pod;
    const bound = (await env.client.bind!('default', 'p', 'node-1')) as Pod;
    expect(bound.spec).toEqual({ ...created.spec, nodeName: 'node-1' });
    expect(bound.metadata?.labels).toEqual(created.metadata?.labels);
    expect(Number(bound.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));
  });
});
