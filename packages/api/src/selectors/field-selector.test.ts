import { describe, expect, it } from 'vitest';
import { isApiError } from '../errors';
import { escapeFieldSelectorValue, everythingFieldSelector, fieldSelectorFromSet, parseFieldSelector } from './field-selector';

const scheduled = { kind: 'Pod', metadata: { name: 'web-1', namespace: 'default' }, spec: { nodeName: 'node-1', restartPolicy: 'Always' }, status: { phase: 'Running' } };
const pending = { kind: 'Pod', metadata: { name: 'web-2', namespace: 'prod' }, spec: {}, status: { phase: 'Pending' } };

describe('parseFieldSelector', () => {
  it.each([
    ['an equality', 'metadata.name=web-1', [true, false]],
    ['a double-equals equality', 'metadata.name==web-1', [true, false]],
    ['an inequality', 'metadata.name!=web-1', [false, true]],
    ['a missing field as the empty string', 'spec.nodeName=', [false, true]],
    ['a missing field unequal to a value', 'spec.nodeName!=node-1', [false, true]],
    ['a conjunction', 'metadata.namespace=default,status.phase=Running', [true, false]],
    ['a conjunction, one false', 'metadata.namespace=default,status.phase=Pending', [false, false]],
    ['any dotted path', 'spec.restartPolicy=Always', [true, false]],
    ['a path through a missing object', 'status.deep.missing=', [true, true]],
    ['empty terms, skipped', ',metadata.name=web-1,,', [true, false]],
    ['the empty selector', '', [true, true]],
  ])('reads %s: %j', (_name, text, expected) => {
    const sel = parseFieldSelector(text);
    expect([sel.matches(scheduled), sel.matches(pending)]).toEqual(expected);
  });

  it.each([
    ['b=2,a=1', 'a=1,b=2'],
    ['a==1', 'a=1'],
    ['a!=1', 'a!=1'],
    ['a=x\\,y', 'a=x\\,y'],
    ['a=x\\=y\\\\', 'a=x\\=y\\\\'],
    ['a=', 'a='],
    ['', ''],
  ])('prints %j canonically as %j', (text, canonical) => {
    expect(parseFieldSelector(text).toString()).toBe(canonical);
    expect(parseFieldSelector(canonical).toString()).toBe(canonical);
  });

  it.each([
    ['a=x\\,y', 'x,y'],
    ['a=x\\=y', 'x=y'],
    ['a=x\\\\y', 'x\\y'],
    ['a= x ', ' x '],
  ])('unescapes %j into the value %j', (text, value) => {
    expect(parseFieldSelector(text).requirements[0].value).toBe(value);
  });

  it('keeps whitespace as part of the field, as Kubernetes does', () => {
    expect(parseFieldSelector('metadata.name = web-1').requirements[0]).toEqual({ field: 'metadata.name ', operator: '=', value: ' web-1' });
  });

  it.each([
    ['metadata.name', "invalid selector: 'metadata.name'; can't understand 'metadata.name'"],
    ['a=1,b', "invalid selector: 'a=1,b'; can't understand 'b'"],
    ['a=b=c', "invalid field selector: unescaped character in value: '='"],
    ['a=b\\x', 'invalid field selector: invalid escape sequence: \\x'],
    ['a=b\\', 'invalid field selector: invalid escape sequence: \\'],
  ])('refuses %j with a BadRequest: %s', (text, message) => {
    let err: unknown;
    try {
      parseFieldSelector(text);
    } catch (e) {
      err = e;
    }
    expect(isApiError(err) && err.reason).toBe('BadRequest');
    expect((err as Error).message).toBe(message);
  });

  it.each([
    ['spec.nodeName=node-1,status.phase!=Failed', 'spec.nodeName', 'node-1'],
    ['spec.nodeName!=node-1', 'spec.nodeName', undefined],
    ['metadata.name=a', 'spec.nodeName', undefined],
  ])('in %j requires %s to be exactly %s', (text, field, value) => {
    expect(parseFieldSelector(text).requiresExactMatch(field)).toBe(value);
  });
});

describe('fieldSelectorFromSet', () => {
  it.each([
    [{ 'spec.nodeName': 'node-1' }, 'spec.nodeName=node-1'],
    [{ 'metadata.name': 'a,b' }, 'metadata.name=a\\,b'],
    [{}, ''],
    [undefined, ''],
  ])('turns %j into %j', (set, text) => {
    expect(fieldSelectorFromSet(set).toString()).toBe(text);
  });

  it('matches values that need escaping without escaping them', () => {
    expect(fieldSelectorFromSet({ 'metadata.name': 'a=b' }).matches({ metadata: { name: 'a=b' } })).toBe(true);
  });

  it('gives the shared everything selector for an empty set', () => {
    expect(fieldSelectorFromSet({})).toBe(everythingFieldSelector);
    expect(everythingFieldSelector.isEmpty()).toBe(true);
  });
});

describe('escapeFieldSelectorValue', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', 'a\\,b'],
    ['a=b', 'a\\=b'],
    ['a\\b', 'a\\\\b'],
  ])('escapes %j as %j', (value, escaped) => {
    expect(escapeFieldSelectorValue(value)).toBe(escaped);
  });
});
