import { describe, expect, it } from 'vitest';
import { fitErrorMessage } from './fit-error';
import { Status } from './status';

const statuses = (...s: [string, Status][]) => new Map(s);

describe('fitErrorMessage', () => {
  it.each([
    [
      'counts reasons over nodes and sorts them as strings',
      5,
      {
        nodeToStatus: statuses(
          ['a', Status.unschedulable('Insufficient cpu')],
          ['b', Status.unschedulable('Insufficient cpu')],
          ['c', Status.unschedulableAndUnresolvable('node(s) had untolerated taint {dedicated: gpu}')],
          ['d', Status.unschedulableAndUnresolvable('node(s) had untolerated taint {dedicated: gpu}')],
          ['e', Status.unschedulableAndUnresolvable('node(s) had untolerated taint {dedicated: gpu}')],
        ),
        postFilterMsg: 'preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.',
      },
      '0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.',
    ],
    [
      'one node with two reasons counts both',
      1,
      { nodeToStatus: statuses(['a', Status.unschedulable('Insufficient cpu', 'Insufficient memory')]) },
      '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.',
    ],
    ['string sort puts 10 before 2, as upstream', 12, { nodeToStatus: statuses(...Array.from({ length: 10 }, (_, i) => [`a${i}`, Status.unschedulable('x')] as [string, Status]), ['b', Status.unschedulable('y')], ['c', Status.unschedulable('y')]) }, '0/12 nodes are available: 10 x, 2 y.'],
    ['a PreFilter rejection replaces the histogram', 3, { nodeToStatus: statuses(['a', Status.unschedulable('z')]), preFilterMsg: 'waiting for volumes' }, '0/3 nodes are available: waiting for volumes.'],
    ['no nodes', 0, { nodeToStatus: statuses() }, '0/0 nodes are available:'],
  ])('%s', (_n, num, d, want) => {
    expect(fitErrorMessage(num, d)).toBe(want);
  });
});
