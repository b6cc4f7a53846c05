import { parseQuantity } from './parse-quantity';
import { Quantity } from './quantity';

/** Anything the quantity helpers accept: a Quantity, or a string or number to parse. */
export type QuantityLike = Quantity | string | number;

/**
 * The Quantity for `q`: returned as is when it already is one, parsed otherwise.
 * Throws the ApiError BadRequest of {@link parseQuantity} for an unparsable string.
 */
export function toQuantity(q: QuantityLike): Quantity {
  return q instanceof Quantity ? q : parseQuantity(q);
}

/**
 * Sums quantities exactly (ten thousand `1m` sum to `10`). The result takes the format of
 * the first non-zero term, as repeated Kubernetes `Add` calls do; an empty list sums to `0`.
 */
export function sumQuantities(list: Iterable<QuantityLike>): Quantity {
  let sum = Quantity.fromValue(0);
  for (const q of list) sum = sum.add(toQuantity(q));
  return sum;
}

/** -1, 0 or 1 as `a` is less than, equal to or greater than `b` (`compareQuantities('1Gi', '1000Mi')` is 1); usable as a sort comparator. */
export function compareQuantities(a: QuantityLike, b: QuantityLike): -1 | 0 | 1 {
  return toQuantity(a).cmp(toQuantity(b));
}

/** The canonical Kubernetes string of a quantity (`'0.5'` → `'500m'`, `'1024Mi'` → `'1Gi'`). */
export function formatQuantity(q: QuantityLike): string {
  return toQuantity(q).toString();
}
