import { ApiError } from '../errors';
import { Quantity, type QuantityFormat } from './quantity';

/** Kubernetes' message for any string that is not a quantity (`resource.ErrFormatWrong`). */
export const QUANTITY_FORMAT_MESSAGE = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

// sign, integer digits, optional fraction, suffix; the suffix is checked against the table below.
const SHAPE = /^([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*(?:[-+]?[0-9]+)?)$/;
const EXPONENT = /^[eE]([-+]?[0-9]+)$/;

/** Exponents beyond this would build numbers of thousands of digits from a few bytes of input. */
const MAX_EXPONENT = 1000;

interface Suffix {
  base: 2 | 10;
  exponent: number;
  format: QuantityFormat;
}

const SUFFIXES: Readonly<Record<string, Suffix>> = {
  '': { base: 10, exponent: 0, format: 'DecimalSI' },
  n: { base: 10, exponent: -9, format: 'DecimalSI' },
  u: { base: 10, exponent: -6, format: 'DecimalSI' },
  m: { base: 10, exponent: -3, format: 'DecimalSI' },
  k: { base: 10, exponent: 3, format: 'DecimalSI' },
  M: { base: 10, exponent: 6, format: 'DecimalSI' },
  G: { base: 10, exponent: 9, format: 'DecimalSI' },
  T: { base: 10, exponent: 12, format: 'DecimalSI' },
  P: { base: 10, exponent: 15, format: 'DecimalSI' },
  E: { base: 10, exponent: 18, format: 'DecimalSI' },
  Ki: { base: 2, exponent: 10, format: 'BinarySI' },
  Mi: { base: 2, exponent: 20, format: 'BinarySI' },
  Gi: { base: 2, exponent: 30, format: 'BinarySI' },
  Ti: { base: 2, exponent: 40, format: 'BinarySI' },
  Pi: { base: 2, exponent: 50, format: 'BinarySI' },
  Ei: { base: 2, exponent: 60, format: 'BinarySI' },
};

function suffixOf(text: string): Suffix | undefined {
  if (Object.hasOwn(SUFFIXES, text)) return SUFFIXES[text];
  const m = EXPONENT.exec(text);
  if (!m) return undefined;
  const exponent = Number(m[1]);
  return Math.abs(exponent) > MAX_EXPONENT ? undefined : { base: 10, exponent, format: 'DecimalExponent' };
}

/** `digits × 10^pow10`, rounded up (toward +∞; `digits` is never negative). */
function scaleUp(digits: bigint, pow10: number): bigint {
  if (pow10 >= 0) return digits * 10n ** BigInt(pow10);
  const divisor = 10n ** BigInt(-pow10);
  return (digits + divisor - 1n) / divisor;
}

/**
 * Parses a quantity as Kubernetes' `resource.ParseQuantity` does, or returns undefined.
 * Accepts a sign, a decimal number (`1`, `0.5`, `.5`, `1.`), and one suffix: binary
 * `Ki Mi Gi Ti Pi Ei`, decimal `n u m k M G T P E`, or an exponent `e3`/`E-3`. Values
 * finer than a nano-unit are rounded up (away from zero), as Kubernetes does, so a
 * non-zero request never becomes zero. A number is read through its JavaScript string
 * form; NaN and infinities are not quantities.
 */
export function tryParseQuantity(input: string | number): Quantity | undefined {
  const text = typeof input === 'number' ? (Number.isFinite(input) ? String(input) : '') : input;
  const m = SHAPE.exec(text);
  if (!m) return undefined;
  const [, sign, whole = '', fraction = '', suffixText = ''] = m;
  if (whole === '' && fraction === '') return undefined;
  const suffix = suffixOf(suffixText);
  if (!suffix) return undefined;

  const digits = BigInt(whole + fraction || '0');
  let nanos: bigint;
  let format = suffix.format;
  if (suffix.base === 10) {
    nanos = scaleUp(digits, suffix.exponent + 9 - fraction.length);
  } else {
    nanos = scaleUp(digits << BigInt(suffix.exponent), 9 - fraction.length);
    // A binary amount below one prints in DecimalSI, as Kubernetes decides at parse time.
    if (nanos > 0n && nanos < 1_000_000_000n) format = 'DecimalSI';
  }
  return new Quantity(sign === '-' ? -nanos : nanos, format);
}

/**
 * Parses a quantity (`100m`, `0.5`, `1Gi`, `1.5Gi`, `500M`, `1e3`, `-1`); see
 * {@link tryParseQuantity} for the grammar and rounding. Throws an ApiError BadRequest
 * with Kubernetes' message ({@link QUANTITY_FORMAT_MESSAGE}) for anything else.
 */
export function parseQuantity(input: string | number): Quantity {
  const q = tryParseQuantity(input);
  if (!q) throw new ApiError('BadRequest', QUANTITY_FORMAT_MESSAGE);
  return q;
}
