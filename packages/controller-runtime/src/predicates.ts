import type { ApiObject } from '@bosun/apiserver';

/**
 * Decides which watch events reach a controller's queue (controller-runtime's
 * `predicate.Predicate`). Each method answers for one event type; a method left out
 * lets every event of its type through. Predicates see frozen cache objects and must be
 * pure and quick.
 *
 * The built-in ones ({@link generationChanged}, {@link labelsChanged}, …) filter only
 * updates: creates and deletes pass, as in controller-runtime.
 */
export interface Predicate<T extends ApiObject = ApiObject> {
  /** An object appeared (including every object of the initial list). */
  create?(obj: T): boolean;
  /** An object changed; `oldObj === newObj` for an informer resync. */
  update?(oldObj: T, newObj: T): boolean;
  /** An object went away; `obj` is its last known state. */
  delete?(obj: T): boolean;
}

/** One watch event, as {@link evaluatePredicate} takes it. */
export type PredicateEvent<T extends ApiObject = ApiObject> = { type: 'create'; obj: T } | { type: 'update'; oldObj: T; newObj: T } | { type: 'delete'; obj: T };

/** Runs a predicate on one event; a missing method means "let it through". */
export function evaluatePredicate<T extends ApiObject>(p: Predicate<T>, event: PredicateEvent<T>): boolean {
  switch (event.type) {
    case 'create':
      return p.create ? p.create(event.obj) : true;
    case 'update':
      return p.update ? p.update(event.oldObj, event.newObj) : true;
    case 'delete':
      return p.delete ? p.delete(event.obj) : true;
  }
}

/** A predicate from functions; the ones left out let their events through. */
export function predicate<T extends ApiObject = ApiObject>(funcs: Predicate<T>): Predicate<T> {
  return { ...funcs };
}

/** A predicate that filters updates only, with `update(old, new)`. */
function onUpdate<T extends ApiObject>(update: (oldObj: T, newObj: T) => boolean): Predicate<T> {
  return { update };
}

function sameRecord(a: Record<string, string> = {}, b: Record<string, string> = {}): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/**
 * Updates pass only when `metadata.generation` changed, i.e. the spec changed (status
 * and metadata-only writes are dropped). Kinds without a generation (ConfigMap, Secret)
 * never pass an update through this predicate, as in controller-runtime.
 */
export function generationChanged<T extends ApiObject = ApiObject>(): Predicate<T> {
  return onUpdate((o, n) => o.metadata?.generation !== n.metadata?.generation);
}

/** Updates pass only when `metadata.labels` changed. */
export function labelsChanged<T extends ApiObject = ApiObject>(): Predicate<T> {
  return onUpdate((o, n) => !sameRecord(o.metadata?.labels, n.metadata?.labels));
}

/** Updates pass only when `metadata.annotations` changed. */
export function annotationsChanged<T extends ApiObject = ApiObject>(): Predicate<T> {
  return onUpdate((o, n) => !sameRecord(o.metadata?.annotations, n.metadata?.annotations));
}

/**
 * Updates pass only when `metadata.resourceVersion` changed: drops the informer's
 * periodic resyncs (which repeat the same object) and nothing else.
 */
export function resourceVersionChanged<T extends ApiObject = ApiObject>(): Predicate<T> {
  return onUpdate((o, n) => o.metadata?.resourceVersion !== n.metadata?.resourceVersion);
}

/** Events pass when every predicate lets them through (an empty list lets everything through). */
export function and<T extends ApiObject = ApiObject>(...ps: Predicate<T>[]): Predicate<T> {
  return {
    create: (obj) => ps.every((p) => evaluatePredicate(p, { type: 'create', obj })),
    update: (oldObj, newObj) => ps.every((p) => evaluatePredicate(p, { type: 'update', oldObj, newObj })),
    delete: (obj) => ps.every((p) => evaluatePredicate(p, { type: 'delete', obj })),
  };
}

/** Events pass when at least one predicate lets them through (an empty list lets nothing through). */
export function or<T extends ApiObject = ApiObject>(...ps: Predicate<T>[]): Predicate<T> {
  return {
    create: (obj) => ps.some((p) => evaluatePredicate(p, { type: 'create', obj })),
    update: (oldObj, newObj) => ps.some((p) => evaluatePredicate(p, { type: 'update', oldObj, newObj })),
    delete: (obj) => ps.some((p) => evaluatePredicate(p, { type: 'delete', obj })),
  };
}

/**
 * Inverts every event type, as controller-runtime's `Not` does: `not(labelsChanged())`
 * lets through updates that keep the labels, and drops every create and delete.
 */
export function not<T extends ApiObject = ApiObject>(p: Predicate<T>): Predicate<T> {
  return {
    create: (obj) => !evaluatePredicate(p, { type: 'create', obj }),
    update: (oldObj, newObj) => !evaluatePredicate(p, { type: 'update', oldObj, newObj }),
    delete: (obj) => !evaluatePredicate(p, { type: 'delete', obj }),
  };
}
