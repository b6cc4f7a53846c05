// Small JSON helpers shared by the patch engines. Keys come from user input, so every
// write goes through `setOwn` (a `__proto__` key must become a property, never a prototype)
// and every read through `getOwn`.

/** A JSON object as the patch engines see it. */
export type JsonObject = Record<string, unknown>;

/** True for a plain JSON object (not null, not an array). */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The own property `key` of `obj`, or undefined; never reads through the prototype. */
export function getOwn(obj: JsonObject, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** True when `obj` has `key` with a defined value (JSON has no `undefined`). */
export function hasKey(obj: JsonObject, key: string): boolean {
  return Object.hasOwn(obj, key) && obj[key] !== undefined;
}

/** Sets an own property, even one named `__proto__`. */
export function setOwn(obj: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/** The keys of `obj` whose values are defined, in insertion order. */
export function keysOf(obj: JsonObject): string[] {
  return Object.keys(obj).filter((k) => obj[k] !== undefined);
}

/** A deep copy of a JSON value; `undefined` members are dropped, as JSON would drop them. */
export function cloneJson<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : cloneJson(x))) as T;
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const k of keysOf(v)) setOwn(out, k, cloneJson(v[k]));
    return out as T;
  }
  return v;
}

/** JSON equality: member order does not matter, element order does, `10` is not `"10"`. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = keysOf(a);
    if (ka.length !== keysOf(b).length) return false;
    return ka.every((k) => hasKey(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** The JSON type of a value, as Go's decoder distinguishes them (all numbers are one type). */
export type JsonKind = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';

/** The JSON kind of `v`; `undefined` counts as null. */
export function kindOf(v: unknown): JsonKind {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
    case 'bigint':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return 'object';
  }
}

/** A short rendering of a value for error messages. */
export function show(v: unknown): string {
  const s = JSON.stringify(v) ?? 'null';
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
