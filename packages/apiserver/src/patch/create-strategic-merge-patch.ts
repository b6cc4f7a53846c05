import { cloneJson, getOwn, isObject, jsonEqual, keysOf, kindOf, setOwn, type JsonObject } from './json-value';
import { fieldMeta, parseStrategy, type PatchField, type PatchSchema } from './patch-schema';
import {
  DELETE_FROM_PRIMITIVE_LIST,
  DIRECTIVE,
  RETAIN_KEYS,
  SET_ELEMENT_ORDER,
  badPatch,
  child,
  dedupe,
  deleteDirective,
  elementKind,
  identity,
} from './strategic-list';

/** What a diff keeps, as upstream's DiffOptions. */
export interface StrategicDiffOptions {
  /** Leave out additions and changes (keep only deletions). */
  ignoreChangesAndAdditions?: boolean;
  /** Leave out deletions (keep only additions and changes). */
  ignoreDeletions?: boolean;
  /** Emit `$setElementOrder/<field>` for merged lists whose content or order changed. */
  setElementOrder?: boolean;
}

interface DiffState extends StrategicDiffOptions {
  /** Emit `$retainKeys` for this object (its field or list has the retainKeys strategy). */
  buildRetainKeys?: boolean;
}

/**
 * The strategic merge patch that turns `original` into `modified` (a two-way patch, as
 * `CreateTwoWayMergePatch` makes it): changed fields carry their new value, missing ones
 * become `null`, merged lists list only the elements that changed (keyed by their merge
 * key) plus `{ <key>: …, $patch: delete }` for removed elements, removed primitives go in
 * `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>` records the new order, and
 * objects with the retainKeys strategy get `$retainKeys`. Equal inputs give `{}`.
 *
 * `applyStrategicMergePatch(original, patch, schema)` then deep-equals `modified`, list
 * order included, as long as `modified` has no `null` field values (null means delete).
 * Inputs that are not objects count as `{}`; neither input is modified.
 *
 * @throws ApiError BadRequest when an element of a merged list lacks its merge key, or
 * a merged list mixes objects and primitives.
 */
export function createStrategicMergePatch(original: unknown, modified: unknown, schema: PatchSchema): JsonObject {
  return diffStrategic(original, modified, schema, { setElementOrder: true });
}

/** A strategic diff with explicit options; three-way patches are built from two of these. */
export function diffStrategic(original: unknown, modified: unknown, schema: PatchSchema | undefined, options: StrategicDiffOptions): JsonObject {
  return diffMaps(isObject(original) ? original : {}, isObject(modified) ? modified : {}, schema, options, '');
}

function diffMaps(original: JsonObject, modified: JsonObject, schema: PatchSchema | undefined, state: DiffState, path: string): JsonObject {
  const patch: JsonObject = {};
  const retainKeys: string[] = [];
  for (const key of keysOf(modified)) {
    const after = modified[key];
    if (state.buildRetainKeys && after !== null) retainKeys.push(key);
    const before = getOwn(original, key);
    if (before === undefined) {
      if (!state.ignoreChangesAndAdditions) setOwn(patch, key, cloneJson(after));
      continue;
    }
    if (key === DIRECTIVE) {
      if (typeof before !== 'string' || typeof after !== 'string') throw badPatch(path, `invalid value for ${DIRECTIVE}`);
      if (before !== after) setOwn(patch, key, after);
      continue;
    }
    if (kindOf(before) !== kindOf(after)) {
      if (!state.ignoreChangesAndAdditions) setOwn(patch, key, cloneJson(after));
      continue;
    }
    const meta = fieldMeta(schema, key);
    const here = child(path, key);
    if (isObject(before)) diffMapField(key, before, after as JsonObject, meta, patch, state, here);
    else if (Array.isArray(before)) diffListField(key, before, after as unknown[], meta, patch, state, here);
    else if (!state.ignoreChangesAndAdditions && !jsonEqual(before, after)) setOwn(patch, key, after);
  }
  if (!state.ignoreDeletions) {
    for (const key of keysOf(original)) if (getOwn(modified, key) === undefined) setOwn(patch, key, null);
  }
  if (retainKeys.length > 0 && (keysOf(patch).length > 0 || hasFieldsModifiedLacks(original, modified))) {
    setOwn(patch, RETAIN_KEYS, retainKeys.sort());
  }
  return patch;
}

function diffMapField(key: string, before: JsonObject, after: JsonObject, meta: PatchField, patch: JsonObject, state: DiffState, path: string): void {
  const strategy = parseStrategy(meta);
  if (strategy.replace) {
    if (!state.ignoreChangesAndAdditions && !jsonEqual(before, after)) setOwn(patch, key, cloneJson(after));
    return;
  }
  const sub = diffMaps(before, after, meta.schema, { ...state, buildRetainKeys: strategy.retainKeys }, path);
  if (keysOf(sub).length > 0) setOwn(patch, key, sub);
}

function diffListField(key: string, before: unknown[], after: unknown[], meta: PatchField, patch: JsonObject, state: DiffState, path: string): void {
  const strategy = parseStrategy(meta);
  if (!strategy.merge) {
    if (!state.ignoreChangesAndAdditions && !jsonEqual(before, after)) setOwn(patch, key, cloneJson(after));
    return;
  }
  const { changes, deletions, order } = diffLists(before, after, meta, { ...state, buildRetainKeys: strategy.retainKeys }, path);
  if (changes.length > 0) setOwn(patch, key, changes);
  if (deletions.length > 0) setOwn(patch, `${DELETE_FROM_PRIMITIVE_LIST}/${key}`, deletions);
  if (order.length > 0) setOwn(patch, `${SET_ELEMENT_ORDER}/${key}`, order);
}

interface ListDiff {
  /** The patch's list: changed and added elements (and delete directives for objects). */
  changes: unknown[];
  /** Primitives to remove (`$deleteFromPrimitiveList`). */
  deletions: unknown[];
  /** The `$setElementOrder` list, when one is needed. */
  order: unknown[];
}

function diffLists(before: unknown[], after: unknown[], meta: PatchField, state: DiffState, path: string): ListDiff {
  const none: ListDiff = { changes: [], deletions: [], order: [] };
  if (before.length === 0) return after.length === 0 || state.ignoreChangesAndAdditions ? none : { ...none, changes: cloneJson(after) };

  if (elementKind(path, before, after) === 'primitive') {
    const had = new Set(before.map((x) => identity(x, '')));
    const has = new Set(after.map((x) => identity(x, '')));
    const changes = state.ignoreChangesAndAdditions ? [] : dedupe(after.filter((x) => !had.has(identity(x, ''))));
    const deletions = state.ignoreDeletions ? [] : dedupe(before.filter((x) => !has.has(identity(x, ''))));
    const needOrder = (!state.ignoreDeletions && deletions.length > 0) || (!state.ignoreChangesAndAdditions && !jsonEqual(before, after));
    return { changes, deletions, order: state.setElementOrder && needOrder ? cloneJson(after) : [] };
  }

  const mergeKey = meta.patchMergeKey;
  if (!mergeKey) throw badPatch(path, 'cannot diff a list of objects without a merge key');
  const idOf = (item: unknown, i: number, which: string): string => {
    const id = identity(item, mergeKey);
    if (id === undefined) throw badPatch(`${path}[${i}]`, `${which} element does not contain declared merge key "${mergeKey}"`);
    return id;
  };
  const beforeIds = before.map((x, i) => idOf(x, i, 'original'));
  const afterIds = after.map((x, i) => idOf(x, i, 'modified'));
  const byId = new Map<string, JsonObject>();
  before.forEach((x, i) => byId.has(beforeIds[i]) || byId.set(beforeIds[i], x as JsonObject));

  const changes: unknown[] = [];
  after.forEach((item, i) => {
    const element = item as JsonObject;
    const previous = byId.get(afterIds[i]);
    if (!previous) {
      if (!state.ignoreChangesAndAdditions) changes.push(cloneJson(element));
      return;
    }
    const sub = diffMaps(previous, element, meta.schema, state, `${path}[${i}]`);
    if (keysOf(sub).length > 0) changes.push({ [mergeKey]: cloneJson(element[mergeKey]), ...sub });
  });
  if (!state.ignoreDeletions) {
    const kept = new Set(afterIds);
    const deleted = new Set<string>();
    before.forEach((item, i) => {
      if (kept.has(beforeIds[i]) || deleted.has(beforeIds[i])) return;
      deleted.add(beforeIds[i]);
      changes.push(deleteDirective(mergeKey, item as JsonObject));
    });
  }
  const orderSame = beforeIds.length === afterIds.length && beforeIds.every((id, i) => id === afterIds[i]);
  const needOrder = (!state.ignoreChangesAndAdditions && (changes.length > 0 || !orderSame)) || (!state.ignoreDeletions && changes.length > 0);
  const order = state.setElementOrder && needOrder ? after.map((x) => ({ [mergeKey]: cloneJson((x as JsonObject)[mergeKey]) })) : [];
  return { changes, deletions: [], order };
}

/** True when `original` has a non-null field that `modified` lacks (so `$retainKeys` must clear it). */
function hasFieldsModifiedLacks(original: JsonObject, modified: JsonObject): boolean {
  return keysOf(original).some((k) => original[k] !== null && getOwn(modified, k) === undefined);
}
