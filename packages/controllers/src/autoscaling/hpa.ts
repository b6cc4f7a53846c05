// The HorizontalPodAutoscaler controller (autoscaling/v2; upstream
// pkg/controller/podautoscaler/horizontal.go): every sync period, reads the target's
// scale, asks each metric for a replica count, stabilizes and rate-limits the largest,
// and writes it through the scale subresource.
import { defaultScaleDownRules, defaultScaleUpRules, parseLabelSelector, Quantity, rfc3339, tryParseQuantity, type autoscaling, type HorizontalPodAutoscaler, type Scale, type Selector } from '@bosun/api';
import type { Client } from '@bosun/apiserver';
import { Action, Controller, generationChanged, retryOnConflict, type Manager, type Reconcile } from '@bosun/controller-runtime';
import type { MetricsProvider, PodUsageSample } from './metrics-provider';
import { calculateResourceReplicas, type ReplicaCalculatorOptions, type ResourceName, type ResourceTarget } from './replica-calculator';

type HPAScalingRules = autoscaling.HPAScalingRules;
type HPACondition = autoscaling.HorizontalPodAutoscalerCondition;
type MetricStatus = autoscaling.MetricStatus;

/** Options of {@link addHorizontalPodAutoscalerController}. */
export interface HorizontalPodAutoscalerControllerOptions extends ReplicaCalculatorOptions {
  /** Where pod usage comes from. */
  metrics: MetricsProvider;
  /** How often each HPA is evaluated (upstream `--horizontal-pod-autoscaler-sync-period`). Default 15 s. */
  syncPeriodMs?: number;
  /** Usage ratios within this of 1.0 change nothing. Default 0.1. */
  tolerance?: number;
  /**
   * The scale-down stabilization window for HPAs whose `behavior.scaleDown` names none
   * (upstream `--horizontal-pod-autoscaler-downscale-stabilization`). Default 5 min.
   * Note: this API server's defaulting always fills `stabilizationWindowSeconds: 300`,
   * so the option matters only for HPAs stored without one.
   */
  downscaleStabilizationMs?: number;
  /** Workers. Default 2. */
  concurrency?: number;
  /** Controller name. Default `horizontal-pod-autoscaler`. */
  name?: string;
}

/** A recommendation or a scale change (replicas added or removed), remembered per HPA in memory, as upstream. */
export interface TimedValue {
  /** When, in ms. */
  at: number;
  /** Replicas (a recommendation) or replicas added/removed (a scale event). */
  value: number;
}

interface HpaState {
  uid: string;
  recommendations: TimedValue[];
  scaleUpEvents: TimedValue[];
  scaleDownEvents: TimedValue[];
}

/** Scaling rules with every part filled in. */
export interface ResolvedScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: Array<{ type: 'Pods' | 'Percent'; value: number; periodSeconds: number }>;
}

/** `rules` with upstream's defaults for the missing parts; `window` is the stabilization window to use when it names none. */
export function resolveScalingRules(rules: HPAScalingRules | undefined, direction: 'up' | 'down', window: number): ResolvedScalingRules {
  const d = (direction === 'up' ? defaultScaleUpRules() : defaultScaleDownRules()) as unknown as ResolvedScalingRules;
  return {
    stabilizationWindowSeconds: rules?.stabilizationWindowSeconds ?? window,
    selectPolicy: (rules?.selectPolicy as ResolvedScalingRules['selectPolicy'] | undefined) ?? d.selectPolicy,
    policies: (rules?.policies as ResolvedScalingRules['policies'] | undefined) ?? d.policies,
  };
}

/** Sum of the changes recorded less than `periodSeconds` before `now` (upstream `getReplicasChangePerPeriod`). */
function changeInPeriod(periodSeconds: number, events: readonly TimedValue[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  return events.reduce((n, e) => (e.at > cutoff ? n + e.value : n), 0);
}

/**
 * The most replicas the scale-up rules allow now (upstream
 * `calculateScaleUpLimitWithScalingRules`): per policy, the replicas at the start of its
 * period (current minus what was added within it) plus `value` pods or `value` percent
 * (rounded up); the largest (`Max`) or smallest (`Min`) of them; `Disabled`: current.
 */
export function scaleUpLimit(current: number, events: readonly TimedValue[], rules: ResolvedScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let result = rules.selectPolicy === 'Min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  for (const p of rules.policies) {
    const start = current - changeInPeriod(p.periodSeconds, events, now);
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return Number.isFinite(result) ? result : current;
}

/**
 * The fewest replicas the scale-down rules allow now (upstream
 * `calculateScaleDownLimitWithBehaviors`): per policy, the replicas at the start of its
 * period minus `value` pods or `value` percent (rounded down); `Max` picks the biggest
 * change (the smallest count), `Min` the smallest; `Disabled`: current.
 */
export function scaleDownLimit(current: number, events: readonly TimedValue[], rules: ResolvedScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let result = rules.selectPolicy === 'Min' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  for (const p of rules.policies) {
    const start = current + changeInPeriod(p.periodSeconds, events, now);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return Number.isFinite(result) ? result : current;
}

function setCondition(list: HPACondition[], type: string, status: 'True' | 'False', reason: string, message: string, now: string): HPACondition[] {
  const out = [...list];
  const i = out.findIndex((c) => c.type === type);
  const prev = i >= 0 ? out[i] : undefined;
  const next: HPACondition = { type, status, reason, message, lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : now };
  if (i >= 0) out[i] = next;
  else out.push(next);
  return out;
}

const errorMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

function milliOf(q: unknown): number | undefined {
  if (q === undefined || q === null) return undefined;
  const parsed = tryParseQuantity(String(q));
  return parsed ? Number(parsed.milliValue()) : undefined;
}

/** One metric's result: a proposal with its status, or a failure with the condition to report. */
type MetricOutcome = { ok: true; replicas: number; name: string; status: MetricStatus } | { ok: false; reason: string; message: string; error: string };

/**
 * Creates the HorizontalPodAutoscaler reconcile. Per HPA, as upstream's
 * `reconcileAutoscaler`: get the target's scale (AbleToScale False `FailedGetScale`
 * when it cannot); target at 0 replicas: ScalingActive False `ScalingDisabled`; outside
 * min/max: straight to the bound; otherwise each metric proposes a count (the largest
 * wins; Events and ScalingActive False `FailedGetResourceMetric` on failures), which is
 * stabilized (the lowest recent recommendation within the scale-up window, the highest
 * within the scale-down window: AbleToScale `ScaleUpStabilized`/`ScaleDownStabilized`,
 * else `ReadyForNewScale`) and limited by min/max and the behavior policies
 * (ScalingLimited True `TooManyReplicas`/`TooFewReplicas`/`ScaleUpLimit`/
 * `ScaleDownLimit`, else False `DesiredWithinRange`). A change is written through the
 * scale subresource with the Event `SuccessfulRescale` (`New size: 4; reason: cpu
 * resource utilization (percentage of request) above target`) and AbleToScale
 * `SucceededRescale`. Status: currentReplicas, desiredReplicas, currentMetrics,
 * lastScaleTime, conditions. Runs again every `syncPeriodMs`.
 */
export function createHorizontalPodAutoscalerReconcile(opts: HorizontalPodAutoscalerControllerOptions): Reconcile<HorizontalPodAutoscaler> {
  const syncPeriod = opts.syncPeriodMs ?? 15_000;
  const downscaleWindowS = (opts.downscaleStabilizationMs ?? 300_000) / 1000;
  const calcOpts: ReplicaCalculatorOptions = { tolerance: opts.tolerance ?? 0.1, cpuInitializationPeriodMs: opts.cpuInitializationPeriodMs, delayOfInitialReadinessStatusMs: opts.delayOfInitialReadinessStatusMs };
  const states = new Map<string, HpaState>();

  return async (hpa, { client, clock, informers, recorder, key }, signal) => {
    const now = clock.now();
    const nowS = rfc3339(now);
    const hpaCache = informers.forKind('autoscaling/v2', 'HorizontalPodAutoscaler').cache;
    for (const k of states.keys()) if (!hpaCache.get(k)) states.delete(k);
    let state = states.get(key);
    if (!state || state.uid !== hpa.metadata?.uid) states.set(key, (state = { uid: hpa.metadata?.uid ?? '', recommendations: [], scaleUpEvents: [], scaleDownEvents: [] }));

    const ns = hpa.metadata?.namespace ?? '';
    const spec = hpa.spec!;
    const ref = spec.scaleTargetRef;
    const minReplicas = spec.minReplicas ?? 1;
    const maxReplicas = spec.maxReplicas;
    let conditions: HPACondition[] = [...(hpa.status?.conditions ?? [])];
    const cond = (type: string, status: 'True' | 'False', reason: string, message: string) => (conditions = setCondition(conditions, type, status, reason, message, nowS));
    const finish = async (status: Partial<NonNullable<HorizontalPodAutoscaler['status']>>) => {
      await writeHpaStatus(client, hpa, { ...hpa.status, desiredReplicas: hpa.status?.desiredReplicas ?? 0, ...status, observedGeneration: hpa.metadata?.generation, conditions }, signal);
      return Action.requeueAfter(syncPeriod);
    };

    let scale: Scale;
    try {
      scale = await client.getScale(ref.apiVersion ?? '', ref.kind, ns, ref.name);
    } catch (e) {
      cond('AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${errorMessage(e)}`);
      recorder.event(hpa, 'Warning', 'FailedGetScale', errorMessage(e));
      return finish({});
    }
    cond('AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
    const current = scale.spec?.replicas ?? 0;

    let desired = 0;
    let rescaleReason = '';
    let statuses: MetricStatus[] | undefined;
    let rescale = false;
    if (current === 0 && minReplicas !== 0) {
      cond('ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
    } else if (current > maxReplicas) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desired = maxReplicas;
      rescale = true;
    } else if (current < minReplicas) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desired = minReplicas;
      rescale = true;
    } else {
      // 1. Every metric proposes a count.
      const selectorText = scale.status?.selector;
      let selector: Selector | undefined;
      try {
        selector = selectorText ? parseLabelSelector(selectorText) : undefined;
      } catch {
        selector = undefined;
      }
      if (!selector) {
        cond('ScalingActive', 'False', 'InvalidSelector', "the HPA target's scale is missing a selector");
        recorder.event(hpa, 'Warning', 'SelectorRequired', 'selector is required');
        return finish({ currentReplicas: current });
      }
      const pods = informers.forKind('v1', 'Pod').cache.list({ namespace: ns, labelSelector: selector });
      let samples: Promise<PodUsageSample[]> | undefined;
      const getSamples = () => (samples ??= opts.metrics.getPodMetrics(ns, selector!));
      const outcomes: MetricOutcome[] = [];
      for (const m of spec.metrics ?? []) outcomes.push(await computeMetric(m, current, pods, getSamples, now, calcOpts));
      let proposal = 0;
      let metricName = '';
      statuses = [];
      let invalid = 0;
      let firstInvalid: Extract<MetricOutcome, { ok: false }> | undefined;
      for (const o of outcomes) {
        if (!o.ok) {
          recorder.event(hpa, 'Warning', o.reason, o.error);
          invalid++;
          firstInvalid ??= o;
          continue;
        }
        statuses.push(o.status);
        if (proposal === 0 || o.replicas > proposal) {
          proposal = o.replicas;
          metricName = o.name;
        }
      }
      if (firstInvalid && (invalid >= outcomes.length || proposal < current)) {
        cond('ScalingActive', 'False', firstInvalid.reason, firstInvalid.message);
        recorder.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', `invalid metrics (${invalid} invalid out of ${outcomes.length}), first error is: ${firstInvalid.error}`);
        return finish({ currentReplicas: current, currentMetrics: statuses.length ? statuses : undefined });
      }
      cond('ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${metricName}`);
      desired = proposal;
      if (desired > current) rescaleReason = `${metricName} above target`;
      if (desired < current) rescaleReason = 'All metrics below target';

      // 2. Stabilize (upstream stabilizeRecommendationWithBehaviors).
      const up = resolveScalingRules(spec.behavior?.scaleUp, 'up', 0);
      const down = resolveScalingRules(spec.behavior?.scaleDown, 'down', downscaleWindowS);
      const upCutoff = now - up.stabilizationWindowSeconds * 1000;
      const downCutoff = now - down.stabilizationWindowSeconds * 1000;
      let upRec = desired;
      let downRec = desired;
      for (const r of state.recommendations) {
        if (r.at > upCutoff) upRec = Math.min(upRec, r.value);
        if (r.at > downCutoff) downRec = Math.max(downRec, r.value);
      }
      let stabilized = Math.min(Math.max(current, upRec), downRec);
      const obsolete = now - Math.max(up.stabilizationWindowSeconds, down.stabilizationWindowSeconds) * 1000;
      state.recommendations = [...state.recommendations.filter((r) => r.at >= obsolete), { at: now, value: desired }];
      if (stabilized !== desired) {
        if (desired >= current) cond('AbleToScale', 'True', 'ScaleUpStabilized', 'recent recommendations were lower than current one, applying the lowest recent recommendation');
        else cond('AbleToScale', 'True', 'ScaleDownStabilized', 'recent recommendations were higher than current one, applying the highest recent recommendation');
      } else cond('AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size');

      // 3. Limit by min/max and the policies (upstream convertDesiredReplicasWithBehaviorRate).
      let limited = stabilized;
      let reason = 'DesiredWithinRange';
      let message = 'the desired count is within the acceptable range';
      if (stabilized > current) {
        const limit = Math.max(current, scaleUpLimit(current, state.scaleUpEvents, up, now));
        const allowed = Math.min(maxReplicas, limit);
        if (maxReplicas > limit) [reason, message] = ['ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate'];
        else [reason, message] = ['TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
        if (stabilized > allowed) limited = allowed;
        else [reason, message] = ['DesiredWithinRange', 'the desired count is within the acceptable range'];
      } else if (stabilized < current) {
        const limit = Math.min(current, scaleDownLimit(current, state.scaleDownEvents, down, now));
        const allowed = Math.max(minReplicas, limit);
        if (minReplicas < limit) [reason, message] = ['ScaleDownLimit', 'the desired replica count is decreasing faster than the maximum scale rate'];
        else [reason, message] = ['TooFewReplicas', 'the desired replica count is less than the minimum replica count'];
        if (stabilized < allowed) limited = allowed;
        else [reason, message] = ['DesiredWithinRange', 'the desired count is within the acceptable range'];
      }
      cond('ScalingLimited', limited === stabilized ? 'False' : 'True', reason, message);
      stabilized = limited;
      desired = stabilized;
      rescale = desired !== current;
    }

    // 4. Scale.
    let lastScaleTime = hpa.status?.lastScaleTime;
    if (rescale) {
      try {
        await client.updateScale(ref.apiVersion ?? '', ref.kind, ns, ref.name, { ...scale, spec: { ...scale.spec, replicas: desired } }, { signal });
      } catch (e) {
        cond('AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${errorMessage(e)}`);
        recorder.event(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; reason: ${rescaleReason}; error: ${errorMessage(e)}`);
        return finish({ currentReplicas: current, currentMetrics: statuses?.length ? statuses : undefined });
      }
      cond('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`);
      recorder.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${rescaleReason}`);
      const longest = (rules: HPAScalingRules | undefined, dir: 'up' | 'down') => Math.max(0, ...resolveScalingRules(rules, dir, 0).policies.map((p) => p.periodSeconds)) * 1000;
      if (desired > current) state.scaleUpEvents = [...state.scaleUpEvents.filter((e) => e.at > now - longest(spec.behavior?.scaleUp, 'up')), { at: now, value: desired - current }];
      else state.scaleDownEvents = [...state.scaleDownEvents.filter((e) => e.at > now - longest(spec.behavior?.scaleDown, 'down')), { at: now, value: current - desired }];
      lastScaleTime = nowS;
    }
    return finish({ currentReplicas: current, desiredReplicas: desired, currentMetrics: statuses?.length ? statuses : undefined, lastScaleTime });
  };
}

/** Computes one metric spec's proposal (Resource metrics only; other source types fail as unsupported). */
async function computeMetric(
  m: autoscaling.MetricSpec,
  current: number,
  pods: Parameters<typeof calculateResourceReplicas>[0]['pods'],
  getSamples: () => Promise<PodUsageSample[]>,
  now: number,
  calcOpts: ReplicaCalculatorOptions,
): Promise<MetricOutcome> {
  const unable = (reason: string, error: string): MetricOutcome => ({ ok: false, reason, error, message: `the HPA was unable to compute the replica count: ${error}` });
  if (m.type !== 'Resource' || !m.resource) return unable('InvalidMetricSourceType', `unknown metric source type "${m.type}"`);
  const name = m.resource.name;
  if (name !== 'cpu' && name !== 'memory') return unable('FailedGetResourceMetric', `unable to get metrics for resource ${name}: only cpu and memory are supported`);
  const t = m.resource.target;
  let target: ResourceTarget;
  let label: string;
  if (t.type === 'Utilization' && typeof t.averageUtilization === 'number') {
    target = { type: 'Utilization', averageUtilization: t.averageUtilization };
    label = `${name} resource utilization (percentage of request)`;
  } else if (t.type === 'AverageValue' && milliOf(t.averageValue) !== undefined) {
    target = { type: 'AverageValue', averageValueMilli: milliOf(t.averageValue)! };
    label = `${name} resource`;
  } else return unable('FailedGetResourceMetric', 'invalid resource metric source: neither a utilization target nor a value target was set');
  let samples: PodUsageSample[];
  try {
    samples = await getSamples();
  } catch (e) {
    return unable('FailedGetResourceMetric', `unable to get metrics for resource ${name}: ${errorMessage(e)}`);
  }
  const r = calculateResourceReplicas({ currentReplicas: current, resource: name as ResourceName, target, pods, samples, now }, calcOpts);
  if (!r.ok) return unable('FailedGetResourceMetric', r.message);
  const currentValue: autoscaling.MetricValueStatus = { averageValue: Quantity.fromMilli(r.averageValueMilli).toString() };
  if (r.utilization !== undefined) currentValue.averageUtilization = r.utilization;
  return { ok: true, replicas: r.replicas, name: label, status: { type: 'Resource', resource: { name, current: currentValue } } };
}

/** Writes the HPA status when it changed; on a conflict, over the latest object (only this controller writes HPA status). */
async function writeHpaStatus(client: Client, hpa: HorizontalPodAutoscaler, status: HorizontalPodAutoscaler['status'], signal: AbortSignal): Promise<void> {
  if (JSON.stringify(hpa.status ?? {}) === JSON.stringify(status ?? {})) return;
  await retryOnConflict(async (attempt) => {
    const base = attempt === 0 ? hpa : await client.get('autoscaling/v2', 'HorizontalPodAutoscaler', hpa.metadata?.namespace ?? '', hpa.metadata?.name ?? '', { signal });
    if (base.metadata?.uid !== hpa.metadata?.uid) return;
    await client.updateStatus({ ...base, status }, { signal });
  });
}

/**
 * Adds the HorizontalPodAutoscaler controller to `manager`: every HPA is evaluated when
 * created or its spec changes, and then every `syncPeriodMs` (its own status writes and
 * pod changes do not trigger it, as upstream's periodic resync). Scales any kind with a
 * scale subresource (`scaleTargetRef`), reading pods through the target scale's
 * `status.selector` and usage from `opts.metrics`. See
 * {@link createHorizontalPodAutoscalerReconcile}.
 */
export function addHorizontalPodAutoscalerController(manager: Manager, opts: HorizontalPodAutoscalerControllerOptions): void {
  // The pod cache is read, not watched for triggers: create it now so it syncs before the first reconcile.
  manager.informers.forKind('v1', 'Pod');
  manager.add(
    Controller.for('autoscaling/v2', 'HorizontalPodAutoscaler')
      .withEventFilter(generationChanged())
      .withConfig({ name: opts.name ?? 'horizontal-pod-autoscaler', concurrency: opts.concurrency ?? 2 })
      .build(createHorizontalPodAutoscalerReconcile(opts)),
  );
}
