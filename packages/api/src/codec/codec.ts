import { stringify, type DocumentOptions, type SchemaOptions, type ToStringOptions, type CreateNodeOptions } from 'yaml';
import { ApiError, isApiError, type FieldCause } from '../errors';
import { fieldError, showValue } from '../field';
import type { KubeObject } from '../meta';
import type { Scheme } from '../scheme';
import type { KindTypes, TypeOf } from '../kinds/types';
import { describeCauses, documentError, parseDocuments, type DecodeErrorDetails } from './parse';
import { checkStructure } from './structure';
import { bosunTags } from './yaml-schema';

/** Options of {@link decodeAll}, {@link decode} and {@link decodeAs}. */
export interface DecodeOptions {
  /**
   * Resolve every object's apiVersion and kind against this scheme: unknown ones are
   * refused (`no matches for kind "Foo" in version "v1"`) and legacy versions are
   * converted or refused. Without a scheme, any apiVersion and kind are accepted as
   * written.
   */
  scheme?: Scheme;
  /**
   * Convert legacy versions the scheme knows how to convert (default true). When false
   * they are refused with an error naming the version to use.
   */
  convert?: boolean;
  /** Run {@link checkStructure} on every object (default true). */
  check?: boolean;
}

/** Output format of {@link encode} and {@link encodeAll}. */
export type EncodeFormat = 'yaml' | 'json';

type Where = Omit<DecodeErrorDetails, 'causes'>;

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Decodes every object in YAML or JSON text, in order.
 *
 * - YAML: a stream of documents separated by `---` (a `...` ends one); empty and
 *   comment-only documents are skipped. The dialect is the YAML 1.2 core schema
 *   (`on`/`yes` stay strings), with leading-zero integers read as octal the way
 *   kubectl reads them (`defaultMode: 0644`), merge keys, and no duplicate keys.
 * - JSON: one object or an array of objects, read by a strict JSON reader that also
 *   refuses duplicate keys (JSON-looking YAML such as `{a: 1}` is read as YAML).
 * - A `List` (`apiVersion: v1, kind: List`, or a typed list such as `PodList`) is
 *   replaced by its `items`, recursively.
 * - Null values in mappings are dropped, as Kubernetes' typed decoding drops them.
 *
 * Every object must be a mapping with string `apiVersion` and `kind`. Unless
 * `check: false`, each also passes {@link checkStructure}. With a `scheme`, each
 * apiVersion+kind must be registered, or be a legacy version that is then converted
 * (`convert`, default true) or refused naming the version to use.
 *
 * Never returns partial results: the first problem throws a 400 BadRequest ApiError
 * whose message starts with the 1-based document number (`document 2: kind: Required
 * value`; `document 1 items[3]: …` inside a List) and whose `details` hold the
 * {@link DecodeErrorDetails} (document, item, line and column of syntax errors, field
 * causes). Inputs never make it throw anything but an ApiError.
 */
export function decodeAll(text: string, opts: DecodeOptions = {}): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseDocuments(text)) {
    try {
      expand(doc.value, { document: doc.document }, '', opts, out);
    } catch (e) {
      if (isApiError(e)) throw e;
      // A bug here must still reach the caller as an ApiError, never as a crash.
      throw documentError({ document: doc.document }, `cannot decode: ${e instanceof Error ? e.message : String(e)}`, undefined, e);
    }
  }
  return out;
}

/** Decodes text that must hold exactly one object; see {@link decodeAll}. */
export function decode(text: string, opts: DecodeOptions = {}): KubeObject {
  const objs = decodeAll(text, opts);
  if (objs.length !== 1) throw ApiError.badRequest(objs.length === 0 ? 'no object found: the text holds no YAML or JSON document' : `expected exactly one object, found ${objs.length}`);
  return objs[0];
}

/**
 * Decodes exactly one object and checks that it is of `apiVersion` and `kind` (after
 * legacy conversion when a `scheme` is given), typed accordingly:
 * `decodeAs(text, 'apps/v1', 'Deployment')` is a Deployment. Throws a 400 BadRequest
 * naming both when the object is of another kind.
 */
export function decodeAs<A extends keyof KindTypes & string, K extends keyof KindTypes[A] & string>(text: string, apiVersion: A, kind: K, opts?: DecodeOptions): TypeOf<A, K>;
export function decodeAs<T extends KubeObject>(text: string, apiVersion: string, kind: string, opts?: DecodeOptions): T;
export function decodeAs(text: string, apiVersion: string, kind: string, opts: DecodeOptions = {}): KubeObject {
  const obj = decode(text, opts);
  if (obj.apiVersion !== apiVersion || obj.kind !== kind) {
    throw new ApiError('BadRequest', `expected ${kind} in version "${apiVersion}", got ${obj.kind} in version "${obj.apiVersion}"`, { kind: String(obj.kind) });
  }
  return obj;
}

function isListObject(v: Record<string, unknown>, scheme: Scheme | undefined): boolean {
  const { kind, apiVersion } = v;
  if (typeof kind !== 'string' || !kind.endsWith('List') || !Array.isArray(v.items)) return false;
  if (kind === 'List') return true;
  return !(scheme && typeof apiVersion === 'string' && scheme.lookup(apiVersion, kind));
}

function expand(value: unknown, where: Where, item: string, opts: DecodeOptions, out: KubeObject[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => expand(v, where, `${item}[${i}]`, opts, out));
    return;
  }
  if (isMapping(value) && isListObject(value, opts.scheme)) {
    const kind = value.kind as string;
    const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
    (value.items as unknown[]).forEach((v, i) => {
      // Items of a typed list (PodList) may leave out their apiVersion and kind.
      if (itemKind && isMapping(v)) v = { apiVersion: value.apiVersion, kind: itemKind, ...v };
      expand(v, where, `${item ? `${item}.` : ''}items[${i}]`, opts, out);
    });
    return;
  }
  out.push(decodeObject(value, item ? { ...where, item } : where, opts));
}

function decodeObject(value: unknown, where: Where, opts: DecodeOptions): KubeObject {
  if (!isMapping(value)) {
    const cause: FieldCause = { reason: 'FieldValueTypeInvalid', field: '', message: `Invalid value: ${shorten(showValue(value))}: must be a mapping with apiVersion and kind` };
    throw documentError(where, cause.message, [cause]);
  }
  const causes: FieldCause[] = [];
  if (value.apiVersion === undefined || value.apiVersion === '') causes.push(fieldError.required('apiVersion'));
  if (value.kind === undefined || value.kind === '') causes.push(fieldError.required('kind'));
  if (opts.check !== false) causes.push(...checkStructure(value));
  else for (const f of ['apiVersion', 'kind'] as const) if (value[f] !== undefined && typeof value[f] !== 'string') causes.push(fieldError.typeInvalid(f, value[f], 'must be a string'));
  if (causes.length) throw documentError(where, describeCauses(causes), causes);
  const obj = value as KubeObject & { apiVersion: string; kind: string };
  const scheme = opts.scheme;
  if (!scheme || scheme.lookup(obj.apiVersion, obj.kind)) return obj;
  const legacy = scheme.legacyVersion(obj.apiVersion, obj.kind);
  if (!legacy) {
    try {
      scheme.require(obj.apiVersion, obj.kind);
    } catch (e) {
      throw documentError(where, isApiError(e) ? e.message : `no matches for kind "${obj.kind}" in version "${obj.apiVersion}"`, undefined, e);
    }
    return obj;
  }
  if (!legacy.convert || opts.convert === false) {
    throw documentError(where, `${obj.kind} in version "${obj.apiVersion}" is no longer served; use apiVersion: ${legacy.use}`);
  }
  try {
    return scheme.toServed(obj);
  } catch (e) {
    const message = isApiError(e) ? e.message : `cannot convert ${obj.kind} from ${obj.apiVersion} to ${legacy.use}: ${e instanceof Error ? e.message : String(e)}`;
    throw documentError(where, message, isApiError(e) ? e.causes : undefined, e);
  }
}

function shorten(s: string): string {
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}

// ---------------------------------------------------------------------------------
// Encoding

const FIRST = ['apiVersion', 'kind', 'metadata', 'spec'];
const LAST = ['status'];

/** The object with its top-level keys in kubectl's order: apiVersion, kind, metadata, spec, the rest as they were, status. */
function ordered(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (k: string) => Object.defineProperty(out, k, { value: obj[k], enumerable: true, writable: true, configurable: true });
  for (const k of FIRST) if (Object.prototype.hasOwnProperty.call(obj, k)) put(k);
  for (const k of Object.keys(obj)) if (!FIRST.includes(k) && !LAST.includes(k)) put(k);
  for (const k of LAST) if (Object.prototype.hasOwnProperty.call(obj, k)) put(k);
  return out;
}

/** A JSON-clean copy (undefined dropped, Dates as strings); anything JSON cannot hold is a 400. */
function plain(obj: unknown): Record<string, unknown> {
  let copy: unknown;
  try {
    copy = JSON.parse(JSON.stringify(obj) ?? 'null');
  } catch (e) {
    throw ApiError.badRequest(`cannot encode object: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isMapping(copy)) throw ApiError.badRequest(`cannot encode ${shorten(showValue(copy))}: an object must be a mapping`);
  return ordered(copy);
}

const yamlOptions: DocumentOptions & SchemaOptions & ToStringOptions & CreateNodeOptions = {
  version: '1.2',
  schema: 'core',
  customTags: bosunTags,
  // Quote strings that a YAML 1.1 reader (kubectl's) would take for a bool, number or
  // date (`"yes"`, `"on"`, `"0644"`, `"1_000"`), so the output means the same to both.
  compat: 'yaml-1.1',
  // The same object twice must not come out as an anchor and aliases.
  aliasDuplicateObjects: false,
  // kubectl's layout: list items at the indentation of their key, no line folding.
  indentSeq: false,
  lineWidth: 0,
  minContentWidth: 0,
};

function toYaml(obj: Record<string, unknown>): string {
  return stringify(obj, yamlOptions);
}

/**
 * `JSON.stringify(obj, null, 2)`, except that whole numbers beyond 2^53 are written in
 * exponent form: as plain digits the decoder would refuse them as integers it cannot
 * hold exactly.
 */
function toJson(obj: unknown): string {
  return `${json(obj, '')}\n`;
}

function json(v: unknown, indent: string): string {
  if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) return v.toExponential();
  if (typeof v !== 'object' || v === null) return JSON.stringify(v);
  const inner = `${indent}  `;
  if (Array.isArray(v)) return v.length ? `[\n${v.map((x) => inner + json(x, inner)).join(',\n')}\n${indent}]` : '[]';
  const keys = Object.keys(v);
  const o = v as Record<string, unknown>;
  return keys.length ? `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${json(o[k], inner)}`).join(',\n')}\n${indent}}` : '{}';
}

/**
 * Encodes one object as YAML (default) or JSON, with the top-level keys in kubectl's
 * order (apiVersion, kind, metadata, spec, the other fields as they were, status) and
 * every nested key where it was. `decode(encode(x))` deep-equals `x` for any object
 * `decode` can return. YAML output quotes every string a YAML 1.1 reader would take for
 * something else, so kubectl reads it the same. Throws a 400 BadRequest ApiError for a
 * value JSON cannot hold (a bigint, a cycle).
 */
export function encode(obj: KubeObject, format: EncodeFormat = 'yaml'): string {
  const o = plain(obj);
  return serialize(() => (format === 'json' ? toJson(o) : toYaml(o)));
}

/** Runs a serializer, turning a failure (a stack overflow on absurd nesting) into a 400. */
function serialize(f: () => string): string {
  try {
    return f();
  } catch (e) {
    throw ApiError.badRequest(`cannot encode object: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Encodes several objects: as YAML documents separated by `---`, or as JSON, one
 * `v1` `List` holding them as `items`. Decoding the result gives the objects back.
 */
export function encodeAll(objs: readonly KubeObject[], format: EncodeFormat = 'yaml'): string {
  const items = objs.map(plain);
  if (format === 'json') return serialize(() => toJson({ apiVersion: 'v1', kind: 'List', metadata: {}, items }));
  return serialize(() => items.map(toYaml).join('---\n'));
}
