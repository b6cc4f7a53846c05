import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isApiError } from '../errors';
import { builtinKinds, createScheme } from '../kinds/builtin';
import type { KubeObject } from '../meta';
import { decode, decodeAll, encode, encodeAll, type DecodeOptions } from './codec';
import { legacyVersions } from './legacy';
import { structureRules } from './structure';

const scheme = createScheme();
const seedsDir = fileURLToPath(new URL('../../../../test/fixtures/seeds/', import.meta.url));
const seeds = readdirSync(seedsDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => readFileSync(`${seedsDir}${f}`, 'utf8'));

const NUM_RUNS = 150;

/**
 * The decoder's contract on any input: it returns objects with string apiVersion and
 * kind, or throws a 400 ApiError; never a TypeError, a RangeError or anything else.
 */
function decodesOrRefuses(text: string, opts: DecodeOptions = {}): void {
  let objs: KubeObject[];
  try {
    objs = decodeAll(text, opts);
  } catch (e) {
    if (!isApiError(e)) throw new Error(`threw a non-ApiError for ${JSON.stringify(text.slice(0, 200))}: ${String(e)}`, { cause: e });
    expect(e.code).toBe(400);
    expect(e.message.length).toBeGreaterThan(0);
    return;
  }
  for (const o of objs) {
    expect(typeof o.apiVersion).toBe('string');
    expect(typeof o.kind).toBe('string');
  }
}

const withAndWithoutScheme = (text: string) => {
  decodesOrRefuses(text);
  decodesOrRefuses(text, { scheme });
  decodesOrRefuses(text, { scheme, convert: false, check: false });
};

/** Characters that mean something to YAML, for mutations. */
const yamlChars = fc.constantFrom(':', '-', ' ', '  ', '\n', '\t', '[', ']', '{', '}', ',', '&a', '*a', '!', '!!', "'", '"', '#', '|', '>', '%', '@', '`', '---\n', '...\n', '? ', '<<: ', '0', '0x', '1e9', '~', '\\', '\u0000', '\uFEFF', '\uD800', '➊');

const mutation = fc.record({ at: fc.nat(), del: fc.nat({ max: 5 }), insert: fc.array(yamlChars, { maxLength: 3 }) });

function mutate(text: string, ms: { at: number; del: number; insert: string[] }[]): string {
  let t = text;
  for (const m of ms) {
    const at = t.length ? m.at % (t.length + 1) : 0;
    t = t.slice(0, at) + m.insert.join('') + t.slice(at + m.del);
  }
  return t;
}

describe('decodeAll never throws anything but an ApiError', () => {
  it('on random strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), withAndWithoutScheme), { numRuns: NUM_RUNS });
  });

  it('on random bytes read as UTF-8 and as Latin-1', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        withAndWithoutScheme(Buffer.from(bytes).toString('utf8'));
        withAndWithoutScheme(Buffer.from(bytes).toString('latin1'));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('on strings made of YAML syntax', () => {
    fc.assert(fc.property(fc.array(yamlChars, { maxLength: 60 }), (parts) => withAndWithoutScheme(parts.join(''))), { numRuns: NUM_RUNS });
  });

  it('on truncated seed fixtures', () => {
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.nat(), (text, n) => withAndWithoutScheme(text.slice(0, n % (text.length + 1)))),
      { numRuns: NUM_RUNS },
    );
  });

  it('on randomly mutated seed fixtures', () => {
    fc.assert(fc.property(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 6 }), (text, ms) => withAndWithoutScheme(mutate(text, ms))), { numRuns: NUM_RUNS * 2 });
  });

  it('on several fixtures in one stream, mutated', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...seeds), { minLength: 2, maxLength: 5 }), fc.array(mutation, { maxLength: 3 }), (texts, ms) => withAndWithoutScheme(mutate(texts.join('---\n'), ms))),
      { numRuns: NUM_RUNS },
    );
  });

  it('on random JSON, bare and as an object of any kind', () => {
    const kinds = [...builtinKinds.map((k) => [k.group ? `${k.group}/${k.version}` : k.version, k.kind]), ...legacyVersions.map((v) => [v.apiVersion, v.kind])];
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(...kinds), fc.jsonValue(), fc.jsonValue(), (v, [apiVersion, kind], spec, status) => {
        withAndWithoutScheme(JSON.stringify(v));
        const obj = { apiVersion, kind, metadata: { name: 'a' }, spec, status };
        withAndWithoutScheme(JSON.stringify(obj));
        withAndWithoutScheme(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [obj, v] }));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('on objects of every legacy version with random bodies, which must convert or be refused', () => {
    const body = fc.dictionary(fc.constantFrom('spec', 'status', 'metadata', 'rules', 'template', 'selector', 'backend'), fc.jsonValue({ maxDepth: 4 }));
    fc.assert(
      fc.property(fc.constantFrom(...legacyVersions), body, fc.jsonValue({ maxDepth: 4 }), (v, b, spec) => {
        decodesOrRefuses(JSON.stringify({ ...b, apiVersion: v.apiVersion, kind: v.kind }), { scheme, check: false });
        decodesOrRefuses(JSON.stringify({ apiVersion: v.apiVersion, kind: v.kind, spec: { rules: [{ http: { paths: [spec] } }], template: spec, metrics: [spec], selector: spec, backend: spec } }), { scheme, check: false });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('on deeply nested structures', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4000 }), fc.constantFrom('flow-seq', 'flow-map', 'block-map', 'block-seq', 'json'), (depth, shape) => {
        let text: string;
        if (shape === 'flow-seq') text = `${'['.repeat(depth)}${']'.repeat(depth)}`;
        else if (shape === 'flow-map') text = `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`;
        else if (shape === 'json') text = `{"apiVersion":"v1","kind":"Thing","spec":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
        else if (shape === 'block-map') text = Array.from({ length: Math.min(depth, 1500) }, (_, i) => `${' '.repeat(i)}a:`).join('\n');
        else text = Array.from({ length: Math.min(depth, 1500) }, (_, i) => `${' '.repeat(i * 2)}-`).join('\n');
        withAndWithoutScheme(text);
      }),
      { numRuns: 40 },
    );
  });

  it('on huge and odd numbers', () => {
    const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 400 });
    const number = fc.oneof(
      digits,
      digits.map((d) => `-${d}`),
      digits.map((d) => `0x${d}`),
      digits.map((d) => `0o${d}`),
      digits.map((d) => `0${d}`),
      digits.map((d) => `${d}.${d}e${d.slice(0, 5)}`),
      fc.constantFrom('.inf', '-.inf', '.nan', '-0', '+5', '1_000', '0b101', '1e309', '-1e309', '9007199254740993', '-9007199254740993'),
    );
    fc.assert(
      fc.property(number, (n) => {
        withAndWithoutScheme(`apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  replicas: ${n}\n  x: [${n}]\n`);
        withAndWithoutScheme(`{"apiVersion": "v1", "kind": "Pod", "spec": {"n": ${n}}}`);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('on anchor and alias bombs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.boolean(), (levels, fanout, merge) => {
        const lines = ['a0: &a0 [lol, lol]'];
        for (let i = 1; i <= levels; i++) {
          lines.push(merge ? `a${i}: &a${i} {${Array.from({ length: fanout }, (_, j) => `k${j}: *a${i - 1}`).join(', ')}}` : `a${i}: &a${i} [${Array(fanout).fill(`*a${i - 1}`).join(', ')}]`);
        }
        const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\nspec:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
        const started = Date.now();
        withAndWithoutScheme(text);
        expect(Date.now() - started).toBeLessThan(2000);
      }),
      { numRuns: 60 },
    );
  });
});

// ---------------------------------------------------------------------------------
// Round trips

/** Keys the structural check looks at: random fields avoid them, so random objects stay well-typed. */
const ruleKeys = new Set(structureRules.flatMap((r) => r.path.split('.').map((s) => s.replace(/\[\]/g, ''))));
const key = fc.string({ maxLength: 12 }).filter((k) => !ruleKeys.has(k));

/**
 * JSON values the codec keeps exactly: no null inside mappings (decoding drops them, as
 * Kubernetes' typed decoding does), no -0 (JSON has no negative zero).
 */
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.constantFrom('yes', 'no', 'on', 'off', '0644', '0o17', '0x1F', '1_000', '2001-12-14', 'null', '~', 'true', '1e3', '.inf', '', ' lead', 'trail ', 'a: b', '- x', '# c', '---', '...', '&a', '*a', '!tag', '"q"', "'q'", 'multi\nline\n', '\ttab'),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)),
    fc.boolean(),
    fc.array(fc.oneof(tie('v'), fc.constant(null)), { maxLength: 4 }),
    fc.dictionary(key, tie('v'), { maxKeys: 4 }),
  ),
})).v;

const stringMap = fc.dictionary(fc.string({ maxLength: 20 }), fc.oneof(fc.string(), fc.constantFrom('yes', '1', '0644', 'true', '')), { maxKeys: 5 });
const randomFields = fc.dictionary(key, value, { maxKeys: 5 });

const containers = fc.array(
  fc.record(
    {
      name: fc.string(),
      image: fc.string(),
      command: fc.array(fc.string(), { maxLength: 3 }),
      env: fc.array(fc.record({ name: fc.string(), value: fc.string() }), { maxLength: 3 }),
      ports: fc.array(fc.record({ containerPort: fc.integer({ min: 1, max: 65535 }) }), { maxLength: 2 }),
      resources: fc.record({ limits: fc.dictionary(fc.constantFrom('cpu', 'memory'), fc.oneof(fc.string(), fc.nat())) }, { requiredKeys: [] }),
    },
    { requiredKeys: ['name'] },
  ),
  { maxLength: 3 },
);
const podSpec = fc.tuple(fc.record({ containers, nodeSelector: stringMap }, { requiredKeys: [] }), randomFields).map(([a, b]) => ({ ...b, ...a }));
const template = fc.record({ metadata: fc.record({ labels: stringMap }, { requiredKeys: [] }), spec: podSpec }, { requiredKeys: [] });

/** A spec shaped for the kind where the structural check looks, random elsewhere. */
function specFor(kind: string): fc.Arbitrary<Record<string, unknown>> {
  const extra = randomFields;
  const withExtra = (a: fc.Arbitrary<Record<string, unknown>>) => fc.tuple(a, extra).map(([x, e]) => ({ ...e, ...x }));
  switch (kind) {
    case 'Pod':
      return podSpec;
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'ReplicationController':
      return withExtra(fc.record({ replicas: fc.nat(), template }, { requiredKeys: [] }));
    case 'DaemonSet':
    case 'Job':
      return withExtra(fc.record({ template }, { requiredKeys: [] }));
    case 'CronJob':
      return withExtra(fc.record({ schedule: fc.string(), jobTemplate: fc.record({ spec: fc.record({ template }, { requiredKeys: [] }) }) }, { requiredKeys: [] }));
    case 'Service':
      return withExtra(fc.record({ selector: stringMap, ports: fc.array(fc.record({ port: fc.nat(), targetPort: fc.oneof(fc.nat(), fc.string()) }), { maxLength: 2 }) }, { requiredKeys: [] }));
    default:
      return extra;
  }
}

const objectOf = (apiVersion: string, kind: string): fc.Arbitrary<KubeObject> =>
  fc
    .record(
      {
        metadata: fc.record({ name: fc.string(), namespace: fc.string(), labels: stringMap, annotations: stringMap }, { requiredKeys: [] }),
        spec: specFor(kind),
        status: randomFields,
        extra: randomFields,
        data: kind === 'ConfigMap' || kind === 'Secret' ? stringMap : fc.constant(undefined),
      },
      { requiredKeys: ['metadata'] },
    )
    .map(({ extra, data, ...o }) => {
      const obj: KubeObject = { ...extra, ...o, apiVersion, kind };
      if (data !== undefined) obj.data = data;
      return obj;
    });

const served = builtinKinds.map((k) => [k.group ? `${k.group}/${k.version}` : k.version, k.kind] as const);

describe('decode(encode(x)) deep-equals x', () => {
  it.each(served)('for random %s %s objects, as YAML and as JSON', (apiVersion, kind) => {
    fc.assert(
      fc.property(objectOf(apiVersion, kind), (x) => {
        expect(decode(encode(x), { scheme })).toEqual(x);
        expect(decode(encode(x, 'json'), { scheme })).toEqual(x);
      }),
      { numRuns: 40 },
    );
  });

  it('for several objects of any kind through encodeAll', () => {
    const anyObject = fc.constantFrom(...served).chain(([a, k]) => objectOf(a, k));
    fc.assert(
      fc.property(fc.array(anyObject, { maxLength: 5 }), (xs) => {
        expect(decodeAll(encodeAll(xs), { scheme })).toEqual(xs);
        expect(decodeAll(encodeAll(xs, 'json'), { scheme })).toEqual(xs);
      }),
      { numRuns: 60 },
    );
  });

  it('for the seed fixtures with random labels and annotations added', () => {
    const decodable = seeds.flatMap((text) => {
      try {
        return [decode(text, { scheme })];
      } catch {
        return [];
      }
    });
    fc.assert(
      fc.property(fc.constantFrom(...decodable), stringMap, stringMap, (seed, labels, annotations) => {
        const x = structuredClone(seed);
        x.metadata = { ...x.metadata, labels: { ...x.metadata?.labels, ...labels }, annotations: { ...x.metadata?.annotations, ...annotations } };
        expect(decode(encode(x), { scheme })).toEqual(x);
        expect(decode(encode(x, 'json'), { scheme })).toEqual(x);
        expect(encode(decode(encode(x)))).toBe(encode(x));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
