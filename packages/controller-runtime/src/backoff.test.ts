import { describe, expect, it } from 'vitest';
import { createExponentialBackoff, informerBackoff, jitter, INFORMER_BACKOFF, type ExponentialBackoffOptions } from './backoff';
import { isControllerRuntimeError } from './errors';

const take = (n: number, next: () => number) => Array.from({ length: n }, next);

describe('createExponentialBackoff', () => {
  it.each<[string, ExponentialBackoffOptions, number[]]>([
    ['doubles from the first duration', { durationMs: 10 }, [10, 20, 40, 80, 160]],
    ['stops growing at the cap', { durationMs: 100, capMs: 300 }, [100, 200, 300, 300, 300]],
    ['stops growing after its steps run out', { durationMs: 5, factor: 3, steps: 2 }, [5, 15, 45, 45, 45]],
    ['stays constant with factor 1', { durationMs: 7, factor: 1 }, [7, 7, 7, 7, 7]],
    ['starts at the cap when the duration exceeds it', { durationMs: 50, capMs: 20 }, [20, 20, 20, 20, 20]],
  ])('%s', (_name, opts, expected) => {
    const b = createExponentialBackoff(opts);
    expect(take(expected.length, b.next)).toEqual(expected);
  });

  it('adds up to jitter × delay from the injected random source', () => {
    const randoms = [0, 0.5, 0.999];
    const b = createExponentialBackoff({ durationMs: 100, jitter: 1, random: () => randoms.shift()! });
    expect(take(3, b.next)).toEqual([100, 200 + 100, 400 + 399.6]);
  });

  it('starts over after reset', () => {
    const b = createExponentialBackoff({ durationMs: 1, capMs: 4 });
    expect(take(4, b.next)).toEqual([1, 2, 4, 4]);
    b.reset();
    expect(take(4, b.next)).toEqual([1, 2, 4, 4]);
  });

  it('refuses a negative duration with an InvalidArgument error', () => {
    expect(() => createExponentialBackoff({ durationMs: -1 })).toThrowError(expect.objectContaining({ code: 'InvalidArgument' }));
    try {
      createExponentialBackoff({ durationMs: Number.NaN });
    } catch (e) {
      expect(isControllerRuntimeError(e, 'InvalidArgument')).toBe(true);
    }
  });
});

describe('jitter', () => {
  it.each([
    ['returns the delay when the factor is 0', 100, 0, 0.7, 100],
    ['adds nothing when random is 0', 100, 1, 0, 100],
    ['adds factor × delay × random', 100, 0.5, 0.5, 125],
  ])('%s', (_name, ms, factor, r, expected) => {
    expect(jitter(ms, factor, () => r)).toBe(expected);
  });
});

describe('informerBackoff', () => {
  it('follows client-go reflector defaults: 800 ms doubling to 30 s', () => {
    const b = informerBackoff(() => 0);
    expect(take(8, b.next)).toEqual([800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
    expect(INFORMER_BACKOFF.jitter).toBe(1);
  });

  it('jitters up to double each delay', () => {
    const b = informerBackoff(() => 0.999999);
    for (const d of take(10, b.next)) expect(d).toBeLessThan(60_000);
  });
});
