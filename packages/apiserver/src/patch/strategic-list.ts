// List helpers shared by strategic patch application and creation: element identity,
// element kinds, and the element ordering rules of k8s.io/apimachinery's strategicpatch.
import { ApiError } from '@bosun/api';
import { getOwn, hasKey, isObject, show, type JsonObject } from './json-value';

/** `$patch: replace | delete | merge`, in an object or as a list element. */
export const DIRECTIVE = '$patch';
/** `$retainKeys: [names]`: the object's fields to keep; the others are cleared. */
export const RETAIN_KEYS = '$retainKeys';
/** Prefix of `$deleteFromPrimitiveList/<field>: [values]`. */
export const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
/** Prefix of `$setElementOrder/<field>: [...]`. */
export const SET_ELEMENT_ORDER = '$setElementOrder';

/** A 400 naming where in the patch the problem is. */
export function badPatch(path: string, message: string): ApiError {
  return ApiError.badRequest(`strategic merge patch${path ? ` at ${path}` : ''}: ${message}`);
}

/** A 422, as Kubernetes answers for a patch that is well-formed but cannot apply. */
export function invalidPatch(path: string, message: string): ApiError {
  return new ApiError('Invalid', `strategic merge patch${path ? ` at ${path}` : ''}: ${message}`);
}

/** `a.b` from `a` and `b`. */
export function child(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** The field a parallel-list directive key (`$setElementOrder/containers`) is about. */
export function directiveField(key: string, prefix: string, path: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix || slash === key.length - 1) {
    throw badPatch(path, `invalid directive key ${JSON.stringify(key)}: expected "${prefix}/<field>"`);
  }
  return key.slice(slash + 1);
}

/** True for a list element carrying `$patch: delete`. */
export function isDeleteDirective(item: unknown): boolean {
  return isObject(item) && getOwn(item, DIRECTIVE) === 'delete';
}

/**
 * What identifies a list element: its merge key's value for lists of objects, itself for
 * primitives; undefined when an object lacks the merge key. Type-sensitive (`80` is not
 * `"80"`), as Go's interface comparison is.
 */
export function identity(item: unknown, mergeKey: string): string | undefined {
  if (mergeKey) {
    if (!isObject(item) || !hasKey(item, mergeKey)) return undefined;
    return JSON.stringify(item[mergeKey]);
  }
  return JSON.stringify(item) ?? 'null';
}

/** Whether the elements of the lists are objects or primitives; refuses mixes and lists of lists. */
export function elementKind(path: string, ...lists: readonly (readonly unknown[])[]): 'object' | 'primitive' {
  let kind: 'object' | 'primitive' | undefined;
  for (const list of lists) {
    for (const item of list) {
      if (Array.isArray(item)) throw invalidPatch(path, 'lists of lists are not supported');
      const k = isObject(item) ? 'object' : 'primitive';
      if (kind && kind !== k) throw badPatch(path, `list element types are not identical: ${show(list)}`);
      kind = k;
    }
  }
  return kind ?? 'primitive';
}

/** Keeps the first of equal elements (by identity), in order. */
export function dedupe(items: readonly unknown[]): unknown[] {
  const seen = new Set<string | undefined>();
  return items.filter((item) => {
    const id = identity(item, '');
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Splits `items` into those present in `by` (by identity) and the rest, keeping order. */
export function partition(items: readonly unknown[], by: readonly unknown[], mergeKey: string): [unknown[], unknown[]] {
  const present = new Set(by.map((x) => identity(x, mergeKey)).filter((id) => id !== undefined));
  const inBy: unknown[] = [];
  const rest: unknown[] = [];
  for (const item of items) {
    const id = identity(item, mergeKey);
    (id !== undefined && present.has(id) ? inBy : rest).push(item);
  }
  return [inBy, rest];
}

/** Position of each identity in `order` (first occurrence), for O(1) lookups. */
function ranks(order: readonly unknown[], mergeKey: string): Map<string, number> {
  const rank = new Map<string, number>();
  order.forEach((x, i) => {
    const id = identity(x, mergeKey);
    if (id !== undefined && !rank.has(id)) rank.set(id, i);
  });
  return rank;
}

function rankIn(rank: Map<string, number>, item: unknown, mergeKey: string): number {
  const id = identity(item, mergeKey);
  return id === undefined ? -1 : (rank.get(id) ?? -1);
}

/**
 * Sorts `items` by their position in `order`; items not in `order` keep their slots, and
 * `$patch: delete` elements (present only when combining two patches) go last.
 */
function sortByOrder(items: readonly unknown[], order: readonly unknown[], mergeKey: string): unknown[] {
  const deletes = mergeKey ? items.filter(isDeleteDirective) : [];
  const kept = mergeKey ? items.filter((x) => !isDeleteDirective(x)) : [...items];
  const rank = ranks(order, mergeKey);
  const ranked = kept.map((item) => ({ item, rank: rankIn(rank, item, mergeKey) }));
  const found = ranked.filter((r) => r.rank >= 0).sort((a, b) => a.rank - b.rank);
  let next = 0;
  const sorted = ranked.map((r) => (r.rank >= 0 ? found[next++].item : r.item));
  return [...sorted, ...deletes];
}

/**
 * The order of a merged list, as upstream's normalizeElementOrder gives it: the patch's
 * items in `patchOrder`, the server-only items in `serverOrder`, and the two interleaved
 * so that a server-only item goes before the first patch item it preceded on the server.
 * A patch item the server did not have goes before the server-only items still pending,
 * so an element added by a hand-written patch lands first unless `$setElementOrder` says
 * otherwise (exactly what Kubernetes does).
 */
export function normalizeElementOrder(
  patchItems: readonly unknown[],
  serverOnly: readonly unknown[],
  patchOrder: readonly unknown[],
  serverOrder: readonly unknown[],
  mergeKey: string,
): unknown[] {
  const right = sortByOrder(patchItems, patchOrder, mergeKey);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey);
  const serverRank = ranks(serverOrder, mergeKey);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = rankIn(serverRank, left[i], mergeKey);
      const ri = rankIn(serverRank, right[j], mergeKey);
      out.push(li >= 0 && ri >= 0 && li < ri ? left[i++] : right[j++]);
    }
  }
  return out;
}

/**
 * Checks that the patch list's items appear in `$setElementOrder` in the same relative
 * order (deletions and directive-only elements aside).
 */
export function validateSetElementOrder(patchList: readonly unknown[], order: readonly unknown[], mergeKey: string, path: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items = mergeKey ? patchList.filter((x) => !isDeleteDirective(x)) : patchList;
  let pi = 0;
  let oi = 0;
  while (pi < items.length && oi < order.length) {
    const item = items[pi];
    if (isObject(item) && hasKey(item, DIRECTIVE)) {
      pi++;
      continue;
    }
    const a = identity(item, mergeKey);
    const b = identity(order[oi], mergeKey);
    if (a === undefined) throw badPatch(path, `element ${show(item)} does not contain declared merge key "${mergeKey}"`);
    if (b === undefined) throw badPatch(path, `${SET_ELEMENT_ORDER} element ${show(order[oi])} does not contain declared merge key "${mergeKey}"`);
    if (a === b) pi++;
    oi++;
  }
  if (pi < items.length) {
    throw badPatch(path, `the order in the patch list ${show(patchList)} doesn't match the ${SET_ELEMENT_ORDER} list ${show(order)}`);
  }
}

/** `{ [mergeKey]: value, $patch: 'delete' }`: removes the element with that key. */
export function deleteDirective(mergeKey: string, item: JsonObject): JsonObject {
  return { [mergeKey]: item[mergeKey], [DIRECTIVE]: 'delete' };
}
