import { FakeClock } from '@bosun/api';
import { describe, expect, it } from 'vitest';
import {
  createBucketRateLimiter,
  createItemExponentialFailureRateLimiter,
  createItemFastSlowRateLimiter,
  createMaxOfRateLimiter,
  defaultControllerRateLimiter,
} from './rate-limiter';

const times = <T>(n: number, fn: () => T) => Array.from({ length: n }, fn);

describe('createItemExponentialFailureRateLimiter', () => {
  it('doubles each item delay from 5 ms by default', () => {
    const l = createItemExponentialFailureRateLimiter();
    expect(times(6, () => l.when('a'))).toEqual([5, 10, 20, 40, 80, 160]);
    expect(l.numRequeues('a')).toBe(6);
  });

  it('caps the delay at 1000 s by default and never overflows', () => {
    const l = createItemExponentialFailureRateLimiter();
    const delays = times(2000, () => l.when('a'));
    expect(delays[17]).toBe(5 * 2 ** 17);
    expect(delays[18]).toBe(1_000_000);
    expect(delays.at(-1)).toBe(1_000_000);
  });

  it('counts each item separately', () => {
    const l = createItemExponentialFailureRateLimiter({ baseDelayMs: 1, maxDelayMs: 100 });
    l.when('a');
    l.when('a');
    expect([l.when('a'), l.when('b'), l.numRequeues('a'), l.numRequeues('b')]).toEqual([4, 1, 3, 1]);
  });

  it('starts over for an item after forget', () => {
    const l = createItemExponentialFailureRateLimiter();
    l.when('a');
    l.when('a');
    l.forget('a');
    expect([l.numRequeues('a'), l.when('a')]).toEqual([0, 5]);
  });
});

describe('createItemFastSlowRateLimiter', () => {
  it('gives the fast delay for the first attempts, then the slow one', () => {
    const l = createItemFastSlowRateLimiter({ fastDelayMs: 1, slowDelayMs: 50, maxFastAttempts: 2 });
    expect(times(4, () => l.when('a'))).toEqual([1, 1, 50, 50]);
    l.forget('a');
    expect(l.when('a')).toBe(1);
  });
});

describe('createBucketRateLimiter', () => {
  it('lets the burst through, then spaces calls 1/qps apart', () => {
    const clock = new FakeClock();
    const l = createBucketRateLimiter({ clock, qps: 10, burst: 3 });
    expect(times(6, () => l.when('x'))).toEqual([0, 0, 0, 100, 200, 300]);
  });

  it('refills with time, up to the burst', async () => {
    const clock = new FakeClock();
    const l = createBucketRateLimiter({ clock, qps: 10, burst: 2 });
    times(2, () => l.when('x'));
    await clock.advance(100);
    expect(l.when('x')).toBe(0);
    expect(l.when('x')).toBe(100);
    await clock.advance(60_000);
    expect(times(3, () => l.when('x'))).toEqual([0, 0, 100]);
  });

  it('defaults to 10 qps with a burst of 100 and tracks no requeues', () => {
    const l = createBucketRateLimiter({ clock: new FakeClock() });
    const delays = times(101, () => l.when('x'));
    expect(delays.filter((d) => d === 0)).toHaveLength(100);
    expect(delays[100]).toBe(100);
    expect(l.numRequeues('x')).toBe(0);
  });
});

describe('createMaxOfRateLimiter and defaultControllerRateLimiter', () => {
  it('takes the largest delay of its limiters', () => {
    const clock = new FakeClock();
    const l = createMaxOfRateLimiter(createItemExponentialFailureRateLimiter({ baseDelayMs: 1 }), createBucketRateLimiter({ clock, qps: 1, burst: 2 }));
    expect(times(4, () => l.when('a'))).toEqual([1, 2, 1000, 2000]);
  });

  it('is per-item exponential while under the bucket, then bucket-bound', () => {
    const l = defaultControllerRateLimiter({ clock: new FakeClock() });
    expect(times(5, () => l.when('a'))).toEqual([5, 10, 20, 40, 80]);
    for (let i = 0; i < 95; i++) l.when(`other-${i}`);
    expect(l.when('fresh')).toBe(100);
    expect(l.numRequeues('a')).toBe(5);
    l.forget('a');
    expect(l.numRequeues('a')).toBe(0);
  });
});
