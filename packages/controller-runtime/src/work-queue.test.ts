import { FakeClock } from '@bosun/api';
import { describe, expect, it } from 'vitest';
import { createItemExponentialFailureRateLimiter } from './rate-limiter';
import { createWorkQueue, type WorkQueue } from './work-queue';

function setup(opts: { maxDelayMs?: number } = {}) {
  const clock = new FakeClock();
  const q = createWorkQueue<string>({ clock, name: 'test', rateLimiter: createItemExponentialFailureRateLimiter({ maxDelayMs: opts.maxDelayMs }) });
  return { clock, q };
}

/** Takes every key available right now (without waiting). */
async function drain(q: WorkQueue<string>, opts: { done?: boolean } = {}): Promise<string[]> {
  const out: string[] = [];
  while (q.len() > 0) {
    const { key } = await q.get();
    out.push(key!);
    if (opts.done !== false) q.done(key!);
  }
  return out;
}

describe('createWorkQueue: adds and gets', () => {
  it.each<[string, (q: WorkQueue<string>) => void, string[]]>([
    ['hands keys out in the order they were added', (q) => ['a', 'b', 'c'].forEach((k) => q.add(k)), ['a', 'b', 'c']],
    ['collapses adds of a key that is already queued', (q) => ['a', 'b', 'a', 'a', 'b'].forEach((k) => q.add(k)), ['a', 'b']],
    ['keeps the first position of a collapsed key', (q) => ['b', 'a', 'b'].forEach((k) => q.add(k)), ['b', 'a']],
  ])('%s', async (_name, act, expected) => {
    const { q } = setup();
    act(q);
    expect(q.len()).toBe(expected.length);
    expect(await drain(q)).toEqual(expected);
  });

  it('makes a waiting get resolve when a key is added', async () => {
    const { q } = setup();
    const pending = q.get();
    q.add('a');
    expect(await pending).toEqual({ key: 'a', shutdown: false });
  });

  it('serves waiting gets first come, first served', async () => {
    const { q } = setup();
    const first = q.get();
    const second = q.get();
    q.add('a');
    q.add('b');
    expect([(await first).key, (await second).key]).toEqual(['a', 'b']);
  });

  it('rejects a get whose signal aborts and gives the key to the next getter', async () => {
    const { q } = setup();
    const ac = new AbortController();
    const aborted = q.get(ac.signal);
    const other = q.get();
    ac.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    q.add('a');
    expect((await other).key).toBe('a');
  });
});

describe('createWorkQueue: a key in flight', () => {
  it('is not queued again while a worker holds it, and is requeued once after done', async () => {
    const { q } = setup();
    q.add('a');
    const { key } = await q.get();
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(0);
    q.done(key!);
    expect(q.len()).toBe(1);
    expect(await drain(q)).toEqual(['a']);
    expect(q.len()).toBe(0);
  });

  it('is not requeued after done when nobody added it meanwhile', async () => {
    const { q } = setup();
    q.add('a');
    q.done((await q.get()).key!);
    expect(q.len()).toBe(0);
  });

  it('ignores done for a key no worker holds', () => {
    const { q } = setup();
    q.done('nobody');
    expect(q.metrics().workDuration.count).toBe(0);
  });

  it('never hands one key to two workers at once, whatever the interleaving', async () => {
    const clock = new FakeClock();
    const q = createWorkQueue<string>({ clock });
    const keys = ['a', 'b', 'c', 'd'];
    const inFlight = new Set<string>();
    const violations: string[] = [];
    const processed: string[] = [];
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const worker = async () => {
      for (;;) {
        const { key, shutdown } = await q.get();
        if (shutdown) return;
        if (inFlight.has(key)) violations.push(key);
        inFlight.add(key);
        await clock.sleep(1 + Math.floor(rand() * 20));
        inFlight.delete(key);
        processed.push(key);
        q.done(key);
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    for (let t = 0; t < 200; t++) {
      for (let i = 0; i < 3; i++) q.add(keys[Math.floor(rand() * keys.length)]);
      await clock.advance(1 + Math.floor(rand() * 5));
    }
    await clock.advance(1000);
    const drained = q.shutDownWithDrain();
    await clock.advance(100);
    await drained;
    await Promise.all(workers);
    expect(violations).toEqual([]);
    expect(new Set(processed)).toEqual(new Set(keys));
    expect(processed.length).toBeGreaterThan(20);
  });
});

describe('createWorkQueue: delays', () => {
  it.each([
    ['the 1st retry', 1, 5],
    ['the 2nd retry', 2, 10],
    ['the 3rd retry', 3, 20],
    ['the 6th retry', 6, 160],
  ])('makes %s of a key wait 5 ms × 2^(n-1): %i → %i ms', async (_name, n, expectedDelay) => {
    const { q, clock } = setup();
    for (let i = 1; i < n; i++) q.addRateLimited('x');
    await clock.advance(10_000);
    await drain(q);
    q.addRateLimited('x');
    await clock.advance(expectedDelay - 1);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(q.len()).toBe(1);
    expect(q.numRequeues('x')).toBe(n);
  });

  it('caps the retry delay at the rate limiter maximum', async () => {
    const { q, clock } = setup({ maxDelayMs: 20 });
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const start = clock.now();
      q.addRateLimited('x');
      while (q.len() === 0) await clock.advance(1);
      delays.push(clock.now() - start);
      await drain(q);
    }
    expect(delays).toEqual([5, 10, 20, 20, 20, 20]);
  });

  it('starts a key over at 5 ms after forget', async () => {
    const { q, clock } = setup();
    for (let i = 0; i < 4; i++) q.addRateLimited('x');
    q.forget('x');
    expect(q.numRequeues('x')).toBe(0);
    await clock.advance(1000);
    await drain(q);
    q.addRateLimited('x');
    await clock.advance(5);
    expect(q.len()).toBe(1);
  });

  it('releases delayed keys in the order they become ready', async () => {
    const { q, clock } = setup();
    q.addAfter('c', 30);
    q.addAfter('a', 10);
    q.addAfter('b', 20);
    q.addAfter('b2', 20);
    q.add('now');
    await clock.advance(30);
    expect(await drain(q)).toEqual(['now', 'a', 'b', 'b2', 'c']);
  });

  it.each<[string, [number, number], number]>([
    ['a shorter second delay wins', [100, 10], 10],
    ['a longer second delay is ignored', [10, 100], 10],
  ])('keeps the earliest time for a key added after twice: %s', async (_name, [d1, d2], expected) => {
    const { q, clock } = setup();
    q.addAfter('a', d1);
    q.addAfter('a', d2);
    await clock.advance(expected - 1);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(q.len()).toBe(1);
    await clock.advance(200);
    expect(await drain(q)).toEqual(['a']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('adds at once when the delay is zero or negative', () => {
    const { q } = setup();
    q.addAfter('a', 0);
    q.addAfter('b', -5);
    expect(q.len()).toBe(2);
  });

  it('collapses a delayed key into the same key already queued', async () => {
    const { q, clock } = setup();
    q.add('a');
    q.addAfter('a', 5);
    await clock.advance(5);
    expect(await drain(q)).toEqual(['a']);
  });
});

describe('createWorkQueue: shutdown', () => {
  it('resolves waiting and later gets with shutdown and ignores adds', async () => {
    const { q } = setup();
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toEqual({ key: undefined, shutdown: true });
    q.add('a');
    q.addRateLimited('b');
    expect(q.len()).toBe(0);
    expect(await q.get()).toEqual({ key: undefined, shutdown: true });
    expect(q.isShuttingDown()).toBe(true);
  });

  it('drops queued and delayed keys and their timers', async () => {
    const { q, clock } = setup();
    q.add('a');
    q.addAfter('b', 100);
    q.shutDown();
    expect(q.len()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    expect(q.metrics().delayed).toBe(0);
  });

  it('with drain, waits until every key in flight is done', async () => {
    const { q } = setup();
    q.add('a');
    q.add('b');
    const a = (await q.get()).key!;
    const b = (await q.get()).key!;
    q.add('a');
    let drained = false;
    const p = q.shutDownWithDrain().then(() => (drained = true));
    q.done(a);
    await Promise.resolve();
    expect(drained).toBe(false);
    expect(q.len()).toBe(0);
    q.done(b);
    await p;
    expect(drained).toBe(true);
    expect(await q.get()).toEqual({ key: undefined, shutdown: true });
  });

  it('with drain and nothing in flight, resolves at once', async () => {
    const { q } = setup();
    await q.shutDownWithDrain();
    expect(q.isShuttingDown()).toBe(true);
  });
});

describe('createWorkQueue: metrics', () => {
  it('counts adds, retries, depth, queue latency and work duration on the clock', async () => {
    const clock = new FakeClock();
    const seen: string[] = [];
    const q = createWorkQueue<string>({
      clock,
      name: 'pods',
      metrics: {
        onAdd: (n, depth) => seen.push(`add ${n} ${depth}`),
        onGet: (n, latency) => seen.push(`get ${n} ${latency}`),
        onDone: (n, ms) => seen.push(`done ${n} ${ms}`),
        onRetry: (n) => seen.push(`retry ${n}`),
      },
    });
    q.add('a');
    q.add('a');
    q.add('b');
    await clock.advance(30);
    const { key } = await q.get();
    await clock.advance(12);
    const m = q.metrics();
    expect(m).toMatchObject({ name: 'pods', depth: 1, adds: 2, inFlight: 1, unfinishedWorkMs: 12, longestRunningProcessorMs: 12, queueLatency: { count: 1, sumMs: 30, maxMs: 30 } });
    q.done(key!);
    q.addRateLimited('c');
    expect(q.metrics()).toMatchObject({ retries: 1, delayed: 1, inFlight: 0, workDuration: { count: 1, sumMs: 12, maxMs: 12 } });
    expect(seen).toEqual(['add pods 1', 'add pods 2', 'get pods 30', 'done pods 12', 'retry pods']);
  });
});
