import type { core } from '@bosun/api';
import { describe, expect, it } from 'vitest';
import { node, pod } from '../../test/fixtures';
import { CycleState } from '../framework/cycle-state';
import { NodeInfo } from '../framework/node-info';
import { NodeUnschedulable } from './node-unschedulable';

describe('NodeUnschedulable', () => {
  const key = 'node.kubernetes.io/unschedulable';
  it.each<[string, boolean, core.Toleration[] | undefined, string]>([
    ['a schedulable node takes any pod', false, undefined, 'Success'],
    ['a cordoned node refuses a pod without tolerations', true, undefined, 'UnschedulableAndUnresolvable'],
    ['a cordoned node takes a pod tolerating the unschedulable taint', true, [{ key, operator: 'Exists', effect: 'NoSchedule' }], 'Success'],
    ['a cordoned node takes a pod tolerating everything', true, [{ operator: 'Exists' }], 'Success'],
    ['a NoExecute-only toleration does not help', true, [{ key, operator: 'Exists', effect: 'NoExecute' }], 'UnschedulableAndUnresolvable'],
  ])('%s', (_n, unschedulable, tolerations, code) => {
    const s = new NodeUnschedulable().filter(new CycleState(), pod('p', { tolerations }), new NodeInfo(node('n', { unschedulable })));
    expect(s.code).toBe(code);
    if (code !== 'Success') expect(s.reasons).toEqual(['node(s) were unschedulable']);
  });
});
