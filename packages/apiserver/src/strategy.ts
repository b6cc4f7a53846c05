import { tryParseQuantity, type KubeObject, type Quantity } from '@bosun/api';
import { isRecord } from './util';

/**
 * What a kind does differently from the generic registry behaviour, the way upstream's
 * per-kind REST strategies do (PrepareForCreate, PrepareForUpdate, CheckGracefulDelete).
 * Every hook mutates the object it is given and must be idempotent: updates may retry.
 */
export interface KindStrategy {
  /** Keep `status` from a create request even though the kind has a status subresource (Node: the kubelet registers with status). */
  keepStatusOnCreate?: boolean;
  /** After mutating admission on create: server-set status and the like. */
  prepareForCreate?(obj: KubeObject): void;
  /** On an update of the main resource: carry over what clients may not change there. */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  /** On a status update: carry over server-computed status fields. */
  prepareForStatusUpdate?(obj: KubeObject, old: KubeObject): void;
  /**
   * The graceful deletion period in seconds for a delete of `obj` (0: delete now);
   * undefined for kinds without graceful deletion.
   */
  gracePeriodSeconds?(obj: KubeObject, requested: number | undefined): number | undefined;
  /** False while kind-specific finalization (a Namespace's `spec.finalizers`) is still pending. */
  finalized?(obj: KubeObject): boolean;
}

/** The `kubernetes` finalizer in a Namespace's `spec.finalizers`, removed by the namespace controller. */
export const NAMESPACE_FINALIZER = 'kubernetes';
/** The label every Namespace carries with its own name. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

const podStrategy: KindStrategy = {
  prepareForCreate(pod) {
    pod.status = { phase: 'Pending', qosClass: podQOSClass(pod) };
  },
  prepareForStatusUpdate(pod, old) {
    // The QoS class is computed once, at create, from resources that cannot change.
    const qosClass = (old.status as { qosClass?: string } | undefined)?.qosClass;
    if (!qosClass) return;
    if (isRecord(pod.status)) pod.status.qosClass = qosClass;
    else pod.status = { qosClass };
  },
  gracePeriodSeconds(pod, requested) {
    const spec = (isRecord(pod.spec) ? pod.spec : {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
    let period = requested ?? spec.terminationGracePeriodSeconds ?? 30;
    if (!spec.nodeName) period = 0;
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') period = 0;
    if (period < 0) period = 1;
    return period;
  },
};

const namespaceStrategy: KindStrategy = {
  prepareForCreate(ns) {
    ns.status = { phase: 'Active' };
    const spec = (isRecord(ns.spec) ? ns.spec : (ns.spec = {})) as { finalizers?: string[] };
    if (!spec.finalizers?.includes(NAMESPACE_FINALIZER)) spec.finalizers = [...(spec.finalizers ?? []), NAMESPACE_FINALIZER];
    labelNamespace(ns);
  },
  prepareForUpdate(ns, old) {
    // spec.finalizers only changes through the finalize subresource (finalizeNamespace).
    const oldFinalizers = (old.spec as { finalizers?: string[] } | undefined)?.finalizers;
    const spec = (isRecord(ns.spec) ? ns.spec : (ns.spec = {})) as { finalizers?: string[] };
    if (oldFinalizers) spec.finalizers = [...oldFinalizers];
    else delete spec.finalizers;
    labelNamespace(ns);
  },
  finalized(ns) {
    return !((ns.spec as { finalizers?: string[] } | undefined)?.finalizers?.length);
  },
};

function labelNamespace(ns: KubeObject): void {
  const meta = (ns.metadata ??= {});
  if (meta.name) meta.labels = { ...meta.labels, [NAMESPACE_NAME_LABEL]: meta.name };
}

const nodeStrategy: KindStrategy = { keepStatusOnCreate: true };

const strategies: Record<string, KindStrategy> = {
  'v1/Pod': podStrategy,
  'v1/Namespace': namespaceStrategy,
  'v1/Node': nodeStrategy,
};

const generic: KindStrategy = {};

/** The strategy for a kind (`apiVersion/Kind`); custom kinds get the generic one. */
export function strategyFor(apiVersion: string, kind: string): KindStrategy {
  return strategies[`${apiVersion}/${kind}`] ?? generic;
}

type ResourceMap = Record<string, unknown> | undefined;
const QOS_RESOURCES = ['cpu', 'memory'] as const;

/**
 * A pod's QoS class as the kubelet and scheduler compute it: Guaranteed when every
 * container limits cpu and memory and requests equal limits, BestEffort when nothing is
 * requested or limited, Burstable otherwise. A container's missing request counts as
 * its limit (as defaulting makes it). Zero quantities are ignored, as upstream does.
 */
export function podQOSClass(pod: KubeObject): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  // On every pod create: plain loops and two running sums per resource, no collections.
  const spec = (isRecord(pod.spec) ? pod.spec : {}) as { containers?: unknown[]; initContainers?: unknown[] };
  const sums: QosSums = { cpuRequest: undefined, memoryRequest: undefined, cpuLimit: undefined, memoryLimit: undefined, guaranteed: true };
  if (Array.isArray(spec.containers)) for (const c of spec.containers) addContainer(sums, c);
  if (Array.isArray(spec.initContainers)) for (const c of spec.initContainers) addContainer(sums, c);
  const { cpuRequest, memoryRequest, cpuLimit, memoryLimit } = sums;
  if (!cpuRequest && !memoryRequest && !cpuLimit && !memoryLimit) return 'BestEffort';
  // Guaranteed: every container limits both, and each summed request equals its summed limit.
  return sums.guaranteed && sameSum(cpuRequest, cpuLimit) && sameSum(memoryRequest, memoryLimit) ? 'Guaranteed' : 'Burstable';
}

/** Both absent, or both present and equal. */
function sameSum(request: Quantity | undefined, limit: Quantity | undefined): boolean {
  return request ? limit !== undefined && limit.cmp(request) === 0 : limit === undefined;
}

interface QosSums {
  cpuRequest: Quantity | undefined;
  memoryRequest: Quantity | undefined;
  cpuLimit: Quantity | undefined;
  memoryLimit: Quantity | undefined;
  /** False once a container misses a (non-zero) cpu or memory limit. */
  guaranteed: boolean;
}

function addContainer(sums: QosSums, c: unknown): void {
  const resources = (isRecord(c) && isRecord(c.resources) ? c.resources : {}) as { requests?: ResourceMap; limits?: ResourceMap };
  const lim = isRecord(resources.limits) ? resources.limits : undefined;
  const req = isRecord(resources.requests) ? resources.requests : undefined;
  let found = 0;
  for (const name of QOS_RESOURCES) {
    const l = quantity(lim?.[name]);
    const r = quantity(req?.[name]) ?? l;
    const cpu = name === 'cpu';
    if (r && !r.isZero()) {
      if (cpu) sums.cpuRequest = add(sums.cpuRequest, r);
      else sums.memoryRequest = add(sums.memoryRequest, r);
    }
    if (l && !l.isZero()) {
      found++;
      if (cpu) sums.cpuLimit = add(sums.cpuLimit, l);
      else sums.memoryLimit = add(sums.memoryLimit, l);
    }
  }
  if (found !== QOS_RESOURCES.length) sums.guaranteed = false;
}

// Pods repeat a handful of quantities ('250m', '512Mi'): parse each spelling once.
const parsed = new Map<string | number, Quantity | null>();
function quantity(v: unknown): Quantity | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  let q = parsed.get(v);
  if (q === undefined) {
    if (parsed.size >= 1024) parsed.clear();
    q = tryParseQuantity(v) ?? null;
    parsed.set(v, q);
  }
  return q ?? undefined;
}
function add(a: Quantity | undefined, b: Quantity): Quantity {
  return a ? a.add(b) : b;
}
