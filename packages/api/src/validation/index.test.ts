import { describe, expect, it } from 'vitest';
import { defaultObject } from '../defaults/index';
import { allKinds, minimalObjects } from './fixtures';
import { nameValidationFor, validateObject, validators } from './index';

describe('validators', () => {
  it('has one validator per built-in kind', () => {
    expect(Object.keys(validators).sort()).toEqual([...allKinds].sort());
  });

  it.each(allKinds)('a minimal %s is valid', (key) => {
    expect(validateObject(minimalObjects[key]())).toEqual([]);
  });

  it.each(allKinds)('a minimal %s is valid after defaulting', (key) => {
    expect(validateObject(defaultObject(minimalObjects[key]()))).toEqual([]);
  });

  it.each(allKinds)('a defaulted %s is a valid update of itself', (key) => {
    const obj = defaultObject(minimalObjects[key]());
    expect(validateObject(structuredClone(obj), obj)).toEqual([]);
  });

  it.each(allKinds)('validating %s never throws on garbage fields', (key) => {
    for (const garbage of [null, 'x', 3, true, [], [null, 'y'], { a: [1] }]) {
      const obj = minimalObjects[key]();
      for (const k of Object.keys(obj)) if (k !== 'apiVersion' && k !== 'kind') obj[k] = garbage;
      expect(() => validateObject(obj)).not.toThrow();
      expect(() => validateObject(obj, minimalObjects[key]())).not.toThrow();
      expect(() => validators[key](garbage, garbage)).not.toThrow();
    }
  });

  it.each(allKinds)('validating %s never throws on garbage nested fields', (key) => {
    const obj = defaultObject(minimalObjects[key]());
    const paths: string[][] = [];
    const walk = (o: any, at: string[]) => {
      if (o && typeof o === 'object') for (const k of Object.keys(o)) {
        paths.push([...at, k]);
        walk(o[k], [...at, k]);
      }
    };
    walk(obj, []);
    for (const path of paths) {
      for (const garbage of [null, 'x', -1, {}, [7]]) {
        const copy = structuredClone(obj);
        let o = copy;
        for (const k of path.slice(0, -1)) o = o[k];
        o[path[path.length - 1]] = garbage;
        expect(() => validateObject(copy, obj), path.join('.')).not.toThrow();
      }
    }
  });
});

describe('validateObject', () => {
  it('refuses a kind that is not built in', () => {
    expect(validateObject({ apiVersion: 'example.com/v1', kind: 'Widget' })).toEqual([
      { reason: 'FieldValueNotSupported', field: 'kind', message: 'Unsupported value: "Widget"' },
    ]);
  });

  it('requires the namespace of namespaced kinds', () => {
    const pod = minimalObjects['v1/Pod']();
    delete pod.metadata.namespace;
    expect(validateObject(pod)).toEqual([{ reason: 'FieldValueRequired', field: 'metadata.namespace', message: 'Required value' }]);
  });

  it('forbids a namespace on cluster-scoped kinds', () => {
    const node = minimalObjects['v1/Node']();
    node.metadata.namespace = 'default';
    expect(validateObject(node)).toEqual([{ reason: 'FieldValueForbidden', field: 'metadata.namespace', message: 'Forbidden: not allowed on this type' }]);
  });

  it('checks metadata immutability on update', () => {
    const old = minimalObjects['v1/ConfigMap']();
    old.metadata.uid = 'a';
    const obj = structuredClone(old);
    obj.metadata.uid = 'b';
    expect(validateObject(obj, old)).toEqual([{ reason: 'FieldValueInvalid', field: 'metadata.uid', message: 'Invalid value: "b": field is immutable' }]);
  });

  it.each([
    ['v1', 'Pod', 'subdomain'],
    ['autoscaling/v2', 'HorizontalPodAutoscaler', 'path'],
    ['example.com/v1', 'Widget', undefined],
  ])('names %s %s with %s rules', (apiVersion, kind, rule) => {
    expect(nameValidationFor(apiVersion, kind)).toBe(rule);
  });
});
