import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStrategicMergePatch } from './create-strategic-merge-patch';
import { applyStrategicMergePatch } from './strategic-merge-patch';
import { patchSchemaFor } from './builtin-patch-schemas';
import { mergeItemSchema, podLike } from './test-fixtures';

const podSchema = patchSchemaFor('v1', 'Pod')!;
const deploymentSchema = patchSchemaFor('apps/v1', 'Deployment')!;

const base = {
  metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['f1', 'f2'] },
  spec: {
    containers: [
      { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }] },
      { name: 'sidecar', image: 'proxy:1' },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
  },
};
type Pod = typeof base;
const modify = (f: (p: Pod) => void): Pod => {
  const p = structuredClone(base);
  f(p);
  return p;
};

describe('createStrategicMergePatch', () => {
  it.each<[string, Pod, unknown]>([
    ['gives {} for equal objects', structuredClone(base), {}],
    [
      'sends only the changed field of a container, keyed by name, with the list order',
      modify((p) => (p.spec.containers[1].image = 'proxy:2')),
      { spec: { containers: [{ name: 'sidecar', image: 'proxy:2' }], '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }] } },
    ],
    [
      'deletes a removed container with $patch: delete',
      modify((p) => p.spec.containers.pop()),
      { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }], '$setElementOrder/containers': [{ name: 'app' }] } },
    ],
    [
      'merges env by name inside a container',
      modify((p) => p.spec.containers[0].env!.push({ name: 'B', value: '2' })),
      {
        spec: {
          containers: [{ name: 'app', env: [{ name: 'B', value: '2' }], '$setElementOrder/env': [{ name: 'A' }, { name: 'B' }] }],
          '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }],
        },
      },
    ],
    [
      'records a reordering with $setElementOrder alone',
      modify((p) => p.spec.containers.reverse()),
      { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }] } },
    ],
    [
      'removes a finalizer with $deleteFromPrimitiveList',
      modify((p) => (p.metadata.finalizers = ['f2'])),
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['f1'], '$setElementOrder/finalizers': ['f2'] } },
    ],
    [
      'adds a finalizer as a one-element list',
      modify((p) => p.metadata.finalizers.push('f3')),
      { metadata: { finalizers: ['f3'], '$setElementOrder/finalizers': ['f1', 'f2', 'f3'] } },
    ],
    [
      'switches a volume source with $retainKeys, nulling the old source',
      modify((p) => (p.spec.volumes = [{ name: 'data', hostPath: { path: '/srv' } } as never])),
      {
        spec: {
          volumes: [{ name: 'data', hostPath: { path: '/srv' }, emptyDir: null, $retainKeys: ['hostPath', 'name'] }],
          '$setElementOrder/volumes': [{ name: 'data' }],
        },
      },
    ],
    ['nulls a removed field', modify((p) => delete (p.metadata as Partial<Pod['metadata']>).labels), { metadata: { labels: null } }],
  ])('%s', (_name, modified, patch) => {
    const original = structuredClone(base);
    expect(createStrategicMergePatch(original, modified, podSchema)).toEqual(patch);
    expect(original).toEqual(base);
    expect(applyStrategicMergePatch(base, patch, podSchema)).toEqual(modified);
  });

  it('switches a Deployment from RollingUpdate to Recreate with $retainKeys on the strategy', () => {
    const original = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } };
    const modified = { spec: { strategy: { type: 'Recreate' } } };
    const patch = createStrategicMergePatch(original, modified, deploymentSchema);
    expect(patch).toEqual({ spec: { strategy: { type: 'Recreate', rollingUpdate: null, $retainKeys: ['type'] } } });
    expect(applyStrategicMergePatch(original, patch, deploymentSchema)).toEqual(modified);
  });

  it.each<[string, unknown, unknown, unknown]>([
    ['retainKeys map with no change should not be present', { name: 'a', retainKeysMap: { name: 'foo' } }, { name: 'a', value: 'b', retainKeysMap: { name: 'foo' } }, { value: 'b' }],
    ['delete all maps from merging list', { mergingList: [{ name: 1 }, { name: 2 }] }, { mergingList: [] }, { mergingList: [{ name: 1, $patch: 'delete' }, { name: 2, $patch: 'delete' }] }],
    ['merge empty merging lists', { mergingList: [] }, { mergingList: [] }, {}],
    ['replace list of scalars', { nonMergingIntList: [1, 2] }, { nonMergingIntList: [2, 3] }, { nonMergingIntList: [2, 3] }],
    [
      'add and delete items in lists of scalars',
      { mergingIntList: [1, 2, 3] },
      { mergingIntList: [1, 2, 4] },
      { '$setElementOrder/mergingIntList': [1, 2, 4], '$deleteFromPrimitiveList/mergingIntList': [3], mergingIntList: [4] },
    ],
    [
      'merge lists of maps',
      { mergingList: [{ name: 1 }, { name: 2, value: 2 }] },
      { mergingList: [{ name: 4, value: 4 }, { name: 1 }, { name: 2, value: 2 }, { name: 3, value: 3 }] },
      { '$setElementOrder/mergingList': [{ name: 4 }, { name: 1 }, { name: 2 }, { name: 3 }], mergingList: [{ name: 4, value: 4 }, { name: 3, value: 3 }] },
    ],
  ])('upstream case: %s', (_name, original, modified, patch) => {
    expect(createStrategicMergePatch(original, modified, mergeItemSchema)).toEqual(patch);
    expect(applyStrategicMergePatch(original, patch, mergeItemSchema)).toEqual(modified);
  });

  it('refuses a merged list element without its merge key', () => {
    expect(() => createStrategicMergePatch({ spec: { containers: [{ name: 'a' }] } }, { spec: { containers: [{ image: 'x' }] } }, podSchema)).toThrow(
      /at spec\.containers\[0\]: modified element does not contain declared merge key "name"/,
    );
  });
});

describe('createStrategicMergePatch round trip', () => {
  it('applying createStrategicMergePatch(a, b) to a gives b, list order included', () => {
    fc.assert(
      fc.property(podLike, podLike, (a, b) => {
        const patch = createStrategicMergePatch(a, b, podSchema);
        expect(applyStrategicMergePatch(a, patch, podSchema)).toEqual(b);
      }),
      { numRuns: 1000 },
    );
  });

  it('gives an empty patch for equal objects', () => {
    fc.assert(
      fc.property(podLike, (a) => {
        expect(createStrategicMergePatch(a, structuredClone(a), podSchema)).toEqual({});
      }),
      { numRuns: 200 },
    );
  });
});
