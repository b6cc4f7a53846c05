// The scheduling parts of a pod spec: tolerations, node and pod (anti-)affinity and
// topology spread constraints, with core/validation's messages.
import { validateDns1123Label, validateDns1123Subdomain, validateLabelValue } from '../selectors/index';
import { arr, fieldError, has, int, invalidEach, IS_NOT_POSITIVE, isLabelValueMemo, isQualifiedNameMemo, obj, validateLabelName, validateLabelSelector, type Causes, type Path } from './util';

export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** A taint or toleration effect; empty is allowed for tolerations (it matches every effect). */
export function validateTaintEffect(effect: unknown, allowEmpty: boolean, path: Path): Causes {
  if (!has(effect) || effect === '') return allowEmpty ? [] : [fieldError.required(path)];
  return TAINT_EFFECTS.includes(effect as string) ? [] : [fieldError.notSupported(path, effect, TAINT_EFFECTS)];
}

/**
 * Tolerations: key a label name (an empty key needs operator Exists), operator Equal or
 * Exists (Exists with an empty value), value a label value, effect NoSchedule,
 * PreferNoSchedule, NoExecute or empty, tolerationSeconds only with NoExecute.
 */
export function validateTolerations(list: unknown, path: Path): Causes {
  const causes: Causes = [];
  const items = arr(list);
  // On every pod write: paths are built only for causes.
  for (let i = 0; i < items.length; i++) {
    const t = obj(items[i]);
    const key = typeof t.key === 'string' ? t.key : '';
    if (key !== '' && !isQualifiedNameMemo(key)) causes.push(...validateLabelName(key, path.index(i).child('key')));
    if (key === '' && t.operator !== 'Exists') {
      causes.push(fieldError.invalid(path.index(i).child('operator'), t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (has(t.tolerationSeconds) && t.effect !== 'NoExecute') {
      causes.push(fieldError.invalid(path.index(i).child('effect'), t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    const value = typeof t.value === 'string' ? t.value : '';
    switch (t.operator ?? '') {
      case 'Equal':
      case '': {
        if (!isLabelValueMemo(value)) causes.push(fieldError.invalid(path.index(i).child('operator'), value, validateLabelValue(value).join(';')));
        break;
      }
      case 'Exists':
        if (value !== '') causes.push(fieldError.invalid(path.index(i).child('operator'), t, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        causes.push(fieldError.notSupported(path.index(i).child('operator'), t.operator, ['Equal', 'Exists']));
    }
    if (has(t.effect) && t.effect !== '' && !TAINT_EFFECTS.includes(t.effect)) causes.push(...validateTaintEffect(t.effect, true, path.index(i).child('effect')));
  }
  return causes;
}

/** A node selector requirement of `matchExpressions` (In, NotIn, Exists, DoesNotExist, Gt, Lt). */
function validateNodeSelectorRequirement(raw: unknown, path: Path): Causes {
  const rq = obj(raw);
  const values = arr(rq.values);
  const causes: Causes = [];
  switch (rq.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) causes.push(fieldError.required(path.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) causes.push(fieldError.forbidden(path.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) causes.push(fieldError.required(path.child('values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      else if (typeof values[0] !== 'string' || !/^-?[0-9]+$/.test(values[0])) {
        causes.push(fieldError.invalid(path.child('values').index(0), values[0], "must be an integer when `operator` is 'Lt' or 'Gt'"));
      }
      break;
    default:
      causes.push(fieldError.invalid(path.child('operator'), rq.operator ?? '', 'not a valid selector operator'));
  }
  causes.push(...validateLabelName(rq.key, path.child('key')));
  values.forEach((v, j) => {
    if (typeof v !== 'string') causes.push(fieldError.typeInvalid(path.child('values').index(j), v, 'must be a string'));
    else causes.push(...invalidEach(path.child('values').index(j), v, validateLabelValue(v)));
  });
  return causes;
}

/** A `matchFields` requirement: key `metadata.name`, operator In or NotIn with exactly one value. */
function validateNodeFieldSelectorRequirement(raw: unknown, path: Path): Causes {
  const rq = obj(raw);
  const values = arr(rq.values);
  const causes: Causes = [];
  if (rq.operator === 'In' || rq.operator === 'NotIn') {
    if (values.length !== 1) causes.push(fieldError.required(path.child('values'), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
  } else {
    causes.push(fieldError.invalid(path.child('operator'), rq.operator ?? '', 'not a valid selector operator'));
  }
  if (rq.key !== 'metadata.name') causes.push(fieldError.invalid(path.child('key'), rq.key ?? '', 'not a valid field selector key'));
  else values.forEach((v, j) => causes.push(...invalidEach(path.child('values').index(j), v, validateDns1123Subdomain(String(v)))));
  return causes;
}

/** A node selector term: its matchExpressions and matchFields. */
export function validateNodeSelectorTerm(raw: unknown, path: Path): Causes {
  const term = obj(raw);
  const causes: Causes = [];
  arr(term.matchExpressions).forEach((r, j) => causes.push(...validateNodeSelectorRequirement(r, path.child('matchExpressions').index(j))));
  arr(term.matchFields).forEach((r, j) => causes.push(...validateNodeFieldSelectorRequirement(r, path.child('matchFields').index(j))));
  return causes;
}

/** A NodeSelector (required node affinity, PV node affinity): at least one term, each valid. */
export function validateNodeSelector(raw: unknown, path: Path): Causes {
  const terms = arr(obj(raw).nodeSelectorTerms);
  if (terms.length === 0) return [fieldError.required(path.child('nodeSelectorTerms'), 'must have at least one node selector term')];
  return terms.flatMap((t, i) => validateNodeSelectorTerm(t, path.child('nodeSelectorTerms').index(i)));
}

function validateWeight(w: unknown, path: Path, causes: Causes): void {
  const n = int(w, path, causes);
  if (n === undefined && !has(w)) causes.push(fieldError.invalid(path, 0, 'must be in the range 1-100'));
  else if (n !== undefined && (n <= 0 || n > 100)) causes.push(fieldError.invalid(path, n, 'must be in the range 1-100'));
}

function validatePodAffinityTerm(raw: unknown, path: Path): Causes {
  const term = obj(raw);
  const causes = validateLabelSelector(term.labelSelector, path.child('labelSelector'));
  causes.push(...validateLabelSelector(term.namespaceSelector, path.child('namespaceSelector')));
  for (const ns of arr(term.namespaces)) causes.push(...invalidEach(path.child('namespace'), ns, validateDns1123Label(String(ns))));
  if (typeof term.topologyKey !== 'string' || term.topologyKey === '') causes.push(fieldError.required(path.child('topologyKey'), 'can not be empty'));
  else causes.push(...validateLabelName(term.topologyKey, path.child('topologyKey')));
  return causes;
}

function validatePodAffinity(raw: unknown, path: Path): Causes {
  const a = obj(raw);
  const causes: Causes = [];
  const req = path.child('requiredDuringSchedulingIgnoredDuringExecution');
  arr(a.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => causes.push(...validatePodAffinityTerm(t, req.index(i))));
  const pref = path.child('preferredDuringSchedulingIgnoredDuringExecution');
  arr(a.preferredDuringSchedulingIgnoredDuringExecution).forEach((raw2, i) => {
    const w = obj(raw2);
    validateWeight(w.weight, pref.index(i).child('weight'), causes);
    causes.push(...validatePodAffinityTerm(w.podAffinityTerm, pref.index(i).child('podAffinityTerm')));
  });
  return causes;
}

/**
 * Affinity: node affinity (required terms with valid operators and values, preferred
 * weights 1..100) and pod (anti-)affinity (selectors valid, topologyKey required,
 * weights 1..100).
 */
export function validateAffinity(raw: unknown, path: Path): Causes {
  if (!has(raw)) return [];
  const a = obj(raw);
  const causes: Causes = [];
  if (has(a.nodeAffinity)) {
    const na = obj(a.nodeAffinity);
    const p = path.child('nodeAffinity');
    if (has(na.requiredDuringSchedulingIgnoredDuringExecution)) {
      causes.push(...validateNodeSelector(na.requiredDuringSchedulingIgnoredDuringExecution, p.child('requiredDuringSchedulingIgnoredDuringExecution')));
    }
    const pref = p.child('preferredDuringSchedulingIgnoredDuringExecution');
    arr(na.preferredDuringSchedulingIgnoredDuringExecution).forEach((raw2, i) => {
      const t = obj(raw2);
      validateWeight(t.weight, pref.index(i).child('weight'), causes);
      causes.push(...validateNodeSelectorTerm(t.preference, pref.index(i).child('preference')));
    });
  }
  if (has(a.podAffinity)) causes.push(...validatePodAffinity(a.podAffinity, path.child('podAffinity')));
  if (has(a.podAntiAffinity)) causes.push(...validatePodAffinity(a.podAntiAffinity, path.child('podAntiAffinity')));
  return causes;
}

const SCHEDULE_ACTIONS = ['DoNotSchedule', 'ScheduleAnyway'];

/**
 * Topology spread constraints: maxSkew > 0, topologyKey required, whenUnsatisfiable
 * DoNotSchedule or ScheduleAnyway, no repeated {topologyKey, whenUnsatisfiable},
 * minDomains > 0 and only with DoNotSchedule, a valid labelSelector.
 */
export function validateTopologySpreadConstraints(list: unknown, path: Path): Causes {
  const causes: Causes = [];
  const items = arr(list).map(obj);
  items.forEach((c, i) => {
    const p = path.index(i);
    const skew = int(c.maxSkew, p.child('maxSkew'), causes);
    if (skew === undefined ? !has(c.maxSkew) : skew <= 0) causes.push(fieldError.invalid(p.child('maxSkew'), skew ?? 0, IS_NOT_POSITIVE));
    if (typeof c.topologyKey !== 'string' || c.topologyKey === '') causes.push(fieldError.required(p.child('topologyKey'), 'can not be empty'));
    else causes.push(...validateLabelName(c.topologyKey, p.child('topologyKey')));
    if (!SCHEDULE_ACTIONS.includes(c.whenUnsatisfiable)) causes.push(fieldError.notSupported(p.child('whenUnsatisfiable'), c.whenUnsatisfiable ?? '', SCHEDULE_ACTIONS));
    if (items.slice(i + 1).some((o) => o.topologyKey === c.topologyKey && o.whenUnsatisfiable === c.whenUnsatisfiable)) {
      causes.push(fieldError.duplicate(p.child('{topologyKey, whenUnsatisfiable}'), `{${c.topologyKey}, ${c.whenUnsatisfiable}}`));
    }
    if (has(c.minDomains)) {
      const md = int(c.minDomains, p.child('minDomains'), causes);
      if (md !== undefined && md <= 0) causes.push(fieldError.invalid(p.child('minDomains'), md, IS_NOT_POSITIVE));
      if (c.whenUnsatisfiable !== 'DoNotSchedule') causes.push(fieldError.invalid(p.child('minDomains'), c.minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${c.whenUnsatisfiable}`));
    }
    for (const k of ['nodeAffinityPolicy', 'nodeTaintsPolicy']) {
      if (has(c[k]) && c[k] !== 'Honor' && c[k] !== 'Ignore') causes.push(fieldError.notSupported(p.child(k), c[k], ['Honor', 'Ignore']));
    }
    causes.push(...validateLabelSelector(c.labelSelector, p.child('labelSelector')));
  });
  return causes;
}
