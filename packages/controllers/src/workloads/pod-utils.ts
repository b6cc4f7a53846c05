import type { Pod, PodTemplateSpec } from '@bosun/api';

/** The annotation that ranks pods for deletion when scaling down (lower goes first). */
export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

/** True when the pod's Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** When the pod last became Ready (ms), or undefined when not ready. */
export function podReadySince(pod: Pod): number | undefined {
  const c = pod.status?.conditions?.find((x) => x.type === 'Ready' && x.status === 'True');
  if (!c) return undefined;
  const t = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/** Ready for at least `minReadySeconds` at `now` (upstream's IsPodAvailable). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  const since = podReadySince(pod);
  if (since === undefined) return false;
  return minReadySeconds <= 0 || since + minReadySeconds * 1000 <= now;
}

/** Not terminated and not being deleted: a pod that counts toward replicas (upstream's IsPodActive). */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

const phaseOrdinal = (pod: Pod) => ({ Pending: 0, Unknown: 1, Running: 2 })[pod.status?.phase ?? 'Pending' as string] ?? 0;
const restarts = (pod: Pod) => Math.max(0, ...(pod.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
const deletionCost = (pod: Pod) => {
  const v = Number(pod.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION] ?? 0);
  return Number.isFinite(v) ? v : 0;
};
const created = (pod: Pod) => (pod.metadata?.creationTimestamp ? Date.parse(pod.metadata.creationTimestamp) : undefined);

/**
 * Compares pods for deletion, the pod to delete first sorting first (upstream's
 * `ActivePodsWithRanks.Less`): unassigned before assigned; Pending before Unknown
 * before Running; not ready before ready; lower pod-deletion-cost first; pods doubled
 * up on a node with more of their siblings (`rank`: how many related pods share its
 * node) first; ready for less time first; more container restarts first; newer first.
 */
export function comparePodsForDeletion(a: Pod, b: Pod, rank: (p: Pod) => number = () => 0): number {
  const aa = a.spec?.nodeName ? 1 : 0;
  const ba = b.spec?.nodeName ? 1 : 0;
  if (aa !== ba) return aa - ba;
  if (phaseOrdinal(a) !== phaseOrdinal(b)) return phaseOrdinal(a) - phaseOrdinal(b);
  const ar = isPodReady(a) ? 1 : 0;
  const br = isPodReady(b) ? 1 : 0;
  if (ar !== br) return ar - br;
  if (deletionCost(a) !== deletionCost(b)) return deletionCost(a) - deletionCost(b);
  if (rank(a) !== rank(b)) return rank(b) - rank(a);
  if (ar && br) {
    const at = podReadySince(a) ?? 0;
    const bt = podReadySince(b) ?? 0;
    if (at !== bt) return bt - at; // ready more recently first
  }
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  const ac = created(a);
  const bc = created(b);
  if (ac !== bc) {
    if (ac === undefined) return -1;
    if (bc === undefined) return 1;
    return bc - ac; // newer first
  }
  return 0;
}

/**
 * The `count` pods to delete when scaling down, in deletion order. `related` are the
 * active pods of the same controller used for the doubled-up rank (default `pods`).
 */
export function pickPodsToDelete(pods: readonly Pod[], count: number, related: readonly Pod[] = pods): Pod[] {
  const perNode = new Map<string, number>();
  for (const p of related) if (p.spec?.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  const rank = (p: Pod) => (p.spec?.nodeName ? (perNode.get(p.spec.nodeName) ?? 0) : 0);
  return [...pods].sort((a, b) => comparePodsForDeletion(a, b, rank)).slice(0, Math.max(0, count));
}

/** A pod from a controller's template: generateName `<prefix>-`, the template's labels, annotations and spec. */
export function podFromTemplate(template: PodTemplateSpec | undefined, namespace: string, generateNamePrefix: string): Pod {
  const t = template ?? {};
  const meta = t.metadata ?? {};
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: `${generateNamePrefix}-`, namespace, labels: { ...(meta.labels ?? {}) } },
    spec: structuredClone(t.spec ?? { containers: [] }) as Pod['spec'],
  };
  if (meta.annotations) pod.metadata!.annotations = { ...meta.annotations };
  if (meta.finalizers) pod.metadata!.finalizers = [...meta.finalizers];
  return pod;
}

/**
 * Runs `fn` `count` times in batches of 1, 2, 4, … (upstream's slowStartBatch), so a
 * controller whose creations all fail (quota, invalid template) sends one request, not
 * hundreds. Stops after the first batch with a failure. Returns how many calls were
 * made, how many succeeded, and the first error.
 */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<void>): Promise<{ attempted: number; successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  let attempted = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    attempted += batch;
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.find((r) => r.status === 'rejected');
    successes += results.filter((r) => r.status === 'fulfilled').length;
    if (failed) return { attempted, successes, error: (failed as PromiseRejectedResult).reason };
    remaining -= batch;
  }
  return { attempted, successes };
}
