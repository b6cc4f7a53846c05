import { ApiError } from '../errors';
import { deepCopy, type KubeObject } from '../meta';
import type { LegacyVersion } from '../scheme';

/*
 * Conversions from versions Kubernetes no longer serves to the ones Bosun serves. Each
 * works on a deep copy (the input is never mutated), leaves fields it does not know as
 * they are, and tolerates malformed input (a `spec` that is a string, …): it converts
 * what has the expected shape and leaves the rest for validation to report. Where an
 * old version defaulted a field differently from the served one, the old default is
 * written out, so the object behaves as it did under the old API.
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The mapping at `o[key]`, created when absent; undefined when something else is there. */
function mapAt(o: Obj, key: string): Obj | undefined {
  if (o[key] === undefined || o[key] === null) o[key] = {};
  return isObj(o[key]) ? (o[key] as Obj) : undefined;
}

function specOf(o: KubeObject): Obj | undefined {
  return isObj(o.spec) ? o.spec : undefined;
}

/** Same shape in both versions: only apiVersion changes (the scheme sets it). */
const sameShape = (o: KubeObject): KubeObject => deepCopy(o);

/** A refusal from inside a conversion: the object cannot be represented faithfully. */
function refuse(o: KubeObject, use: string, why: string): never {
  throw ApiError.badRequest(`${o.kind} in version "${o.apiVersion}" is no longer served; use apiVersion: ${use} (cannot convert: ${why})`);
}

// ---------------------------------------------------------------------------------
// Ingress: networking.k8s.io/v1beta1, extensions/v1beta1 → networking.k8s.io/v1

/** `{serviceName, servicePort}` → `{service: {name, port: {number} | {name}}}`; `resource` kept. */
function ingressBackend(b: unknown): unknown {
  if (!isObj(b)) return b;
  const { serviceName, servicePort, ...rest } = b;
  if (serviceName === undefined && servicePort === undefined) return b;
  const service: Obj = {};
  if (serviceName !== undefined) service.name = serviceName;
  if (typeof servicePort === 'number') service.port = { number: servicePort };
  else if (typeof servicePort === 'string') service.port = { name: servicePort };
  else if (servicePort !== undefined) service.port = servicePort;
  return { ...rest, service };
}

function convertIngress(o: KubeObject): KubeObject {
  const out = deepCopy(o);
  const spec = specOf(out);
  if (!spec) return out;
  if (spec.backend !== undefined) {
    if (spec.defaultBackend === undefined) spec.defaultBackend = ingressBackend(spec.backend);
    delete spec.backend;
  }
  if (Array.isArray(spec.rules)) {
    for (const rule of spec.rules) {
      if (!isObj(rule) || !isObj(rule.http) || !Array.isArray(rule.http.paths)) continue;
      for (const p of rule.http.paths) {
        if (!isObj(p)) continue;
        if (p.pathType === undefined) p.pathType = 'ImplementationSpecific';
        if (p.backend !== undefined) p.backend = ingressBackend(p.backend);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------
// Workloads: apps/v1beta1, apps/v1beta2, extensions/v1beta1 → apps/v1

interface OldDefaults {
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  /** Deployment rolling update defaults of the old version. */
  maxSurge?: number | string;
  maxUnavailable?: number | string;
  /** DaemonSet / StatefulSet update strategy type of the old version. */
  updateStrategy?: string;
}

const MAX_INT32 = 2147483647;

/** The defaults the old versions set that differ from apps/v1's. */
const oldDefaults: Record<string, OldDefaults> = {
  'extensions/v1beta1/Deployment': { revisionHistoryLimit: MAX_INT32, progressDeadlineSeconds: MAX_INT32, maxSurge: 1, maxUnavailable: 1 },
  'apps/v1beta1/Deployment': { revisionHistoryLimit: 2 },
  'extensions/v1beta1/DaemonSet': { updateStrategy: 'OnDelete' },
  'apps/v1beta1/StatefulSet': { updateStrategy: 'OnDelete' },
};

function convertWorkload(o: KubeObject): KubeObject {
  const out = deepCopy(o);
  const spec = specOf(out);
  if (!spec) return out;
  const template = isObj(spec.template) ? spec.template : undefined;
  const labels = template && isObj(template.metadata) && isObj(template.metadata.labels) ? template.metadata.labels : undefined;
  // The old versions defaulted the selector to the template's labels.
  if ((spec.selector === undefined || spec.selector === null) && labels && Object.keys(labels).length) {
    spec.selector = { matchLabels: { ...labels } };
  }
  // Rollback through the object (spec.rollbackTo) is gone from apps/v1; `kubectl rollout undo` replaces it.
  delete spec.rollbackTo;
  const d = oldDefaults[`${o.apiVersion}/${o.kind}`] ?? {};
  if (d.revisionHistoryLimit !== undefined && spec.revisionHistoryLimit === undefined) spec.revisionHistoryLimit = d.revisionHistoryLimit;
  if (d.progressDeadlineSeconds !== undefined && spec.progressDeadlineSeconds === undefined) spec.progressDeadlineSeconds = d.progressDeadlineSeconds;
  if (d.maxSurge !== undefined || d.maxUnavailable !== undefined) {
    const strategy = mapAt(spec, 'strategy');
    if (strategy && (strategy.type === undefined || strategy.type === 'RollingUpdate')) {
      strategy.type = 'RollingUpdate';
      const ru = mapAt(strategy, 'rollingUpdate');
      if (ru && ru.maxSurge === undefined) ru.maxSurge = d.maxSurge;
      if (ru && ru.maxUnavailable === undefined) ru.maxUnavailable = d.maxUnavailable;
    }
  }
  if (d.updateStrategy !== undefined) {
    const us = mapAt(spec, 'updateStrategy');
    if (us && us.type === undefined) us.type = d.updateStrategy;
  }
  // extensions/v1beta1 DaemonSets counted template generations in the spec; apps/v1 keeps the count in an annotation.
  if (o.kind === 'DaemonSet' && spec.templateGeneration !== undefined) {
    if (typeof spec.templateGeneration === 'number') {
      const meta = mapAt(out as Obj, 'metadata');
      const ann = meta && mapAt(meta, 'annotations');
      if (ann) ann['deprecated.daemonset.template.generation'] = String(spec.templateGeneration);
    }
    delete spec.templateGeneration;
  }
  return out;
}

// ---------------------------------------------------------------------------------
// HorizontalPodAutoscaler: autoscaling/v1, v2beta1, v2beta2 → autoscaling/v2

const METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
const CURRENT_METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';

function target(averageUtilization: unknown, averageValue: unknown, value?: unknown): Obj {
  if (averageUtilization !== undefined) return { type: 'Utilization', averageUtilization };
  if (averageValue !== undefined) return { type: 'AverageValue', averageValue };
  if (value !== undefined) return { type: 'Value', value };
  return {};
}

function metricId(name: unknown, selector: unknown): Obj {
  const m: Obj = {};
  if (name !== undefined) m.name = name;
  if (selector !== undefined) m.selector = selector;
  return m;
}

/** A v2beta1 MetricSpec (`targetAverageUtilization`, `metricName`, …) as a v2 one. */
function v2beta1Metric(m: unknown): unknown {
  if (!isObj(m)) return m;
  const out: Obj = { type: m.type };
  const r = m.resource;
  if (isObj(r)) out.resource = { name: r.name, target: target(r.targetAverageUtilization, r.targetAverageValue) };
  const c = m.containerResource;
  if (isObj(c)) out.containerResource = { name: c.name, container: c.container, target: target(c.targetAverageUtilization, c.targetAverageValue) };
  const p = m.pods;
  if (isObj(p)) out.pods = { metric: metricId(p.metricName, p.selector), target: target(undefined, p.targetAverageValue) };
  const ob = m.object;
  if (isObj(ob)) out.object = { describedObject: ob.target, metric: metricId(ob.metricName, ob.selector), target: target(undefined, ob.averageValue, ob.targetValue) };
  const e = m.external;
  if (isObj(e)) out.external = { metric: metricId(e.metricName, e.metricSelector), target: target(undefined, e.targetAverageValue, e.targetValue) };
  return out;
}

function current(averageUtilization: unknown, averageValue: unknown, value?: unknown): Obj {
  const c: Obj = {};
  if (averageUtilization !== undefined) c.averageUtilization = averageUtilization;
  if (averageValue !== undefined) c.averageValue = averageValue;
  if (value !== undefined) c.value = value;
  return c;
}

/** A v2beta1 MetricStatus as a v2 one. */
function v2beta1MetricStatus(m: unknown): unknown {
  if (!isObj(m)) return m;
  const out: Obj = { type: m.type };
  const r = m.resource;
  if (isObj(r)) out.resource = { name: r.name, current: current(r.currentAverageUtilization, r.currentAverageValue) };
  const c = m.containerResource;
  if (isObj(c)) out.containerResource = { name: c.name, container: c.container, current: current(c.currentAverageUtilization, c.currentAverageValue) };
  const p = m.pods;
  if (isObj(p)) out.pods = { metric: metricId(p.metricName, p.selector), current: current(undefined, p.currentAverageValue) };
  const ob = m.object;
  if (isObj(ob)) out.object = { describedObject: ob.target, metric: metricId(ob.metricName, ob.selector), current: current(undefined, ob.averageValue, ob.currentValue) };
  const e = m.external;
  if (isObj(e)) out.external = { metric: metricId(e.metricName, e.metricSelector), current: current(undefined, e.currentAverageValue, e.currentValue) };
  return out;
}

function convertHpaV2beta1(o: KubeObject): KubeObject {
  const out = deepCopy(o);
  const spec = specOf(out);
  if (spec && Array.isArray(spec.metrics)) spec.metrics = spec.metrics.map(v2beta1Metric);
  const status = isObj(out.status) ? out.status : undefined;
  if (status && Array.isArray(status.currentMetrics)) status.currentMetrics = status.currentMetrics.map(v2beta1MetricStatus);
  return out;
}

/** Reads one of the JSON annotations autoscaling/v1 used to carry v2 fields. */
function jsonAnnotation(o: KubeObject, ann: Obj, key: string): unknown {
  const raw = ann[key];
  delete ann[key];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(String(raw));
  } catch {
    return refuse(o, 'autoscaling/v2', `annotation ${key} is not valid JSON`);
  }
}

/**
 * autoscaling/v1 has one target, `targetCPUUtilizationPercentage`; further metrics,
 * conditions and behavior ride in annotations (metrics in the v2beta1 shape). All of
 * them move into the v2 fields.
 */
function convertHpaV1(o: KubeObject): KubeObject {
  const out = deepCopy(o);
  const meta = isObj(out.metadata) ? (out.metadata as Obj) : undefined;
  const ann = meta && isObj(meta.annotations) ? meta.annotations : undefined;
  const spec = specOf(out);
  const status = isObj(out.status) ? out.status : undefined;
  let extraMetrics: unknown, behavior: unknown, conditions: unknown, currentMetrics: unknown;
  if (ann) {
    const before = Object.keys(ann).length;
    extraMetrics = jsonAnnotation(o, ann, METRICS_ANNOTATION);
    behavior = jsonAnnotation(o, ann, BEHAVIOR_ANNOTATION);
    conditions = jsonAnnotation(o, ann, CONDITIONS_ANNOTATION);
    currentMetrics = jsonAnnotation(o, ann, CURRENT_METRICS_ANNOTATION);
    if (meta && before > 0 && Object.keys(ann).length === 0) delete meta.annotations;
  }
  if (spec) {
    const metrics: unknown[] = [];
    if (spec.targetCPUUtilizationPercentage !== undefined) {
      metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } });
    }
    delete spec.targetCPUUtilizationPercentage;
    if (Array.isArray(extraMetrics)) metrics.push(...extraMetrics.map(v2beta1Metric));
    if (metrics.length) spec.metrics = metrics;
    if (behavior !== undefined && spec.behavior === undefined) spec.behavior = behavior;
  }
  if (status) {
    const cur: unknown[] = [];
    if (status.currentCPUUtilizationPercentage !== undefined) {
      cur.push({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } });
    }
    delete status.currentCPUUtilizationPercentage;
    if (Array.isArray(currentMetrics)) cur.push(...currentMetrics.map(v2beta1MetricStatus));
    if (cur.length) status.currentMetrics = cur;
    if (Array.isArray(conditions) && status.conditions === undefined) status.conditions = conditions;
  }
  return out;
}

// ---------------------------------------------------------------------------------
// PodDisruptionBudget: policy/v1beta1 → policy/v1

/** The label upstream uses to keep v1beta1's "empty selector matches nothing" meaning in v1. */
const PDB_V1BETA1_LABEL = 'pdb.kubernetes.io/deprecated-v1beta1-empty-selector-match';

/**
 * In policy/v1beta1 an empty selector (`{}`) selects no pods; in policy/v1 it selects
 * every pod. Upstream keeps the meaning with a selector no pod matches, and turns
 * v1beta1's "match all" spelling back into `{}`; so does this conversion.
 */
function convertPdb(o: KubeObject): KubeObject {
  const out = deepCopy(o);
  const spec = specOf(out);
  if (!spec || !isObj(spec.selector)) return out;
  const sel = spec.selector;
  const labels = sel.matchLabels;
  const exprs = sel.matchExpressions;
  const noLabels = labels === undefined || (isObj(labels) && Object.keys(labels).length === 0);
  const noExprs = exprs === undefined || (Array.isArray(exprs) && exprs.length === 0);
  if (noLabels && noExprs) {
    spec.selector = { matchExpressions: [{ key: PDB_V1BETA1_LABEL, operator: 'Exists' }] };
  } else if (noLabels && Array.isArray(exprs) && exprs.length === 1) {
    const e = exprs[0];
    if (isObj(e) && e.key === PDB_V1BETA1_LABEL && e.operator === 'DoesNotExist' && (e.values === undefined || (Array.isArray(e.values) && e.values.length === 0))) {
      spec.selector = {};
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------

const to = (apiVersion: string, kind: string, use: string, convert?: (o: KubeObject) => KubeObject): LegacyVersion => ({ apiVersion, kind, use, convert });

/**
 * Older versions users still write, converted to the served version (the scheme sets
 * the new apiVersion on the result), or refused with an error naming the version to
 * use. Registered on every scheme by `createScheme()`. Only version/kind pairs that
 * Kubernetes actually served are listed.
 *
 * Lossy points, by design: `spec.rollbackTo` of old Deployments is dropped (apps/v1
 * has no rollback-through-the-object; use `kubectl rollout undo`), and the v1
 * HorizontalPodAutoscaler annotations for current metrics and conditions move to
 * status.
 */
export const legacyVersions: LegacyVersion[] = [
  // batch
  to('batch/v1beta1', 'CronJob', 'batch/v1', sameShape),
  to('batch/v2alpha1', 'CronJob', 'batch/v1', sameShape),
  // networking
  to('networking.k8s.io/v1beta1', 'Ingress', 'networking.k8s.io/v1', convertIngress),
  to('extensions/v1beta1', 'Ingress', 'networking.k8s.io/v1', convertIngress),
  // apps
  to('apps/v1beta1', 'Deployment', 'apps/v1', convertWorkload),
  to('apps/v1beta1', 'StatefulSet', 'apps/v1', convertWorkload),
  to('apps/v1beta1', 'ControllerRevision', 'apps/v1', sameShape),
  to('apps/v1beta2', 'Deployment', 'apps/v1', convertWorkload),
  to('apps/v1beta2', 'StatefulSet', 'apps/v1', convertWorkload),
  to('apps/v1beta2', 'DaemonSet', 'apps/v1', convertWorkload),
  to('apps/v1beta2', 'ReplicaSet', 'apps/v1', convertWorkload),
  to('apps/v1beta2', 'ControllerRevision', 'apps/v1', sameShape),
  to('extensions/v1beta1', 'Deployment', 'apps/v1', convertWorkload),
  to('extensions/v1beta1', 'DaemonSet', 'apps/v1', convertWorkload),
  to('extensions/v1beta1', 'ReplicaSet', 'apps/v1', convertWorkload),
  // autoscaling
  to('autoscaling/v1', 'HorizontalPodAutoscaler', 'autoscaling/v2', convertHpaV1),
  to('autoscaling/v2beta1', 'HorizontalPodAutoscaler', 'autoscaling/v2', convertHpaV2beta1),
  to('autoscaling/v2beta2', 'HorizontalPodAutoscaler', 'autoscaling/v2', sameShape),
  // policy, storage, scheduling, coordination
  to('policy/v1beta1', 'PodDisruptionBudget', 'policy/v1', convertPdb),
  to('storage.k8s.io/v1beta1', 'StorageClass', 'storage.k8s.io/v1', sameShape),
  to('scheduling.k8s.io/v1beta1', 'PriorityClass', 'scheduling.k8s.io/v1', sameShape),
  to('scheduling.k8s.io/v1alpha1', 'PriorityClass', 'scheduling.k8s.io/v1', sameShape),
  to('coordination.k8s.io/v1beta1', 'Lease', 'coordination.k8s.io/v1', sameShape),
];
