import { describe, expect, it } from 'vitest';
import { FakeClock, createScheme, fieldError, type KubeObject, type Pod } from '@bosun/api';
import { createTestEnv, type MutatingAdmissionPlugin, type ValidatingAdmissionPlugin } from '../src/index';
import { NAME_ALPHABET } from '../src/util';
import { configMap, deployment, expectApiError, namespace, pod } from './fixtures';

describe('create: server-owned metadata', () => {
  it('sets uid, creationTimestamp from the clock, generation 1 and a resourceVersion', async () => {
    await using env = await createTestEnv({ clock: '2026-03-04T05:06:07Z' });
    const created = await env.client.create(pod('web-1'));
    expect(created.metadata!.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(created.metadata!.creationTimestamp).toBe('2026-03-04T05:06:07Z');
    expect(created.metadata!.generation).toBe(1);
    expect(created.metadata!.resourceVersion).toMatch(/^\d+$/);
    const again = await env.client.get('v1', 'Pod', 'default', 'web-1');
    expect(again).toEqual(created);
  });

  it('ignores uid, resourceVersion, timestamps, deletion fields and generation sent by the client', async () => {
    await using env = await createTestEnv();
    const input = pod('web-1') as KubeObject;
    Object.assign(input.metadata!, {
      uid: 'mine',
      resourceVersion: '999',
      creationTimestamp: '2000-01-01T00:00:00Z',
      deletionTimestamp: '2000-01-01T00:00:00Z',
      deletionGracePeriodSeconds: 5,
      generation: 42,
    });
    const created = await env.client.create(input);
    expect(created.metadata!.uid).not.toBe('mine');
    expect(created.metadata!.resourceVersion).not.toBe('999');
    expect(created.metadata!.creationTimestamp).toBe('2026-01-01T00:00:00Z');
    expect(created.metadata!.deletionTimestamp).toBeUndefined();
    expect(created.metadata!.deletionGracePeriodSeconds).toBeUndefined();
    expect(created.metadata!.generation).toBe(1);
  });

  it('gives objects without a spec no generation', async () => {
    await using env = await createTestEnv();
    const cm = await env.client.create(configMap('settings', { a: '1' }));
    expect(cm.metadata?.generation).toBeUndefined();
  });

  it('increments resourceVersion on every write', async () => {
    await using env = await createTestEnv();
    const a = await env.client.create(configMap('a'));
    const b = await env.client.create(configMap('b'));
    const a2 = await env.client.update({ ...a, data: { x: '1' } });
    const rvs = [a, b, a2].map((o) => BigInt(o.metadata!.resourceVersion!));
    expect(rvs[1]).toBeGreaterThan(rvs[0]);
    expect(rvs[2]).toBeGreaterThan(rvs[1]);
  });

  it('does not touch the caller’s object, and returns a copy the store does not share', async () => {
    await using env = await createTestEnv();
    const input = pod('web-1');
    const before = JSON.stringify(input);
    const created = (await env.client.create(input)) as Pod;
    expect(JSON.stringify(input)).toBe(before);
    created.spec!.containers[0].image = 'changed';
    created.metadata!.labels!.app = 'changed';
    expect(JSON.stringify(input)).toBe(before);
    const stored = await env.client.get('v1', 'Pod', 'default', 'web-1');
    expect(stored.spec!.containers[0].image).toBe('nginx:1.25');
    expect(stored.metadata.labels!.app).toBe('web');
  });

  it('refuses a second object with the same name with 409 AlreadyExists', async () => {
    await using env = await createTestEnv();
    await env.client.create(pod('web-1'));
    const e = await expectApiError(env.client.create(pod('web-1')), 'AlreadyExists', 409);
    expect(e.message).toBe('pods "web-1" already exists');
    const d = await env.client.create(deployment('web'));
    expect(d.metadata!.name).toBe('web');
    const e2 = await expectApiError(env.client.create(deployment('web')), 'AlreadyExists');
    expect(e2.message).toBe('deployments.apps "web" already exists');
  });

  it('puts namespaced objects without a namespace into default and drops the namespace of cluster-scoped ones', async () => {
    await using env = await createTestEnv();
    const p = pod('web-1') as KubeObject;
    delete p.metadata!.namespace;
    expect((await env.client.create(p)).metadata?.namespace).toBe('default');
    const ns = await env.client.create({ ...namespace('team-a'), metadata: { name: 'team-a', namespace: 'ignored' } });
    expect(ns.metadata?.namespace).toBeUndefined();
  });
});

describe('create: generateName', () => {
  it('appends five characters from the Kubernetes alphabet', async () => {
    await using env = await createTestEnv();
    const created: KubeObject = await env.client.create({ ...pod(''), metadata: { generateName: 'web-', namespace: 'default' } });
    const name = created.metadata!.name!;
    expect(name).toMatch(new RegExp(`^web-[${NAME_ALPHABET}]{5}$`));
    expect(created.metadata!.generateName).toBe('web-');
  });

  it('retries with a new suffix when the generated name is taken', async () => {
    // The first two draws give "bbbbb" (index 0), then "ccccc".
    const draws = [...Array(10).fill(0), ...Array(5).fill(1.5 / NAME_ALPHABET.length)];
    let i = 0;
    await using env = await createTestEnv({ random: () => draws[i++] ?? 0.5 });
    const a: KubeObject = await env.client.create({ ...pod(''), metadata: { generateName: 'web-' } });
    expect(a.metadata!.name).toBe('web-bbbbb');
    const b: KubeObject = await env.client.create({ ...pod(''), metadata: { generateName: 'web-' } });
    expect(b.metadata!.name).toBe('web-ccccc');
  });

  it('gives up after a few collisions with 409 AlreadyExists', async () => {
    await using env = await createTestEnv({ random: () => 0 });
    await env.client.create({ ...pod(''), metadata: { generateName: 'web-' } });
    await expectApiError(env.client.create({ ...pod(''), metadata: { generateName: 'web-' } }), 'AlreadyExists');
  });

  it('cuts a long prefix so the name stays within 63 characters', async () => {
    await using env = await createTestEnv();
    const created: KubeObject = await env.client.create({ ...configMap(''), metadata: { generateName: 'x'.repeat(70) } });
    expect(created.metadata!.name).toHaveLength(63);
  });
});

describe('create: status and kind-specific preparation', () => {
  it.each([
    ['a Deployment drops the status sent', deployment('web'), (o: KubeObject) => expect(o.status).toBeUndefined()],
    ['a Pod starts Pending with its QoS class', pod('p'), (o: KubeObject) => expect(o.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' })],
    ['a Node keeps the status it registers with', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } }, (o: KubeObject) => expect((o.status as { phase?: string }).phase).toBe('Ready-ish')],
    ['a ConfigMap has no status subresource and is stored as sent', configMap('c', { a: 'b' }), (o: KubeObject) => expect(o.data).toEqual({ a: 'b' })],
  ])('%s', async (_name, obj, check) => {
    await using env = await createTestEnv();
    const created = await env.client.create({ ...obj, status: { phase: 'Ready-ish', replicas: 9 } } as KubeObject);
    check(created);
  });

  it.each([
    ['no resources', 'BestEffort', [{}]],
    ['requests equal limits for cpu and memory', 'Guaranteed', [{ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '0.5', memory: '1024Mi' } }]],
    ['limits only (requests default to them)', 'Guaranteed', [{ limits: { cpu: '1', memory: '1Gi' } }]],
    ['requests below limits', 'Burstable', [{ requests: { cpu: '100m' }, limits: { cpu: '1', memory: '1Gi' } }]],
    ['one container without limits', 'Burstable', [{ limits: { cpu: '1', memory: '1Gi' } }, {}]],
    ['only a memory request', 'Burstable', [{ requests: { memory: '64Mi' } }]],
    ['zero requests, which count as none,', 'BestEffort', [{ requests: { cpu: '0' } }]],
  ] as const)('a pod with %s is %s', async (_name, qos, resources) => {
    await using env = await createTestEnv();
    const containers = resources.map((r, i) => ({ name: `c${i}`, image: 'nginx:1.25', resources: r }));
    const created = (await env.client.create({ ...pod('p'), spec: { containers } })) as Pod;
    expect(created.status?.qosClass).toBe(qos);
  });
});

describe('create: namespaces', () => {
  it.each(['default', 'kube-system', 'kube-public', 'kube-node-lease'])('namespace %s exists at start and is Active', async (name) => {
    await using env = await createTestEnv();
    const ns = await env.client.get('v1', 'Namespace', '', name);
    expect(ns.status?.phase).toBe('Active');
    expect(ns.spec?.finalizers).toEqual(['kubernetes']);
    expect(ns.metadata.labels?.['kubernetes.io/metadata.name']).toBe(name);
  });

  it('refuses creates into a missing namespace with 404', async () => {
    await using env = await createTestEnv();
    const e = await expectApiError(env.client.create(pod('p', { namespace: 'nowhere' })), 'NotFound', 404);
    expect(e.message).toBe('namespaces "nowhere" not found');
  });

  it('accepts creates into a namespace created a moment ago', async () => {
    await using env = await createTestEnv();
    await env.client.create(namespace('team-a'));
    const p = await env.client.create(pod('p', { namespace: 'team-a' }));
    expect(p.metadata!.namespace).toBe('team-a');
  });

  it('refuses creates into a terminating namespace with 403', async () => {
    await using env = await createTestEnv();
    await env.client.create(namespace('team-a'));
    await env.client.delete('v1', 'Namespace', '', 'team-a');
    const e = await expectApiError(env.client.create(pod('p', { namespace: 'team-a' })), 'Forbidden', 403);
    expect(e.message).toContain('unable to create new content in namespace team-a because it is being terminated');
    expect(e.details.kind).toBe('namespaces');
  });

  it('refuses creates into a namespace deleted a moment ago with 404', async () => {
    await using env = await createTestEnv();
    await env.client.create(namespace('team-a'));
    await env.client.delete('v1', 'Namespace', '', 'team-a');
    await env.server.finalizeNamespace('team-a');
    await expectApiError(env.client.create(pod('p', { namespace: 'team-a' })), 'NotFound');
  });
});

describe('create: conversion, defaulting and validation', () => {
  it('converts a legacy batch/v1beta1 CronJob and stores it as batch/v1', async () => {
    await using env = await createTestEnv();
    const cj = {
      apiVersion: 'batch/v1beta1',
      kind: 'CronJob',
      metadata: { name: 'hello' },
      spec: { schedule: '*/1 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'hello', image: 'busybox:1.36' }] } } } } },
    };
    const created = await env.client.create(cj);
    expect(created.apiVersion).toBe('batch/v1');
    const stored = await env.client.get('batch/v1', 'CronJob', 'default', 'hello');
    expect(stored.apiVersion).toBe('batch/v1');
    expect(stored.spec?.schedule).toBe('*/1 * * * *');
  });

  it('refuses a legacy version without a conversion, naming the version to use', async () => {
    const scheme = createScheme();
    scheme.register({ group: 'example.com', version: 'v1', kind: 'Widget', plural: 'widgets', namespaced: true });
    scheme.registerLegacy({ apiVersion: 'example.com/v1alpha1', kind: 'Widget', use: 'example.com/v1' });
    await using env = await createTestEnv({ scheme });
    const e = await expectApiError(env.client.create({ apiVersion: 'example.com/v1alpha1', kind: 'Widget', metadata: { name: 'w' } }), 'BadRequest', 400);
    expect(e.message).toContain('use apiVersion: example.com/v1');
  });

  it('refuses an unknown kind with 404 naming what was asked', async () => {
    await using env = await createTestEnv();
    const e = await expectApiError(env.client.create({ apiVersion: 'v1', kind: 'Gizmo', metadata: { name: 'g' } }), 'NotFound', 404);
    expect(e.message).toContain('no matches for kind "Gizmo" in version "v1"');
    await expectApiError(env.client.get('batch/v2', 'CronJob', 'default', 'x'), 'NotFound');
  });

  it('applies the kind’s defaulting', async () => {
    await using env = await createTestEnv();
    const created = (await env.client.create(pod('p'))) as Pod;
    expect(created.spec?.restartPolicy).toBe('Always');
    expect(created.spec?.terminationGracePeriodSeconds).toBe(30);
    expect(created.spec?.containers[0].imagePullPolicy).toBe('IfNotPresent');
    const d = await env.client.create(deployment('web'));
    expect(d.spec?.strategy?.type).toBe('RollingUpdate');
    expect(d.spec?.revisionHistoryLimit).toBe(10);
  });

  it('runs a custom kind’s defaulter and validator from the scheme', async () => {
    const scheme = createScheme();
    scheme.register<KubeObject & { spec?: { size?: number } }>({
      group: 'example.com',
      version: 'v1',
      kind: 'Widget',
      plural: 'widgets',
      namespaced: true,
      defaulter: (w) => {
        w.spec ??= {};
        w.spec.size ??= 1;
      },
      validate: (w) => ((w.spec?.size ?? 0) > 10 ? [fieldError.invalid('spec.size', w.spec?.size, 'must be at most 10')] : []),
    });
    await using env = await createTestEnv({ scheme });
    const w: KubeObject = await env.client.create({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } });
    expect(w.spec).toEqual({ size: 1 });
    const e = await expectApiError(env.client.create({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'big' }, spec: { size: 11 } }), 'Invalid', 422);
    expect(e.message).toBe('Widget.example.com "big" is invalid: spec.size: Invalid value: 11: must be at most 10');
  });

  it('reports validation errors with field paths (selector not matching the template)', async () => {
    await using env = await createTestEnv();
    const d = deployment('web');
    d.spec.template.metadata.labels = { app: 'other' };
    const e = await expectApiError(env.client.create(d), 'Invalid', 422);
    expect(e.causes.map((c) => c.field)).toContain('spec.template.metadata.labels');
    expect(e.message).toContain('`selector` does not match template `labels`');
  });

  it('validates metadata generically (names must be DNS-1123)', async () => {
    await using env = await createTestEnv();
    const e = await expectApiError(env.client.create(configMap('Not_Valid')), 'Invalid', 422);
    expect(e.causes.map((c) => c.field)).toContain('metadata.name');
  });

  it.each([
    ['replicas as a string', { ...deployment('web'), spec: { ...deployment('web').spec, replicas: '3' } }, 'spec.replicas'],
    ['containers as a mapping', { ...pod('p'), spec: { containers: { name: 'c' } } }, 'spec.containers'],
    ['a label value that is a number', { ...configMap('c'), metadata: { name: 'c', labels: { version: 1 } } }, 'metadata.labels.version'],
  ])('refuses a body with %s with 400, naming the field', async (_n, obj, field) => {
    await using env = await createTestEnv();
    const e = await expectApiError(env.client.create(obj as KubeObject), 'BadRequest', 400);
    expect(e.causes.map((c) => c.field)).toContain(field);
    await expectApiError(env.client.apply(obj as KubeObject), 'BadRequest', 400);
  });

  it('rejects a body that is not JSON-serialisable with 400', async () => {
    await using env = await createTestEnv();
    const cyclic = configMap('c') as KubeObject;
    cyclic.self = cyclic;
    await expectApiError(env.client.create(cyclic), 'BadRequest', 400);
  });

  it('stores nothing on a dry run', async () => {
    await using env = await createTestEnv();
    const res = await env.client.create(pod('p'), { dryRun: ['All'] });
    expect(res.metadata!.uid).toBeTruthy();
    await expectApiError(env.client.get('v1', 'Pod', 'default', 'p'), 'NotFound');
  });
});

describe('admission chain', () => {
  it('runs defaulting, then mutating plugins, then validation, then validating plugins, in that order', async () => {
    const seen: string[] = [];
    const mutating: MutatingAdmissionPlugin[] = [
      {
        name: 'first',
        handles: (_op, kind) => kind.kind === 'Pod',
        admit: (a) => {
          // Defaulting already ran: the plugin sees defaulted fields.
          seen.push(`first:${(a.object.spec as Pod['spec'])?.restartPolicy}`);
          a.object.metadata!.labels = { ...a.object.metadata!.labels, injected: 'yes' };
        },
      },
      { name: 'second', handles: (_op, kind) => kind.kind === 'Pod', admit: (a) => void seen.push(`second:${a.object.metadata!.labels!.injected}`) },
    ];
    const validating: ValidatingAdmissionPlugin[] = [
      {
        name: 'check',
        handles: (_op, kind) => kind.kind === 'Pod',
        validate: (a) => {
          seen.push(`check:${a.operation}:${a.object.metadata!.uid ? 'uid' : 'no-uid'}`);
        },
      },
    ];
    await using env = await createTestEnv({ admission: { mutating, validating } });
    const created = await env.client.create(pod('p'));
    expect(seen).toEqual(['first:Always', 'second:yes', 'check:CREATE:uid']);
    expect(created.metadata!.labels).toEqual({ app: 'web', injected: 'yes' });
  });

  it('returns a copy that shares nothing with values a mutating plugin put in (regression: a plugin’s shared label map leaked to callers)', async () => {
    const injected = { team: 'a' };
    const mutating: MutatingAdmissionPlugin[] = [{ name: 'team', handles: (_op, kind) => kind.kind === 'Pod', admit: (a) => void (a.object.metadata!.labels = injected) }];
    await using env = await createTestEnv({ admission: { mutating } });
    const created = await env.client.create(pod('p'));
    created.metadata!.labels!.team = 'changed';
    expect(injected).toEqual({ team: 'a' });
    expect((await env.client.get('v1', 'Pod', 'default', 'p')).metadata.labels).toEqual({ team: 'a' });
  });

  it('validates what mutating plugins produce', async () => {
    const mutating: MutatingAdmissionPlugin[] = [{ name: 'breaker', handles: (_op, kind) => kind.kind === 'Pod', admit: (a) => void (a.object.metadata!.labels = { 'bad key!': 'x' }) }];
    await using env = await createTestEnv({ admission: { mutating } });
    const e = await expectApiError(env.client.create(pod('p')), 'Invalid', 422);
    expect(e.causes[0].field).toMatch(/^metadata\.labels/);
  });

  it.each([
    ['a denial with a message is a 403', { allowed: false, message: 'privileged pods are not allowed' }, 'Forbidden', 403, 'policy denied the request: privileged pods are not allowed'],
    ['a denial with field causes is a 422', { allowed: false, causes: [fieldError.forbidden('spec.hostNetwork', 'not allowed')] }, 'Invalid', 422, 'Pod "p" is invalid: spec.hostNetwork: Forbidden: not allowed'],
  ] as const)('%s', async (_n, decision, reason, code, message) => {
    const validating: ValidatingAdmissionPlugin[] = [{ name: 'policy', handles: (_op, kind) => kind.kind === 'Pod', validate: () => decision }];
    await using env = await createTestEnv({ admission: { validating } });
    const e = await expectApiError(env.client.create(pod('p')), reason, code);
    expect(e.message).toBe(message);
    await expectApiError(env.client.get('v1', 'Pod', 'default', 'p'), 'NotFound');
  });

  it('a mutating plugin can deny too, and `handles` limits what a plugin sees', async () => {
    const mutating: MutatingAdmissionPlugin[] = [
      { name: 'no-configmaps', handles: (op, kind) => op === 'CREATE' && kind.kind === 'ConfigMap', admit: () => ({ allowed: false, message: 'configmaps are frozen' }) },
    ];
    await using env = await createTestEnv({ admission: { mutating } });
    await env.client.create(pod('p'));
    const e = await expectApiError(env.client.create(configMap('c')), 'Forbidden');
    expect(e.message).toBe('no-configmaps denied the request: configmaps are frozen');
  });

  it('a plugin that crashes fails the request with 500, never with a raw error', async () => {
    const validating: ValidatingAdmissionPlugin[] = [
      {
        name: 'buggy',
        handles: (_op, kind) => kind.kind === 'Pod',
        validate: () => {
          throw new TypeError('oops');
        },
      },
    ];
    await using env = await createTestEnv({ admission: { validating } });
    const e = await expectApiError(env.client.create(pod('p')), 'InternalError', 500);
    expect(e.message).toContain('admission plugin "buggy" failed: oops');
  });

  it('plugins see updates with the old object, and deletes', async () => {
    const ops: string[] = [];
    const validating: ValidatingAdmissionPlugin[] = [
      { name: 'audit', handles: (_op, kind) => kind.kind === 'ConfigMap', validate: (a) => void ops.push(`${a.operation}${a.subresource ? `/${a.subresource}` : ''}:${a.oldObject ? 'old' : '-'}`) },
    ];
    await using env = await createTestEnv({ admission: { validating } });
    const c = await env.client.create(configMap('c'));
    await env.client.update({ ...c, data: { a: '1' } });
    await env.client.delete('v1', 'ConfigMap', 'default', 'c');
    expect(ops).toEqual(['CREATE:-', 'UPDATE:old', 'DELETE:-']);
  });
});

describe('clock', () => {
  it('timestamps follow the fake clock', async () => {
    const clock = new FakeClock('2030-06-01T12:00:00Z');
    await using env = await createTestEnv({ clock });
    await clock.advance(90_000);
    const c = await env.client.create(configMap('c'));
    expect(c.metadata?.creationTimestamp).toBe('2030-06-01T12:01:30Z');
  });
});

describe('test env', () => {
  it('stops idempotently; afterwards calls fail with an ApiError (503) and watches end', async () => {
    const env = await createTestEnv();
    await env.client.create(configMap('c'));
    await env.stop();
    await env[Symbol.asyncDispose]();
    await expectApiError(env.client.get('v1', 'ConfigMap', 'default', 'c'), 'ServiceUnavailable', 503);
  });

  it('accepts a FakeClock or a start time', async () => {
    const clock = new FakeClock('2031-02-03T04:05:06Z');
    await using a = await createTestEnv({ clock });
    expect(a.clock).toBe(clock);
    await using b = await createTestEnv({ clock: '2031-02-03T04:05:06Z' });
    expect(b.clock.now()).toBe(clock.now());
  });
});
