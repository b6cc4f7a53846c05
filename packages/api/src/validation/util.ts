// Building blocks shared by the kind validators: Kubernetes' value checks
// (k8s.io/apimachinery/pkg/util/validation) with their messages word for word, and
// accessors that tolerate malformed input. Validators see objects straight from users:
// a field of the wrong shape produces a cause, never an exception.
import type { FieldCause } from '../errors';
import { FieldPath, fieldError, showValue } from '../field';
import { isDns1123Label, isDns1123Subdomain, isLabelKey, isLabelValue, labelSelectorFromObject, validateLabelValue, validateQualifiedName, type Selector } from '../selectors/index';
import { tryParseQuantity, type Quantity } from '../quantity/index';

export type Path = FieldPath;
export type Causes = FieldCause[];

/** A plain object (not null, not an array). */
export function isObj(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
/** `v` when it is an array, else `[]`. */
export function arr(v: unknown): any[] {
  return Array.isArray(v) ? v : [];
}
/** `v` when it is a plain object, else `{}`. */
export function obj(v: unknown): Record<string, any> {
  return isObj(v) ? v : {};
}
/** `v` when it is a string, else `''`. */
export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
/** Whether a field holds something (not undefined or null). */
export function has(v: unknown): boolean {
  return v !== undefined && v !== null;
}

export const MAX_INT32 = 2147483647;

/** Kubernetes' RegexError wording: `msg (e.g. 'a',  or 'b', regex used for validation is 'fmt')`. */
export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}
export const maxLenError = (n: number): string => `must be no more than ${n} characters`;
export const inclusiveRangeError = (lo: number, hi: number): string => `must be between ${lo} and ${hi}, inclusive`;

export const IS_NEGATIVE = 'must be greater than or equal to 0';
export const IS_NOT_POSITIVE = 'must be greater than zero';
export const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';
export const INVALID_IP = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';
export const INVALID_CIDR = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

/** A `Not found` cause (reason FieldValueNotFound), as field.NotFound makes it. */
export function notFound(path: Path | string, value: unknown): FieldCause {
  return { reason: 'FieldValueNotFound', field: String(path), message: `Not found: ${showValue(value)}` };
}
/** A Duplicate cause with a detail, as upstream sets `Detail` on field.Duplicate. */
export function duplicateWithDetail(path: Path | string, value: unknown, detail: string): FieldCause {
  const c = fieldError.duplicate(path, value);
  return { ...c, message: `${c.message}: ${detail}` };
}
/** Invalid causes for each message, all on `path` with `value`. */
export function invalidEach(path: Path | string, value: unknown, msgs: readonly string[]): Causes {
  return msgs.map((m) => fieldError.invalid(path, value, m));
}

// Validation runs on every write, and nearly every value is valid. The hot checks below
// therefore come in pairs: an allocation-free predicate that says "valid" exactly when
// the message-producing check finds nothing, so callers build field paths and messages
// only for the values that fail (`if (!isX(v)) causes.push(...invalidEach(path, v, validateX(v)))`).

/**
 * Length of `s` in UTF-8 bytes, exactly as `TextEncoder` counts it (a lone surrogate
 * becomes U+FFFD, 3 bytes), without encoding it.
 */
export function utf8ByteLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a surrogate pair: 2 code units, 4 bytes
      i++;
    } else n += 2; // 3 bytes
  }
  return n;
}

/**
 * `parent.child(name)`, or `parent` when `name` is undefined. Internal validators take
 * their path as a parent and a name and call this only to report a cause.
 */
export function at(parent: Path, name: string | undefined): Path {
  return name === undefined ? parent : parent.child(name);
}

/** True exactly when {@link nonNegative} adds no cause for `v`. */
export function isNonNegativeOrAbsent(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 0);
}

/**
 * A memo of a pure string predicate. Objects repeat the same strings over and over
 * (label and annotation keys and values, namespaces, container, volume and scheduler
 * names, resource names), and a map hit costs a fraction of the regular expression
 * behind the predicate. Bounded (cleared when full) and only for strings short enough
 * to be valid, so neither unique nor huge strings can grow it. Not for strings that are
 * unique by nature (object names): there it would only add a miss.
 */
function memo(pred: (s: string) => boolean, maxLength: number): (s: string) => boolean {
  const cache = new Map<string, boolean>();
  return (s) => {
    if (s.length > maxLength) return pred(s);
    let ok = cache.get(s);
    if (ok === undefined) {
      ok = pred(s);
      if (cache.size >= MEMO_SIZE) cache.clear();
      cache.set(s, ok);
    }
    return ok;
  };
}
const MEMO_SIZE = 2048;

/** {@link isLabelKey} (a qualified name: label and annotation keys, finalizers, resource names), memoized. */
export const isQualifiedNameMemo = memo(isLabelKey, 253 + 1 + 63);
/** {@link isLabelValue}, memoized. */
export const isLabelValueMemo = memo(isLabelValue, 63);
/** {@link isDns1123Subdomain} for names that repeat across objects (not the objects' own names), memoized. */
export const isDns1123SubdomainMemo = memo(isDns1123Subdomain, 253);
/** {@link isDns1123Label} for names that repeat across objects (namespaces, containers, volumes), memoized. */
export const isDns1123LabelMemo = memo(isDns1123Label, 63);

/** True exactly when {@link validateLabels} finds nothing (absent, or valid keys and values). */
export function labelsValid(labels: unknown): boolean {
  if (labels === undefined || labels === null) return true;
  if (!isObj(labels)) return false;
  // for-in sees every own key (and any inherited enumerable one, which can only make
  // this say "check properly"): validateLabels then reports.
  for (const k in labels) {
    const v = labels[k];
    if (typeof v !== 'string' || !isQualifiedNameMemo(k) || !isLabelValueMemo(v)) return false;
  }
  return true;
}

// ---- numbers ------------------------------------------------------------------------

/**
 * Reads an optional integer field. Undefined/null → undefined. Anything but an integer
 * adds a FieldValueTypeInvalid cause and reads as undefined, so later checks skip it.
 */
export function int(v: unknown, path: Path, causes: Causes): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  causes.push(fieldError.typeInvalid(path, v, 'must be an integer'));
  return undefined;
}
/** {@link nonNegative} on `parent.child(name)`, building the path only for a cause. */
export function nonNegativeField(v: unknown, parent: Path, name: string, causes: Causes): void {
  if (!isNonNegativeOrAbsent(v)) nonNegative(v, parent.child(name), causes);
}
/** {@link int} on `parent.child(name)`, building the path only for a cause. */
export function intField(v: unknown, parent: Path, name: string, causes: Causes): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  return int(v, parent.child(name), causes);
}
/** Pushes `must be greater than or equal to 0` for a negative integer (and type errors). */
export function nonNegative(v: unknown, path: Path, causes: Causes): void {
  const n = int(v, path, causes);
  if (n !== undefined && n < 0) causes.push(fieldError.invalid(path, n, IS_NEGATIVE));
}
/** Pushes `must be greater than zero` for an integer ≤ 0 (and type errors). */
export function positive(v: unknown, path: Path, causes: Causes, msg = IS_NOT_POSITIVE): void {
  const n = int(v, path, causes);
  if (n !== undefined && n <= 0) causes.push(fieldError.invalid(path, n, msg));
}

// ---- names --------------------------------------------------------------------------

const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1035_LABEL = new RegExp(`^${DNS1035_LABEL_FMT}$`);
/** True exactly when {@link validateDns1035Label} finds nothing. */
export function isDns1035Label(s: string): boolean {
  return s.length <= 63 && DNS1035_LABEL.test(s);
}
/** The problems keeping `s` from being a DNS-1035 label (Service names), in Kubernetes' words. */
export function validateDns1035Label(s: string): string[] {
  const errs: string[] = [];
  if (s.length > 63) errs.push(maxLenError(63));
  if (!DNS1035_LABEL.test(s)) {
    errs.push(regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character", DNS1035_LABEL_FMT, 'my-name', 'abc-123'));
  }
  return errs;
}

/** Kubernetes' IsValidPathSegmentName: names used as a URL path segment. */
export function validatePathSegmentName(s: string): string[] {
  if (s === '.' || s === '..') return [`may not be '${s}'`];
  const errs: string[] = [];
  if (s.includes('/')) errs.push("may not contain '/'");
  if (s.includes('%')) errs.push("may not contain '%'");
  return errs;
}

const WILDCARD_DNS1123_FMT = '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
const WILDCARD_DNS1123 = new RegExp(`^${WILDCARD_DNS1123_FMT}$`);
/** Kubernetes' IsWildcardDNS1123Subdomain (`*.example.com`). */
export function validateWildcardDns1123Subdomain(s: string): string[] {
  const errs: string[] = [];
  if (s.length > 253) errs.push(maxLenError(253));
  if (!WILDCARD_DNS1123.test(s)) {
    errs.push(regexError("a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character", WILDCARD_DNS1123_FMT, '*.example.com'));
  }
  return errs;
}

const PORT_NAME_CHARSET = /^[-a-z0-9]+$/;
const PORT_NAME_ONE_LETTER = /[a-z]/;
/** True exactly when {@link validatePortName} finds nothing. */
export function isPortName(s: string): boolean {
  return s.length <= 15 && PORT_NAME_CHARSET.test(s) && PORT_NAME_ONE_LETTER.test(s) && !s.includes('--') && s[0] !== '-' && s[s.length - 1] !== '-';
}
/** True exactly when {@link validatePortNum} finds nothing. */
export function isPortNum(n: unknown): boolean {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535;
}
/** Kubernetes' IsValidPortName: an IANA_SVC_NAME (≤15 lower-case alphanumerics and '-', at least one letter). */
export function validatePortName(s: string): string[] {
  const errs: string[] = [];
  if (s.length > 15) errs.push(maxLenError(15));
  if (!PORT_NAME_CHARSET.test(s)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!PORT_NAME_ONE_LETTER.test(s)) errs.push('must contain at least one letter (a-z)');
  if (s.includes('--')) errs.push('must not contain consecutive hyphens');
  if (s.length > 0 && (s.startsWith('-') || s.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}
/** Kubernetes' IsValidPortNum. */
export function validatePortNum(n: unknown): string[] {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}
/** A port given by number (1..65535) or IANA name, as intstr fields (targetPort, probe ports) take it. */
export function validatePortNumOrName(v: unknown, path: Path): Causes {
  if (typeof v === 'number' ? isPortNum(v) : typeof v === 'string' && isPortName(v)) return [];
  if (typeof v === 'number') return invalidEach(path, v, validatePortNum(v));
  if (typeof v === 'string') return invalidEach(path, v, validatePortName(v));
  if (v === undefined || v === null) return [fieldError.required(path)];
  return [fieldError.typeInvalid(path, v, 'must be an integer or a string')];
}

const ENV_VAR_FMT = '[-._a-zA-Z][-._a-zA-Z0-9]*';
const ENV_VAR = new RegExp(`^${ENV_VAR_FMT}$`);
function chdirPrefix(s: string): string[] {
  if (s === '.') return ["must not be '.'"];
  if (s === '..') return ["must not be '..'"];
  if (s.startsWith('..')) return ["must not start with '..'"];
  return [];
}
/** True exactly when {@link validateEnvVarName} finds nothing. */
export function isEnvVarName(s: string): boolean {
  return ENV_VAR.test(s) && s !== '.' && !s.startsWith('..');
}
/** Kubernetes' IsEnvVarName. */
export function validateEnvVarName(s: string): string[] {
  const errs: string[] = [];
  if (!ENV_VAR.test(s)) {
    errs.push(regexError("a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit", ENV_VAR_FMT, 'my.env-name', 'MY_ENV.NAME', 'MyEnvName1'));
  }
  return [...errs, ...chdirPrefix(s)];
}
const CONFIG_KEY_FMT = '[-._a-zA-Z0-9]+';
const CONFIG_KEY = new RegExp(`^${CONFIG_KEY_FMT}$`);
/** True exactly when {@link validateConfigMapKey} finds nothing. */
export function isConfigMapKey(s: string): boolean {
  return s.length <= 253 && CONFIG_KEY.test(s) && s !== '.' && !s.startsWith('..');
}
/** Kubernetes' IsConfigMapKey: keys of ConfigMap and Secret data. */
export function validateConfigMapKey(s: string): string[] {
  const errs: string[] = [];
  if (s.length > 253) errs.push(maxLenError(253));
  if (!CONFIG_KEY.test(s)) errs.push(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", CONFIG_KEY_FMT, 'key.name', 'KEY_NAME', 'key-name'));
  return [...errs, ...chdirPrefix(s)];
}

const PERCENT = /^[0-9]+%$/;
/** Kubernetes' IsValidPercent. */
export function validatePercent(s: string): string[] {
  return PERCENT.test(s) ? [] : [regexError("a valid percent string must be a numeric string followed by an ending '%'", '[0-9]+%', '1%', '93%')];
}

// ---- int or percent -------------------------------------------------------------------

/** The numeric value of an int-or-percent (`3`, `'25%'` → 25); undefined when it is neither. */
export function intOrPercentValue(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && PERCENT.test(v)) return Number(v.slice(0, -1));
  return undefined;
}
/** Kubernetes' ValidatePositiveIntOrPercent: a non-negative integer or a percent string. */
export function validateIntOrPercent(v: unknown, path: Path): Causes {
  if (typeof v === 'string') return invalidEach(path, v, validatePercent(v));
  if (typeof v === 'number' && Number.isInteger(v)) return v < 0 ? [fieldError.invalid(path, v, IS_NEGATIVE)] : [];
  return [fieldError.invalid(path, v, "must be an integer or percentage (e.g '5%')")];
}
/** Kubernetes' IsNotMoreThan100Percent. */
export function notMoreThan100Percent(v: unknown, path: Path): Causes {
  if (typeof v !== 'string' || !PERCENT.test(v)) return [];
  return Number(v.slice(0, -1)) > 100 ? [fieldError.invalid(path, v, 'must not be greater than 100%')] : [];
}

// ---- IPs ------------------------------------------------------------------------------

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}
function isIPv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return false;
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = (h: string): string[] | undefined => {
    if (h === '') return [];
    const g = h.split(':');
    return g.every((x) => x !== '') ? g : undefined;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return false;
  const all = [...head, ...tail];
  let count = 0;
  for (let i = 0; i < all.length; i++) {
    const g = all[i];
    if (i === all.length - 1 && g.includes('.')) {
      if (!isIPv4(g)) return false;
      count += 2;
    } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) count += 1;
    else return false;
  }
  return halves.length === 2 ? count < 8 : count === 8;
}
/** The IP family of `s` (4 or 6), or undefined when it is not an IP address. */
export function ipFamily(s: string): 4 | 6 | undefined {
  if (isIPv4(s)) return 4;
  if (isIPv6(s)) return 6;
  return undefined;
}
/** The IP family of a CIDR (`10.0.0.0/24` → 4), or undefined when it is not one. */
export function cidrFamily(s: string): 4 | 6 | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const fam = ipFamily(s.slice(0, slash));
  const bits = s.slice(slash + 1);
  if (!fam || !/^(0|[1-9][0-9]*)$/.test(bits)) return undefined;
  return Number(bits) <= (fam === 4 ? 32 : 128) ? fam : undefined;
}

// ---- quantities -----------------------------------------------------------------------

// Objects repeat a handful of quantity spellings ('250m', '512Mi'): parse each once.
// Quantities are immutable, so sharing them is safe; the cache is bounded, and keeps no
// spelling longer than any sensible quantity.
const parsedQuantities = new Map<string | number, Quantity | null>();
const QUANTITY_CACHE_SIZE = 1024;
const QUANTITY_CACHE_MAX_LENGTH = 64;
function parseQuantityCached(v: string | number): Quantity | undefined {
  if (typeof v === 'string' && v.length > QUANTITY_CACHE_MAX_LENGTH) return tryParseQuantity(v);
  let q = parsedQuantities.get(v);
  if (q === undefined) {
    if (parsedQuantities.size >= QUANTITY_CACHE_SIZE) parsedQuantities.clear();
    q = tryParseQuantity(v) ?? null;
    parsedQuantities.set(v, q);
  }
  return q ?? undefined;
}

/** The quantity a field value spells, or undefined when it is malformed: {@link quantity} without the cause. */
export function parseQuantityValue(v: unknown): Quantity | undefined {
  return typeof v === 'string' || typeof v === 'number' ? parseQuantityCached(v) : undefined;
}

/** Parses a quantity field value; pushes Kubernetes' format message and returns undefined when malformed. */
export function quantity(v: unknown, path: Path, causes: Causes): Quantity | undefined {
  const q = parseQuantityValue(v);
  if (q) return q;
  causes.push(fieldError.invalid(path, v, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
  return undefined;
}

// ---- labels and selectors -------------------------------------------------------------

/** Kubernetes' ValidateLabelName: the key must be a qualified name; causes on `path`. */
export function validateLabelName(key: unknown, path: Path): Causes {
  if (typeof key !== 'string') return [fieldError.typeInvalid(path, key, 'must be a string')];
  if (isQualifiedNameMemo(key)) return [];
  return invalidEach(path, key, validateQualifiedName(key));
}

/** Kubernetes' ValidateLabels: every key a qualified name, every value a label value; causes on `path` itself. */
export function validateLabels(labels: unknown, path: Path): Causes {
  if (labelsValid(labels)) return [];
  if (!isObj(labels)) return [fieldError.typeInvalid(path, labels, 'must be a map of string keys to string values')];
  const causes: Causes = [];
  for (const [k, v] of Object.entries(labels)) {
    causes.push(...invalidEach(path, k, validateQualifiedName(k)));
    if (typeof v !== 'string') causes.push(fieldError.typeInvalid(path, v, 'must be a string'));
    else causes.push(...invalidEach(path, v, validateLabelValue(v)));
  }
  return causes;
}

/**
 * Kubernetes' metav1 ValidateLabelSelector for the object form (matchLabels and
 * matchExpressions with In, NotIn, Exists, DoesNotExist). Absent selectors are valid here;
 * callers decide whether one is required.
 */
export function validateLabelSelector(sel: unknown, path: Path): Causes {
  if (sel === undefined || sel === null) return [];
  if (!isObj(sel)) return [fieldError.typeInvalid(path, sel, 'must be a label selector object')];
  const causes = validateLabels(sel.matchLabels, path.child('matchLabels'));
  arr(sel.matchExpressions).forEach((e, i) => {
    const p = path.child('matchExpressions').index(i);
    const expr = obj(e);
    const values = arr(expr.values);
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) causes.push(fieldError.required(p.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) causes.push(fieldError.forbidden(p.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        causes.push(fieldError.invalid(p.child('operator'), expr.operator, 'not a valid selector operator'));
    }
    causes.push(...validateLabelName(expr.key, p.child('key')));
    values.forEach((v, j) => {
      if (typeof v !== 'string') causes.push(fieldError.typeInvalid(p.child('values').index(j), v, 'must be a string'));
      else causes.push(...invalidEach(p.child('values').index(j), v, validateLabelValue(v)));
    });
  });
  return causes;
}

/** Compiles a label selector object, or undefined when it cannot be compiled (invalid or absent). */
export function compileSelector(sel: unknown): Selector | undefined {
  if (!isObj(sel)) return undefined;
  try {
    return labelSelectorFromObject(sel);
  } catch {
    return undefined;
  }
}

/** Whether a selector object has neither matchLabels nor matchExpressions. */
export function isEmptySelector(sel: Record<string, any>): boolean {
  return Object.keys(obj(sel.matchLabels)).length + arr(sel.matchExpressions).length === 0;
}

/** The labels of a template's metadata, when they are a map of strings. */
export function templateLabels(tpl: unknown): Record<string, string> {
  const labels = obj(obj(obj(tpl).metadata).labels);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out[k] = v;
  return out;
}

// ---- equality -------------------------------------------------------------------------

function isEmptyValue(v: unknown): boolean {
  return v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).every((k) => v[k] === undefined));
}

/**
 * Deep equality as Kubernetes' `Semantic.DeepEqual` sees stored objects: key order does
 * not matter, and absent, null, empty lists and empty maps are all equal.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isEmptyValue(a) && isEmptyValue(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/** `field is immutable` on `path` when `value` differs from `old` (semantically). */
export function immutable(value: unknown, old: unknown, path: Path): Causes {
  return semanticEqual(value, old) ? [] : [fieldError.immutable(path, value)];
}

/** A deep copy through JSON (undefined fields dropped). */
export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

export { FieldPath, fieldError };
