import { ApiError, type KubeObject } from '@bosun/api';
import { requireStrategicPatchSchema } from './builtin-patch-schemas';
import { applyJsonPatch, parseJsonPatch } from './json-patch';
import { applyMergePatch } from './merge-patch';
import type { PatchSchema } from './patch-schema';
import { applyStrategicMergePatch } from './strategic-merge-patch';

/** The patch formats the API server applies itself (server-side apply is separate). */
export type PatchFormat = 'merge' | 'json' | 'strategic';

/** Options for {@link applyPatch}. */
export interface ApplyPatchOptions {
  /** The strategic-merge schema; by default the built-in one for the target's kind. */
  schema?: PatchSchema;
}

/**
 * Applies a patch of the given format to a stored object and returns the patched copy,
 * for the API server's PATCH verb. `patch` may be the parsed body or its JSON text.
 * Nothing is modified; the caller validates the result as for an update.
 *
 * @throws ApiError BadRequest for an undecodable or malformed patch; Invalid for a JSON
 * patch operation that does not apply (a failed test); UnsupportedMediaType for a
 * strategic merge patch of a kind without a schema (custom kinds).
 */
export function applyPatch<T extends KubeObject>(target: T, patch: unknown, format: PatchFormat, options: ApplyPatchOptions = {}): T {
  switch (format) {
    case 'json':
      // parseJsonPatch reads JSON text itself, refusing duplicate members.
      return applyJsonPatch<T>(target, parseJsonPatch(patch));
    case 'merge':
      return applyMergePatch<T>(target, decode(patch, format));
    case 'strategic': {
      const schema = options.schema ?? requireStrategicPatchSchema(target.apiVersion ?? '', target.kind ?? '');
      return applyStrategicMergePatch<T>(target, decode(patch, format), schema);
    }
    default:
      throw new ApiError('UnsupportedMediaType', `unsupported patch type ${JSON.stringify(format)}: must be one of json, merge, strategic`);
  }
}

function decode(patch: unknown, format: PatchFormat): unknown {
  if (typeof patch !== 'string') return patch;
  try {
    return JSON.parse(patch);
  } catch (e) {
    throw ApiError.badRequest(`${format} patch is not valid JSON: ${(e as Error).message}`);
  }
}
