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

/** Objects created so far in one run: most operations aim at one of them, so they do more than miss. */
interface Run {
  env: TestEnv;
  live: Array<{ apiVersion: string; kind: string; namespace: string; name: string }>;
}
type Op = (run: Run) => Promise<unknown>;

/** An existing object (chosen by `pick`) when there is one, else a random reference. */
const target = fc.tuple(fc.nat(), fc.boolean(), kind, names, namespaces);
function resolve(run: Run, [pick, random, k, n, ns]: [number, boolean, (typeof kinds)[number], string, string]) {
  if (random || run.live.length === 0) return { apiVersion: k[0] as string, kind: k[1] as string, namespace: ns, name: n };
  return run.live[pick % run.live.length];
}
function remember(run: Run, obj: unknown): unknown {
  const o = obj as KubeObject;
  run.live.push({ apiVersion: o.apiVersion!, kind: o.kind!, namespace: o.metadata?.namespace ?? '', name: o.metadata!.name! });
  return obj;
}

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.tuple(kind, names, namespaces, labels, finalizers, replicas, json).map(([k, n, ns, l, f, r, x]): Op => async (run) => remember(run, await run.env.client.create(makeObject(k, n, ns, l, f, r, x)))),
  fc.tuple(kind, names, namespaces, labels, finalizers, replicas, json).map(([k, n, ns, l, f, r, x]): Op => async (run) => remember(run, (await run.env.client.apply(makeObject(k, n, ns, l, f, r, x))).object)),
  fc.tuple(target, labels, finalizers, fc.boolean(), replicas).map(([t, l, f, stale, r]): Op => async (run) => {
    const ref = resolve(run, t);
    const cur = (await run.env.client.get(ref.apiVersion, ref.kind, ref.namespace, ref.name)) as KubeObject;
    const spec = cur.spec && typeof cur.spec === 'object' ? { ...cur.spec, replicas: r } : cur.spec;
    const next = { ...cur, spec, metadata: { ...cur.metadata, labels: l, finalizers: f, ...(stale ? { resourceVersion: '1' } : {}) } };
    return run.env.client.update(next);
  }),
  fc.tuple(target, json).map(([t, status]): Op => async (run) => {
    const ref = resolve(run, t);
    const cur = await run.env.client.get(ref.apiVersion, ref.kind, ref.namespace, ref.name);
    return run.env.client.updateStatus({ ...cur, status } as KubeObject);
  }),
  fc.tuple(target, json, fc.constantFrom('merge', 'strategic', 'json'), fc.constantFrom('', 'status', 'scale'), fc.constantFrom('/metadata/labels', '/spec', '/metadata/finalizers', '/spec/replicas')).map(([t, patch, type, sub, path]): Op => (run) => {
    const ref = resolve(run, t);
    const body = type === 'json' ? [{ op: 'add', path, value: patch }] : patch;
    return run.env.client.patch(ref.apiVersion, ref.kind, ref.namespace, ref.name, body, { type, subresource: sub === '' ? undefined : sub });
  }),
  fc.tuple(target, fc.constantFrom(undefined, 'Orphan', 'Foreground', 'Background'), fc.option(fc.integer({ min: -1, max: 40 }), { nil: undefined })).map(([t, policy, grace]): Op => (run) => {
    const ref = resolve(run, t);
    return run.env.client.delete(ref.apiVersion, ref.kind, ref.namespace, ref.name, { propagationPolicy: policy, gracePeriodSeconds: grace });
  }),
  fc.tuple(kind, namespaces, fc.constantFrom('', 'app=web', 'app in (', 'tier!=db'), fc.constantFrom('', 'metadata.name=a', 'spec.bogus=1')).map(([k, ns, ls, fs]): Op => (run) => run.env.client.list(k[0], k[1], { namespace: ns, labelSelector: ls, fieldSelector: fs })),
  fc.tuple(names, replicas).map(([n, r]): Op => (run) => run.env.client.updateScale('apps/v1', 'Deployment', 'default', n, { spec: { replicas: r } })),
  fc.tuple(names, fc.constantFrom('node-1', 'node-2', '')).map(([n, node]): Op => (run) => run.env.client.bind!('default', n, node)),
  names.map((n): Op => (run) => run.env.server.finalizeNamespace(n)),
  fc.integer({ min: 0, max: 40_000 }).map((ms): Op => (run) => run.env.clock.advance(ms)),
);

describe('random API operations', () => {
  it('never leave an invalid object in the store and never throw anything but an ApiError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
        await using env = await createTestEnv();
        await env.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
        const run: Run = { env, live: [] };
        for (const o of ops) {
          try {
            await o(run);
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
      { numRuns: 80 },
    );
  });
});
