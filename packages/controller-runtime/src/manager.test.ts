import { createScheme, type KubeObject } from '@bosun/api';
import { createTestEnv, type Client, type Logger, type TestEnv } from '@bosun/apiserver';
import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Controller } from './controller';
import { faultyClient } from './faulty-client.test-helper';
import { createManager, type Manager, type ManagerOptions } from './manager';
import { Action, type Reconcile } from './reconcile';

interface ConfigMapSet extends KubeObject {
  metadata: NonNullable<KubeObject['metadata']> & { name: string; namespace: string };
  spec: { replicas: number };
}
const SetKind = { apiVersion: 'example.com/v1', kind: 'ConfigMapSet' } as const;
const set = (name: string): ConfigMapSet => ({ ...SetKind, metadata: { name, namespace: 'default' }, spec: { replicas: 1 } });

async function newEnv(): Promise<TestEnv> {
  const scheme = createScheme();
  scheme.register({ group: 'example.com', version: 'v1', kind: 'ConfigMapSet', plural: 'configmapsets', namespaced: true });
  return createTestEnv({ scheme });
}


const quiet: Logger = { warn: () => {}, error: () => {} };

async function settle(rounds = 30): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

async function until(cond: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise<void>((r) => setImmediate(r));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

/** A client whose lists wait until `open()`: informers cannot sync before. */
function gatedLists(inner: Client) {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const client: Client = {
    ...inner,
    async list(...args: Parameters<Client['list']>) {
      await gate;
      return inner.list(...args);
    },
  } as Client;
  return { client, open };
}

function manager(env: TestEnv, opts: Partial<ManagerOptions> = {}): Manager {
  return createManager({ client: env.client, clock: env.clock, logger: quiet, recorder: env.recorder('test'), ...opts });
}

/** A metric line's value from Prometheus text, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('createManager', () => {
  it('starts the controllers only once the caches have synced', async () => {
    await using env = await newEnv();
    await env.client.create(set('web'));
    const gated = gatedLists(env.client);
    const m = manager(env, { client: gated.client });
    const seen: string[] = [];
    m.add(Controller.for<ConfigMapSet>(SetKind).owns('v1', 'ConfigMap').build(async (_s, ctx) => (seen.push(ctx.key), Action.awaitChange())));
    let started: boolean | undefined;
    const starting = m.start().then((ok) => (started = ok));
    await settle();
    expect([started, m.health().synced, m.health().controllers[0].running, seen]).toEqual([undefined, false, false, []]);
    gated.open();
    await starting;
    expect([started, m.health().synced, m.health().controllers[0].running]).toEqual([true, true, true]);
    await until(() => seen.length === 1);
    expect(seen).toEqual(['default/web']);
    await m.stop();
  });

  it('reports health: sync, leadership and each controller’s queue depth', async () => {
    await using env = await newEnv();
    const m = manager(env);
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    m.add(Controller.for<ConfigMapSet>(SetKind).withConfig({ name: 'sets' }).build(async () => (await blocked, Action.awaitChange())));
    m.add(Controller.for('v1', 'ConfigMap').build(async () => Action.awaitChange()));
    for (const n of ['a', 'b', 'c']) await env.client.create(set(n));
    expect(m.health()).toEqual({ synced: false, leader: false, controllers: [{ name: 'sets', queueDepth: 0, running: false }, { name: 'configmap', queueDepth: 0, running: false }] });
    await m.start();
    await settle();
    // One worker holds `a`; `b` and `c` wait.
    expect(m.health()).toEqual({ synced: true, leader: true, controllers: [{ name: 'sets', queueDepth: 2, running: true }, { name: 'configmap', queueDepth: 0, running: true }] });
    release();
    await until(() => m.health().controllers[0].queueDepth === 0);
    await m.stop();
    expect(m.health()).toMatchObject({ leader: false, controllers: [{ running: false }, { running: false }] });
  });

  it('exposes controller-runtime metrics in its own registry, not the global one', async () => {
    await using env = await newEnv();
    const m = manager(env);
    const other = manager(env); // a second manager in the same process must not collide
    let calls = 0;
    m.add(
      Controller.for<ConfigMapSet>(SetKind).build(async () => {
        calls++;
        await env.clock.sleep(250);
        if (calls === 1) throw new Error('first attempt fails');
        return Action.awaitChange();
      }),
    );
    await env.client.create(set('web'));
    await m.start();
    await until(() => calls === 1);
    await env.clock.advance(250); // the failing reconcile ends; retried after 5 ms
    await env.clock.advance(5);
    await until(() => calls === 2);
    await env.clock.advance(250);
    await settle();
    const text = await m.metrics();
    const c = 'controller="configmapset"';
    const q = 'name="configmapset"';
    expect({
      success: sample(text, `controller_runtime_reconcile_total{${c},result="success"}`),
      error: sample(text, `controller_runtime_reconcile_total{${c},result="error"}`),
      requeue: sample(text, `controller_runtime_reconcile_total{${c},result="requeue"}`),
      errors: sample(text, `controller_runtime_reconcile_errors_total{${c}}`),
      terminal: sample(text, `controller_runtime_terminal_reconcile_errors_total{${c}}`),
      timeCount: sample(text, `controller_runtime_reconcile_time_seconds_count{${c}}`),
      timeSum: sample(text, `controller_runtime_reconcile_time_seconds_sum{${c}}`),
      depth: sample(text, `workqueue_depth{${q}}`),
      adds: sample(text, `workqueue_adds_total{${q}}`),
      retries: sample(text, `workqueue_retries_total{${q}}`),
      queueLatencyCount: sample(text, `workqueue_queue_duration_seconds_count{${q}}`),
      workCount: sample(text, `workqueue_work_duration_seconds_count{${q}}`),
      workSum: sample(text, `workqueue_work_duration_seconds_sum{${q}}`),
      maxConcurrent: sample(text, `controller_runtime_max_concurrent_reconciles{${c}}`),
    }).toEqual({
      success: 1,
      error: 1,
      requeue: 0,
      errors: 1,
      terminal: 0,
      timeCount: 2,
      timeSum: 0.5,
      depth: 0,
      adds: 2,
      retries: 1,
      queueLatencyCount: 2,
      workCount: 2,
      workSum: 0.5,
      maxConcurrent: 1,
    });
    expect(text).toContain(`controller_runtime_reconcile_time_seconds_bucket{le="0.25",${c}} 2`);
    expect(globalRegistry.getSingleMetric('controller_runtime_reconcile_total')).toBeUndefined();
    expect(await other.metrics()).not.toContain('configmapset');
    await m.stop();
  });

  it('shares one informer per kind between controllers', async () => {
    await using env = await newEnv();
    const m = manager(env);
    const noop = async () => Action.awaitChange();
    m.add(Controller.for<ConfigMapSet>(SetKind).owns('v1', 'ConfigMap').build(noop));
    m.add(Controller.for('v1', 'ConfigMap').build(noop));
    m.add(Controller.for('v1', 'Secret').watches('v1', 'ConfigMap', () => []).build(noop));
    await m.start();
    expect(m.informers.informers().map((i) => `${i.kind}:${i.stats().lists}`).sort()).toEqual(['ConfigMap:1', 'ConfigMapSet:1', 'Secret:1']);
    await m.stop();
  });

  it('refuses two controllers with the same name', async () => {
    await using env = await newEnv();
    const m = manager(env);
    const noop = async () => Action.awaitChange();
    m.add(Controller.for('v1', 'ConfigMap').build(noop));
    expect(() => m.add(Controller.for('v1', 'ConfigMap').build(noop))).toThrow(/already added/);
    m.add(Controller.for('v1', 'ConfigMap').withConfig({ name: 'configmap-2' }).build(noop));
  });

  it('starts a controller added after start, once its informers synced', async () => {
    await using env = await newEnv();
    await env.client.create(set('web'));
    const m = manager(env);
    await m.start();
    const seen: string[] = [];
    m.add(Controller.for<ConfigMapSet>(SetKind).build(async (_s, ctx) => (seen.push(ctx.key), Action.awaitChange())));
    await until(() => seen.length === 1, 'the late controller reconciles');
    expect(m.health().controllers).toEqual([{ name: 'configmapset', queueDepth: 0, running: true }]);
    await m.stop();
  });

  it('stops cleanly: in-flight reconciles finish with an aborted signal, then informers stop', async () => {
    await using env = await newEnv();
    const m = manager(env);
    const trace: string[] = [];
    m.add(
      Controller.for<ConfigMapSet>(SetKind).build(async (_s, _ctx, signal) => {
        trace.push('reconcile');
        await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
        await settle(3);
        trace.push('reconcile done');
        return Action.awaitChange();
      }),
    );
    await env.client.create(set('web'));
    await m.start();
    await until(() => trace.length === 1);
    await m.stop().then(() => trace.push('stopped'));
    expect(trace).toEqual(['reconcile', 'reconcile done', 'stopped']);
    expect(m.informers.informers().every((i) => !i.isRunning())).toBe(true);
    await m.stop(); // idempotent
  });

  it('stops when the start signal aborts', async () => {
    await using env = await newEnv();
    const m = manager(env);
    m.add(Controller.for('v1', 'ConfigMap').build(async () => Action.awaitChange()));
    const ac = new AbortController();
    await m.start(ac.signal);
    ac.abort();
    await until(() => m.informers.informers().every((i) => !i.isRunning()));
    expect(m.health().controllers[0].running).toBe(false);
  });
});

describe('createManager with leader election: two managers against one API server', () => {
  const LE = { leaseName: 'sets-controller', namespace: 'kube-system', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, random: () => 0 };

  function replica(env: TestEnv, identity: string, reconciled: string[]) {
    const fault = faultyClient(env.client);
    const m = createManager({ client: fault.client, clock: env.clock, logger: quiet, recorder: env.recorder(identity), leaderElection: { ...LE, identity } });
    const reconcile: Reconcile<ConfigMapSet> = async (_s, ctx) => (reconciled.push(`${identity} ${ctx.key}`), Action.awaitChange());
    m.add(Controller.for<ConfigMapSet>(SetKind).build(reconcile));
    return { m, fault, identity };
  }

  it.each([
    ['the leader stops', 'stop', 2_000],
    ['the leader is paused (its API calls hang)', 'hang', 19_000],
    ['the leader’s API calls fail', 'fail', 19_000],
  ] as const)('exactly one runs its controllers, and the other takes over when %s', async (_name, how, withinMs) => {
    await using env = await newEnv();
    const reconciled: string[] = [];
    const one = replica(env, 'one', reconciled);
    const two = replica(env, 'two', reconciled);
    await env.client.create(set('a'));
    await one.m.start();
    await until(() => one.m.health().leader, 'one leads');
    await two.m.start();
    const running = () => [one, two].filter((r) => r.m.health().controllers[0].running).map((r) => r.identity);
    for (let t = 0; t < 10_000; t += 500) {
      await env.clock.advance(500);
      expect(running()).toEqual(['one']);
    }
    expect([one.m.health().leader, two.m.health().leader]).toEqual([true, false]);
    expect(reconciled).toEqual(['one default/a']);
    expect(await one.m.metrics()).toContain('leader_election_master_status{name="kube-system/sets-controller"} 1');
    expect(await two.m.metrics()).toContain('leader_election_master_status{name="kube-system/sets-controller"} 0');

    const from = env.clock.now();
    if (how === 'stop') await one.m.stop();
    else one.fault.set(how);
    let tookOverAt = 0;
    for (let t = 0; t < 30_000 && !tookOverAt; t += 250) {
      await env.clock.advance(250);
      expect(running().length, `controllers running at +${t + 250} ms: ${running().join(', ')}`).toBeLessThanOrEqual(1);
      if (running()[0] === 'two') tookOverAt = env.clock.now();
    }
    expect(tookOverAt).toBeGreaterThan(from);
    expect(tookOverAt - from).toBeLessThanOrEqual(withinMs);
    expect([one.m.health().leader, two.m.health().leader]).toEqual([false, true]);
    await until(() => reconciled.includes('two default/a'), 'two reconciles what is cached');
    await env.client.create(set('b'));
    await until(() => reconciled.includes('two default/b'));
    expect(reconciled.filter((r) => r.startsWith('one'))).toEqual(['one default/a']);

    one.fault.set('ok');
    await one.m.stop();
    await two.m.stop();
  });
});
