import type { Taint, Toleration } from 'kubernetes-types/core/v1';

/**
 * Whether a toleration tolerates a taint, as core/v1 `Toleration.ToleratesTaint`: an
 * empty effect matches every effect; an empty key (with `Exists`) matches every key;
 * `Exists` ignores the value; `Equal` (or no operator) compares it; any other operator
 * tolerates nothing. The scheduler, the DaemonSet controller and the taint manager all
 * decide with this one function.
 */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? '') {
    case '':
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** The first taint passing `filter` that no toleration tolerates, or undefined. */
export function findUntoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[], filter: (t: Taint) => boolean = () => true): Taint | undefined {
  for (const taint of taints) {
    if (!filter(taint)) continue;
    if (!tolerations.some((t) => toleratesTaint(t, taint))) return taint;
  }
  return undefined;
}
