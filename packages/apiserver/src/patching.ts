import { ApiError, type KubeObject } from '@bosun/api';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, applyThreeWay, patchSchemaFor, requireStrategicPatchSchema, withLastApplied, LAST_APPLIED_ANNOTATION } from './patch/index';
import type { PatchType } from './client';
import { isRecord } from './util';

export { LAST_APPLIED_ANNOTATION, withLastApplied };

/**
 * Applies a patch of `type` to `target` (not modified) and returns the result.
 * Strategic merge patches need the kind's patch schema (415 otherwise), except on the
 * Scale view, which has no lists and takes them as merge patches. Malformed patches are
 * 400s; JSON patch operations that do not apply are 422s.
 */
export function applyPatchOfType(type: Exclude<PatchType, 'apply'>, target: KubeObject, patch: unknown, apiVersion: string, kind: string): KubeObject {
  let out: unknown;
  switch (type) {
    case 'merge':
      if (!isRecord(patch)) throw ApiError.badRequest('a merge patch must be a JSON object');
      out = applyMergePatch(target, patch);
      break;
    case 'json':
      if (!Array.isArray(patch) && typeof patch !== 'string') throw ApiError.badRequest('a json patch must be an array of operations');
      out = applyJsonPatch(target, patch as never);
      break;
    case 'strategic':
      if (!isRecord(patch)) throw ApiError.badRequest('a strategic merge patch must be a JSON object');
      out = kind === 'Scale' && apiVersion === 'autoscaling/v1' ? applyMergePatch(target, patch) : applyStrategicMergePatch(target, patch, requireStrategicPatchSchema(apiVersion, kind));
      break;
    default:
      throw new ApiError('UnsupportedMediaType', `unsupported patch type ${JSON.stringify(type)}: use merge, json, strategic or apply`);
  }
  if (!isRecord(out)) throw new ApiError('Invalid', 'the patch result is not an object');
  return out as KubeObject;
}

/**
 * kubectl apply's three-way merge: `previous` (the last-applied record, if any), the
 * new manifest and the live object; returns the object to store. Kinds with a patch
 * schema merge lists by key; others (custom kinds) merge like JSON merge patch.
 */
export function threeWayApply(previous: KubeObject | undefined, desired: KubeObject, live: KubeObject, apiVersion: string, kind: string): KubeObject {
  const out = applyThreeWay(previous, desired, live, patchSchemaFor(apiVersion, kind));
  if (!isRecord(out)) throw ApiError.internal('three-way merge produced no object');
  return out as KubeObject;
}
