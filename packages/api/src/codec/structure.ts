import type { FieldCause } from '../errors';
import { showValue } from '../field';

/** The JSON type a field must have. `quantity` is a string or a number; `int-or-string` an integer or a string. */
export type FieldType = 'string' | 'integer' | 'boolean' | 'mapping' | 'list' | 'quantity' | 'int-or-string';

/**
 * One row of the structural check: in objects of `kinds` (`'*'`: every kind), the
 * field(s) at `path` must have `type`. A path is dotted; `*` stands for every key of
 * a mapping and a `[]` suffix for every item of a list:
 * `spec.template.spec.containers[].env[].value`, `metadata.labels.*`.
 * Absent and null fields are skipped (Go decoding leaves them at their zero value).
 */
export interface StructureRule {
  kinds: readonly string[] | '*';
  path: string;
  type: FieldType;
}

const WORKLOADS = ['ReplicationController', 'ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job'] as const;

/** Where each kind keeps its pod template (`{template}`) and pod spec (`{pod}`). */
const podTemplateAt: Record<string, string> = {
  ...Object.fromEntries(WORKLOADS.map((k) => [k, 'spec.template'])),
  CronJob: 'spec.jobTemplate.spec.template',
};
const podSpecAt: Record<string, string> = {
  Pod: 'spec',
  ...Object.fromEntries(Object.entries(podTemplateAt).map(([k, p]) => [k, `${p}.spec`])),
};

type Row = [kinds: readonly string[] | '*', path: string, type: FieldType];

const SPEC_KINDS = [...WORKLOADS, 'Pod', 'CronJob', 'Service', 'Namespace', 'Node', 'PersistentVolume', 'PersistentVolumeClaim', 'HorizontalPodAutoscaler', 'Ingress', 'Lease', 'PodDisruptionBudget'];
const LABEL_SELECTOR_KINDS = ['ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'PodDisruptionBudget'];
const POD_KINDS = Object.keys(podSpecAt);
const TEMPLATE_KINDS = Object.keys(podTemplateAt);

const labelSelector = (at: string): [string, FieldType][] => [
  [at, 'mapping'],
  [`${at}.matchLabels`, 'mapping'],
  [`${at}.matchLabels.*`, 'string'],
  [`${at}.matchExpressions`, 'list'],
  [`${at}.matchExpressions[].key`, 'string'],
  [`${at}.matchExpressions[].values`, 'list'],
  [`${at}.matchExpressions[].values[]`, 'string'],
];

const container = (at: string): [string, FieldType][] => [
  [at, 'list'],
  [`${at}[]`, 'mapping'],
  [`${at}[].name`, 'string'],
  [`${at}[].image`, 'string'],
  [`${at}[].command`, 'list'],
  [`${at}[].command[]`, 'string'],
  [`${at}[].args`, 'list'],
  [`${at}[].args[]`, 'string'],
  [`${at}[].workingDir`, 'string'],
  [`${at}[].ports`, 'list'],
  [`${at}[].ports[]`, 'mapping'],
  [`${at}[].ports[].containerPort`, 'integer'],
  [`${at}[].ports[].hostPort`, 'integer'],
  [`${at}[].ports[].name`, 'string'],
  [`${at}[].env`, 'list'],
  [`${at}[].env[]`, 'mapping'],
  [`${at}[].env[].name`, 'string'],
  [`${at}[].env[].value`, 'string'],
  [`${at}[].resources`, 'mapping'],
  [`${at}[].resources.limits`, 'mapping'],
  [`${at}[].resources.limits.*`, 'quantity'],
  [`${at}[].resources.requests`, 'mapping'],
  [`${at}[].resources.requests.*`, 'quantity'],
  [`${at}[].volumeMounts`, 'list'],
  [`${at}[].volumeMounts[].mountPath`, 'string'],
];

const nodeSelectorTerm = (at: string): [string, FieldType][] => [
  [`${at}.matchExpressions`, 'list'],
  [`${at}.matchExpressions[].values`, 'list'],
  [`${at}.matchExpressions[].values[]`, 'string'],
];

const podSpec: [string, FieldType][] = [
  ['{pod}', 'mapping'],
  ...container('{pod}.containers'),
  ...container('{pod}.initContainers'),
  ['{pod}.nodeSelector', 'mapping'],
  ['{pod}.nodeSelector.*', 'string'],
  ['{pod}.volumes', 'list'],
  ['{pod}.volumes[]', 'mapping'],
  ['{pod}.volumes[].name', 'string'],
  ['{pod}.restartPolicy', 'string'],
  ['{pod}.tolerations', 'list'],
  ['{pod}.tolerations[].value', 'string'],
  ['{pod}.tolerations[].tolerationSeconds', 'integer'],
  ['{pod}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms', 'list'],
  ...nodeSelectorTerm('{pod}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[]'),
  ['{pod}.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution', 'list'],
  ...nodeSelectorTerm('{pod}.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[].preference'),
];

/**
 * The table, written with two placeholders: `{pod}` is where the kind keeps its pod
 * spec and `{template}` its pod template. {@link structureRules} is the expanded form.
 */
const table: Row[] = [
  ['*', 'apiVersion', 'string'],
  ['*', 'kind', 'string'],
  ['*', 'metadata', 'mapping'],
  ['*', 'metadata.name', 'string'],
  ['*', 'metadata.generateName', 'string'],
  ['*', 'metadata.namespace', 'string'],
  ['*', 'metadata.labels', 'mapping'],
  ['*', 'metadata.labels.*', 'string'],
  ['*', 'metadata.annotations', 'mapping'],
  ['*', 'metadata.annotations.*', 'string'],
  ['*', 'metadata.finalizers', 'list'],
  ['*', 'metadata.finalizers[]', 'string'],
  [SPEC_KINDS, 'spec', 'mapping'],
  [['ReplicationController', 'ReplicaSet', 'Deployment', 'StatefulSet'], 'spec.replicas', 'integer'],
  [['ReplicationController', 'ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet'], 'spec.minReadySeconds', 'integer'],
  [['Deployment', 'StatefulSet', 'DaemonSet'], 'spec.revisionHistoryLimit', 'integer'],
  [['Deployment', 'DaemonSet'], 'spec.strategy.rollingUpdate.maxSurge', 'int-or-string'],
  [['Deployment', 'DaemonSet'], 'spec.strategy.rollingUpdate.maxUnavailable', 'int-or-string'],
  ...labelSelector('spec.selector').map(([p, t]): Row => [LABEL_SELECTOR_KINDS, p, t]),
  [['ReplicationController', 'Service'], 'spec.selector', 'mapping'],
  [['ReplicationController', 'Service'], 'spec.selector.*', 'string'],
  [TEMPLATE_KINDS, '{template}', 'mapping'],
  [TEMPLATE_KINDS, '{template}.metadata', 'mapping'],
  [TEMPLATE_KINDS, '{template}.metadata.labels', 'mapping'],
  [TEMPLATE_KINDS, '{template}.metadata.labels.*', 'string'],
  [TEMPLATE_KINDS, '{template}.metadata.annotations', 'mapping'],
  [TEMPLATE_KINDS, '{template}.metadata.annotations.*', 'string'],
  ...podSpec.map(([p, t]): Row => [POD_KINDS, p, t]),
  [['Job'], 'spec.completions', 'integer'],
  [['Job'], 'spec.parallelism', 'integer'],
  [['Job'], 'spec.backoffLimit', 'integer'],
  [['Job'], 'spec.activeDeadlineSeconds', 'integer'],
  [['CronJob'], 'spec.schedule', 'string'],
  [['CronJob'], 'spec.jobTemplate', 'mapping'],
  [['CronJob'], 'spec.jobTemplate.spec', 'mapping'],
  [['CronJob'], 'spec.successfulJobsHistoryLimit', 'integer'],
  [['CronJob'], 'spec.failedJobsHistoryLimit', 'integer'],
  [['StatefulSet'], 'spec.serviceName', 'string'],
  [['StatefulSet'], 'spec.volumeClaimTemplates', 'list'],
  [['StatefulSet'], 'spec.volumeClaimTemplates[].spec.resources.requests.*', 'quantity'],
  [['Service'], 'spec.type', 'string'],
  [['Service'], 'spec.ports', 'list'],
  [['Service'], 'spec.ports[]', 'mapping'],
  [['Service'], 'spec.ports[].name', 'string'],
  [['Service'], 'spec.ports[].port', 'integer'],
  [['Service'], 'spec.ports[].targetPort', 'int-or-string'],
  [['Service'], 'spec.ports[].nodePort', 'integer'],
  [['ConfigMap', 'Secret'], 'data', 'mapping'],
  [['ConfigMap', 'Secret'], 'data.*', 'string'],
  [['ConfigMap'], 'binaryData.*', 'string'],
  [['Secret'], 'stringData', 'mapping'],
  [['Secret'], 'stringData.*', 'string'],
  [['PersistentVolumeClaim'], 'spec.accessModes', 'list'],
  [['PersistentVolumeClaim'], 'spec.accessModes[]', 'string'],
  [['PersistentVolumeClaim'], 'spec.resources.requests.*', 'quantity'],
  [['PersistentVolume'], 'spec.capacity.*', 'quantity'],
  [['PersistentVolume'], 'spec.accessModes', 'list'],
  [['PersistentVolume'], 'spec.accessModes[]', 'string'],
  [['HorizontalPodAutoscaler'], 'spec.scaleTargetRef', 'mapping'],
  [['HorizontalPodAutoscaler'], 'spec.minReplicas', 'integer'],
  [['HorizontalPodAutoscaler'], 'spec.maxReplicas', 'integer'],
  [['HorizontalPodAutoscaler'], 'spec.metrics', 'list'],
  [['PodDisruptionBudget'], 'spec.minAvailable', 'int-or-string'],
  [['PodDisruptionBudget'], 'spec.maxUnavailable', 'int-or-string'],
  [['Ingress'], 'spec.rules', 'list'],
  [['Ingress'], 'spec.rules[].host', 'string'],
  [['Ingress'], 'spec.rules[].http.paths', 'list'],
  [['Ingress'], 'spec.rules[].http.paths[].path', 'string'],
];

function expand(rows: Row[]): StructureRule[] {
  const out: StructureRule[] = [];
  const seen = new Set<string>();
  const add = (kinds: readonly string[] | '*', path: string, type: FieldType) => {
    const id = `${kinds === '*' ? '*' : kinds.join(',')}|${path}|${type}`;
    if (seen.has(id)) return;
    seen.add(id);
    out.push({ kinds, path, type });
  };
  for (const [kinds, path, type] of rows) {
    const placeholder = path.startsWith('{pod}') ? podSpecAt : path.startsWith('{template}') ? podTemplateAt : undefined;
    if (!placeholder || kinds === '*') {
      add(kinds, path, type);
      continue;
    }
    for (const kind of kinds) {
      const at = placeholder[kind];
      if (at !== undefined) add([kind], path.replace(/^\{(pod|template)\}/, at), type);
    }
  }
  return out;
}

/** The structural rules for the built-in kinds, expanded (no placeholders). */
export const structureRules: readonly StructureRule[] = Object.freeze(expand(table));

interface Compiled {
  segments: { key: string; lists: number }[];
  type: FieldType;
}

const compiledCache = new WeakMap<readonly StructureRule[], { any: Compiled[]; byKind: Map<string, Compiled[]> }>();

function compile(rules: readonly StructureRule[]) {
  let c = compiledCache.get(rules);
  if (c) return c;
  c = { any: [], byKind: new Map() };
  // The same path and type may come from several rows (Pod's `spec` is both a spec and its pod spec).
  const seen = new Set<string>();
  for (const r of rules) {
    const segments = r.path.split('.').map((s) => {
      const m = /^(.*?)((?:\[\])*)$/.exec(s)!;
      return { key: m[1], lists: m[2].length / 2 };
    });
    const compiled = { segments, type: r.type };
    const id = `${r.path}|${r.type}`;
    if (r.kinds === '*') {
      if (!seen.has(`*|${id}`)) c.any.push(compiled);
      seen.add(`*|${id}`);
      continue;
    }
    for (const k of r.kinds) {
      if (seen.has(`${k}|${id}`) || seen.has(`*|${id}`)) continue;
      seen.add(`${k}|${id}`);
      (c.byKind.get(k) ?? c.byKind.set(k, []).get(k)!).push(compiled);
    }
  }
  compiledCache.set(rules, c);
  return c;
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A light structural type check of an object as written, without a full schema: it
 * catches the YAML mistakes that Kubernetes refuses while decoding (`version: 1` as a
 * label value, `containers:` as a mapping, `replicas: "3"`, an env `value: 8080`),
 * with a field path for each. Returns every problem found (empty when none); never
 * throws. `rules` defaults to {@link structureRules}; pass more to cover custom kinds.
 */
export function checkStructure(obj: unknown, rules: readonly StructureRule[] = structureRules): FieldCause[] {
  if (!isMapping(obj)) return [typeCause('', obj, 'mapping')];
  const { any, byKind } = compile(rules);
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  const causes: FieldCause[] = [];
  for (const rule of [...any, ...(byKind.get(kind) ?? [])]) visit(obj, rule, 0, '', causes);
  return causes;
}

function visit(value: unknown, rule: Compiled, i: number, path: string, causes: FieldCause[]): void {
  if (value === undefined || value === null) return;
  if (i === rule.segments.length) {
    if (!hasType(value, rule.type)) causes.push(typeCause(path, value, rule.type));
    return;
  }
  if (!isMapping(value)) return;
  const { key, lists } = rule.segments[i];
  const keys = key === '*' ? Object.keys(value) : Object.prototype.hasOwnProperty.call(value, key) ? [key] : [];
  for (const k of keys) each(value[k], lists, path ? `${path}.${k}` : k, (v, p) => visit(v, rule, i + 1, p, causes));
}

/** Calls `f` on `v` itself (lists = 0) or on every item of `lists` levels of nested lists. */
function each(v: unknown, lists: number, path: string, f: (v: unknown, path: string) => void): void {
  if (lists === 0) return f(v, path);
  if (!Array.isArray(v)) return;
  v.forEach((x, i) => each(x, lists - 1, `${path}[${i}]`, f));
}

function hasType(v: unknown, t: FieldType): boolean {
  switch (t) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'mapping':
      return isMapping(v);
    case 'list':
      return Array.isArray(v);
    case 'quantity':
      return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
    case 'int-or-string':
      return typeof v === 'string' || Number.isInteger(v);
  }
}

const expected: Record<FieldType, string> = {
  string: 'must be a string',
  integer: 'must be an integer',
  boolean: 'must be a boolean',
  mapping: 'must be a mapping',
  list: 'must be a list',
  quantity: 'must be a string or a number (a quantity such as "500m", "1Gi" or 2)',
  'int-or-string': 'must be an integer or a string',
};

/** The Go type Kubernetes decodes the field into, for the scalar types. */
const goType: Partial<Record<FieldType, string>> = { string: 'string', integer: 'int32', boolean: 'bool' };

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

function typeCause(field: string, value: unknown, type: FieldType): FieldCause {
  let shown = showValue(value);
  if (shown.length > 64) shown = `${shown.slice(0, 61)}...`;
  const go = goType[type];
  // Upstream's wording, so the message reads like the one kubectl would print.
  const hint = go ? ` (cannot unmarshal ${jsonType(value)} into Go value of type ${go})` : '';
  return { reason: 'FieldValueTypeInvalid', field, message: `Invalid value: ${shown}: ${expected[type]}${hint}` };
}
