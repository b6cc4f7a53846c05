import { describe, expect, it } from 'vitest';
import type { Event } from '@bosun/api';
import { createClient, createEventRecorder, createTestEnv, formatMessage, type Client } from '../src/index';
import { deployment, namespace } from './fixtures';

describe('event recorder', () => {
  it('records an Event about an object with the involved object, source and timestamps', async () => {
    await using env = await createTestEnv();
    const d = await env.client.create(deployment('web'));
    const rec = env.recorder('deployment-controller', 'node-1');
    rec.event(d, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set web-abc to 3');
    await rec.flush();
    const list = await env.client.list('v1', 'Event', { namespace: 'default' });
    expect(list.items).toHaveLength(1);
    const ev = list.items[0];
    expect(ev.metadata.name).toMatch(/^web\.[0-9a-f]+$/);
    expect(ev.involvedObject).toEqual({ kind: 'Deployment', namespace: 'default', name: 'web', uid: d.metadata!.uid, apiVersion: 'apps/v1', resourceVersion: d.metadata!.resourceVersion });
    expect(ev).toMatchObject({
      type: 'Normal',
      reason: 'ScalingReplicaSet',
      message: 'Scaled up replica set web-abc to 3',
      source: { component: 'deployment-controller', host: 'node-1' },
      count: 1,
      firstTimestamp: '2026-01-01T00:00:00Z',
      lastTimestamp: '2026-01-01T00:00:00Z',
      reportingComponent: 'deployment-controller',
      reportingInstance: 'node-1',
    });
  });

  it('aggregates identical events into one with a count, and keeps different ones apart', async () => {
    await using env = await createTestEnv();
    const d = await env.client.create(deployment('web'));
    const rec = env.recorder('kubelet');
    rec.event(d, 'Warning', 'BackOff', 'Back-off restarting failed container');
    await env.clock.advance(10_000);
    rec.event(d, 'Warning', 'BackOff', 'Back-off restarting failed container');
    await env.clock.advance(10_000);
    rec.eventf(d, 'Warning', 'BackOff', 'Back-off %s failed container', 'restarting');
    rec.event(d, 'Normal', 'Pulled', 'Container image pulled');
    await rec.flush();
    const events = (await env.client.list('v1', 'Event', { namespace: 'default' })).items as Event[];
    const backoff = events.find((e) => e.reason === 'BackOff')!;
    expect(events).toHaveLength(2);
    expect(backoff.count).toBe(3);
    expect(backoff.firstTimestamp).toBe('2026-01-01T00:00:00Z');
    expect(backoff.lastTimestamp).toBe('2026-01-01T00:00:20Z');
    expect(events.find((e) => e.reason === 'Pulled')!.count).toBe(1);
  });

  it('starts a new Event after the aggregation window', async () => {
    await using env = await createTestEnv();
    const d = await env.client.create(deployment('web'));
    const rec = createEventRecorder(env.client, { component: 'c', aggregationWindowMs: 60_000 }, env.clock);
    rec.event(d, 'Normal', 'R', 'm');
    await env.clock.advance(61_000);
    rec.event(d, 'Normal', 'R', 'm');
    await rec.flush();
    expect((await env.client.list('v1', 'Event', { namespace: 'default' })).items).toHaveLength(2);
  });

  it('records events about cluster-scoped objects in default', async () => {
    await using env = await createTestEnv();
    const ns = await env.client.create(namespace('team'));
    const rec = env.recorder('namespace-controller');
    rec.event(ns, 'Normal', 'Created', 'ok');
    await rec.flush();
    const ev = (await env.client.list('v1', 'Event', { namespace: 'default' })).items[0];
    expect(ev.involvedObject.name).toBe('team');
    expect(ev.involvedObject.namespace).toBeUndefined();
  });

  it('never throws to the caller and logs failures instead', async () => {
    const warnings: string[] = [];
    await using env = await createTestEnv();
    const failing: Client = {
      ...createClient(env.server),
      create: async () => {
        throw new Error('api down');
      },
    };
    const rec = createEventRecorder(failing, { component: 'c', logger: { warn: (m) => void warnings.push(m) } });
    expect(() => rec.event({ kind: 'Pod', metadata: { name: 'p', namespace: 'default' } }, 'Normal', 'R', 'm')).not.toThrow();
    expect(() => rec.event(null as never, 'Normal', 'R', 'm')).not.toThrow();
    await rec.flush();
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('api down');
  });

  it('returns at once even when the API is slow', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await using env = await createTestEnv();
    const slow: Client = {
      ...env.client,
      create: async (obj) => {
        await gate;
        return env.client.create(obj);
      },
    };
    const rec = createEventRecorder(slow, { component: 'c' }, env.clock);
    const d = await env.client.create(deployment('web'));
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) rec.event(d, 'Normal', 'R', `m${i}`);
    expect(performance.now() - t0).toBeLessThan(50);
    release();
    await rec.flush();
    expect((await env.client.list('v1', 'Event', { namespace: 'default' })).items).toHaveLength(100);
  });
});

describe('formatMessage', () => {
  it.each([
    ['%s has %d replicas', ['web', 3.7], 'web has 3 replicas'],
    ['quoted %q', ['a b'], 'quoted "a b"'],
    ['100%% %v', [{ a: 1 }], '100% {"a":1}'],
    ['missing %s', [], 'missing %!s(MISSING)'],
  ])('%s', (format, args, expected) => {
    expect(formatMessage(format, args)).toBe(expected);
  });
});
