// Pods and pod templates: core/validation's ValidatePodSpec, ValidatePodTemplateSpec,
// ValidatePodCreate and ValidatePodUpdate.
import type { FieldCause } from '../errors';
import { validateDns1123Label, validateDns1123Subdomain, validateQualifiedName } from '../selectors/index';
import { validatePodSecurityContext, validateContainerCommon, validateContainers, validateInitContainers } from './container';
import { validateAnnotations } from './meta';
import { validateAffinity, validateTolerations, validateTopologySpreadConstraints } from './scheduling';
import {
  arr,
  clone,
  fieldError,
  FieldPath,
  has,
  inclusiveRangeError,
  int,
  intField,
  INVALID_IP,
  invalidEach,
  ipFamily,
  isDns1123LabelMemo,
  isDns1123SubdomainMemo,
  isObj,
  labelsValid,
  MAX_INT32,
  nonNegativeField,
  obj,
  semanticEqual,
  validateLabels,
  type Causes,
  type Path,
} from './util';
import { validateVolumes } from './volume';

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PREEMPTION_POLICIES = ['PreemptLowerPriority', 'Never'];

/** A non-empty array (the lists below are skipped entirely when absent or empty). */
const nonEmpty = (v: unknown): boolean => Array.isArray(v) && v.length > 0;

/** Options of {@link validatePodSpec} and {@link validatePodTemplate}. */
export interface PodSpecValidationOptions {
  /**
   * The restartPolicy values allowed (`Always`, `OnFailure`, `Never` by default);
   * workloads allow only `Always`, Jobs `OnFailure` and `Never`.
   */
  restartPolicies?: readonly string[];
  /**
   * When set, an absent restartPolicy is a Required cause with this detail (Jobs:
   * `valid values: "OnFailure", "Never"`). Otherwise absent means the default, Always.
   */
  restartPolicyRequired?: string;
  /** The spec is a pod template's: ephemeral containers are forbidden. */
  template?: boolean;
  /** Names volume mounts may refer to besides `volumes` (a StatefulSet's volumeClaimTemplates). */
  extraVolumeNames?: readonly string[];
}

/**
 * Validates a pod spec at `path` (`spec`, `spec.template.spec`, …) as Kubernetes'
 * ValidatePodSpec does: volumes, containers and init containers (names unique DNS labels,
 * images, ports, env, mounts referring to volumes, resources, probes), restartPolicy,
 * dnsPolicy and dnsConfig, nodeSelector, securityContext, affinity, tolerations,
 * topology spread, names of the service account, node, host, priority class, and the
 * activeDeadlineSeconds and terminationGracePeriodSeconds ranges. Accepts defaulted and
 * undefaulted specs alike: fields with defaults may be absent.
 */
export function validatePodSpec(spec: unknown, path: Path = FieldPath.root('spec'), opts: PodSpecValidationOptions = {}): FieldCause[] {
  if (!isObj(spec)) return [has(spec) ? fieldError.typeInvalid(path, spec, 'must be an object') : fieldError.required(path)];
  const s = spec;
  const causes: Causes = [];
  // Runs on every pod write: child paths are built only where a list is present or a
  // value fails; every skipped call would have found nothing.
  const vols = validateVolumes(s.volumes, path.child('volumes'));
  if (vols.causes.length) causes.push(...vols.causes);
  const gracePeriod = typeof s.terminationGracePeriodSeconds === 'number' ? s.terminationGracePeriodSeconds : undefined;
  if (opts.extraVolumeNames) for (const n of opts.extraVolumeNames) vols.names.add(n);
  const ctx = { volumes: vols.names, gracePeriod };
  causes.push(...validateContainers(s.containers, ctx, path.child('containers')));
  if (nonEmpty(s.initContainers)) causes.push(...validateInitContainers(s.initContainers, s.containers, ctx, path.child('initContainers')));
  if (nonEmpty(s.ephemeralContainers)) {
    if (opts.template) causes.push(fieldError.forbidden(path.child('ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
    else causes.push(...validateEphemeralContainers(s, ctx, path.child('ephemeralContainers')));
  }
  if (s.hostNetwork === true) causes.push(...validateHostNetworkPorts(s, path));
  validateRestartPolicy(s.restartPolicy, path, opts, causes);
  if (has(s.dnsPolicy) && !DNS_POLICIES.includes(s.dnsPolicy)) {
    causes.push(s.dnsPolicy === '' ? fieldError.required(path.child('dnsPolicy')) : fieldError.notSupported(path.child('dnsPolicy'), s.dnsPolicy, DNS_POLICIES));
  }
  if (s.dnsPolicy === 'None' || has(s.dnsConfig)) causes.push(...validateDnsConfig(s.dnsConfig, s.dnsPolicy, path.child('dnsConfig')));
  if (!labelsValid(s.nodeSelector)) causes.push(...validateLabels(s.nodeSelector, path.child('nodeSelector')));
  if (has(s.securityContext)) causes.push(...validatePodSecurityContext(s.securityContext, path.child('securityContext')));
  if (has(s.affinity)) causes.push(...validateAffinity(s.affinity, path.child('affinity')));
  if (nonEmpty(s.tolerations)) causes.push(...validateTolerations(s.tolerations, path.child('tolerations')));
  if (nonEmpty(s.topologySpreadConstraints)) causes.push(...validateTopologySpreadConstraints(s.topologySpreadConstraints, path.child('topologySpreadConstraints')));
  // Named reads, not s[k] over a list of names: on every pod, and mostly absent.
  subdomainField(s.serviceAccountName, path, 'serviceAccountName', causes);
  subdomainField(s.nodeName, path, 'nodeName', causes);
  subdomainField(s.priorityClassName, path, 'priorityClassName', causes);
  subdomainField(s.schedulerName, path, 'schedulerName', causes);
  labelField(s.hostname, path, 'hostname', causes);
  labelField(s.subdomain, path, 'subdomain', causes);
  if (has(s.activeDeadlineSeconds)) {
    const n = int(s.activeDeadlineSeconds, path.child('activeDeadlineSeconds'), causes);
    if (n !== undefined && (n < 1 || n > MAX_INT32)) causes.push(fieldError.invalid(path.child('activeDeadlineSeconds'), n, inclusiveRangeError(1, MAX_INT32)));
  }
  nonNegativeField(s.terminationGracePeriodSeconds, path, 'terminationGracePeriodSeconds', causes);
  if (has(s.preemptionPolicy) && !PREEMPTION_POLICIES.includes(s.preemptionPolicy)) {
    causes.push(s.preemptionPolicy === '' ? fieldError.required(path.child('preemptionPolicy')) : fieldError.notSupported(path.child('preemptionPolicy'), s.preemptionPolicy, PREEMPTION_POLICIES));
  }
  intField(s.priority, path, 'priority', causes);
  if (nonEmpty(s.schedulingGates)) causes.push(...validateSchedulingGates(s.schedulingGates, path.child('schedulingGates')));
  if (nonEmpty(s.readinessGates)) {
    arr(s.readinessGates).forEach((g, i) => {
      const t = obj(g).conditionType;
      causes.push(...invalidEach(path.child('readinessGates').index(i).child('conditionType'), t ?? '', validateQualifiedName(typeof t === 'string' ? t : '')));
    });
  }
  if (nonEmpty(s.hostAliases)) validateHostAliases(s.hostAliases, path, causes);
  if (has(s.os)) {
    const name = obj(s.os).name;
    if (!name) causes.push(fieldError.required(path.child('os', 'name')));
    else if (name !== 'linux' && name !== 'windows') causes.push(fieldError.notSupported(path.child('os', 'name'), name, ['linux', 'windows']));
  }
  return causes;
}

function validateHostAliases(list: unknown[], path: Path, causes: Causes): void {
  list.forEach((raw, i) => {
    const a = obj(raw);
    const p = path.child('hostAliases').index(i);
    if (typeof a.ip !== 'string' || !ipFamily(a.ip)) causes.push(fieldError.invalid(p.child('ip'), a.ip ?? '', INVALID_IP));
    for (const h of arr(a.hostnames)) causes.push(...invalidEach(p.child('hostnames'), h, validateDns1123Subdomain(String(h))));
  });
}

/** An optional DNS-1123 subdomain at `spec.name`. */
function subdomainField(v: unknown, spec: Path, name: string, causes: Causes): void {
  if (typeof v === 'string' && v !== '' && !isDns1123SubdomainMemo(v)) causes.push(...invalidEach(spec.child(name), v, validateDns1123Subdomain(v)));
}

/** An optional DNS-1123 label at `spec.name`. */
function labelField(v: unknown, spec: Path, name: string, causes: Causes): void {
  if (typeof v === 'string' && v !== '' && !isDns1123LabelMemo(v)) causes.push(...invalidEach(spec.child(name), v, validateDns1123Label(v)));
}

/** The restartPolicy of the spec at `spec`. */
function validateRestartPolicy(v: unknown, spec: Path, opts: PodSpecValidationOptions, causes: Causes): void {
  const allowed = opts.restartPolicies ?? RESTART_POLICIES;
  if (!has(v) || v === '') {
    if (opts.restartPolicyRequired !== undefined) causes.push(fieldError.required(spec.child('restartPolicy'), opts.restartPolicyRequired));
    else if (!allowed.includes('Always')) causes.push(fieldError.notSupported(spec.child('restartPolicy'), 'Always', allowed));
    return;
  }
  if (!allowed.includes(v as string)) causes.push(fieldError.notSupported(spec.child('restartPolicy'), v, allowed));
}

function validateDnsConfig(cfg: unknown, policy: unknown, path: Path): Causes {
  if (policy === 'None') {
    if (!has(cfg)) return [fieldError.required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (arr(obj(cfg).nameservers).length === 0) return [fieldError.required(path.child('nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
  }
  if (!has(cfg)) return [];
  const c = obj(cfg);
  const causes: Causes = [];
  const ns = arr(c.nameservers);
  if (ns.length > 3) causes.push(fieldError.invalid(path.child('nameservers'), ns, 'must not have more than 3 nameservers'));
  ns.forEach((ip, i) => {
    if (typeof ip !== 'string' || !ipFamily(ip)) causes.push(fieldError.invalid(path.child('nameservers').index(i), ip, INVALID_IP));
  });
  const searches = arr(c.searches);
  if (searches.length > 32) causes.push(fieldError.invalid(path.child('searches'), searches, 'must not have more than 32 search paths'));
  if (searches.join(' ').length > 2048) causes.push(fieldError.invalid(path.child('searches'), searches, 'must not have more than 2048 characters (including spaces) in the search list'));
  searches.forEach((s, i) => {
    const v = String(s).replace(/\.$/, '');
    causes.push(...invalidEach(path.child('searches').index(i), v, validateDns1123Subdomain(v)));
  });
  arr(c.options).forEach((o, i) => {
    if (!obj(o).name) causes.push(fieldError.required(path.child('options').index(i), 'must not be empty'));
  });
  return causes;
}

function validateHostNetworkPorts(s: Record<string, any>, path: Path): Causes {
  const causes: Causes = [];
  for (const k of ['containers', 'initContainers']) {
    arr(s[k]).forEach((c, ci) => {
      arr(obj(c).ports).forEach((raw, pi) => {
        const p = obj(raw);
        if (p.hostPort && p.hostPort !== p.containerPort) {
          causes.push(fieldError.invalid(path.child(k).index(ci).child('ports').index(pi).child('hostPort'), p.hostPort, 'must match `containerPort` when `hostNetwork` is true'));
        }
      });
    });
  }
  return causes;
}

function validateSchedulingGates(list: unknown, path: Path): Causes {
  const causes: Causes = [];
  const seen = new Set<string>();
  arr(list).forEach((g, i) => {
    const name = obj(g).name;
    const n = typeof name === 'string' ? name : '';
    causes.push(...invalidEach(path.index(i), n, validateQualifiedName(n)));
    if (seen.has(n)) causes.push(fieldError.duplicate(path.index(i), n));
    seen.add(n);
  });
  return causes;
}

const EPHEMERAL_FORBIDDEN = ['ports', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'resources', 'resizePolicy', 'restartPolicy'];

function validateEphemeralContainers(s: Record<string, any>, ctx: { volumes: ReadonlySet<string>; gracePeriod: number | undefined }, path: Path): Causes {
  const causes: Causes = [];
  const names = new Set<string>([...arr(s.containers), ...arr(s.initContainers)].map((c) => obj(c).name));
  arr(s.ephemeralContainers).forEach((raw, i) => {
    const p = path.index(i);
    const c = obj(raw);
    causes.push(...validateContainerCommon(c, ctx, p));
    if (typeof c.name === 'string' && names.has(c.name)) causes.push(fieldError.duplicate(p.child('name'), c.name));
    names.add(c.name);
    for (const k of EPHEMERAL_FORBIDDEN) {
      const v = c[k];
      if (has(v) && !(Array.isArray(v) && v.length === 0) && !(isObj(v) && Object.keys(v).length === 0)) {
        causes.push(fieldError.forbidden(p.child(k), 'cannot be set for an Ephemeral Container'));
      }
    }
    for (const [j, m] of arr(c.volumeMounts).entries()) {
      if (has(obj(m).subPath) && obj(m).subPath !== '') causes.push(fieldError.forbidden(p.child('volumeMounts').index(j).child('subPath'), 'cannot be set for an Ephemeral Container'));
    }
  });
  return causes;
}

/**
 * Validates a pod template at `path` (`spec.template`): required; its labels and
 * annotations; and its spec as {@link validatePodSpec} with `template: true`.
 */
export function validatePodTemplate(tpl: unknown, path: Path = FieldPath.root('spec').child('template'), opts: PodSpecValidationOptions = {}): FieldCause[] {
  if (!isObj(tpl)) return [has(tpl) ? fieldError.typeInvalid(path, tpl, 'must be an object') : fieldError.required(path)];
  const meta = obj(tpl.metadata);
  return [
    ...validateLabels(meta.labels, path.child('metadata', 'labels')),
    ...validateAnnotations(meta.annotations, path.child('metadata', 'annotations')),
    ...validatePodSpec(tpl.spec, path.child('spec'), { ...opts, template: true }),
  ];
}

/**
 * The Pod kind's validation (metadata aside): the spec, and on create no ephemeral
 * containers and no nodeName while scheduling gates remain; on update, also
 * {@link validatePodUpdate}.
 */
export function validatePod(pod: unknown, old?: unknown): FieldCause[] {
  const p = obj(pod);
  const spec = obj(p.spec);
  const causes = validatePodSpec(p.spec, FieldPath.root('spec'));
  if (old === undefined) {
    if (arr(spec.ephemeralContainers).length > 0) causes.push(fieldError.forbidden('spec.ephemeralContainers', 'cannot be set on create'));
    if (spec.nodeName && arr(spec.schedulingGates).length > 0) causes.push(fieldError.forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
  } else {
    causes.push(...validatePodUpdate(pod, old));
  }
  return causes;
}

/** The message of the Forbidden cause for a pod update that changes more than Kubernetes allows. */
export const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/**
 * The rules of a pod update (ValidatePodUpdate): a running pod's spec is immutable except
 * container and init container images, activeDeadlineSeconds (set once, then only
 * lowered), tolerations (only additions; tolerationSeconds may change), scheduling gates
 * (only removals), terminationGracePeriodSeconds from negative to 1, and — as binding
 * does — nodeName from empty to a node (never changed after). While gates remain,
 * nodeSelector may gain entries and node affinity may change. Anything else is
 * `spec: Forbidden: pod updates may not change fields other than …`, followed by the
 * changed fields.
 */
export function validatePodUpdate(pod: unknown, old: unknown): FieldCause[] {
  const spec = obj(obj(pod).spec);
  const oldSpec = obj(obj(old).spec);
  const causes: Causes = [];
  const path = FieldPath.root('spec');
  for (const k of ['containers', 'initContainers']) {
    const now = arr(spec[k]);
    const before = arr(oldSpec[k]);
    if (now.length !== before.length) {
      causes.push(fieldError.forbidden(path.child(k), 'pod updates may not add or remove containers'));
      return causes;
    }
  }
  if (has(spec.activeDeadlineSeconds)) {
    const n = spec.activeDeadlineSeconds;
    if (typeof n !== 'number' || n < 0 || n > MAX_INT32) {
      causes.push(fieldError.invalid(path.child('activeDeadlineSeconds'), n, inclusiveRangeError(0, MAX_INT32)));
      return causes;
    }
    if (typeof oldSpec.activeDeadlineSeconds === 'number' && oldSpec.activeDeadlineSeconds < n) {
      causes.push(fieldError.invalid(path.child('activeDeadlineSeconds'), n, 'must be less than or equal to previous value'));
      return causes;
    }
  } else if (has(oldSpec.activeDeadlineSeconds)) {
    causes.push(fieldError.invalid(path.child('activeDeadlineSeconds'), null, 'must not update from a positive integer to nil value'));
  }
  for (const t of arr(oldSpec.tolerations)) {
    const kept = arr(spec.tolerations).some((n) => semanticEqual({ ...obj(t), tolerationSeconds: undefined }, { ...obj(n), tolerationSeconds: undefined }));
    if (!kept) {
      causes.push(fieldError.forbidden(path.child('tolerations'), 'existing toleration can not be modified except its tolerationSeconds'));
      break;
    }
  }
  const oldGates = new Set(arr(oldSpec.schedulingGates).map((g) => obj(g).name));
  arr(spec.schedulingGates).forEach((g, i) => {
    const name = obj(g).name;
    if (!oldGates.has(name)) causes.push(fieldError.forbidden(path.child('schedulingGates').index(i).child('name'), `only deletion is allowed, but found new scheduling gate '${name}'`));
  });

  const munged = clone(spec);
  for (const k of ['containers', 'initContainers']) {
    arr(munged[k]).forEach((c, i) => {
      if (isObj(c)) c.image = obj(arr(oldSpec[k])[i]).image;
    });
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.schedulingGates = oldSpec.schedulingGates;
  munged.tolerations = oldSpec.tolerations;
  if (typeof oldSpec.terminationGracePeriodSeconds === 'number' && oldSpec.terminationGracePeriodSeconds < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  }
  if (!oldSpec.nodeName) munged.nodeName = oldSpec.nodeName;
  if (arr(oldSpec.schedulingGates).length > 0) {
    const before = obj(oldSpec.nodeSelector);
    const now = obj(munged.nodeSelector);
    if (Object.entries(before).every(([k, v]) => now[k] === v)) munged.nodeSelector = oldSpec.nodeSelector;
    if (isObj(munged.affinity) || isObj(oldSpec.affinity)) munged.affinity = { ...obj(munged.affinity), nodeAffinity: obj(oldSpec.affinity).nodeAffinity };
  }
  if (!semanticEqual(munged, oldSpec)) {
    const changed = diffPaths(oldSpec, munged, 'spec').slice(0, 5);
    causes.push(fieldError.forbidden(path, `${POD_UPDATE_FORBIDDEN}\n  changed: ${changed.join(', ')}`));
  }
  return causes;
}

/** The paths at which two values differ (semantically), shallowest first. */
function diffPaths(a: unknown, b: unknown, at: string): string[] {
  if (semanticEqual(a, b)) return [];
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) return a.flatMap((x, i) => diffPaths(x, b[i], `${at}[${i}]`));
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffPaths(a[k], b[k], `${at}.${k}`));
  }
  return [at];
}
