import { rfc3339Micro, type Lease } from '@bosun/api';
import { createTestEnv, type Client, type TestEnv } from '@bosun/apiserver';
import { describe, expect, it } from 'vitest';
import { faultyClient } from './faulty-client.test-helper';
import { createLeaderElector, type LeaderElector, type LeaderElectorOptions } from './leader-election';

const LOCK = { namespace: 'kube-system', name: 'my-controller' };
const LEASE_MS = 15_000;
const RENEW_MS = 10_000;
const RETRY_MS = 2_000;


async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

async function until(cond: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise<void>((r) => setImmediate(r));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

interface Candidate {
  id: string;
  elector: LeaderElector;
  ac: AbortController;
  done: Promise<void>;
  log: string[];
  fault: ReturnType<typeof faultyClient>;
}

function candidate(env: TestEnv, id: string, extra: Partial<LeaderElectorOptions> = {}): Candidate {
  const fault = faultyClient(env.client);
  const log: string[] = [];
  const ac = new AbortController();
  const elector = createLeaderElector({
    client: fault.client,
    clock: env.clock,
    lock: LOCK,
    identity: id,
    leaseDurationMs: LEASE_MS,
    renewDeadlineMs: RENEW_MS,
    retryPeriodMs: RETRY_MS,
    random: () => 0,
    onStartedLeading: () => void log.push(`started@${env.clock.now()}`),
    onStoppedLeading: () => void log.push(`stopped@${env.clock.now()}`),
    onNewLeader: (leader) => void log.push(`leader=${leader}`),
    ...extra,
  });
  return { id, elector, ac, log, fault, done: elector.run(ac.signal) };
}

const lease = (env: TestEnv) => env.client.get('coordination.k8s.io/v1', 'Lease', LOCK.namespace, LOCK.name);

/**
 * Advances the clock in `stepMs` steps for `totalMs`, checking after each step that at
 * most one candidate leads, and calling `onStep` (return true to stop early).
 */
async function run(env: TestEnv, cs: Candidate[], totalMs: number, stepMs = 250, onStep?: () => boolean): Promise<void> {
  for (let t = 0; t < totalMs; t += stepMs) {
    await env.clock.advance(stepMs);
    const leaders = cs.filter((c) => c.elector.isLeader()).map((c) => c.id);
    expect(leaders.length, `leaders at +${t + stepMs} ms: ${leaders.join(', ')}`).toBeLessThanOrEqual(1);
    if (onStep?.()) return;
  }
}

describe('createLeaderElector', () => {
  it('creates the Lease when absent, leads, and renews it every retry period', async () => {
    await using env = await createTestEnv();
    const t0 = env.clock.now();
    const a = candidate(env, 'a');
    await until(() => a.elector.isLeader(), 'a leads');
    expect((await lease(env)).spec).toEqual({ holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: rfc3339Micro(t0), renewTime: rfc3339Micro(t0), leaseTransitions: 0 });
    await env.clock.advance(RETRY_MS);
    await settle();
    expect((await lease(env)).spec).toMatchObject({ holderIdentity: 'a', acquireTime: rfc3339Micro(t0), renewTime: rfc3339Micro(t0 + RETRY_MS), leaseTransitions: 0 });
    expect(a.log).toEqual(['leader=a', `started@${t0}`]);
    a.ac.abort();
    await a.done;
  });

  it('lets exactly one of two candidates lead, and hands over within a retry period when the leader stops', async () => {
    await using env = await createTestEnv();
    const a = candidate(env, 'a');
    await until(() => a.elector.isLeader(), 'a leads');
    const b = candidate(env, 'b');
    await run(env, [a, b], 30_000);
    expect([a.elector.isLeader(), b.elector.isLeader(), b.elector.getLeader()]).toEqual([true, false, 'a']);
    expect(b.log).toEqual(['leader=a']);

    const stoppedAt = env.clock.now();
    a.ac.abort();
    await a.done;
    // Released: empty holder and a one-second duration, so b need not wait out 15 s.
    const released = (await lease(env)).spec!;
    expect([released.holderIdentity, released.leaseDurationSeconds]).toEqual([undefined, 1]);
    expect(a.log.at(-1)).toBe(`stopped@${stoppedAt}`);
    let tookOverAt = 0;
    await run(env, [a, b], RETRY_MS + 1_000, 100, () => (b.elector.isLeader() ? ((tookOverAt = env.clock.now()), true) : false));
    expect(tookOverAt - stoppedAt).toBeGreaterThan(0);
    expect(tookOverAt - stoppedAt).toBeLessThanOrEqual(RETRY_MS);
    expect((await lease(env)).spec).toMatchObject({ holderIdentity: 'b', leaseDurationSeconds: 15, leaseTransitions: 1 });
    b.ac.abort();
    await b.done;
  });

  it.each([
    ['hang (a paused process)', 'hang'],
    ['fail (a partition)', 'fail'],
  ] as const)('when the leader’s API calls %s, it steps down within the renew deadline and the other takes over within the lease duration', async (_name, mode) => {
    await using env = await createTestEnv();
    const a = candidate(env, 'a');
    await until(() => a.elector.isLeader(), 'a leads');
    const b = candidate(env, 'b');
    await run(env, [a, b], 5_000);
    const lastRenew = Date.parse((await lease(env)).spec!.renewTime!);
    const pausedAt = env.clock.now();
    a.fault.set(mode);
    let steppedDownAt = 0;
    let tookOverAt = 0;
    await run(env, [a, b], 30_000, 250, () => {
      if (!steppedDownAt && !a.elector.isLeader()) steppedDownAt = env.clock.now();
      if (!tookOverAt && b.elector.isLeader()) tookOverAt = env.clock.now();
      return !!tookOverAt;
    });
    // a stops renewing after its last renewal plus one retry period plus the renew deadline…
    expect(steppedDownAt).toBeGreaterThan(pausedAt);
    expect(steppedDownAt - lastRenew).toBeLessThanOrEqual(RETRY_MS + RENEW_MS);
    expect(a.log.at(-1)).toMatch(/^stopped@/);
    // …before b may start: b waits out the lease from when it last saw it change.
    expect(tookOverAt).toBeGreaterThan(steppedDownAt);
    expect(tookOverAt - lastRenew).toBeGreaterThanOrEqual(LEASE_MS);
    expect(tookOverAt - lastRenew).toBeLessThanOrEqual(LEASE_MS + 2 * RETRY_MS);
    expect((await lease(env)).spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    a.fault.set('ok');
    await a.done;
    b.ac.abort();
    await b.done;
  });

  it('judges expiry from when this candidate observed the lease, not from the renewTime written by another clock', async () => {
    await using env = await createTestEnv();
    const longAgo = rfc3339Micro(env.clock.now() - 3_600_000);
    await env.client.create<Lease>({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: LOCK,
      spec: { holderIdentity: 'ghost', leaseDurationSeconds: 15, acquireTime: longAgo, renewTime: longAgo, leaseTransitions: 3 },
    });
    const t0 = env.clock.now();
    const c = candidate(env, 'c');
    let ledAt = 0;
    await run(env, [c], 30_000, 100, () => (c.elector.isLeader() ? ((ledAt = env.clock.now()), true) : false));
    expect(ledAt - t0).toBeGreaterThanOrEqual(LEASE_MS);
    expect(ledAt - t0).toBeLessThanOrEqual(LEASE_MS + RETRY_MS);
    expect((await lease(env)).spec).toMatchObject({ holderIdentity: 'c', leaseTransitions: 4 });
    expect(c.log[0]).toBe('leader=ghost');
    c.ac.abort();
    await c.done;
  });

  it('lets only one of two candidates win a race for a free lease (the loser gets 409 Conflict)', async () => {
    await using env = await createTestEnv();
    const now = rfc3339Micro(env.clock.now());
    await env.client.create<Lease>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: LOCK, spec: { leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: 2 } });
    const warnings: string[] = [];
    const logger = { warn: (m: string) => void warnings.push(m), error: () => {} };
    const a = candidate(env, 'a', { logger });
    const b = candidate(env, 'b', { logger });
    // Both read the same resourceVersion before either writes.
    const bothRead = () => until(() => a.fault.state.gets + b.fault.state.gets >= 2, 'both candidates read the lease');
    a.fault.state.beforeUpdate = bothRead;
    b.fault.state.beforeUpdate = bothRead;
    await until(() => a.elector.isLeader() || b.elector.isLeader(), 'someone leads');
    await settle();
    expect([a.elector.isLeader(), b.elector.isLeader()].filter(Boolean)).toHaveLength(1);
    expect(warnings.some((w) => /failed to update lease .*the object has been modified/.test(w))).toBe(true);
    expect((await lease(env)).spec?.leaseTransitions).toBe(3);
    a.ac.abort();
    b.ac.abort();
    await Promise.all([a.done, b.done]);
  });

  it('releases the lease only after the leader’s work has wound down', async () => {
    await using env = await createTestEnv();
    let wound = false;
    const a = candidate(env, 'a', {
      onStartedLeading: async (signal) => {
        await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
        await env.clock.sleep(3_000);
        wound = true;
      },
    });
    await until(() => a.elector.isLeader());
    a.ac.abort();
    await env.clock.advance(2_000);
    expect((await lease(env)).spec?.holderIdentity).toBe('a');
    await env.clock.advance(1_000);
    await a.done;
    expect(wound).toBe(true);
    expect((await lease(env)).spec?.holderIdentity).toBeUndefined();
  });

  it.each<[string, Partial<LeaderElectorOptions>, RegExp]>([
    ['a lease duration not above the renew deadline', { leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }, /leaseDuration .* must be greater than renewDeadline/],
    ['a renew deadline not above 1.2 × the retry period', { renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }, /renewDeadline .* must be greater than jitterFactor/],
    ['a zero retry period', { retryPeriodMs: 0 }, /must be > 0/],
    ['an empty identity', { identity: '' }, /identity must not be empty/],
  ])('refuses %s', async (_name, bad, message) => {
    await using env = await createTestEnv();
    const opts: LeaderElectorOptions = { client: env.client, clock: env.clock, lock: LOCK, identity: 'x', onStartedLeading() {}, onStoppedLeading() {}, ...bad };
    expect(() => createLeaderElector(opts)).toThrow(message);
  });
});
