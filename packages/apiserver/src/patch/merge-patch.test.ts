import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyMergePatch, createMergePatch } from './merge-patch';

// RFC 7386 Appendix A, every row.
const appendixA: [string, unknown, unknown, unknown][] = [
  ['replaces a member', { a: 'b' }, { a: 'c' }, { a: 'c' }],
  ['adds a member', { a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  ['deletes a member set to null', { a: 'b' }, { a: null }, {}],
  ['deletes only the member set to null', { a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  ['replaces an array with a string', { a: ['b'] }, { a: 'c' }, { a: 'c' }],
  ['replaces a string with an array', { a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  ['merges nested objects and deletes inside them', { a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  ['replaces an array of objects whole', { a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  ['replaces an array target with an array patch', ['a', 'b'], ['c', 'd'], ['c', 'd']],
  ['replaces an object with an array patch', { a: 'b' }, ['c'], ['c']],
  ['replaces an object with a null patch', { a: 'foo' }, null, null],
  ['replaces an object with a string patch', { a: 'foo' }, 'bar', 'bar'],
  ['keeps a null already in the target', { e: null }, { a: 1 }, { e: null, a: 1 }],
  ['turns a non-object target into an object, dropping nulls', [1, 2], { a: 'b', c: null }, { a: 'b' }],
  ['drops nulls nested in a new member', {}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

const rfcSection3 = {
  target: { title: 'Goodbye!', author: { givenName: 'John', familyName: 'Doe' }, tags: ['example', 'sample'], content: 'This will be unchanged' },
  patch: { title: 'Hello!', phoneNumber: '+01-123-456-7890', author: { familyName: null }, tags: ['example'] },
  result: { title: 'Hello!', author: { givenName: 'John' }, tags: ['example'], content: 'This will be unchanged', phoneNumber: '+01-123-456-7890' },
};

describe('applyMergePatch', () => {
  it.each(appendixA)('RFC 7386 appendix A: %s', (_name, target, patch, result) => {
    expect(applyMergePatch(target, patch)).toEqual(result);
  });

  it('applies the RFC 7386 section 3 example', () => {
    expect(applyMergePatch(rfcSection3.target, rfcSection3.patch)).toEqual(rfcSection3.result);
  });

  it('modifies neither input and shares nothing with them', () => {
    const target = { spec: { replicas: 1, template: { labels: { app: 'a' } } }, keep: { deep: [1] } };
    const patch = { spec: { replicas: 3, list: [{ x: 1 }] } };
    const before = structuredClone({ target, patch });
    const out = applyMergePatch<typeof target & { spec: { list: unknown[] } }>(target, patch);
    expect({ target, patch }).toEqual(before);
    out.keep.deep.push(2);
    out.spec.list.push(1);
    expect({ target, patch }).toEqual(before);
  });

  it('treats a __proto__ member as data, never as a prototype', () => {
    const out = applyMergePatch<Record<string, unknown>>({}, JSON.parse('{"__proto__": {"polluted": true}}'));
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
  });
});

describe('createMergePatch', () => {
  it.each<[string, unknown, unknown, unknown]>([
    ['gives {} for equal objects', { a: 1, b: { c: [1] } }, { b: { c: [1] }, a: 1 }, {}],
    ['nulls members the modified object lacks', { a: 1, b: 2 }, { a: 1 }, { b: null }],
    ['adds new members whole', { a: 1 }, { a: 1, b: { c: 1 } }, { b: { c: 1 } }],
    ['diffs nested objects', { spec: { replicas: 1, paused: false } }, { spec: { replicas: 2, paused: false } }, { spec: { replicas: 2 } }],
    ['replaces changed arrays whole', { a: [1, 2, 3] }, { a: [1, 3] }, { a: [1, 3] }],
    ['replaces a member whose type changed', { a: { b: 1 } }, { a: 'x' }, { a: 'x' }],
    ['returns the modified value when it is not an object', { a: 1 }, [1], [1]],
    ['returns the modified value when the original is not an object', 'x', { a: 1 }, { a: 1 }],
  ])('%s', (_name, original, modified, patch) => {
    expect(createMergePatch(original, modified)).toEqual(patch);
  });

  // Object member values are never null: a merge patch cannot say "set to null".
  const key = fc.oneof(fc.constantFrom('a', 'b', 'c', 'spec', 'metadata'), fc.string({ maxLength: 4 }));
  const { value } = fc.letrec<{ value: unknown; object: Record<string, unknown> }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true })),
      fc.array(fc.oneof(tie('value'), fc.constant(null)), { maxLength: 3 }),
      tie('object'),
    ),
    object: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  }));
  const object = fc.dictionary(key, value, { maxKeys: 5 });

  it('round-trips: applying createMergePatch(a, b) to a gives b', () => {
    fc.assert(
      fc.property(fc.oneof(object, value), object, (a, b) => {
        expect(applyMergePatch(a, createMergePatch(a, b))).toEqual(b);
      }),
      { numRuns: 500 },
    );
  });
});
