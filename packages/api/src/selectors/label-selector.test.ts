import { describe, expect, it } from 'vitest';
import { isApiError } from '../errors';
import { everythingSelector, labelSelectorFromObject, nothingSelector, selectorFromRequirements, selectorFromSet } from './label-selector';
import { parseLabelSelector } from './parse-label-selector';
import { createRequirement } from './requirement';

describe('labelSelectorFromObject', () => {
  it.each([
    ['null, which matches nothing', null, false, false],
    ['undefined, which matches nothing', undefined, false, false],
    ['{}, which matches everything', {}, true, true],
    ['empty lists, which match everything', { matchLabels: {}, matchExpressions: [] }, true, true],
  ])('compiles %s', (_name, sel, matches, empty) => {
    const s = labelSelectorFromObject(sel);
    expect(s.matches({ app: 'web' })).toBe(matches);
    expect(s.matches(undefined)).toBe(matches);
    expect(s.isEmpty()).toBe(empty);
    expect(s.toString()).toBe('');
  });

  it.each([
    ['an unknown operator', { matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }, '"Gt" is not a valid label selector operator'],
    ['In without values', { matchExpressions: [{ key: 'a', operator: 'In' }] }, "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty"],
    ['Exists with values', { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, 'values: Invalid value: ["x"]: values set must be empty for exists and does not exist'],
    ['an invalid matchLabels key', { matchLabels: { 'a b': 'x' } }, 'key: Invalid value: "a b": name part must consist'],
    ['an invalid matchLabels value', { matchLabels: { a: 'x y' } }, 'values[0][a]: Invalid value: "x y": a valid label must be'],
  ])('refuses %s with a BadRequest', (_name, sel, message) => {
    let err: unknown;
    try {
      labelSelectorFromObject(sel);
    } catch (e) {
      err = e;
    }
    expect(isApiError(err) && err.reason).toBe('BadRequest');
    expect((err as Error).message.startsWith(message)).toBe(true);
  });
});

describe('selectorFromSet', () => {
  it.each([
    [{ app: 'web', tier: 'fe' }, 'app=web,tier=fe', { app: 'web', tier: 'fe', x: 'y' }, true],
    [{ app: 'web', tier: 'fe' }, 'app=web,tier=fe', { app: 'web' }, false],
    [{}, '', {}, true],
    [undefined, '', { a: 'b' }, true],
  ])('turns %j into %j', (set, text, labels, matches) => {
    const s = selectorFromSet(set);
    expect(s.toString()).toBe(text);
    expect(s.matches(labels)).toBe(matches);
  });
});

describe('Selector', () => {
  it('adds requirements without changing the original', () => {
    const base = parseLabelSelector('b=1');
    const more = base.add(createRequirement('a', 'exists'));
    expect(base.toString()).toBe('b=1');
    expect(more.toString()).toBe('a,b=1');
    expect(more.requirements.map((r) => r.key)).toEqual(['a', 'b']);
  });

  it('keeps nothing matching nothing when requirements are added', () => {
    expect(nothingSelector.add(createRequirement('a', 'exists')).matches({ a: 'x' })).toBe(false);
  });

  it.each([
    ['app=web,tier in (fe)', 'app', 'web'],
    ['app==web', 'app', 'web'],
    ['tier in (fe)', 'tier', 'fe'],
    ['tier in (be,fe)', 'tier', undefined],
    ['app!=web', 'app', undefined],
    ['app=web', 'tier', undefined],
  ])('in %j requires %s to be exactly %s', (text, key, value) => {
    expect(parseLabelSelector(text).requiresExactMatch(key)).toBe(value);
  });

  it('matches everything with the everything selector', () => {
    expect(everythingSelector.matches(undefined)).toBe(true);
    expect(everythingSelector.isEmpty()).toBe(true);
    expect(selectorFromRequirements([])).toBe(everythingSelector);
  });

  it('exposes frozen requirements', () => {
    const s = parseLabelSelector('a in (x,y)');
    expect(Object.isFrozen(s.requirements)).toBe(true);
    expect(s.requirements[0]).toMatchObject({ key: 'a', operator: 'in', values: ['x', 'y'] });
  });

  it('selects the right pods among 10,000', () => {
    const pods = Array.from({ length: 10_000 }, (_, i) => ({ app: i % 2 ? 'web' : 'api', tier: `t${i % 7}`, 'pod-template-hash': `h${i % 13}` }));
    const sel = parseLabelSelector('app=web,tier notin (t1,t2),pod-template-hash');
    let n = 0;
    for (const p of pods) if (sel.matches(p)) n++;
    expect(n).toBe(pods.filter((p) => p.app === 'web' && p.tier !== 't1' && p.tier !== 't2').length);
  });
});
