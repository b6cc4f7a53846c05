import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonSyntaxError, parseJson } from './json-parse';

/**
 * Maps (how parseJson returns objects) back to plain objects and bigints (integer
 * literals a number cannot hold exactly) to the number JSON.parse rounds them to.
 */
function plain(v: unknown): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'bigint') {
    expect(BigInt(Number(v))).not.toBe(v);
    return Number(v);
  }
  return v;
}

function syntaxErrorOf(text: string): JsonSyntaxError {
  try {
    parseJson(text, 100);
  } catch (e) {
    if (e instanceof JsonSyntaxError) return e;
    throw e;
  }
  throw new Error('expected a JsonSyntaxError');
}

describe('parseJson', () => {
  it('reads what JSON.parse reads', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 6 }), (text) => {
        // fc.json has no duplicate keys.
        expect(plain(parseJson(text, 100))).toEqual(JSON.parse(text));
        expect(plain(parseJson(` \n\t${JSON.stringify(JSON.parse(text), null, 2)}\r\n`, 100))).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses what JSON.parse refuses', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'{}[]":,0123456789.-+eEtrufalsn \\u\n') , maxLength: 30 }), (text) => {
        let native = true;
        try {
          JSON.parse(text);
        } catch {
          native = false;
        }
        let ours = true;
        try {
          parseJson(text, 100);
        } catch (e) {
          if (!(e instanceof JsonSyntaxError)) throw e;
          ours = e.message === 'Map keys must be unique' ? native : false;
        }
        expect(ours).toBe(native);
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['a duplicate key', '{"a": 1,\n "a": 2}', 'Map keys must be unique', 10],
    ['single quotes', "{'a': 1}", 'expected a string key', 1],
    ['an unquoted key (YAML flow style)', '{a: 1}', 'expected a string key', 1],
    ['a trailing comma', '[1,]', 'unexpected character', 3],
    ['a second document', '{}\n---\n{}', 'unexpected text after the JSON value', 3],
    ['a leading zero', '[01]', "expected ',' or ']'", 2],
    ['an unterminated string', '["abc', 'unterminated string', 1],
    ['a raw control character in a string', '["a\tb"]', 'invalid string', 1],
    ['a bad escape', '["\\x"]', 'invalid string', 1],
    ['nothing', '   ', 'unexpected end of input', 3],
    ['nesting deeper than allowed', `${'['.repeat(102)}${']'.repeat(102)}`, 'nesting is too deep', 101],
  ])('refuses %s, saying where', (_, text, message, offset) => {
    const e = syntaxErrorOf(text);
    expect(e.message).toBe(message);
    expect(e.offset).toBe(offset);
  });

  it.each([
    ['9007199254740991', 9007199254740991],
    ['-9007199254740991', -9007199254740991],
    ['9007199254740992', 2 ** 53],
    ['100000000000000000000', 1e20],
    ['9007199254740993', 9007199254740993n],
    ['-12345678901234567891', -12345678901234567891n],
    ['12345678901234567891.0', 12345678901234567891.0],
    ['1e400', Infinity],
    ['-0', -0],
  ])('reads the number %s as %s', (text, want) => {
    expect(parseJson(text, 10)).toBe(want);
  });

  it('reads strings with escapes, surrogate pairs and a byte order mark', () => {
    expect(parseJson('\uFEFF["a\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\\/", "中文"]', 10)).toEqual(['a"b\\c\né😀/', '中文']);
  });
});
