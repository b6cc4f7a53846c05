import { describe, expect, it } from 'vitest';
import { FakeClock, RealClock, rfc3339, rfc3339Micro } from './clock';

describe('FakeClock', () => {
  it('starts at the given instant and moves only when advanced', async () => {
    const clock = new FakeClock('2026-01-01T00:00:00Z');
    expect(clock.now()).toBe(Date.parse('2026-01-01T00:00:00Z'));
    await clock.advance(1500);
    expect(rfc3339(clock.now())).toBe('2026-01-01T00:00:01Z');
  });

  it('fires timers in time order, ties in the order they were set', async () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b@20'), 20);
    clock.setTimeout(() => fired.push('a@10'), 10);
    clock.setTimeout(() => fired.push('c@20'), 20);
    clock.setTimeout(() => fired.push('d@31'), 31);
    await clock.advance(30);
    expect(fired).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.now()).toBe(30);
    expect(clock.pendingTimers).toBe(1);
  });

  it('fires timers set by callbacks when they fall inside the span', async () => {
    const clock = new FakeClock(0);
    const at: number[] = [];
    const loop = async () => {
      for (let i = 0; i < 5; i++) {
        await clock.sleep(100);
        at.push(clock.now());
      }
    };
    const done = loop();
    await clock.advance(350);
    expect(at).toEqual([100, 200, 300]);
    await clock.advance(1000);
    await done;
    expect(at).toEqual([100, 200, 300, 400, 500]);
  });

  it('cancels cleared timers and aborted sleeps', async () => {
    const clock = new FakeClock(0);
    let fired = false;
    const h = clock.setTimeout(() => (fired = true), 10);
    clock.clearTimeout(h);
    const ac = new AbortController();
    const sleeping = clock.sleep(50, ac.signal);
    ac.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    await clock.advance(100);
    expect(fired).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('never moves backwards with setTime', async () => {
    const clock = new FakeClock('2026-01-01T00:00:10Z');
    await clock.setTime('2026-01-01T00:00:00Z');
    expect(rfc3339(clock.now())).toBe('2026-01-01T00:00:10Z');
    await clock.setTime('2026-01-01T00:01:00Z');
    expect(rfc3339(clock.now())).toBe('2026-01-01T00:01:00Z');
  });

  it('refuses an unparseable start time', () => {
    expect(() => new FakeClock('not a time')).toThrow(TypeError);
  });
});

describe('RealClock', () => {
  it('sleeps on real time', async () => {
    const clock = new RealClock();
    const t0 = clock.now();
    await clock.sleep(5);
    expect(clock.now()).toBeGreaterThanOrEqual(t0 + 4);
  });
});

describe('timestamps', () => {
  it.each([
    ['second precision drops milliseconds', rfc3339(Date.parse('2026-03-04T05:06:07.891Z')), '2026-03-04T05:06:07Z'],
    ['micro precision keeps milliseconds', rfc3339Micro(Date.parse('2026-03-04T05:06:07.891Z')), '2026-03-04T05:06:07.891000Z'],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toBe(expected);
  });
});
