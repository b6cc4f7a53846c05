// HorizontalPodAutoscaler (autoscaling/v2), as autoscaling/validation checks it.
import type { FieldCause } from '../errors';
import { arr, FieldPath, fieldError, has, int, invalidEach, obj, quantity, validateLabelSelector, validatePathSegmentName, type Causes, type Path } from './util';

const METRIC_TYPES = ['Object', 'Pods', 'Resource', 'External', 'ContainerResource'];
const METRIC_FIELDS: Readonly<Record<string, string>> = { Object: 'object', Pods: 'pods', Resource: 'resource', External: 'external', ContainerResource: 'containerResource' };
const SELECT_POLICIES = ['Disabled', 'Max', 'Min'];
const POLICY_TYPES = ['Pods', 'Percent'];
/** Longest stabilization window an HPA may ask for: one hour. */
export const MAX_STABILIZATION_WINDOW_SECONDS = 3600;
/** Longest period of an HPA scaling policy: 30 minutes. */
export const MAX_PERIOD_SECONDS = 1800;

function validateCrossVersionObjectReference(ref: unknown, path: Path): Causes {
  const r = obj(ref);
  const causes: Causes = [];
  for (const k of ['kind', 'name']) {
    if (typeof r[k] !== 'string' || r[k] === '') causes.push(fieldError.required(path.child(k)));
    else causes.push(...invalidEach(path.child(k), r[k], validatePathSegmentName(r[k])));
  }
  return causes;
}

function validateMetricIdentifier(id: unknown, path: Path): Causes {
  const m = obj(id);
  const causes: Causes = [];
  if (typeof m.name !== 'string' || m.name === '') causes.push(fieldError.required(path.child('name'), 'must specify a metric name'));
  else causes.push(...invalidEach(path.child('name'), m.name, validatePathSegmentName(m.name)));
  causes.push(...validateLabelSelector(m.selector, path.child('selector')));
  return causes;
}

function validateMetricTarget(target: unknown, path: Path): Causes {
  const t = obj(target);
  const causes: Causes = [];
  if (!has(t.type) || t.type === '') causes.push(fieldError.required(path.child('type'), 'must specify a metric target type'));
  if (t.type !== 'Utilization' && t.type !== 'Value' && t.type !== 'AverageValue') causes.push(fieldError.invalid(path.child('type'), t.type ?? '', 'must be either Utilization, Value, or AverageValue'));
  for (const k of ['value', 'averageValue']) {
    if (!has(t[k])) continue;
    const q = quantity(t[k], path.child(k), causes);
    if (q && q.sign() !== 1) causes.push(fieldError.invalid(path.child(k), t[k], 'must be positive'));
  }
  if (has(t.averageUtilization)) {
    const n = int(t.averageUtilization, path.child('averageUtilization'), causes);
    if (n !== undefined && n < 1) causes.push(fieldError.invalid(path.child('averageUtilization'), n, 'must be greater than 0'));
  }
  return causes;
}

function validateSource(type: string, src: Record<string, any>, path: Path): Causes {
  const causes: Causes = [];
  const target = obj(src.target);
  const tp = path.child('target');
  switch (type) {
    case 'Object':
      causes.push(...validateCrossVersionObjectReference(src.describedObject, path.child('describedObject')));
      causes.push(...validateMetricIdentifier(src.metric, path.child('metric')));
      causes.push(...validateMetricTarget(src.target, tp));
      if (!has(target.value) && !has(target.averageValue)) causes.push(fieldError.required(tp.child('averageValue'), 'must set either a target value or averageValue'));
      break;
    case 'Pods':
      causes.push(...validateMetricIdentifier(src.metric, path.child('metric')));
      causes.push(...validateMetricTarget(src.target, tp));
      if (!has(target.averageValue)) causes.push(fieldError.required(tp.child('averageValue'), 'must specify a positive target averageValue'));
      break;
    case 'External':
      causes.push(...validateMetricIdentifier(src.metric, path.child('metric')));
      causes.push(...validateMetricTarget(src.target, tp));
      if (!has(target.value) && !has(target.averageValue)) causes.push(fieldError.required(tp.child('averageValue'), 'must set either a target value for metric or a per-pod target'));
      if (has(target.value) && has(target.averageValue)) causes.push(fieldError.forbidden(tp.child('value'), 'may not set both a target value for metric and a per-pod target'));
      break;
    case 'Resource':
    case 'ContainerResource':
      if (typeof src.name !== 'string' || src.name === '') causes.push(fieldError.required(path.child('name'), 'must specify a resource name'));
      if (type === 'ContainerResource' && (typeof src.container !== 'string' || src.container === '')) causes.push(fieldError.required(path.child('container'), 'must specify a container'));
      causes.push(...validateMetricTarget(src.target, tp));
      if (!has(target.averageUtilization) && !has(target.averageValue)) causes.push(fieldError.required(tp.child('averageUtilization'), 'must set either a target raw value or a target utilization'));
      if (has(target.averageUtilization) && has(target.averageValue)) causes.push(fieldError.forbidden(tp.child('averageValue'), 'may not set both a target raw value and a target utilization'));
      break;
  }
  return causes;
}

function validateMetricSpec(raw: unknown, path: Path): Causes {
  const m = obj(raw);
  const causes: Causes = [];
  if (!has(m.type) || m.type === '') causes.push(fieldError.required(path.child('type'), 'must specify a metric source type'));
  else if (!METRIC_TYPES.includes(m.type)) causes.push(fieldError.notSupported(path.child('type'), m.type, METRIC_TYPES));
  const present = Object.values(METRIC_FIELDS).filter((f) => has(m[f]));
  const expected = METRIC_FIELDS[m.type];
  if (expected) {
    if (!has(m[expected])) causes.push(fieldError.required(path.child(expected), 'must populate information for the given metric source'));
    else causes.push(...validateSource(m.type, obj(m[expected]), path.child(expected)));
  }
  for (const f of present) if (f !== expected) causes.push(fieldError.forbidden(path.child(f), 'must populate the given metric source only'));
  return causes;
}

function validateScalingRules(rules: unknown, path: Path): Causes {
  if (!has(rules)) return [];
  const r = obj(rules);
  const causes: Causes = [];
  if (has(r.stabilizationWindowSeconds)) {
    const n = int(r.stabilizationWindowSeconds, path.child('stabilizationWindowSeconds'), causes);
    if (n !== undefined && n < 0) causes.push(fieldError.invalid(path.child('stabilizationWindowSeconds'), n, 'must be greater than or equal to zero'));
    if (n !== undefined && n > MAX_STABILIZATION_WINDOW_SECONDS) causes.push(fieldError.invalid(path.child('stabilizationWindowSeconds'), n, `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`));
  }
  if (has(r.selectPolicy) && !SELECT_POLICIES.includes(r.selectPolicy)) causes.push(fieldError.notSupported(path.child('selectPolicy'), r.selectPolicy, SELECT_POLICIES));
  const policies = arr(r.policies);
  if (policies.length === 0) causes.push(fieldError.required(path.child('policies'), 'must specify at least one Policy'));
  policies.forEach((raw, i) => {
    const p = path.child('policies').index(i);
    const policy = obj(raw);
    if (!POLICY_TYPES.includes(policy.type)) causes.push(fieldError.notSupported(p.child('type'), policy.type ?? '', POLICY_TYPES));
    const value = int(policy.value, p.child('value'), causes) ?? 0;
    if (value <= 0) causes.push(fieldError.invalid(p.child('value'), value, 'must be greater than zero'));
    const period = int(policy.periodSeconds, p.child('periodSeconds'), causes) ?? 0;
    if (period <= 0) causes.push(fieldError.invalid(p.child('periodSeconds'), period, 'must be greater than zero'));
    if (period > MAX_PERIOD_SECONDS) causes.push(fieldError.invalid(p.child('periodSeconds'), period, `must be less than or equal to ${MAX_PERIOD_SECONDS}`));
  });
  return causes;
}

/**
 * The HorizontalPodAutoscaler kind's validation: scaleTargetRef kind and name required;
 * minReplicas ≥ 1; maxReplicas > 0 and ≥ minReplicas (`must be greater than or equal to
 * \`minReplicas\``); each metric of a supported type with exactly its own source and a
 * well-formed target; behavior rules with windows up to an hour, select policies Max,
 * Min or Disabled, and at least one positive Pods or Percent policy per direction.
 */
export function validateHorizontalPodAutoscaler(hpa: unknown): FieldCause[] {
  const spec = obj(obj(hpa).spec);
  const path = FieldPath.root('spec');
  const causes: Causes = [];
  const min = int(spec.minReplicas, path.child('minReplicas'), causes);
  if (min !== undefined && min < 1) causes.push(fieldError.invalid(path.child('minReplicas'), min, 'must be greater than or equal to 1'));
  const max = int(spec.maxReplicas, path.child('maxReplicas'), causes);
  if (max === undefined ? !has(spec.maxReplicas) : max < 1) causes.push(fieldError.invalid(path.child('maxReplicas'), max ?? 0, 'must be greater than 0'));
  if (min !== undefined && max !== undefined && max < min) causes.push(fieldError.invalid(path.child('maxReplicas'), max, 'must be greater than or equal to `minReplicas`'));
  const refErrs = validateCrossVersionObjectReference(spec.scaleTargetRef, path.child('scaleTargetRef'));
  causes.push(...refErrs);
  if (refErrs.length === 0) {
    arr(spec.metrics).forEach((m, i) => causes.push(...validateMetricSpec(m, path.child('metrics').index(i))));
    if (has(spec.behavior)) {
      const b = obj(spec.behavior);
      causes.push(...validateScalingRules(b.scaleUp, path.child('behavior', 'scaleUp')));
      causes.push(...validateScalingRules(b.scaleDown, path.child('behavior', 'scaleDown')));
    }
  }
  return causes;
}
