import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FieldPath } from '../field';
import { isDns1123Label, isDns1123Subdomain, isLabelKey, isLabelValue, validateDns1123Label, validateDns1123Subdomain, validateLabelValue, validateQualifiedName } from '../selectors/index';
import {
  isConfigMapKey,
  isDns1035Label,
  isDns1123LabelMemo,
  isDns1123SubdomainMemo,
  isEnvVarName,
  isLabelValueMemo,
  isPortName,
  isPortNum,
  isQualifiedNameMemo,
  labelsValid,
  utf8ByteLength,
  validateConfigMapKey,
  validateDns1035Label,
  validateEnvVarName,
  validateLabels,
  validatePortName,
  validatePortNum,
} from './util';

/** Strings over the characters these checks care about, so both outcomes are common. */
const nameLike = fc.string({ unit: fc.constantFrom('a', 'b', 'Z', '0', '9', '-', '_', '.', '/', '%', ' ', 'é'), maxLength: 70 });
/** Any UTF-16 code units, lone surrogates included. */
const anyUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }).map((units) => String.fromCharCode(...units));

describe('the allocation-free predicates agree with the checks that word the causes', () => {
  it.each<[string, (s: string) => boolean, (s: string) => readonly unknown[]]>([
    ['isPortName / validatePortName', isPortName, validatePortName],
    ['isEnvVarName / validateEnvVarName', isEnvVarName, validateEnvVarName],
    ['isConfigMapKey / validateConfigMapKey', isConfigMapKey, validateConfigMapKey],
    ['isDns1035Label / validateDns1035Label', isDns1035Label, validateDns1035Label],
    ['isLabelKey / validateQualifiedName', isLabelKey, validateQualifiedName],
    ['isLabelValue / validateLabelValue', isLabelValue, validateLabelValue],
    ['isDns1123Label / validateDns1123Label', isDns1123Label, validateDns1123Label],
    ['isDns1123Subdomain / validateDns1123Subdomain', isDns1123Subdomain, validateDns1123Subdomain],
    ['isQualifiedNameMemo / validateQualifiedName', isQualifiedNameMemo, validateQualifiedName],
    ['isLabelValueMemo / validateLabelValue', isLabelValueMemo, validateLabelValue],
    ['isDns1123LabelMemo / validateDns1123Label', isDns1123LabelMemo, validateDns1123Label],
    ['isDns1123SubdomainMemo / validateDns1123Subdomain', isDns1123SubdomainMemo, validateDns1123Subdomain],
  ])('%s', (_name, valid, check) => {
    fc.assert(
      fc.property(fc.oneof(nameLike, anyUnits), (s) => {
        // Twice: a memoized predicate must give the same answer from its cache.
        expect(valid(s)).toBe(check(s).length === 0);
        expect(valid(s)).toBe(check(s).length === 0);
      }),
      { numRuns: 2000 },
    );
  });

  it('isPortNum / validatePortNum', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -10, max: 70000 }), fc.double(), fc.constant('80'), fc.constant(null)), (n) => {
        expect(isPortNum(n)).toBe(validatePortNum(n).length === 0);
      }),
    );
  });

  it('labelsValid / validateLabels', () => {
    const labels = fc.oneof(fc.dictionary(nameLike, fc.oneof(nameLike, fc.integer())), fc.constant(null), fc.constant(undefined), fc.constant('x'), fc.constant([]));
    fc.assert(
      fc.property(labels, (l) => {
        expect(labelsValid(l)).toBe(validateLabels(l, FieldPath.root('metadata').child('labels')).length === 0);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('utf8ByteLength', () => {
  it('counts what TextEncoder encodes, lone surrogates (as U+FFFD) included', () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(fc.oneof(anyUnits, fc.string({ unit: 'binary' })), (s) => {
        expect(utf8ByteLength(s)).toBe(encoder.encode(s).length);
      }),
      { numRuns: 2000 },
    );
  });
});
