import { createScheme, isNotFound, type KubeObject } from '@bosun/api';
import { createTestEnv, type Logger, type TestEnv } from '@bosun/apiserver';
import { describe, expect, it } from 'vitest';
import { Controller } from './controller';
import { ensureFinalizer, finalizer, hasFinalizer, removeFinalizer } from './finalizers';
import { Action } from './reconcile';
import { createSharedInformerFactory } from './shared-informers';

const F = 'example.com/cleanup';

interface Widget extends KubeObject {
  metadata: NonNullable<KubeObject['metadata']> & { name: string; namespace: string };
  spec: { size: number };
}
const WidgetKind = { apiVersion: 'example.com/v1', kind: 'Widget' } as const;
const widget = (name: string, finalizers?: string[]): Widget => ({ ...WidgetKind, metadata: { name, namespace: 'default', finalizers }, spec: { size: 1 } });

async function newEnv(): Promise<TestEnv> {
  const scheme = createScheme();
  scheme.register({ group: 'example.com', version: 'v1', kind: 'Widget', plural: 'widgets', namespaced: true });
  return createTestEnv({ scheme });
}

const get = (env: TestEnv, name: string) => env.client.get(WidgetKind.apiVersion, WidgetKind.kind, 'default', name);
const gone = (env: TestEnv, name: string) => get(env, name).then(() => false, (e) => isNotFound(e));

async function until(cond: () => boolean | Promise<boolean>, what = 'condition'): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await cond()) return;
    await new Promise<void>((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const quiet: Logger = { warn: () => {}, error: () => {} };

describe('ensureFinalizer', () => {
  it.each([
    ['adds it to an object without finalizers', undefined, [F], true],
    ['appends it after the finalizers already there', ['other.io/x'], ['other.io/x', F], true],
    ['writes nothing when it is already there', ['other.io/x', F], ['other.io/x', F], false],
  ])('%s', async (_name, initial, expected, writes) => {
    await using env = await newEnv();
    const created = await env.client.create(widget('w', initial));
    const after = await ensureFinalizer(env.client, created, F);
    expect(after?.metadata?.finalizers).toEqual(expected);
    expect(after?.metadata?.resourceVersion !== created.metadata!.resourceVersion).toBe(writes);
    expect((await get(env, 'w')).metadata!.finalizers).toEqual(expected);
  });

  it('retries on conflict with the latest version, keeping the other writer’s change', async () => {
    await using env = await newEnv();
    const stale = await env.client.create(widget('w'));
    await env.client.patch(WidgetKind.apiVersion, WidgetKind.kind, 'default', 'w', { metadata: { labels: { by: 'someone-else' } } });
    const after = await ensureFinalizer(env.client, Object.freeze(stale), F);
    expect(after?.metadata).toMatchObject({ finalizers: [F], labels: { by: 'someone-else' } });
  });

  it('adds nothing to an object being deleted (the API forbids it)', async () => {
    await using env = await newEnv();
    await env.client.create(widget('w', ['other.io/x']));
    const deleting = await env.client.delete(WidgetKind.apiVersion, WidgetKind.kind, 'default', 'w');
    const after = await ensureFinalizer(env.client, deleting, F);
    expect(after?.metadata?.finalizers).toEqual(['other.io/x']);
    expect(hasFinalizer((await get(env, 'w')) as KubeObject, F)).toBe(false);
  });
});

describe('removeFinalizer', () => {
  it.each([
    ['removes it and keeps the others', [F, 'other.io/x'], ['other.io/x']],
    ['writes nothing when it is absent', ['other.io/x'], ['other.io/x']],
  ])('%s', async (_name, initial, expected) => {
    await using env = await newEnv();
    const created = await env.client.create(widget('w', initial));
    const after = await removeFinalizer(env.client, created, F);
    expect(after?.metadata?.finalizers).toEqual(expected);
    expect((await get(env, 'w')).metadata!.finalizers).toEqual(expected);
  });

  it('lets the API delete an object being deleted once its last finalizer is gone, and resolves undefined', async () => {
    await using env = await newEnv();
    await env.client.create(widget('w', [F]));
    const deleting = await env.client.delete(WidgetKind.apiVersion, WidgetKind.kind, 'default', 'w');
    expect(deleting.metadata!.deletionTimestamp).toBeDefined();
    expect(await removeFinalizer(env.client, deleting, F)).toBeUndefined();
    expect(await gone(env, 'w')).toBe(true);
  });

  it('resolves undefined for an object that no longer exists', async () => {
    await using env = await newEnv();
    const created = await env.client.create(widget('w', [F]));
    await env.client.patch(WidgetKind.apiVersion, WidgetKind.kind, 'default', 'w', { metadata: { labels: { a: 'b' } } }); // make `created` stale
    await env.client.update({ ...(await get(env, 'w')), metadata: { ...(await get(env, 'w')).metadata, finalizers: [] } });
    await env.client.delete(WidgetKind.apiVersion, WidgetKind.kind, 'default', 'w');
    expect(await removeFinalizer(env.client, created, F)).toBeUndefined();
  });
});

describe('finalizer(): a reconcile that cleans up before deletion', () => {
  it.each<[string, (Action | undefined)[], number]>([
    ['cleanup done at once', [undefined], 1],
    ['cleanup that returns awaitChange', [Action.awaitChange()], 1],
    ['cleanup still under way twice (requeueAfter), then done', [Action.requeueAfter(1_000), Action.requeueAfter(1_000), undefined], 3],
  ])('adds the finalizer, applies, and on deletion runs the cleanup before the object goes: %s', async (_name, cleanupResults, cleanups) => {
    await using env = await newEnv();
    const trace: string[] = [];
    const informers = createSharedInformerFactory(env.client, { clock: env.clock, logger: quiet });
    const ac = new AbortController();
    const reconcile = finalizer<Widget>(F, {
      apply: async (w) => (trace.push(`apply finalizers=${w.metadata.finalizers?.join()}`), Action.awaitChange()),
      cleanup: async (w) => {
        trace.push(`cleanup deleting=${!!w.metadata.deletionTimestamp}`);
        return cleanupResults.shift();
      },
    });
    const done = Controller.for<Widget>(WidgetKind).run(reconcile, undefined, {}, { signal: ac.signal, client: env.client, informers, clock: env.clock, recorder: env.recorder('w'), logger: quiet });
    await env.client.create(widget('w'));
    await until(() => trace.length === 1, 'apply after the finalizer was added');
    expect(trace).toEqual([`apply finalizers=${F}`]);
    expect((await get(env, 'w')).metadata!.finalizers).toEqual([F]);

    await env.client.delete(WidgetKind.apiVersion, WidgetKind.kind, 'default', 'w');
    for (let i = 0; i < cleanups; i++) {
      await until(() => trace.filter((t) => t.startsWith('cleanup')).length === i + 1, `cleanup #${i + 1}`);
      if (i + 1 < cleanups) {
        expect(await gone(env, 'w')).toBe(false);
        await env.clock.advance(1_000);
      }
    }
    await until(() => gone(env, 'w'), 'the object is deleted');
    expect(trace.slice(1)).toEqual(Array(cleanups).fill('cleanup deleting=true'));
    ac.abort();
    await done;
    await informers.shutdown();
  });

  it('does nothing for an object being deleted that does not carry the finalizer', async () => {
    await using env = await newEnv();
    const calls: string[] = [];
    const reconcile = finalizer<Widget>(F, { apply: async () => (calls.push('apply'), Action.awaitChange()), cleanup: async () => void calls.push('cleanup') });
    await env.client.create(widget('w', ['other.io/x']));
    const deleting = (await env.client.delete(WidgetKind.apiVersion, WidgetKind.kind, 'default', 'w')) as unknown as Widget;
    const ctx = { client: env.client } as Parameters<typeof reconcile>[1];
    expect(await reconcile(deleting, ctx, new AbortController().signal)).toBe(Action.awaitChange());
    expect(calls).toEqual([]);
  });
});
