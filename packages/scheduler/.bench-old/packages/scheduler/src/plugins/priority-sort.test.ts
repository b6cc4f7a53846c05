import { describe, expect, it } from 'vitest';
import { pod } from '../../test/fixtures';
import type { QueuedPodInfo } from '../framework/interface';
import { PodInfo } from '../framework/pod-info';
import { PrioritySort } from './priority-sort';

const q = (name: string, priority: number, timestamp: number, created = '2026-01-01T00:00:00Z'): QueuedPodInfo => {
  const base = pod(name);
  const p = { ...base, metadata: { ...base.metadata, creationTimestamp: created } };
  return { podInfo: new PodInfo(p), priority, timestamp, initialAttemptTimestamp: timestamp, attempts: 0, unschedulablePlugins: new Set() };
};

describe('PrioritySort', () => {
  it.each([
    ['higher priority goes first', q('a', 10, 5), q('b', 1, 1), true],
    ['lower priority goes last', q('a', 1, 1), q('b', 10, 5), false],
    ['at equal priority the earlier queued goes first', q('a', 5, 1), q('b', 5, 2), true],
    ['at equal priority and time the older pod goes first', q('a', 5, 1, '2026-01-01T00:00:02Z'), q('b', 5, 1, '2026-01-01T00:00:01Z'), false],
    ['everything equal: ordered by name', q('a', 5, 1), q('b', 5, 1), true],
  ])('%s', (_n, a, b, want) => {
    expect(new PrioritySort().less(a, b)).toBe(want);
  });
});
