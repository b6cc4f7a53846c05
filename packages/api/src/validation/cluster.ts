// Namespace, Node, Event, ServiceAccount, Lease, PriorityClass and PodDisruptionBudget.
import type { FieldCause } from '../errors';
import { validateDns1123Label, validateDns1123Subdomain, validateLabelValue, validateQualifiedName } from '../selectors/index';
import { validateTaintEffect } from './scheduling';
import {
  arr,
  cidrFamily,
  duplicateWithDetail,
  FieldPath,
  fieldError,
  has,
  immutable,
  int,
  INVALID_CIDR,
  invalidEach,
  nonNegative,
  notMoreThan100Percent,
  obj,
  quantity,
  semanticEqual,
  validateIntOrPercent,
  validateLabelName,
  validateLabelSelector,
  IS_NEGATIVE,
  type Causes,
} from './util';

const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/**
 * The Namespace kind's validation: the name a DNS-1123 label (reported when it passes
 * the generic subdomain check but not this one, as `a.b`), and spec.finalizers
 * qualified names that are either standard (`kubernetes`) or fully qualified.
 */
export function validateNamespace(ns: unknown): FieldCause[] {
  const n = obj(ns);
  const causes: Causes = [];
  const name = obj(n.metadata).name;
  if (typeof name === 'string' && name !== '' && validateDns1123Subdomain(name).length === 0) causes.push(...invalidEach('metadata.name', name, validateDns1123Label(name)));
  const path = FieldPath.root('spec').child('finalizers');
  for (const f of arr(obj(n.spec).finalizers)) {
    const s = typeof f === 'string' ? f : '';
    causes.push(...invalidEach(path, s, validateQualifiedName(s)));
    if (!s.includes('/') && !STANDARD_FINALIZERS.has(s)) causes.push(fieldError.invalid(path, s, 'name is neither a standard finalizer name nor is it fully qualified'));
  }
  return causes;
}

/**
 * The Node kind's validation: taints with a label-name key, a label value, a required
 * effect (NoSchedule, PreferNoSchedule, NoExecute), unique by key and effect; podCIDR
 * and podCIDRs valid CIDRs, at most one per IP family and no duplicates; status capacity
 * and allocatable non-negative quantities; no duplicate addresses. On update podCIDR(s)
 * and providerID may only be set from empty.
 */
export function validateNode(node: unknown, old?: unknown): FieldCause[] {
  const n = obj(node);
  const spec = obj(n.spec);
  const status = obj(n.status);
  const causes: Causes = [];
  const specPath = FieldPath.root('spec');
  const seen = new Set<string>();
  arr(spec.taints).forEach((raw, i) => {
    const p = specPath.child('taints').index(i);
    const t = obj(raw);
    causes.push(...validateLabelName(t.key ?? '', p.child('key')));
    const value = typeof t.value === 'string' ? t.value : '';
    const errs = validateLabelValue(value);
    if (errs.length) causes.push(fieldError.invalid(p.child('value'), value, errs.join(';')));
    causes.push(...validateTaintEffect(t.effect, false, p.child('effect')));
    const key = `${t.key}\u0000${t.effect}`;
    if (seen.has(key)) causes.push(duplicateWithDetail(p, t, 'taints must be unique by key and effect pair'));
    seen.add(key);
  });
  if (typeof spec.podCIDR === 'string' && spec.podCIDR !== '' && !cidrFamily(spec.podCIDR)) causes.push(fieldError.invalid(specPath.child('podCIDR'), spec.podCIDR, INVALID_CIDR));
  const cidrs = arr(spec.podCIDRs);
  const families: number[] = [];
  cidrs.forEach((c, i) => {
    const fam = typeof c === 'string' ? cidrFamily(c) : undefined;
    if (!fam) causes.push(fieldError.invalid(specPath.child('podCIDRs').index(i), c, INVALID_CIDR));
    else families.push(fam);
    if (cidrs.indexOf(c) !== i) causes.push(fieldError.duplicate(specPath.child('podCIDRs').index(i), c));
  });
  if (cidrs.length > 2 || (cidrs.length === 2 && families.length === 2 && families[0] === families[1])) {
    causes.push(fieldError.invalid(specPath.child('podCIDRs'), cidrs, 'may specify no more than one CIDR for each IP family'));
  }
  for (const k of ['capacity', 'allocatable']) {
    for (const [r, v] of Object.entries(obj(status[k]))) {
      const p = FieldPath.root('status').child(k, r);
      const q = quantity(v, p, causes);
      if (q && q.sign() < 0) causes.push(fieldError.invalid(p, q.toString(), IS_NEGATIVE));
    }
  }
  const addresses = new Set<string>();
  arr(status.addresses).forEach((a, i) => {
    const key = JSON.stringify([obj(a).type, obj(a).address]);
    if (addresses.has(key)) causes.push(fieldError.duplicate(FieldPath.root('status').child('addresses').index(i), a));
    addresses.add(key);
  });
  if (old !== undefined) {
    const oldSpec = obj(obj(old).spec);
    if (arr(oldSpec.podCIDRs).length > 0 && !semanticEqual(spec.podCIDRs, oldSpec.podCIDRs)) {
      causes.push(fieldError.forbidden(specPath.child('podCIDRs'), 'node updates may not change podCIDR except from "" to valid'));
    } else if (oldSpec.podCIDR && spec.podCIDR !== oldSpec.podCIDR) {
      causes.push(fieldError.forbidden(specPath.child('podCIDR'), 'node updates may not change podCIDR except from "" to valid'));
    }
    if (oldSpec.providerID && spec.providerID !== oldSpec.providerID) causes.push(fieldError.forbidden(specPath.child('providerID'), 'node updates may not change providerID except from "" to valid'));
  }
  return causes;
}

/**
 * The Event kind's validation (core/v1 events): involvedObject kind and name required,
 * reason required (at most 128 characters), type Normal or Warning, count ≥ 0, the
 * event's namespace agreeing with the involved object's (cluster-scoped objects' events
 * live in `default`); events with eventTime also need reportingController (a qualified
 * name), reportingInstance and action.
 */
export function validateEvent(ev: unknown): FieldCause[] {
  const e = obj(ev);
  const causes: Causes = [];
  const root = FieldPath.root('');
  const io = obj(e.involvedObject);
  const ioPath = root.child('involvedObject');
  if (!io.kind) causes.push(fieldError.required(ioPath.child('kind')));
  if (!io.name) causes.push(fieldError.required(ioPath.child('name')));
  const ns = obj(e.metadata).namespace ?? '';
  const ioNs = io.namespace ?? '';
  const modern = has(e.eventTime);
  if (ioNs === '' ? ns !== '' && ns !== 'default' && !(modern && ns === 'kube-system') : ioNs !== ns) {
    causes.push(fieldError.invalid(ioPath.child('namespace'), ioNs, 'does not match event.namespace'));
  }
  if (typeof e.reason !== 'string' || e.reason === '') causes.push(fieldError.required(root.child('reason')));
  else if (e.reason.length > 128) causes.push(fieldError.invalid(root.child('reason'), '', 'can have at most 128 characters'));
  if (typeof e.message === 'string' && modern && e.message.length > 1024) causes.push(fieldError.invalid(root.child('message'), '', 'can have at most 1024 characters'));
  if (has(e.type) && e.type !== '' && e.type !== 'Normal' && e.type !== 'Warning') causes.push(fieldError.invalid(root.child('type'), '', `has invalid value: ${e.type}`));
  nonNegative(e.count, root.child('count'), causes);
  if (modern) {
    if (!e.reportingComponent && !e.reportingController) causes.push(fieldError.required(root.child('reportingController')));
    else if (typeof e.reportingController === 'string') causes.push(...invalidEach(root.child('reportingController'), e.reportingController, validateQualifiedName(e.reportingController)));
    if (!e.reportingInstance) causes.push(fieldError.required(root.child('reportingInstance')));
    else if (String(e.reportingInstance).length > 128) causes.push(fieldError.invalid(root.child('reportingInstance'), '', 'can have at most 128 characters'));
    if (!e.action) causes.push(fieldError.required(root.child('action')));
    else if (String(e.action).length > 128) causes.push(fieldError.invalid(root.child('action'), '', 'can have at most 128 characters'));
  }
  return causes;
}

/** The ServiceAccount kind's validation: referenced secrets and image pull secrets have names. */
export function validateServiceAccount(sa: unknown): FieldCause[] {
  const s = obj(sa);
  const causes: Causes = [];
  for (const k of ['secrets', 'imagePullSecrets']) {
    arr(s[k]).forEach((r, i) => {
      const name = obj(r).name;
      if (typeof name === 'string' && name !== '') causes.push(...invalidEach(FieldPath.root(k).index(i).child('name'), name, validateDns1123Subdomain(name)));
    });
  }
  return causes;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The Lease kind's validation: leaseDurationSeconds > 0, leaseTransitions ≥ 0, acquire and renew times RFC 3339. */
export function validateLease(lease: unknown): FieldCause[] {
  const spec = obj(obj(lease).spec);
  const path = FieldPath.root('spec');
  const causes: Causes = [];
  if (has(spec.leaseDurationSeconds)) {
    const n = int(spec.leaseDurationSeconds, path.child('leaseDurationSeconds'), causes);
    if (n !== undefined && n <= 0) causes.push(fieldError.invalid(path.child('leaseDurationSeconds'), n, 'must be greater than 0'));
  }
  nonNegative(spec.leaseTransitions, path.child('leaseTransitions'), causes);
  for (const k of ['acquireTime', 'renewTime']) {
    if (has(spec[k]) && (typeof spec[k] !== 'string' || !RFC3339.test(spec[k]))) causes.push(fieldError.invalid(path.child(k), spec[k], 'must be an RFC 3339 timestamp'));
  }
  return causes;
}

/** The highest priority a user-defined PriorityClass may have. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
/** The built-in priority classes and their values: names with the `system-` prefix are reserved for them. */
export const SYSTEM_PRIORITY_CLASSES: Readonly<Record<string, number>> = { 'system-node-critical': 2_000_001_000, 'system-cluster-critical': 2_000_000_000 };
const PREEMPTION_POLICIES = ['PreemptLowerPriority', 'Never'];

/**
 * The PriorityClass kind's validation: `system-` names only for the built-in classes
 * with their values; other values at most 1,000,000,000; preemptionPolicy
 * PreemptLowerPriority or Never. On update value and preemptionPolicy are fixed.
 */
export function validatePriorityClass(pc: unknown, old?: unknown): FieldCause[] {
  const p = obj(pc);
  const causes: Causes = [];
  const root = FieldPath.root('');
  const name = obj(p.metadata).name;
  const value = int(p.value, root.child('value'), causes);
  if (!has(p.value)) causes.push(fieldError.required(root.child('value')));
  if (typeof name === 'string' && name.startsWith('system-')) {
    const expected = SYSTEM_PRIORITY_CLASSES[name];
    let err: string | undefined;
    if (expected === undefined) err = `${name} is not a known system priority class`;
    else if (value !== expected) err = `value of ${name} PriorityClass must be ${expected}`;
    else if (p.globalDefault === true) err = `globalDefault of ${name} PriorityClass must be false`;
    if (err) causes.push(fieldError.forbidden('metadata.name', `priority class names with 'system-' prefix are reserved for system use only. error: ${err}`));
  } else if (value !== undefined && value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    causes.push(fieldError.forbidden(root.child('value'), `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  if (has(p.preemptionPolicy) && !PREEMPTION_POLICIES.includes(p.preemptionPolicy)) {
    causes.push(p.preemptionPolicy === '' ? fieldError.required(root.child('preemptionPolicy')) : fieldError.notSupported(root.child('preemptionPolicy'), p.preemptionPolicy, PREEMPTION_POLICIES));
  }
  if (old !== undefined) {
    const o = obj(old);
    if (p.value !== o.value) causes.push(fieldError.forbidden(root.child('value'), 'may not be changed in an update.'));
    causes.push(...immutable(p.preemptionPolicy ?? 'PreemptLowerPriority', o.preemptionPolicy ?? 'PreemptLowerPriority', root.child('preemptionPolicy')));
  }
  return causes;
}

const EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

/**
 * The PodDisruptionBudget kind's validation: not both minAvailable and maxUnavailable;
 * each a non-negative integer or a percentage up to 100%; a valid selector;
 * unhealthyPodEvictionPolicy IfHealthyBudget or AlwaysAllow.
 */
export function validatePodDisruptionBudget(pdb: unknown): FieldCause[] {
  const spec = obj(obj(pdb).spec);
  const path = FieldPath.root('spec');
  const causes: Causes = [];
  if (has(spec.minAvailable) && has(spec.maxUnavailable)) causes.push(fieldError.invalid(path, spec, 'minAvailable and maxUnavailable cannot be both set'));
  for (const k of ['minAvailable', 'maxUnavailable']) {
    if (!has(spec[k])) continue;
    causes.push(...validateIntOrPercent(spec[k], path.child(k)));
    causes.push(...notMoreThan100Percent(spec[k], path.child(k)));
  }
  causes.push(...validateLabelSelector(spec.selector, path.child('selector')));
  if (has(spec.unhealthyPodEvictionPolicy) && !EVICTION_POLICIES.includes(spec.unhealthyPodEvictionPolicy)) {
    causes.push(fieldError.notSupported(path.child('unhealthyPodEvictionPolicy'), spec.unhealthyPodEvictionPolicy, EVICTION_POLICIES));
  }
  return causes;
}
