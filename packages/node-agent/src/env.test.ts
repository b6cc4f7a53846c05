import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Pod, core } from '@bosun/api';
import { createTestEnv, type TestEnv } from '@bosun/apiserver';
import { apiEnvSources, containerEnv, expandVars, formatMap, resolveContainerEnv, resourceFieldValue, serviceEnv } from './env';
import { isNodeAgentError } from './errors';

describe('expandVars', () => {
  const vars = new Map([['A', 'x'], ['INTERVAL', '5']]);
  it.each([
    ['a defined variable is replaced', '$(A)-y', 'x-y'],
    ['a variable inside text is replaced', '$(INTERVAL)_1', '5_1'],
    ['an unknown variable stays as written', '$(B)', '$(B)'],
    ['$$ escapes a dollar', '$$(A)', '$(A)'],
    ['an unterminated reference stays', '$(A', '$(A'],
    ['a lone dollar stays', 'a$b', 'a$b'],
  ])('%s', (_n, input, out) => expect(expandVars(input, vars)).toBe(out));

  it('expands env values against earlier variables only', () => {
    expect(containerEnv({ name: 'c', env: [{ name: 'B', value: '$(A)' }, { name: 'A', value: '1' }, { name: 'C', value: '$(A)2' }] })).toEqual([
      { key: 'B', value: '$(A)' },
      { key: 'A', value: '1' },
      { key: 'C', value: '12' },
    ]);
  });
});

const ALLOCATABLE = { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi', pods: '110' };

function pod(container: core.Container, spec: Partial<core.PodSpec> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-0', namespace: 'default', uid: 'uid-123', labels: { app: 'web', tier: 'fe' }, annotations: { owner: 'team-a' } },
    spec: { nodeName: 'node-1', serviceAccountName: 'builder', containers: [container], ...spec },
  };
}

describe('resolveContainerEnv (against the in-memory API server)', () => {
  let env: TestEnv;
  beforeEach(async () => {
    env = await createTestEnv();
    await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'special-config', namespace: 'default' }, data: { 'special.how': 'very', INTERVAL: '5' } });
    await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'raw', namespace: 'default' }, data: { '1abc': 'y', ok: 'z' } });
    await env.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'default' }, data: { password: Buffer.from('s3cr3t').toString('base64') } });
  });
  afterEach(() => env.stop());

  const resolve = (p: Pod) => resolveContainerEnv({ pod: p, container: p.spec!.containers[0]!, sources: apiEnvSources(env.client, 'default'), podIP: '10.244.1.7', hostIP: '192.168.0.10', allocatable: ALLOCATABLE });
  const asMap = (vars: { key: string; value: string }[]) => Object.fromEntries(vars.map((v) => [v.key, v.value]));
  const failure = async (p: Pod) => {
    const err = await resolve(p).then(() => undefined, (e: unknown) => e);
    expect(isNodeAgentError(err) && err.code).toBe('CreateContainerConfig');
    return (err as Error).message;
  };

  it('resolves configMapKeyRef and secretKeyRef, and expands $(VAR) from earlier ones', async () => {
    const { env: vars } = await resolve(
      pod({
        name: 'app',
        env: [
          { name: 'SPECIAL_LEVEL_KEY', valueFrom: { configMapKeyRef: { name: 'special-config', key: 'special.how' } } },
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
          { name: 'MSG', value: 'level=$(SPECIAL_LEVEL_KEY) escaped=$$(SPECIAL_LEVEL_KEY) unknown=$(NOPE)' },
        ],
      }),
    );
    expect(asMap(vars)).toMatchObject({ SPECIAL_LEVEL_KEY: 'very', PASSWORD: 's3cr3t', MSG: 'level=very escaped=$(SPECIAL_LEVEL_KEY) unknown=$(NOPE)' });
  });

  it.each([
    ['a missing ConfigMap', { configMapKeyRef: { name: 'nope', key: 'k' } }, 'configmap "nope" not found'],
    ['a missing ConfigMap key', { configMapKeyRef: { name: 'special-config', key: 'missing' } }, "couldn't find key missing in ConfigMap default/special-config"],
    ['a missing Secret', { secretKeyRef: { name: 'nope', key: 'k' } }, 'secret "nope" not found'],
    ['a missing Secret key', { secretKeyRef: { name: 'db', key: 'user' } }, "couldn't find key user in Secret default/db"],
  ] as const)('refuses %s with the kubelet message', async (_n, valueFrom, message) => {
    expect(await failure(pod({ name: 'app', env: [{ name: 'X', valueFrom: structuredClone(valueFrom) as core.EnvVarSource }] }))).toBe(message);
  });

  it('skips optional references that are missing', async () => {
    const { env: vars } = await resolve(
      pod({
        name: 'app',
        env: [
          { name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
          { name: 'B', valueFrom: { secretKeyRef: { name: 'db', key: 'user', optional: true } } },
          { name: 'C', value: 'c' },
        ],
        envFrom: [{ configMapRef: { name: 'absent', optional: true } }],
      }),
    );
    expect(asMap(vars)).toEqual({ C: 'c' });
  });

  it('resolves every supported fieldRef', async () => {
    const fields = ['metadata.name', 'metadata.namespace', 'metadata.uid', "metadata.labels['app']", "metadata.annotations['owner']", 'spec.nodeName', 'spec.serviceAccountName', 'status.podIP', 'status.hostIP'];
    const { env: vars } = await resolve(pod({ name: 'app', env: fields.map((f, i) => ({ name: `F${i}`, valueFrom: { fieldRef: { fieldPath: f } } })) }));
    expect(vars.slice(0, fields.length).map((v) => v.value)).toEqual(['web-0', 'default', 'uid-123', 'web', 'team-a', 'node-1', 'builder', '10.244.1.7', '192.168.0.10']);
    expect(await failure(pod({ name: 'app', env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.hostname' } } }] }))).toBe('unsupported fieldPath: spec.hostname');
  });

  it('resolves resourceFieldRef with divisors, limits defaulting to node allocatable', async () => {
    const c: core.Container = { name: 'app', resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { memory: '128Mi' } } };
    const v = (resource: string, divisor?: string) => resourceFieldValue({ resource, ...(divisor ? { divisor } : {}) }, c, ALLOCATABLE);
    expect(v('requests.cpu')).toBe('1'); // 0.25 core rounds up
    expect(v('requests.cpu', '1m')).toBe('250');
    expect(v('limits.cpu')).toBe('4'); // no limit: node allocatable
    expect(v('limits.memory')).toBe(String(128 * 1024 * 1024));
    expect(v('limits.memory', '1Mi')).toBe('128');
    expect(v('requests.memory', '1Mi')).toBe('64');
    expect(v('limits.ephemeral-storage', '1Gi')).toBe('100');
    const { env: vars } = await resolve(pod({ ...c, env: [{ name: 'MEM', valueFrom: { resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } } }] }));
    expect(asMap(vars).MEM).toBe('128');
    expect(() => v('limits.gpu')).toThrow('unsupported container resource: limits.gpu');
    expect(() => v('limits.cpu', '0')).toThrow('invalid divisor');
  });

  it('applies envFrom with a prefix, skipping invalid names with a warning, and lets env override it', async () => {
    const { env: vars, warnings } = await resolve(
      pod({
        name: 'app',
        envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'special-config' } }, { configMapRef: { name: 'raw' } }, { secretRef: { name: 'db' } }],
        env: [{ name: 'CFG_INTERVAL', value: '$(CFG_INTERVAL)0' }, { name: 'LOOP', value: '$(CFG_INTERVAL)_1' }],
      }),
    );
    expect(asMap(vars)).toMatchObject({ 'CFG_special.how': 'very', CFG_INTERVAL: '50', ok: 'z', password: 's3cr3t', LOOP: '50_1' });
    expect(asMap(vars)['1abc']).toBeUndefined();
    expect(warnings).toEqual([{ reason: 'InvalidEnvironmentVariableNames', message: 'Keys [1abc] from the EnvFrom configMap default/raw were skipped since they are considered invalid environment variable names.' }]);
    expect(await failure(pod({ name: 'app', envFrom: [{ secretRef: { name: 'gone' } }] }))).toBe('secret "gone" not found');
  });

  it('adds service variables for services of the namespace (and default/kubernetes) unless enableServiceLinks is false', async () => {
    await env.client.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'redis-primary', namespace: 'default' }, spec: { clusterIP: '10.96.0.11', ports: [{ name: 'redis', port: 6379, protocol: 'TCP' }] } });
    await env.client.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'headless', namespace: 'default' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } });
    const { env: vars } = await resolve(pod({ name: 'app', env: [{ name: 'REDIS', value: '$(REDIS_PRIMARY_SERVICE_HOST):$(REDIS_PRIMARY_SERVICE_PORT)' }, { name: 'REDIS_PRIMARY_PORT', value: 'mine' }] }));
    const m = asMap(vars);
    expect(m).toMatchObject({
      REDIS: '10.96.0.11:6379',
      REDIS_PRIMARY_SERVICE_HOST: '10.96.0.11',
      REDIS_PRIMARY_SERVICE_PORT: '6379',
      REDIS_PRIMARY_SERVICE_PORT_REDIS: '6379',
      REDIS_PRIMARY_PORT: 'mine', // a declared variable wins over the service one
      REDIS_PRIMARY_PORT_6379_TCP: 'tcp://10.96.0.11:6379',
      REDIS_PRIMARY_PORT_6379_TCP_PROTO: 'tcp',
      REDIS_PRIMARY_PORT_6379_TCP_PORT: '6379',
      REDIS_PRIMARY_PORT_6379_TCP_ADDR: '10.96.0.11',
    });
    expect(Object.keys(m).some((k) => k.startsWith('HEADLESS_'))).toBe(false);
    const none = await resolve(pod({ name: 'app' }, { enableServiceLinks: false }));
    expect(none.env).toEqual([]);
  });

  it('formats service variables like upstream for several ports', () => {
    const vars = serviceEnv([{ metadata: { name: 'web' }, spec: { clusterIP: '10.0.0.1', ports: [{ port: 80, name: 'http' }, { port: 53, protocol: 'UDP' }] } }]);
    expect(vars.map((v) => `${v.key}=${v.value}`)).toEqual([
      'WEB_SERVICE_HOST=10.0.0.1',
      'WEB_SERVICE_PORT=80',
      'WEB_SERVICE_PORT_HTTP=80',
      'WEB_PORT=tcp://10.0.0.1:80',
      'WEB_PORT_80_TCP=tcp://10.0.0.1:80',
      'WEB_PORT_80_TCP_PROTO=tcp',
      'WEB_PORT_80_TCP_PORT=80',
      'WEB_PORT_80_TCP_ADDR=10.0.0.1',
      'WEB_PORT_53_UDP=udp://10.0.0.1:53',
      'WEB_PORT_53_UDP_PROTO=udp',
      'WEB_PORT_53_UDP_PORT=53',
      'WEB_PORT_53_UDP_ADDR=10.0.0.1',
    ]);
  });

  it('formats label maps as the downward API does', () => {
    expect(formatMap({ zone: 'us-est-coast', cluster: 'test-cluster1', rack: 'rack-22' })).toBe('cluster="test-cluster1"\nrack="rack-22"\nzone="us-est-coast"');
  });
});
