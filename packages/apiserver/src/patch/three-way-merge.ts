import { ApiError, type KubeObject } from '@bosun/api';
import { cloneJson, isObject, keysOf, setOwn, type JsonObject } from './json-value';
import { applyMergePatch, createMergePatch } from './merge-patch';
import type { PatchSchema } from './patch-schema';
import { diffStrategic } from './create-strategic-merge-patch';
import { applyStrategicMergePatch, combineStrategicPatches } from './strategic-merge-patch';

/** The annotation in which `kubectl apply` records the configuration it last applied. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The patch `kubectl apply` sends (client-side apply): it deletes what was in
 * `lastApplied` but is no longer in `desired`, sets what `desired` says, and leaves alone
 * whatever only `live` has (fields set by controllers, defaulting, other writers).
 * Conflicts are not detected: `desired` wins, as with kubectl's default `--overwrite`.
 *
 * With `schema` (a built-in kind, see {@link patchSchemaFor}) the result is a strategic
 * merge patch, as `CreateThreeWayMergePatch` makes it: containers merge by name, so a
 * field a controller added inside a container survives. Without it (custom kinds) it is
 * a JSON merge patch, as `CreateThreeWayJSONMergePatch` makes it: lists are replaced whole.
 * `lastApplied` may be `{}` or undefined for an object never applied before (nothing is
 * then deleted). No input is modified.
 *
 * @throws ApiError BadRequest when a merged list's element lacks its merge key.
 */
export function createThreeWayMergePatch(lastApplied: unknown, desired: unknown, live: unknown, schema?: PatchSchema): JsonObject {
  const original = isObject(lastApplied) ? lastApplied : {};
  const modified = isObject(desired) ? desired : {};
  const current = isObject(live) ? live : {};
  if (schema) {
    // What changed from live to desired, without deletions; then what desired dropped
    // since last applied, deletions only. The first is merged into the second.
    const delta = diffStrategic(current, modified, schema, { ignoreDeletions: true, setElementOrder: true });
    const deletions = diffStrategic(original, modified, schema, { ignoreChangesAndAdditions: true, setElementOrder: true });
    return combineStrategicPatches(deletions, delta, schema);
  }
  const addAndChange = keepOrDropNulls(createMergePatch(current, modified) as JsonObject, false);
  const deletions = keepOrDropNulls(createMergePatch(original, modified) as JsonObject, true);
  return applyMergePatch<JsonObject>(deletions, addAndChange);
}

/**
 * Keeps only the deletions (`keepNulls`) or only the additions and changes of a merge
 * patch, as upstream's keepOrDeleteNullInObj: empty objects are values, not empty patches.
 */
function keepOrDropNulls(patch: JsonObject, keepNulls: boolean): JsonObject {
  const out: JsonObject = {};
  for (const key of keysOf(patch)) {
    const value = patch[key];
    if (value === null) {
      if (keepNulls) setOwn(out, key, null);
    } else if (isObject(value) && keysOf(value).length > 0) {
      const sub = keepOrDropNulls(value, keepNulls);
      if (keysOf(sub).length > 0) setOwn(out, key, sub);
    } else if (!keepNulls) {
      setOwn(out, key, value);
    }
  }
  return out;
}

/**
 * The object to store for a client-side apply: `live` with the three-way patch of
 * {@link createThreeWayMergePatch} applied (strategic with `schema`, JSON merge patch
 * without). Pass `lastAppliedOf(live)` as `lastApplied` and `withLastApplied(desired)` as
 * `desired` to record the applied configuration as `kubectl apply` does:
 *
 * ```ts
 * const next = applyThreeWay(lastAppliedOf(live), withLastApplied(desired), live, patchSchemaFor(live.apiVersion, live.kind));
 * ```
 *
 * No input is modified; the result shares nothing with them.
 */
export function applyThreeWay<T extends KubeObject = KubeObject>(lastApplied: KubeObject | undefined, desired: KubeObject, live: KubeObject, schema?: PatchSchema): T {
  const patch = createThreeWayMergePatch(lastApplied ?? {}, desired, live, schema);
  return schema ? applyStrategicMergePatch<T>(live, patch, schema) : applyMergePatch<T>(live, patch);
}

/**
 * The configuration last applied to `obj`, read from its {@link LAST_APPLIED_ANNOTATION};
 * undefined when the object was never applied (created, not applied).
 *
 * @throws ApiError BadRequest when the annotation is not a JSON object.
 */
export function lastAppliedOf(obj: KubeObject): KubeObject | undefined {
  const text = obj.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  if (text === undefined || text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw ApiError.badRequest(`annotation ${LAST_APPLIED_ANNOTATION} is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(parsed)) throw ApiError.badRequest(`annotation ${LAST_APPLIED_ANNOTATION} must hold a JSON object`);
  return parsed as KubeObject;
}

/**
 * A copy of `desired` carrying {@link LAST_APPLIED_ANNOTATION}: the JSON of `desired`
 * itself without that annotation, as kubectl's GetModifiedConfiguration records it
 * (including an empty `annotations: {}` when there were no others).
 */
export function withLastApplied<T extends KubeObject>(desired: T): T & { metadata: { annotations: Record<string, string> } } {
  const copy: KubeObject = cloneJson(desired);
  const metadata = (copy.metadata ??= {});
  const annotations = { ...(metadata.annotations ?? {}) };
  delete annotations[LAST_APPLIED_ANNOTATION];
  metadata.annotations = annotations;
  const recorded = JSON.stringify(copy);
  metadata.annotations = { ...annotations, [LAST_APPLIED_ANNOTATION]: recorded };
  return copy as T & { metadata: { annotations: Record<string, string> } };
}
