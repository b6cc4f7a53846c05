/**
 * A mutable deep copy of a JSON value (plain objects, arrays, strings, numbers,
 * booleans, null; e.g. one fresh from `JSON.parse`, frozen or not). Several times
 * faster than `JSON.parse(JSON.stringify(v))` and than parsing the text again; keeps
 * key order and own `__proto__` keys as data.
 */
export function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    // Appended: a preallocated `new Array(n)` is holey, which JSON.stringify serializes more slowly.
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(cloneJson(value[i]));
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const key in value) {
    const v = cloneJson((value as Record<string, unknown>)[key]);
    if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    else out[key] = v;
  }
  return out as T;
}
