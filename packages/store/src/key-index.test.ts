import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyIndex, indexKey, namespaceRange } from './key-index';
import { NO_LABELS, Version } from './version';

const version = (rev: number) => new Version(rev, '{}', NO_LABELS, undefined);

describe('KeyIndex', () => {
  it('orders keys like a sorted map under any mix of sets, deletes and reads', () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('set' as const), k: fc.integer({ min: 0, max: 120 }) }),
      fc.record({ t: fc.constant('delete' as const), k: fc.integer({ min: 0, max: 120 }) }),
      fc.record({ t: fc.constant('read' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const index = new KeyIndex();
        const model = new Map<string, number>();
        let rev = 0;
        const check = () => {
          const expected = [...model.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
          expect(index.ordered().map((s) => [s.k, s.v.rev])).toEqual(expected);
          expect(index.size).toBe(model.size);
        };
        for (const o of ops) {
          if (o.t === 'read') check();
          else if (o.t === 'set') {
            const k = indexKey(`ns${o.k % 3}`, `n${o.k}`);
            index.set(k, version(++rev));
            model.set(k, rev);
          } else {
            const k = indexKey(`ns${o.k % 3}`, `n${o.k}`);
            index.delete(k);
            model.delete(k);
          }
        }
        check();
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['the first key at or after', 'b', false, 1],
    ['the first key after', 'b', true, 2],
    ['the end when every key is smaller', 'z', false, 3],
  ])('lowerBound finds %s a key', (_case, k, exclusive, at) => {
    const index = new KeyIndex();
    for (const [i, key] of ['a', 'b', 'c'].entries()) index.set(key, version(i));
    expect(index.lowerBound(k, exclusive)).toBe(at);
  });

  it.each([
    ['a namespace that prefixes another', 'ab', ['ab\u0000x']],
    ['all namespaces', undefined, ['a\u0000x', 'ab\u0000x', 'b\u0000x']],
  ])('namespaceRange covers exactly %s', (_case, ns, inside) => {
    const [lo, hi] = namespaceRange(ns);
    const keys = [indexKey('a', 'x'), indexKey('ab', 'x'), indexKey('b', 'x')];
    expect(keys.filter((k) => k >= lo && (hi === undefined || k < hi))).toEqual(inside);
  });
});
