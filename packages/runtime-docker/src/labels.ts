/**
 * The labels that map Docker objects back to CRI objects, so the runtime keeps no state
 * of its own: ListPodSandbox and ListContainers are answers to `docker ps` filtered on
 * them. The Kubernetes keys are the ones cri-dockerd (and the kubelet's dockershim
 * before it) writes, so `docker ps --filter label=io.kubernetes.pod.name=web` works.
 */
export const LABELS = {
  /** `podsandbox` or `container`. */
  type: 'io.kubernetes.docker.type',
  podUid: 'io.kubernetes.pod.uid',
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  containerName: 'io.kubernetes.container.name',
  sandboxId: 'io.kubernetes.sandbox.id',
  /** Marks objects this runtime owns; everything else on the daemon is ignored. */
  managedBy: 'dev.bosun.managed-by',
  attempt: 'dev.bosun.attempt',
  /** Creation time in ms since the epoch (`docker ps` only has seconds). */
  createdAt: 'dev.bosun.created-at',
  /** The image as the caller named it (Docker keeps only the id). */
  image: 'dev.bosun.image',
  logPath: 'dev.bosun.log-path',
  logDirectory: 'dev.bosun.log-directory',
  runtimeHandler: 'dev.bosun.runtime-handler',
  /** `NODE` when the sandbox uses the host's network. */
  network: 'dev.bosun.network',
  /** `POD` when the pod's containers share the sandbox's PID namespace. */
  pid: 'dev.bosun.pid',
} as const;

/** Value of {@link LABELS.managedBy} on every object this runtime creates. */
export const MANAGED_BY = 'bosun-runtime-docker';

/** Prefix of the Docker labels carrying CRI annotations (cri-dockerd's convention). */
export const ANNOTATION_PREFIX = 'annotation.';

const INTERNAL = new Set<string>(Object.values(LABELS));

/** Docker labels for CRI labels and annotations plus the internal ones. */
export function toDockerLabels(labels: Record<string, string>, annotations: Record<string, string>, internal: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) out[k] = v;
  for (const [k, v] of Object.entries(annotations)) out[ANNOTATION_PREFIX + k] = v;
  return { ...out, ...internal, [LABELS.managedBy]: MANAGED_BY };
}

/** Splits Docker labels back into the CRI labels and annotations the caller set. */
export function fromDockerLabels(docker: Record<string, string> | undefined): { labels: Record<string, string>; annotations: Record<string, string> } {
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(docker ?? {})) {
    if (INTERNAL.has(k)) continue;
    if (k.startsWith(ANNOTATION_PREFIX)) annotations[k.slice(ANNOTATION_PREFIX.length)] = v;
    else labels[k] = v;
  }
  return { labels, annotations };
}

/** True when every key of `selector` is in `labels` with the same value. */
export function matchesSelector(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

const NAME_UNSAFE = /[^a-zA-Z0-9_.-]/g;

/** cri-dockerd's Docker name of a sandbox: `k8s_POD_<pod>_<namespace>_<uid>_<attempt>`. */
export function sandboxName(m: { name: string; namespace: string; uid: string; attempt: number }): string {
  return ['k8s', 'POD', m.name, m.namespace, m.uid, String(m.attempt)].map((p) => p.replace(NAME_UNSAFE, '-')).join('_');
}

/** cri-dockerd's Docker name of a container: `k8s_<container>_<pod>_<namespace>_<uid>_<attempt>`. */
export function containerName(container: string, m: { name: string; namespace: string; uid: string }, attempt: number): string {
  return ['k8s', container, m.name, m.namespace, m.uid, String(attempt)].map((p) => p.replace(NAME_UNSAFE, '-')).join('_');
}
