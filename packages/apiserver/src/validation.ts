import { ApiError, FieldPath, nameValidationFor, validateFieldSelector, validateObjectMeta, validateObjectMetaUpdate, type FieldCause, type KindInfo, type KubeObject } from '@bosun/api';
import { structureCauses } from './structure';

const META = FieldPath.root('metadata');
const nameRules = new WeakMap<KindInfo, ReturnType<typeof nameValidationFor>>();

/** The generic name rule of a kind (`path` for HPAs, DNS subdomain otherwise, custom kinds included). */
function nameRule(info: KindInfo) {
  if (!nameRules.has(info)) nameRules.set(info, nameValidationFor(info.apiVersion, info.kind) ?? 'subdomain');
  return nameRules.get(info);
}

/** Generic ObjectMeta validation plus the kind's own (as registered in the scheme, so custom kinds work alike). */
export function validateCreate(info: KindInfo, obj: KubeObject): FieldCause[] {
  const causes = validateObjectMeta(obj.metadata ?? {}, { namespaced: info.namespaced, nameValidator: nameRule(info) }, META);
  const own = info.validate?.(obj);
  if (own?.length) causes.push(...own);
  return causes;
}

/** Like {@link validateCreate}, plus ObjectMeta update rules and the kind's immutability checks against `old`. */
export function validateUpdate(info: KindInfo, obj: KubeObject, old: KubeObject): FieldCause[] {
  const causes = validateObjectMeta(obj.metadata ?? {}, { namespaced: info.namespaced, nameValidator: nameRule(info) }, META);
  causes.push(...validateObjectMetaUpdate(obj.metadata ?? {}, old.metadata ?? {}, META));
  const own = info.validate?.(obj, old);
  if (own?.length) causes.push(...own);
  return causes;
}

/** 400 `field label not supported: x` for a field the kind cannot be selected by; 400 for a malformed selector. */
export function checkFieldSelector(info: KindInfo, selector: string): void {
  validateFieldSelector(info.kind, selector);
}

/**
 * Refuses values of the wrong JSON type (`replicas: "3"`, a mapping where a list goes),
 * which Kubernetes refuses while decoding a request, before defaulting and validation
 * ever see them. A request body gets 400 BadRequest; a patch whose result is
 * ill-typed gets 422 Invalid, as upstream answers.
 */
export function checkTypes(info: KindInfo, obj: KubeObject, as: 'body' | 'patch'): void {
  const causes = structureCauses(obj);
  if (!causes.length) return;
  if (as === 'patch') throw ApiError.invalid(info.kind, obj.metadata?.name ?? '', causes, info.group);
  const first = causes[0];
  throw ApiError.badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: ${first.field ? `${first.field}: ` : ''}${first.message}`, causes);
}
