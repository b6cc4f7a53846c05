import { cloneJson, getOwn, isObject, jsonEqual, keysOf, setOwn, type JsonObject } from './json-value';

/**
 * Applies a JSON merge patch (RFC 7386, `application/merge-patch+json`) and returns the
 * result; neither argument is modified and the result shares nothing with them.
 *
 * An object patch merges member by member: `null` deletes the member, an object merges
 * recursively (into `{}` when the target member is not an object), anything else (arrays
 * included) replaces. A patch that is not an object replaces the whole target. Nulls
 * inside a patch value that lands on a missing member are dropped, as the RFC specifies.
 *
 * Never throws: every JSON value is a valid merge patch.
 */
export function applyMergePatch<T = unknown>(target: unknown, patch: unknown): T {
  return mergeInto(cloneJson(target), patch) as T;
}

// Mutates `target`, which the caller owns; reads `patch` only.
function mergeInto(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return cloneJson(patch);
  const out: JsonObject = isObject(target) ? target : {};
  for (const key of keysOf(patch)) {
    const value = patch[key];
    if (value === null) delete out[key];
    else setOwn(out, key, mergeInto(getOwn(out, key), value));
  }
  return out;
}

/**
 * The smallest JSON merge patch that turns `original` into `modified`:
 * `applyMergePatch(original, createMergePatch(original, modified))` deep-equals `modified`.
 * Members missing from `modified` become `null`, changed members carry their new value
 * (objects as a recursive diff, arrays whole), unchanged members are left out; equal
 * objects give `{}`. When either side is not an object the patch is `modified` itself.
 *
 * Merge patches cannot express a member whose value is `null` (null means delete), so a
 * `null` member of `modified` comes out deleted, not set to null.
 */
export function createMergePatch(original: unknown, modified: unknown): unknown {
  if (!isObject(original) || !isObject(modified)) return cloneJson(modified);
  return diffObjects(original, modified);
}

function diffObjects(original: JsonObject, modified: JsonObject): JsonObject {
  const patch: JsonObject = {};
  for (const key of keysOf(original)) if (getOwn(modified, key) === undefined) setOwn(patch, key, null);
  for (const key of keysOf(modified)) {
    const before = getOwn(original, key);
    const after = modified[key];
    if (before === undefined) {
      setOwn(patch, key, cloneJson(after));
    } else if (isObject(before) && isObject(after)) {
      const sub = diffObjects(before, after);
      if (keysOf(sub).length > 0) setOwn(patch, key, sub);
    } else if (!jsonEqual(before, after)) {
      setOwn(patch, key, cloneJson(after));
    }
  }
  return patch;
}
