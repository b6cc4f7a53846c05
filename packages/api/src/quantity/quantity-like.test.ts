import { describe, expect, it } from 'vitest';
import { Quantity } from './quantity';
import { compareQuantities, formatQuantity, sumQuantities, toQuantity } from './quantity-like';

describe('quantity helpers', () => {
  it.each([
    [[], '0'],
    [['100m', '200m'], '300m'],
    [['1Gi', 536870912], '1536Mi'],
    [[Quantity.fromMilli(250), '0.75', 1], '2'],
    [['0', '1Ki', '1Ki'], '2Ki'],
  ] as const)('sums %j into %s', (list, total) => {
    expect(sumQuantities(list).toString()).toBe(total);
  });

  it.each([
    ['1Gi', '1000Mi', 1],
    ['1', 1, 0],
    [Quantity.fromMilli(1), '2m', -1],
  ] as const)('compares %s with %s as %i', (a, b, expected) => {
    expect(compareQuantities(a, b)).toBe(expected);
  });

  it('sorts with compareQuantities as a comparator', () => {
    expect(['1Gi', '1', '500m', '1M'].sort(compareQuantities)).toEqual(['500m', '1', '1M', '1Gi']);
  });

  it.each([
    ['0.5', '500m'],
    ['1024Mi', '1Gi'],
    [0.25, '250m'],
    [Quantity.fromValue(3), '3'],
  ] as const)('formats %s as %s', (input, text) => {
    expect(formatQuantity(input)).toBe(text);
  });

  it('returns a Quantity unchanged', () => {
    const q = Quantity.fromValue(1);
    expect(toQuantity(q)).toBe(q);
  });

  it('throws an ApiError for an unparsable term', () => {
    expect(() => sumQuantities(['1', 'x'])).toThrow(/quantities must match/);
  });
});
