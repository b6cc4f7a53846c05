// The custom-controller example's reconciler (examples/custom-controller/website.ts), run
// on createTestEnv with the fake clock beside the built-in Deployment and ReplicaSet
// controllers and the garbage collector. Importing it from the example keeps the
// example from rotting: if its reconciler breaks, this fails.
import { createScheme, isApiError, type Deployment, type Event } from '@bosun/api';
import { createTestEnv, type TestEnv } from '@bosun/apiserver';
import { createManager, type Manager } from '@bosun/controller-runtime';
import { addDeploymentController, addGarbageCollector, addReplicaSetController, makePodsReady, waitFor } from '@bosun/controllers';
import { afterEach, describe, expect, it } from 'vitest';
import { WEBSITE_FINALIZER, WEBSITE_LABEL, addWebsiteController, createDnsRegistry, desiredDeployment, registerWebsite, type Website } from '../../examples/custom-controller/website';

interface Setup {
  env: TestEnv;
  manager: Manager;
  dns: ReturnType<typeof createDnsRegistry>;
  errors: string[];
}
const running: Setup[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) {
    await s.manager.stop();
    await s.env.stop();
  }
});

async function setup(): Promise<Setup> {
  const scheme = createScheme();
  registerWebsite(scheme);
  const env = await createTestEnv({ scheme });
  const errors: string[] = [];
  const manager = createManager({ client: env.client, clock: env.clock, logger: { warn: () => {}, error: (m) => errors.push(m) } });
  addDeploymentController(manager);
  addReplicaSetController(manager);
  addGarbageCollector(manager, { scheme });
  const dns = createDnsRegistry();
  addWebsiteController(manager, { dns });
  await manager.start();
  const s = { env, manager, dns, errors };
  running.push(s);
  return s;
}

const website = (name: string, spec: Partial<Website['spec']> = {}): Website => ({
  apiVersion: 'example.com/v1',
  kind: 'Website',
  metadata: { name, namespace: 'default' },
  spec: { image: 'nginx:1.27', replicas: 3, domain: `${name}.example.com`, ...spec },
});
const getSite = (s: Setup, name: string) => s.env.client.get('example.com/v1', 'Website', 'default', name).catch(() => undefined);
const getDeploy = (s: Setup, name: string) => s.env.client.get('apps/v1', 'Deployment', 'default', name).catch(() => undefined) as Promise<Deployment | undefined>;
const livePods = async (s: Setup, site: string) =>
  (await s.env.client.list('v1', 'Pod', { namespace: 'default', labelSelector: `${WEBSITE_LABEL}=${site}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
const siteEvents = async (s: Setup, name: string): Promise<Event[]> =>
  (await s.env.client.list('v1', 'Event', { namespace: 'default' })).items.filter((e) => e.involvedObject?.kind === 'Website' && e.involvedObject.name === name);

/** Creates a Website and drives it to Available, playing the node agent for its pods. */
async function available(s: Setup, w: Website): Promise<Website> {
  await s.env.client.create(w);
  const n = w.spec.replicas ?? 1;
  await waitFor(s.env, async () => (await livePods(s, w.metadata.name!)).length === n, `${n} pods`);
  await makePodsReady(s.env, `${WEBSITE_LABEL}=${w.metadata.name}`);
  await waitFor(s.env, async () => (await getSite(s, w.metadata.name!))?.status?.phase === 'Available', 'website Available');
  return (await getSite(s, w.metadata.name!))!;
}

describe('the Website kind registration', () => {
  it('defaults replicas to 1', async () => {
    const s = await setup();
    const { spec } = website('a');
    const w: Website = { ...website('a'), spec: { image: spec.image, domain: spec.domain } };
    const created = await s.env.client.create(w);
    expect(created.spec.replicas).toBe(1);
  });

  it.each([
    ['a missing image', { image: '' }, 'spec.image'],
    ['negative replicas', { replicas: -1 }, 'spec.replicas'],
    ['a domain that is not a DNS name', { domain: 'Not_A_Domain' }, 'spec.domain'],
  ])('refuses %s with a 422 naming the field', async (_name, spec, field) => {
    const s = await setup();
    const err = await s.env.client.create(website('bad', spec)).catch((e: unknown) => e);
    expect(isApiError(err) && err.code).toBe(422);
    expect(isApiError(err) && err.causes.map((c) => c.field)).toEqual([field]);
  });

  it('refuses to change the domain of an existing Website', async () => {
    const s = await setup();
    const w = await s.env.client.create(website('a'));
    const err = await s.env.client.update({ ...w, spec: { ...w.spec, domain: 'b.example.com' } }).catch((e: unknown) => e);
    expect(isApiError(err) && err.causes[0]?.message).toMatch(/immutable/);
  });
});

describe('the Website controller', () => {
  it('creates a Deployment it controls, adds its finalizer, and reports Available once the pods are ready', async () => {
    const s = await setup();
    const w = await available(s, website('shop'));
    const d = (await getDeploy(s, 'shop'))!;
    expect(d.metadata?.ownerReferences).toEqual([{ apiVersion: 'example.com/v1', kind: 'Website', name: 'shop', uid: w.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(d.spec?.replicas).toBe(3);
    expect(d.spec?.template.spec?.containers[0].image).toBe('nginx:1.27');
    expect(w.metadata.finalizers).toEqual([WEBSITE_FINALIZER]);
    expect(w.status).toMatchObject({ phase: 'Available', replicas: 3, readyReplicas: 3, availableReplicas: 3, url: 'https://shop.example.com', observedGeneration: w.metadata.generation });
    expect(s.dns.holder('shop.example.com')).toBe('default/shop');
    expect((await siteEvents(s, 'shop')).map((e) => e.reason)).toEqual(expect.arrayContaining(['DomainRegistered', 'CreatedDeployment', 'Available']));
    expect(s.errors).toEqual([]);
  });

  it('scales the Deployment when the Website is scaled through its scale subresource', async () => {
    const s = await setup();
    await available(s, website('shop'));
    await s.env.client.patch('example.com/v1', 'Website', 'default', 'shop', { spec: { replicas: 5 } }, { type: 'merge', subresource: 'scale' });
    await waitFor(s.env, async () => (await livePods(s, 'shop')).length === 5, '5 pods');
    expect((await getSite(s, 'shop'))?.status?.phase).toBe('Progressing');
    await makePodsReady(s.env, `${WEBSITE_LABEL}=shop`);
    await waitFor(s.env, async () => (await getSite(s, 'shop'))?.status?.availableReplicas === 5, '5 available');
    expect((await getDeploy(s, 'shop'))?.spec?.replicas).toBe(5);
  });

  it('rolls the Deployment to a new image', async () => {
    const s = await setup();
    const w = await available(s, website('shop'));
    await s.env.client.update({ ...w, spec: { ...w.spec, image: 'nginx:1.28' } });
    await waitFor(s.env, async () => (await getDeploy(s, 'shop'))?.spec?.template.spec?.containers[0].image === 'nginx:1.28', 'new image');
    // Drive the rollout: ready each new pod as it appears.
    await waitFor(
      s.env,
      async () => {
        await makePodsReady(s.env, `${WEBSITE_LABEL}=shop`);
        const site = await getSite(s, 'shop');
        const pods = await livePods(s, 'shop');
        return site?.status?.phase === 'Available' && pods.length === 3 && pods.every((p) => p.spec?.containers[0].image === 'nginx:1.28');
      },
      'rollout to nginx:1.28',
    );
  });

  it('puts an existing Deployment back when someone edits it', async () => {
    const s = await setup();
    await available(s, website('shop'));
    const d = (await getDeploy(s, 'shop'))!;
    await s.env.client.update({ ...d, spec: { ...d.spec!, replicas: 1 } });
    await waitFor(s.env, async () => (await getDeploy(s, 'shop'))?.spec?.replicas === 3 && (await livePods(s, 'shop')).length === 3, 'replicas restored');
  });

  it('does not retry a Website whose domain is taken (TerminalError) and records a Warning', async () => {
    const s = await setup();
    await available(s, website('shop'));
    await s.env.client.create(website('copycat', { domain: 'shop.example.com', replicas: 1 }));
    await waitFor(s.env, async () => (await siteEvents(s, 'copycat')).some((e) => e.reason === 'ReconcileError'), 'ReconcileError event');
    const errorsSoFar = s.errors.length;
    await s.env.clock.advance(60_000);
    await waitFor(s.env, () => true);
    expect(s.errors.length).toBe(errorsSoFar);
    expect(await getDeploy(s, 'copycat')).toBeUndefined();
    const warning = (await siteEvents(s, 'copycat')).find((e) => e.reason === 'ReconcileError');
    expect(warning).toMatchObject({ type: 'Warning', message: 'domain shop.example.com is already served by website default/shop' });
  });

  it('refuses to take over a Deployment it does not control', async () => {
    const s = await setup();
    const foreign = desiredDeployment({ ...website('shop'), metadata: { name: 'shop', namespace: 'default', uid: 'someone-else' } });
    await s.env.client.create({ ...foreign, metadata: { ...foreign.metadata, ownerReferences: undefined } });
    await s.env.client.create(website('shop'));
    await waitFor(s.env, async () => (await siteEvents(s, 'shop')).some((e) => e.reason === 'ReconcileError'), 'ReconcileError event');
    expect((await getDeploy(s, 'shop'))?.metadata?.ownerReferences).toBeUndefined();
  });

  it('on delete, releases the domain through the finalizer, and the garbage collector removes the Deployment and its pods', async () => {
    const s = await setup();
    await available(s, website('shop'));
    await s.env.client.delete('example.com/v1', 'Website', 'default', 'shop');
    await waitFor(s.env, async () => !(await getSite(s, 'shop')), 'website gone');
    expect(s.dns.holder('shop.example.com')).toBeUndefined();
    await waitFor(s.env, async () => !(await getDeploy(s, 'shop')) && (await livePods(s, 'shop')).length === 0, 'cascade');
    const rss = await s.env.client.list('apps/v1', 'ReplicaSet', { namespace: 'default' });
    expect(rss.items).toEqual([]);
    expect((await siteEvents(s, 'shop')).map((e) => e.reason)).toContain('DomainReleased');
  });

  it('lets the domain be used again once its Website is gone', async () => {
    const s = await setup();
    await available(s, website('shop'));
    await s.env.client.delete('example.com/v1', 'Website', 'default', 'shop');
    await waitFor(s.env, async () => !(await getSite(s, 'shop')), 'website gone');
    await available(s, website('shop2', { domain: 'shop.example.com', replicas: 1 }));
    expect(s.dns.holder('shop.example.com')).toBe('default/shop2');
  });
});
