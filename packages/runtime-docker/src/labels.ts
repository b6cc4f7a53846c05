import { CriError } from '@bosun/cri';

/**
 * The labels that map Docker objects back to CRI objects, so the runtime keeps no state
 * of its own: ListPodSandbox and ListContainers are answers to `docker ps` filtered on
 * them. The Kubernetes keys are the ones cri-dockerd (and the kubelet's dockershim
 * before it) writes, so `docker ps --filter label=io.kubernetes.pod.name=web` works.
 * They are the runtime's own: none shows among the CRI labels it lists unless the caller
 * set it as a CRI label too (see {@link toDockerLabels}).
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

/**
 * The Docker label listing the CRI label keys that share a Docker key with something
 * else: a key the runtime writes itself ({@link LABELS}) or one that looks like an
 * annotation. Without it those keys could not be told apart when listing.
 */
export const CRI_LABEL_KEYS = 'dev.bosun.cri-label-keys';

const RUNTIME_KEYS = new Set<string>([...Object.values(LABELS), CRI_LABEL_KEYS]);

const invalid = (key: string, value: string, why: string) => new CriError('InvalidArgument', `labels[${JSON.stringify(key)}]: Invalid value: ${JSON.stringify(value)}: ${why}`);

/**
 * The Docker labels of a sandbox or container: the caller's CRI labels as they are, its
 * annotations as `annotation.<key>`, then the runtime's own `internal` labels and
 * {@link LABELS.managedBy}.
 *
 * A CRI label may use a key the runtime writes itself (the kubelet sets
 * `io.kubernetes.pod.uid`, `io.kubernetes.container.name`, …) only with the value the
 * runtime writes there, since one Docker label holds one value; a different value is
 * refused with `InvalidArgument` naming the key, and so are {@link CRI_LABEL_KEYS} and a
 * label `annotation.<k>` next to an annotation `<k>`. Such keys are recorded in
 * {@link CRI_LABEL_KEYS}, so {@link fromDockerLabels} gives back exactly what the caller set.
 */
export function toDockerLabels(labels: Record<string, string>, annotations: Record<string, string>, internal: Record<string, string>): Record<string, string> {
  const own: Record<string, string> = { ...internal, [LABELS.managedBy]: MANAGED_BY };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(annotations)) out[ANNOTATION_PREFIX + k] = v;
  const shared: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    if (k === CRI_LABEL_KEYS) throw invalid(k, v, 'the key is reserved by the Docker runtime');
    if (k in own && own[k] !== v) throw invalid(k, v, `the Docker runtime writes this key itself, as ${JSON.stringify(own[k])}; a CRI label may only repeat that value`);
    if (k.startsWith(ANNOTATION_PREFIX) && k in out) throw invalid(k, v, `it would share a Docker label with annotation ${JSON.stringify(k.slice(ANNOTATION_PREFIX.length))}`);
    if (RUNTIME_KEYS.has(k) || k.startsWith(ANNOTATION_PREFIX)) shared.push(k);
    out[k] = v;
  }
  if (shared.length) out[CRI_LABEL_KEYS] = JSON.stringify(shared.sort());
  return { ...out, ...own };
}

function sharedKeys(recorded: string | undefined): Set<string> {
  if (!recorded) return new Set();
  try {
    const keys: unknown = JSON.parse(recorded);
    return new Set(Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : []);
  } catch {
    return new Set();
  }
}

/**
 * Splits Docker labels back into the CRI labels and annotations the caller set: a key the
 * runtime writes for itself is a CRI label only when the caller set it too (recorded in
 * {@link CRI_LABEL_KEYS}), so runtime-only keys never show among the CRI labels and the
 * caller's `io.kubernetes.*` labels always do.
 */
export function fromDockerLabels(docker: Record<string, string> | undefined): { labels: Record<string, string>; annotations: Record<string, string> } {
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  const shared = sharedKeys(docker?.[CRI_LABEL_KEYS]);
  for (const [k, v] of Object.entries(docker ?? {})) {
    if (shared.has(k)) labels[k] = v;
    else if (RUNTIME_KEYS.has(k)) continue;
    else if (k.startsWith(ANNOTATION_PREFIX)) annotations[k.slice(ANNOTATION_PREFIX.length)] = v;
    else labels[k] = v;
  }
  return { labels, annotations };
}

/**
 * Docker `label=` filters that narrow `docker ps` to a CRI label selector. They are a
 * superset of the answer (Docker also matches a key the runtime wrote for itself), so the
 * result is still checked with `criLabelsMatch`; a key holding `=` is left to that
 * check, since Docker's filter splits on the first `=`.
 */
export function dockerLabelFilters(selector: Record<string, string> | undefined | null): string[] {
  return Object.entries(selector ?? {})
    .filter(([k]) => k && !k.includes('='))
    .map(([k, v]) => `${k}=${v}`);
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
