import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isApiError } from '@bosun/api';
import { copyIn, generateNameFrom, jsonEqual, NAME_ALPHABET, selectorString, specChanged } from './util';

describe('copyIn', () => {
  it('gives what a JSON round trip gives, for any JSON-like input', () => {
    const value = fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.constant(Number.NaN), fc.constant(() => 1), fc.date({ noInvalidDate: true }));
    const object = fc.dictionary(fc.string(), fc.oneof(value, fc.array(value), fc.dictionary(fc.string(), value)));
    fc.assert(
      fc.property(object, (obj) => {
        expect(copyIn(obj)).toEqual(JSON.parse(JSON.stringify(obj)));
      }),
      { numRuns: 400 },
    );
  });

  it.each([
    ['-0 as 0', { n: -0 }],
    ['an own __proto__ member as data (regression: it became the prototype)', JSON.parse('{"__proto__":{"x":1},"a":"b"}') as object],
  ])('copies %s, as JSON does', (_n, obj) => {
    const out = copyIn(obj);
    expect(out).toStrictEqual(JSON.parse(JSON.stringify(obj)));
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it('shares nothing with its input', () => {
    const input = { a: { b: [1, { c: 2 }] } };
    const out = copyIn(input);
    (out.a.b[1] as { c: number }).c = 3;
    expect(input.a.b[1]).toEqual({ c: 2 });
  });

  it.each([
    ['a cycle', () => {
      const o: Record<string, unknown> = {};
      o.self = o;
      return o;
    }],
    ['a BigInt', () => ({ n: 1n })],
    ['an array body', () => [1]],
    ['null', () => null],
  ])('refuses %s with a 400 ApiError', (_n, make) => {
    let err: unknown;
    try {
      copyIn(make() as object);
    } catch (e) {
      err = e;
    }
    expect(isApiError(err) && err.code === 400).toBe(true);
  });
});

describe('jsonEqual and specChanged', () => {
  it('ignore key order and undefined members', () => {
    expect(jsonEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1, d: undefined })).toBe(true);
    expect(jsonEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  });
  it.each([
    ['a metadata change', { metadata: { labels: { a: 'b' } } }, false],
    ['a status change', { status: { replicas: 3 } }, false],
    ['a spec change', { spec: { replicas: 4 } }, true],
    ['a new top-level field', { data: { x: '1' } }, true],
  ])('%s bumps generation: %s', (_n, change, bumps) => {
    const old = { apiVersion: 'v1', kind: 'X', metadata: { name: 'x' }, spec: { replicas: 3 }, status: { replicas: 1 } };
    expect(specChanged({ ...old, ...change }, old)).toBe(bumps);
  });
});

describe('selectorString', () => {
  it.each([
    [{ matchLabels: { b: '2', a: '1' } }, 'a=1,b=2'],
    [{ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }, { key: 'env', operator: 'DoesNotExist' }] }, 'app=web,!env,tier in (a,b)'],
    [{ matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['1'] }, { key: 'y', operator: 'Exists' }] }, 'x notin (1),y'],
    [{ app: 'web', tier: 'a' }, 'app=web,tier=a'],
    ['already=string', 'already=string'],
    [undefined, ''],
  ])('%j → %s', (sel, expected) => {
    expect(selectorString(sel)).toBe(expected);
  });
});

describe('generateNameFrom', () => {
  it('draws five characters from the alphabet and cuts long prefixes', () => {
    let i = 0;
    const seq = [0, 0.99, 0.5, 0.1, 0.3];
    expect(generateNameFrom('web-', () => seq[i++])).toBe(`web-${NAME_ALPHABET[0]}${NAME_ALPHABET[26]}${NAME_ALPHABET[13]}${NAME_ALPHABET[2]}${NAME_ALPHABET[8]}`);
    expect(generateNameFrom('x'.repeat(80), () => 0)).toHaveLength(63);
  });
});
