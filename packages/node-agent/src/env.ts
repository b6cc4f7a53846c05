import { isNotFound, parseQuantity, tryParseQuantity, type ConfigMap, type Pod, type Quantity, type Secret, type Service, type core } from '@bosun/api';
import type { Client } from '@bosun/apiserver';
import { NodeAgentError } from './errors';

/** One environment variable as CRI carries it. */
export interface EnvVar {
  key: string;
  value: string;
}

/**
 * Expands `$(VAR)` references in `text` from `vars`, as the kubelet does: `$$` escapes a
 * `$`, and a reference to an unknown variable stays as written.
 */
export function expandVars(text: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '$' || i + 1 >= text.length) {
      out += c;
      continue;
    }
    const n = text[i + 1];
    if (n === '$') {
      out += '$';
      i++;
    } else if (n === '(') {
      const end = text.indexOf(')', i + 2);
      if (end < 0) {
        out += text.slice(i);
        break;
      }
      const name = text.slice(i + 2, end);
      out += vars.has(name) ? vars.get(name)! : `$(${name})`;
      i = end;
    } else out += c;
  }
  return out;
}

/**
 * The environment of a container from plain `value`s only, in order: each value is
 * expanded against the variables defined before it; `valueFrom` and `envFrom` are
 * skipped. {@link resolveContainerEnv} is the full resolution.
 */
export function containerEnv(container: core.Container): EnvVar[] {
  const vars = new Map<string, string>();
  const out: EnvVar[] = [];
  for (const e of container.env ?? []) {
    if (e.valueFrom) continue;
    const value = expandVars(e.value ?? '', vars);
    vars.set(e.name, value);
    out.push({ key: e.name, value });
  }
  return out;
}

/** Command and args with `$(VAR)` expanded against the container's environment. */
export function expandCommand(container: core.Container, env: ReadonlyArray<EnvVar>): { command: string[]; args: string[] } {
  const vars = new Map(env.map((e) => [e.key, e.value] as const));
  return { command: (container.command ?? []).map((s) => expandVars(s, vars)), args: (container.args ?? []).map((s) => expandVars(s, vars)) };
}

/** Upstream's `IsEnvVarName`: what envFrom keys must look like. */
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** True when `name` may be an environment variable name (envFrom keys that are not are skipped). */
export function isEnvVarName(name: string): boolean {
  return ENV_VAR_NAME.test(name);
}

/** Where the values of `valueFrom`, `envFrom` and service links come from. */
export interface EnvSources {
  /** A ConfigMap of the pod's namespace, or undefined when it does not exist. */
  configMap(name: string): Promise<ConfigMap | undefined>;
  /** A Secret of the pod's namespace, or undefined when it does not exist. */
  secret(name: string): Promise<Secret | undefined>;
  /** The Services whose variables the container gets (its namespace's, plus `default/kubernetes`). */
  services(): Promise<Service[]>;
}

/** {@link EnvSources} reading through the API client (with a per-container-start memo). */
export function apiEnvSources(client: Client, namespace: string): EnvSources {
  const memo = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    let p = memo.get(key) as Promise<T> | undefined;
    if (!p) memo.set(key, (p = load()));
    return p;
  };
  const getOpt = async <T>(load: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await load();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  return {
    configMap: (name) => once(`cm/${name}`, () => getOpt(() => client.get('v1', 'ConfigMap', namespace, name))),
    secret: (name) => once(`s/${name}`, () => getOpt(() => client.get('v1', 'Secret', namespace, name))),
    services: () =>
      once('svc', async () => {
        const own = (await client.list('v1', 'Service', { namespace })).items;
        if (namespace === 'default') return own;
        const master = await getOpt(() => client.get('v1', 'Service', 'default', 'kubernetes'));
        return master ? [...own, master] : own;
      }),
  };
}

/** What the environment of one container is computed from. */
export interface EnvInput {
  pod: Pod;
  container: core.Container;
  sources: EnvSources;
  /** The pod's IP (from the sandbox), `''` before it has one. */
  podIP: string;
  /** The node's IP. */
  hostIP: string;
  /** Node allocatable: what `limits.*` default to when the container sets none (as upstream). */
  allocatable: Readonly<Record<string, string>>;
}

/** The resolved environment and what the kubelet would report about it as Events. */
export interface ResolvedEnv {
  env: EnvVar[];
  /** Warning Events to record (reason, message), e.g. envFrom keys skipped as invalid names. */
  warnings: Array<{ reason: string; message: string }>;
}

/** Secret and ConfigMap values: ConfigMap `data` + `binaryData`, Secret `data` (base64) + `stringData`. */
export function configMapValues(cm: ConfigMap): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm.data ?? {})) out.set(k, Buffer.from(String(v), 'utf8'));
  for (const [k, v] of Object.entries((cm as { binaryData?: Record<string, string> }).binaryData ?? {})) out.set(k, Buffer.from(String(v), 'base64'));
  return out;
}

/** See {@link configMapValues}. */
export function secretValues(s: Secret): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(s.data ?? {})) out.set(k, Buffer.from(String(v), 'base64'));
  for (const [k, v] of Object.entries((s as { stringData?: Record<string, string> }).stringData ?? {})) out.set(k, Buffer.from(String(v), 'utf8'));
  return out;
}

const configError = (message: string) => new NodeAgentError('CreateContainerConfig', message);

/**
 * The value of a downward-API `fieldRef` for a pod, as the kubelet resolves it:
 * `metadata.name|namespace|uid`, `metadata.labels['k']`, `metadata.annotations['k']`,
 * `spec.nodeName`, `spec.serviceAccountName`, `status.podIP`, `status.hostIP` (and the
 * plural IP forms). Throws CreateContainerConfig for anything else.
 */
export function podFieldValue(pod: Pod, fieldPath: string, ips: { podIP: string; hostIP: string }): string {
  const m = pod.metadata ?? {};
  const subscript = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath);
  if (subscript) return (subscript[1] === 'labels' ? m.labels : m.annotations)?.[subscript[2]!] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return m.name ?? '';
    case 'metadata.namespace':
      return m.namespace ?? '';
    case 'metadata.uid':
      return m.uid ?? '';
    case 'metadata.labels':
      return formatMap(m.labels);
    case 'metadata.annotations':
      return formatMap(m.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return ips.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return ips.hostIP;
  }
  throw configError(`unsupported fieldPath: ${fieldPath}`);
}

/** The downward API's `key="value"` lines, sorted by key, values quoted as Go's `%q`. */
export function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(map![k])}`)
    .join('\n');
}

/** The limits of `container` with cpu/memory/ephemeral-storage defaulted to node allocatable, as upstream's MergeContainerResourceLimits. */
function effectiveResources(container: core.Container, allocatable: Readonly<Record<string, string>>): { limits: Record<string, string>; requests: Record<string, string> } {
  const limits: Record<string, string> = { ...(container.resources?.limits as Record<string, string> | undefined) };
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) if (limits[r] === undefined && allocatable[r] !== undefined) limits[r] = allocatable[r]!;
  return { limits, requests: { ...(container.resources?.requests as Record<string, string> | undefined) } };
}

/**
 * The value of a `resourceFieldRef` (`limits.cpu`, `requests.memory`, …) divided by its
 * divisor and rounded up, as upstream's ExtractContainerResourceValue: cpu in cores by
 * default (divisor `1`; `1m` gives millicores), memory and ephemeral-storage in bytes.
 */
export function resourceFieldValue(ref: core.ResourceFieldSelector, container: core.Container, allocatable: Readonly<Record<string, string>>): string {
  const [kind, resource] = ref.resource.split('.', 2) as [string, string | undefined];
  if ((kind !== 'limits' && kind !== 'requests') || !resource || !['cpu', 'memory', 'ephemeral-storage'].includes(resource) && !resource.startsWith('hugepages-')) {
    throw configError(`unsupported container resource: ${ref.resource}`);
  }
  const divisorText = ref.divisor === undefined || ref.divisor === null || String(ref.divisor) === '' ? '1' : String(ref.divisor);
  const divisor = tryParseQuantity(divisorText);
  if (!divisor || divisor.isZero()) throw configError(`invalid divisor ${JSON.stringify(divisorText)} for resource ${ref.resource}`);
  const res = effectiveResources(container, allocatable);
  const raw = (kind === 'limits' ? res.limits : res.requests)[resource];
  const value: Quantity = raw === undefined ? parseQuantity(0) : parseQuantity(raw);
  // Both in nano units: ceil(value / divisor), never below 1 for cpu when non-zero (upstream rounds up).
  const n = value.nanoValue();
  const d = divisor.nanoValue();
  const q = n === 0n ? 0n : (n + d - 1n) / d;
  return q.toString();
}

/** `my-svc` → `MY_SVC` (service link variable prefix). */
const serviceVarName = (name: string) => name.toUpperCase().replace(/-/g, '_');

/**
 * Service environment variables, as upstream's `FromServices`: for each Service with a
 * cluster IP, `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT`, `<NAME>_SERVICE_PORT_<PORTNAME>`
 * and the Docker-link variables (`<NAME>_PORT`, `<NAME>_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR]`).
 */
export function serviceEnv(services: readonly Service[]): EnvVar[] {
  const out: EnvVar[] = [];
  for (const svc of [...services].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))) {
    const ip = svc.spec?.clusterIP;
    const ports = svc.spec?.ports ?? [];
    if (!ip || ip === 'None' || !ports.length) continue;
    const name = serviceVarName(svc.metadata?.name ?? '');
    out.push({ key: `${name}_SERVICE_HOST`, value: ip }, { key: `${name}_SERVICE_PORT`, value: String(ports[0]!.port) });
    for (const p of ports) if (p.name) out.push({ key: `${name}_SERVICE_PORT_${serviceVarName(p.name)}`, value: String(p.port) });
    const first = ports[0]!;
    const host = ip.includes(':') ? `[${ip}]` : ip;
    out.push({ key: `${name}_PORT`, value: `${(first.protocol ?? 'TCP').toLowerCase()}://${host}:${first.port}` });
    for (const p of ports) {
      const proto = (p.protocol ?? 'TCP').toUpperCase();
      const prefix = `${name}_PORT_${p.port}_${proto}`;
      out.push(
        { key: prefix, value: `${proto.toLowerCase()}://${host}:${p.port}` },
        { key: `${prefix}_PROTO`, value: proto.toLowerCase() },
        { key: `${prefix}_PORT`, value: String(p.port) },
        { key: `${prefix}_ADDR`, value: ip },
      );
    }
  }
  return out;
}

async function envFromEntries(input: EnvInput, warnings: ResolvedEnv['warnings']): Promise<EnvVar[]> {
  const ns = input.pod.metadata?.namespace ?? '';
  const out: EnvVar[] = [];
  for (const src of input.container.envFrom ?? []) {
    const prefix = src.prefix ?? '';
    let values: Map<string, Buffer> | undefined;
    let what: string;
    if (src.configMapRef) {
      what = `configMap ${ns}/${src.configMapRef.name}`;
      const cm = await input.sources.configMap(src.configMapRef.name ?? '');
      if (!cm && !src.configMapRef.optional) throw configError(`configmap "${src.configMapRef.name}" not found`);
      values = cm && configMapValues(cm);
    } else if (src.secretRef) {
      what = `secret ${ns}/${src.secretRef.name}`;
      const s = await input.sources.secret(src.secretRef.name ?? '');
      if (!s && !src.secretRef.optional) throw configError(`secret "${src.secretRef.name}" not found`);
      values = s && secretValues(s);
    } else continue;
    if (!values) continue;
    const invalid: string[] = [];
    for (const [k, v] of [...values.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const key = prefix + k;
      if (!isEnvVarName(key)) invalid.push(key);
      else out.push({ key, value: v.toString('utf8') });
    }
    if (invalid.length) {
      warnings.push({ reason: 'InvalidEnvironmentVariableNames', message: `Keys [${invalid.join(', ')}] from the EnvFrom ${what} were skipped since they are considered invalid environment variable names.` });
    }
  }
  return out;
}

async function valueFromEntry(input: EnvInput, env: core.EnvVar): Promise<string | undefined> {
  const from = env.valueFrom!;
  const ns = input.pod.metadata?.namespace ?? '';
  if (from.fieldRef) return podFieldValue(input.pod, from.fieldRef.fieldPath, input);
  if (from.resourceFieldRef) {
    const target = from.resourceFieldRef.containerName
      ? [...(input.pod.spec?.containers ?? []), ...(input.pod.spec?.initContainers ?? [])].find((c) => c.name === from.resourceFieldRef!.containerName)
      : input.container;
    if (!target) throw configError(`container "${from.resourceFieldRef.containerName}" not found in pod ${ns}/${input.pod.metadata?.name}`);
    return resourceFieldValue(from.resourceFieldRef, target, input.allocatable);
  }
  if (from.configMapKeyRef) {
    const ref = from.configMapKeyRef;
    const cm = await input.sources.configMap(ref.name ?? '');
    if (!cm) {
      if (ref.optional) return undefined;
      throw configError(`configmap "${ref.name}" not found`);
    }
    const v = configMapValues(cm).get(ref.key);
    if (v === undefined) {
      if (ref.optional) return undefined;
      throw configError(`couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}`);
    }
    return v.toString('utf8');
  }
  if (from.secretKeyRef) {
    const ref = from.secretKeyRef;
    const s = await input.sources.secret(ref.name ?? '');
    if (!s) {
      if (ref.optional) return undefined;
      throw configError(`secret "${ref.name}" not found`);
    }
    const v = secretValues(s).get(ref.key);
    if (v === undefined) {
      if (ref.optional) return undefined;
      throw configError(`couldn't find key ${ref.key} in Secret ${ns}/${ref.name}`);
    }
    return v.toString('utf8');
  }
  throw configError(`environment variable ${env.name}: valueFrom has no source`);
}

/**
 * The environment of a container, as upstream's `makeEnvironmentVariables`: `envFrom`
 * entries first (prefix applied; keys that are not valid names skipped with a warning),
 * then `env` in order — a `value` has `$(VAR)` expanded against the variables declared
 * before it and the service variables, a `valueFrom` is resolved from its ConfigMap,
 * Secret, pod field or resource — and last the service variables (when
 * `enableServiceLinks` is not false) that no declared variable overrides. A missing
 * non-optional ConfigMap, Secret or key rejects with a NodeAgentError
 * `CreateContainerConfig` whose message is the kubelet's (`configmap "x" not found`).
 */
export async function resolveContainerEnv(input: EnvInput): Promise<ResolvedEnv> {
  const warnings: ResolvedEnv['warnings'] = [];
  const declared = new Map<string, string>();
  for (const e of await envFromEntries(input, warnings)) declared.set(e.key, e.value);
  const links = input.pod.spec?.enableServiceLinks === false ? [] : serviceEnv(await input.sources.services());
  const serviceVars = new Map(links.map((e) => [e.key, e.value] as const));
  for (const e of input.container.env ?? []) {
    if (e.valueFrom) {
      const v = await valueFromEntry(input, e);
      if (v !== undefined) {
        declared.delete(e.name);
        declared.set(e.name, v);
      }
      continue;
    }
    const lookup = new Map([...serviceVars, ...declared]);
    const value = expandVars(e.value ?? '', lookup);
    declared.delete(e.name);
    declared.set(e.name, value);
  }
  const env: EnvVar[] = [...declared].map(([key, value]) => ({ key, value }));
  for (const e of links) if (!declared.has(e.key)) env.push(e);
  return { env, warnings };
}
