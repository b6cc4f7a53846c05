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
  const spec = (isRecord(pod.spec) ? pod.spec : {}) as { containers?: unknown[]; initContainers?: unknown[] };
  const containers = [...(Array.isArray(spec.containers) ? spec.containers : []), ...(Array.isArray(spec.initContainers) ? spec.initContainers : [])];
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  for (const c of containers) {
    const resources = (isRecord(c) && isRecord(c.resources) ? c.resources : {}) as { requests?: ResourceMap; limits?: ResourceMap };
    const lim = isRecord(resources.limits) ? resources.limits : undefined;
    const req = isRecord(resources.requests) ? resources.requests : undefined;
    const found = new Set<string>();
    for (const name of QOS_RESOURCES) {
      const l = quantity(lim?.[name]);
      const r = quantity(req?.[name]) ?? l;
      if (r && !r.isZero()) requests.set(name, add(requests.get(name), r));
      if (l && !l.isZero()) {
        found.add(name);
        limits.set(name, add(limits.get(name), l));
      }
    }
    if (found.size !== QOS_RESOURCES.length) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, r] of requests) {
      const l = limits.get(name);
      if (!l || l.cmp(r) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
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
