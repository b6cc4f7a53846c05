// Helpers shared by the batch-folder controllers (Job, CronJob, StatefulSet, DaemonSet,
// Endpoints). Internal: not exported from the barrel.
import { isConflict, isNotFound, labelSelectorFromObject, type KubeObject, type LabelSelector, type Pod, type Selector } from '@bosun/api';
import type { ApiObject, Client } from '@bosun/apiserver';
import { retryOnConflict } from '@bosun/controller-runtime';

/** Expectations older than this are dropped (client-go's ExpectationsTimeout). */
const EXPECTATION_TTL_MS = 5 * 60_000;

interface Expected {
  name: string;
  op: 'create' | 'delete';
  uid?: string;
  at: number;
}

/**
 * Writes a controller made whose effect its informer cache has not shown yet, per owner
 * key (client-go's ControllerExpectations, by name instead of by count). A reconcile
 * that sees unsatisfied expectations waits (the awaited watch event requeues it), so a
 * lagging cache never causes a second create or delete.
 */
export class Expectations {
  private readonly byKey = new Map<string, Expected[]>();

  expectCreate(key: string, name: string, now: number): void {
    this.push(key, { name, op: 'create', at: now });
  }

  expectDelete(key: string, name: string, uid: string | undefined, now: number): void {
    this.push(key, { name, uid, op: 'delete', at: now });
  }

  /**
   * True when every expected write of `key` shows in the cache (`lookup` by name), or
   * has expired. Satisfied entries are dropped.
   */
  satisfied(key: string, lookup: (name: string) => ApiObject | undefined, now: number): boolean {
    const list = this.byKey.get(key);
    if (!list) return true;
    const left = list.filter((e) => {
      if (now - e.at > EXPECTATION_TTL_MS) return false;
      const obj = lookup(e.name);
      if (e.op === 'create') return !obj;
      return !!obj && (!e.uid || obj.metadata?.uid === e.uid) && !obj.metadata?.deletionTimestamp;
    });
    if (left.length === 0) this.byKey.delete(key);
    else this.byKey.set(key, left);
    return left.length === 0;
  }

  /** Forgets `key` (its object is gone). */
  forget(key: string): void {
    this.byKey.delete(key);
  }

  private push(key: string, e: Expected): void {
    const list = this.byKey.get(key) ?? [];
    list.push(e);
    this.byKey.set(key, list);
  }
}

/** The Ready condition of a pod is True. */
export function isPodReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Running and Ready (StatefulSet's `isRunningAndReady`). */
export function isRunningAndReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod);
}

/** Neither Succeeded nor Failed, and not being deleted (client-go's `IsPodActive`). */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

export function isTerminating(obj: ApiObject): boolean {
  return !!obj.metadata?.deletionTimestamp;
}

/** Compiles a `spec.selector`; an absent selector matches nothing. */
export function compileSelector(sel: LabelSelector | undefined): Selector | undefined {
  if (!sel) return undefined;
  return labelSelectorFromObject(sel);
}

/**
 * `conditions` with `cond` set: an existing condition of the same type keeps its
 * lastTransitionTime unless its status changes. Returns a new array.
 */
export function setCondition<C extends { type: string; status: string; lastTransitionTime?: string }>(conditions: readonly C[] | undefined, cond: C, now: string): C[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === cond.type);
  const prev = i >= 0 ? list[i] : undefined;
  const next: C = { ...cond, lastTransitionTime: prev && prev.status === cond.status ? prev.lastTransitionTime : (cond.lastTransitionTime ?? now) };
  if (i >= 0) list[i] = { ...prev, ...next };
  else list.push(next);
  return list;
}

/** Any typed object as a `KubeObject` (the typed kinds have no index signature). */
export function asKube(obj: ApiObject): KubeObject {
  return obj as KubeObject;
}

/** A condition of this type with status True exists. */
export function hasTrueCondition(conditions: readonly { type: string; status: string }[] | undefined, type: string): boolean {
  return (conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** JSON equality: enough for comparing API object parts built the same way. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Writes `status` on `obj` through the status subresource when it differs from what
 * `obj` has; on a conflict reads the latest object and writes the same status over it.
 * Returns the stored object, or undefined when it is gone.
 */
export async function writeStatus<T extends ApiObject & { status?: unknown }>(client: Client, obj: T, status: T['status'], signal?: AbortSignal): Promise<T | undefined> {
  if (jsonEqual(obj.status ?? {}, status ?? {})) return obj;
  const m = obj.metadata ?? {};
  try {
    return await retryOnConflict(async (attempt) => {
      let base = obj;
      if (attempt > 0) {
        base = (await client.get(obj.apiVersion ?? '', obj.kind ?? '', m.namespace ?? '', m.name ?? '', { signal })) as unknown as T;
        if (base.metadata?.uid !== m.uid) return undefined;
      }
      return client.updateStatus({ ...base, status }, { signal });
    });
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Deletes, treating 404 as done. Returns false when it was already gone. */
export async function deleteIgnoringNotFound(client: Client, obj: ApiObject, opts: Parameters<Client['delete']>[4] = {}): Promise<boolean> {
  const m = obj.metadata ?? {};
  try {
    await client.delete(obj.apiVersion ?? '', obj.kind ?? '', m.namespace ?? '', m.name ?? '', { ...opts, preconditions: m.uid ? { uid: m.uid } : undefined });
    return true;
  } catch (e) {
    if (isNotFound(e) || isConflict(e)) return false;
    throw e;
  }
}

/**
 * Removes `finalizer` from `obj` with a JSON patch guarded by a test on the current list,
 * retried against the latest object. No-op when it is absent or the object is gone.
 */
export async function removeFinalizerFrom(client: Client, obj: ApiObject, finalizer: string, signal?: AbortSignal): Promise<void> {
  const m = obj.metadata ?? {};
  let current: ApiObject | undefined = obj;
  for (let attempt = 0; attempt < 5 && current; attempt++) {
    const fins = current.metadata?.finalizers ?? [];
    if (!fins.includes(finalizer)) return;
    try {
      await client.patch(obj.apiVersion ?? '', obj.kind ?? '', m.namespace ?? '', m.name ?? '', [
        { op: 'test', path: '/metadata/finalizers', value: fins },
        { op: 'replace', path: '/metadata/finalizers', value: fins.filter((f) => f !== finalizer) },
      ], { type: 'json', signal });
      return;
    } catch (e) {
      if (isNotFound(e)) return;
      if (attempt === 4) throw e;
      try {
        current = (await client.get(obj.apiVersion ?? '', obj.kind ?? '', m.namespace ?? '', m.name ?? '', { signal })) as ApiObject;
        if (current.metadata?.uid !== m.uid) return;
      } catch (g) {
        if (isNotFound(g)) return;
        throw g;
      }
    }
  }
}

/**
 * A short stable hash of a JSON value (FNV-1a 32-bit, rendered with the "safe"
 * alphabet client-go uses for pod-template hashes, so it never spells words).
 */
export function hashOf(value: unknown): string {
  const text = JSON.stringify(value) ?? '';
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  let n = h;
  do {
    out = alphabet[n % alphabet.length] + out;
    n = Math.floor(n / alphabet.length);
  } while (n > 0);
  return out;
}

/** Milliseconds of an RFC 3339 timestamp, or undefined. */
export function timeMs(t: string | undefined): number | undefined {
  if (!t) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Scales an int-or-percent against `total` (client-go `GetScaledValueFromIntOrPercent`). */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number.parseInt(v, 10) || 0;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}
