/**
 * How a field takes a strategic merge patch, as the Go struct tag `patchStrategy` says:
 * - `merge`: a list merges with the patch's list (by `patchMergeKey` for lists of objects,
 *   as a set for lists of primitives); on an object it is the default and changes nothing.
 * - `replace`: the patch's value replaces the whole field (the default for lists).
 * - `retainKeys`: on an object (or each element of a list), a `$retainKeys` directive in
 *   the patch clears every key it does not name; patch creation emits that directive.
 * - `merge,retainKeys`: both, as on `PodSpec.volumes`.
 */
export type PatchStrategy = 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';

/** The patch metadata of one field (its struct tags), and the schema of what it holds. */
export interface PatchField {
  /** Unset means the defaults: objects merge, lists are replaced. */
  readonly patchStrategy?: PatchStrategy;
  /** For a merged list of objects, the member that identifies an element (`name`, `containerPort`). */
  readonly patchMergeKey?: string;
  /** The schema of the field's object value, or of each element of its list value. */
  readonly schema?: PatchSchema;
}

/**
 * The patch metadata of an object's fields: what Kubernetes reads from the Go struct tags
 * of a built-in type. Fields not listed take the defaults (objects merge recursively,
 * lists and scalars are replaced), which is also how a map such as `labels` behaves.
 *
 * ```ts
 * const container: PatchSchema = { fields: { env: { patchStrategy: 'merge', patchMergeKey: 'name' } } };
 * const podSpec: PatchSchema = { fields: { containers: { patchStrategy: 'merge', patchMergeKey: 'name', schema: container } } };
 * ```
 */
export interface PatchSchema {
  readonly fields: { readonly [field: string]: PatchField };
}

const NO_META: PatchField = {};

/** The metadata of `field` in `schema`; `{}` (the defaults) when either is unknown. */
export function fieldMeta(schema: PatchSchema | undefined, field: string): PatchField {
  return schema && Object.hasOwn(schema.fields, field) ? schema.fields[field] : NO_META;
}

/**
 * The metadata of the field at a dotted path, descending through objects and into list
 * elements alike: `lookupPatchMeta(podSchema, 'spec.containers.ports')` gives
 * `{ patchStrategy: 'merge', patchMergeKey: 'containerPort' }`. Undefined when some step
 * of the path has no entry (the field then takes the defaults).
 */
export function lookupPatchMeta(schema: PatchSchema | undefined, path: string): PatchField | undefined {
  let meta: PatchField | undefined;
  let cur = schema;
  for (const step of path.split('.')) {
    if (!cur || !Object.hasOwn(cur.fields, step)) return undefined;
    meta = cur.fields[step];
    cur = meta.schema;
  }
  return meta;
}

/** The parsed strategy of a field. */
export interface ParsedStrategy {
  /** Lists merge (by key, or as sets of primitives) instead of being replaced. */
  merge: boolean;
  /** Objects are replaced whole instead of merged. */
  replace: boolean;
  /** Patch creation emits `$retainKeys` for the object (or each list element). */
  retainKeys: boolean;
}

/** Splits a field's `patchStrategy` into its parts. */
export function parseStrategy(meta: PatchField): ParsedStrategy {
  const parts = (meta.patchStrategy ?? '').split(',');
  return { merge: parts.includes('merge'), replace: parts.includes('replace'), retainKeys: parts.includes('retainKeys') };
}
