/**
 * A strict JSON (RFC 8259) reader for the decoder's fast path: JSON is what API
 * clients and `kubectl get -o json` send, often in bulk, and the YAML parser reads it
 * a hundred times slower. It reads exactly what JSON.parse reads, but also reports
 * what JSON.parse hides: duplicate keys, integer literals a number cannot hold exactly
 * (returned as bigints, for the caller to refuse), and nesting beyond `maxDepth`.
 *
 * Mappings come back as `Map`s (like the YAML path's `toJS({ mapAsMap: true })`), so
 * the same normalization applies to both.
 */

/** A JSON syntax problem at a 0-based offset. */
export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;
const PLAIN_STRING_END = /["\\\u0000-\u001f]/g;

/**
 * Parses `text` (one JSON value, surrounded by whitespace at most). Throws a
 * {@link JsonSyntaxError} for anything else, with the offset of the problem; the
 * caller may then try the text as YAML, which JSON-looking YAML (`{a: 1}`) is.
 */
export function parseJson(text: string, maxDepth: number): unknown {
  let i = 0;

  const fail = (message: string, at = i): never => {
    throw new JsonSyntaxError(message, at);
  };
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return;
    }
  };
  const str = (): string => {
    const start = i; // at the opening quote
    PLAIN_STRING_END.lastIndex = i + 1;
    const m = PLAIN_STRING_END.exec(text);
    if (!m) return fail('unterminated string', start);
    if (m[0] === '"') {
      i = m.index + 1;
      return text.slice(start + 1, m.index);
    }
    // Escapes or control characters: find the end, let JSON.parse decode (and check) it.
    let j = m.index;
    for (;;) {
      const c = text.charCodeAt(j);
      if (Number.isNaN(c)) return fail('unterminated string', start);
      if (c === 0x5c) j += 2;
      else if (c === 0x22) break;
      else j++;
    }
    i = j + 1;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail('invalid string', start);
    }
  };
  const num = (): number | bigint => {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) return fail('unexpected character');
    const lit = m[0];
    i += lit.length;
    const n = Number(lit);
    if (m[1] !== undefined || m[2] !== undefined || Number.isSafeInteger(n)) return n;
    const big = BigInt(lit);
    return Number.isFinite(n) && BigInt(n) === big ? n : big;
  };
  const word = (w: string, v: unknown): unknown => {
    if (!text.startsWith(w, i)) fail('unexpected character');
    i += w.length;
    return v;
  };
  const value = (depth: number): unknown => {
    if (depth > maxDepth) fail('nesting is too deep');
    ws();
    const c = text[i];
    switch (c) {
      case '{': {
        i++;
        const m = new Map<string, unknown>();
        ws();
        if (text[i] === '}') {
          i++;
          return m;
        }
        for (;;) {
          ws();
          if (text[i] !== '"') fail('expected a string key');
          const at = i;
          const k = str();
          if (m.has(k)) fail('Map keys must be unique', at);
          ws();
          if (text[i] !== ':') fail("expected ':'");
          i++;
          m.set(k, value(depth + 1));
          ws();
          if (text[i] === ',') {
            i++;
            continue;
          }
          if (text[i] === '}') {
            i++;
            return m;
          }
          fail("expected ',' or '}'");
        }
      }
      // eslint-disable-next-line no-fallthrough
      case '[': {
        i++;
        const a: unknown[] = [];
        ws();
        if (text[i] === ']') {
          i++;
          return a;
        }
        for (;;) {
          a.push(value(depth + 1));
          ws();
          if (text[i] === ',') {
            i++;
            continue;
          }
          if (text[i] === ']') {
            i++;
            return a;
          }
          fail("expected ',' or ']'");
        }
      }
      // eslint-disable-next-line no-fallthrough
      case '"':
        return str();
      case 't':
        return word('true', true);
      case 'f':
        return word('false', false);
      case 'n':
        return word('null', null);
      case undefined:
        return fail('unexpected end of input');
      default:
        return num();
    }
  };

  if (text.charCodeAt(0) === 0xfeff) i = 1;
  const v = value(0);
  ws();
  if (i < text.length) fail('unexpected text after the JSON value');
  return v;
}
