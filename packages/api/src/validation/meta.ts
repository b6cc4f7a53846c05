import type { FieldCause } from '../errors';
import { FieldPath, fieldError } from '../field';
import { validateDns1123Label, validateDns1123Subdomain, validateQualifiedName } from '../selectors/index';
import { arr, invalidEach, isObj, nonNegative, obj, semanticEqual, validateDns1035Label, validateLabels, validatePathSegmentName, type Causes } from './util';

/**
 * How an object's name is checked: `subdomain` (DNS-1123 subdomain, most kinds),
 * `label` (DNS-1123 label: Namespace), `dns1035` (DNS-1035 label: Service), `path`
 * (only usable as a URL path segment: HorizontalPodAutoscaler), `none`.
 */
export type NameValidation = 'subdomain' | 'label' | 'dns1035' | 'path' | 'none';

/** Options of {@link validateObjectMeta}. */
export interface ObjectMetaValidationOptions {
  /** Whether the kind is namespaced: then metadata.namespace is required, else forbidden. */
  namespaced: boolean;
  /** How the name is checked; `subdomain` when absent. */
  nameValidator?: NameValidation;
}

/** Largest total size of an object's annotations (keys plus values): 256 KiB. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/**
 * The problems with `name` under a {@link NameValidation}, in Kubernetes' words. With
 * `prefix` (a generateName) a trailing '-' is allowed, as a random suffix follows it.
 */
export function validateName(name: string, how: NameValidation = 'subdomain', prefix = false): string[] {
  const n = prefix && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;
  switch (how) {
    case 'subdomain':
      return validateDns1123Subdomain(n);
    case 'label':
      return validateDns1123Label(n);
    case 'dns1035':
      return validateDns1035Label(n);
    case 'path':
      return validatePathSegmentName(name);
    default:
      return [];
  }
}

function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

/**
 * Validates the ObjectMeta every object carries, as the API server does for all kinds
 * (apimachinery ValidateObjectMetaAccessor): name required unless generateName is set
 * (`name or generateName is required`) and valid under `nameValidator`; generateName
 * valid as a prefix; namespace required (and a DNS label) for namespaced kinds, forbidden
 * otherwise; generation non-negative; label keys and values valid (causes on
 * `metadata.labels`); annotation keys qualified names and at most 256 KiB in total;
 * owner references complete with at most one controller; finalizers qualified names.
 */
export function validateObjectMeta(meta: unknown, opts: ObjectMetaValidationOptions, path: FieldPath = FieldPath.root('metadata')): FieldCause[] {
  const m = obj(meta);
  const causes: Causes = [];
  const how = opts.nameValidator ?? 'subdomain';
  if (typeof m.generateName === 'string' && m.generateName !== '') {
    causes.push(...invalidEach(path.child('generateName'), m.generateName, validateName(m.generateName, how, true)));
  }
  if (typeof m.name !== 'string' || m.name === '') {
    if (m.name !== undefined && m.name !== null && m.name !== '') causes.push(fieldError.typeInvalid(path.child('name'), m.name, 'must be a string'));
    else if (!m.generateName) causes.push(fieldError.required(path.child('name'), 'name or generateName is required'));
  } else {
    causes.push(...invalidEach(path.child('name'), m.name, validateName(m.name, how)));
  }
  if (opts.namespaced) {
    if (typeof m.namespace !== 'string' || m.namespace === '') causes.push(fieldError.required(path.child('namespace')));
    else causes.push(...invalidEach(path.child('namespace'), m.namespace, validateDns1123Label(m.namespace)));
  } else if (m.namespace !== undefined && m.namespace !== null && m.namespace !== '') {
    causes.push(fieldError.forbidden(path.child('namespace'), 'not allowed on this type'));
  }
  nonNegative(m.generation, path.child('generation'), causes);
  causes.push(...validateLabels(m.labels, path.child('labels')));
  causes.push(...validateAnnotations(m.annotations, path.child('annotations')));
  causes.push(...validateOwnerReferences(m.ownerReferences, path.child('ownerReferences')));
  causes.push(...validateFinalizers(m.finalizers, path.child('finalizers')));
  return causes;
}

/** Kubernetes' ValidateAnnotations: keys are qualified names (case-insensitively) and the total size is at most 256 KiB. */
export function validateAnnotations(annotations: unknown, path: FieldPath): FieldCause[] {
  if (annotations === undefined || annotations === null) return [];
  if (!isObj(annotations)) return [fieldError.typeInvalid(path, annotations, 'must be a map of string keys to string values')];
  const causes: Causes = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    causes.push(...invalidEach(path, k, validateQualifiedName(k.toLowerCase())));
    if (typeof v !== 'string') causes.push(fieldError.typeInvalid(path.key(k), v, 'must be a string'));
    size += byteLength(k) + (typeof v === 'string' ? byteLength(v) : 0);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) causes.push(fieldError.tooLong(path, '', TOTAL_ANNOTATION_SIZE_LIMIT));
  return causes;
}

function validateOwnerReferences(refs: unknown, path: FieldPath): Causes {
  const causes: Causes = [];
  let firstController = '';
  arr(refs).forEach((r, i) => {
    const p = path.index(i);
    const ref = obj(r);
    const apiVersion = typeof ref.apiVersion === 'string' ? ref.apiVersion : '';
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
    if (!version) causes.push(fieldError.invalid(p.child('apiVersion'), ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) causes.push(fieldError.invalid(p.child('kind'), ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) causes.push(fieldError.invalid(p.child('name'), ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) causes.push(fieldError.invalid(p.child('uid'), ref.uid ?? '', 'uid must not be empty'));
    if (ref.controller === true) {
      const current = `${ref.kind}/${ref.name}`;
      if (firstController) {
        causes.push(fieldError.invalid(path, refs, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`));
      } else firstController = current;
    }
  });
  return causes;
}

function validateFinalizers(finalizers: unknown, path: FieldPath): Causes {
  const causes: Causes = [];
  const list = arr(finalizers);
  for (const f of list) {
    if (typeof f !== 'string') causes.push(fieldError.typeInvalid(path, f, 'must be a string'));
    else causes.push(...invalidEach(path, f, validateQualifiedName(f)));
  }
  if (list.includes('orphan') && list.includes('foregroundDeletion')) {
    causes.push(fieldError.invalid(path, list, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return causes;
}

/**
 * Validates an update's ObjectMeta against the stored one (apimachinery
 * ValidateObjectMetaAccessorUpdate): name, namespace, uid, creationTimestamp,
 * deletionTimestamp and deletionGracePeriodSeconds are immutable (`field is immutable`;
 * the server-owned ones only when the update carries a value, since the server fills
 * them from the stored object); generation may not decrease; no finalizer may be added
 * once deletion started. Call {@link validateObjectMeta} for the rest.
 */
export function validateObjectMetaUpdate(meta: unknown, old: unknown, path: FieldPath = FieldPath.root('metadata')): FieldCause[] {
  const m = obj(meta);
  const o = obj(old);
  const causes: Causes = [];
  for (const k of ['name', 'namespace']) {
    if ((m[k] ?? '') !== (o[k] ?? '')) causes.push(fieldError.immutable(path.child(k), m[k] ?? ''));
  }
  for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds']) {
    if (m[k] !== undefined && m[k] !== null && !semanticEqual(m[k], o[k])) causes.push(fieldError.immutable(path.child(k), m[k]));
  }
  if (typeof m.generation === 'number' && typeof o.generation === 'number' && m.generation < o.generation) {
    causes.push(fieldError.invalid(path.child('generation'), m.generation, 'must not be decremented'));
  }
  if (o.deletionTimestamp) {
    const before = new Set(arr(o.finalizers));
    const added = arr(m.finalizers).filter((f) => !before.has(f));
    if (added.length) causes.push(fieldError.forbidden(path.child('finalizers'), `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`));
  }
  return causes;
}
