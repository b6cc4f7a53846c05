import { Quantity } from './quantity';
import { toQuantity, type QuantityLike } from './quantity-like';

/** Resource name → quantity string, as in `resources.requests` or `status.allocatable` (`{ cpu: '500m', memory: '1Gi' }`). */
export type ResourceList = Record<string, string>;

/** A resource list whose values may also be parsed Quantities or numbers; absent lists count as empty. */
export type ResourceListLike = Readonly<Record<string, QuantityLike | undefined>> | null | undefined;

const ZERO = Quantity.fromValue(0);

/** The quantity of one resource in a list; zero when the list or the entry is absent. Throws an ApiError BadRequest for an unparsable entry. */
export function quantityOf(list: ResourceListLike, name: string): Quantity {
  const v = list && Object.hasOwn(list, name) ? list[name] : undefined;
  return v === undefined ? ZERO : toQuantity(v);
}

function combine(a: ResourceListLike, b: ResourceListLike, fn: (x: Quantity, y: Quantity) => Quantity): ResourceList {
  const out: ResourceList = {};
  for (const list of [a, b]) {
    if (!list) continue;
    for (const name of Object.keys(list)) {
      if (Object.hasOwn(out, name) || list[name] === undefined) continue;
      out[name] = fn(quantityOf(a, name), quantityOf(b, name)).toString();
    }
  }
  return out;
}

/**
 * The per-resource sum of two lists (a resource missing from one side counts as zero), in
 * canonical strings: how a pod's container requests add up and how a node's requested
 * total grows. Throws an ApiError BadRequest for an unparsable entry.
 */
export function addResourceLists(a: ResourceListLike, b: ResourceListLike): ResourceList {
  return combine(a, b, (x, y) => x.add(y));
}

/**
 * The per-resource difference `a - b` (a missing resource counts as zero; results may be
 * negative), in canonical strings: allocatable minus requested is what is still free.
 */
export function subtractResourceLists(a: ResourceListLike, b: ResourceListLike): ResourceList {
  return combine(a, b, (x, y) => x.sub(y));
}

/**
 * The per-resource maximum of two lists, in canonical strings: a pod's effective request
 * is the max of its containers' sum and each init container's request.
 */
export function maxResourceLists(a: ResourceListLike, b: ResourceListLike): ResourceList {
  return combine(a, b, (x, y) => (y.cmp(x) > 0 ? y : x));
}

/**
 * The names of the resources in `requested` that exceed what `available` holds, in the
 * order of `requested`; empty when everything fits. A resource missing from `available`
 * counts as zero, so any positive request for it does not fit (as the scheduler's
 * NodeResourcesFit treats extended resources a node does not offer); zero requests always fit.
 */
export function insufficientResources(requested: ResourceListLike, available: ResourceListLike): string[] {
  const short: string[] = [];
  if (!requested) return short;
  for (const name of Object.keys(requested)) {
    const want = quantityOf(requested, name);
    if (want.sign() > 0 && want.cmp(quantityOf(available, name)) > 0) short.push(name);
  }
  return short;
}
