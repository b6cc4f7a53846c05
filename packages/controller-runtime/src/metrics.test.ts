import { FakeClock } from '@bosun/api';
import { describe, expect, it } from 'vitest';
import { createControllerMetrics } from './metrics';
import { createWorkQueue } from './work-queue';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('createControllerMetrics', () => {
  it('creates a controller’s series at zero before its first reconcile', async () => {
    const m = createControllerMetrics();
    m.registerController('sets', 4);
    const text = await m.text();
    expect(
      ['success', 'error', 'requeue', 'requeue_after'].map((r) => sample(text, `controller_runtime_reconcile_total{controller="sets",result="${r}"}`)),
    ).toEqual([0, 0, 0, 0]);
    expect([
      sample(text, 'controller_runtime_reconcile_errors_total{controller="sets"}'),
      sample(text, 'controller_runtime_max_concurrent_reconciles{controller="sets"}'),
      sample(text, 'workqueue_depth{name="sets"}'),
      sample(text, 'workqueue_adds_total{name="sets"}'),
    ]).toEqual([0, 4, 0, 0]);
  });

  it('counts results, errors and durations', async () => {
    const m = createControllerMetrics();
    m.observeReconcile('sets', 'success', 0.02);
    m.observeReconcile('sets', 'error', 0.5);
    m.reconcileError('sets', true);
    m.setLeader('kube-system/x', true);
    const text = await m.text();
    expect([
      sample(text, 'controller_runtime_reconcile_total{controller="sets",result="success"}'),
      sample(text, 'controller_runtime_reconcile_total{controller="sets",result="error"}'),
      sample(text, 'controller_runtime_reconcile_errors_total{controller="sets"}'),
      sample(text, 'controller_runtime_terminal_reconcile_errors_total{controller="sets"}'),
      sample(text, 'controller_runtime_reconcile_time_seconds_bucket{le="0.025",controller="sets"}'),
      sample(text, 'controller_runtime_reconcile_time_seconds_sum{controller="sets"}'),
      sample(text, 'leader_election_master_status{name="kube-system/x"}'),
    ]).toEqual([1, 1, 1, 1, 1, 0.52, 1]);
  });

  it('reads a tracked queue’s depth, adds, retries and latencies, and reports depth 0 once untracked', async () => {
    const clock = new FakeClock();
    const m = createControllerMetrics();
    const q = createWorkQueue<string>({ clock, name: 'sets', metrics: m.queueHooks() });
    const untrack = m.trackQueue(q as never);
    q.add('a');
    q.add('b');
    q.add('a'); // collapses: not an add
    await clock.advance(2_000);
    const { key } = await q.get();
    await clock.advance(500);
    q.done(key!);
    q.addRateLimited('c');
    let text = await m.text();
    expect([
      sample(text, 'workqueue_depth{name="sets"}'),
      sample(text, 'workqueue_adds_total{name="sets"}'),
      sample(text, 'workqueue_retries_total{name="sets"}'),
      sample(text, 'workqueue_queue_duration_seconds_sum{name="sets"}'),
      sample(text, 'workqueue_work_duration_seconds_sum{name="sets"}'),
    ]).toEqual([1, 2, 1, 2, 0.5]);
    untrack();
    text = await m.text();
    expect(sample(text, 'workqueue_depth{name="sets"}')).toBe(0);
  });

  it('keeps each instance’s series in its own registry', async () => {
    const a = createControllerMetrics();
    const b = createControllerMetrics();
    a.observeReconcile('only-in-a', 'success', 0);
    expect(await a.text()).toContain('only-in-a');
    expect(await b.text()).not.toContain('only-in-a');
    expect(a.contentType).toMatch(/^text\/plain/);
  });
});
