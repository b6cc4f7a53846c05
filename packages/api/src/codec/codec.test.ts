import { describe, expect, it } from 'vitest';
import { createScheme } from '../kinds/builtin';
import { decode, decodeAll, decodeAs, encode, encodeAll } from './codec';
import { MAX_ALIAS_COUNT } from './parse';
import { errorOf } from '../../../../test/support/api-error';

const scheme = createScheme();


const pod = (name = 'web', extra = '') => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n${extra}`;

describe('decodeAll: documents', () => {
  it.each([
    ['one document', pod(), ['web']],
    ['documents separated by ---', `${pod('a')}---\n${pod('b')}`, ['a', 'b']],
    ['a leading --- and a trailing ...', `---\n${pod('a')}...\n`, ['a']],
    ['empty and comment-only documents, which are skipped', `---\n---\n# nothing here\n---\n${pod('a')}---\n~\n---\n`, ['a']],
    ['comments everywhere', `# head\napiVersion: v1 # version\nkind: Pod\nmetadata:\n  # the name\n  name: a\n`, ['a']],
    ['a JSON object', '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}}', ['a']],
    ['a JSON array', '[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}}, {"apiVersion":"v1","kind":"Pod","metadata":{"name":"b"}}]', ['a', 'b']],
    ['a v1 List', '{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}}]}', ['a']],
    ['a List written in YAML', 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: b}\n', ['a', 'b']],
    ['a typed list whose items leave out apiVersion and kind', '{"apiVersion":"v1","kind":"PodList","items":[{"metadata":{"name":"a"}}]}', ['a']],
    ['a List inside a List', '{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}}]}]}', ['a']],
    ['YAML flow style that looks like JSON', '{apiVersion: v1, kind: Pod, metadata: {name: a}}', ['a']],
    ['JSON documents separated by ---', '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}}\n---\n{"apiVersion":"v1","kind":"Pod","metadata":{"name":"b"}}', ['a', 'b']],
    ['JSON with a comment after it', '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}} # trailing\n', ['a']],
    ['JSON indented with tabs', '{\n\t"apiVersion": "v1",\n\t"kind": "Pod",\n\t"metadata": {"name": "a"}\n}', ['a']],
    ['a byte order mark', `\uFEFF${pod('a')}`, ['a']],
    ['an empty text', '', []],
  ])('reads %s', (_, text, names) => {
    expect(decodeAll(text, { scheme }).map((o) => o.metadata?.name)).toEqual(names);
  });

  it('keeps the items of a typed list typed', () => {
    expect(decodeAll('{"apiVersion":"v1","kind":"PodList","items":[{"metadata":{"name":"a"}}]}')).toEqual([{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' } }]);
  });
});

describe('decodeAll: the YAML dialect', () => {
  const data = (yaml: string) => (decode(`apiVersion: v1\nkind: Thing\ndata:\n${yaml}`).data as Record<string, unknown>);

  it.each([
    ['on/yes/no/off stay strings (YAML 1.2)', '  on: yes\n  off: no\n', { on: 'yes', off: 'no' }],
    ['true/false are booleans', '  a: true\n  b: false\n', { a: true, b: false }],
    ['a leading-zero integer is octal, as kubectl reads it', '  mode: 0644\n', { mode: 0o644 }],
    ['0o octal and 0x hex are integers', '  a: 0o17\n  b: 0x1F\n', { a: 15, b: 31 }],
    ['09 is decimal (not an octal digit)', '  a: 09\n', { a: 9 }],
    ['timestamps stay strings', '  t: 2001-12-14\n', { t: '2001-12-14' }],
    ['quoted numbers stay strings', '  a: "1"\n  b: \'0644\'\n', { a: '1', b: '0644' }],
    ['the largest exact integers are numbers', '  a: 9007199254740991\n  b: -9007199254740991\n', { a: 9007199254740991, b: -9007199254740991 }],
    ['larger integers a number holds exactly are numbers', '  a: 9007199254740992\n  b: 100000000000000000000\n', { a: 2 ** 53, b: 1e20 }],
    ['floats and exponents', '  a: 0.5\n  b: 1e3\n', { a: 0.5, b: 1000 }],
    ['null values are dropped, as typed decoding drops them', '  a: null\n  b: ~\n  c:\n  d: x\n', { d: 'x' }],
    ['!!binary stays the base64 text Secret data wants', '  a: !!binary aGVsbG8=\n', { a: 'aGVsbG8=' }],
    ['unknown tags are ignored', '  a: !Ref x\n', { a: 'x' }],
    ['merge keys merge, as with kubectl', '  base: &b {x: "1", y: "2"}\n  m:\n    <<: *b\n    y: "3"\n', { base: { x: '1', y: '2' }, m: { x: '1', y: '3' } }],
    ['aliases repeat their anchor', '  a: &a [x, y]\n  b: *a\n', { a: ['x', 'y'], b: ['x', 'y'] }],
    ['number keys become strings', '  1: a\n', { 1: 'a' }],
  ])('%s', (_, yaml, want) => {
    expect(data(yaml)).toEqual(want);
  });

  it('keeps a __proto__ key as data, never as the prototype', () => {
    const d = data('  __proto__: {polluted: "yes"}\n');
    expect(Object.getPrototypeOf(d)).toBe(Object.prototype);
    expect(Object.keys(d)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('decodeAll: errors name the document, the field and the line', () => {
  it.each([
    ['a missing kind', `${pod('a')}---\napiVersion: v1\nmetadata: {name: b}\n`, 'document 2: kind: Required value', { document: 2 }],
    ['a missing apiVersion', 'kind: Pod\n', 'document 1: apiVersion: Required value', { document: 1 }],
    ['both missing', 'metadata: {name: a}\n', 'document 1: [apiVersion: Required value, kind: Required value]', { document: 1 }],
    ['an empty kind', 'apiVersion: v1\nkind: ""\n', 'document 1: kind: Required value', { document: 1 }],
    ['a kind that is not a string', 'apiVersion: v1\nkind: 5\n', 'document 1: kind: Invalid value: 5: must be a string (cannot unmarshal number into Go value of type string)', { document: 1 }],
    ['a document that is a scalar', `${pod('a')}---\nhello world\n`, 'document 2: Invalid value: "hello world": must be a mapping with apiVersion and kind', { document: 2 }],
    ['a document that is a list of scalars', '[1]', 'document 1 [0]: Invalid value: 1: must be a mapping with apiVersion and kind', { document: 1, item: '[0]' }],
    ['a bad List item', '{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod"},{"kind":"Pod"}]}', 'document 1 items[1]: apiVersion: Required value', { document: 1, item: 'items[1]' }],
    ['a YAML syntax error', `${pod('a')}---\napiVersion: v1\nkind: [Pod\n`, 'document 2: line 8:1: Flow sequence in block collection must be sufficiently indented and end with a ]', { document: 2, line: 8, column: 1 }],
    ['a duplicate key', 'apiVersion: v1\nkind: Pod\nkind: Service\n', 'document 1: line 3:1: Map keys must be unique', { document: 1, line: 3, column: 1 }],
    ['a duplicate key in JSON', '{"apiVersion": "v1", "kind": "Pod", "kind": "Service"}', 'document 1: line 1:37: Map keys must be unique', { document: 1, line: 1, column: 37 }],
    ['a tab used for indentation', 'apiVersion: v1\nkind: Pod\nmetadata:\n\tname: a\n', 'document 1: line 4:1: Tabs are not allowed as indentation', { document: 1, line: 4, column: 1 }],
    ['an unresolved alias', 'apiVersion: v1\nkind: Pod\nmetadata: *nope\n', 'document 1: line 3:11: alias *nope refers to no anchor before it', { document: 1, line: 3, column: 11 }],
    [
      'an integer literal a number cannot hold exactly',
      'apiVersion: v1\nkind: Thing\nspec:\n  n: 12345678901234567891\n',
      'document 1: spec.n: Invalid value: 12345678901234567891: integer cannot be held exactly by a number (it would be rounded); quote it if it is meant as a string',
      { document: 1 },
    ],
    [
      'a JSON integer a number cannot hold exactly',
      '{"apiVersion": "v1", "kind": "Thing", "spec": {"n": [9007199254740993]}}',
      'document 1: spec.n[0]: Invalid value: 9007199254740993: integer cannot be held exactly by a number (it would be rounded); quote it if it is meant as a string',
      { document: 1 },
    ],
    ['JSON nested too deep', `${'['.repeat(300)}${']'.repeat(300)}`, 'document 1: nesting is too deep (more than 200 levels)', { document: 1 }],
    ['a duplicate key in JSON, on its line', '{\n  "apiVersion": "v1",\n  "kind": "Pod",\n    "kind": "Pod"\n}', 'document 1: line 4:5: Map keys must be unique', { document: 1, line: 4, column: 5 }],
    ['.inf', 'apiVersion: v1\nkind: Thing\nspec:\n  n: .inf\n', 'document 1: spec.n: Invalid value: ".inf": must be a finite number', { document: 1 }],
    ['a mapping used as a key', 'apiVersion: v1\nkind: Thing\nspec:\n  ? {a: 1}\n  : x\n', 'document 1: spec: Invalid value: "{}": mapping keys must be strings, numbers or booleans', { document: 1 }],
  ])('%s', (_, text, message, details) => {
    const e = errorOf(() => decodeAll(text, { scheme }));
    expect(e.reason).toBe('BadRequest');
    expect(e.code).toBe(400);
    expect(e.message).toBe(message);
    expect(e.details).toMatchObject(details);
  });

  it('puts the field causes in details', () => {
    const e = errorOf(() => decodeAll('apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels:\n    version: 1\n'));
    expect(e.causes).toEqual([{ reason: 'FieldValueTypeInvalid', field: 'metadata.labels.version', message: 'Invalid value: 1: must be a string (cannot unmarshal number into Go value of type string)' }]);
    expect(e.message).toBe('document 1: metadata.labels.version: Invalid value: 1: must be a string (cannot unmarshal number into Go value of type string)');
  });

  it('skips the structural check with check: false', () => {
    expect(decodeAll('apiVersion: v1\nkind: Pod\nmetadata:\n  labels: {version: 1}\n', { check: false })[0].metadata?.labels).toEqual({ version: 1 });
  });

  it('refuses an alias bomb', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [x, y] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e'], ['g', 'f'], ['h', 'g'], ['i', 'h']]) lines.push(`${x}: &${x} [${Array(9).fill(`*${y}`).join(',')}]`);
    const e = errorOf(() => decodeAll(`apiVersion: v1\nkind: Thing\nspec:\n${lines.map((l) => `  ${l}`).join('\n')}\n`));
    expect(e.message).toBe(`document 1: too many alias expansions (more than ${MAX_ALIAS_COUNT}); anchors and aliases may not be used to blow up a document`);
  });

  it.each([
    ['flow lists', `${'['.repeat(5000)}${']'.repeat(5000)}`],
    ['block mappings', Array.from({ length: 1500 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')],
  ])('refuses %s nested thousands deep', (_, text) => {
    expect(errorOf(() => decodeAll(text)).message).toMatch(/^document 1: (line \d+:\d+: )?nesting is too deep/);
  });

  it('refuses text that is not a string', () => {
    expect(errorOf(() => decodeAll(42 as unknown as string)).message).toBe('expected YAML or JSON text, got number');
  });
});

describe('decodeAll with a scheme', () => {
  it('refuses an unknown kind, naming it', () => {
    expect(errorOf(() => decodeAll(`${pod('a')}---\napiVersion: v1\nkind: Foo\n`, { scheme })).message).toBe('document 2: no matches for kind "Foo" in version "v1"');
  });

  it('refuses a kind in a version it was never served in, naming the served one', () => {
    expect(errorOf(() => decodeAll('apiVersion: v1\nkind: Deployment\nmetadata: {name: a}\n', { scheme })).message).toBe('document 1: no matches for kind "Deployment" in version "v1"; use apps/v1');
  });

  it('accepts any kind without a scheme', () => {
    expect(decode('apiVersion: example.com/v1\nkind: Widget\n')).toEqual({ apiVersion: 'example.com/v1', kind: 'Widget' });
  });

  it('converts a legacy version', () => {
    expect(decode('apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: a}\nspec: {schedule: "@daily"}\n', { scheme })).toEqual({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'a' },
      spec: { schedule: '@daily' },
    });
  });

  it('refuses a legacy version with convert: false, naming the version to use', () => {
    const e = errorOf(() => decodeAll(`${pod('a')}---\napiVersion: networking.k8s.io/v1beta1\nkind: Ingress\n`, { scheme, convert: false }));
    expect(e.message).toBe('document 2: Ingress in version "networking.k8s.io/v1beta1" is no longer served; use apiVersion: networking.k8s.io/v1');
    expect(e.details).toMatchObject({ document: 2 });
  });

  it('reports a conversion that refuses, with the document', () => {
    const text = 'apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: a\n  annotations:\n    autoscaling.alpha.kubernetes.io/metrics: "{not json"\n';
    expect(errorOf(() => decodeAll(text, { scheme })).message).toBe(
      'document 1: HorizontalPodAutoscaler in version "autoscaling/v1" is no longer served; use apiVersion: autoscaling/v2 (cannot convert: annotation autoscaling.alpha.kubernetes.io/metrics is not valid JSON)',
    );
  });

  it('does not mutate what it decoded when converting', () => {
    const text = 'apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  template:\n    metadata: {labels: {app: a}}\n';
    expect(decode(text, { scheme })).toMatchObject({ apiVersion: 'apps/v1', spec: { selector: { matchLabels: { app: 'a' } } } });
  });
});

describe('decode and decodeAs', () => {
  it('decode wants exactly one object', () => {
    expect(errorOf(() => decode('')).message).toBe('no object found: the text holds no YAML or JSON document');
    expect(errorOf(() => decode(`${pod('a')}---\n${pod('b')}`)).message).toBe('expected exactly one object, found 2');
  });

  it('decodeAs returns the object typed when it is of the kind asked for', () => {
    const d = decodeAs('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {replicas: 2}\n', 'apps/v1', 'Deployment');
    const replicas: number | undefined = d.spec?.replicas;
    expect(replicas).toBe(2);
  });

  it('decodeAs checks the kind after conversion', () => {
    expect(decodeAs('apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: a}\n', 'batch/v1', 'CronJob', { scheme }).apiVersion).toBe('batch/v1');
  });

  it('decodeAs refuses another kind, naming both', () => {
    expect(errorOf(() => decodeAs(pod('a'), 'apps/v1', 'Deployment')).message).toBe('expected Deployment in version "apps/v1", got Pod in version "v1"');
  });
});

describe('encode', () => {
  const obj = { status: { phase: 'Running' }, extra: 1, spec: { b: 1, a: 2 }, metadata: { name: 'a', labels: { z: '1', a: '2' } }, kind: 'Pod', apiVersion: 'v1' };

  it('puts apiVersion, kind, metadata, spec first and status last, nested keys as they were', () => {
    expect(encode(obj)).toBe('apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels:\n    z: "1"\n    a: "2"\nspec:\n  b: 1\n  a: 2\nextra: 1\nstatus:\n  phase: Running\n');
    expect(Object.keys(JSON.parse(encode(obj, 'json')))).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'extra', 'status']);
  });

  it.each([['yes'], ['no'], ['on'], ['off'], ['y'], ['0644'], ['0o17'], ['0x1F'], ['1_000'], ['2001-12-14'], ['null'], ['~'], ['true'], ['1e3'], ['.inf'], ['12'], ['']])(
    'quotes the string %j so that YAML 1.1 and 1.2 readers both read a string',
    (s) => {
      const text = encode({ apiVersion: 'v1', kind: 'ConfigMap', data: { k: s } });
      expect(text).toMatch(/k: ["']/);
      expect(decode(text).data).toEqual({ k: s });
    },
  );

  it('writes lists the way kubectl does and never folds long lines', () => {
    const long = 'x'.repeat(200);
    expect(encode({ apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ name: 'a', command: [long] }] } })).toBe(`apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    command:\n    - ${long}\n`);
  });

  it.each([[2 ** 60], [-(2 ** 60) - 2048], [1.2345678901234567e19], [2 ** 53]])('writes the whole number %d in exponent form, which reads back exactly', (n) => {
    const o = { apiVersion: 'v1', kind: 'Thing', big: n };
    expect(encode(o)).toContain(`big: ${n.toExponential()}`);
    expect(encode(o, 'json')).toContain(`"big": ${n.toExponential()}`);
    expect(decode(encode(o))).toEqual(o);
    expect(decode(encode(o, 'json'))).toEqual(o);
  });

  it('writes the same object twice without anchors', () => {
    const labels = { app: 'a' };
    expect(encode({ apiVersion: 'v1', kind: 'Thing', a: labels, b: labels })).not.toContain('&');
  });

  it('refuses values JSON cannot hold', () => {
    const cyclic: Record<string, unknown> = { apiVersion: 'v1', kind: 'Thing' };
    cyclic.self = cyclic;
    expect(errorOf(() => encode(cyclic)).reason).toBe('BadRequest');
    expect(errorOf(() => encode({ apiVersion: 'v1', kind: 'Thing', n: 1n } as never)).reason).toBe('BadRequest');
  });

  it('encodeAll writes YAML documents, or a JSON v1 List', () => {
    const a = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' } };
    const b = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b' } };
    expect(encodeAll([a, b])).toBe('apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\n');
    expect(JSON.parse(encodeAll([a, b], 'json'))).toEqual({ apiVersion: 'v1', kind: 'List', metadata: {}, items: [a, b] });
    expect(decodeAll(encodeAll([a, b]))).toEqual([a, b]);
    expect(decodeAll(encodeAll([a, b], 'json'))).toEqual([a, b]);
    expect(encodeAll([])).toBe('');
  });

  it('round-trips multi-line strings, unicode and document markers', () => {
    const o = { apiVersion: 'v1', kind: 'ConfigMap', data: { script: '#!/bin/sh\necho hi\n', trailing: 'a  \n', han: '中文 ➊', marker: '---\n...\n', nul: 'a\u0000b' } };
    expect(decode(encode(o))).toEqual(o);
  });
});
