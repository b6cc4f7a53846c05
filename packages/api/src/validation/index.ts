import type { FieldCause } from '../errors';

/** Kind-specific validation keyed by `apiVersion/Kind`; `old` is set on update. */
export const validators: Record<string, (obj: any, old?: any) => FieldCause[]> = {};
