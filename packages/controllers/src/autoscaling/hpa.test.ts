import { decodeAll, rfc3339, type autoscaling, type Deployment, type HorizontalPodAutoscaler, type Pod } from '@bosun/api';
import type { Client } from '@bosun/apiserver';
import { describe, expect, it } from 'vitest';
import { events, seed, settle, startHarness, until, type Harness } from '../batch/testing';
import { addHorizontalPodAutoscalerController, resolveScalingRules, scaleDownLimit, scaleUpLimit } from './hpa';
import { createStaticMetricsProvider, type MetricsProvider, type StaticMetricsProvider } from './metrics-provider';
import { calculateResourceReplicas, type ResourceTarget } from './replica-calculator';

const SYNC = 15_000;
const NOW = Date.parse('2026-01-01T00:00:00Z');

/** An HPA test bench: the seed Deployment (nginx, cpu request 100m), its pods faked Running/Ready, a static metrics provider, and the controller. */
interface Bench {
  h: Harness;
  client: Client;
  metrics: StaticMetricsProvider;
  /** Reconciles seen so far (each asks the provider once). */
  syncs: () => number;
  /** Sets every pod's usage. */
  load(usage: { cpu?: string; memory?: string }): void;
  /** Advances one sync period and waits until that sync has run and written. */
  nextSync(): Promise<void>;
  hpa(): Promise<HorizontalPodAutoscaler>;
  replicas(): Promise<number>;
}

interface BenchOptions {
  replicas?: number;
  pods?: number;
  withRequests?: boolean;
  /** Changes the seed HPA before it is created. */
  hpa?: (h: HorizontalPodAutoscaler) => void;
  /** Initial usage of every pod, set before the HPA exists. */
  usage?: { cpu?: string; memory?: string };
}

async function bench(opts: BenchOptions = {}): Promise<Bench & AsyncDisposable> {
  let calls = 0;
  let metrics!: StaticMetricsProvider;
  const counting: MetricsProvider = { getPodMetrics: (ns, sel) => (calls++, metrics.getPodMetrics(ns, sel)) };
  const h = await startHarness((m) => addHorizontalPodAutoscalerController(m, { metrics: counting }));
  metrics = createStaticMetricsProvider({ clock: h.clock });
  const { client, clock } = h;
  const [deploy] = decodeAll(seed('002_8cc7607eac0f66d5-02-deployment.yaml')) as Deployment[];
  deploy!.spec!.replicas = opts.replicas ?? 3;
  if (opts.withRequests === false) delete deploy!.spec!.template.spec!.containers[0]!.resources;
  await client.create(deploy!);
  const names: string[] = [];
  for (let i = 0; i < (opts.pods ?? opts.replicas ?? 3); i++) {
    const pod = await client.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `nginx-${i}`, namespace: 'default', labels: { app: 'nginx' } }, spec: structuredClone(deploy!.spec!.template.spec!) });
    const longAgo = rfc3339(clock.now() - 10 * 60_000);
    await client.updateStatus({ ...pod, status: { phase: 'Running', startTime: longAgo, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: longAgo }] } });
    names.push(pod.metadata!.name!);
  }
  const load = (usage: { cpu?: string; memory?: string }) => names.forEach((n) => metrics.set('default', n, usage));
  if (opts.usage) load(opts.usage);
  const [hpa] = decodeAll(seed('002_8cc7607eac0f66d5-03-horizontalpodautoscaler.yaml')) as HorizontalPodAutoscaler[];
  opts.hpa?.(hpa!);
  await client.create({ ...hpa!, metadata: { ...hpa!.metadata, namespace: 'default' } });
  const getHpa = () => client.get('autoscaling/v2', 'HorizontalPodAutoscaler', 'default', 'nginx');
  await until(async () => (await getHpa()).status?.conditions !== undefined, 'first sync');
  await settle();
  return {
    h,
    client,
    metrics,
    syncs: () => calls,
    load,
    async nextSync() {
      const before = calls;
      await clock.advance(SYNC);
      await until(() => calls > before, 'next sync');
      await settle();
    },
    hpa: getHpa,
    replicas: async () => (await client.get('apps/v1', 'Deployment', 'default', 'nginx')).spec?.replicas ?? -1,
    [Symbol.asyncDispose]: () => h[Symbol.asyncDispose](),
  };
}

const condition = (hpa: HorizontalPodAutoscaler, type: string) => hpa.status?.conditions?.find((c) => c.type === type);

function readyPod(name: string, cpu: string | undefined, status: Partial<Pod['status']> = {}): Pod {
  const long = rfc3339(NOW - 10 * 60_000);
  return {
    metadata: { name },
    spec: { containers: [{ name: 'c', image: 'x', resources: cpu ? { requests: { cpu, memory: '100Mi' } } : undefined }] },
    status: { phase: 'Running', startTime: long, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: long }], ...status },
  };
}
const sample = (pod: string, cpu: string) => ({ pod, timestamp: NOW, windowMs: 30_000, usage: { cpu } });
const cpu50: ResourceTarget = { type: 'Utilization', averageUtilization: 50 };

describe('replica calculation', () => {
  it.each<[string, number, Pod[], ReturnType<typeof sample>[], ResourceTarget, number]>([
    ['3 pods at 100% of request, target 50% → 6', 3, [readyPod('a', '100m'), readyPod('b', '100m'), readyPod('c', '100m')], [sample('a', '100m'), sample('b', '100m'), sample('c', '100m')], cpu50, 6],
    ['60% → ratio 1.2 → ceil(3.6) = 4', 3, [readyPod('a', '100m'), readyPod('b', '100m'), readyPod('c', '100m')], [sample('a', '60m'), sample('b', '60m'), sample('c', '60m')], cpu50, 4],
    ['54% is within the 10% tolerance → 3', 3, [readyPod('a', '100m'), readyPod('b', '100m'), readyPod('c', '100m')], [sample('a', '54m'), sample('b', '54m'), sample('c', '54m')], cpu50, 3],
    ['45% is within the tolerance too → 3', 3, [readyPod('a', '100m'), readyPod('b', '100m'), readyPod('c', '100m')], [sample('a', '45m'), sample('b', '45m'), sample('c', '45m')], cpu50, 3],
    ['10% → ratio 0.2 → ceil(0.6) = 1', 3, [readyPod('a', '100m'), readyPod('b', '100m'), readyPod('c', '100m')], [sample('a', '10m'), sample('b', '10m'), sample('c', '10m')], cpu50, 1],
    ['uneven requests use the totals: 150m of 300m = 50% → ratio 1 → 2', 2, [readyPod('a', '100m'), readyPod('b', '200m')], [sample('a', '100m'), sample('b', '50m')], cpu50, 2],
    ['scale-up: a missing pod counts as 0% (120% ×2 + 0) → ratio 1.6 → ceil(4.8) = 5', 3, [readyPod('a', '100m'), readyPod('b', '100m'), readyPod('c', '100m')], [sample('a', '120m'), sample('b', '120m')], cpu50, 5],
    ['scale-down: a missing pod counts as 100% (10%,10%,100%) → 40% → ratio 0.8 → ceil(2.4) = 3', 3, [readyPod('a', '100m'), readyPod('b', '100m'), readyPod('c', '100m')], [sample('a', '10m'), sample('b', '10m')], cpu50, 3],
    ['scale-down: with 4 pods, one missing (10%,10%,10%,100%) → 32% → ratio 0.64 → 3', 4, [readyPod('a', '100m'), readyPod('b', '100m'), readyPod('c', '100m'), readyPod('d', '100m')], [sample('a', '10m'), sample('b', '10m'), sample('c', '10m')], cpu50, 3],
    ['scale-up: an unready pod counts as 0 (100%,100%,0 → 66%) → ratio 1.33 → 4', 3, [readyPod('a', '100m'), readyPod('b', '100m'), readyPod('c', '100m', { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: rfc3339(NOW - 60_000) }], startTime: rfc3339(NOW - 60_000) })], [sample('a', '100m'), sample('b', '100m'), sample('c', '100m')], cpu50, 4],
    ['a Pending pod is left out of a scale-down', 3, [readyPod('a', '100m'), readyPod('b', '100m'), readyPod('c', '100m', { phase: 'Pending' })], [sample('a', '10m'), sample('b', '10m')], cpu50, 1],
    ['AverageValue: 300m average against 100m → 9', 3, [readyPod('a', '100m'), readyPod('b', '100m'), readyPod('c', '100m')], [sample('a', '300m'), sample('b', '300m'), sample('c', '300m')], { type: 'AverageValue', averageValueMilli: 100 }, 9],
  ])('%s', (_name, current, pods, samples, target, want) => {
    const r = calculateResourceReplicas({ currentReplicas: current, resource: 'cpu', target, pods, samples, now: NOW });
    expect(r).toMatchObject({ ok: true, replicas: want });
  });

  it.each<[string, Pod[], string]>([
    ['no pods', [], 'no pods returned by selector while calculating replica count'],
    ['a pod without a cpu request', [readyPod('a', undefined)], 'missing request for cpu in container c of Pod a'],
  ])('fails with %s', (_name, pods, message) => {
    expect(calculateResourceReplicas({ currentReplicas: 1, resource: 'cpu', target: cpu50, pods, samples: [sample('a', '10m')], now: NOW })).toEqual({ ok: false, message });
  });

  const pods4 = [{ type: 'Pods' as const, value: 4, periodSeconds: 60 }];
  const defaults = resolveScalingRules(undefined, 'up', 0).policies;
  it.each([
    ['Pods 4 per 60 s from 3', 3, pods4, 'Max' as const, [], 7],
    ['Pods 4 per 60 s after +4 within the period', 7, pods4, 'Max' as const, [{ at: NOW - 30_000, value: 4 }], 7],
    ['Pods 4 per 60 s once the earlier +4 left the period', 7, pods4, 'Max' as const, [{ at: NOW - 60_000, value: 4 }], 11],
    ['the defaults (max of +4 pods, +100%) from 7', 7, defaults, 'Max' as const, [], 14],
    ['Min of +4 pods and +100% from 7', 7, defaults, 'Min' as const, [], 11],
    ['Disabled', 7, defaults, 'Disabled' as const, [], 7],
  ])('scale-up limit: %s', (_name, current, policies, selectPolicy, events, want) => {
    expect(scaleUpLimit(current, events, { stabilizationWindowSeconds: 0, selectPolicy, policies }, NOW)).toBe(want);
  });

  it.each([
    ['Percent 100 per 15 s: down to 0', [{ type: 'Percent' as const, value: 100, periodSeconds: 15 }], 'Max' as const, 0],
    ['Percent 50 per 60 s: 10 → 5', [{ type: 'Percent' as const, value: 50, periodSeconds: 60 }], 'Max' as const, 5],
    ['Min of -1 pod and -50%: 10 → 9', [{ type: 'Pods' as const, value: 1, periodSeconds: 60 }, { type: 'Percent' as const, value: 50, periodSeconds: 60 }], 'Min' as const, 9],
  ])('scale-down limit: %s', (_name, policies, selectPolicy, want) => {
    expect(scaleDownLimit(10, [], { stabilizationWindowSeconds: 0, selectPolicy, policies }, NOW)).toBe(want);
  });
});

describe('HorizontalPodAutoscaler controller (the seed nginx HPA: cpu 50%, 1..10)', () => {
  it.each([
    ['60m (60%) → 4', '60m', 4, 'ScalingLimited', 'False', 'DesiredWithinRange'],
    ['100m (100%) → 6', '100m', 6, 'ScalingLimited', 'False', 'DesiredWithinRange'],
    ['54m (54%, within tolerance) → 3', '54m', 3, 'AbleToScale', 'True', 'ReadyForNewScale'],
    ['200m (200%, wants 12) → 7 (default policy: max of +4 pods, +100% per 15 s)', '200m', 7, 'ScalingLimited', 'True', 'ScaleUpLimit'],
  ])('load %s', async (_name, cpu, want, condType, condStatus, condReason) => {
    await using b = await bench({ usage: { cpu } });
    await until(async () => (await b.hpa()).status?.desiredReplicas === want, `desired ${want}`);
    expect(await b.replicas()).toBe(want);
    const hpa = await b.hpa();
    expect(condition(hpa, condType)).toMatchObject({ status: condStatus, reason: condReason });
    expect(condition(hpa, 'ScalingActive')).toMatchObject({ status: 'True', reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)' });
    expect(hpa.status?.currentReplicas).toBe(3);
    expect(hpa.status?.currentMetrics?.[0]).toMatchObject({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: Number.parseInt(cpu, 10), averageValue: cpu } } });
    if (want !== 3) {
      expect(hpa.status?.lastScaleTime).toBeDefined();
      expect(condition(hpa, 'AbleToScale')).toMatchObject({ reason: 'SucceededRescale', message: `the HPA controller was able to update the target scale to ${want}` });
    }
  });

  it('records SuccessfulRescale with the reason', async () => {
    await using b = await bench({ usage: { cpu: '60m' } });
    await until(async () => (await events(b.client, 'SuccessfulRescale')).length === 1, 'Event');
    expect((await events(b.client, 'SuccessfulRescale'))[0]).toMatchObject({ type: 'Normal', message: 'New size: 4; reason: cpu resource utilization (percentage of request) above target', involvedObject: { kind: 'HorizontalPodAutoscaler', name: 'nginx' } });
  });

  it('scales down only once the 300 s stabilization window has passed', async () => {
    await using b = await bench({ usage: { cpu: '50m' } });
    expect(await b.replicas()).toBe(3);
    b.load({ cpu: '10m' });
    // The "3" recommended at t=0 holds the target for the whole window.
    for (let t = SYNC; t < 300_000; t += SYNC) {
      await b.nextSync();
      expect(await b.replicas()).toBe(3);
      expect(condition(await b.hpa(), 'AbleToScale')).toMatchObject({ reason: 'ScaleDownStabilized' });
      expect((await b.hpa()).status?.desiredReplicas).toBe(3);
    }
    await b.nextSync();
    expect(await b.replicas()).toBe(1);
    expect((await events(b.client, 'SuccessfulRescale')).map((e) => e.message)).toEqual(['New size: 1; reason: All metrics below target']);
  });

  it('clamps to maxReplicas with ScalingLimited TooManyReplicas', async () => {
    await using b = await bench({ usage: { cpu: '100m' }, hpa: (h) => (h.spec!.maxReplicas = 5) });
    await until(async () => (await b.replicas()) === 5, '5 replicas');
    expect(condition(await b.hpa(), 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' });
  });

  it('clamps to minReplicas with ScalingLimited TooFewReplicas', async () => {
    await using b = await bench({ usage: { cpu: '5m' }, hpa: (h) => (h.spec!.minReplicas = 2) });
    await until(async () => (await b.replicas()) === 2, '2 replicas');
    expect(condition(await b.hpa(), 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' });
  });

  it('moves a target below minReplicas straight up to it', async () => {
    await using b = await bench({ replicas: 1, pods: 1, usage: { cpu: '50m' }, hpa: (h) => (h.spec!.minReplicas = 3) });
    await until(async () => (await b.replicas()) === 3, '3 replicas');
    expect((await events(b.client, 'SuccessfulRescale'))[0]?.message).toBe('New size: 3; reason: Current number of replicas below Spec.MinReplicas');
  });

  it('limits the rate with behavior policies (Pods 4 per 60 s)', async () => {
    const behavior: autoscaling.HorizontalPodAutoscalerBehavior = { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 60 }] } };
    await using b = await bench({ usage: { cpu: '200m' }, hpa: (h) => ((h.spec!.maxReplicas = 20), (h.spec!.behavior = behavior)) });
    await until(async () => (await b.replicas()) === 7, '3 + 4');
    expect(condition(await b.hpa(), 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'ScaleUpLimit' });
    for (let i = 1; i < 4; i++) {
      await b.nextSync();
      expect(await b.replicas()).toBe(7);
    }
    await b.nextSync(); // t = 60 s: the first +4 left the period
    expect(await b.replicas()).toBe(11);
  });

  it('holds a scale-down with selectPolicy Disabled', async () => {
    await using b = await bench({ usage: { cpu: '10m' }, hpa: (h) => (h.spec!.behavior = { scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Disabled' } }) });
    await settle();
    expect(await b.replicas()).toBe(3);
    expect(condition(await b.hpa(), 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'ScaleDownLimit' });
  });

  it('takes the largest proposal of several metrics', async () => {
    await using b = await bench({
      usage: { cpu: '60m', memory: '200Mi' },
      hpa: (h) => h.spec!.metrics!.push({ type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } }),
    });
    await until(async () => (await b.replicas()) === 6, '6 replicas (memory) rather than 4 (cpu)');
    const hpa = await b.hpa();
    expect(hpa.status?.currentMetrics?.map((m) => m.resource?.name)).toEqual(['cpu', 'memory']);
    expect((await events(b.client, 'SuccessfulRescale'))[0]?.message).toBe('New size: 6; reason: memory resource above target');
  });

  it('reports pods without a cpu request as FailedGetResourceMetric and does not scale', async () => {
    await using b = await bench({ usage: { cpu: '100m' }, withRequests: false });
    const hpa = await b.hpa();
    expect(condition(hpa, 'ScalingActive')).toMatchObject({ status: 'False', reason: 'FailedGetResourceMetric', message: 'the HPA was unable to compute the replica count: missing request for cpu in container nginx of Pod nginx-0' });
    await until(async () => (await events(b.client, 'FailedGetResourceMetric')).length === 1, 'Event');
    expect((await events(b.client, 'FailedGetResourceMetric'))[0]).toMatchObject({ type: 'Warning', message: 'missing request for cpu in container nginx of Pod nginx-0' });
    expect(await b.replicas()).toBe(3);
  });

  it('disables scaling while the target has 0 replicas', async () => {
    await using b = await bench({ replicas: 0, pods: 0 });
    expect(condition(await b.hpa(), 'ScalingActive')).toMatchObject({ status: 'False', reason: 'ScalingDisabled' });
    expect(await b.replicas()).toBe(0);
  });
});
