import { describe, expect, it } from 'vitest';
import { isApiError } from '../errors';
import { createRequirement, parseInt64, type SelectorOperator } from './requirement';

const labels = { app: 'web', tier: 'fe', gen: '5', neg: '-3', text: 'abc' };

describe('Requirement.matches', () => {
  it.each<[string, SelectorOperator, string[], Record<string, string> | undefined, boolean]>([
    ['= with the value', '=', ['web'], labels, true],
    ['= with another value', '=', ['api'], labels, false],
    ['= without the key', '=', ['web'], {}, false],
    ['== with the value', '==', ['web'], labels, true],
    ['!= with another value', '!=', ['api'], labels, true],
    ['!= with the value', '!=', ['web'], labels, false],
    ['!= without the key', '!=', ['web'], {}, true],
    ['in with one of the values', 'in', ['api', 'web'], labels, true],
    ['in with none of the values', 'in', ['api', 'db'], labels, false],
    ['in without the key', 'in', ['web'], undefined, false],
    ['in with many values', 'in', 'abcdefghijklmnop'.split('').concat('web'), labels, true],
    ['in with many values, none matching', 'in', 'abcdefghijklmnop'.split(''), labels, false],
    ['notin with one of the values', 'notin', ['web'], labels, false],
    ['notin with none of the values', 'notin', ['api'], labels, true],
    ['notin without the key', 'notin', ['web'], {}, true],
    ['exists with the key', 'exists', [], labels, true],
    ['exists without the key', 'exists', [], {}, false],
    ['! with the key', '!', [], labels, false],
    ['! without the key', '!', [], undefined, true],
    ['gt below the value', 'gt', ['4'], labels, true],
    ['gt at the value', 'gt', ['5'], { gen: '5' }, false],
    ['lt with a negative label', 'lt', ['0'], { gen: '-3' }, true],
    ['gt with a signed label', 'gt', ['4'], { gen: '+5' }, true],
    ['gt with a non-integer label', 'gt', ['1'], { gen: 'abc' }, false],
    ['gt without the key', 'gt', ['1'], {}, false],
    ['lt above the value', 'lt', ['6'], labels, true],
    ['lt at the value', 'lt', ['5'], labels, false],
    ['lt with a label beyond int64', 'lt', ['6'], { gen: '99999999999999999999' }, false],
  ])('%s', (_name, op, values, ls, expected) => {
    const key = op === 'gt' || op === 'lt' ? 'gen' : 'app';
    expect(createRequirement(key, op, values).matches(ls)).toBe(expected);
  });

  it.each([['constructor'], ['toString'], ['hasOwnProperty']])('does not see the inherited member %s as a label', (key) => {
    expect(createRequirement(key, 'exists').matches({})).toBe(false);
    expect(createRequirement(key, '!').matches({})).toBe(true);
  });
});

describe('createRequirement', () => {
  it.each<[SelectorOperator, string[], string]>([
    ['=', ['b'], 'a=b'],
    ['==', ['b'], 'a==b'],
    ['!=', ['b'], 'a!=b'],
    ['in', ['z', 'x', 'x'], 'a in (x,z)'],
    ['notin', ['x'], 'a notin (x)'],
    ['exists', [], 'a'],
    ['!', [], '!a'],
    ['gt', ['3'], 'a>3'],
    ['lt', ['3'], 'a<3'],
    ['=', [''], 'a='],
  ])('prints %s %j as %s', (op, values, text) => {
    expect(createRequirement('a', op, values).toString()).toBe(text);
  });

  it.each<[string, string, string, string[], string]>([
    ['an invalid key', '-a', '=', ['x'], 'key: Invalid value: "-a": name part must consist of'],
    ['an invalid value', 'a', '=', ['-x'], 'values[0][a]: Invalid value: "-x": a valid label must be'],
    ['in without values', 'a', 'in', [], "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty"],
    ['= with two values', 'a', '=', ['x', 'y'], 'values: Invalid value: ["x","y"]: exact-match compatibility requires one single value'],
    ['gt with a word', 'a', 'gt', ['x'], "values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"],
    ['exists with values', 'a', 'exists', ['x'], 'values: Invalid value: ["x"]: values set must be empty for exists and does not exist'],
    ['an unknown operator', 'a', '~', [], 'operator: Unsupported value: "~": supported values: "in", "notin", "=", "==", "!=", "exists", "!", "gt", "lt"'],
  ])('refuses %s', (_name, key, op, values, message) => {
    let err: unknown;
    try {
      createRequirement(key, op as SelectorOperator, values);
    } catch (e) {
      err = e;
    }
    expect(isApiError(err) && err.reason).toBe('BadRequest');
    expect((err as Error).message).toContain(message);
  });

  it('lists every problem, bracketed, as a Kubernetes aggregate', () => {
    expect(() => createRequirement('-a', 'in', [])).toThrow(/^\[key: Invalid value: "-a": .*, values: Invalid value: \[\]: .*\]$/);
  });
});

describe('parseInt64', () => {
  it.each([
    ['0', 0n],
    ['+5', 5n],
    ['-5', -5n],
    ['9223372036854775807', 9223372036854775807n],
    ['9223372036854775808', undefined],
    ['-9223372036854775808', -9223372036854775808n],
    ['1.0', undefined],
    ['', undefined],
    [' 1', undefined],
    ['0x10', undefined],
  ])('reads %j as %s, as Go strconv.ParseInt', (s, n) => {
    expect(parseInt64(s)).toBe(n);
  });
});
