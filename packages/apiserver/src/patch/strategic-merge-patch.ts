import { cloneJson, getOwn, hasKey, isObject, jsonEqual, keysOf, kindOf, setOwn, show, type JsonObject } from './json-value';
import { fieldMeta, parseStrategy, type PatchField, type PatchSchema } from './patch-schema';
import {
  DELETE_FROM_PRIMITIVE_LIST,
  DIRECTIVE,
  RETAIN_KEYS,
  SET_ELEMENT_ORDER,
  badPatch,
  child,
  dedupe,
  directiveField,
  elementKind,
  identity,
  invalidPatch,
  normalizeElementOrder,
  partition,
  validateSetElementOrder,
} from './strategic-list';

/**
 * Two ways of merging, as upstream's MergeOptions: `apply` merges a patch into an object
 * (directives are carried out, nulls delete); `combine` merges one patch into another
 * (client side, for three-way patches), so directives and nulls are kept for the server.
 */
type Mode = 'apply' | 'combine';

/**
 * Applies a strategic merge patch (`application/strategic-merge-patch+json`) the way the
 * Kubernetes API server does, and returns the result; `target` and `patch` are never
 * modified. `schema` says which lists merge by key (see {@link patchSchemaFor}); fields it
 * does not describe follow JSON merge patch rules (objects merge, lists are replaced).
 *
 * Directives:
 * - `null` deletes a field.
 * - `$patch: replace` in an object replaces it with the rest of that object; as a list
 *   element (`[{ $patch: replace }, …]`) the list becomes the other elements.
 * - `$patch: delete` in an object empties it (`{}`); as an element of a merged list it
 *   removes the elements with the same merge key.
 * - `$patch: merge` states the default explicitly and is dropped (upstream refuses it;
 *   Bosun accepts it as a no-op).
 * - `$retainKeys: [names]` clears the object's fields not named (every field the patch
 *   sets must be named: 422 otherwise), as for `volumes` and `Deployment.spec.strategy`.
 * - `$deleteFromPrimitiveList/<field>: [values]` removes those values from a primitive list.
 * - `$setElementOrder/<field>: [...]` orders a merged list (`[{ name: 'a' }, …]` for lists
 *   of objects, the values for primitives); server-only elements keep their relative place.
 *
 * Merged lists of primitives (finalizers) are sets: duplicates are dropped, order is kept.
 * Without `$setElementOrder`, elements the patch adds go before the server's own, as in
 * Kubernetes.
 *
 * @throws ApiError BadRequest for a malformed patch (a merged element without its merge
 * key, an unknown `$patch` value, a `$setElementOrder` that contradicts the patch's list,
 * lists mixing objects and primitives); ApiError Invalid for lists of lists and for fields
 * set outside `$retainKeys`.
 */
export function applyStrategicMergePatch<T = unknown>(target: unknown, patch: unknown, schema: PatchSchema): T {
  if (!isObject(patch)) throw badPatch('', `the patch must be a JSON object, got ${kindOf(patch)}`);
  const original: JsonObject = isObject(target) ? cloneJson(target) : {};
  return mergeMap(original, patch, schema, 'apply', '') as T;
}

/**
 * Merges patch `later` into patch `earlier` (client side), keeping directives and nulls:
 * the patch that does what `earlier` then `later` do. Used for three-way patches, where
 * `earlier` holds only deletions and `later` only additions and changes.
 */
export function combineStrategicPatches(earlier: JsonObject, later: JsonObject, schema: PatchSchema | undefined): JsonObject {
  return mergeMap(cloneJson(earlier), later, schema, 'combine', '');
}

// `original` is owned by the merge (a private copy) and modified in place; `patch` is only read.
function mergeMap(original: JsonObject, patch: JsonObject, schema: PatchSchema | undefined, mode: Mode, path: string): JsonObject {
  if (hasKey(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    const rest = withoutKey(patch, DIRECTIVE);
    switch (directive) {
      case 'replace':
        return mode === 'apply' ? mergeMap({}, rest, schema, mode, path) : cloneJson(rest);
      case 'delete':
        return {};
      case 'merge':
        return mergeMap(original, rest, schema, mode, path);
      default:
        throw badPatch(path, `unknown ${DIRECTIVE} directive ${show(directive)}: must be "replace", "delete" or "merge"`);
    }
  }

  applyRetainKeys(original, patch, mode, path);
  const done = new Set<string>([RETAIN_KEYS]);
  applySetElementOrders(original, patch, schema, mode, path, done);

  const deletions: [field: string, values: unknown][] = [];
  for (const key of keysOf(patch)) {
    if (done.has(key) || key.startsWith(SET_ELEMENT_ORDER)) continue;
    const value = patch[key];
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      const field = directiveField(key, DELETE_FROM_PRIMITIVE_LIST, path);
      if (mode === 'combine') setOwn(original, key, cloneJson(value));
      else deletions.push([field, value]);
      continue;
    }
    const here = child(path, key);
    if (value === null) {
      delete original[key];
      if (mode === 'combine') setOwn(original, key, null);
      continue;
    }
    const meta = fieldMeta(schema, key);
    const current = getOwn(original, key);
    if (current === undefined || current === null || kindOf(current) !== kindOf(value)) {
      // A lone `{ $patch: delete }` with nothing to delete leaves no trace, as upstream.
      if (mode === 'apply' && isObject(value) && getOwn(value, DIRECTIVE) === 'delete') delete original[key];
      else setOwn(original, key, materialize(value, meta, mode, here));
    } else if (isObject(value)) {
      const replace = parseStrategy(meta).replace;
      setOwn(original, key, replace ? materialize(value, meta, mode, here) : mergeMap(current as JsonObject, value, meta.schema, mode, here));
    } else if (Array.isArray(value)) {
      setOwn(original, key, mergeList(current as unknown[], value, meta, mode, here));
    } else {
      setOwn(original, key, value);
    }
  }
  // After the additions, so that a patch both adding and deleting a value ends without it.
  for (const [field, values] of deletions) deleteFromPrimitiveList(original, field, values, path);
  return original;
}

/** A patch value landing where the target has nothing to merge with. */
function materialize(value: unknown, meta: PatchField, mode: Mode, path: string): unknown {
  if (mode === 'combine') return cloneJson(value);
  if (isObject(value)) return mergeMap({}, value, meta.schema, mode, path);
  if (Array.isArray(value)) return mergeList([], value, meta, mode, path);
  return value;
}

function mergeList(original: unknown[], patch: readonly unknown[], meta: PatchField, mode: Mode, path: string): unknown[] {
  if (!parseStrategy(meta).merge) return mode === 'apply' ? replacedList(patch, meta, path) : cloneJson([...patch]);
  if (original.length === 0 && patch.length === 0) return original;

  if (elementKind(path, original, patch) === 'primitive') {
    const merged = dedupe([...original, ...cloneJson([...patch])]);
    const [fromPatch, serverOnly] = partition(merged, patch, '');
    return normalizeElementOrder(fromPatch, serverOnly, patch, original, '');
  }

  const mergeKey = meta.patchMergeKey;
  if (!mergeKey) throw badPatch(path, 'cannot merge a list of objects without a merge key');
  let base = original;
  const plain: JsonObject[] = [];
  let replace = false;
  patch.forEach((item, i) => {
    const element = item as JsonObject;
    if (!hasKey(element, DIRECTIVE)) {
      plain.push(element);
      return;
    }
    const directive = element[DIRECTIVE];
    if (directive === 'delete') {
      if (!hasKey(element, mergeKey)) throw badPatch(`${path}[${i}]`, `delete directive ${show(element)} does not contain declared merge key "${mergeKey}"`);
      const id = identity(element, mergeKey);
      base = base.filter((x) => identity(x, mergeKey) !== id);
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      const rest = withoutKey(element, DIRECTIVE);
      if (keysOf(rest).length > 0) plain.push(rest);
    } else {
      throw badPatch(`${path}[${i}]`, `unknown ${DIRECTIVE} directive ${show(directive)} in a list: must be "replace", "delete" or "merge"`);
    }
  });
  if (replace) return plain.map((el, i) => (mode === 'apply' ? mergeMap({}, el, meta.schema, mode, `${path}[${i}]`) : cloneJson(el)));

  const merged = [...base];
  const positions = new Map<string, number>();
  merged.forEach((x, at) => {
    const id = identity(x, mergeKey);
    if (id !== undefined && !positions.has(id)) positions.set(id, at);
  });
  plain.forEach((element, i) => {
    const id = identity(element, mergeKey);
    if (id === undefined) throw badPatch(`${path}[${i}]`, `element ${show(element)} does not contain declared merge key "${mergeKey}"`);
    const at = positions.get(id);
    if (at !== undefined) {
      merged[at] = mergeMap(merged[at] as JsonObject, element, meta.schema, mode, `${path}[${i}]`);
    } else {
      positions.set(id, merged.length);
      merged.push(mode === 'apply' ? mergeMap({}, element, meta.schema, mode, `${path}[${i}]`) : cloneJson(element));
    }
  });
  const [fromPatch, serverOnly] = partition(merged, plain, mergeKey);
  return normalizeElementOrder(fromPatch, serverOnly, plain, base, mergeKey);
}

/**
 * A list that replaces the target's: the patch's elements, with directive-only and
 * `$patch: delete` elements dropped and nulls and directives inside objects carried out,
 * so that nothing of the patch syntax is ever stored.
 */
function replacedList(patch: readonly unknown[], meta: PatchField, path: string): unknown[] {
  return patch
    .filter((x) => !(isObject(x) && hasKey(x, DIRECTIVE) && (x[DIRECTIVE] === 'delete' || keysOf(x).length === 1)))
    .map((x, i) => (isObject(x) ? mergeMap({}, x, meta.schema, 'apply', `${path}[${i}]`) : cloneJson(x)));
}

function applyRetainKeys(original: JsonObject, patch: JsonObject, mode: Mode, path: string): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const retain = patch[RETAIN_KEYS];
  if (mode === 'combine') {
    const existing = getOwn(original, RETAIN_KEYS);
    if (existing === undefined) setOwn(original, RETAIN_KEYS, cloneJson(retain));
    else if (!jsonEqual(existing, retain)) throw badPatch(path, `${RETAIN_KEYS} lists differ: ${show(existing)} and ${show(retain)}`);
    return;
  }
  if (!Array.isArray(retain) || !retain.every((k) => typeof k === 'string')) {
    throw badPatch(path, `${RETAIN_KEYS} must be a list of field names, got ${show(retain)}`);
  }
  const names = new Set<string>(retain);
  for (const key of keysOf(patch)) {
    if (key === RETAIN_KEYS || patch[key] === null || key.startsWith(DELETE_FROM_PRIMITIVE_LIST) || key.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!names.has(key)) throw invalidPatch(path, `the patch sets "${key}", which is not in its ${RETAIN_KEYS} list ${show(retain)}`);
  }
  for (const key of Object.keys(original)) if (!names.has(key)) delete original[key];
}

/**
 * Carries out every `$setElementOrder/<field>` of `patch`: merges the field's list (so the
 * main loop skips it, marked in `done`) and orders the result. Lists that do not merge
 * are left to the main loop: their order is the patch's.
 */
function applySetElementOrders(original: JsonObject, patch: JsonObject, schema: PatchSchema | undefined, mode: Mode, path: string, done: Set<string>): void {
  for (const key of keysOf(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key];
    if (mode === 'combine') {
      const existing = getOwn(original, key);
      if (existing === undefined) setOwn(original, key, cloneJson(order));
      else if (!jsonEqual(existing, order)) throw badPatch(path, `${key} lists differ: ${show(existing)} and ${show(order)}`);
    }
    const field = directiveField(key, SET_ELEMENT_ORDER, path);
    const here = child(path, field);
    if (!Array.isArray(order)) throw badPatch(path, `${key} must be a list, got ${show(order)}`);
    const meta = fieldMeta(schema, field);
    const patchList = getOwn(patch, field);
    if (patchList === null || !parseStrategy(meta).merge) continue;
    if (patchList !== undefined && !Array.isArray(patchList)) throw badPatch(here, `must be a list when ${key} is given, got ${show(patchList)}`);
    const currentValue = getOwn(original, field);
    const current = Array.isArray(currentValue) ? currentValue : undefined;
    const mergeKey = meta.patchMergeKey ?? '';
    validateSetElementOrder(patchList ?? [], order, mergeKey, here);

    let merged: unknown[];
    if (current && patchList) merged = mergeList(current, patchList, meta, mode, here);
    else if (patchList) merged = mode === 'apply' ? mergeList([], patchList, meta, mode, here) : cloneJson(patchList);
    else if (current) merged = current;
    else continue;
    const [ordered, serverOnly] = partition(merged, order, mergeKey);
    setOwn(original, field, normalizeElementOrder(ordered, serverOnly, order, current ?? [], mergeKey));
    done.add(field);
  }
}

function deleteFromPrimitiveList(original: JsonObject, field: string, values: unknown, path: string): void {
  const key = `${DELETE_FROM_PRIMITIVE_LIST}/${field}`;
  if (!Array.isArray(values)) throw badPatch(path, `${key} must be a list, got ${show(values)}`);
  if (values.some((v) => isObject(v) || Array.isArray(v))) throw badPatch(path, `${key} may hold only primitive values, got ${show(values)}`);
  const current = getOwn(original, field);
  if (!Array.isArray(current)) return;
  const remove = new Set(values.map((v) => identity(v, '')));
  setOwn(original, field, current.filter((x) => !remove.has(identity(x, ''))));
}

function withoutKey(obj: JsonObject, key: string): JsonObject {
  const out: JsonObject = {};
  for (const k of keysOf(obj)) if (k !== key) setOwn(out, k, obj[k]);
  return out;
}
