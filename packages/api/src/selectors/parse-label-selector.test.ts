import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isApiError } from '../errors';
import { labelSelectorFromObject, selectorFromRequirements } from './label-selector';
import { parseLabelSelector } from './parse-label-selector';
import { createRequirement, type SelectorOperator } from './requirement';

const web = { app: 'web', tier: 'frontend', env: 'prod' };
const api = { app: 'api', tier: 'backend' };
const bare = {};

describe('parseLabelSelector', () => {
  it.each([
    ['an equality', 'app=web', [true, false, false]],
    ['a double-equals equality', 'app==web', [true, false, false]],
    ['an inequality, true without the key', 'app!=web', [false, true, true]],
    ['a set inclusion', 'tier in (frontend, backend)', [true, true, false]],
    ['a set exclusion, true without the key', 'tier notin (frontend)', [false, true, true]],
    ['an existence test', 'env', [true, false, false]],
    ['an absence test', '!env', [false, true, true]],
    ['a conjunction', 'app=web,env=prod', [true, false, false]],
    ['a conjunction with whitespace', '  app = web ,  !missing  ', [true, false, false]],
    ['an empty selector, which matches everything', '', [true, true, true]],
    ['a blank selector', ' \t\n ', [true, true, true]],
    ['an empty exact value', 'env=', [false, false, false]],
    ['an empty value in a set', 'env in (,prod)', [true, false, false]],
    ['keywords used as key and value', 'in in (in)', [false, false, false]],
    ['a prefixed key', 'app.kubernetes.io/name=web', [false, false, false]],
  ])('reads %s: %j', (_name, text, [w, a, b]) => {
    const sel = parseLabelSelector(text);
    expect([sel.matches(web), sel.matches(api), sel.matches(bare)]).toEqual([w, a, b]);
  });

  it.each([
    ['gen>5', { gen: '6' }, true],
    ['gen>5', { gen: '5' }, false],
    ['gen<5', { gen: '4' }, true],
    ['gen<5', { gen: 'x' }, false],
    ['gen<5', {}, false],
  ])('compares integers in %s against %j', (text, labels, expected) => {
    expect(parseLabelSelector(text).matches(labels)).toBe(expected);
  });

  it.each([
    ['app=web', 'app=web'],
    ['app == web', 'app==web'],
    ['b=1,a=2', 'a=2,b=1'],
    ['tier in (z, a, m, a)', 'tier in (a,m,z)'],
    ['tier notin (b,a)', 'tier notin (a,b)'],
    ['!x,  y', '!x,y'],
    ['x>1,x<10', 'x<10,x>1'],
    ['a in ()', 'a in ()'],
    ['a in (,)', 'a in ()'],
    ['a in (x,,y)', 'a in (,x,y)'],
    ['a=', 'a='],
    ['', ''],
  ])('prints %j canonically as %j', (text, canonical) => {
    const s = parseLabelSelector(text).toString();
    expect(s).toBe(canonical);
    expect(parseLabelSelector(s).toString()).toBe(canonical);
  });

  it.each([
    ['(', "found '(', expected: !, identifier, or 'end of string'"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['a=b,', "found '', expected: identifier after ','"],
    ['a,,b', "found ',', expected: identifier after ','"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a in x', "unable to parse requirement: found 'x' expected: '('"],
    ['a in (x', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a in (x y)', "unable to parse requirement: found 'y', expected: ',' or ')'"],
    ['a in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ['a=(', "unable to parse requirement: found '(', expected: identifier"],
    ['!', "unable to parse requirement: found '', expected: identifier"],
    ['-a=b', 'unable to parse requirement: key: Invalid value: "-a": name part must consist of alphanumeric characters'],
    ['a=b_', 'unable to parse requirement: values[0][a]: Invalid value: "b_": a valid label must be an empty string'],
    ['a>b', "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' operators, the value must be an integer"],
    ['a/b/c', 'unable to parse requirement: key: Invalid value: "a/b/c": a qualified name must consist'],
  ])('refuses %j with a BadRequest: %s', (text, message) => {
    let err: unknown;
    try {
      parseLabelSelector(text);
    } catch (e) {
      err = e;
    }
    expect(isApiError(err)).toBe(true);
    expect(err).toMatchObject({ reason: 'BadRequest', code: 400 });
    expect((err as Error).message.startsWith(message)).toBe(true);
  });
});

describe('the string and object forms', () => {
  it.each([
    [{ matchLabels: { app: 'web' } }, 'app=web'],
    [{ matchLabels: { tier: 'fe', app: 'web' } }, 'app=web,tier=fe'],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe', 'be'] }] }, 'tier in (be,fe)'],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['fe'] }] }, 'tier notin (fe)'],
    [{ matchExpressions: [{ key: 'env', operator: 'Exists' }] }, 'env'],
    [{ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, '!env'],
    [{ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'Exists' }] }, 'app=web,env'],
    [{}, ''],
  ])('compiles %j like %j', (obj, text) => {
    const fromObject = labelSelectorFromObject(obj);
    const fromString = parseLabelSelector(text);
    expect(fromObject.toString()).toBe(text);
    for (const labels of [web, api, bare, { app: 'web', tier: 'fe' }, { env: '' }, { tier: 'be', app: 'web' }]) {
      expect(fromObject.matches(labels)).toBe(fromString.matches(labels));
    }
  });
});

// Property tests: whatever the input, only ApiErrors; canonical strings are fixed points.
const selectorChars = fc.constantFrom(...'ab/.-_=!(),<> \tin0123456789xyzAZ'.split(''));
const key = fc.constantFrom('a', 'app', 'x.y/z', 'example.com/Tier', 'in', 'notin', 'k8s.io/a_b', '9');
const value = fc.constantFrom('', 'v', 'web', 'in', 'A.b-c_d', '12');
const intValue = fc.integer({ min: 0, max: 1000 }).map(String);
const requirement = fc.oneof(
  fc.tuple(key, fc.constantFrom<SelectorOperator>('=', '==', '!='), value).map(([k, op, v]) => createRequirement(k, op, [v])),
  fc.tuple(key, fc.constantFrom<SelectorOperator>('in', 'notin'), fc.array(value, { minLength: 1, maxLength: 4 })).map(([k, op, vs]) => createRequirement(k, op, vs)),
  fc.tuple(key, fc.constantFrom<SelectorOperator>('exists', '!')).map(([k, op]) => createRequirement(k, op)),
  fc.tuple(key, fc.constantFrom<SelectorOperator>('gt', 'lt'), intValue).map(([k, op, v]) => createRequirement(k, op, [v])),
);
const labelSet = fc.dictionary(key, fc.oneof(value, intValue), { maxKeys: 4 });

describe('parseLabelSelector properties', () => {
  it('throws nothing but ApiErrors on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: selectorChars, maxLength: 40 })), (text) => {
        try {
          parseLabelSelector(text);
        } catch (e) {
          if (!isApiError(e) || e.reason !== 'BadRequest') throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('reads back any selector it parses from its canonical string', () => {
    fc.assert(
      fc.property(fc.string({ unit: selectorChars, maxLength: 40 }), (text) => {
        let canonical: string;
        try {
          canonical = parseLabelSelector(text).toString();
        } catch {
          return;
        }
        expect(parseLabelSelector(canonical).toString()).toBe(canonical);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips built selectors through their canonical string with the same matches', () => {
    fc.assert(
      fc.property(fc.array(requirement, { maxLength: 5 }), fc.array(labelSet, { minLength: 1, maxLength: 5 }), (reqs, sets) => {
        const built = selectorFromRequirements(reqs);
        const parsed = parseLabelSelector(built.toString());
        expect(parsed.toString()).toBe(built.toString());
        for (const labels of sets) expect(parsed.matches(labels)).toBe(built.matches(labels));
      }),
      { numRuns: 1000 },
    );
  });
});
