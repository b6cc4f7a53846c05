import { describe, expect, it } from 'vitest';
import { isApiError } from '@bosun/api';
import { applyManifests, createTestEnv, deleteManifests } from '../src/index';
import { expectApiError } from './fixtures';

const yaml = `
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  mode: fast
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: web
          image: nginx:1.25
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: batch/v1beta1
kind: CronJob
metadata:
  name: tick
  namespace: shop
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: tick
              image: busybox:1.36
`;

describe('applyManifests / deleteManifests', () => {
  it('applies Namespaces first, then the rest in document order, converting legacy versions', async () => {
    await using env = await createTestEnv();
    const res = await applyManifests(env.client, yaml);
    expect(res.map((r) => `${r.action} ${r.ref.kind}/${r.ref.name}`)).toEqual(['created Namespace/shop', 'created ConfigMap/settings', 'created Deployment/web', 'created CronJob/tick']);
    expect((await env.client.get('batch/v1', 'CronJob', 'shop', 'tick')).apiVersion).toBe('batch/v1');
    const again = await applyManifests(env.client, yaml);
    expect(again.map((r) => r.action)).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged']);
    const changed = await applyManifests(env.client, yaml.replace('replicas: 2', 'replicas: 4'));
    expect(changed.map((r) => r.action)).toEqual(['unchanged', 'unchanged', 'configured', 'unchanged']);
  });

  it('throws a decode error naming the document before applying anything', async () => {
    await using env = await createTestEnv();
    const bad = `${yaml}\n---\napiVersion: v1\nmetadata:\n  name: x\n`;
    const e = await expectApiError(applyManifests(env.client, bad), 'BadRequest', 400);
    expect(e.message).toMatch(/^document 5/);
    await expectApiError(env.client.get('v1', 'Namespace', '', 'shop'), 'NotFound');
  });

  it('stops at the first failing object, or goes on with continueOnError', async () => {
    await using env = await createTestEnv();
    const objs = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'missing' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' } },
    ];
    await expectApiError(applyManifests(env.client, objs), 'NotFound');
    await expectApiError(env.client.get('v1', 'ConfigMap', 'default', 'b'), 'NotFound');
    const res = await applyManifests(env.client, objs, { continueOnError: true });
    expect(isApiError(res[0].error)).toBe(true);
    expect(res[1].action).toBe('created');
  });

  it('deletes what the manifests name and reports what was not there', async () => {
    await using env = await createTestEnv();
    await applyManifests(env.client, yaml);
    await env.client.delete('v1', 'ConfigMap', 'shop', 'settings');
    const res = await deleteManifests(env.client, yaml);
    expect(res.map((r) => `${r.status} ${r.ref.kind}/${r.ref.name}`)).toEqual(['notFound ConfigMap/settings', 'deleted Deployment/web', 'deleted Namespace/shop', 'deleted CronJob/tick']);
    await expectApiError(env.client.get('apps/v1', 'Deployment', 'shop', 'web'), 'NotFound');
    expect((await env.client.get('v1', 'Namespace', '', 'shop')).status?.phase).toBe('Terminating');
  });
});
