import type { ObjectMeta, OwnerReference } from 'kubernetes-types/meta/v1';

export type { ObjectMeta, OwnerReference, LabelSelector, LabelSelectorRequirement, ListMeta, Condition, Time, MicroTime } from 'kubernetes-types/meta/v1';

/**
 * Any API object: apiVersion, kind and metadata, plus whatever the kind defines.
 * Typed kinds (Pod, Deployment, …) are assignable to it.
 */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/** An object as the server returns it: apiVersion, kind and metadata are always set. */
export type Stored<T extends KubeObject = KubeObject> = T & { apiVersion: string; kind: string; metadata: ObjectMeta & { name: string; uid: string; resourceVersion: string } };

/** apiVersion + kind. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** Splits an apiVersion: `apps/v1` → { group: 'apps', version: 'v1' }, `v1` → { group: '', version: 'v1' }. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** Joins group and version into an apiVersion (`''` + `v1` → `v1`). */
export function formatApiVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** Identifies one object: enough to get, update or delete it. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
}

/** The reference to an object (namespace omitted for cluster-scoped objects). */
export function refOf(obj: KubeObject): ObjectRef {
  const m = obj.metadata ?? {};
  const ref: ObjectRef = { apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '', name: m.name ?? '' };
  if (m.namespace) ref.namespace = m.namespace;
  if (m.uid) ref.uid = m.uid;
  return ref;
}

/** `namespace/name`, or `name` for cluster-scoped objects: the key work queues and caches use. */
export function keyOf(obj: { metadata?: ObjectMeta }): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name ?? ''}` : (m.name ?? '');
}

/** The owner reference that marks `owner` as the managing controller of another object. */
export function controllerRef(owner: KubeObject, opts: { blockOwnerDeletion?: boolean } = {}): OwnerReference {
  const m = owner.metadata ?? {};
  return { apiVersion: owner.apiVersion ?? '', kind: owner.kind ?? '', name: m.name ?? '', uid: m.uid ?? '', controller: true, blockOwnerDeletion: opts.blockOwnerDeletion ?? true };
}

/** The owner reference with `controller: true`, if any. */
export function getControllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** A deep copy through JSON, the same copy the store makes; drops undefined fields. */
export function deepCopy<T>(obj: T): T {
  return obj === undefined ? obj : (JSON.parse(JSON.stringify(obj)) as T);
}
