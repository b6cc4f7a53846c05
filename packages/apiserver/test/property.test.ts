import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isApiError, type KubeObject } from '@bosun/api';
import { createTestEnv, type TestEnv } from '../src/index';
import { validateCreate } from '../src/validation';

const names = fc.constantFrom('a', 'b', 'c', 'Bad_Name', '', 'x'.repeat(70));
const namespaces = fc.constantFrom('default', 'team', 'missing', '');
const labelValue = fc.constantFrom('web', 'db', '', 'bad value!', 'x'.repeat(70));
const labels = fc.dictionary(fc.constantFrom('app', 'tier', 'bad key!', 'example.com/x'), labelValue, { maxKeys: 3 });
const finalizers = fc.array(fc.constantFrom('example.com/f', 'orphan', 'foregroundDeletion', 'not a finalizer!'), { maxLength: 2 });
const replicas = fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constant('three' as unknown as number));
const json = fc.jsonValue({ maxDepth: 3 });

const kinds = [
  ['v1', 'Pod'],
  ['v1', 'ConfigMap'],
  ['apps/v1', 'Deployment'],
  ['v1', 'Namespace'],
] as const;
const kind = fc.constantFrom(...kinds);

function makeObject(k: (typeof kinds)[number], name: string, ns: string, l: Record<string, string>, fin: string[], r: number, extra: unknown): KubeObject {
  const metadata = { name, namespace: ns, labels: l, finalizers: fin };
  switch (k[1]) {
    case 'Pod':
      return { apiVersion: 'v1', kind: 'Pod', metadata, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }], nodeName: r > 2 ? 'node-1' : undefined }, status: extra };
    case 'ConfigMap':
      return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { v: String(extra) } };
    case 'Deployment':
      return {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata,
        spec: { replicas: r, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: r === 4 ? {} : { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } } },
        status: extra,
      };
    case 'Namespace':
      return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: l, finalizers: fin } };
  }
}

type Op = (env: TestEnv) => Promise<unknown>;

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.tuple(kind, names, namespaces, labels, finalizers, replicas, json).map(([k, n, ns, l, f, r, x]): Op => (env) => env.client.create(makeObject(k, n, ns, l, f, r, x))),
  fc.tuple(kind, names, namespaces, labels, finalizers, replicas, json).map(([k, n, ns, l, f, r, x]): Op => (env) => env.client.apply(makeObject(k, n, ns, l, f, r, x))),
  fc.tuple(kind, names, namespaces, labels, finalizers, fc.boolean()).map(([k, n, ns, l, f, stale]): Op => async (env) => {
    const cur = await env.client.get(k[0], k[1], ns, n);
    const next = { ...cur, metadata: { ...cur.metadata, labels: l, finalizers: f, ...(stale ? { resourceVersion: '1' } : {}) } };
    return env.client.update(next);
  }),
  fc.tuple(kind, names, namespaces, json).map(([k, n, ns, status]): Op => async (env) => {
    const cur = await env.client.get(k[0], k[1], ns, n);
    return env.client.updateStatus({ ...cur, status } as KubeObject);
  }),
  fc.tuple(kind, names, namespaces, json, fc.constantFrom('merge', 'strategic', 'json'), fc.constantFrom('', 'status', 'scale')).map(([k, n, ns, patch, type, sub]): Op => (env) =>
    env.client.patch(k[0], k[1], ns, n, type === 'json' ? [{ op: 'add', path: '/metadata/labels', value: patch }] : patch, { type, subresource: sub === '' ? undefined : sub }),
  ),
  fc.tuple(kind, names, namespaces, fc.constantFrom(undefined, 'Orphan', 'Foreground', 'Background'), fc.option(fc.integer({ min: -1, max: 40 }), { nil: undefined })).map(([k, n, ns, policy, grace]): Op => (env) =>
    env.client.delete(k[0], k[1], ns, n, { propagationPolicy: policy, gracePeriodSeconds: grace }),
  ),
  fc.tuple(kind, namespaces, fc.constantFrom('', 'app=web', 'app in (', 'tier!=db'), fc.constantFrom('', 'metadata.name=a', 'spec.bogus=1')).map(([k, ns, ls, fs]): Op => (env) => env.client.list(k[0], k[1], { namespace: ns, labelSelector: ls, fieldSelector: fs })),
  fc.tuple(names, replicas).map(([n, r]): Op => (env) => env.client.updateScale('apps/v1', 'Deployment', 'default', n, { spec: { replicas: r } })),
  fc.tuple(names, fc.constantFrom('node-1', 'node-2', '')).map(([n, node]): Op => (env) => env.client.bind!('default', n, node)),
  names.map((n): Op => (env) => env.server.finalizeNamespace(n)),
  fc.integer({ min: 0, max: 40_000 }).map((ms): Op => (env) => env.clock.advance(ms)),
);

describe('random API operations', () => {
  it('never leave an invalid object in the store and never throw anything but an ApiError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
        await using env = await createTestEnv();
        await env.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
        for (const o of ops) {
          try {
            await o(env);
          } catch (e) {
            if (!isApiError(e)) throw new Error(`a non-ApiError escaped: ${String(e)}`, { cause: e });
          }
        }
        for (const [apiVersion, k] of kinds) {
          const info = env.scheme.require(apiVersion, k);
          for (const obj of (await env.client.list(apiVersion, k)).items as Array<KubeObject & { metadata: NonNullable<KubeObject['metadata']>; status?: { qosClass?: string } }>) {
            expect(validateCreate(info, obj), `${k} ${obj.metadata.name}`).toEqual([]);
            expect(obj.metadata.uid).toBeTruthy();
            expect(obj.metadata.resourceVersion).toMatch(/^\d+$/);
            if (k === 'Pod') expect(obj.status?.qosClass).toBeDefined();
            if (obj.metadata.deletionTimestamp && !obj.metadata.finalizers?.length && !(obj.metadata.deletionGracePeriodSeconds ?? 0)) {
              // Only a Namespace waiting for finalizeNamespace may linger without finalizers.
              expect(k).toBe('Namespace');
            }
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
