import { parseApiVersion, type ObjectMeta, type OwnerReference } from '@bosun/api';
import type { ApiObject, Client, WriteOptions } from '@bosun/apiserver';
import { ControllerRuntimeError } from './errors';
import { updateWithRetry } from './reconcile';

/**
 * Thrown when an object is already controlled by another owner (a different group,
 * kind or name in its `controller: true` owner reference), controller-runtime's
 * `AlreadyOwnedError`. A controller that meets it should leave the object alone.
 */
export class AlreadyOwnedError extends Error {
  override readonly name = 'AlreadyOwnedError';
  /** Always `'AlreadyOwned'`. */
  readonly code = 'AlreadyOwned' as const;
  /** The controller reference the object already carries. */
  readonly owner: OwnerReference;
  /** `namespace/name` of the object. */
  readonly objectKey: string;

  constructor(objectKey: string, owner: OwnerReference, options?: { cause?: unknown }) {
    super(`Object ${objectKey} is already owned by another ${owner.kind} controller ${owner.name}`, options);
    this.owner = owner;
    this.objectKey = objectKey;
  }
}

/** True for an {@link AlreadyOwnedError}, even one from another copy of this package. */
export function isAlreadyOwnedError(e: unknown): e is AlreadyOwnedError {
  return e instanceof Error && e.name === 'AlreadyOwnedError';
}

/** The owner reference with `controller: true`, if any. */
function controllerOf(obj: ApiObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** Same group, kind and name: the same owner (versions and uids aside, as upstream compares). */
function sameOwner(a: OwnerReference, b: OwnerReference): boolean {
  return a.kind === b.kind && a.name === b.name && parseApiVersion(a.apiVersion).group === parseApiVersion(b.apiVersion).group;
}

function keyString(obj: ApiObject): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name ?? ''}` : (m.name ?? '');
}

/** The reference to `owner`, checking that `obj` may carry it (controller-runtime's `validateOwner`). */
function ownerRef(owner: ApiObject, obj: ApiObject, controller: boolean, blockOwnerDeletion: boolean | undefined): OwnerReference {
  const om = owner.metadata ?? {};
  if (!owner.apiVersion || !owner.kind || !om.name || !om.uid) {
    throw new ControllerRuntimeError('InvalidArgument', `owner reference: the owner needs apiVersion, kind, metadata.name and metadata.uid (is it a stored object?)`);
  }
  const ownerNs = om.namespace ?? '';
  const objNs = obj.metadata?.namespace ?? '';
  if (ownerNs) {
    if (!objNs) throw new ControllerRuntimeError('InvalidArgument', `cluster-scoped resource must not have a namespace-scoped owner, owner's namespace ${ownerNs}`);
    if (ownerNs !== objNs) throw new ControllerRuntimeError('InvalidArgument', `cross-namespace owner references are disallowed, owner's namespace ${ownerNs}, obj's namespace ${objNs}`);
  }
  const ref: OwnerReference = { apiVersion: owner.apiVersion, kind: owner.kind, name: om.name, uid: om.uid };
  if (controller) {
    ref.controller = true;
    ref.blockOwnerDeletion = blockOwnerDeletion ?? true;
  } else if (blockOwnerDeletion !== undefined) ref.blockOwnerDeletion = blockOwnerDeletion;
  return ref;
}

function withRef<T extends ApiObject>(obj: T, ref: OwnerReference): T {
  const refs = [...(obj.metadata?.ownerReferences ?? [])];
  const i = refs.findIndex((r) => sameOwner(r, ref));
  if (i >= 0) refs[i] = ref;
  else refs.push(ref);
  return { ...obj, metadata: { ...obj.metadata, ownerReferences: refs } };
}

/**
 * A copy of `obj` whose controller reference (`controller: true`,
 * `blockOwnerDeletion: true` unless told otherwise) points to `owner`, replacing any
 * reference to the same owner. Throws {@link AlreadyOwnedError} when another owner
 * already controls `obj`, and an `InvalidArgument` error for an owner without a uid, in
 * another namespace, or namespaced above a cluster-scoped object. Never mutates `obj`
 * (it may be a frozen cache object).
 */
export function setControllerReference<T extends ApiObject>(owner: ApiObject, obj: T, opts: { blockOwnerDeletion?: boolean } = {}): T {
  const ref = ownerRef(owner, obj, true, opts.blockOwnerDeletion);
  const existing = controllerOf(obj);
  if (existing && !sameOwner(existing, ref)) throw new AlreadyOwnedError(keyString(obj), existing);
  return withRef(obj, ref);
}

/**
 * A copy of `obj` with a plain (non-controller) owner reference to `owner`, replacing
 * any reference to the same owner. Same owner checks as {@link setControllerReference}.
 */
export function setOwnerReference<T extends ApiObject>(owner: ApiObject, obj: T, opts: { blockOwnerDeletion?: boolean } = {}): T {
  return withRef(obj, ownerRef(owner, obj, false, opts.blockOwnerDeletion));
}

/** A copy of `obj` without any owner reference to `owner` (matched by uid). */
export function removeOwnerReference<T extends ApiObject>(owner: ApiObject, obj: T): T {
  const uid = owner.metadata?.uid;
  const refs = (obj.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid);
  const metadata: ObjectMeta = { ...obj.metadata, ownerReferences: refs };
  if (!refs.length) delete metadata.ownerReferences;
  return { ...obj, metadata };
}

/** True when `obj`'s controller reference points to `owner` (by uid). */
export function isControlledBy(obj: ApiObject, owner: ApiObject): boolean {
  const uid = owner.metadata?.uid;
  return !!uid && controllerOf(obj)?.uid === uid;
}

/**
 * Makes `owner` the controller of the orphan `obj` and writes it (the ReplicaSet
 * controller's adoption of matching pods), retrying on conflict against the latest
 * version. Resolves to the stored object; `obj` unchanged when `owner` already controls
 * it; undefined when nothing was adopted because `obj` is gone or being deleted, or
 * `owner` is being deleted. Throws {@link AlreadyOwnedError} when another controller
 * owns it.
 */
export async function adopt<T extends ApiObject>(client: Client, owner: ApiObject, obj: T, opts: WriteOptions = {}): Promise<T | undefined> {
  if (owner.metadata?.deletionTimestamp) return undefined;
  let adopted = true;
  const stored = await updateWithRetry(
    client,
    obj,
    (latest) => {
      if (latest.metadata?.deletionTimestamp) {
        adopted = false;
        return undefined;
      }
      if (isControlledBy(latest, owner)) return undefined;
      return setControllerReference(owner, latest);
    },
    opts,
  );
  return adopted ? stored : undefined;
}

/**
 * Removes `owner`'s references from `obj` and writes it (the ReplicaSet controller's
 * release of pods that no longer match), retrying on conflict. Resolves to the stored
 * object (`obj` unchanged when `owner` did not own it), or undefined when it is gone.
 */
export function release<T extends ApiObject>(client: Client, owner: ApiObject, obj: T, opts: WriteOptions = {}): Promise<T | undefined> {
  const uid = owner.metadata?.uid;
  return updateWithRetry(client, obj, (latest) => ((latest.metadata?.ownerReferences ?? []).some((r) => r.uid === uid) ? removeOwnerReference(owner, latest) : undefined), opts);
}
