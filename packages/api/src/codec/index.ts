export { decodeAll, decode, decodeAs, encode, encodeAll } from './codec';
export type { DecodeOptions, EncodeFormat } from './codec';
export type { DecodeErrorDetails } from './parse';
export { MAX_ALIAS_COUNT, MAX_DEPTH } from './parse';
export { checkStructure, structureRules } from './structure';
export type { StructureRule, FieldType } from './structure';
export { legacyVersions } from './legacy';
