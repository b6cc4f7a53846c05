import { describe, expect, it } from 'vitest';
import { parseQuantity } from './parse-quantity';
import { Quantity } from './quantity';

const q = parseQuantity;

describe('Quantity.toString', () => {
  it.each([
    ['0.5', '500m'],
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['1000m', '1'],
    ['1e3', '1e3'],
    ['2085844', '2085844'],
    ['500M', '500M'],
    ['1.5Gi', '1536Mi'],
    ['100m', '100m'],
    ['0', '0'],
    ['0Gi', '0'],
    ['-1', '-1'],
    ['2000', '2k'],
    ['1500', '1500'],
    ['1.5k', '1500'],
    ['12e-3', '12e-3'],
    ['1e2', '100'],
    ['1.5e3', '1500'],
    ['1200e-6', '1200e-6'],
    ['512Ki', '512Ki'],
    ['1023', '1023'],
    ['0.5Ki', '512'],
    ['1.5Ki', '1536'],
    ['-1Gi', '-1Gi'],
    ['-0.5', '-500m'],
    ['0.1n', '1n'],
    ['1000n', '1u'],
    ['1000E', '1000E'],
    ['1024Ei', '1024Ei'],
    ['1.1Gi', '1181116006400m'],
    ['+1', '1'],
    ['007', '7'],
  ])('prints %s as %s', (input, canonical) => {
    expect(q(input).toString()).toBe(canonical);
    expect(String(q(input))).toBe(canonical);
  });

  it('prints the canonical string in JSON', () => {
    expect(JSON.stringify({ cpu: q('0.5') })).toBe('{"cpu":"500m"}');
  });

  it.each([
    ['100m', 10, '1'],
    ['1Gi', 2n, '2Gi'],
    ['1e3', 3, '3e3'],
    ['250m', -4, '-1'],
  ] as const)('multiplies %s by %s into %s, keeping the format', (input, by, expected) => {
    expect(q(input).multiply(by).toString()).toBe(expected);
  });
});

describe('Quantity arithmetic', () => {
  it.each([
    ['100m', '200m', '300m'],
    ['0.1', '0.2', '300m'],
    ['1Gi', '512Mi', '1536Mi'],
    ['1', '-1', '0'],
    ['0', '1Gi', '1Gi'],
    ['1', '1Gi', '1073741825'],
    ['1e3', '1', '1001'],
    ['500m', '500m', '1'],
  ])('adds %s and %s into %s', (a, b, sum) => {
    expect(q(a).add(q(b)).toString()).toBe(sum);
  });

  it.each([
    ['1', '300m', '700m'],
    ['1Gi', '1Gi', '0'],
    ['0', '1Gi', '-1Gi'],
    ['100m', '200m', '-100m'],
  ])('subtracts %s minus %s into %s', (a, b, diff) => {
    expect(q(a).sub(q(b)).toString()).toBe(diff);
  });

  it('adds ten thousand 1m into exactly 10, without float drift', () => {
    let sum = q('0');
    for (let i = 0; i < 10_000; i++) sum = sum.add(q('1m'));
    expect(sum.toString()).toBe('10');
    expect(sum.equals(Quantity.fromValue(10))).toBe(true);
  });

  it.each([
    ['1', '1000m', 0],
    ['1Gi', '1000Mi', 1],
    ['1G', '1Gi', -1],
    ['-1', '0', -1],
    ['1e3', '1k', 0],
    ['1Ki', '1024', 0],
  ] as const)('compares %s with %s as %i', (a, b, expected) => {
    expect(q(a).cmp(q(b))).toBe(expected);
  });

  it.each([
    ['100m', 100n, 1n],
    ['1', 1000n, 1n],
    ['1.5', 1500n, 2n],
    ['1n', 1n, 1n],
    ['-1n', -1n, -1n],
    ['-1.5', -1500n, -2n],
    ['1Gi', 1_073_741_824_000n, 1_073_741_824n],
    ['0', 0n, 0n],
  ])('gives %s a milli value of %s and a value of %s, rounding away from zero', (text, milli, value) => {
    expect(q(text).milliValue()).toBe(milli);
    expect(q(text).value()).toBe(value);
  });

  it.each([
    ['0', 0, true],
    ['1m', 1, false],
    ['-1m', -1, false],
  ] as const)('gives %s the sign %i', (text, sign, zero) => {
    expect(q(text).sign()).toBe(sign);
    expect(q(text).isZero()).toBe(zero);
    expect(q(text).neg().sign()).toBe(sign === 0 ? 0 : -sign);
  });

  it.each([
    ['1.5', 1.5],
    ['100m', 0.1],
    ['1Gi', 1073741824],
    ['-250m', -0.25],
  ])('approximates %s as the number %s', (text, n) => {
    expect(q(text).toNumber()).toBeCloseTo(n, 9);
  });
});

describe('Quantity factories', () => {
  it.each([
    [() => Quantity.fromMilli(1500), '1500m'],
    [() => Quantity.fromMilli(1000n), '1'],
    [() => Quantity.fromValue(2), '2'],
    [() => Quantity.fromValue(1024, 'BinarySI'), '1Ki'],
    [() => Quantity.fromValue(1000, 'DecimalExponent'), '1e3'],
    [() => Quantity.fromNano(5n), '5n'],
  ])('builds %s', (make, text) => {
    expect(make().toString()).toBe(text);
  });

  it.each([[() => Quantity.fromMilli(0.5)], [() => Quantity.fromValue(NaN)], [() => Quantity.fromValue(2 ** 60)], [() => q('1').multiply(1.5)]])(
    'refuses a non-integer number in %s',
    (make) => {
      expect(make).toThrow(RangeError);
    },
  );
});
