import { StoreError } from './errors';

const DIGITS = /^(?:0|[1-9][0-9]{0,15})$/;

/**
 * Parses a resourceVersion (a decimal revision). Throws `BadRequest` for anything
 * else: Bosun's revisions are plain integers, never opaque strings.
 */
export function parseResourceVersion(rv: string, what = 'resourceVersion'): number {
  if (typeof rv !== 'string' || !DIGITS.test(rv)) throw new StoreError('BadRequest', `invalid ${what}: ${JSON.stringify(rv)}: must be a decimal revision`);
  const n = Number(rv);
  if (!Number.isSafeInteger(n)) throw new StoreError('BadRequest', `invalid ${what}: ${JSON.stringify(rv)}: out of range`);
  return n;
}

/**
 * The revision a read or watch option names: undefined for "the latest" (`undefined`,
 * `''` and `'0'`, which Kubernetes reads as "any"), else the parsed revision.
 */
export function requestedRevision(rv: string | undefined): number | undefined {
  if (rv === undefined || rv === '' || rv === '0') return undefined;
  return parseResourceVersion(rv);
}
