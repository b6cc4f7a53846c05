import { describe, expect, it } from 'vitest';
import { isApiError } from '../errors';
import { parseQuantity, QUANTITY_FORMAT_MESSAGE, tryParseQuantity } from './parse-quantity';

describe('parseQuantity', () => {
  it.each([
    ['100m', 100_000_000n, 'DecimalSI'],
    ['0.5', 500_000_000n, 'DecimalSI'],
    ['1Gi', 1_073_741_824_000_000_000n, 'BinarySI'],
    ['10Mi', 10_485_760_000_000_000n, 'BinarySI'],
    ['2085844', 2_085_844_000_000_000n, 'DecimalSI'],
    ['1e3', 1_000_000_000_000n, 'DecimalExponent'],
    ['1E3', 1_000_000_000_000n, 'DecimalExponent'],
    ['12e-3', 12_000_000n, 'DecimalExponent'],
    ['1e+3', 1_000_000_000_000n, 'DecimalExponent'],
    ['500M', 500_000_000_000_000_000n, 'DecimalSI'],
    ['1.5Gi', 1_610_612_736_000_000_000n, 'BinarySI'],
    ['0', 0n, 'DecimalSI'],
    ['-1', -1_000_000_000n, 'DecimalSI'],
    ['+1', 1_000_000_000n, 'DecimalSI'],
    ['1n', 1n, 'DecimalSI'],
    ['1u', 1000n, 'DecimalSI'],
    ['1k', 1_000_000_000_000n, 'DecimalSI'],
    ['1E', 10n ** 27n, 'DecimalSI'],
    ['1Ei', 2n ** 60n * 1_000_000_000n, 'BinarySI'],
    ['.5', 500_000_000n, 'DecimalSI'],
    ['1.', 1_000_000_000n, 'DecimalSI'],
    ['007', 7_000_000_000n, 'DecimalSI'],
    ['0.5Ki', 512_000_000_000n, 'BinarySI'],
  ] as const)('reads %s exactly', (text, nanos, format) => {
    const q = parseQuantity(text);
    expect(q.nanoValue()).toBe(nanos);
    expect(q.format).toBe(format);
  });

  it.each([
    ['0.1n', 1n],
    ['0.0000000001', 1n],
    ['1e-20', 1n],
    ['-0.1n', -1n],
    ['1.0000000001', 1_000_000_001n],
  ])('rounds %s up to the next nano-unit, away from zero', (text, nanos) => {
    expect(parseQuantity(text).nanoValue()).toBe(nanos);
  });

  it('turns a binary amount below one into DecimalSI, as Kubernetes does', () => {
    expect(parseQuantity('0.0001Ki').format).toBe('DecimalSI');
  });

  it.each([
    [0.5, '500m'],
    [2, '2'],
    [1e-7, '100e-9'],
    [1e21, '1e21'],
  ])('reads the number %s through its string form', (n, text) => {
    expect(parseQuantity(n).toString()).toBe(text);
  });

  it.each([[''], ['abc'], ['1.2.3'], ['1Qi'], ['--1'], ['1e'], ['1Ki5'], ['Ki'], ['.'], ['-'], [' 1'], ['1 '], ['1ki'], ['1e1000000'], ['1 Gi']])(
    'rejects %j with Kubernetes\' message',
    (text) => {
      expect(tryParseQuantity(text)).toBeUndefined();
      let error: unknown;
      try {
        parseQuantity(text);
      } catch (e) {
        error = e;
      }
      expect(isApiError(error)).toBe(true);
      expect(error).toMatchObject({ reason: 'BadRequest', code: 400, message: QUANTITY_FORMAT_MESSAGE });
    },
  );

  it.each([[NaN], [Infinity], [-Infinity]])('rejects the number %s', (n) => {
    expect(tryParseQuantity(n)).toBeUndefined();
  });
});
