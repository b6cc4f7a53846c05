import { keyOf, type KubeObject } from '@bosun/api';
import { createTestEnv, type Logger } from '@bosun/apiserver';
import { describe, expect, it } from 'vitest';
import { informerBackoff } from './backoff';
import { createSharedInformerFactory, type ForKindOptions } from './shared-informers';

const pod = (name: string, ns = 'default', labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

const logger: Logger = { warn: () => {}, error: () => {} };

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise<void>((r) => setImmediate(r));
  if (!cond()) throw new Error('timed out');
}

describe('createSharedInformerFactory', () => {
  it.each<[string, [string, string, ForKindOptions?], [string, string, ForKindOptions?], boolean]>([
    ['the same kind twice', ['v1', 'Pod'], ['v1', 'Pod'], true],
    ['the same kind with the same selector', ['v1', 'Pod', { labelSelector: 'a=b' }], ['v1', 'Pod', { labelSelector: 'a=b' }], true],
    ['the same kind, with a different resync period', ['v1', 'Pod'], ['v1', 'Pod', { resyncPeriodMs: 5 }], true],
    ['two kinds', ['v1', 'Pod'], ['apps/v1', 'ReplicaSet'], false],
    ['the same kind in two namespaces', ['v1', 'Pod', { namespace: 'a' }], ['v1', 'Pod', { namespace: 'b' }], false],
    ['the same kind with and without a label selector', ['v1', 'Pod'], ['v1', 'Pod', { labelSelector: 'a=b' }], false],
    ['the same kind with two field selectors', ['v1', 'Pod', { fieldSelector: 'spec.nodeName=a' }], ['v1', 'Pod', { fieldSelector: 'spec.nodeName=b' }], false],
  ])('shares one informer only for the same kind and options: %s → %s', async (_name, a, b, same) => {
    await using env = await createTestEnv();
    const f = createSharedInformerFactory(env.client, { clock: env.clock, logger });
    expect(f.forKind(...a) === f.forKind(...b)).toBe(same);
    expect(f.informers()).toHaveLength(same ? 1 : 2);
  });

  it('feeds every controller from one watch per kind and syncs them all', async () => {
    await using env = await createTestEnv();
    await env.client.create(pod('a'));
    const f = createSharedInformerFactory(env.client, { clock: env.clock, logger });
    const seenByRs: string[] = [];
    const seenByDeploy: string[] = [];
    f.forKind('v1', 'Pod').addEventHandler({ onAdd: (p) => seenByRs.push(keyOf(p)) });
    f.forKind('v1', 'Pod').addEventHandler({ onAdd: (p) => seenByDeploy.push(keyOf(p)) });
    f.forKind('apps/v1', 'ReplicaSet');
    const ac = new AbortController();
    f.start(ac.signal);
    expect(await f.waitForCacheSync(ac.signal)).toBe(true);
    await env.client.create(pod('b'));
    await until(() => seenByDeploy.length === 2);
    expect(seenByRs).toEqual(['default/a', 'default/b']);
    expect(seenByDeploy).toEqual(['default/a', 'default/b']);
    expect(f.forKind('v1', 'Pod').stats()).toMatchObject({ lists: 1, watches: 1 });
    ac.abort();
    await f.shutdown();
    expect(f.informers().every((i) => !i.isRunning())).toBe(true);
  });

  it('starts an informer created after start at once', async () => {
    await using env = await createTestEnv();
    await env.client.create(pod('a'));
    const f = createSharedInformerFactory(env.client, { clock: env.clock, logger });
    f.start();
    const late = f.forKind('v1', 'Pod');
    expect(late.isRunning()).toBe(true);
    expect(await f.waitForCacheSync()).toBe(true);
    expect(late.cache.keys()).toEqual(['default/a']);
    await f.shutdown();
  });

  it('applies the factory namespace and resync period, and one backoff per informer', async () => {
    await using env = await createTestEnv();
    await env.client.create(pod('a'));
    await env.client.create(pod('dns', 'kube-system'));
    let backoffs = 0;
    const f = createSharedInformerFactory(env.client, {
      clock: env.clock,
      logger,
      namespace: 'default',
      resyncPeriodMs: 10_000,
      backoff: () => (backoffs++, informerBackoff(() => 0)),
    });
    const pods = f.forKind('v1', 'Pod');
    const all = f.forKind('v1', 'Pod', { namespace: '' });
    const resyncs: string[] = [];
    pods.addEventHandler({ onUpdate: (o, n) => o === n && resyncs.push(keyOf(n)) });
    f.start();
    await f.waitForCacheSync();
    expect(pods.cache.keys()).toEqual(['default/a']);
    expect(all.cache.keys().sort()).toEqual(['default/a', 'kube-system/dns']);
    await env.clock.advance(10_000);
    expect(resyncs).toEqual(['default/a']);
    expect(backoffs).toBe(2);
    await f.shutdown();
  });

  it('reports false from waitForCacheSync when an informer cannot sync before the signal aborts', async () => {
    await using env = await createTestEnv();
    const f = createSharedInformerFactory(env.client, { clock: env.clock, logger });
    f.forKind('v1', 'Pod');
    f.forKind('v1', 'NoSuchKind');
    f.start();
    const ac = new AbortController();
    const synced = f.waitForCacheSync(ac.signal);
    await until(() => f.informers()[0].hasSynced());
    ac.abort();
    expect(await synced).toBe(false);
    await f.shutdown();
  });

  it('stops informers created after shutdown at once', async () => {
    await using env = await createTestEnv();
    const f = createSharedInformerFactory(env.client, { clock: env.clock, logger });
    f.start();
    await f.shutdown();
    const inf = f.forKind('v1', 'Pod');
    expect(inf.isRunning()).toBe(false);
    expect(await inf.waitForSync()).toBe(false);
  });
});
