/**
 * How a quantity prints, remembered from the string it was parsed from (as Kubernetes'
 * `resource.Format`): `BinarySI` (`Ki`, `Mi`, … `Ei`), `DecimalSI` (`n`, `u`, `m`, ``,
 * `k`, `M`, … `E`) or `DecimalExponent` (`1e3`, `12e-3`).
 */
export type QuantityFormat = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

const NANO = 1_000_000_000n;
const MICRO_PER_NANO = 1_000_000n; // nano units in one milli unit
const ONE_KI = 1024n;
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;
const DECIMAL_SUFFIXES: Readonly<Record<number, string>> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };

const abs = (n: bigint): bigint => (n < 0n ? -n : n);

/** Divides, rounding the magnitude up (away from zero), as Kubernetes' ScaledValue does. */
function divAwayFromZero(n: bigint, d: bigint): bigint {
  const q = n / d;
  if (q * d === n) return q;
  return n < 0n ? q - 1n : q + 1n;
}

function toBigInt(n: number | bigint, what: string): bigint {
  if (typeof n === 'bigint') return n;
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} must be a safe integer, got ${n}`);
  return BigInt(n);
}

/**
 * An exact, immutable resource amount, modeled on Kubernetes' `resource.Quantity`.
 *
 * The value is held as a bigint count of nano-units, the precision Kubernetes keeps, so
 * sums never drift (`100m` + `200m` is exactly `300m`). Every operation returns a new
 * Quantity. Build one with {@link parseQuantity} or the static factories; the string
 * form ({@link Quantity.toString}) is Kubernetes' canonical form, and `JSON.stringify`
 * writes that same string.
 */
export class Quantity {
  /** Cached canonical string: quantities are compared and printed far more often than created. */
  #text: string | undefined;

  /**
   * @param nanos the value in nano-units (1 = 1n, 1_000_000_000n = 1).
   * @param format how the value prints; see {@link QuantityFormat}.
   */
  constructor(
    private readonly nanos: bigint,
    readonly format: QuantityFormat = 'DecimalSI',
  ) {}

  /** A quantity of `milli` thousandths (`fromMilli(1500)` is `1500m`), in DecimalSI. Throws a RangeError for a non-integer number. */
  static fromMilli(milli: number | bigint): Quantity {
    return new Quantity(toBigInt(milli, 'milli value') * MICRO_PER_NANO, 'DecimalSI');
  }

  /** A quantity of `value` whole units (`fromValue(2)` is `2`, `fromValue(1024, 'BinarySI')` is `1Ki`). Throws a RangeError for a non-integer number. */
  static fromValue(value: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(toBigInt(value, 'value') * NANO, format);
  }

  /** A quantity of `nanos` nano-units, the exact internal representation. */
  static fromNano(nanos: bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(nanos, format);
  }

  /** The exact value in nano-units. */
  nanoValue(): bigint {
    return this.nanos;
  }

  /** -1, 0 or 1 as this quantity is less than, equal to or greater than `other`; formats are ignored. */
  cmp(other: Quantity): -1 | 0 | 1 {
    return this.nanos < other.nanos ? -1 : this.nanos > other.nanos ? 1 : 0;
  }

  /** True when both quantities hold the same value, whatever their formats (`1Ki` equals `1024`). */
  equals(other: Quantity): boolean {
    return this.nanos === other.nanos;
  }

  /** The sum. Keeps this quantity's format, unless this one is zero: then `other`'s (as Kubernetes' Add). */
  add(other: Quantity): Quantity {
    return new Quantity(this.nanos + other.nanos, this.nanos === 0n ? other.format : this.format);
  }

  /** The difference. Keeps this quantity's format, unless this one is zero: then `other`'s (as Kubernetes' Sub). */
  sub(other: Quantity): Quantity {
    return new Quantity(this.nanos - other.nanos, this.nanos === 0n ? other.format : this.format);
  }

  /** The product with an integer factor, same format. Throws a RangeError for a non-integer number. */
  multiply(by: number | bigint): Quantity {
    return new Quantity(this.nanos * toBigInt(by, 'factor'), this.format);
  }

  /** The negated quantity, same format. */
  neg(): Quantity {
    return new Quantity(-this.nanos, this.format);
  }

  /** True for zero, whatever the format. */
  isZero(): boolean {
    return this.nanos === 0n;
  }

  /** -1, 0 or 1 by the sign of the value. */
  sign(): -1 | 0 | 1 {
    return this.nanos < 0n ? -1 : this.nanos > 0n ? 1 : 0;
  }

  /** The value in whole units, rounded away from zero (`100m` → 1n), as Kubernetes' `Value()`. */
  value(): bigint {
    return divAwayFromZero(this.nanos, NANO);
  }

  /** The value in thousandths, rounded away from zero (`1n` → 1n), as Kubernetes' `MilliValue()`. */
  milliValue(): bigint {
    return divAwayFromZero(this.nanos, MICRO_PER_NANO);
  }

  /**
   * The value as a JavaScript number, approximate beyond 2^53 nano-units: for scores
   * and ratios, never for arithmetic that must stay exact.
   */
  toNumber(): number {
    const whole = this.nanos / NANO;
    return Number(whole) + Number(this.nanos - whole * NANO) / 1e9;
  }

  /**
   * The canonical string, as Kubernetes prints a Quantity: zero is `0`; BinarySI prints
   * an integral multiple of a power of 1024 (`1536Mi`), and falls back to DecimalSI below
   * 1024 or when the value is not a whole number; decimal formats print an integer
   * mantissa and an exponent that is a multiple of 3 (`500m`, `1500`, `2k`, `12e-3`).
   * Unlike Kubernetes, DecimalSI values at or beyond 10^21 keep the `E` suffix
   * (`1000E`) instead of losing their exponent.
   */
  toString(): string {
    return (this.#text ??= this.canonicalize());
  }

  /** The canonical string, so that objects holding quantities serialize as Kubernetes does. */
  toJSON(): string {
    return this.toString();
  }

  private canonicalize(): string {
    const n = this.nanos;
    if (n === 0n) return '0';
    if (this.format === 'BinarySI' && abs(n) >= ONE_KI * NANO && n % NANO === 0n) {
      let units = n / NANO;
      let power = 0;
      while (power < BINARY_SUFFIXES.length - 1 && units % ONE_KI === 0n) {
        units /= ONE_KI;
        power++;
      }
      return `${units}${BINARY_SUFFIXES[power]}`;
    }
    let mantissa = n;
    let exponent = -9;
    while (mantissa % 10n === 0n) {
      mantissa /= 10n;
      exponent++;
    }
    while (exponent % 3 !== 0) {
      mantissa *= 10n;
      exponent--;
    }
    if (this.format === 'DecimalExponent') return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
    if (exponent > 18) {
      mantissa *= 10n ** BigInt(exponent - 18);
      exponent = 18;
    }
    return `${mantissa}${DECIMAL_SUFFIXES[exponent]}`;
  }
}
