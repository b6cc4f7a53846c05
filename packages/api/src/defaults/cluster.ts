import { child, isObj, setDefault, setDefaultString } from './util';

/**
 * Namespace defaults: status.phase Active. The `kubernetes` entry of spec.finalizers is
 * the API server's create strategy, not defaulting: defaulting also runs on updates, and
 * would bring the finalizer back after the namespace controller removed it.
 */
export function defaultNamespace(obj: unknown): void {
  if (!isObj(obj)) return;
  const status = child(obj, 'status');
  if (status) setDefaultString(status, 'phase', 'Active');
}

/** Node defaults (core/v1 SetDefaults_NodeStatus): status.allocatable copies status.capacity when absent. Idempotent. */
export function defaultNode(obj: unknown): void {
  if (!isObj(obj) || !isObj(obj.status)) return;
  const status = obj.status;
  if (status.allocatable == null && isObj(status.capacity)) status.allocatable = { ...status.capacity };
}

/**
 * Secret defaults: type Opaque, and `stringData` merged into `data` (base64 of the UTF-8
 * text, overwriting keys present in both) then dropped, as the v1 API's conversion does:
 * stringData is write-only. Idempotent.
 */
export function defaultSecret(obj: unknown): void {
  if (!isObj(obj)) return;
  setDefaultString(obj, 'type', 'Opaque');
  if (isObj(obj.stringData)) {
    const data = child(obj, 'data');
    if (data) {
      for (const [k, v] of Object.entries(obj.stringData)) if (typeof v === 'string') data[k] = base64Utf8(v);
      delete obj.stringData;
    }
  }
}

function base64Utf8(s: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(s)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** PriorityClass defaults (scheduling/v1): preemptionPolicy PreemptLowerPriority. Idempotent. */
export function defaultPriorityClass(obj: unknown): void {
  if (!isObj(obj)) return;
  setDefault(obj, 'preemptionPolicy', 'PreemptLowerPriority');
}
