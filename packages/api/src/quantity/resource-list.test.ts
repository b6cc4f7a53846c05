import { describe, expect, it } from 'vitest';
import { Quantity } from './quantity';
import { addResourceLists, insufficientResources, maxResourceLists, quantityOf, subtractResourceLists } from './resource-list';

describe('resource lists', () => {
  it.each([
    [{ cpu: '100m', memory: '64Mi' }, { cpu: '200m', memory: '64Mi' }, { cpu: '300m', memory: '128Mi' }],
    [{ cpu: '1' }, { memory: '1Gi' }, { cpu: '1', memory: '1Gi' }],
    [undefined, { cpu: '1' }, { cpu: '1' }],
    [null, undefined, {}],
    [{ cpu: Quantity.fromMilli(500), pods: 1 }, { cpu: '0.5', pods: '1' }, { cpu: '1', pods: '2' }],
  ])('adds %j and %j into %j', (a, b, sum) => {
    expect(addResourceLists(a, b)).toEqual(sum);
  });

  it.each([
    [{ cpu: '4', memory: '8Gi' }, { cpu: '1500m', memory: '512Mi' }, { cpu: '2500m', memory: '7680Mi' }],
    [{ cpu: '1' }, { cpu: '2', memory: '1Gi' }, { cpu: '-1', memory: '-1Gi' }],
  ])('subtracts %j minus %j into %j', (a, b, diff) => {
    expect(subtractResourceLists(a, b)).toEqual(diff);
  });

  it.each([
    [{ cpu: '1', memory: '1Gi' }, { cpu: '2', memory: '512Mi' }, { cpu: '2', memory: '1Gi' }],
    [{}, { cpu: '1' }, { cpu: '1' }],
  ])('takes the per-resource maximum of %j and %j', (a, b, max) => {
    expect(maxResourceLists(a, b)).toEqual(max);
  });

  it.each([
    [{ cpu: '500m', memory: '1Gi' }, { cpu: '1', memory: '2Gi' }, []],
    [{ cpu: '1', memory: '1Gi' }, { cpu: '1000m', memory: '1024Mi' }, []],
    [{ cpu: '1001m', memory: '1Gi' }, { cpu: '1', memory: '1Gi' }, ['cpu']],
    [{ cpu: '2', memory: '4Gi' }, { cpu: '1', memory: '1Gi' }, ['cpu', 'memory']],
    [{ 'nvidia.com/gpu': '1' }, { cpu: '1' }, ['nvidia.com/gpu']],
    [{ 'nvidia.com/gpu': '0' }, {}, []],
    [undefined, { cpu: '1' }, []],
    [{ cpu: '1' }, undefined, ['cpu']],
  ])('finds what of %j does not fit in %j: %j', (requested, available, short) => {
    expect(insufficientResources(requested, available)).toEqual(short);
  });

  it.each([
    [{ cpu: '250m' }, 'cpu', '250m'],
    [{ cpu: '250m' }, 'memory', '0'],
    [undefined, 'cpu', '0'],
    [{}, 'toString', '0'],
  ])('reads %j[%s] as %s', (list, name, text) => {
    expect(quantityOf(list, name).toString()).toBe(text);
  });
});
