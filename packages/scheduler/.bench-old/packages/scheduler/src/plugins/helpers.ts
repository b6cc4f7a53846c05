import { compileNodeSelector, type Node, type Pod, type core } from '@bosun/api';
import type { NodeScore } from '../framework/interface';
import { MAX_NODE_SCORE } from '../framework/interface';

/**
 * Scales scores to [0, maxPriority] by the highest one (integer arithmetic, as upstream's
 * DefaultNormalizeScore); `reverse` flips them so that the lowest raw score wins. All
 * zero: unchanged, or all `maxPriority` when reversed.
 */
export function defaultNormalizeScore(scores: NodeScore[], reverse = false, maxPriority = MAX_NODE_SCORE): void {
  let max = 0;
  for (const s of scores) if (s.score > max) max = s.score;
  if (max === 0) {
    if (reverse) for (const s of scores) s.score = maxPriority;
    return;
  }
  for (const s of scores) {
    let v = Math.trunc((maxPriority * s.score) / max);
    if (reverse) v = maxPriority - v;
    s.score = v;
  }
}

// One shared definition of toleration matching (also used by controllers).
export { toleratesTaint, findUntoleratedTaint } from '@bosun/api';

/** `namespace/name` of a pod, for messages. */
export function podName(pod: Pod): string {
  return `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
}

/**
 * The pod's required node affinity as upstream's `nodeaffinity.GetRequiredNodeAffinity`:
 * its nodeSelector (every label) AND its required node affinity terms. Compile once per
 * cycle; `matches` is then cheap.
 */
export function requiredNodeAffinity(pod: Pod): { matches(node: Node | undefined): boolean } {
  const labels = pod.spec?.nodeSelector ?? {};
  const keys = Object.keys(labels);
  const req = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const m = req ? compileNodeSelector(req) : undefined;
  return {
    matches(node) {
      if (!node) return false;
      const nl = node.metadata?.labels ?? {};
      for (const k of keys) if (nl[k] !== labels[k]) return false;
      return !m || m.matches(node);
    },
  };
}

/** Whether the pod is being deleted (a terminating pod no longer counts for spreading and affinity scores). */
export function isTerminating(pod: Pod): boolean {
  return !!pod.metadata?.deletionTimestamp;
}
