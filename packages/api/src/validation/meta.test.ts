import { describe, expect, it } from 'vitest';
import { FieldPath } from '../field';
import { startsWith } from './fixtures';
import { validateName, validateObjectMeta, validateObjectMetaUpdate } from './meta';

const ns = { namespaced: true };
const cause = (field: string, message: string) => expect.objectContaining({ field, message: expect.stringMatching(startsWith(message)) });

describe('validateObjectMeta', () => {
  it.each<[string, any, any, string, string]>([
    ['requires a name or generateName', { namespace: 'default' }, ns, 'metadata.name', 'Required value: name or generateName is required'],
    ['refuses an upper-case name', { name: 'Web', namespace: 'default' }, ns, 'metadata.name', 'Invalid value: "Web": a lowercase RFC 1123 subdomain must consist of'],
    ['refuses a dotted name where a label is needed', { name: 'a.b' }, { namespaced: false, nameValidator: 'label' }, 'metadata.name', 'Invalid value: "a.b": a lowercase RFC 1123 label'],
    ['refuses a name starting with a digit where a DNS-1035 label is needed', { name: '1web', namespace: 'x' }, { namespaced: true, nameValidator: 'dns1035' }, 'metadata.name', 'Invalid value: "1web": a DNS-1035 label'],
    ['refuses a name with a slash where a path segment is needed', { name: 'a/b', namespace: 'x' }, { namespaced: true, nameValidator: 'path' }, 'metadata.name', `Invalid value: "a/b": may not contain '/'`],
    ['refuses a bad generateName', { generateName: 'Web-', namespace: 'default' }, ns, 'metadata.generateName', 'Invalid value: "Web-"'],
    ['requires a namespace for namespaced kinds', { name: 'web' }, ns, 'metadata.namespace', 'Required value'],
    ['forbids a namespace for cluster-scoped kinds', { name: 'n', namespace: 'default' }, { namespaced: false }, 'metadata.namespace', 'Forbidden: not allowed on this type'],
    ['refuses a bad namespace', { name: 'web', namespace: 'Team_A' }, ns, 'metadata.namespace', 'Invalid value: "Team_A"'],
    ['refuses a bad label key', { name: 'web', namespace: 'd', labels: { 'bad key': 'v' } }, ns, 'metadata.labels', 'Invalid value: "bad key": name part must consist of'],
    ['refuses a bad label value', { name: 'web', namespace: 'd', labels: { app: 'no spaces' } }, ns, 'metadata.labels', 'Invalid value: "no spaces": a valid label must be an empty string'],
    ['refuses a label value longer than 63 characters', { name: 'web', namespace: 'd', labels: { app: 'x'.repeat(64) } }, ns, 'metadata.labels', 'Invalid value: "xxxx'],
    ['refuses a bad annotation key', { name: 'web', namespace: 'd', annotations: { 'a b': 'v' } }, ns, 'metadata.annotations', 'Invalid value: "a b"'],
    ['refuses more than 256 KiB of annotations', { name: 'web', namespace: 'd', annotations: { big: 'x'.repeat(262145) } }, ns, 'metadata.annotations', 'Too long: may not be more than 262144 bytes'],
    ['counts annotation size in UTF-8 bytes, not characters', { name: 'web', namespace: 'd', annotations: { a: 'é'.repeat(131072) } }, ns, 'metadata.annotations', 'Too long: may not be more than 262144 bytes'],
    ['requires the owner reference uid', { name: 'web', namespace: 'd', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs' }] }, ns, 'metadata.ownerReferences[0].uid', 'Invalid value: "": uid must not be empty'],
    ['requires the owner reference apiVersion', { name: 'web', namespace: 'd', ownerReferences: [{ kind: 'ReplicaSet', name: 'rs', uid: '1' }] }, ns, 'metadata.ownerReferences[0].apiVersion', 'Invalid value: "": version must not be empty'],
    [
      'allows one controller reference only',
      {
        name: 'web',
        namespace: 'd',
        ownerReferences: [
          { apiVersion: 'v1', kind: 'A', name: 'a', uid: '1', controller: true },
          { apiVersion: 'v1', kind: 'B', name: 'b', uid: '2', controller: true },
        ],
      },
      ns,
      'metadata.ownerReferences',
      'Invalid value: ',
    ],
    ['refuses a finalizer that is not a qualified name', { name: 'web', namespace: 'd', finalizers: ['a/b/c'] }, ns, 'metadata.finalizers', 'Invalid value: "a/b/c"'],
    ['refuses orphan together with foregroundDeletion', { name: 'web', namespace: 'd', finalizers: ['orphan', 'foregroundDeletion'] }, ns, 'metadata.finalizers', 'Invalid value: ["orphan","foregroundDeletion"]: finalizer orphan and foregroundDeletion cannot be both set'],
    ['refuses a negative generation', { name: 'web', namespace: 'd', generation: -1 }, ns, 'metadata.generation', 'Invalid value: -1: must be greater than or equal to 0'],
  ])('%s', (_, meta, opts, field, message) => {
    expect(validateObjectMeta(meta, opts)).toContainEqual(cause(field, message));
  });

  it('accepts annotations of exactly 256 KiB of UTF-8, and multi-byte ones below it', () => {
    expect(validateObjectMeta({ name: 'web', namespace: 'd', annotations: { a: 'é'.repeat(131071), b: '' } }, ns)).toEqual([]);
    expect(validateObjectMeta({ name: 'web', namespace: 'd', annotations: { a: 'x'.repeat(262143) } }, ns)).toEqual([]);
  });

  it('says which controllers collide', () => {
    const causes = validateObjectMeta(
      {
        name: 'w',
        namespace: 'd',
        ownerReferences: [
          { apiVersion: 'v1', kind: 'A', name: 'a', uid: '1', controller: true },
          { apiVersion: 'v1', kind: 'B', name: 'b', uid: '2', controller: true },
        ],
      },
      ns,
    );
    expect(causes[0].message).toContain('Only one reference can have Controller set to true. Found "true" in references for A/a and B/b');
  });

  it.each<[string, any, any]>([
    ['a plain name', { name: 'web', namespace: 'default' }, ns],
    ['a generateName without a name', { generateName: 'web-', namespace: 'default' }, ns],
    ['qualified labels and annotations', { name: 'web', namespace: 'd', labels: { 'app.kubernetes.io/name': 'web', empty: '' }, annotations: { 'Example.com/Note': 'anything goes here' } }, ns],
    ['a cluster-scoped object without namespace', { name: 'node-1' }, { namespaced: false }],
    ['an HPA-style name under path rules', { name: 'My_HPA', namespace: 'd' }, { namespaced: true, nameValidator: 'path' }],
  ])('accepts %s', (_, meta, opts) => {
    expect(validateObjectMeta(meta, opts)).toEqual([]);
  });

  it('reports under the path it is given', () => {
    expect(validateObjectMeta({}, ns, FieldPath.root('spec').child('template', 'metadata'))[0].field).toBe('spec.template.metadata.name');
  });
});

describe('validateName', () => {
  it.each<[string, string, any, boolean, number]>([
    ['a trailing dash is fine in a prefix', 'web-', 'subdomain', true, 0],
    ['a trailing dash is not fine in a name', 'web-', 'subdomain', false, 1],
    ['a label may not contain dots', 'a.b', 'label', false, 1],
    ['no rules accepts anything', 'ANY thing', 'none', false, 0],
  ])('%s', (_, name, how, prefix, count) => {
    expect(validateName(name, how, prefix)).toHaveLength(count);
  });
});

describe('validateObjectMetaUpdate', () => {
  const old = { name: 'web', namespace: 'default', uid: 'u1', creationTimestamp: '2026-01-01T00:00:00Z', generation: 3 };

  it.each<[string, any, string, string]>([
    ['the name', { ...old, name: 'web2' }, 'metadata.name', 'Invalid value: "web2": field is immutable'],
    ['the namespace', { ...old, namespace: 'other' }, 'metadata.namespace', 'Invalid value: "other": field is immutable'],
    ['the uid', { ...old, uid: 'u2' }, 'metadata.uid', 'Invalid value: "u2": field is immutable'],
    ['the creation timestamp', { ...old, creationTimestamp: '2026-02-01T00:00:00Z' }, 'metadata.creationTimestamp', 'Invalid value: "2026-02-01T00:00:00Z": field is immutable'],
    ['the generation downwards', { ...old, generation: 2 }, 'metadata.generation', 'Invalid value: 2: must not be decremented'],
  ])('refuses changing %s', (_, meta, field, message) => {
    expect(validateObjectMetaUpdate(meta, old)).toEqual([expect.objectContaining({ field, message })]);
  });

  it('accepts changed labels, annotations and finalizers', () => {
    expect(validateObjectMetaUpdate({ ...old, labels: { a: 'b' }, annotations: { x: 'y' }, finalizers: ['example.com/f'] }, old)).toEqual([]);
  });

  it('accepts an update that leaves server-owned fields out (the server fills them)', () => {
    expect(validateObjectMetaUpdate({ name: 'web', namespace: 'default' }, old)).toEqual([]);
  });

  it('refuses new finalizers once deletion started', () => {
    const deleting = { ...old, deletionTimestamp: '2026-01-02T00:00:00Z', finalizers: ['a.io/x'] };
    expect(validateObjectMetaUpdate({ ...deleting, finalizers: ['a.io/x', 'b.io/y'] }, deleting)).toEqual([
      expect.objectContaining({ field: 'metadata.finalizers', message: 'Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ["b.io/y"]' }),
    ]);
    expect(validateObjectMetaUpdate({ ...deleting, finalizers: [] }, deleting)).toEqual([]);
  });
});
