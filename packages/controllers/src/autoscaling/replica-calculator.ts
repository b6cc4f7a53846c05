// The replica math of the HorizontalPodAutoscaler for Resource metrics (upstream
// pkg/controller/podautoscaler/replica_calculator.go), as pure functions.
import { tryParseQuantity, type Pod } from '@bosun/api';
import type { PodUsageSample } from './metrics-provider';

/** The resources a Resource metric can name. */
export type ResourceName = 'cpu' | 'memory';

/** Options of {@link calculateResourceReplicas}. */
export interface ReplicaCalculatorOptions {
  /** Usage ratios within this of 1.0 change nothing. Default 0.1. */
  tolerance?: number;
  /** A pod started less than this ago may still be warming up its cpu (upstream `--horizontal-pod-autoscaler-cpu-initialization-period`). Default 5 min. */
  cpuInitializationPeriodMs?: number;
  /** After this long from start, a pod that is not Ready counts as unready rather than starting (upstream `--horizontal-pod-autoscaler-initial-readiness-delay`). Default 30 s. */
  delayOfInitialReadinessStatusMs?: number;
}

/** What a Resource metric targets: a percentage of the pods' requests, or an average quantity (in milli-units). */
export type ResourceTarget = { type: 'Utilization'; averageUtilization: number } | { type: 'AverageValue'; averageValueMilli: number };

/** Input of {@link calculateResourceReplicas}. */
export interface ResourceReplicasInput {
  /** The target's `spec.replicas`. */
  currentReplicas: number;
  resource: ResourceName;
  target: ResourceTarget;
  /** The pods the target's selector matches. */
  pods: readonly Pod[];
  /** Usage samples; ones for pods not in `pods` are ignored. */
  samples: readonly PodUsageSample[];
  /** The time now, in ms (for the cpu initialization period). */
  now: number;
}

/** A replica count proposed for one metric, with what was measured. */
export interface ResourceReplicasProposal {
  ok: true;
  replicas: number;
  /** Average utilization in percent of requests (Utilization targets only). */
  utilization?: number;
  /** Average usage per pod, in milli-units. */
  averageValueMilli: number;
  /** The oldest sample's timestamp. */
  timestamp: number;
}

/** Why no replica count could be computed (the message upstream puts in Events and conditions). */
export interface ResourceReplicasFailure {
  ok: false;
  message: string;
}

function milli(q: string | undefined): number | undefined {
  if (q === undefined) return undefined;
  const parsed = tryParseQuantity(q);
  return parsed ? Number(parsed.milliValue()) : undefined;
}

function readyCondition(pod: Pod) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

function ms(t: string | undefined): number | undefined {
  if (!t) return undefined;
  const v = Date.parse(t);
  return Number.isNaN(v) ? undefined : v;
}

/**
 * Sorts pods as upstream's `groupPods`: deleted or Failed pods are ignored; Pending pods
 * are unready; pods without a sample are missing; for cpu, a pod without a Ready
 * condition or start time is unready, and so is one still in its cpu initialization
 * period that is not Ready or whose sample predates a full window since it became
 * Ready, and one past it that is not Ready and never was. The rest are ready.
 */
export function groupPods(pods: readonly Pod[], samples: ReadonlyMap<string, PodUsageSample>, resource: ResourceName, now: number, opts: ReplicaCalculatorOptions = {}): { ready: number; unready: Set<string>; missing: Set<string>; ignored: Set<string> } {
  const initPeriod = opts.cpuInitializationPeriodMs ?? 5 * 60_000;
  const readinessDelay = opts.delayOfInitialReadinessStatusMs ?? 30_000;
  const out = { ready: 0, unready: new Set<string>(), missing: new Set<string>(), ignored: new Set<string>() };
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Failed') {
      out.ignored.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      out.unready.add(name);
      continue;
    }
    const sample = samples.get(name);
    if (!sample) {
      out.missing.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const cond = readyCondition(pod);
      const start = ms(pod.status?.startTime);
      let unready: boolean;
      if (!cond || start === undefined) unready = true;
      else {
        const transition = ms(cond.lastTransitionTime) ?? start;
        if (start + initPeriod > now) unready = cond.status === 'False' || sample.timestamp < transition + sample.windowMs;
        else unready = cond.status === 'False' && start + readinessDelay > transition;
      }
      if (unready) {
        out.unready.add(name);
        continue;
      }
    }
    out.ready++;
  }
  return out;
}

/**
 * The per-pod sum of the containers' requests for `resource`, in milli-units (regular
 * containers and restartable init containers), or a failure naming the first container
 * without one: `missing request for cpu in container nginx of Pod web-1`.
 */
export function podRequests(pods: readonly Pod[], resource: ResourceName): Map<string, number> | ResourceReplicasFailure {
  const out = new Map<string, number>();
  for (const pod of pods) {
    const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
    let sum = 0;
    for (const c of containers) {
      const req = milli(c.resources?.requests?.[resource] as string | undefined);
      if (req === undefined) return { ok: false, message: `missing request for ${resource} in container ${c.name} of Pod ${pod.metadata?.name ?? ''}` };
      sum += req;
    }
    out.set(pod.metadata?.name ?? '', sum);
  }
  return out;
}

function utilizationRatio(values: ReadonlyMap<string, number>, requests: ReadonlyMap<string, number>, target: number): { ratio: number; utilization: number; average: number } | undefined {
  let usage = 0;
  let requested = 0;
  let n = 0;
  for (const [pod, v] of values) {
    const r = requests.get(pod);
    if (r === undefined) continue;
    usage += v;
    requested += r;
    n++;
  }
  if (requested === 0) return undefined;
  // Upstream truncates the utilization to an integer percentage before the ratio.
  const utilization = Math.trunc((usage * 100) / requested);
  return { ratio: utilization / target, utilization, average: Math.trunc(usage / n) };
}

function averageRatio(values: ReadonlyMap<string, number>, target: number): { ratio: number; average: number } {
  let usage = 0;
  for (const v of values.values()) usage += v;
  const average = values.size ? usage / values.size : 0;
  return { ratio: average / target, average: Math.trunc(average) };
}

/**
 * The replica count one Resource metric proposes (upstream `GetResourceReplicas` and
 * `GetRawResourceReplicas`). With every pod ready and measured: `ceil(ratio × ready
 * pods)`, or `currentReplicas` when `|ratio − 1| ≤ tolerance`. Otherwise, as upstream:
 * pods without samples count as using 100% of their request (Utilization; the target
 * when it is above 100%) or exactly the target (AverageValue) when scaling down, and 0
 * when scaling up; unready pods count as 0 on a scale-up and are left out otherwise;
 * the ratio is computed again and the count stays when it falls within the tolerance or
 * would reverse the direction.
 */
export function calculateResourceReplicas(input: ResourceReplicasInput, opts: ReplicaCalculatorOptions = {}): ResourceReplicasProposal | ResourceReplicasFailure {
  const tolerance = opts.tolerance ?? 0.1;
  const { currentReplicas, resource, target, pods, now } = input;
  if (pods.length === 0) return { ok: false, message: 'no pods returned by selector while calculating replica count' };
  const names = new Set(pods.map((p) => p.metadata?.name ?? ''));
  const samples = new Map<string, PodUsageSample>();
  for (const s of input.samples) if (names.has(s.pod) && milli(s.usage[resource]) !== undefined) samples.set(s.pod, s);
  const groups = groupPods(pods, samples, resource, now, opts);
  const values = new Map<string, number>();
  for (const [pod, s] of samples) if (!groups.ignored.has(pod) && !groups.unready.has(pod)) values.set(pod, milli(s.usage[resource])!);
  if (values.size === 0) return { ok: false, message: 'did not receive metrics for targeted pods (pods might be unready)' };
  const timestamp = Math.min(...[...values.keys()].map((p) => samples.get(p)!.timestamp));

  let requests: Map<string, number> | undefined;
  let measure: (v: ReadonlyMap<string, number>) => { ratio: number; utilization?: number; average: number } | undefined;
  let fallback: number | ((pod: string) => number);
  if (target.type === 'Utilization') {
    const r = podRequests(pods, resource);
    if (!(r instanceof Map)) return r;
    requests = r;
    measure = (v) => utilizationRatio(v, r, target.averageUtilization);
    fallback = (pod) => ((r.get(pod) ?? 0) * Math.max(100, target.averageUtilization)) / 100;
  } else {
    measure = (v) => averageRatio(v, target.averageValueMilli);
    fallback = target.averageValueMilli;
  }
  const first = measure(values);
  if (!first) return { ok: false, message: 'no metrics returned matched known pods' };
  const result = (replicas: number): ResourceReplicasProposal => ({ ok: true, replicas, utilization: requests ? first.utilization : undefined, averageValueMilli: first.average, timestamp });

  const scaleUpWithUnready = groups.unready.size > 0 && first.ratio > 1;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    if (Math.abs(1 - first.ratio) <= tolerance) return result(currentReplicas);
    return result(Math.ceil(first.ratio * groups.ready));
  }
  if (groups.missing.size > 0) {
    for (const pod of groups.missing) {
      if (first.ratio < 1) values.set(pod, typeof fallback === 'number' ? fallback : fallback(pod));
      else if (first.ratio > 1) values.set(pod, 0);
    }
  }
  if (scaleUpWithUnready) for (const pod of groups.unready) values.set(pod, 0);
  const second = measure(values);
  if (!second) return { ok: false, message: 'no metrics returned matched known pods' };
  if (Math.abs(1 - second.ratio) <= tolerance || (first.ratio < 1 && second.ratio > 1) || (first.ratio > 1 && second.ratio < 1)) return result(currentReplicas);
  const replicas = Math.ceil(second.ratio * values.size);
  if ((second.ratio < 1 && replicas > currentReplicas) || (second.ratio > 1 && replicas < currentReplicas)) return result(currentReplicas);
  return result(replicas);
}
