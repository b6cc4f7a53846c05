import { describe, expect, it } from 'vitest';
import { applyStrategicMergePatch } from './strategic-merge-patch';
import { patchSchemaFor } from './builtin-patch-schemas';
import { mergeItemSchema } from './test-fixtures';
import { errorOf } from '../../../../test/support/api-error';


const podSchema = patchSchemaFor('v1', 'Pod')!;
const deploymentSchema = patchSchemaFor('apps/v1', 'Deployment')!;

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', labels: { app: 'web', tier: 'front' }, finalizers: ['a.example.com/x', 'b.example.com/y'] },
  spec: {
    containers: [
      { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80 }] },
      { name: 'sidecar', image: 'proxy:1' },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
    tolerations: [{ key: 'k1', operator: 'Exists' }],
  },
};

describe('applyStrategicMergePatch on a Pod', () => {
  it.each<[string, unknown, (p: typeof pod) => unknown]>([
    [
      'merges containers by name: changing one image keeps the other container',
      { spec: { containers: [{ name: 'sidecar', image: 'proxy:2' }] } },
      (p) => { p.spec.containers[1].image = 'proxy:2'; return p; },
    ],
    [
      'merges env by name inside a container',
      { spec: { containers: [{ name: 'app', env: [{ name: 'B', value: 'two' }] }] } },
      (p) => { p.spec.containers[0].env![1].value = 'two'; return p; },
    ],
    [
      'deletes a container with $patch: delete',
      { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } },
      (p) => { p.spec.containers.pop(); return p; },
    ],
    [
      'replaces a merged list with $patch: replace',
      { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'only:1' }] } },
      (p) => { p.spec.containers = [{ name: 'only', image: 'only:1' }] as typeof p.spec.containers; return p; },
    ],
    [
      'replaces an object with $patch: replace',
      { metadata: { labels: { $patch: 'replace', fresh: 'yes' } } },
      (p) => { (p.metadata as { labels: unknown }).labels = { fresh: 'yes' }; return p; },
    ],
    [
      'empties an object with $patch: delete',
      { metadata: { labels: { $patch: 'delete' } } },
      (p) => { (p.metadata as { labels: unknown }).labels = {}; return p; },
    ],
    [
      'accepts an explicit $patch: merge',
      { metadata: { labels: { $patch: 'merge', tier: 'back' } } },
      (p) => { p.metadata.labels.tier = 'back'; return p; },
    ],
    [
      'deletes a field set to null',
      { metadata: { labels: { tier: null } }, spec: { tolerations: null } },
      (p) => { delete (p.metadata.labels as Partial<typeof p.metadata.labels>).tier; delete (p.spec as Partial<typeof p.spec>).tolerations; return p; },
    ],
    [
      'replaces the atomic tolerations list whole',
      { spec: { tolerations: [{ key: 'k2', operator: 'Exists' }] } },
      (p) => { p.spec.tolerations = [{ key: 'k2', operator: 'Exists' }]; return p; },
    ],
    [
      'merges finalizers as a set, adding only what is new (first, as Kubernetes does)',
      { metadata: { finalizers: ['b.example.com/y', 'c.example.com/z'] } },
      (p) => { p.metadata.finalizers = ['a.example.com/x', 'b.example.com/y', 'c.example.com/z']; return p; },
    ],
    [
      'removes finalizers listed in $deleteFromPrimitiveList/finalizers',
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['a.example.com/x', 'never.example.com/was'] } },
      (p) => { p.metadata.finalizers = ['b.example.com/y']; return p; },
    ],
    [
      'switches a volume from emptyDir to hostPath with $retainKeys, dropping emptyDir',
      { spec: { volumes: [{ name: 'data', hostPath: { path: '/srv' }, $retainKeys: ['hostPath', 'name'] }] } },
      (p) => { (p.spec as { volumes: unknown }).volumes = [{ name: 'data', hostPath: { path: '/srv' } }]; return p; },
    ],
    [
      'keeps both volume sources without $retainKeys, as Kubernetes does',
      { spec: { volumes: [{ name: 'data', hostPath: { path: '/srv' } }] } },
      (p) => { (p.spec as { volumes: unknown }).volumes = [{ name: 'data', emptyDir: {}, hostPath: { path: '/srv' } }]; return p; },
    ],
    [
      'puts a container added by a hand-written patch first, as Kubernetes does',
      { spec: { containers: [{ name: 'init-log', image: 'log:1' }] } },
      (p) => { p.spec.containers.unshift({ name: 'init-log', image: 'log:1' } as (typeof p.spec.containers)[0]); return p; },
    ],
    [
      'orders containers by $setElementOrder/containers',
      { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }, { name: 'new' }], containers: [{ name: 'new', image: 'new:1' }] } },
      (p) => { p.spec.containers = [p.spec.containers[1], p.spec.containers[0], { name: 'new', image: 'new:1' } as (typeof p.spec.containers)[0]]; return p; },
    ],
    [
      'merges container ports by containerPort',
      { spec: { containers: [{ name: 'app', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] }] } },
      (p) => { p.spec.containers[0].ports = [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] as typeof p.spec.containers[0]['ports']; return p; },
    ],
  ])('%s', (_name, patch, expected) => {
    const input = structuredClone(pod);
    const patchCopy = structuredClone(patch);
    expect(applyStrategicMergePatch(input, patch, podSchema)).toEqual(expected(structuredClone(pod)));
    expect(input).toEqual(pod);
    expect(patch).toEqual(patchCopy);
  });

  it('merges pod status conditions by type', () => {
    const live = { status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }], containerStatuses: [{ name: 'app', ready: false }] } };
    const patch = { status: { conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'app', ready: true }] } };
    expect(applyStrategicMergePatch(live, patch, podSchema)).toEqual({
      status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }], containerStatuses: [{ name: 'app', ready: true }] },
    });
  });

  it('merges containers of a Deployment pod template and keeps the strategy with $retainKeys', () => {
    const live = {
      spec: {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
        template: { spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] } },
      },
    };
    const patch = { spec: { strategy: { type: 'Recreate', $retainKeys: ['type'] }, template: { spec: { containers: [{ name: 'b', image: 'b:2' }] } } } };
    expect(applyStrategicMergePatch(live, patch, deploymentSchema)).toEqual({
      spec: { strategy: { type: 'Recreate' }, template: { spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:2' }] } } },
    });
  });

  it('treats __proto__ and constructor members as data', () => {
    const patch = JSON.parse('{"metadata":{"labels":{"__proto__":{"polluted":"yes"},"constructor":"c"}}}');
    const out = applyStrategicMergePatch<{ metadata: { labels: Record<string, unknown> } }>({ metadata: {} }, patch, podSchema);
    expect(Object.hasOwn(out.metadata.labels, '__proto__')).toBe(true);
    expect(out.metadata.labels.constructor).toBe('c');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('leaves no trace of a $patch: delete for a field the object lacks', () => {
    expect(applyStrategicMergePatch({ spec: {} }, { spec: { affinity: { $patch: 'delete' } } }, podSchema)).toEqual({ spec: {} });
  });

  it('merges large keyed lists in near-linear time', () => {
    const n = 5000;
    const live = { spec: { containers: Array.from({ length: n }, (_, i) => ({ name: `c${i}`, image: 'x:1' })) } };
    const patch = { spec: { containers: Array.from({ length: n }, (_, i) => ({ name: `c${n - 1 - i}`, image: 'x:2' })) } };
    const started = performance.now();
    const out = applyStrategicMergePatch<typeof live>(live, patch, podSchema);
    expect(out.spec.containers).toHaveLength(n);
    expect(out.spec.containers[0]).toEqual({ name: `c${n - 1}`, image: 'x:2' });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('never stores directives from a patch that creates a list', () => {
    const patch = { spec: { containers: [{ name: 'a', image: 'a:1', env: [{ name: 'X', $patch: 'delete' }, { name: 'Y', value: 'y' }] }, { name: 'gone', $patch: 'delete' }] } };
    expect(applyStrategicMergePatch({}, patch, podSchema)).toEqual({ spec: { containers: [{ name: 'a', image: 'a:1', env: [{ name: 'Y', value: 'y' }] }] } });
  });

  it.each<[string, unknown, string, RegExp]>([
    ['a merged element lacks its merge key', { spec: { containers: [{ image: 'x' }] } }, 'BadRequest', /at spec\.containers\[0\]: element \{"image":"x"\} does not contain declared merge key "name"$/],
    ['a delete directive lacks its merge key', { spec: { containers: [{ $patch: 'delete' }] } }, 'BadRequest', /delete directive \{"\$patch":"delete"\} does not contain declared merge key "name"$/],
    ['$patch has an unknown value', { metadata: { labels: { $patch: 'frobnicate' } } }, 'BadRequest', /at metadata\.labels: unknown \$patch directive "frobnicate"/],
    ['$retainKeys is not a list', { spec: { volumes: [{ name: 'data', $retainKeys: 'name' }] } }, 'BadRequest', /\$retainKeys must be a list of field names/],
    ['the patch sets a field outside $retainKeys', { spec: { volumes: [{ name: 'data', hostPath: { path: '/x' }, $retainKeys: ['name'] }] } }, 'Invalid', /sets "hostPath", which is not in its \$retainKeys list \["name"\]$/],
    ['a merged list mixes objects and primitives', { metadata: { finalizers: [{ a: 1 }] } }, 'BadRequest', /at metadata\.finalizers: list element types are not identical/],
    ['a merged list holds lists', { metadata: { finalizers: [['x']] } }, 'Invalid', /lists of lists are not supported$/],
    ['$deleteFromPrimitiveList has no field', { metadata: { $deleteFromPrimitiveList: ['x'] } }, 'BadRequest', /invalid directive key "\$deleteFromPrimitiveList": expected "\$deleteFromPrimitiveList\/<field>"$/],
    ['the patch is not an object', ['x'], 'BadRequest', /the patch must be a JSON object, got array$/],
  ])('fails when %s', (_name, patch, reason, message) => {
    const e = errorOf(() => applyStrategicMergePatch(pod, patch, podSchema));
    expect(e.reason).toBe(reason);
    expect(e.message).toMatch(/^strategic merge patch/);
    expect(e.message).toMatch(message);
  });
});

// Upstream k8s.io/apimachinery strategicpatch test cases (customStrategicMergePatchTestCaseData
// and the raw cases), on the same MergeItem schema.
describe('applyStrategicMergePatch, upstream cases', () => {
  it.each<[string, unknown, unknown, unknown]>([
    ['unique scalars when merging lists', { mergingIntList: [1, 2] }, { mergingIntList: [2, 3] }, { mergingIntList: [1, 2, 3] }],
    ['delete map from nested map', { simpleMap: { key1: 1, key2: 1 } }, { simpleMap: { $patch: 'delete' } }, { simpleMap: {} }],
    ['delete all items from merging list', { mergingList: [{ name: 1 }, { name: 2 }] }, { mergingList: [{ $patch: 'replace' }] }, { mergingList: [] }],
    ['merge empty merging lists', { mergingList: [] }, { mergingList: [] }, { mergingList: [] }],
    ['delete all keys from map', { name: 1, value: 1 }, { $patch: 'replace' }, {}],
    ['add key and delete all keys from map', { name: 1, value: 1 }, { other: 'a', $patch: 'replace' }, { other: 'a' }],
    [
      'delete all duplicate entries in a merging list',
      { mergingList: [{ name: 1 }, { name: 1 }, { name: 2, value: 'a' }, { name: 3 }, { name: 3 }] },
      { mergingList: [{ name: 1, $patch: 'delete' }, { name: 3, $patch: 'delete' }] },
      { mergingList: [{ name: 2, value: 'a' }] },
    ],
    ['retainKeys map can add a field when no retainKeys directive present', { retainKeysMap: { name: 'foo' } }, { retainKeysMap: { value: 'bar' } }, { retainKeysMap: { name: 'foo', value: 'bar' } }],
    ['retainKeys map can change a field when no retainKeys directive present', { retainKeysMap: { name: 'foo', value: 'a' } }, { retainKeysMap: { value: 'b' } }, { retainKeysMap: { name: 'foo', value: 'b' } }],
    ['retainKeys map can delete a field when no retainKeys directive present', { retainKeysMap: { name: 'foo', value: 'a' } }, { retainKeysMap: { value: null } }, { retainKeysMap: { name: 'foo' } }],
    ['retainKeys map merge an empty map', { retainKeysMap: { name: 'foo', value: 'a' } }, { retainKeysMap: {} }, { retainKeysMap: { name: 'foo', value: 'a' } }],
    [
      'retainKeys list can add a field when no retainKeys directive present',
      { retainKeysMergingList: [{ name: 'bar' }, { name: 'foo' }] },
      { retainKeysMergingList: [{ name: 'foo', value: 'a' }] },
      { retainKeysMergingList: [{ name: 'bar' }, { name: 'foo', value: 'a' }] },
    ],
    [
      'retainKeys list can delete a field when no retainKeys directive present',
      { retainKeysMergingList: [{ name: 'bar' }, { name: 'foo', value: 'a' }] },
      { retainKeysMergingList: [{ name: 'foo', value: null }] },
      { retainKeysMergingList: [{ name: 'bar' }, { name: 'foo' }] },
    ],
    [
      'retainKeys map clears the fields it does not name',
      { retainKeysMap: { name: 'foo', value: 'a', other: 'b' } },
      { retainKeysMap: { value: 'c', $retainKeys: ['name', 'value'] } },
      { retainKeysMap: { name: 'foo', value: 'c' } },
    ],
    [
      'preserve the order from the patch in a merging list',
      { mergingList: [{ name: 1 }, { name: 2, value: 'b' }, { name: 3 }] },
      { mergingList: [{ name: 3, value: 'c' }, { name: 1, value: 'a' }, { name: 2, other: 'x' }] },
      { mergingList: [{ name: 3, value: 'c' }, { name: 1, value: 'a' }, { name: 2, value: 'b', other: 'x' }] },
    ],
    [
      'preserve the order from the patch in a merging list 2',
      { mergingList: [{ name: 1 }, { name: 2, value: 'b' }, { name: 3 }] },
      { mergingList: [{ name: 3, value: 'c' }, { name: 1, value: 'a' }] },
      { mergingList: [{ name: 2, value: 'b' }, { name: 3, value: 'c' }, { name: 1, value: 'a' }] },
    ],
    ['preserve the order from the patch in a merging int list', { mergingIntList: [1, 2, 3] }, { mergingIntList: [3, 1, 2] }, { mergingIntList: [3, 1, 2] }],
    ['preserve the order from the patch in a merging int list 2', { mergingIntList: [1, 2, 3] }, { mergingIntList: [3, 1] }, { mergingIntList: [2, 3, 1] }],
    [
      '$setElementOrder contains item that is not present in the list to be merged',
      { mergingList: [{ name: 1 }, { name: 3 }] },
      { '$setElementOrder/mergingList': [{ name: 3 }, { name: 2 }, { name: 1 }], mergingList: [{ name: 3, value: 3 }, { name: 1, value: 1 }] },
      { mergingList: [{ name: 3, value: 3 }, { name: 1, value: 1 }] },
    ],
    ['$setElementOrder contains item that is not present in the int list to be merged', { mergingIntList: [1, 3] }, { '$setElementOrder/mergingIntList': [3, 2, 1] }, { mergingIntList: [3, 1] }],
    ['$deleteFromPrimitiveList of nonexistent item in primitive list should not add the item to the list', { mergingIntList: [1, 2] }, { '$deleteFromPrimitiveList/mergingIntList': [3] }, { mergingIntList: [1, 2] }],
    ['$deleteFromPrimitiveList on empty primitive list should not add the item to the list', { mergingIntList: null }, { '$deleteFromPrimitiveList/mergingIntList': [3] }, { mergingIntList: null }],
    ['$deleteFromPrimitiveList on nonexistent primitive list should not add the primitive list', { foo: ['bar'] }, { '$deleteFromPrimitiveList/mergingIntList': [3] }, { foo: ['bar'] }],
    ['$deleteFromPrimitiveList should delete item from a list with merge patch strategy', { mergingIntList: [1, 2, 3] }, { '$deleteFromPrimitiveList/mergingIntList': [2] }, { mergingIntList: [1, 3] }],
    ['$deleteFromPrimitiveList should delete item from a list without merge patch strategy', { nonMergingIntList: [1, 2, 3] }, { '$deleteFromPrimitiveList/nonMergingIntList': [2] }, { nonMergingIntList: [1, 3] }],
    [
      'delete all duplicate items in lists of scalars',
      { mergingIntList: [1, 2, 3, 3, 4] },
      { '$setElementOrder/mergingIntList': [1, 2], '$deleteFromPrimitiveList/mergingIntList': [3] },
      { mergingIntList: [1, 2, 4] },
    ],
    [
      'nested patch merge with empty list',
      { name: 'hi' },
      { mergingList: [{ name: 'hello' }, { $patch: 'delete', name: 'doesntexist' }] },
      { name: 'hi', mergingList: [{ name: 'hello' }] },
    ],
    ['replace strategy replaces an object whole', { replacingItem: { a: 1, b: 2 } }, { replacingItem: { c: 3 } }, { replacingItem: { c: 3 } }],
    ['non-merging lists are replaced', { nonMergingList: [{ name: 1 }, { name: 2 }] }, { nonMergingList: [{ name: 3 }] }, { nonMergingList: [{ name: 3 }] }],
  ])('%s', (_name, original, patch, result) => {
    expect(applyStrategicMergePatch(original, patch, mergeItemSchema)).toEqual(result);
  });

  it.each<[string, unknown, unknown, RegExp]>([
    [
      'should check if order in $setElementOrder and patch list match',
      { mergingList: [{ name: 1 }, { name: 3 }, { name: 2 }] },
      { '$setElementOrder/mergingList': [{ name: 1 }, { name: 2 }, { name: 3 }], mergingList: [{ name: 3, value: 3 }, { name: 1, value: 1 }] },
      /doesn't match the \$setElementOrder list/,
    ],
    ['should check if order in $setElementOrder and patch int list match', { mergingIntList: [1, 3, 2] }, { '$setElementOrder/mergingIntList': [1, 2, 3], mergingIntList: [3, 1] }, /doesn't match/],
    ['missing merge key should error out', { mergingList: [{ name: 1, value: 'a' }] }, { mergingList: [{ value: 'b' }] }, /does not contain declared merge key "name"/],
  ])('%s', (_name, original, patch, message) => {
    const e = errorOf(() => applyStrategicMergePatch(original, patch, mergeItemSchema));
    expect(e.reason).toBe('BadRequest');
    expect(e.message).toMatch(message);
  });
});
