// Deployment, ReplicaSet, ReplicationController, StatefulSet, DaemonSet and
// ControllerRevision, as apps/validation and core/validation check them.
import type { FieldCause } from '../errors';
import { validateDns1123Label } from '../selectors/index';
import { validatePodTemplate } from './pod';
import { validatePersistentVolumeClaimSpec } from './storage';
import {
  arr,
  clone,
  compileSelector,
  FieldPath,
  fieldError,
  has,
  immutable,
  int,
  intOrPercentValue,
  invalidEach,
  isEmptySelector,
  isObj,
  nonNegative,
  notMoreThan100Percent,
  obj,
  semanticEqual,
  templateLabels,
  validateIntOrPercent,
  validateLabels,
  validateLabelSelector,
  type Causes,
  type Path,
} from './util';

const SPEC = FieldPath.root('spec');
/** The message upstream gives when a template's labels do not satisfy the selector. */
export const SELECTOR_MISMATCH = '`selector` does not match template `labels`';

/** `spec.selector`: required, valid, and not empty (`empty selector is invalid for <what>`). */
function validateRequiredSelector(sel: unknown, what: string, causes: Causes): void {
  const path = SPEC.child('selector');
  if (!has(sel)) {
    causes.push(fieldError.required(path));
    return;
  }
  causes.push(...validateLabelSelector(sel, path));
  if (isObj(sel) && isEmptySelector(sel)) causes.push(fieldError.invalid(path, sel, `empty selector is invalid for ${what}`));
}

/** The template of a replicated workload: labels match the selector, spec valid with restartPolicy Always, no activeDeadlineSeconds. */
function validateWorkloadTemplate(spec: Record<string, any>, kindWord: string, causes: Causes, opts: { extraVolumeNames?: string[]; deadline?: 'forbidden' | 'invalid' } = {}): void {
  const path = SPEC.child('template');
  const tpl = spec.template;
  if (!isObj(tpl)) {
    causes.push(fieldError.required(path));
    return;
  }
  const selector = compileSelector(spec.selector);
  if (selector && !selector.isEmpty() && !selector.matches(templateLabels(tpl))) {
    causes.push(fieldError.invalid(path.child('metadata', 'labels'), obj(obj(tpl.metadata).labels), SELECTOR_MISMATCH));
  }
  causes.push(...validatePodTemplate(tpl, path, { restartPolicies: ['Always'], extraVolumeNames: opts.extraVolumeNames }));
  const deadline = obj(tpl.spec).activeDeadlineSeconds;
  if (has(deadline)) {
    const p = path.child('spec', 'activeDeadlineSeconds');
    causes.push(opts.deadline === 'invalid' ? fieldError.invalid(p, deadline, `activeDeadlineSeconds must be nil for ${kindWord}s`) : fieldError.forbidden(p, `activeDeadlineSeconds in ${kindWord} is not Supported`));
  }
}

/**
 * The Deployment kind's validation: replicas ≥ 0; selector required, valid, non-empty and
 * matching the template's labels; the template (restartPolicy Always); the strategy
 * (Recreate without rollingUpdate; RollingUpdate with int-or-percent maxSurge and
 * maxUnavailable, not both 0, maxUnavailable ≤ 100%); minReadySeconds,
 * revisionHistoryLimit ≥ 0; progressDeadlineSeconds > minReadySeconds. On update the
 * selector is immutable.
 */
export function validateDeployment(d: unknown, old?: unknown): FieldCause[] {
  const spec = obj(obj(d).spec);
  const causes: Causes = [];
  nonNegative(spec.replicas, SPEC.child('replicas'), causes);
  validateRequiredSelector(spec.selector, 'deployment', causes);
  validateWorkloadTemplate(spec, 'ReplicaSet', causes);
  causes.push(...validateDeploymentStrategy(spec.strategy, SPEC.child('strategy')));
  nonNegative(spec.minReadySeconds, SPEC.child('minReadySeconds'), causes);
  nonNegative(spec.revisionHistoryLimit, SPEC.child('revisionHistoryLimit'), causes);
  if (has(spec.progressDeadlineSeconds)) {
    const p = SPEC.child('progressDeadlineSeconds');
    const n = int(spec.progressDeadlineSeconds, p, causes);
    if (n !== undefined) {
      if (n < 0) causes.push(fieldError.invalid(p, n, 'must be greater than or equal to 0'));
      if (n <= (typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0)) causes.push(fieldError.invalid(p, n, 'must be greater than minReadySeconds'));
    }
  }
  if (old !== undefined) causes.push(...immutable(spec.selector, obj(obj(old).spec).selector, SPEC.child('selector')));
  return causes;
}

function validateDeploymentStrategy(strategy: unknown, path: Path): Causes {
  if (!has(strategy)) return [];
  const s = obj(strategy);
  const causes: Causes = [];
  switch (s.type ?? 'RollingUpdate') {
    case 'Recreate':
      if (has(s.rollingUpdate)) causes.push(fieldError.forbidden(path.child('rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'"));
      break;
    case 'RollingUpdate': {
      const ru = obj(s.rollingUpdate);
      const p = path.child('rollingUpdate');
      const maxUnavailable = ru.maxUnavailable ?? '25%';
      const maxSurge = ru.maxSurge ?? '25%';
      causes.push(...validateIntOrPercent(maxUnavailable, p.child('maxUnavailable')));
      causes.push(...validateIntOrPercent(maxSurge, p.child('maxSurge')));
      if (intOrPercentValue(maxUnavailable) === 0 && intOrPercentValue(maxSurge) === 0) {
        causes.push(fieldError.invalid(p.child('maxUnavailable'), maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
      }
      causes.push(...notMoreThan100Percent(maxUnavailable, p.child('maxUnavailable')));
      break;
    }
    default:
      causes.push(fieldError.notSupported(path.child('type'), s.type, ['Recreate', 'RollingUpdate']));
  }
  return causes;
}

/**
 * The ReplicaSet kind's validation: replicas and minReadySeconds ≥ 0, selector required,
 * valid, non-empty and matching the template, the template (restartPolicy Always, no
 * activeDeadlineSeconds). On update the selector is immutable.
 */
export function validateReplicaSet(rs: unknown, old?: unknown): FieldCause[] {
  const spec = obj(obj(rs).spec);
  const causes: Causes = [];
  nonNegative(spec.replicas, SPEC.child('replicas'), causes);
  nonNegative(spec.minReadySeconds, SPEC.child('minReadySeconds'), causes);
  // Upstream's ReplicaSet validation words this one with "deployment" too.
  validateRequiredSelector(spec.selector, 'deployment', causes);
  validateWorkloadTemplate(spec, 'ReplicaSet', causes);
  if (old !== undefined) causes.push(...immutable(spec.selector, obj(obj(old).spec).selector, SPEC.child('selector')));
  return causes;
}

/**
 * The ReplicationController kind's validation: a non-empty map selector (defaulted from
 * the template's labels) that the template's labels satisfy, replicas and
 * minReadySeconds ≥ 0, the template (restartPolicy Always). The selector may change.
 */
export function validateReplicationController(rc: unknown): FieldCause[] {
  const spec = obj(obj(rc).spec);
  const causes: Causes = [];
  nonNegative(spec.minReadySeconds, SPEC.child('minReadySeconds'), causes);
  const selector = obj(spec.selector);
  if (Object.keys(selector).length === 0) causes.push(fieldError.required(SPEC.child('selector')));
  else causes.push(...validateLabels(spec.selector, SPEC.child('selector')));
  nonNegative(spec.replicas, SPEC.child('replicas'), causes);
  const tplPath = SPEC.child('template');
  if (!isObj(spec.template)) {
    causes.push(fieldError.required(tplPath));
    return causes;
  }
  const labels = templateLabels(spec.template);
  if (Object.keys(selector).length > 0 && !Object.entries(selector).every(([k, v]) => labels[k] === v)) {
    causes.push(fieldError.invalid(tplPath.child('metadata', 'labels'), obj(obj(spec.template.metadata).labels), SELECTOR_MISMATCH));
  }
  causes.push(...validatePodTemplate(spec.template, tplPath, { restartPolicies: ['Always'] }));
  if (has(obj(spec.template.spec).activeDeadlineSeconds)) {
    causes.push(fieldError.forbidden(tplPath.child('spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in ReplicationController is not Supported'));
  }
  return causes;
}

/** The message of the Forbidden cause for a StatefulSet update that changes a fixed field. */
export const STATEFULSET_SPEC_FORBIDDEN =
  "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";
const STATEFULSET_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

/**
 * The StatefulSet kind's validation: podManagementPolicy OrderedReady or Parallel;
 * updateStrategy RollingUpdate (partition ≥ 0, maxUnavailable not 0) or OnDelete (without
 * rollingUpdate); PVC retention policies Retain or Delete; replicas, minReadySeconds,
 * ordinals.start ≥ 0; selector required, valid, non-empty, matching the template; the
 * template (restartPolicy Always; mounts may name volumeClaimTemplates); serviceName a DNS
 * label; every volumeClaimTemplate named and a valid claim spec. On update only replicas,
 * ordinals, template, updateStrategy, revisionHistoryLimit,
 * persistentVolumeClaimRetentionPolicy and minReadySeconds may change.
 */
export function validateStatefulSet(sts: unknown, old?: unknown): FieldCause[] {
  const spec = obj(obj(sts).spec);
  const causes: Causes = [];
  if (has(spec.podManagementPolicy) && spec.podManagementPolicy !== 'OrderedReady' && spec.podManagementPolicy !== 'Parallel') {
    causes.push(fieldError.invalid(SPEC.child('podManagementPolicy'), spec.podManagementPolicy, "must be 'OrderedReady' or 'Parallel'"));
  }
  if (has(spec.updateStrategy)) {
    const s = obj(spec.updateStrategy);
    const p = SPEC.child('updateStrategy');
    switch (s.type ?? 'RollingUpdate') {
      case 'OnDelete':
        if (has(s.rollingUpdate)) causes.push(fieldError.invalid(p.child('rollingUpdate'), s.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
        break;
      case 'RollingUpdate':
        if (has(s.rollingUpdate)) {
          const ru = obj(s.rollingUpdate);
          const rp = p.child('rollingUpdate');
          nonNegative(ru.partition, rp.child('partition'), causes);
          if (has(ru.maxUnavailable)) {
            causes.push(...validateIntOrPercent(ru.maxUnavailable, rp.child('maxUnavailable')));
            if (intOrPercentValue(ru.maxUnavailable) === 0) causes.push(fieldError.invalid(rp.child('maxUnavailable'), ru.maxUnavailable, 'cannot be 0'));
            causes.push(...notMoreThan100Percent(ru.maxUnavailable, rp.child('maxUnavailable')));
          }
        }
        break;
      default:
        causes.push(fieldError.invalid(p, s, "must be 'RollingUpdate' or 'OnDelete'"));
    }
  }
  if (has(spec.persistentVolumeClaimRetentionPolicy)) {
    const r = obj(spec.persistentVolumeClaimRetentionPolicy);
    for (const k of ['whenDeleted', 'whenScaled']) {
      if (has(r[k]) && r[k] !== 'Retain' && r[k] !== 'Delete') causes.push(fieldError.notSupported(SPEC.child('persistentVolumeClaimRetentionPolicy', k), r[k], ['Retain', 'Delete']));
    }
  }
  nonNegative(spec.replicas, SPEC.child('replicas'), causes);
  nonNegative(spec.minReadySeconds, SPEC.child('minReadySeconds'), causes);
  nonNegative(spec.revisionHistoryLimit, SPEC.child('revisionHistoryLimit'), causes);
  if (has(spec.ordinals)) nonNegative(obj(spec.ordinals).start, SPEC.child('ordinals', 'start'), causes);
  validateRequiredSelector(spec.selector, 'statefulset', causes);
  if (typeof spec.serviceName === 'string' && spec.serviceName !== '') causes.push(...invalidEach(SPEC.child('serviceName'), spec.serviceName, validateDns1123Label(spec.serviceName)));
  const claimNames: string[] = [];
  arr(spec.volumeClaimTemplates).forEach((raw, i) => {
    const p = SPEC.child('volumeClaimTemplates').index(i);
    const claim = obj(raw);
    const name = obj(claim.metadata).name;
    if (typeof name !== 'string' || name === '') causes.push(fieldError.required(p.child('metadata', 'name')));
    else {
      causes.push(...invalidEach(p.child('metadata', 'name'), name, validateDns1123Label(name)));
      claimNames.push(name);
    }
    causes.push(...validatePersistentVolumeClaimSpec(claim.spec, p.child('spec')));
  });
  validateWorkloadTemplate(spec, 'StatefulSet', causes, { extraVolumeNames: claimNames });
  if (old !== undefined) {
    const before = clone(obj(obj(old).spec));
    const now = clone(spec);
    for (const k of STATEFULSET_MUTABLE) {
      delete before[k];
      delete now[k];
    }
    if (!semanticEqual(now, before)) causes.push(fieldError.forbidden(SPEC, STATEFULSET_SPEC_FORBIDDEN));
  }
  return causes;
}

/**
 * The DaemonSet kind's validation: selector required, valid, non-empty and matching the
 * template; the template (restartPolicy Always, no activeDeadlineSeconds);
 * minReadySeconds, templateGeneration, revisionHistoryLimit ≥ 0; updateStrategy OnDelete
 * or RollingUpdate with exactly one of maxUnavailable and maxSurge non-zero. On update
 * the selector is immutable.
 */
export function validateDaemonSet(ds: unknown, old?: unknown): FieldCause[] {
  const spec = obj(obj(ds).spec);
  const causes: Causes = [];
  validateRequiredSelector(spec.selector, 'daemonset', causes);
  validateWorkloadTemplate(spec, 'DaemonSet', causes, { deadline: 'invalid' });
  nonNegative(spec.minReadySeconds, SPEC.child('minReadySeconds'), causes);
  nonNegative(spec.templateGeneration, SPEC.child('templateGeneration'), causes);
  nonNegative(spec.revisionHistoryLimit, SPEC.child('revisionHistoryLimit'), causes);
  if (has(spec.updateStrategy)) {
    const s = obj(spec.updateStrategy);
    const p = SPEC.child('updateStrategy');
    switch (s.type ?? 'RollingUpdate') {
      case 'OnDelete':
        break;
      case 'RollingUpdate': {
        const ru = obj(s.rollingUpdate);
        const rp = p.child('rollingUpdate');
        const maxUnavailable = ru.maxUnavailable ?? 1;
        const maxSurge = ru.maxSurge ?? 0;
        causes.push(...validateIntOrPercent(maxUnavailable, rp.child('maxUnavailable')));
        causes.push(...validateIntOrPercent(maxSurge, rp.child('maxSurge')));
        causes.push(...notMoreThan100Percent(maxUnavailable, rp.child('maxUnavailable')));
        causes.push(...notMoreThan100Percent(maxSurge, rp.child('maxSurge')));
        const unavailable = (intOrPercentValue(maxUnavailable) ?? 0) !== 0;
        const surge = (intOrPercentValue(maxSurge) ?? 0) !== 0;
        if (unavailable && surge) causes.push(fieldError.invalid(rp.child('maxSurge'), maxSurge, 'may not be set when maxUnavailable is non-zero'));
        else if (!unavailable && !surge) causes.push(fieldError.required(rp.child('maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
        break;
      }
      default:
        causes.push(fieldError.notSupported(p.child('type'), s.type, ['RollingUpdate', 'OnDelete']));
    }
  }
  if (old !== undefined) causes.push(...immutable(spec.selector, obj(obj(old).spec).selector, SPEC.child('selector')));
  return causes;
}

/** The ControllerRevision kind's validation: data required (`data is mandatory`), revision ≥ 0; data immutable on update. */
export function validateControllerRevision(cr: unknown, old?: unknown): FieldCause[] {
  const r = obj(cr);
  const causes: Causes = [];
  const root = FieldPath.root('');
  if (!has(r.data)) causes.push(fieldError.required(root.child('data'), 'data is mandatory'));
  nonNegative(r.revision, root.child('revision'), causes);
  if (old !== undefined) causes.push(...immutable(r.data, obj(old).data, root.child('data')));
  return causes;
}
