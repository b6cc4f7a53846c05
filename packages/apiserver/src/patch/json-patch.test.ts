import { describe, expect, it } from 'vitest';
import { applyJsonPatch, parseJsonPatch, MAX_JSON_PATCH_OPERATIONS, type JsonPatchOperation } from './json-patch';
import { errorOf } from '../../../../test/support/api-error';


const ops = (x: unknown) => x as JsonPatchOperation[];

// RFC 6902 Appendix A: the examples that succeed.
const appendixA: [string, unknown, unknown, unknown][] = [
  ['A.1 adds an object member', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { baz: 'qux', foo: 'bar' }],
  ['A.2 adds an array element', { foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }], { foo: ['bar', 'qux', 'baz'] }],
  ['A.3 removes an object member', { baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
  ['A.4 removes an array element', { foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }], { foo: ['bar', 'baz'] }],
  ['A.5 replaces a value', { baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }], { baz: 'boo', foo: 'bar' }],
  [
    'A.6 moves a value',
    { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
    [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
    { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
  ],
  ['A.7 moves an array element', { foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }], { foo: ['all', 'cows', 'eat', 'grass'] }],
  [
    'A.8 passes successful tests',
    { baz: 'qux', foo: ['a', 2, 'c'] },
    [
      { op: 'test', path: '/baz', value: 'qux' },
      { op: 'test', path: '/foo/1', value: 2 },
    ],
    { baz: 'qux', foo: ['a', 2, 'c'] },
  ],
  ['A.10 adds a nested member object', { foo: 'bar' }, [{ op: 'add', path: '/child', value: { grandchild: {} } }], { foo: 'bar', child: { grandchild: {} } }],
  ['A.11 ignores unrecognized members', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }], { foo: 'bar', baz: 'qux' }],
  ['A.14 decodes ~01 as ~1, not /', { '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: 10 }], { '/': 9, '~1': 10 }],
  ['A.16 appends an array value with -', { foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], { foo: ['bar', ['abc', 'def']] }],
];

// RFC 6902 Appendix A: the examples that fail, with the status Kubernetes answers.
const appendixAErrors: [string, unknown, unknown, string, RegExp][] = [
  ['A.9 fails a test of an unequal value', { baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }], 'Invalid', /^json patch test operation failed at \/baz: expected "bar", found "qux"$/],
  ['A.12 refuses to add to a nonexistent target', { foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }], 'Invalid', /^json patch add operation failed at \/baz\/bat: missing parent \/baz$/],
  ['A.15 fails a test comparing a string with a number', { '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: '10' }], 'Invalid', /expected "10", found 10$/],
];

describe('applyJsonPatch', () => {
  it.each(appendixA)('RFC 6902 %s', (_name, target, patch, result) => {
    expect(applyJsonPatch(target, ops(patch))).toEqual(result);
  });

  it.each(appendixAErrors)('RFC 6902 %s', (_name, target, patch, reason, message) => {
    const e = errorOf(() => applyJsonPatch(target, ops(patch)));
    expect(e.reason).toBe(reason);
    expect(e.code).toBe(422);
    expect(e.message).toMatch(message);
  });

  it('RFC 6902 A.13 refuses an operation with a duplicate member as a bad request', () => {
    const text = '[{ "op": "add", "path": "/baz", "value": "qux", "op": "remove" }]';
    const e = errorOf(() => parseJsonPatch(text));
    expect(e.reason).toBe('BadRequest');
    expect(e.message).toBe('json patch has a duplicate member "op" in one object');
  });

  it.each<[string, unknown, unknown, unknown]>([
    ['add at the root replaces the document', { a: 1 }, [{ op: 'add', path: '', value: [1] }], [1]],
    ['replace at the root replaces the document', { a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }], { b: 2 }],
    ['add over an existing member replaces it', { a: 1 }, [{ op: 'add', path: '/a', value: 2 }], { a: 2 }],
    ['add at the array length appends', { a: [1] }, [{ op: 'add', path: '/a/1', value: 2 }], { a: [1, 2] }],
    ['add sets a null value', { a: 1 }, [{ op: 'add', path: '/b', value: null }], { a: 1, b: null }],
    ['copy duplicates a subtree', { a: { b: [1] } }, [{ op: 'copy', from: '/a', path: '/c' }], { a: { b: [1] }, c: { b: [1] } }],
    ['move to the same place changes nothing', { a: 1 }, [{ op: 'move', from: '/a', path: '/a' }], { a: 1 }],
    ['test of null passes on a missing member, as evanphx/json-patch does', { a: 1 }, [{ op: 'test', path: '/b', value: null }], { a: 1 }],
    ['test compares objects regardless of member order', { a: { x: 1, y: 2 } }, [{ op: 'test', path: '/a', value: { y: 2, x: 1 } }], { a: { x: 1, y: 2 } }],
    ['escaped keys address members with / and ~', { 'a/b': 1, 'c~d': 2 }, [{ op: 'remove', path: '/a~1b' }, { op: 'replace', path: '/c~0d', value: 3 }], { 'c~d': 3 }],
    [
      'operations see the results of earlier ones',
      { metadata: { labels: { a: '1' } } },
      [
        { op: 'add', path: '/metadata/annotations', value: {} },
        { op: 'add', path: '/metadata/annotations/x', value: 'y' },
        { op: 'move', from: '/metadata/labels/a', path: '/metadata/labels/b' },
      ],
      { metadata: { labels: { b: '1' }, annotations: { x: 'y' } } },
    ],
  ])('%s', (_name, target, patch, result) => {
    expect(applyJsonPatch(target, ops(patch))).toEqual(result);
  });

  it.each<[string, unknown, unknown, RegExp]>([
    ['a failed test names the path and both values', { spec: { replicas: 2 } }, [{ op: 'test', path: '/spec/replicas', value: 3 }], /^json patch test operation failed at \/spec\/replicas: expected 3, found 2$/],
    ['a test of a missing path says so', {}, [{ op: 'test', path: '/spec', value: 1 }], /test operation failed at \/spec: expected 1, found nothing \(the path does not exist\)$/],
    ['an add under a missing parent names the parent', { spec: {} }, [{ op: 'add', path: '/spec/foo/bar', value: 1 }], /^json patch add operation failed at \/spec\/foo\/bar: missing parent \/spec\/foo$/],
    ['an add under a scalar says what the parent is', { a: 'x' }, [{ op: 'add', path: '/a/b', value: 1 }], /parent \/a is a string, not an object or array$/],
    ['remove of a missing member fails', { a: 1 }, [{ op: 'remove', path: '/b' }], /^json patch remove operation failed at \/b: the path does not exist$/],
    ['replace of a missing member fails', { a: 1 }, [{ op: 'replace', path: '/b', value: 1 }], /^json patch replace operation failed at \/b: the path does not exist$/],
    ['an add past the end of an array fails', { a: [1] }, [{ op: 'add', path: '/a/2', value: 1 }], /index 2 is out of bounds \(array length 1\)$/],
    ['a remove past the end of an array fails', { a: [1] }, [{ op: 'remove', path: '/a/1' }], /index 1 is out of bounds \(array length 1\)$/],
    ['an index with a leading zero is not an index', { a: [1, 2] }, [{ op: 'add', path: '/a/01', value: 1 }], /"01" is not a valid array index$/],
    ['- is not an index for remove', { a: [1] }, [{ op: 'remove', path: '/a/-' }], /"-" is not a valid array index$/],
    ['move from a missing location fails', { a: 1 }, [{ op: 'move', from: '/x', path: '/y' }], /^json patch move operation failed at \/y: from location \/x does not exist$/],
    ['copy from a missing location fails', { a: 1 }, [{ op: 'copy', from: '/x', path: '/y' }], /from location \/x does not exist$/],
    ['move into its own child fails', { a: { b: {} } }, [{ op: 'move', from: '/a', path: '/a/b/c' }], /cannot move \/a into one of its own children$/],
    ['remove of the whole document fails', { a: 1 }, [{ op: 'remove', path: '' }], /cannot remove the whole document$/],
  ])('fails with 422 Invalid when %s', (_name, target, patch, message) => {
    const e = errorOf(() => applyJsonPatch(target, ops(patch)));
    expect(e.reason).toBe('Invalid');
    expect(e.code).toBe(422);
    expect(e.message).toMatch(message);
  });

  it.each<[string, unknown, RegExp]>([
    ['the patch is not an array', { op: 'add', path: '/a', value: 1 }, /^json patch must be an array of operations, got object$/],
    ['an operation is not an object', ['add'], /^json patch operation 0 must be an object, got string$/],
    ['op is missing', [{ path: '/a' }], /operation 0 is missing "op"$/],
    ['op is unknown', [{ op: 'merge', path: '/a' }], /operation 0 has unknown op "merge": must be one of add, remove, replace, move, copy, test$/],
    ['path is missing', [{ op: 'remove' }], /operation 0 \(remove\) is missing "path"$/],
    ['path is not a pointer', [{ op: 'remove', path: 'a/b' }], /invalid JSON pointer "a\/b": must be empty or start with "\/"$/],
    ['a pointer has a bad escape', [{ op: 'remove', path: '/a~2' }], /"~" must be followed by "0" or "1"$/],
    ['value is missing from add', [{ op: 'add', path: '/a' }], /operation 0 \(add at \/a\) is missing "value"$/],
    ['value is missing from test', [{ op: 'test', path: '/a' }], /is missing "value"$/],
    ['from is missing from move', [{ op: 'move', path: '/a' }], /operation 0 \(move\) is missing "from"$/],
    ['the text is not JSON', '[{"op":', /^json patch is not valid JSON: /],
  ])('fails with 400 BadRequest when %s', (_name, patch, message) => {
    const e = errorOf(() => (typeof patch === 'string' ? parseJsonPatch(patch) : applyJsonPatch({ a: 1 }, ops(patch))));
    expect(e.reason).toBe('BadRequest');
    expect(e.code).toBe(400);
    expect(e.message).toMatch(message);
  });

  it('refuses more operations than Kubernetes allows', () => {
    const patch = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: 'test' as const, path: '', value: {} }));
    expect(errorOf(() => applyJsonPatch({}, patch)).message).toBe(`The allowed maximum operations in a JSON patch is 10000, got 10001`);
  });

  it('is atomic: a failing operation leaves the target as it was and returns nothing', () => {
    const target = { spec: { replicas: 1, list: [1, 2] } };
    const before = structuredClone(target);
    const patch = ops([
      { op: 'replace', path: '/spec/replicas', value: 5 },
      { op: 'remove', path: '/spec/list/0' },
      { op: 'test', path: '/spec/replicas', value: 1 },
    ]);
    expect(() => applyJsonPatch(target, patch)).toThrow(/test operation failed at \/spec\/replicas: expected 1, found 5/);
    expect(target).toEqual(before);
  });

  it('never modifies the patch and never aliases its values', () => {
    const value = { nested: [1] };
    const patch = ops([{ op: 'add', path: '/a', value }]);
    const out = applyJsonPatch<{ a: { nested: number[] } }>({}, patch);
    out.a.nested.push(2);
    expect(value).toEqual({ nested: [1] });
  });

  it('treats a __proto__ member as data, never as a prototype', () => {
    const out = applyJsonPatch<Record<string, unknown>>({}, ops([{ op: 'add', path: '/__proto__', value: { polluted: true } }]));
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(errorOf(() => applyJsonPatch({}, ops([{ op: 'add', path: '/__proto__/polluted', value: true }]))).message).toMatch(/missing parent \/__proto__$/);
  });

  it('accepts the patch as JSON text through parseJsonPatch', () => {
    const patch = parseJsonPatch('[{"op":"replace","path":"/spec/replicas","value":3}]');
    expect(applyJsonPatch({ spec: { replicas: 1 } }, patch)).toEqual({ spec: { replicas: 3 } });
  });
});
