/**
 * Freezes a JSON value and everything under it, in place, and returns it. Only for
 * values fresh from `JSON.parse` (plain objects and arrays, no cycles).
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    if (Array.isArray(value)) {
      for (const item of value) deepFreeze(item);
    } else {
      for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
    }
    Object.freeze(value);
  }
  return value;
}
