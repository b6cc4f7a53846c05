// Patch engines of the API server: JSON merge patch (RFC 7386), JSON patch (RFC 6902),
// strategic merge patch and kubectl's three-way (client-side apply) merge. Pure functions.
export { applyMergePatch, createMergePatch } from './merge-patch';
export { applyJsonPatch, parseJsonPatch, MAX_JSON_PATCH_OPERATIONS } from './json-patch';
export type { JsonPatchOperation } from './json-patch';
export { parseJsonPointer, formatJsonPointer } from './json-pointer';
export { applyStrategicMergePatch } from './strategic-merge-patch';
export { createStrategicMergePatch } from './create-strategic-merge-patch';
export { lookupPatchMeta } from './patch-schema';
export type { PatchSchema, PatchField, PatchStrategy } from './patch-schema';
export { patchSchemaFor, isStrategicPatchSupported, requireStrategicPatchSchema } from './builtin-patch-schemas';
export { createThreeWayMergePatch, applyThreeWay, lastAppliedOf, withLastApplied, LAST_APPLIED_ANNOTATION } from './three-way-merge';
export { applyPatch } from './apply-patch';
export type { PatchFormat, ApplyPatchOptions } from './apply-patch';
