// Containers of a pod spec: what core/validation's validateContainerCommon,
// validateContainers and validateInitContainers check, with upstream's messages.
import { parseQuantity, type Quantity } from '../quantity/index';
import { validateDns1123Label, validateDns1123Subdomain, validateQualifiedName } from '../selectors/index';
import {
  arr,
  fieldError,
  FILE_MODE_ERROR,
  has,
  inclusiveRangeError,
  int,
  invalidEach,
  IS_NEGATIVE,
  MAX_INT32,
  nonNegative,
  notFound,
  obj,
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
  containers.forEach((raw, i) => {
    const p = path.index(i);
    const c = obj(raw);
    causes.push(...validateContainerCommon(c, ctx, p));
    if (typeof c.name === 'string' && c.name !== '') {
      if (names.has(c.name)) causes.push(fieldError.duplicate(p.child('name'), c.name));
      else names.add(c.name);
    }
    if (has(c.lifecycle)) causes.push(...validateLifecycle(c.lifecycle, ctx.gracePeriod, p.child('lifecycle')));
    causes.push(...validateProbe(c.livenessProbe, p.child('livenessProbe'), 'liveness'));
    causes.push(...validateProbe(c.readinessProbe, p.child('readinessProbe'), 'readiness'));
    causes.push(...validateProbe(c.startupProbe, p.child('startupProbe'), 'startup'));
    if (has(c.restartPolicy)) causes.push(fieldError.forbidden(p.child('restartPolicy'), 'may not be set for non-init containers'));
  });
  causes.push(...hostPortConflicts(containers, path));
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
    causes.push(...hostPortConflicts([c], path));
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

function hostPortConflicts(containers: any[], path: Path): Causes {
  const causes: Causes = [];
  const seen = new Set<string>();
  containers.forEach((c, ci) => {
    arr(obj(c).ports).forEach((raw, pi) => {
      const port = obj(raw);
      if (!port.hostPort) return;
      const key = `${port.hostIP ?? ''}/${port.protocol ?? 'TCP'}/${port.hostPort}`;
      if (seen.has(key)) causes.push(fieldError.duplicate(path.index(ci).child('ports').index(pi).child('hostPort'), key));
      else seen.add(key);
    });
  });
  return causes;
}

/** What every kind of container shares: name, image, policies, ports, env, mounts, resources, security context. */
export function validateContainerCommon(c: Record<string, any>, ctx: ContainerContext, path: Path): Causes {
  const causes: Causes = [];
  if (typeof c.name !== 'string' || c.name === '') causes.push(has(c.name) && c.name !== '' ? fieldError.typeInvalid(path.child('name'), c.name, 'must be a string') : fieldError.required(path.child('name')));
  else causes.push(...invalidEach(path.child('name'), c.name, validateDns1123Label(c.name)));
  if (typeof c.image !== 'string' || c.image === '') causes.push(fieldError.required(path.child('image')));
  else if (c.image !== c.image.trim()) causes.push(fieldError.invalid(path.child('image'), c.image, 'must not have leading or trailing whitespace'));
  if (has(c.terminationMessagePolicy) && c.terminationMessagePolicy !== 'File' && c.terminationMessagePolicy !== 'FallbackToLogsOnError') {
    causes.push(fieldError.invalid(path.child('terminationMessagePolicy'), c.terminationMessagePolicy, "must be 'File' or 'FallbackToLogsOnError'"));
  }
  if (has(c.imagePullPolicy) && !PULL_POLICIES.includes(c.imagePullPolicy)) causes.push(fieldError.notSupported(path.child('imagePullPolicy'), c.imagePullPolicy, PULL_POLICIES));
  causes.push(...validateContainerPorts(c.ports, path.child('ports')));
  causes.push(...validateEnv(c.env, path.child('env')));
  causes.push(...validateEnvFrom(c.envFrom, path.child('envFrom')));
  causes.push(...validateVolumeMounts(c.volumeMounts, ctx.volumes, path.child('volumeMounts')));
  causes.push(...validateResourceRequirements(c.resources, path.child('resources')));
  causes.push(...validateContainerSecurityContext(c.securityContext, path.child('securityContext')));
  return causes;
}

/** Container ports: containerPort 1..65535, hostPort 0..65535, protocol TCP/UDP/SCTP, unique IANA port names. */
export function validateContainerPorts(list: unknown, path: Path): Causes {
  const causes: Causes = [];
  const names = new Set<string>();
  arr(list).forEach((raw, i) => {
    const p = path.index(i);
    const port = obj(raw);
    if (typeof port.name === 'string' && port.name !== '') {
      const msgs = validatePortName(port.name);
      if (msgs.length) causes.push(...invalidEach(p.child('name'), port.name, msgs));
      else if (names.has(port.name)) causes.push(fieldError.duplicate(p.child('name'), port.name));
      else names.add(port.name);
    }
    if (!has(port.containerPort) || port.containerPort === 0) causes.push(fieldError.required(p.child('containerPort')));
    else causes.push(...invalidEach(p.child('containerPort'), port.containerPort, validatePortNum(port.containerPort)));
    if (has(port.hostPort) && port.hostPort !== 0) causes.push(...invalidEach(p.child('hostPort'), port.hostPort, validatePortNum(port.hostPort)));
    if (has(port.protocol) && !(SUPPORTED_PORT_PROTOCOLS as readonly string[]).includes(port.protocol)) {
      causes.push(fieldError.notSupported(p.child('protocol'), port.protocol, SUPPORTED_PORT_PROTOCOLS));
    }
  });
  return causes;
}

/** Environment variables: names valid, and `valueFrom` with exactly one source and no `value`. */
export function validateEnv(list: unknown, path: Path): Causes {
  const causes: Causes = [];
  arr(list).forEach((raw, i) => {
    const p = path.index(i);
    const e = obj(raw);
    if (typeof e.name !== 'string' || e.name === '') causes.push(fieldError.required(p.child('name')));
    else causes.push(...invalidEach(p.child('name'), e.name, validateEnvVarName(e.name)));
    if (has(e.valueFrom)) causes.push(...validateEnvVarSource(e, p.child('valueFrom')));
  });
  return causes;
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

const SUBSCRIPTED = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/;

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
  const mountPaths = new Set<string>();
  arr(list).forEach((raw, i) => {
    const p = path.index(i);
    const m = obj(raw);
    if (typeof m.name !== 'string' || m.name === '') causes.push(fieldError.required(p.child('name')));
    else if (!volumes.has(m.name)) causes.push(notFound(p.child('name'), m.name));
    if (typeof m.mountPath !== 'string' || m.mountPath === '') causes.push(fieldError.required(p.child('mountPath')));
    else {
      if (mountPaths.has(m.mountPath)) causes.push(fieldError.invalid(p.child('mountPath'), m.mountPath, 'must be unique'));
      mountPaths.add(m.mountPath);
    }
    if (typeof m.subPath === 'string' && m.subPath !== '') causes.push(...validateLocalDescendingPath(m.subPath, p.child('subPath')));
    if (typeof m.subPathExpr === 'string' && m.subPathExpr !== '') {
      if (typeof m.subPath === 'string' && m.subPath !== '') causes.push(fieldError.invalid(p.child('subPathExpr'), m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      causes.push(...validateLocalDescendingPath(m.subPathExpr, p.child('subPathExpr')));
    }
    if (has(m.mountPropagation) && !['None', 'HostToContainer', 'Bidirectional'].includes(m.mountPropagation)) {
      causes.push(fieldError.notSupported(p.child('mountPropagation'), m.mountPropagation, ['Bidirectional', 'HostToContainer', 'None']));
    }
  });
  return causes;
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
  const r = obj(resources);
  const causes: Causes = [];
  const limPath = path.child('limits');
  const reqPath = path.child('requests');
  const limits = new Map<string, Quantity>();
  for (const [name, v] of Object.entries(obj(r.limits))) {
    const p = limPath.key(name);
    causes.push(...validateContainerResourceName(name, p));
    const q = quantity(v, p, causes);
    if (!q) continue;
    if (q.sign() < 0) causes.push(fieldError.invalid(p, q.toString(), IS_NEGATIVE));
    limits.set(name, q);
  }
  for (const [name, v] of Object.entries(obj(r.requests))) {
    const p = reqPath.key(name);
    causes.push(...validateContainerResourceName(name, p));
    const q = quantity(v, p, causes);
    if (!q) continue;
    if (q.sign() < 0) causes.push(fieldError.invalid(p, q.toString(), IS_NEGATIVE));
    const limit = limits.get(name);
    if (limit) {
      if (q.cmp(limit) !== 0 && !isOvercommitAllowed(name)) causes.push(fieldError.invalid(reqPath, q.toString(), `must be equal to ${name} limit of ${limit.toString()}`));
      else if (q.cmp(limit) > 0) causes.push(fieldError.invalid(reqPath, q.toString(), `must be less than or equal to ${name} limit of ${limit.toString()}`));
    } else if (!isOvercommitAllowed(name) && !has(obj(r.limits)[name])) {
      causes.push(fieldError.required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  return causes;
}

/** Probe kinds: liveness and startup probes must use successThreshold 1. */
export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/**
 * A probe: exactly one handler (exec, httpGet, tcpSocket or grpc), non-negative timings
 * and thresholds, successThreshold 1 for liveness and startup probes, and a positive
 * probe-level terminationGracePeriodSeconds (not on readiness probes).
 */
export function validateProbe(probe: unknown, path: Path, kind: ProbeKind): Causes {
  if (!has(probe)) return [];
  const p = obj(probe);
  const causes = validateHandler(p, path, ['exec', 'httpGet', 'tcpSocket', 'grpc'], undefined);
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) nonNegative(p[k], path.child(k), causes);
  if (kind !== 'readiness' && has(p.successThreshold) && p.successThreshold !== 1) causes.push(fieldError.invalid(path.child('successThreshold'), p.successThreshold, 'must be 1'));
  if (has(p.terminationGracePeriodSeconds)) {
    if (kind === 'readiness') causes.push(fieldError.invalid(path.child('terminationGracePeriodSeconds'), p.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
    else {
      const n = int(p.terminationGracePeriodSeconds, path.child('terminationGracePeriodSeconds'), causes);
      if (n !== undefined && n <= 0) causes.push(fieldError.invalid(path.child('terminationGracePeriodSeconds'), n, 'must be greater than 0'));
    }
  }
  return causes;
}

/** Lifecycle hooks: postStart and preStop each with exactly one handler (exec, httpGet, tcpSocket or sleep). */
export function validateLifecycle(lifecycle: unknown, gracePeriod: number | undefined, path: Path): Causes {
  const l = obj(lifecycle);
  const causes: Causes = [];
  for (const k of ['postStart', 'preStop']) {
    if (has(l[k])) causes.push(...validateHandler(obj(l[k]), path.child(k), ['exec', 'httpGet', 'tcpSocket', 'sleep'], gracePeriod));
  }
  return causes;
}

const HTTP_HEADER_NAME = /^[-A-Za-z0-9]+$/;

function validateHandler(h: Record<string, any>, path: Path, kinds: readonly string[], gracePeriod: number | undefined): Causes {
  const causes: Causes = [];
  let count = 0;
  for (const k of kinds) {
    if (!has(h[k])) continue;
    if (count > 0) {
      causes.push(fieldError.forbidden(path.child(k), 'may not specify more than 1 handler type'));
      continue;
    }
    count++;
    const a = obj(h[k]);
    const p = path.child(k);
    switch (k) {
      case 'exec':
        if (arr(a.command).length === 0) causes.push(fieldError.required(p.child('command')));
        break;
      case 'httpGet':
        if (has(a.path) && a.path === '') causes.push(fieldError.required(p.child('path')));
        causes.push(...validatePortNumOrName(a.port, p.child('port')));
        if (has(a.scheme) && a.scheme !== 'HTTP' && a.scheme !== 'HTTPS') causes.push(fieldError.notSupported(p.child('scheme'), a.scheme, ['HTTP', 'HTTPS']));
        for (const header of arr(a.httpHeaders)) {
          const name = str(obj(header).name);
          if (!HTTP_HEADER_NAME.test(name)) {
            causes.push(fieldError.invalid(p.child('httpHeaders'), name, regexError("a valid HTTP header must consist of alphanumeric characters or '-'", '[-A-Za-z0-9]+', 'X-Header-Name')));
          }
        }
        break;
      case 'tcpSocket':
        causes.push(...validatePortNumOrName(a.port, p.child('port')));
        break;
      case 'grpc':
        causes.push(...invalidEach(p.child('port'), a.port, validatePortNum(a.port)));
        break;
      case 'sleep': {
        const s = int(a.seconds, p.child('seconds'), causes);
        if (s === undefined && !has(a.seconds)) causes.push(fieldError.required(p.child('seconds')));
        else if (s !== undefined && (s < 0 || (gracePeriod !== undefined && s > gracePeriod))) {
          causes.push(fieldError.invalid(p.child('seconds'), s, `must be non-negative and less than terminationGracePeriodSeconds (${gracePeriod ?? 30})`));
        }
        break;
      }
    }
  }
  if (count === 0) causes.push(fieldError.required(path, 'must specify a handler type'));
  return causes;
}

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
  idRange(s.runAsUser, path.child('runAsUser'), causes);
  idRange(s.runAsGroup, path.child('runAsGroup'), causes);
  idRange(s.fsGroup, path.child('fsGroup'), causes);
  arr(s.supplementalGroups).forEach((g, i) => idRange(g, path.child('supplementalGroups').index(i), causes));
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
