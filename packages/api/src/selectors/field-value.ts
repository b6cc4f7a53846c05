/** Reads one selectable field of an object as the string a field selector compares. */
export type FieldGetter = (obj: unknown) => string;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

function scalar(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return '';
}

/** Walks a dotted path; anything missing or not a scalar reads as `''`, as Kubernetes' field sets do. */
function pathGetter(path: string): FieldGetter {
  const segments = path.split('.');
  if (segments.length === 2) {
    const [a, b] = segments;
    return (obj) => {
      if (!isObj(obj)) return '';
      const x = obj[a];
      return isObj(x) ? scalar(x[b]) : '';
    };
  }
  return (obj) => {
    let cur: unknown = obj;
    for (let i = 0; i < segments.length; i++) {
      if (!isObj(cur)) return '';
      cur = cur[segments[i]];
    }
    return scalar(cur);
  };
}

/**
 * Fields whose value Kubernetes does not read straight off the object, by kind
 * (pkg/registry/…/strategy.go `ToSelectableFields`): defaults for absent counters and
 * booleans, and fields whose selector name differs from their path.
 */
const SPECIAL_FIELDS: Readonly<Record<string, Readonly<Record<string, FieldGetter>>>> = {
  Pod: {
    // Kubernetes reads the first of status.podIPs.
    'status.podIP': (o) => {
      const status = isObj(o) ? o.status : undefined;
      if (!isObj(status)) return '';
      const ips = status.podIPs;
      if (Array.isArray(ips) && ips.length > 0) return isObj(ips[0]) ? scalar(ips[0].ip) : '';
      return scalar(status.podIP);
    },
    'spec.hostNetwork': (o) => (isObj(o) && isObj(o.spec) && o.spec.hostNetwork === true ? 'true' : 'false'),
  },
  Node: {
    'spec.unschedulable': (o) => (isObj(o) && isObj(o.spec) && o.spec.unschedulable === true ? 'true' : 'false'),
  },
  Job: {
    'status.successful': (o) => (isObj(o) && isObj(o.status) ? scalar(o.status.succeeded) || '0' : '0'),
  },
  ReplicaSet: {
    'status.replicas': (o) => (isObj(o) && isObj(o.status) ? scalar(o.status.replicas) || '0' : '0'),
  },
  ReplicationController: {
    'status.replicas': (o) => (isObj(o) && isObj(o.status) ? scalar(o.status.replicas) || '0' : '0'),
  },
  Event: {
    source: (o) => (isObj(o) && isObj(o.source) ? scalar(o.source.component) : ''),
    reportingComponent: (o) => (isObj(o) ? scalar(o.reportingController) : ''),
  },
};

/**
 * A compiled reader for `field` (a dotted path such as `spec.nodeName`). Values are read
 * the way Kubernetes builds an object's field set: missing fields and non-scalars are
 * `''`; for the built-in kinds the reader follows Kubernetes' special cases
 * (`spec.unschedulable` of a Node defaults to `false`, `status.successful` of a Job is
 * `status.succeeded`, `source` of an Event is `source.component`, …), picked by `obj.kind`.
 */
export function compileFieldGetter(field: string): FieldGetter {
  const generic = pathGetter(field);
  const byKind: Record<string, FieldGetter> = {};
  let special = false;
  for (const kind of Object.keys(SPECIAL_FIELDS)) {
    const g = SPECIAL_FIELDS[kind][field];
    if (g && Object.hasOwn(SPECIAL_FIELDS[kind], field)) {
      byKind[kind] = g;
      special = true;
    }
  }
  if (!special) return generic;
  return (obj) => {
    const kind = isObj(obj) ? obj.kind : undefined;
    return typeof kind === 'string' && Object.hasOwn(byKind, kind) ? byKind[kind](obj) : generic(obj);
  };
}

/** The string value of `field` in `obj`, as a field selector reads it (see {@link compileFieldGetter}). */
export function fieldValue(obj: unknown, field: string): string {
  return compileFieldGetter(field)(obj);
}
