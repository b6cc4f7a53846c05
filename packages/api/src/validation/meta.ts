import type { FieldCause } from '../errors';
import { FieldPath, fieldError } from '../field';
import { isDns1123Label, isDns1123Subdomain, validateDns1123Label, validateDns1123Subdomain, validateQualifiedName } from '../selectors/index';
import {
  arr,
  invalidEach,
  isDns1035Label,
  isDns1123LabelMemo,
  isObj,
  isQualifiedNameMemo,
  labelsValid,
  nonNegativeField,
  obj,
  semanticEqual,
  utf8ByteLength,
  validateDns1035Label,
  validateLabels,
  validatePathSegmentName,
  type Causes,
} from './util';

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

/** True exactly when {@link validateName} finds nothing; allocates only for a generateName ending in '-'. */
function isValidName(name: string, how: NameValidation, prefix: boolean): boolean {
  const n = prefix && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;
  switch (how) {
    case 'subdomain':
      return isDns1123Subdomain(n);
    case 'label':
      return isDns1123Label(n);
    case 'dns1035':
      return isDns1035Label(n);
    case 'path':
      return name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');
    default:
      return true;
  }
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
  // Paths and messages are built only for values that fail (this runs on every write).
  if (typeof m.generateName === 'string' && m.generateName !== '' && !isValidName(m.generateName, how, true)) {
    causes.push(...invalidEach(path.child('generateName'), m.generateName, validateName(m.generateName, how, true)));
  }
  if (typeof m.name !== 'string' || m.name === '') {
    if (m.name !== undefined && m.name !== null && m.name !== '') causes.push(fieldError.typeInvalid(path.child('name'), m.name, 'must be a string'));
    else if (!m.generateName) causes.push(fieldError.required(path.child('name'), 'name or generateName is required'));
  } else if (!isValidName(m.name, how, false)) {
    causes.push(...invalidEach(path.child('name'), m.name, validateName(m.name, how)));
  }
  if (opts.namespaced) {
    if (typeof m.namespace !== 'string' || m.namespace === '') causes.push(fieldError.required(path.child('namespace')));
    else if (!isDns1123LabelMemo(m.namespace)) causes.push(...invalidEach(path.child('namespace'), m.namespace, validateDns1123Label(m.namespace)));
  } else if (m.namespace !== undefined && m.namespace !== null && m.namespace !== '') {
    causes.push(fieldError.forbidden(path.child('namespace'), 'not allowed on this type'));
  }
  nonNegativeField(m.generation, path, 'generation', causes);
  if (!labelsValid(m.labels)) causes.push(...validateLabels(m.labels, path.child('labels')));
  if (!annotationsValid(m.annotations)) causes.push(...validateAnnotations(m.annotations, path.child('annotations')));
  if (Array.isArray(m.ownerReferences)) validateOwnerReferences(m.ownerReferences, path, causes);
  if (Array.isArray(m.finalizers) && m.finalizers.length > 0) causes.push(...validateFinalizers(m.finalizers, path.child('finalizers')));
  return causes;
}

/**
 * True exactly when {@link validateAnnotations} finds nothing. The size is bounded
 * first by 3 bytes per UTF-16 code unit, so only annotations near the limit are measured.
 */
function annotationsValid(annotations: unknown): boolean {
  if (annotations === undefined || annotations === null) return true;
  if (!isObj(annotations)) return false;
  let bound = 0;
  for (const k in annotations) {
    const v = annotations[k];
    if (typeof v !== 'string' || !isQualifiedNameMemo(k.toLowerCase())) return false;
    bound += 3 * (k.length + v.length);
  }
  return bound <= TOTAL_ANNOTATION_SIZE_LIMIT || annotationsSize(annotations) <= TOTAL_ANNOTATION_SIZE_LIMIT;
}

/** Total UTF-8 size of the keys and string values of `annotations`, as Kubernetes counts it. */
function annotationsSize(annotations: Record<string, unknown>): number {
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) size += utf8ByteLength(k) + (typeof v === 'string' ? utf8ByteLength(v) : 0);
  return size;
}

/** Kubernetes' ValidateAnnotations: keys are qualified names (case-insensitively) and the total size is at most 256 KiB. */
export function validateAnnotations(annotations: unknown, path: FieldPath): FieldCause[] {
  if (annotationsValid(annotations)) return [];
  if (!isObj(annotations)) return [fieldError.typeInvalid(path, annotations, 'must be a map of string keys to string values')];
  const causes: Causes = [];
  for (const [k, v] of Object.entries(annotations)) {
    causes.push(...invalidEach(path, k, validateQualifiedName(k.toLowerCase())));
    if (typeof v !== 'string') causes.push(fieldError.typeInvalid(path.key(k), v, 'must be a string'));
  }
  if (annotationsSize(annotations) > TOTAL_ANNOTATION_SIZE_LIMIT) causes.push(fieldError.tooLong(path, '', TOTAL_ANNOTATION_SIZE_LIMIT));
  return causes;
}

/** Owner references at `parent.ownerReferences`; paths are built only for causes. */
function validateOwnerReferences(refs: unknown[], parent: FieldPath, causes: Causes): void {
  let firstController: Record<string, any> | undefined;
  for (let i = 0; i < refs.length; i++) {
    const ref = obj(refs[i]);
    const apiVersion = typeof ref.apiVersion === 'string' ? ref.apiVersion : '';
    const slash = apiVersion.indexOf('/');
    const hasVersion = slash < 0 ? apiVersion !== '' : slash + 1 < apiVersion.length;
    if (!hasVersion) causes.push(fieldError.invalid(parent.child('ownerReferences').index(i).child('apiVersion'), ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) causes.push(fieldError.invalid(parent.child('ownerReferences').index(i).child('kind'), ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) causes.push(fieldError.invalid(parent.child('ownerReferences').index(i).child('name'), ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) causes.push(fieldError.invalid(parent.child('ownerReferences').index(i).child('uid'), ref.uid ?? '', 'uid must not be empty'));
    if (ref.controller === true) {
      if (firstController) {
        causes.push(
          fieldError.invalid(
            parent.child('ownerReferences'),
            refs,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController.kind}/${firstController.name} and ${ref.kind}/${ref.name}`,
          ),
        );
      } else firstController = ref;
    }
  }
}

function validateFinalizers(finalizers: unknown, path: FieldPath): Causes {
  const causes: Causes = [];
  const list = arr(finalizers);
  for (const f of list) {
    if (typeof f !== 'string') causes.push(fieldError.typeInvalid(path, f, 'must be a string'));
    else if (!isQualifiedNameMemo(f)) causes.push(...invalidEach(path, f, validateQualifiedName(f)));
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
