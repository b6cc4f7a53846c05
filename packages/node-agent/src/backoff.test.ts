import { describe, expect, it } from 'vitest';
import { FakeClock } from '@bosun/api';
import { createRestartBackoff } from './backoff';

describe('restart back-off', () => {
  it('doubles from 10 s to the 5 min cap', () => {
    const clock = new FakeClock();
    const b = createRestartBackoff({ clock });
    const delays = Array.from({ length: 7 }, () => b.next('k', clock.now()));
    expect(delays).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });

  it('starts over once the key was left alone for twice the cap', async () => {
    const clock = new FakeClock();
    const b = createRestartBackoff({ clock });
    b.next('k', clock.now());
    b.next('k', clock.now());
    await clock.advance(600_001);
    expect(b.isInBackoffSince('k', clock.now())).toBe(false);
    expect(b.next('k', clock.now())).toBe(10_000);
  });

  it('reports back-off relative to the event time', async () => {
    const clock = new FakeClock();
    const b = createRestartBackoff({ clock });
    const t = clock.now();
    b.next('k', t);
    expect(b.isInBackoffSince('k', t)).toBe(true);
    await clock.advance(10_000);
    expect(b.isInBackoffSince('k', t)).toBe(false);
  });
});
