// The CRI list filters every runtime applies the same way (ListPodSandbox, ListContainers,
// ListContainerStats): an id filter matches the full id or a prefix of it, as crictl's
// truncated ids expect; a label selector is an exact match on every pair it names.

/** Whether `id` passes a filter's `id` (empty: everything; else the id or a prefix of it). */
export function criIdMatches(id: string, wanted: string | undefined | null): boolean {
  return !wanted || id === wanted || id.startsWith(wanted);
}

/** Whether `labels` carry every pair of a filter's `labelSelector` (absent: everything). */
export function criLabelsMatch(labels: Record<string, string>, selector: Record<string, string> | undefined | null): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}
