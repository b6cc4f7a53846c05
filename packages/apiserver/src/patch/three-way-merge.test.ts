import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '@bosun/api';
import { LAST_APPLIED_ANNOTATION, applyThreeWay, createThreeWayMergePatch, lastAppliedOf, withLastApplied } from './three-way-merge';
import { patchSchemaFor } from './builtin-patch-schemas';
import { mergeItemSchema, podLike } from './test-fixtures';

const deploymentSchema = patchSchemaFor('apps/v1', 'Deployment')!;

const manifest = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web', tier: 'front' } },
  spec: {
    replicas: 2,
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          { name: 'app', image: 'app:1', env: [{ name: 'MODE', value: 'prod' }, { name: 'DEBUG', value: '0' }] },
          { name: 'proxy', image: 'proxy:1' },
        ],
      },
    },
  },
};
type Manifest = typeof manifest;

/** What the server holds after applying `manifest`: defaults, controller fields, status. */
const live = {
  ...structuredClone(manifest),
  metadata: { ...structuredClone(manifest.metadata), labels: { ...manifest.metadata.labels, 'pod-template-hash': 'abc' }, uid: 'u1', resourceVersion: '7', generation: 1 },
  spec: {
    ...structuredClone(manifest.spec),
    revisionHistoryLimit: 10,
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          { name: 'app', image: 'app:1', env: [{ name: 'MODE', value: 'prod' }, { name: 'DEBUG', value: '0' }], terminationMessagePath: '/dev/termination-log' },
          { name: 'proxy', image: 'proxy:1', terminationMessagePath: '/dev/termination-log' },
        ],
        restartPolicy: 'Always',
      },
    },
  },
  status: { replicas: 2, readyReplicas: 2 },
};

const edit = (f: (m: Manifest) => void): Manifest => {
  const m = structuredClone(manifest);
  f(m);
  return m;
};

describe('applyThreeWay with a schema (strategic)', () => {
  it.each<[string, Manifest, (l: typeof live) => void]>([
    ['removes a label the user removed from the manifest, keeping the controller-set one', edit((m) => delete (m.metadata.labels as Partial<Manifest['metadata']['labels']>).tier), (l) => delete (l.metadata.labels as Partial<typeof l.metadata.labels>).tier],
    ['changes only the image the user changed, keeping defaulted container fields', edit((m) => (m.spec.template.spec.containers[1].image = 'proxy:2')), (l) => (l.spec.template.spec.containers[1].image = 'proxy:2')],
    ['removes an env var the user removed, by name', edit((m) => m.spec.template.spec.containers[0].env!.pop()), (l) => l.spec.template.spec.containers[0].env!.pop()],
    ['removes a container the user removed', edit((m) => m.spec.template.spec.containers.pop()), (l) => l.spec.template.spec.containers.pop()],
    ['sets a field the user added', edit((m) => ((m.spec as Record<string, unknown>).paused = true)), (l) => ((l.spec as Record<string, unknown>).paused = true)],
    ['changes nothing when the manifest did not change', structuredClone(manifest), () => {}],
  ])('%s', (_name, desired, expectLive) => {
    const inputs = structuredClone({ manifest, desired, live });
    const expected = structuredClone(live);
    expectLive(expected);
    expect(applyThreeWay(manifest, desired, live, deploymentSchema)).toEqual(expected);
    expect({ manifest, desired, live }).toEqual(inputs);
  });

  it('reverts a replica count a controller or user changed in live to the manifest value', () => {
    const scaled = { ...structuredClone(live), spec: { ...structuredClone(live.spec), replicas: 5 } };
    expect(applyThreeWay<typeof live>(manifest, manifest, scaled, deploymentSchema).spec.replicas).toBe(2);
  });

  it('deletes nothing for an object never applied before', () => {
    const desired = edit((m) => delete (m.metadata.labels as Partial<Manifest['metadata']['labels']>).tier);
    expect(applyThreeWay(undefined, desired, live, deploymentSchema)).toEqual(live);
  });

  it('sends only the image change and the container order', () => {
    const desired = edit((m) => (m.spec.template.spec.containers[0].image = 'app:2'));
    expect(createThreeWayMergePatch(manifest, desired, live, deploymentSchema)).toEqual({
      spec: { template: { spec: { containers: [{ name: 'app', image: 'app:2' }], '$setElementOrder/containers': [{ name: 'app' }, { name: 'proxy' }] } } },
    });
  });
});

// Upstream createStrategicMergePatchTestCaseData / strategicMergePatchRawTestCases, three-way half.
describe('createThreeWayMergePatch, upstream cases', () => {
  it.each<[string, unknown, unknown, unknown, unknown, unknown]>([
    ['nil original', undefined, { name: 1, value: 1 }, { name: 1, other: 'a' }, { value: 1 }, { name: 1, value: 1, other: 'a' }],
    ['add field to map with conflict', { name: 1 }, { name: 1, value: 1 }, { name: 'a', other: 'a' }, { name: 1, value: 1 }, { name: 1, value: 1, other: 'a' }],
    ['add field and delete field from map', { name: 1 }, { value: 1 }, { name: 1, other: 'a' }, { name: null, value: 1 }, { value: 1, other: 'a' }],
    [
      'delete field from nested map with conflict',
      { simpleMap: { key1: 1, key2: 1 } },
      { simpleMap: { key1: 1 } },
      { simpleMap: { key1: 'a', key2: 1, other: 'a' } },
      { simpleMap: { key1: 1, key2: null } },
      { simpleMap: { key1: 1, other: 'a' } },
    ],
    ['add field and delete all fields from map with conflict', { name: 1, value: 1 }, { other: 'a' }, { name: 1, value: 1, other: 'b' }, { name: null, value: null, other: 'a' }, { other: 'a' }],
    ['replace list of scalars with conflict', { nonMergingIntList: [1, 2] }, { nonMergingIntList: [2, 3] }, { nonMergingIntList: [1, 4] }, { nonMergingIntList: [2, 3] }, { nonMergingIntList: [2, 3] }],
    [
      'delete all maps from merging list with conflict',
      { mergingList: [{ name: 1 }, { name: 2 }] },
      { mergingList: [] },
      { mergingList: [{ name: 1, other: 'a' }, { name: 2, other: 'b' }] },
      { mergingList: [{ name: 1, $patch: 'delete' }, { name: 2, $patch: 'delete' }] },
      { mergingList: [] },
    ],
    [
      'defined null values should propagate overwrite current fields (with conflict)',
      { name: 2 },
      { name: 1, value: 1, other: null },
      { name: 'a', other: 'a' },
      { name: 1, value: 1, other: null },
      { name: 1, value: 1 },
    ],
    [
      'delete items in lists of scalars',
      { mergingIntList: [1, 2, 3] },
      { mergingIntList: [1, 2] },
      { mergingIntList: [1, 2, 3, 4] },
      { '$setElementOrder/mergingIntList': [1, 2], '$deleteFromPrimitiveList/mergingIntList': [3] },
      { mergingIntList: [1, 2, 4] },
    ],
    [
      'merge lists of maps',
      { mergingList: [{ name: 1 }, { name: 2, value: 2 }] },
      { mergingList: [{ name: 4, value: 4 }, { name: 1 }, { name: 2, value: 2 }, { name: 3, value: 3 }] },
      { mergingList: [{ name: 1, other: 'a' }, { name: 2, value: 2, other: 'b' }] },
      { '$setElementOrder/mergingList': [{ name: 4 }, { name: 1 }, { name: 2 }, { name: 3 }], mergingList: [{ name: 4, value: 4 }, { name: 3, value: 3 }] },
      { mergingList: [{ name: 4, value: 4 }, { name: 1, other: 'a' }, { name: 2, value: 2, other: 'b' }, { name: 3, value: 3 }] },
    ],
    [
      'merge lists of maps with conflict',
      { mergingList: [{ name: 1 }, { name: 2, value: 2 }] },
      { mergingList: [{ name: 1 }, { name: 2, value: 2 }, { name: 3, value: 3 }] },
      { mergingList: [{ name: 1, other: 'a' }, { name: 2, value: 3, other: 'b' }] },
      { '$setElementOrder/mergingList': [{ name: 1 }, { name: 2 }, { name: 3 }], mergingList: [{ name: 2, value: 2 }, { name: 3, value: 3 }] },
      { mergingList: [{ name: 1, other: 'a' }, { name: 2, value: 2, other: 'b' }, { name: 3, value: 3 }] },
    ],
    [
      'nested patch merge with empty list',
      { name: 'hi' },
      { name: 'hi', mergingList: [{ name: 'hello' }, { $patch: 'delete', name: 'doesntexist' }] },
      { name: 'hi', mergingList: [{ name: 'hello2' }] },
      { '$setElementOrder/mergingList': [{ name: 'hello' }, { name: 'doesntexist' }], mergingList: [{ name: 'hello' }, { $patch: 'delete', name: 'doesntexist' }] },
      { name: 'hi', mergingList: [{ name: 'hello' }, { name: 'hello2' }] },
    ],
    [
      'retainKeys map with no change should not be present',
      { name: 'a', retainKeysMap: { name: 'foo' } },
      { name: 'a', value: 'b', retainKeysMap: { name: 'foo' } },
      { name: 'a', other: 'c', retainKeysMap: { name: 'foo' } },
      { value: 'b' },
      { name: 'a', value: 'b', other: 'c', retainKeysMap: { name: 'foo' } },
    ],
  ])('%s', (_name, original, modified, current, patch, result) => {
    expect(createThreeWayMergePatch(original, modified, current, mergeItemSchema)).toEqual(patch);
    expect(applyThreeWay(original as KubeObject | undefined, modified as KubeObject, current as KubeObject, mergeItemSchema)).toEqual(result);
  });
});

describe('applyThreeWay round trip', () => {
  const podSchema = patchSchemaFor('v1', 'Pod')!;

  it('turns live into desired when live is what was last applied plus server-only fields', () => {
    fc.assert(
      fc.property(podLike, podLike, (lastApplied, desired) => {
        const live = { ...structuredClone(lastApplied), metadata: { ...structuredClone(lastApplied.metadata), uid: 'u1' } };
        const expected = { ...structuredClone(desired), metadata: { ...structuredClone(desired.metadata), uid: 'u1' } };
        expect(applyThreeWay(lastApplied as KubeObject, desired as KubeObject, live as KubeObject, podSchema)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('applyThreeWay without a schema (JSON merge patch, for custom kinds)', () => {
  const applied = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', labels: { a: '1', b: '2' } }, spec: { size: 1, items: [{ name: 'x', v: 1 }] } };
  const current = { ...structuredClone(applied), metadata: { ...structuredClone(applied.metadata), uid: 'u' }, spec: { ...structuredClone(applied.spec), items: [{ name: 'x', v: 1, defaulted: true }], phase: 'Ready' } };

  it('deletes what the user removed, keeps live-only fields, and replaces changed lists whole', () => {
    const desired = { ...structuredClone(applied), metadata: { name: 'w', labels: { a: '1' } }, spec: { size: 2, items: [{ name: 'x', v: 2 }] } };
    expect(createThreeWayMergePatch(applied, desired, current)).toEqual({ metadata: { labels: { b: null } }, spec: { size: 2, items: [{ name: 'x', v: 2 }] } });
    expect(applyThreeWay(applied, desired, current)).toEqual({
      ...current,
      metadata: { name: 'w', labels: { a: '1' }, uid: 'u' },
      spec: { size: 2, items: [{ name: 'x', v: 2 }], phase: 'Ready' },
    });
  });

  it('keeps an explicitly empty object from the manifest', () => {
    const desired = { ...structuredClone(applied), spec: { ...structuredClone(applied.spec), selector: {} } };
    expect(createThreeWayMergePatch(applied, desired, current)).toEqual({ spec: { selector: {}, items: [{ name: 'x', v: 1 }] } });
  });
});

describe('the last-applied-configuration annotation', () => {
  it('is recorded by withLastApplied and read back by lastAppliedOf', () => {
    const recorded = withLastApplied(manifest);
    expect(recorded.metadata.annotations?.[LAST_APPLIED_ANNOTATION]).toBe(JSON.stringify({ ...manifest, metadata: { ...manifest.metadata, annotations: {} } }));
    expect(lastAppliedOf(recorded)).toEqual({ ...manifest, metadata: { ...manifest.metadata, annotations: {} } });
    expect(manifest.metadata as object).not.toHaveProperty('annotations');
  });

  it('is undefined for an object that was created, not applied', () => {
    expect(lastAppliedOf(live)).toBeUndefined();
  });

  it('refuses an annotation that is not a JSON object', () => {
    const obj = { metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: '{nope' } } };
    expect(() => lastAppliedOf(obj)).toThrow(/annotation kubectl\.kubernetes\.io\/last-applied-configuration is not valid JSON/);
  });

  it('drives repeated applies the way kubectl apply does', () => {
    const schema = patchSchemaFor('v1', 'ConfigMap');
    const first = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { a: '1', b: '2' } }, data: { x: '1', y: '2' } };
    let stored: KubeObject = withLastApplied(first);
    stored = { ...stored, metadata: { ...stored.metadata, uid: 'u', labels: { ...stored.metadata!.labels, owner: 'controller' } } };

    const second = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { a: '1' } }, data: { x: '1', z: '3' } };
    stored = applyThreeWay(lastAppliedOf(stored), withLastApplied(second), stored, schema);

    expect(stored.metadata?.labels).toEqual({ a: '1', owner: 'controller' });
    expect(stored.data).toEqual({ x: '1', z: '3' });
    expect(stored.metadata?.uid).toBe('u');
    expect(lastAppliedOf(stored)).toEqual({ ...second, metadata: { ...second.metadata, annotations: {} } });
  });
});
