import { isAlias, isMap, isNode, isPair, isSeq, LineCounter, parseAllDocuments, type DocumentOptions, type ParseOptions, type SchemaOptions, type ToJSOptions, type YAMLError } from 'yaml';
import { ApiError, isApiError, type FieldCause } from '../errors';
import { fieldError } from '../field';
import { JsonSyntaxError, parseJson } from './json-parse';
import { bosunTags } from './yaml-schema';

/**
 * How many alias expansions one document may make. A few shared anchors are normal in
 * hand-written manifests; thousands are a billion-laughs bomb.
 */
export const MAX_ALIAS_COUNT = 100;

/** How deep mappings and lists may nest. Real objects stay well under 64 levels. */
export const MAX_DEPTH = 200;

/** What the decoder tells about the place a decode error was found. */
export interface DecodeErrorDetails {
  /** 1-based position of the YAML document in the stream, counting empty documents. */
  document: number;
  /** Inside a List or a JSON array: the item, e.g. `items[2]` or `[0]`. */
  item?: string;
  /** 1-based line and column of a YAML syntax error. */
  line?: number;
  column?: number;
  causes?: FieldCause[];
}

/** One parsed, non-empty document: plain JSON-like data, not yet known to be an object. */
export interface RawDocument {
  /** 1-based position in the stream. */
  document: number;
  value: unknown;
}

const parseOptions: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.2',
  schema: 'core',
  customTags: bosunTags,
  // Merge keys (`<<: *defaults`) work as they do for kubectl, whose YAML 1.1 reader has them.
  merge: true,
  uniqueKeys: true,
  // `!!binary` and friends stay the strings they were written as (Secret data is base64 text).
  resolveKnownTags: false,
  prettyErrors: true,
  strict: true,
};

type Doc = ReturnType<typeof parseAllDocuments>[number];

const toJsOptions: ToJSOptions = { maxAliasCount: MAX_ALIAS_COUNT, mapAsMap: true };

/** The error for one document (and item), with its place in the message and in `details`. */
export function documentError(where: Omit<DecodeErrorDetails, 'causes'>, message: string, causes?: FieldCause[], cause?: unknown): ApiError {
  const details: DecodeErrorDetails = { ...where };
  if (causes?.length) details.causes = causes;
  const at = `document ${where.document}${where.item ? ` ${where.item}` : ''}`;
  return new ApiError('BadRequest', `${at}: ${message}`, details, cause === undefined ? undefined : { cause });
}

/** `a: Required value` for one cause, `[a: …, b: …]` for several, as ApiError.invalid joins them. */
export function describeCauses(causes: FieldCause[]): string {
  const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  return list.length === 1 ? list[0] : `[${list.join(', ')}]`;
}

/**
 * Splits YAML or JSON text into documents and turns each into plain
 * data: mappings become objects with string keys (null values dropped, as Kubernetes'
 * typed decoding drops them), lists become arrays. Empty documents (only comments, `~`,
 * or nothing between two `---`) are skipped but still counted, so document numbers
 * match what a reader counts in the file.
 *
 * Throws a 400 BadRequest ApiError for syntax errors (with line and column), duplicate
 * keys, unresolved or excessive aliases, nesting deeper than {@link MAX_DEPTH},
 * non-scalar keys, integer literals a number cannot hold exactly (instead of rounding
 * them), and `.inf`/`.nan`.
 */
export function parseDocuments(text: string): RawDocument[] {
  if (typeof text !== 'string') throw ApiError.badRequest(`expected YAML or JSON text, got ${typeof text}`);
  const json = parseAsJson(text);
  if (json) return json;
  let docs: ReturnType<typeof parseAllDocuments>;
  const lines = new LineCounter();
  try {
    docs = parseAllDocuments(text, { ...parseOptions, lineCounter: lines });
  } catch (e) {
    throw ApiError.badRequest(`cannot parse YAML: ${messageOf(e)}`);
  }
  const out: RawDocument[] = [];
  let n = 0;
  for (const doc of docs) {
    n++;
    let value: unknown;
    try {
      value = documentValue(doc, n, lines);
    } catch (e) {
      if (isApiError(e)) throw e;
      // Anything else (a stack overflow on absurd nesting, an alias limit) is still the input's fault.
      throw documentError({ document: n }, e === tooDeep || e instanceof RangeError ? `nesting is too deep (more than ${MAX_DEPTH} levels)` : aliasMessage(e), undefined, e);
    }
    if (value !== null) out.push({ document: n, value });
  }
  return out;
}

/** The plain data of one document; null for an empty one. */
function documentValue(doc: Doc, n: number, lines: LineCounter): unknown {
  const err = doc.errors[0];
  if (err) throw syntaxError(n, err);
  if (doc.contents === null) return null;
  const found = inspect(doc);
  if (found && 'tooDeep' in found) throw tooDeep;
  if (found) {
    const { source, offset } = found.unresolved;
    const pos = lines.linePos(offset);
    throw documentError({ document: n, line: pos.line, column: pos.col }, `line ${pos.line}:${pos.col}: alias *${source} refers to no anchor before it`);
  }
  const js = doc.toJS(toJsOptions);
  const causes: FieldCause[] = [];
  const value = normalize(js, '', 0, causes);
  if (causes.length) throw documentError({ document: n }, describeCauses(causes), causes);
  return value;
}

/**
 * The fast path for text that is JSON: undefined when the text does not look like JSON
 * or is not JSON after all (`{a: 1}` is YAML), so that the YAML path reads it.
 */
function parseAsJson(text: string): RawDocument[] | undefined {
  const first = /^\uFEFF?[ \t\r\n]*(.)/.exec(text)?.[1];
  if (first !== '{' && first !== '[') return undefined;
  let js: unknown;
  try {
    js = parseJson(text, MAX_DEPTH);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    if (e.message === 'nesting is too deep') throw documentError({ document: 1 }, `nesting is too deep (more than ${MAX_DEPTH} levels)`);
    if (e.message !== 'Map keys must be unique') return undefined;
    const { line, col } = linePos(text, e.offset);
    throw documentError({ document: 1, line, column: col }, `line ${line}:${col}: ${e.message}`);
  }
  const causes: FieldCause[] = [];
  const value = normalize(js, '', 0, causes);
  if (causes.length) throw documentError({ document: 1 }, describeCauses(causes), causes);
  return value === null ? [] : [{ document: 1, value }];
}

/** 1-based line and column of a 0-based offset. */
function linePos(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}

/**
 * Walks the document's nodes once, in document order, without recursion: finds nesting
 * deeper than {@link MAX_DEPTH} and the first alias with no anchor before it. Both are
 * checked here because the YAML library's own alias lookup walks the whole document in a
 * way whose cost grows with the square of the nesting depth.
 */
function inspect(doc: Doc): { tooDeep: true } | { unresolved: { source: string; offset: number } } | undefined {
  const anchors = new Set<string>();
  const stack: [unknown, number][] = [[doc.contents, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (depth > MAX_DEPTH) return { tooDeep: true };
    if (isAlias(node)) {
      if (!anchors.has(node.source)) return { unresolved: { source: node.source, offset: node.range?.[0] ?? 0 } };
      continue;
    }
    if (isNode(node) && node.anchor) anchors.add(node.anchor);
    if (isMap(node) || isSeq(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) stack.push([node.items[i], depth + 1]);
    } else if (isPair(node)) {
      stack.push([node.value, depth], [node.key, depth]);
    }
  }
  return undefined;
}

function syntaxError(document: number, err: YAMLError): ApiError {
  const pos = err.linePos?.[0];
  const first = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  const message = /Maximum call stack/.test(first) ? 'nesting is too deep' : first;
  const where: DecodeErrorDetails = { document };
  if (pos) {
    where.line = pos.line;
    where.column = pos.col;
  }
  return documentError(where, pos ? `line ${pos.line}:${pos.col}: ${message}` : message, undefined, err);
}

function aliasMessage(e: unknown): string {
  const m = messageOf(e);
  if (/Excessive alias count/.test(m)) return `too many alias expansions (more than ${MAX_ALIAS_COUNT}); anchors and aliases may not be used to blow up a document`;
  return m;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Thrown through the recursion of {@link normalize} when a document nests too deep. */
const tooDeep = new Error('too deep');

const child = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** Copies toJS output into plain JSON data, collecting problems as field causes. */
function normalize(v: unknown, path: string, depth: number, causes: FieldCause[]): unknown {
  if (depth > MAX_DEPTH) throw tooDeep;
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      if (!Number.isFinite(v)) causes.push(fieldError.invalid(path, Number.isNaN(v) ? '.nan' : v > 0 ? '.inf' : '-.inf', 'must be a finite number'));
      return v;
    case 'bigint':
      causes.push({
        reason: 'FieldValueInvalid',
        field: path,
        message: `Invalid value: ${v}: integer cannot be held exactly by a number (it would be rounded); quote it if it is meant as a string`,
      });
      return null;
    case 'object':
      break;
    default:
      causes.push(fieldError.invalid(path, String(v), `unsupported value of type ${typeof v}`));
      return null;
  }
  if (Array.isArray(v)) return v.map((x, i) => normalize(x, `${path}[${i}]`, depth + 1, causes));
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v) {
      if (k !== null && typeof k === 'object') {
        causes.push(fieldError.invalid(path, String(JSON.stringify(k) ?? k).slice(0, 64), 'mapping keys must be strings, numbers or booleans'));
        continue;
      }
      const key = String(k);
      const value = normalize(x, child(path, key), depth + 1, causes);
      if (value === null) continue;
      // defineProperty: a `__proto__` key is data, never the prototype.
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  causes.push(fieldError.invalid(path, Object.prototype.toString.call(v), 'unsupported value'));
  return null;
}
