import { createScheme, isAlreadyExists, keyOf, type ConfigMap, type KubeObject } from '@bosun/api';
import { createTestEnv, type ApiObject, type Logger, type TestEnv } from '@bosun/apiserver';
import { describe, expect, it } from 'vitest';
import { Controller, type ControllerBuilder } from './controller';
import { createItemExponentialFailureRateLimiter } from './rate-limiter';
import { annotationsChanged, generationChanged, labelsChanged, resourceVersionChanged, type Predicate } from './predicates';
import { Action, TerminalError, type ErrorPolicy, type Reconcile } from './reconcile';
import { setControllerReference } from './owner-refs';
import { createSharedInformerFactory, type SharedInformerFactory } from './shared-informers';

// ---------------------------------------------------------------- a custom parent kind

/** A parent that wants `spec.replicas` ConfigMaps named `<name>-<i>`, carrying `spec.data`. */
interface ConfigMapSet extends KubeObject {
  apiVersion: 'example.com/v1';
  kind: 'ConfigMapSet';
  metadata: NonNullable<KubeObject['metadata']> & { name: string; namespace: string };
  spec: { replicas: number; data?: Record<string, string> };
}
const SetKind = { apiVersion: 'example.com/v1', kind: 'ConfigMapSet' } as const;

async function newEnv(): Promise<TestEnv> {
  const scheme = createScheme();
  scheme.register({ group: 'example.com', version: 'v1', kind: 'ConfigMapSet', plural: 'configmapsets', namespaced: true });
  return createTestEnv({ scheme });
}

const set = (name: string, replicas: number, extra: Partial<ConfigMapSet['metadata']> = {}): ConfigMapSet => ({
  ...SetKind,
  metadata: { name, namespace: 'default', ...extra },
  spec: { replicas, data: { owner: name } },
});

const quiet = (): Logger & { lines: string[] } => {
  const lines: string[] = [];
  return { lines, warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
};

/** Lets promise chains run (no clock time passes) until `cond` holds. */
async function until(cond: () => boolean | Promise<boolean>, what = 'condition'): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await cond()) return;
    await new Promise<void>((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Lets promise chains run for a while without moving the clock, so that "nothing happened" means something. */
async function settle(rounds = 50): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Moves the fake clock `ms` forward one millisecond at a time, letting work settle at each step. */
async function step(env: TestEnv, ms: number): Promise<void> {
  for (let i = 0; i < ms; i++) await env.clock.advance(1);
}

// `Cache<ConfigMap>` does not type-check (typed kinds lack KubeObject's index signature), so take the cache's type from the factory.
const configMapCache = (informers: SharedInformerFactory) => informers.forKind('v1', 'ConfigMap').cache;
interface SetCtx {
  configMaps: ReturnType<typeof configMapCache>;
}

/** The sample controller: converges the ConfigMaps a ConfigMapSet controls. */
const reconcileSet: Reconcile<ConfigMapSet, SetCtx> = async (s, { configMaps, client }, signal) => {
  const ns = s.metadata.namespace;
  const owned = configMaps.list({ namespace: ns, controlledBy: s });
  const want = new Set(Array.from({ length: s.spec.replicas }, (_, i) => `${s.metadata.name}-${i}`));
  for (const cm of owned) if (!want.has(cm.metadata!.name!)) await client.delete('v1', 'ConfigMap', ns, cm.metadata!.name!, { signal });
  for (const name of want) {
    if (owned.some((cm) => cm.metadata?.name === name)) continue;
    const cm: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: s.spec.data };
    try {
      await client.create(setControllerReference(s, cm), { signal });
    } catch (e) {
      if (!isAlreadyExists(e)) throw e; // the cache had not seen our own create yet
    }
  }
  return Action.awaitChange();
};

/** Runs `builder` standalone against `env` until the returned `stop`. */
function start<Ctx extends object>(
  env: TestEnv,
  builder: ControllerBuilder<ConfigMapSet>,
  reconcile: Reconcile<ConfigMapSet, Ctx>,
  ctx: (informers: SharedInformerFactory) => Ctx,
  errorPolicy?: ErrorPolicy<ConfigMapSet, Ctx>,
) {
  const logger = quiet();
  const informers = createSharedInformerFactory(env.client, { clock: env.clock, logger });
  const recorder = env.recorder('test-controller');
  const ac = new AbortController();
  const done = builder.run(reconcile, errorPolicy, ctx(informers), { signal: ac.signal, client: env.client, informers, clock: env.clock, recorder, logger });
  return {
    informers,
    recorder,
    logger,
    async stop() {
      ac.abort();
      await done;
      await informers.shutdown();
      await recorder.flush();
    },
  };
}

const setCtx = (informers: SharedInformerFactory): SetCtx => ({ configMaps: configMapCache(informers) });

async function ownedNames(env: TestEnv, owner: string): Promise<string[]> {
  const list = await env.client.list('v1', 'ConfigMap', { namespace: 'default' });
  return list.items.filter((cm) => cm.metadata?.ownerReferences?.some((r) => r.controller && r.name === owner)).map((cm) => cm.metadata!.name!).sort();
}

async function warningEvents(env: TestEnv, involved: string) {
  const list = await env.client.list('v1', 'Event', { namespace: 'default' });
  return list.items.filter((e) => e.involvedObject?.name === involved && e.type === 'Warning');
}

// ---------------------------------------------------------------- tests

describe('Controller: a ConfigMapSet controller built with Controller.for().owns()', () => {
  it.each([
    ['creates 3 ConfigMaps and scales down to 1', 3, 1],
    ['creates 1 ConfigMap and scales up to 4', 1, 4],
    ['creates none, then 2', 0, 2],
  ])('converges: %s', async (_name, first, second) => {
    await using env = await newEnv();
    const c = start(env, Controller.for<ConfigMapSet>(SetKind).owns('v1', 'ConfigMap'), reconcileSet, setCtx);
    await env.client.create(set('web', first));
    const names = (n: number) => Array.from({ length: n }, (_, i) => `web-${i}`);
    await until(async () => (await ownedNames(env, 'web')).join() === names(first).join(), `${first} ConfigMaps`);
    await env.client.patch(SetKind.apiVersion, SetKind.kind, 'default', 'web', { spec: { replicas: second } });
    await until(async () => (await ownedNames(env, 'web')).join() === names(second).join(), `${second} ConfigMaps`);
    await c.stop();
  });

  it('reconciles the parent when an owned ConfigMap is deleted, and recreates it', async () => {
    await using env = await newEnv();
    const seen: string[] = [];
    const c = start(env, Controller.for<ConfigMapSet>(SetKind).owns('v1', 'ConfigMap'), async (s, ctx, signal) => {
      seen.push(ctx.key);
      return reconcileSet(s, ctx, signal);
    }, setCtx);
    await env.client.create(set('web', 2));
    await until(async () => (await ownedNames(env, 'web')).length === 2);
    const before = await env.client.get('v1', 'ConfigMap', 'default', 'web-1');
    const reconcilesBefore = seen.length;
    await env.client.delete('v1', 'ConfigMap', 'default', 'web-1');
    await until(async () => {
      const now = await env.client.get('v1', 'ConfigMap', 'default', 'web-1').catch(() => undefined);
      return !!now && now.metadata.uid !== before.metadata.uid;
    }, 'web-1 recreated');
    expect(seen.length).toBeGreaterThan(reconcilesBefore);
    expect(new Set(seen)).toEqual(new Set(['default/web']));
    await c.stop();
  });

  it('ignores owned objects whose controller is another kind, or that are only owned without controller: true', async () => {
    await using env = await newEnv();
    const seen: string[] = [];
    const c = start(env, Controller.for<ConfigMapSet>(SetKind).owns('v1', 'ConfigMap'), async (_s, ctx) => (seen.push(ctx.key), Action.awaitChange()), setCtx);
    const parent = await env.client.create(set('web', 0));
    await until(() => seen.length === 1);
    const ref = { apiVersion: parent.apiVersion, kind: parent.kind, name: 'web', uid: parent.metadata!.uid! };
    await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain-owner', namespace: 'default', ownerReferences: [ref] } });
    await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other-kind', namespace: 'default', ownerReferences: [{ ...ref, kind: 'Other', controller: true }] } });
    await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other-group', namespace: 'default', ownerReferences: [{ ...ref, apiVersion: 'other.io/v1', controller: true }] } });
    await settle();
    expect(seen).toEqual(['default/web']);
    await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'controlled', namespace: 'default', ownerReferences: [{ ...ref, apiVersion: 'example.com/v2', controller: true }] } });
    await until(() => seen.length === 2, 'reconcile for a controlled ConfigMap (any version of the group)');
    await c.stop();
  });

  it('enqueues what the map function of watches() returns', async () => {
    await using env = await newEnv();
    const seen: string[] = [];
    const builder = Controller.for<ConfigMapSet>(SetKind).watches('v1', 'Secret', (secret) => {
      const target = secret.metadata?.labels?.['set'];
      return target ? [{ namespace: secret.metadata!.namespace, name: target }] : [];
    });
    const c = start(env, builder, async (_s, ctx) => (seen.push(ctx.key), Action.awaitChange()), setCtx);
    await env.client.create(set('a', 0));
    await env.client.create(set('b', 0));
    await until(() => seen.length === 2);
    seen.length = 0;
    await env.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default', labels: { set: 'a' } } });
    await until(() => seen.length === 1);
    expect(seen).toEqual(['default/a']);
    // An update maps both the old and the new object: moving the label reconciles both sets.
    await env.client.patch('v1', 'Secret', 'default', 's', { metadata: { labels: { set: 'b' } } });
    await until(() => seen.length === 3);
    expect(seen.slice(1).sort()).toEqual(['default/a', 'default/b']);
    await c.stop();
  });

  it('does not call reconcile for an object that is gone, even with a requeue pending', async () => {
    await using env = await newEnv();
    const seen: number[] = [];
    const c = start(env, Controller.for<ConfigMapSet>(SetKind), async () => (seen.push(env.clock.now()), Action.requeueAfter(1_000)), setCtx);
    await env.client.create(set('web', 0));
    await until(() => seen.length === 1);
    await env.client.delete(SetKind.apiVersion, SetKind.kind, 'default', 'web');
    await until(() => c.informers.forKind(SetKind.apiVersion, SetKind.kind).cache.size === 0);
    await env.clock.advance(5_000);
    await settle();
    expect(seen).toHaveLength(1);
    await c.stop();
  });

  it('runs standalone with the client taken from the context, as in STYLE.md', async () => {
    await using env = await newEnv();
    const informers = createSharedInformerFactory(env.client, { clock: env.clock, logger: quiet() });
    const ac = new AbortController();
    const ctx = { client: env.client, configMaps: informers.forKind('v1', 'ConfigMap').cache };
    const done = Controller.for<ConfigMapSet>(SetKind)
      .owns('v1', 'ConfigMap')
      .run(reconcileSet, undefined, ctx, { signal: ac.signal, informers, clock: env.clock, recorder: env.recorder('x'), logger: quiet() });
    await env.client.create(set('web', 2));
    await until(async () => (await ownedNames(env, 'web')).length === 2);
    ac.abort();
    await done;
    await informers.shutdown();
  });
});

describe('Controller: errors, backoff and Events', () => {
  it('retries a failing key after 5, 10, 20, 40 ms (the default per-key backoff) and records a Warning Event', async () => {
    await using env = await newEnv();
    const calls: { at: number; retries: number }[] = [];
    const c = start(env, Controller.for<ConfigMapSet>(SetKind), async (_s, ctx) => {
      calls.push({ at: env.clock.now(), retries: ctx.retries });
      throw new Error('quota exceeded');
    }, setCtx);
    await env.client.create(set('web', 1));
    await until(() => calls.length === 1);
    await step(env, 80);
    const t0 = calls[0].at;
    expect(calls.map((x) => x.at - t0)).toEqual([0, 5, 15, 35, 75]);
    expect(calls.map((x) => x.retries)).toEqual([0, 1, 2, 3, 4]);
    await c.stop();
    const events = await warningEvents(env, 'web');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ reason: 'ReconcileError', message: 'quota exceeded', count: 5, involvedObject: { kind: 'ConfigMapSet', name: 'web' } });
    expect(c.logger.lines.some((l) => l.includes('quota exceeded'))).toBe(true);
  });

  it('starts the backoff over after a success', async () => {
    await using env = await newEnv();
    const at: number[] = [];
    const outcomes = ['fail', 'fail', 'ok-requeue-now', 'fail', 'fail'];
    const c = start(env, Controller.for<ConfigMapSet>(SetKind), async () => {
      at.push(env.clock.now());
      const o = outcomes.shift() ?? 'ok';
      if (o === 'fail') throw new Error('flaky');
      return o === 'ok-requeue-now' ? Action.requeueAfter(1) : Action.awaitChange();
    }, setCtx);
    await env.client.create(set('web', 1));
    await until(() => at.length === 1);
    await step(env, 40);
    const d = at.slice(1).map((t, i) => t - at[i]);
    // fail → 5 → fail → 10 → success (requeue after 1 ms) → fail → 5 again, not 20 → fail → 10.
    expect(d).toEqual([5, 10, 1, 5, 10]);
    await c.stop();
  });

  it('does not requeue a TerminalError, records a Warning Event, and reconciles again on the next change', async () => {
    await using env = await newEnv();
    let calls = 0;
    const policyCalls: unknown[] = [];
    const c = start(
      env,
      Controller.for<ConfigMapSet>(SetKind),
      async () => {
        calls++;
        throw new TerminalError('spec.replicas must be even');
      },
      setCtx,
      (err) => (policyCalls.push(err), Action.requeue()),
    );
    await env.client.create(set('web', 3));
    await until(() => calls === 1);
    await env.clock.advance(10 * 60_000);
    await settle();
    expect(calls).toBe(1);
    expect(policyCalls).toEqual([]);
    await env.client.patch(SetKind.apiVersion, SetKind.kind, 'default', 'web', { spec: { replicas: 4 } });
    await until(() => calls === 2, 'a reconcile after the change');
    await c.stop();
    const events = await warningEvents(env, 'web');
    expect(events.map((e) => [e.reason, e.message, e.count])).toEqual([['ReconcileError', 'spec.replicas must be even', 2]]);
  });

  it.each<[string, ErrorPolicy<ConfigMapSet, SetCtx>, number[]]>([
    ['requeueAfter(1 s) from the policy', () => Action.requeueAfter(1_000), [0, 1_000, 2_000, 3_000]],
    ['a policy growing with ctx.retries', (_e, _o, ctx) => Action.requeueAfter(100 * (ctx.retries + 1)), [0, 100, 200, 300]],
    ['awaitChange from the policy', () => Action.awaitChange(), [0]],
    ['a policy that throws (falls back to backoff)', () => { throw new Error('bad policy'); }, [0, 5, 15, 35]],
  ])('lets the error policy pick the retry: %s', async (_name, policy, expected) => {
    await using env = await newEnv();
    const at: number[] = [];
    const c = start(env, Controller.for<ConfigMapSet>(SetKind), async () => {
      at.push(env.clock.now());
      throw new Error('nope');
    }, setCtx, policy);
    await env.client.create(set('web', 1));
    await until(() => at.length === 1);
    const horizon = expected.at(-1)! + 1;
    if (horizon > 100) for (let t = 0; t < horizon; t += 50) await env.clock.advance(50);
    else await step(env, horizon);
    await settle();
    expect(at.map((t) => t - at[0])).toEqual(expected);
    await c.stop();
  });

  it('uses the rate limiter given in withConfig', async () => {
    await using env = await newEnv();
    const at: number[] = [];
    const builder = Controller.for<ConfigMapSet>(SetKind).withConfig({ rateLimiter: createItemExponentialFailureRateLimiter({ baseDelayMs: 100, maxDelayMs: 150 }) });
    const c = start(env, builder, async () => {
      at.push(env.clock.now());
      return Action.requeue();
    }, setCtx);
    await env.client.create(set('web', 1));
    await until(() => at.length === 1);
    for (let i = 0; i < 8; i++) await env.clock.advance(50);
    expect(at.map((t) => t - at[0])).toEqual([0, 100, 250, 400]);
    await c.stop();
  });
});

describe('Controller: requeues and concurrency', () => {
  it('requeues after the delay Action.requeueAfter gives, on the fake clock', async () => {
    await using env = await newEnv();
    const at: number[] = [];
    const c = start(env, Controller.for<ConfigMapSet>(SetKind), async () => (at.push(env.clock.now()), Action.requeueAfter(30_000)), setCtx);
    await env.client.create(set('web', 1));
    await until(() => at.length === 1);
    await env.clock.advance(29_999);
    expect(at).toHaveLength(1);
    await env.clock.advance(1);
    await until(() => at.length === 2);
    await env.clock.advance(30_000);
    await until(() => at.length === 3);
    expect(at.map((t) => t - at[0])).toEqual([0, 30_000, 60_000]);
    await c.stop();
  });

  it('never reconciles one key twice at once, and runs `concurrency` keys in parallel', async () => {
    await using env = await newEnv();
    const inFlight = new Set<string>();
    let active = 0;
    let maxActive = 0;
    let overlaps = 0;
    const lastSeenReplicas = new Map<string, number>();
    const c = start(env, Controller.for<ConfigMapSet>(SetKind).withConfig({ concurrency: 3 }), async (s, ctx, signal) => {
      if (inFlight.has(ctx.key)) overlaps++;
      inFlight.add(ctx.key);
      maxActive = Math.max(maxActive, ++active);
      try {
        await env.clock.sleep(10, signal);
      } finally {
        active--;
        inFlight.delete(ctx.key);
      }
      lastSeenReplicas.set(ctx.key, s.spec.replicas);
      return Action.awaitChange();
    }, setCtx);
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const n of names) await env.client.create(set(n, 1));
    await until(() => active === 3, 'three workers busy');
    // Change every object several times while some are being reconciled.
    for (let round = 2; round <= 4; round++) {
      for (const n of names) await env.client.patch(SetKind.apiVersion, SetKind.kind, 'default', n, { spec: { replicas: round } });
      await env.clock.advance(3);
    }
    for (let i = 0; i < 20; i++) await env.clock.advance(10);
    expect(overlaps).toBe(0);
    expect(maxActive).toBe(3);
    // Level-triggered: whatever collapsed, each key's last reconcile saw its latest state.
    expect(Object.fromEntries(lastSeenReplicas)).toEqual(Object.fromEntries(names.map((n) => [`default/${n}`, 4])));
    await c.stop();
  });

  it('aborts the reconcile signal on stop and waits for the reconcile in flight', async () => {
    await using env = await newEnv();
    let aborted = false;
    let finished = false;
    const c = start(env, Controller.for<ConfigMapSet>(SetKind), async (_s, _ctx, signal) => {
      await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
      aborted = signal.aborted;
      await settle(5);
      finished = true;
      return Action.awaitChange();
    }, setCtx);
    await env.client.create(set('web', 1));
    await until(() => c.informers.forKind(SetKind.apiVersion, SetKind.kind).cache.size === 1);
    await settle();
    await c.stop();
    expect([aborted, finished]).toEqual([true, true]);
    expect(await warningEvents(env, 'web')).toEqual([]);
  });
});

describe('Controller: event filters', () => {
  type Change = [string, (env: TestEnv) => Promise<unknown>];
  const labelChange: Change = ['a label change', (env) => env.client.patch(SetKind.apiVersion, SetKind.kind, 'default', 'web', { metadata: { labels: { tier: 'x' } } })];
  const annotationChange: Change = ['an annotation change', (env) => env.client.patch(SetKind.apiVersion, SetKind.kind, 'default', 'web', { metadata: { annotations: { note: 'x' } } })];
  const specChange: Change = ['a spec change', (env) => env.client.patch(SetKind.apiVersion, SetKind.kind, 'default', 'web', { spec: { replicas: 7 } })];

  it.each<[string, string, () => Predicate, Change, boolean]>([
    ['generationChanged()', 'a spec change', generationChanged, specChange, true],
    ['generationChanged()', 'a label change', generationChanged, labelChange, false],
    ['generationChanged()', 'an annotation change', generationChanged, annotationChange, false],
    ['labelsChanged()', 'a label change', labelsChanged, labelChange, true],
    ['labelsChanged()', 'a spec change', labelsChanged, specChange, false],
    ['annotationsChanged()', 'an annotation change', annotationsChanged, annotationChange, true],
    ['annotationsChanged()', 'a label change', annotationsChanged, labelChange, false],
    ['resourceVersionChanged()', 'a label change', resourceVersionChanged, labelChange, true],
  ])('with %s as event filter, %s reconciles again: %s', async (_p, _c, makePredicate, [, change], expected) => {
    await using env = await newEnv();
    let calls = 0;
    const c = start(env, Controller.for<ConfigMapSet>(SetKind).withEventFilter(makePredicate()), async () => (calls++, Action.awaitChange()), setCtx);
    await env.client.create(set('web', 1));
    await until(() => calls === 1, 'the create passes');
    const changed = (await change(env)) as KubeObject;
    const cache = c.informers.forKind(SetKind.apiVersion, SetKind.kind).cache;
    await until(() => cache.get('default/web')?.metadata?.resourceVersion === changed.metadata?.resourceVersion, 'the cache sees the change');
    await settle();
    expect(calls).toBe(expected ? 2 : 1);
    await c.stop();
  });

  it('applies withEventFilter to owned kinds too, and per-watch predicates only to their own kind', async () => {
    await using env = await newEnv();
    const seen: string[] = [];
    const onlyCreates: Predicate = { update: () => false, delete: () => false };
    const builder = Controller.for<ConfigMapSet>(SetKind, { predicates: [generationChanged()] }).owns('v1', 'ConfigMap', { predicates: [onlyCreates] });
    const c = start(env, builder, async (s, ctx, signal) => (seen.push(ctx.key), reconcileSet(s, ctx, signal)), setCtx);
    await env.client.create(set('web', 1));
    await until(async () => (await ownedNames(env, 'web')).length === 1);
    await settle();
    const n = seen.length;
    await env.client.delete('v1', 'ConfigMap', 'default', 'web-0');
    await env.client.patch(SetKind.apiVersion, SetKind.kind, 'default', 'web', { metadata: { labels: { a: 'b' } } });
    await settle();
    expect(seen.length).toBe(n);
    await c.stop();
  });
});

describe('Controller.for and withConfig', () => {
  it.each([
    ['0 workers', 0],
    ['a fraction', 1.5],
    ['a negative count', -2],
  ])('refuses a concurrency of %s', (_name, concurrency) => {
    expect(() => Controller.for('v1', 'ConfigMap').withConfig({ concurrency })).toThrow(/concurrency must be an integer >= 1/);
  });

  it('names the controller after the kind unless told otherwise, and keeps builders immutable', () => {
    const base = Controller.for('apps/v1', 'ReplicaSet');
    const named = base.withConfig({ name: 'rs', concurrency: 4 });
    const noop: Reconcile<ApiObject> = async () => Action.awaitChange();
    expect([base.build(noop).name, base.build(noop).concurrency]).toEqual(['replicaset', 1]);
    expect([named.build(noop).name, named.build(noop).concurrency]).toEqual(['rs', 4]);
    expect(Controller.for({ apiVersion: 'v1', kind: 'Pod' }).build(noop).forKind).toEqual({ apiVersion: 'v1', kind: 'Pod' });
  });

  it('refuses to start before setup, and to be set up by a second factory', async () => {
    await using env = await newEnv();
    const c = Controller.for('v1', 'ConfigMap').build(async () => Action.awaitChange());
    await expect(c.start(new AbortController().signal)).rejects.toThrow(/start before setup/);
    const a = createSharedInformerFactory(env.client, { clock: env.clock });
    const b = createSharedInformerFactory(env.client, { clock: env.clock });
    c.setup({ client: env.client, clock: env.clock, informers: a });
    expect(() => c.setup({ client: env.client, clock: env.clock, informers: b })).toThrow(/already set up/);
  });

  it('hands the reconcile a frozen object from the cache, keyed namespace/name', async () => {
    await using env = await newEnv();
    const got: { key: string; frozen: boolean; controller: string }[] = [];
    const c = start(env, Controller.for<ConfigMapSet>(SetKind).withConfig({ name: 'sets' }), async (s, ctx) => {
      got.push({ key: keyOf(s), frozen: Object.isFrozen(s) && Object.isFrozen(s.spec), controller: ctx.controller });
      return Action.awaitChange();
    }, setCtx);
    await env.client.create(set('web', 1));
    await until(() => got.length === 1);
    expect(got).toEqual([{ key: 'default/web', frozen: true, controller: 'sets' }]);
    await c.stop();
  });
});
