import type { Deployment, PodTemplateSpec, ReplicaSet } from '@bosun/api';

/** The label (on the ReplicaSet's selector, its template and its pods) naming the template's hash. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** The revision annotation on ReplicaSets and their Deployment. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** Revisions a ReplicaSet had before it became current again (rollback), comma-separated. */
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
/** `spec.replicas` of the Deployment when the ReplicaSet was last scaled. */
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
/** `spec.replicas + maxSurge` of the Deployment when the ReplicaSet was last scaled. */
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';

/** The alphabet of upstream's `rand.SafeEncodeString`: no vowels (no words), no 0/1/3 (look like letters). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** JSON with object keys sorted, so equal objects always serialize the same. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(v);
}

/** FNV-1a, 32 bits, over bytes. */
function fnv32a(bytes: Uint8Array, hash = 0x811c9dc5): number {
  let h = hash;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A copy of `template` without the pod-template-hash label. */
export function templateWithoutHash(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const t = structuredClone(template ?? {}) as PodTemplateSpec;
  if (t.metadata?.labels) {
    delete t.metadata.labels[POD_TEMPLATE_HASH_LABEL];
    if (!Object.keys(t.metadata.labels).length) delete t.metadata.labels;
  }
  return t;
}

/**
 * The pod-template-hash of a template, as upstream's `ComputeHash` shapes it: FNV-32a
 * over the template, then, when `collisionCount` is set, over its 4 little-endian
 * bytes; the 32-bit sum rendered in decimal and each digit character mapped to
 * `bcdfghjklmnpqrstvwxz2456789[charCode % 27]` (`rand.SafeEncodeString`).
 *
 * Bosun hashes the template's canonical JSON (UTF-8, object keys sorted, undefined
 * fields and the pod-template-hash label left out) where upstream hashes a Go
 * struct dump, so the values differ from a real cluster's; what matters, determinism
 * (the same template always gives the same hash, in any process), holds.
 */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJson(templateWithoutHash(template))));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return [...String(h)].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

/** True when two templates are equal apart from the pod-template-hash label (upstream's EqualIgnoreHash). */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return canonicalJson(templateWithoutHash(a)) === canonicalJson(templateWithoutHash(b));
}

/**
 * Resolves an int-or-percent against `total`: ints as they are, `'25%'` as
 * 25% of total rounded up (`roundUp`) or down.
 */
export function resolveIntOrPercent(v: number | string | undefined, total: number, roundUp: boolean, dflt: number | string): number {
  const x = v ?? dflt;
  if (typeof x === 'number') return x;
  const m = /^(\d+)%$/.exec(x);
  if (!m) {
    const n = Number(x);
    if (Number.isInteger(n)) return n;
    throw new Error(`invalid value for IntOrString: invalid value "${x}": must be an integer or percentage (e.g. '5%')`);
  }
  const raw = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
}

/**
 * maxSurge and maxUnavailable of a RollingUpdate Deployment resolved against
 * `spec.replicas` (surge rounds up, unavailable rounds down); when both resolve to 0,
 * maxUnavailable is 1 (upstream's ResolveFenceposts). 0 and 0 for Recreate.
 */
export function resolveFenceposts(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  if (d.spec?.strategy?.type === 'Recreate') return { maxSurge: 0, maxUnavailable: 0 };
  const replicas = d.spec?.replicas ?? 1;
  const ru = d.spec?.strategy?.rollingUpdate;
  const maxSurge = resolveIntOrPercent(ru?.maxSurge, replicas, true, '25%');
  let maxUnavailable = resolveIntOrPercent(ru?.maxUnavailable, replicas, false, '25%');
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/** Upstream's MaxUnavailable: 0 for Recreate or 0 replicas, else the resolved value capped at replicas. */
export function maxUnavailable(d: Deployment): number {
  const replicas = d.spec?.replicas ?? 1;
  if (d.spec?.strategy?.type === 'Recreate' || replicas === 0) return 0;
  return Math.min(resolveFenceposts(d).maxUnavailable, replicas);
}

/** Upstream's MaxSurge: 0 for Recreate. */
export function maxSurge(d: Deployment): number {
  return d.spec?.strategy?.type === 'Recreate' ? 0 : resolveFenceposts(d).maxSurge;
}

/** The revision of a ReplicaSet (0 when unannotated). */
export function revisionOf(rs: { metadata?: { annotations?: Record<string, string> } }): number {
  const n = Number(rs.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** `spec.replicas` of a ReplicaSet (default 1). */
export const specReplicas = (rs: ReplicaSet): number => rs.spec?.replicas ?? 1;

/** Sum of `spec.replicas`. */
export const sumSpec = (rss: readonly ReplicaSet[]): number => rss.reduce((n, rs) => n + specReplicas(rs), 0);
