import { FakeClock } from '@bosun/api';
import { isCriError } from '@bosun/cri';
import { describe, expect, it } from 'vitest';
import { parseDuration } from './annotations';
import { normalizeImageRef } from './image-store';
import { IpPool } from './ip-pool';
import { EventScheduler } from './scheduler';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['2', 2_000],
  ])('reads %s as %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'soon', '5 s', '5d', 's5'])('refuses %j with InvalidArgument', (text) => {
    expect(() => parseDuration(text)).toThrow(expect.objectContaining({ name: 'CriError', code: 'InvalidArgument' }));
  });
});

describe('normalizeImageRef', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['nginx:1.25', 'docker.io/library/nginx:1.25'],
    ['acme/app', 'docker.io/acme/app:latest'],
    ['registry.k8s.io/pause:3.9', 'registry.k8s.io/pause:3.9'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    [`busybox@sha256:${'a'.repeat(64)}`, `docker.io/library/busybox@sha256:${'a'.repeat(64)}`],
    [`sha256:${'b'.repeat(64)}`, `sha256:${'b'.repeat(64)}`],
  ])('normalizes %s to %s', (ref, expected) => expect(normalizeImageRef(ref)).toBe(expected));
});

describe('IpPool', () => {
  it('hands out addresses round-robin and reuses released ones only after a full turn', () => {
    const pool = new IpPool('10.0.0.0/29'); // hosts .2 – .6
    const got = [pool.allocate(), pool.allocate(), pool.allocate()];
    expect(got).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4']);
    pool.release('10.0.0.2');
    expect([pool.allocate(), pool.allocate(), pool.allocate()]).toEqual(['10.0.0.5', '10.0.0.6', '10.0.0.2']);
    expect(() => pool.allocate()).toThrow(expect.objectContaining({ code: 'Unavailable' }));
  });

  it.each(['10.0.0.0', '10.0.0.0/31', 'fd00::/64', '300.1.1.1/24'])('refuses CIDR %s', (cidr) => {
    let err: unknown;
    try {
      new IpPool(cidr);
    } catch (e) {
      err = e;
    }
    expect(isCriError(err, 'InvalidArgument')).toBe(true);
  });
});

describe('EventScheduler', () => {
  it('fires events in time order on one clock timer, skipping cancelled ones', async () => {
    const clock = new FakeClock(0);
    const s = new EventScheduler(clock);
    const fired: string[] = [];
    s.at(300, () => fired.push('c'));
    s.at(100, () => fired.push('a'));
    const b = s.at(200, () => fired.push('b'));
    s.at(100, () => fired.push('a2'));
    expect(clock.pendingTimers).toBe(1);
    b.cancel();
    await clock.advance(250);
    expect(fired).toEqual(['a', 'a2']);
    await clock.advance(100);
    expect(fired).toEqual(['a', 'a2', 'c']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('re-arms for an event earlier than the armed one', async () => {
    const clock = new FakeClock(0);
    const s = new EventScheduler(clock);
    const fired: number[] = [];
    s.at(1_000, () => fired.push(clock.now()));
    s.at(10, () => fired.push(clock.now()));
    await clock.advance(2_000);
    expect(fired).toEqual([10, 1_000]);
  });
});
