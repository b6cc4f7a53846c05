import { labelSelectorFromObject, nothingSelector, type Pod, type Selector, type core } from '@bosun/api';
import { podRequests, type Resource } from './resource';

/** A compiled pod (anti-)affinity term: which pods, in which namespaces, share which topology domain. */
export interface AffinityTerm {
  /** Pods whose labels match. */
  readonly selector: Selector;
  /** Namespaces listed by the term (the pod's own when neither namespaces nor namespaceSelector is set). */
  readonly namespaces: ReadonlySet<string>;
  /** Namespaces whose labels match also count; undefined when the term has no namespaceSelector. */
  readonly namespaceSelector: Selector | undefined;
  readonly topologyKey: string;
}

/** A preferred term with its weight. */
export interface WeightedAffinityTerm extends AffinityTerm {
  readonly weight: number;
}

/** Labels of a namespace by name; undefined when unknown. Used for `namespaceSelector`. */
export type NamespaceLabels = (namespace: string) => Readonly<Record<string, string>> | undefined;

/** Whether `pod` is one the term selects (namespace, then labels). */
export function affinityTermMatches(term: AffinityTerm, pod: Pod, nsLabels?: NamespaceLabels): boolean {
  const ns = pod.metadata?.namespace ?? 'default';
  let nsOk = term.namespaces.has(ns);
  if (!nsOk && term.namespaceSelector) {
    nsOk = term.namespaceSelector.isEmpty() || term.namespaceSelector.matches(nsLabels?.(ns) ?? {});
  }
  return nsOk && term.selector.matches(pod.metadata?.labels);
}

function compileTerm(t: core.PodAffinityTerm, podNamespace: string): AffinityTerm {
  const namespaces = new Set(t.namespaces ?? []);
  if (namespaces.size === 0 && !t.namespaceSelector) namespaces.add(podNamespace);
  let selector: Selector;
  try {
    selector = t.labelSelector ? labelSelectorFromObject(t.labelSelector) : nothingSelector;
  } catch {
    selector = nothingSelector;
  }
  let namespaceSelector: Selector | undefined;
  try {
    namespaceSelector = t.namespaceSelector ? labelSelectorFromObject(t.namespaceSelector) : undefined;
  } catch {
    namespaceSelector = nothingSelector;
  }
  return { selector, namespaces, namespaceSelector, topologyKey: t.topologyKey };
}

/**
 * A pod with what the scheduler derives from it once: its requests (real and non-zero)
 * and its compiled (anti-)affinity terms. Immutable once built; rebuild when the pod changes.
 */
export class PodInfo {
  readonly requests: Resource;
  readonly nonZeroRequests: Resource;
  readonly requiredAffinityTerms: readonly AffinityTerm[];
  readonly requiredAntiAffinityTerms: readonly AffinityTerm[];
  readonly preferredAffinityTerms: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinityTerms: readonly WeightedAffinityTerm[];

  constructor(readonly pod: Pod) {
    this.requests = podRequests(pod);
    this.nonZeroRequests = podRequests(pod, { nonZero: true });
    const ns = pod.metadata?.namespace ?? 'default';
    const aff = pod.spec?.affinity;
    const weighted = (ts: core.WeightedPodAffinityTerm[] | undefined) => (ts ?? []).map((w) => ({ ...compileTerm(w.podAffinityTerm, ns), weight: w.weight }));
    this.requiredAffinityTerms = (aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => compileTerm(t, ns));
    this.requiredAntiAffinityTerms = (aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => compileTerm(t, ns));
    this.preferredAffinityTerms = weighted(aff?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    this.preferredAntiAffinityTerms = weighted(aff?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
  }

  get uid(): string {
    return this.pod.metadata?.uid ?? '';
  }
  /** True when the pod has any pod affinity or anti-affinity term. */
  hasAffinity(): boolean {
    return this.requiredAffinityTerms.length + this.requiredAntiAffinityTerms.length + this.preferredAffinityTerms.length + this.preferredAntiAffinityTerms.length > 0;
  }
  /** True when the pod has required anti-affinity terms (existing pods' anti-affinity is honoured symmetrically). */
  hasRequiredAntiAffinity(): boolean {
    return this.requiredAntiAffinityTerms.length > 0;
  }
}

/** The pod's uid, or `namespace/name` when it has none (test objects). */
export function podKey(pod: Pod): string {
  return pod.metadata?.uid || `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
}
