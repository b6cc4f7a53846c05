/**
 * Freezes a JSON-like value and everything under it, in place, and returns it. A value
 * that is already frozen is trusted to be frozen all the way down (the API server's
 * watch objects are), so shared watch objects cost nothing.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  if (Array.isArray(value)) {
    for (const item of value) deepFreeze(item);
  } else {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return Object.freeze(value);
}
