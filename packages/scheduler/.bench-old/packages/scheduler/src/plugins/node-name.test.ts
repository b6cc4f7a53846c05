import { describe, expect, it } from 'vitest';
import { node, pod } from '../../test/fixtures';
import { CycleState } from '../framework/cycle-state';
import { NodeInfo } from '../framework/node-info';
import { NodeName } from './node-name';

describe('NodeName', () => {
  it.each([
    ['a pod naming no node fits any node', undefined, 'n1', 'Success', []],
    ['a pod naming this node fits', 'n1', 'n1', 'Success', []],
    ['a pod naming another node does not fit', 'n2', 'n1', 'UnschedulableAndUnresolvable', ["node(s) didn't match the requested node name"]],
  ])('%s', (_n, want, nodeName, code, reasons) => {
    const s = new NodeName().filter(new CycleState(), pod('p', { nodeName: want }), new NodeInfo(node(nodeName)));
    expect(s.code).toBe(code);
    expect(s.reasons).toEqual(reasons);
  });
});
