// Test fixtures: upstream strategicpatch's MergeItem test schema, and pod-like arbitraries.
import fc from 'fast-check';
import type { PatchField, PatchSchema } from './patch-schema';

const mergeItemFields: Record<string, PatchField> = {};
const retainKeysItemFields: Record<string, PatchField> = {};

/** k8s.io/apimachinery strategicpatch's `MergeItem` test struct. */
export const mergeItemSchema: PatchSchema = { fields: mergeItemFields };
const retainKeysItemSchema: PatchSchema = { fields: retainKeysItemFields };

Object.assign(mergeItemFields, {
  mergingList: { patchStrategy: 'merge', patchMergeKey: 'name', schema: mergeItemSchema },
  nonMergingList: { schema: mergeItemSchema },
  mergingIntList: { patchStrategy: 'merge' },
  nonMergingIntList: {},
  mergeItemPtr: { patchStrategy: 'merge', patchMergeKey: 'name', schema: mergeItemSchema },
  simpleMap: {},
  replacingItem: { patchStrategy: 'replace' },
  retainKeysMap: { patchStrategy: 'retainKeys', schema: retainKeysItemSchema },
  retainKeysMergingList: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name', schema: mergeItemSchema },
} satisfies Record<string, PatchField>);

Object.assign(retainKeysItemFields, {
  simpleMap: {},
  mergingIntList: { patchStrategy: 'merge' },
  mergingList: { patchStrategy: 'merge', patchMergeKey: 'name', schema: mergeItemSchema },
  nonMergingList: { schema: mergeItemSchema },
} satisfies Record<string, PatchField>);

const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
const env = fc.record({ name: pick('X', 'Y', 'Z'), value: pick('1', '2') }, { requiredKeys: ['name'] });
const port = fc.record({ containerPort: pick(80, 443, 8080), protocol: pick('TCP', 'UDP') }, { requiredKeys: ['containerPort'] });
const container = fc.record(
  {
    name: pick('a', 'b', 'c', 'd', 'e'),
    image: pick('img:1', 'img:2'),
    args: fc.array(pick('-v', '--x'), { maxLength: 2 }),
    env: fc.uniqueArray(env, { selector: (e) => e.name, maxLength: 3 }),
    ports: fc.uniqueArray(port, { selector: (p) => p.containerPort, maxLength: 2 }),
    volumeMounts: fc.uniqueArray(fc.record({ mountPath: pick('/a', '/b'), name: pick('v1', 'v2') }), { selector: (m) => m.mountPath, maxLength: 2 }),
    resources: fc.record({ limits: fc.dictionary(pick('cpu', 'memory'), pick('1', '2')) }, { requiredKeys: [] }),
  },
  { requiredKeys: ['name'] },
);
const volumeName = pick('v1', 'v2', 'v3');
const volume = fc.oneof(
  fc.record({ name: volumeName, emptyDir: fc.constant({}) }),
  fc.record({ name: volumeName, hostPath: fc.record({ path: pick('/a', '/b') }) }),
  fc.record({ name: volumeName, configMap: fc.record({ name: pick('cm1', 'cm2') }) }),
);
const containers = fc.uniqueArray(container, { selector: (c) => c.name, maxLength: 4 });
/** Pod-like objects: keyed, retainKeys, primitive-set and atomic lists, maps and scalars. */
export const podLike = fc.record(
  {
    metadata: fc.record(
      {
        name: fc.constant('p'),
        labels: fc.dictionary(pick('app', 'tier', 'x'), pick('1', '2')),
        finalizers: fc.uniqueArray(pick('f1', 'f2', 'f3', 'f4')),
        ownerReferences: fc.uniqueArray(fc.record({ uid: pick('u1', 'u2', 'u3'), name: pick('o1', 'o2') }), { selector: (r) => r.uid, maxLength: 2 }),
      },
      { requiredKeys: ['name'] },
    ),
    spec: fc.record(
      {
        containers,
        initContainers: containers,
        volumes: fc.uniqueArray(volume, { selector: (v) => v.name, maxLength: 3 }),
        tolerations: fc.array(fc.record({ key: pick('k1', 'k2'), operator: fc.constant('Exists') }), { maxLength: 2 }),
        nodeSelector: fc.dictionary(pick('disk', 'zone'), pick('ssd', 'a')),
        hostNetwork: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
    status: fc.record(
      { conditions: fc.uniqueArray(fc.record({ type: pick('Ready', 'PodScheduled'), status: pick('True', 'False') }), { selector: (c) => c.type }) },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['metadata'] },
);
