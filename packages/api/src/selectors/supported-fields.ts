import { ApiError } from '../errors';
import { parseFieldSelector, type FieldSelector } from './field-selector';

/** The fields every namespaced kind can be selected by, custom kinds included. */
export const defaultFieldSelectors: readonly string[] = Object.freeze(['metadata.name', 'metadata.namespace']);

const withDefaults = (...fields: string[]): readonly string[] => Object.freeze([...defaultFieldSelectors, ...fields]);

/**
 * The complete set of selectable fields of each built-in kind that has more (or fewer)
 * than {@link defaultFieldSelectors}, as the Kubernetes API server accepts them. Kinds
 * not listed accept the defaults. Cluster-scoped Node and Namespace have no
 * `metadata.namespace`, as upstream.
 */
export const supportedFieldSelectors: Readonly<Record<string, readonly string[]>> = Object.freeze({
  Pod: withDefaults(
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ),
  Event: withDefaults(
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ),
  Secret: withDefaults('type'),
  Namespace: Object.freeze(['metadata.name', 'status.phase']),
  Node: Object.freeze(['metadata.name', 'spec.unschedulable']),
  Job: withDefaults('status.successful'),
  ReplicaSet: withDefaults('status.replicas'),
  ReplicationController: withDefaults('status.replicas'),
});

/** The fields objects of `kind` can be selected by. */
export function fieldsSupportedBy(kind: string): readonly string[] {
  return Object.hasOwn(supportedFieldSelectors, kind) ? supportedFieldSelectors[kind] : defaultFieldSelectors;
}

/**
 * Checks that every field a selector (compiled, or a string to parse) uses is selectable
 * for `kind` (see {@link supportedFieldSelectors}); the API server calls it before a
 * list or watch.
 * Throws an ApiError BadRequest `field label not supported: <field>` for the first one
 * that is not, as Kubernetes does; returns nothing otherwise.
 */
export function validateFieldSelector(kind: string, selector: FieldSelector | string): void {
  const supported = fieldsSupportedBy(kind);
  const sel = typeof selector === 'string' ? parseFieldSelector(selector) : selector;
  for (const r of sel.requirements) {
    if (!supported.includes(r.field)) throw new ApiError('BadRequest', `field label not supported: ${r.field}`);
  }
}
