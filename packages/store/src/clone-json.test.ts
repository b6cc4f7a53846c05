import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cloneJson } from './clone-json';
import { deepFreeze } from './deep-freeze';

describe('cloneJson', () => {
  it('copies any JSON value of a frozen parse into an equal, unfrozen, unshared value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        const frozen = deepFreeze(JSON.parse(text));
        const copy = cloneJson(frozen);
        expect(JSON.stringify(copy)).toBe(text);
        if (typeof copy === 'object' && copy !== null) {
          expect(Object.isFrozen(copy)).toBe(false);
          expect(copy).not.toBe(frozen);
        }
      }),
    );
  });

  it('keeps a "__proto__" key as data instead of setting the prototype', () => {
    const copy = cloneJson(JSON.parse('{"__proto__":{"polluted":true},"a":1}')) as Record<string, unknown>;
    expect([Object.keys(copy), Object.getPrototypeOf(copy), (copy as { polluted?: boolean }).polluted]).toEqual([['__proto__', 'a'], Object.prototype, undefined]);
  });
});
