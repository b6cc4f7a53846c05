import type { KubeObject } from '@bosun/api';
import { describe, expect, it } from 'vitest';
import { and, annotationsChanged, evaluatePredicate, generationChanged, labelsChanged, not, or, predicate, resourceVersionChanged, type Predicate } from './predicates';

const obj = (m: { generation?: number; rv?: string; labels?: Record<string, string>; annotations?: Record<string, string> } = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Thing',
  metadata: { name: 't', namespace: 'default', generation: m.generation, resourceVersion: m.rv ?? '1', labels: m.labels, annotations: m.annotations },
});

const base = obj({ generation: 1, rv: '1', labels: { a: '1' }, annotations: { n: '1' } });
const changes = {
  'a spec change (generation 1 → 2)': obj({ generation: 2, rv: '2', labels: { a: '1' }, annotations: { n: '1' } }),
  'a label value change': obj({ generation: 1, rv: '2', labels: { a: '2' }, annotations: { n: '1' } }),
  'a label added': obj({ generation: 1, rv: '2', labels: { a: '1', b: '1' }, annotations: { n: '1' } }),
  'a label key renamed (same count)': obj({ generation: 1, rv: '2', labels: { z: '1' }, annotations: { n: '1' } }),
  'an annotation change': obj({ generation: 1, rv: '2', labels: { a: '1' }, annotations: { n: '2' } }),
  'a status-only write (new resourceVersion)': obj({ generation: 1, rv: '2', labels: { a: '1' }, annotations: { n: '1' } }),
  'a resync (the same object)': base,
} as const;
type ChangeName = keyof typeof changes;

describe('update predicates', () => {
  const table: [string, () => Predicate, ChangeName, boolean][] = [
    ['generationChanged', generationChanged, 'a spec change (generation 1 → 2)', true],
    ['generationChanged', generationChanged, 'a label value change', false],
    ['generationChanged', generationChanged, 'a status-only write (new resourceVersion)', false],
    ['generationChanged', generationChanged, 'a resync (the same object)', false],
    ['labelsChanged', labelsChanged, 'a label value change', true],
    ['labelsChanged', labelsChanged, 'a label added', true],
    ['labelsChanged', labelsChanged, 'a label key renamed (same count)', true],
    ['labelsChanged', labelsChanged, 'an annotation change', false],
    ['labelsChanged', labelsChanged, 'a spec change (generation 1 → 2)', false],
    ['annotationsChanged', annotationsChanged, 'an annotation change', true],
    ['annotationsChanged', annotationsChanged, 'a label value change', false],
    ['resourceVersionChanged', resourceVersionChanged, 'a status-only write (new resourceVersion)', true],
    ['resourceVersionChanged', resourceVersionChanged, 'a resync (the same object)', false],
  ];
  it.each(table)('%s lets through %s: %s', (_name, make, change, expected) => {
    expect(evaluatePredicate(make(), { type: 'update', oldObj: base, newObj: changes[change] })).toBe(expected);
  });

  it.each([
    ['generationChanged', generationChanged],
    ['labelsChanged', labelsChanged],
    ['annotationsChanged', annotationsChanged],
    ['resourceVersionChanged', resourceVersionChanged],
  ])('%s lets every create and delete through', (_name, make) => {
    expect([evaluatePredicate(make(), { type: 'create', obj: base }), evaluatePredicate(make(), { type: 'delete', obj: base })]).toEqual([true, true]);
  });

  it('treats a kind without generation as never changing generation (as controller-runtime does)', () => {
    expect(evaluatePredicate(generationChanged(), { type: 'update', oldObj: obj({ rv: '1' }), newObj: obj({ rv: '2', labels: { x: 'y' } }) })).toBe(false);
  });

  it('treats absent and empty labels alike', () => {
    expect(evaluatePredicate(labelsChanged(), { type: 'update', oldObj: obj({ labels: undefined }), newObj: obj({ labels: {} }) })).toBe(false);
  });
});

describe('combinators', () => {
  const yes = predicate({ create: () => true, update: () => true, delete: () => true });
  const no = predicate({ create: () => false, update: () => false, delete: () => false });
  const update = { type: 'update', oldObj: base, newObj: base } as const;
  it.each<[string, Predicate, boolean]>([
    ['and(yes, yes)', and(yes, yes), true],
    ['and(yes, no)', and(yes, no), false],
    ['and() of nothing', and(), true],
    ['or(no, yes)', or(no, yes), true],
    ['or(no, no)', or(no, no), false],
    ['or() of nothing', or(), false],
    ['not(yes)', not(yes), false],
    ['not(no)', not(no), true],
    ['a predicate without an update function', predicate({ create: () => false }), true],
  ])('%s on an update → %s', (_name, p, expected) => {
    expect(evaluatePredicate(p, update)).toBe(expected);
  });

  it('not() inverts creates and deletes too, as controller-runtime’s Not does', () => {
    const p = not(labelsChanged());
    expect([
      evaluatePredicate(p, { type: 'create', obj: base }),
      evaluatePredicate(p, { type: 'update', oldObj: base, newObj: changes['an annotation change'] }),
      evaluatePredicate(p, { type: 'delete', obj: base }),
    ]).toEqual([false, true, false]);
  });

  it('combines built-ins: a spec or label change, but not a resync', () => {
    const p = and(resourceVersionChanged(), or(generationChanged(), labelsChanged()));
    const verdicts = Object.fromEntries(Object.entries(changes).map(([name, o]) => [name, evaluatePredicate(p, { type: 'update', oldObj: base, newObj: o })]));
    expect(verdicts).toEqual({
      'a spec change (generation 1 → 2)': true,
      'a label value change': true,
      'a label added': true,
      'a label key renamed (same count)': true,
      'an annotation change': false,
      'a status-only write (new resourceVersion)': false,
      'a resync (the same object)': false,
    });
  });
});
