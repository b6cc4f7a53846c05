import { FakeClock } from '@bosun/api';
import { describe, expect, it } from 'vitest';
import { pod } from '../../test/fixtures';
import { PrioritySort } from '../plugins/priority-sort';
import { SchedulingQueue } from './scheduling-queue';

function newQueue(clock = new FakeClock()) {
  const sort = new PrioritySort();
  const q = new SchedulingQueue({
    clock,
    less: (a, b) => sort.less(a, b),
    pluginEvents: new Map([
      ['NodeResourcesFit', [{ resource: 'Node', action: 'Add' }]],
      ['NodeAffinity', [{ resource: 'Node', action: 'Update' }]],
    ]),
  });
  return { q, clock };
}

describe('SchedulingQueue', () => {
  it('pops by priority, then by queue time', async () => {
    const { q, clock } = newQueue();
    q.add(pod('low', { priority: 1 }));
    await clock.advance(1);
    q.add(pod('high', { priority: 100 }));
    q.add(pod('low-later', { priority: 1 }));
    const names = [];
    for (let i = 0; i < 3; i++) names.push((await q.pop()).podInfo.pod.metadata!.name);
    expect(names).toEqual(['high', 'low', 'low-later']);
  });

  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 8000],
    [5, 10_000],
    [9, 10_000],
  ])('backs off %i attempt(s) for %i ms', (attempts, ms) => {
    expect(newQueue().q.backoffDuration(attempts)).toBe(ms);
  });

  it('parks an unschedulable pod until an event its rejecting plugin registered', async () => {
    const { q, clock } = newQueue();
    q.add(pod('p'));
    const info = await q.pop();
    info.unschedulablePlugins = new Set(['NodeResourcesFit']);
    q.addUnschedulableIfNotPresent(info, q.schedulingCycle());
    expect(q.counts()).toEqual({ active: 0, backoff: 0, unschedulable: 1 });
    q.moveAllToActiveOrBackoffQueue({ resource: 'Node', action: 'Update' });
    expect(q.counts().unschedulable).toBe(1);
    q.moveAllToActiveOrBackoffQueue({ resource: 'Node', action: 'Add' });
    expect(q.counts()).toEqual({ active: 0, backoff: 1, unschedulable: 0 });
    await clock.advance(1000);
    expect(q.counts()).toEqual({ active: 1, backoff: 0, unschedulable: 0 });
  });

  it('sends a pod that failed with an error to backoffQ', async () => {
    const { q, clock } = newQueue();
    q.add(pod('p'));
    const info = await q.pop();
    q.addUnschedulableIfNotPresent(info, q.schedulingCycle());
    expect(q.counts().backoff).toBe(1);
    await clock.advance(999);
    expect(q.counts().active).toBe(0);
    await clock.advance(1);
    expect(q.counts().active).toBe(1);
  });

  it('sends a pod to backoffQ when an event came during its cycle', async () => {
    const { q } = newQueue();
    q.add(pod('p'));
    const info = await q.pop();
    q.moveAllToActiveOrBackoffQueue({ resource: 'Node', action: 'Add' });
    info.unschedulablePlugins = new Set(['NodeAffinity']);
    q.addUnschedulableIfNotPresent(info, q.schedulingCycle());
    expect(q.counts().backoff).toBe(1);
  });

  it('flushes pods unschedulable for 5 minutes', async () => {
    const { q, clock } = newQueue();
    q.run();
    q.add(pod('p'));
    const info = await q.pop();
    info.unschedulablePlugins = new Set(['NodeAffinity']);
    q.addUnschedulableIfNotPresent(info, q.schedulingCycle());
    await clock.advance(4 * 60_000);
    expect(q.counts().unschedulable).toBe(1);
    await clock.advance(60_000 + 30_000);
    expect(q.counts()).toEqual({ active: 1, backoff: 0, unschedulable: 0 });
    q.close();
  });

  it('forgets deleted pods and rejects pop once closed', async () => {
    const { q } = newQueue();
    q.add(pod('p'));
    q.delete(pod('p'));
    expect(q.counts().active).toBe(0);
    const popping = q.pop();
    q.close();
    await expect(popping).rejects.toThrow(/closed/);
  });
});
