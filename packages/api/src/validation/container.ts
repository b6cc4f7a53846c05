// Containers of a pod spec: what core/validation's validateContainerCommon,
// validateContainers and validateInitContainers check, with upstream's messages.
import { parseQuantity } from '../quantity/index';
import { validateDns1123Label, validateDns1123Subdomain, validateQualifiedName } from '../selectors/index';
import {
  arr,
  at,
  fieldError,
  FILE_MODE_ERROR,
  has,
  inclusiveRangeError,
  int,
  invalidEach,
  IS_NEGATIVE,
  isConfigMapKey,
  isDns1123LabelMemo,
  isDns1123SubdomainMemo,
  isEnvVarName,
  isNonNegativeOrAbsent,
  isPortName,
  isPortNum,
  isQualifiedNameMemo,
  MAX_INT32,
  nonNegative,
  notFound,
  obj,
  parseQuantityValue,
  quantity,
  regexError,
  str,
  validateConfigMapKey,
  validateEnvVarName,
  validatePortName,
  validatePortNum,
  validatePortNumOrName,
  type Causes,
  type Path,
} from './util';

export const SUPPORTED_PORT_PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

const ENV_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'];
/** Field paths a downwardAPI volume item may reference. */
export const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
const RESOURCE_FIELD_PATHS = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];
const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'];
const LIFECYCLE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'sleep'];
const MOUNT_PROPAGATIONS = ['None', 'HostToContainer', 'Bidirectional'];

const SUBSCRIPTED = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/;

// Containers are validated on every pod write (and every workload's template): the
// functions below build field paths only for values that fail, and skip what is absent.

/**
 * Whether an item before `list[i]` has `key` equal to `value`: the duplicate check of
 * short lists (ports, mounts), cheaper there than a Set.
 */
function seenBefore(list: unknown[], i: number, key: string, value: string): boolean {
  for (let j = 0; j < i; j++) if (obj(list[j])[key] === value) return true;
  return false;
}

/** A non-empty array. */
const nonEmpty = (v: unknown): v is unknown[] => Array.isArray(v) && v.length > 0;

/** Context a container is validated in: the pod's volume names and grace period. */
export interface ContainerContext {
  volumes: ReadonlySet<string>;
  gracePeriod: number | undefined;
}

/** Validates `spec.containers` (required, at least one), including unique names and host port conflicts. */
export function validateContainers(list: unknown, ctx: ContainerContext, path: Path): Causes {
  const containers = arr(list);
  if (containers.length === 0) return [has(list) && !Array.isArray(list) ? fieldError.typeInvalid(path, list, 'must be a list of containers') : fieldError.required(path)];
  const causes: Causes = [];
  const names = new Set<string>();
  for (let i = 0; i < containers.length; i++) {
    const p = path.index(i);
    const c = obj(containers[i]);
    validateContainerCommonInto(c, ctx, p, causes);
    if (typeof c.name === 'string' && c.name !== '') {
      if (names.has(c.name)) causes.push(fieldError.duplicate(p.child('name'), c.name));
      else names.add(c.name);
    }
    if (has(c.lifecycle)) causes.push(...validateLifecycle(c.lifecycle, ctx.gracePeriod, p.child('lifecycle')));
    if (has(c.livenessProbe)) validateProbeInto(c.livenessProbe, p, 'livenessProbe', 'liveness', causes);
    if (has(c.readinessProbe)) validateProbeInto(c.readinessProbe, p, 'readinessProbe', 'readiness', causes);
    if (has(c.startupProbe)) validateProbeInto(c.startupProbe, p, 'startupProbe', 'startup', causes);
    if (has(c.restartPolicy)) causes.push(fieldError.forbidden(p.child('restartPolicy'), 'may not be set for non-init containers'));
  }
  hostPortConflictsInto(containers, path, causes);
  return causes;
}

/**
 * Validates `spec.initContainers`: each as a container, names unique across init and
 * regular containers, container restartPolicy only `Always` (sidecars), and lifecycle
 * and probes only on sidecars.
 */
export function validateInitContainers(list: unknown, regular: unknown, ctx: ContainerContext, path: Path): Causes {
  const causes: Causes = [];
  const names = new Set<string>(arr(regular).map((c) => obj(c).name).filter((n): n is string => typeof n === 'string' && n !== ''));
  arr(list).forEach((raw, i) => {
    const p = path.index(i);
    const c = obj(raw);
    causes.push(...validateContainerCommon(c, ctx, p));
    let sidecar = false;
    if (has(c.restartPolicy)) {
      if (c.restartPolicy === 'Always') sidecar = true;
      else causes.push(fieldError.notSupported(p.child('restartPolicy'), c.restartPolicy, ['Always']));
    }
    if (typeof c.name === 'string' && c.name !== '') {
      if (names.has(c.name)) causes.push(fieldError.duplicate(p.child('name'), c.name));
      else names.add(c.name);
    }
    hostPortConflictsInto([c], path, causes);
    if (sidecar) {
      if (has(c.lifecycle)) causes.push(...validateLifecycle(c.lifecycle, ctx.gracePeriod, p.child('lifecycle')));
      causes.push(...validateProbe(c.livenessProbe, p.child('livenessProbe'), 'liveness'));
      causes.push(...validateProbe(c.readinessProbe, p.child('readinessProbe'), 'readiness'));
      causes.push(...validateProbe(c.startupProbe, p.child('startupProbe'), 'startup'));
    } else {
      for (const k of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (has(c[k])) causes.push(fieldError.forbidden(p.child(k), 'may not be set for init containers without restartPolicy=Always'));
      }
    }
  });
  return causes;
}

function hostPortConflictsInto(containers: any[], path: Path, causes: Causes): void {
  let seen: Set<string> | undefined;
  for (let ci = 0; ci < containers.length; ci++) {
    const ports = arr(obj(containers[ci]).ports);
    for (let pi = 0; pi < ports.length; pi++) {
      const port = obj(ports[pi]);
      if (!port.hostPort) continue;
      const key = `${port.hostIP ?? ''}/${port.protocol ?? 'TCP'}/${port.hostPort}`;
      seen ??= new Set();
      if (seen.has(key)) causes.push(fieldError.duplicate(path.index(ci).child('ports').index(pi).child('hostPort'), key));
      else seen.add(key);
    }
  }
}

/** What every kind of container shares: name, image, policies, ports, env, mounts, resources, security context. */
export function validateContainerCommon(c: Record<string, any>, ctx: ContainerContext, path: Path): Causes {
  const causes: Causes = [];
  validateContainerCommonInto(c, ctx, path, causes);
  return causes;
}

function validateContainerCommonInto(c: Record<string, any>, ctx: ContainerContext, path: Path, causes: Causes): void {
  if (typeof c.name !== 'string' || c.name === '') causes.push(has(c.name) && c.name !== '' ? fieldError.typeInvalid(path.child('name'), c.name, 'must be a string') : fieldError.required(path.child('name')));
  else if (!isDns1123LabelMemo(c.name)) causes.push(...invalidEach(path.child('name'), c.name, validateDns1123Label(c.name)));
  if (typeof c.image !== 'string' || c.image === '') causes.push(fieldError.required(path.child('image')));
  else if (c.image !== c.image.trim()) causes.push(fieldError.invalid(path.child('image'), c.image, 'must not have leading or trailing whitespace'));
  if (has(c.terminationMessagePolicy) && c.terminationMessagePolicy !== 'File' && c.terminationMessagePolicy !== 'FallbackToLogsOnError') {
    causes.push(fieldError.invalid(path.child('terminationMessagePolicy'), c.terminationMessagePolicy, "must be 'File' or 'FallbackToLogsOnError'"));
  }
  if (has(c.imagePullPolicy) && !PULL_POLICIES.includes(c.imagePullPolicy)) causes.push(fieldError.notSupported(path.child('imagePullPolicy'), c.imagePullPolicy, PULL_POLICIES));
  if (nonEmpty(c.ports)) validatePortListInto(c.ports, path, 'ports', causes);
  if (nonEmpty(c.env)) validateEnvListInto(c.env, path, 'env', causes);
  if (nonEmpty(c.envFrom)) causes.push(...validateEnvFrom(c.envFrom, path.child('envFrom')));
  if (nonEmpty(c.volumeMounts)) validateMountListInto(c.volumeMounts, ctx.volumes, path, 'volumeMounts', causes);
  if (has(c.resources)) validateResourcesAt(obj(c.resources), path, 'resources', causes);
  if (has(c.securityContext)) causes.push(...validateContainerSecurityContext(c.securityContext, path.child('securityContext')));
}

/** Container ports: containerPort 1..65535, hostPort 0..65535, protocol TCP/UDP/SCTP, unique IANA port names. */
export function validateContainerPorts(list: unknown, path: Path): Causes {
  const causes: Causes = [];
  validatePortListInto(arr(list), path, undefined, causes);
  return causes;
}

/** The ports at `at(parent, name)`; paths are built only for causes. */
function validatePortListInto(list: unknown[], parent: Path, name: string | undefined, causes: Causes): void {
  for (let i = 0; i < list.length; i++) {
    const port = obj(list[i]);
    if (typeof port.name === 'string' && port.name !== '') {
      if (!isPortName(port.name)) causes.push(...invalidEach(at(parent, name).index(i).child('name'), port.name, validatePortName(port.name)));
      else if (seenBefore(list, i, 'name', port.name)) causes.push(fieldError.duplicate(at(parent, name).index(i).child('name'), port.name));
    }
    if (!has(port.containerPort) || port.containerPort === 0) causes.push(fieldError.required(at(parent, name).index(i).child('containerPort')));
    else if (!isPortNum(port.containerPort)) causes.push(...invalidEach(at(parent, name).index(i).child('containerPort'), port.containerPort, validatePortNum(port.containerPort)));
    if (has(port.hostPort) && port.hostPort !== 0 && !isPortNum(port.hostPort)) causes.push(...invalidEach(at(parent, name).index(i).child('hostPort'), port.hostPort, validatePortNum(port.hostPort)));
    if (has(port.protocol) && !(SUPPORTED_PORT_PROTOCOLS as readonly string[]).includes(port.protocol)) {
      causes.push(fieldError.notSupported(at(parent, name).index(i).child('protocol'), port.protocol, SUPPORTED_PORT_PROTOCOLS));
    }
  }
}

/** Environment variables: names valid, and `valueFrom` with exactly one source and no `value`. */
export function validateEnv(list: unknown, path: Path): Causes {
  const causes: Causes = [];
  validateEnvListInto(arr(list), path, undefined, causes);
  return causes;
}

/** The env at `at(parent, name)`; paths are built only for causes. */
function validateEnvListInto(list: unknown[], parent: Path, name: string | undefined, causes: Causes): void {
  for (let i = 0; i < list.length; i++) {
    const e = obj(list[i]);
    if (typeof e.name !== 'string' || e.name === '') causes.push(fieldError.required(at(parent, name).index(i).child('name')));
    else if (!isEnvVarName(e.name)) causes.push(...invalidEach(at(parent, name).index(i).child('name'), e.name, validateEnvVarName(e.name)));
    if (has(e.valueFrom) && !envVarSourceValid(e)) causes.push(...validateEnvVarSource(e, at(parent, name).index(i).child('valueFrom')));
  }
}

/**
 * True only when {@link validateEnvVarSource} would find nothing; it may say false for
 * valid rarer shapes (resourceFieldRef), which the full check then accepts.
 */
function envVarSourceValid(e: Record<string, any>): boolean {
  const from = obj(e.valueFrom);
  let sources = 0;
  if (has(from.fieldRef)) {
    sources++;
    if (!objectFieldSelectorValid(from.fieldRef, ENV_FIELD_PATHS)) return false;
  }
  if (has(from.resourceFieldRef)) return false;
  for (const k of KEY_REFS) {
    if (!has(from[k])) continue;
    sources++;
    const ref = obj(from[k]);
    if (typeof ref.name !== 'string' || !isDns1123SubdomainMemo(ref.name) || typeof ref.key !== 'string' || !isConfigMapKey(ref.key)) return false;
  }
  return sources === 1 && !(typeof e.value === 'string' && e.value !== '');
}
const KEY_REFS = ['configMapKeyRef', 'secretKeyRef'];

/** True exactly when {@link validateObjectFieldSelector} finds nothing. */
function objectFieldSelectorValid(ref: unknown, supported: readonly string[]): boolean {
  const r = obj(ref);
  if (has(r.apiVersion) && r.apiVersion !== 'v1') return false;
  if (typeof r.fieldPath !== 'string' || r.fieldPath === '') return false;
  const m = r.fieldPath.endsWith(']') ? SUBSCRIPTED.exec(r.fieldPath) : null;
  if (m) return isQualifiedNameMemo(m[1] === 'metadata.annotations' ? m[2].toLowerCase() : m[2]);
  return supported.includes(r.fieldPath);
}

function validateEnvVarSource(e: Record<string, any>, path: Path): Causes {
  const causes: Causes = [];
  const from = obj(e.valueFrom);
  let sources = 0;
  if (has(from.fieldRef)) {
    sources++;
    causes.push(...validateObjectFieldSelector(from.fieldRef, ENV_FIELD_PATHS, path.child('fieldRef')));
  }
  if (has(from.resourceFieldRef)) {
    sources++;
    causes.push(...validateResourceFieldSelector(from.resourceFieldRef, false, path.child('resourceFieldRef')));
  }
  for (const k of ['configMapKeyRef', 'secretKeyRef']) {
    if (!has(from[k])) continue;
    sources++;
    const ref = obj(from[k]);
    const p = path.child(k);
    if (typeof ref.name !== 'string' || ref.name === '') causes.push(fieldError.required(p.child('name')));
    else causes.push(...invalidEach(p.child('name'), ref.name, validateDns1123Subdomain(ref.name)));
    if (typeof ref.key !== 'string' || ref.key === '') causes.push(fieldError.required(p.child('key')));
    else causes.push(...invalidEach(p.child('key'), ref.key, validateConfigMapKey(ref.key)));
  }
  if (sources === 0) causes.push(fieldError.invalid(path, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
  else if (typeof e.value === 'string' && e.value !== '') causes.push(fieldError.invalid(path, '', 'may not be specified when `value` is not empty'));
  else if (sources > 1) causes.push(fieldError.invalid(path, '', 'may not have more than one field specified at a time'));
  return causes;
}

/** A downward API field reference: apiVersion v1 and a supported fieldPath (labels and annotations may be subscripted). */
export function validateObjectFieldSelector(ref: unknown, supported: readonly string[], path: Path): Causes {
  const r = obj(ref);
  if (has(r.apiVersion) && r.apiVersion !== 'v1') return [fieldError.invalid(path.child('fieldPath'), r.fieldPath ?? '', `error converting fieldPath: unsupported pod version: ${r.apiVersion}`)];
  if (typeof r.fieldPath !== 'string' || r.fieldPath === '') return [fieldError.required(path.child('fieldPath'))];
  const m = SUBSCRIPTED.exec(r.fieldPath);
  if (m) return invalidEach(path, m[2], validateQualifiedName(m[1] === 'metadata.annotations' ? m[2].toLowerCase() : m[2]));
  if (!supported.includes(r.fieldPath)) return [fieldError.notSupported(path.child('fieldPath'), r.fieldPath, supported)];
  return [];
}

const CPU_DIVISORS = ['1m', '1'];
const MEMORY_DIVISORS = ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'];

/** A downward API resource reference: a supported resource (`limits.cpu`, …) and, in volumes, a container name. */
export function validateResourceFieldSelector(ref: unknown, volume: boolean, path: Path): Causes {
  const r = obj(ref);
  const causes: Causes = [];
  if (volume && (typeof r.containerName !== 'string' || r.containerName === '')) causes.push(fieldError.required(path.child('containerName')));
  else if (typeof r.resource !== 'string' || r.resource === '') causes.push(fieldError.required(path.child('resource')));
  else if (!RESOURCE_FIELD_PATHS.includes(r.resource) && !r.resource.startsWith('requests.hugepages-') && !r.resource.startsWith('limits.hugepages-')) {
    causes.push(fieldError.notSupported(path.child('resource'), r.resource, RESOURCE_FIELD_PATHS));
  }
  if (has(r.divisor) && typeof r.resource === 'string') {
    const q = quantity(r.divisor, path.child('divisor'), causes);
    if (q) {
      const cpu = r.resource.endsWith('.cpu');
      const allowed = cpu ? CPU_DIVISORS : MEMORY_DIVISORS;
      if (!allowed.some((d) => parseQuantity(d).cmp(q) === 0)) {
        const what = cpu ? 'cpu' : r.resource.endsWith('.memory') ? 'memory' : 'local ephemeral storage';
        causes.push(fieldError.invalid(path.child('divisor'), q.toString(), `only divisor's values ${cpu ? '1m and 1' : allowed.join(', ')} are supported with the ${what} resource`));
      }
    }
  }
  return causes;
}

/** `envFrom`: exactly one of configMapRef or secretRef per entry, named; prefixes valid variable names. */
export function validateEnvFrom(list: unknown, path: Path): Causes {
  const causes: Causes = [];
  arr(list).forEach((raw, i) => {
    const p = path.index(i);
    const e = obj(raw);
    if (typeof e.prefix === 'string' && e.prefix !== '') causes.push(...invalidEach(p.child('prefix'), e.prefix, validateEnvVarName(e.prefix)));
    let sources = 0;
    for (const k of ['configMapRef', 'secretRef']) {
      if (!has(e[k])) continue;
      sources++;
      const ref = obj(e[k]);
      if (typeof ref.name !== 'string' || ref.name === '') causes.push(fieldError.required(p.child(k, 'name')));
      else causes.push(...invalidEach(p.child(k, 'name'), ref.name, validateDns1123Subdomain(ref.name)));
    }
    if (sources === 0) causes.push(fieldError.invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (sources > 1) causes.push(fieldError.invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return causes;
}

/** True exactly when {@link validateLocalDescendingPath} finds nothing. */
function isLocalDescendingPath(p: string): boolean {
  return !p.startsWith('/') && !(p === '..' || p.startsWith('../') || p.endsWith('/..') || p.includes('/../'));
}

/** A relative path that stays below its root: not absolute, no `..` element. */
export function validateLocalDescendingPath(p: string, path: Path): Causes {
  const causes: Causes = [];
  if (p.startsWith('/')) causes.push(fieldError.invalid(path, p, 'must be a relative path'));
  if (p.split('/').includes('..')) causes.push(fieldError.invalid(path, p, "must not contain '..'"));
  return causes;
}

/** Volume mounts: name refers to a pod volume (`Not found`), mountPath required and unique, subPath relative without `..`. */
export function validateVolumeMounts(list: unknown, volumes: ReadonlySet<string>, path: Path): Causes {
  const causes: Causes = [];
  validateMountListInto(arr(list), volumes, path, undefined, causes);
  return causes;
}

/** The volume mounts at `at(parent, name)`; paths are built only for causes. */
function validateMountListInto(list: unknown[], volumes: ReadonlySet<string>, parent: Path, name: string | undefined, causes: Causes): void {
  for (let i = 0; i < list.length; i++) {
    const m = obj(list[i]);
    if (typeof m.name !== 'string' || m.name === '') causes.push(fieldError.required(at(parent, name).index(i).child('name')));
    else if (!volumes.has(m.name)) causes.push(notFound(at(parent, name).index(i).child('name'), m.name));
    if (typeof m.mountPath !== 'string' || m.mountPath === '') causes.push(fieldError.required(at(parent, name).index(i).child('mountPath')));
    else if (seenBefore(list, i, 'mountPath', m.mountPath)) causes.push(fieldError.invalid(at(parent, name).index(i).child('mountPath'), m.mountPath, 'must be unique'));
    if (typeof m.subPath === 'string' && m.subPath !== '' && !isLocalDescendingPath(m.subPath)) causes.push(...validateLocalDescendingPath(m.subPath, at(parent, name).index(i).child('subPath')));
    if (typeof m.subPathExpr === 'string' && m.subPathExpr !== '') {
      if (typeof m.subPath === 'string' && m.subPath !== '') causes.push(fieldError.invalid(at(parent, name).index(i).child('subPathExpr'), m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      if (!isLocalDescendingPath(m.subPathExpr)) causes.push(...validateLocalDescendingPath(m.subPathExpr, at(parent, name).index(i).child('subPathExpr')));
    }
    if (has(m.mountPropagation) && !MOUNT_PROPAGATIONS.includes(m.mountPropagation)) {
      causes.push(fieldError.notSupported(at(parent, name).index(i).child('mountPropagation'), m.mountPropagation, ['Bidirectional', 'HostToContainer', 'None']));
    }
  }
}

function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}
function isHugePages(name: string): boolean {
  return name.startsWith('hugepages-');
}
/** Whether requests of a resource may be lower than its limit: native resources except huge pages. */
export function isOvercommitAllowed(name: string): boolean {
  return isNativeResource(name) && !isHugePages(name);
}

/** True exactly when {@link validateContainerResourceName} finds nothing. */
function isContainerResourceName(name: string): boolean {
  if (!isQualifiedNameMemo(name)) return false;
  if (!name.includes('/')) return STANDARD_CONTAINER_RESOURCES.has(name) || isHugePages(name);
  return isNativeResource(name) || !name.startsWith('requests.');
}

function validateContainerResourceName(name: string, path: Path): Causes {
  const msgs = validateQualifiedName(name);
  if (msgs.length) return invalidEach(path, name, msgs);
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePages(name)) return [fieldError.invalid(path, name, 'must be a standard resource for containers')];
  } else if (!isNativeResource(name) && name.startsWith('requests.')) {
    return [fieldError.invalid(path, name, "doesn't follow extended resource name standard")];
  }
  return [];
}

/**
 * Container resources: names standard (or extended, qualified), quantities well-formed
 * and non-negative, every request at most its limit (`must be less than or equal to cpu
 * limit of 1`, on `…resources.requests`), and requests equal to limits for resources
 * that cannot be overcommitted (huge pages, extended resources).
 */
export function validateResourceRequirements(resources: unknown, path: Path): Causes {
  if (!has(resources)) return [];
  const causes: Causes = [];
  validateResourcesAt(obj(resources), path, undefined, causes);
  return causes;
}

/** The resources at `at(parent, name)`; paths are built only for causes. */
function validateResourcesAt(r: Record<string, any>, parent: Path, name: string | undefined, causes: Causes): void {
  const lim = obj(r.limits);
  for (const resource of Object.keys(lim)) {
    const v = lim[resource];
    if (!isContainerResourceName(resource)) causes.push(...validateContainerResourceName(resource, at(parent, name).child('limits').key(resource)));
    const q = parseQuantityValue(v) ?? quantity(v, at(parent, name).child('limits').key(resource), causes);
    if (q && q.sign() < 0) causes.push(fieldError.invalid(at(parent, name).child('limits').key(resource), q.toString(), IS_NEGATIVE));
  }
  const req = obj(r.requests);
  for (const resource of Object.keys(req)) {
    const v = req[resource];
    if (!isContainerResourceName(resource)) causes.push(...validateContainerResourceName(resource, at(parent, name).child('requests').key(resource)));
    const q = parseQuantityValue(v) ?? quantity(v, at(parent, name).child('requests').key(resource), causes);
    if (!q) continue;
    if (q.sign() < 0) causes.push(fieldError.invalid(at(parent, name).child('requests').key(resource), q.toString(), IS_NEGATIVE));
    // The limit of the same resource, when it is set and well-formed (malformed ones were reported above).
    const limit = Object.hasOwn(lim, resource) ? parseQuantityValue(lim[resource]) : undefined;
    if (limit) {
      const cmp = q.cmp(limit);
      if (cmp !== 0 && !isOvercommitAllowed(resource)) causes.push(fieldError.invalid(at(parent, name).child('requests'), q.toString(), `must be equal to ${resource} limit of ${limit.toString()}`));
      else if (cmp > 0) causes.push(fieldError.invalid(at(parent, name).child('requests'), q.toString(), `must be less than or equal to ${resource} limit of ${limit.toString()}`));
    } else if (!isOvercommitAllowed(resource) && !has(lim[resource])) {
      causes.push(fieldError.required(at(parent, name).child('limits'), 'Limit must be set for non overcommitable resources'));
    }
  }
}

/** Probe kinds: liveness and startup probes must use successThreshold 1. */
export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/**
 * A probe: exactly one handler (exec, httpGet, tcpSocket or grpc), non-negative timings
 * and thresholds, successThreshold 1 for liveness and startup probes, and a positive
 * probe-level terminationGracePeriodSeconds (not on readiness probes).
 */
export function validateProbe(probe: unknown, path: Path, kind: ProbeKind): Causes {
  const causes: Causes = [];
  if (has(probe)) validateProbeInto(probe, path, undefined, kind, causes);
  return causes;
}

/** The probe at `at(parent, name)`; paths are built only for causes. */
function validateProbeInto(probe: unknown, parent: Path, name: string | undefined, kind: ProbeKind, causes: Causes): void {
  const p = obj(probe);
  validateHandlerInto(p, parent, name, PROBE_HANDLERS, undefined, causes);
  // Named reads (not p[k] over the names): all present on a defaulted probe.
  if (!isNonNegativeOrAbsent(p.initialDelaySeconds)) nonNegative(p.initialDelaySeconds, at(parent, name).child('initialDelaySeconds'), causes);
  if (!isNonNegativeOrAbsent(p.timeoutSeconds)) nonNegative(p.timeoutSeconds, at(parent, name).child('timeoutSeconds'), causes);
  if (!isNonNegativeOrAbsent(p.periodSeconds)) nonNegative(p.periodSeconds, at(parent, name).child('periodSeconds'), causes);
  if (!isNonNegativeOrAbsent(p.successThreshold)) nonNegative(p.successThreshold, at(parent, name).child('successThreshold'), causes);
  if (!isNonNegativeOrAbsent(p.failureThreshold)) nonNegative(p.failureThreshold, at(parent, name).child('failureThreshold'), causes);
  if (kind !== 'readiness' && has(p.successThreshold) && p.successThreshold !== 1) causes.push(fieldError.invalid(at(parent, name).child('successThreshold'), p.successThreshold, 'must be 1'));
  if (has(p.terminationGracePeriodSeconds)) {
    if (kind === 'readiness') causes.push(fieldError.invalid(at(parent, name).child('terminationGracePeriodSeconds'), p.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
    else {
      const n = int(p.terminationGracePeriodSeconds, at(parent, name).child('terminationGracePeriodSeconds'), causes);
      if (n !== undefined && n <= 0) causes.push(fieldError.invalid(at(parent, name).child('terminationGracePeriodSeconds'), n, 'must be greater than 0'));
    }
  }
}

/** Lifecycle hooks: postStart and preStop each with exactly one handler (exec, httpGet, tcpSocket or sleep). */
export function validateLifecycle(lifecycle: unknown, gracePeriod: number | undefined, path: Path): Causes {
  const l = obj(lifecycle);
  const causes: Causes = [];
  for (const k of ['postStart', 'preStop']) {
    if (has(l[k])) validateHandlerInto(obj(l[k]), path, k, LIFECYCLE_HANDLERS, gracePeriod, causes);
  }
  return causes;
}

const HTTP_HEADER_NAME = /^[-A-Za-z0-9]+$/;

/** True exactly when {@link validatePortNumOrName} finds nothing. */
const isPortNumOrName = (v: unknown): boolean => (typeof v === 'number' ? isPortNum(v) : typeof v === 'string' && isPortName(v));

/** The handler at `at(parent, name)`; paths are built only for causes. */
function validateHandlerInto(h: Record<string, any>, parent: Path, name: string | undefined, kinds: readonly string[], gracePeriod: number | undefined, causes: Causes): void {
  let count = 0;
  for (const k of kinds) {
    if (!has(h[k])) continue;
    if (count > 0) {
      causes.push(fieldError.forbidden(at(parent, name).child(k), 'may not specify more than 1 handler type'));
      continue;
    }
    count++;
    const a = obj(h[k]);
    switch (k) {
      case 'exec':
        if (arr(a.command).length === 0) causes.push(fieldError.required(at(parent, name).child(k).child('command')));
        break;
      case 'httpGet':
        if (has(a.path) && a.path === '') causes.push(fieldError.required(at(parent, name).child(k).child('path')));
        if (!isPortNumOrName(a.port)) causes.push(...validatePortNumOrName(a.port, at(parent, name).child(k).child('port')));
        if (has(a.scheme) && a.scheme !== 'HTTP' && a.scheme !== 'HTTPS') causes.push(fieldError.notSupported(at(parent, name).child(k).child('scheme'), a.scheme, ['HTTP', 'HTTPS']));
        for (const header of arr(a.httpHeaders)) {
          const headerName = str(obj(header).name);
          if (!HTTP_HEADER_NAME.test(headerName)) {
            causes.push(fieldError.invalid(at(parent, name).child(k).child('httpHeaders'), headerName, regexError("a valid HTTP header must consist of alphanumeric characters or '-'", '[-A-Za-z0-9]+', 'X-Header-Name')));
          }
        }
        break;
      case 'tcpSocket':
        if (!isPortNumOrName(a.port)) causes.push(...validatePortNumOrName(a.port, at(parent, name).child(k).child('port')));
        break;
      case 'grpc':
        if (!isPortNum(a.port)) causes.push(...invalidEach(at(parent, name).child(k).child('port'), a.port, validatePortNum(a.port)));
        break;
      case 'sleep': {
        const p = at(parent, name).child(k);
        const s = int(a.seconds, p.child('seconds'), causes);
        if (s === undefined && !has(a.seconds)) causes.push(fieldError.required(p.child('seconds')));
        else if (s !== undefined && (s < 0 || (gracePeriod !== undefined && s > gracePeriod))) {
          causes.push(fieldError.invalid(p.child('seconds'), s, `must be non-negative and less than terminationGracePeriodSeconds (${gracePeriod ?? 30})`));
        }
        break;
      }
    }
  }
  if (count === 0) causes.push(fieldError.required(at(parent, name), 'must specify a handler type'));
}

/** True exactly when {@link idRange} adds no cause. */
const isIdOrAbsent = (v: unknown): boolean => !has(v) || (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_INT32);

function idRange(v: unknown, path: Path, causes: Causes): void {
  const n = int(v, path, causes);
  if (n !== undefined && (n < 0 || n > MAX_INT32)) causes.push(fieldError.invalid(path, n, inclusiveRangeError(0, MAX_INT32)));
}

/** A container's securityContext: user and group IDs in range, no privileged container that forbids privilege escalation. */
export function validateContainerSecurityContext(sc: unknown, path: Path): Causes {
  if (!has(sc)) return [];
  const s = obj(sc);
  const causes: Causes = [];
  idRange(s.runAsUser, path.child('runAsUser'), causes);
  idRange(s.runAsGroup, path.child('runAsGroup'), causes);
  if (s.privileged === true && s.allowPrivilegeEscalation === false) {
    causes.push(fieldError.invalid(path, s, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
  }
  if (has(s.procMount) && s.procMount !== 'Default' && s.procMount !== 'Unmasked') causes.push(fieldError.notSupported(path.child('procMount'), s.procMount, ['Default', 'Unmasked']));
  return causes;
}

/** A pod's securityContext: runAsUser, runAsGroup, fsGroup and supplementalGroups in 0..2147483647. */
export function validatePodSecurityContext(sc: unknown, path: Path): Causes {
  if (!has(sc)) return [];
  const s = obj(sc);
  const causes: Causes = [];
  if (!isIdOrAbsent(s.runAsUser)) idRange(s.runAsUser, path.child('runAsUser'), causes);
  if (!isIdOrAbsent(s.runAsGroup)) idRange(s.runAsGroup, path.child('runAsGroup'), causes);
  if (!isIdOrAbsent(s.fsGroup)) idRange(s.fsGroup, path.child('fsGroup'), causes);
  if (nonEmpty(s.supplementalGroups)) s.supplementalGroups.forEach((g, i) => idRange(g, path.child('supplementalGroups').index(i), causes));
  if (has(s.fsGroupChangePolicy) && !['OnRootMismatch', 'Always'].includes(s.fsGroupChangePolicy)) {
    causes.push(fieldError.notSupported(path.child('fsGroupChangePolicy'), s.fsGroupChangePolicy, ['Always', 'OnRootMismatch']));
  }
  return causes;
}

/** A file mode (`defaultMode`, item `mode`) within 0..0777. */
export function validateFileMode(v: unknown, path: Path, causes: Causes): void {
  const n = int(v, path, causes);
  if (n !== undefined && (n < 0 || n > 0o777)) causes.push(fieldError.invalid(path, n, FILE_MODE_ERROR));
}
