import type { Pod, PriorityClass } from '@bosun/api';

/** Resolves pod priorities the way priority admission would, for pods admitted without it. */
export interface PriorityResolver {
  /** spec.priority when set; else the value of the PriorityClass named by priorityClassName; else the globalDefault class's value; else 0. */
  podPriority(pod: Pod): number;
  /** spec.preemptionPolicy when set; else the PriorityClass's; else PreemptLowerPriority. */
  podPreemptionPolicy(pod: Pod): 'PreemptLowerPriority' | 'Never';
}

/**
 * A {@link PriorityResolver} over a source of PriorityClasses (an informer cache's `list`,
 * or a fixed array in tests). The globalDefault class applies to pods that name no class.
 */
export function createPriorityResolver(classes: () => readonly PriorityClass[] = () => []): PriorityResolver {
  const find = (pod: Pod): PriorityClass | undefined => {
    const name = pod.spec?.priorityClassName;
    const all = classes();
    if (name) return all.find((c) => c.metadata?.name === name);
    return all.find((c) => c.globalDefault === true);
  };
  return {
    podPriority(pod) {
      const p = pod.spec?.priority;
      if (typeof p === 'number') return p;
      return find(pod)?.value ?? 0;
    },
    podPreemptionPolicy(pod) {
      const p = pod.spec?.preemptionPolicy ?? find(pod)?.preemptionPolicy;
      return p === 'Never' ? 'Never' : 'PreemptLowerPriority';
    },
  };
}
