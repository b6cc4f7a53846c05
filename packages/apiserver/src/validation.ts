import * as api from '@bosun/api';
import { FieldPath, validateFieldSelector, type FieldCause, type KindInfo, type KubeObject } from '@bosun/api';
// TEMP until @bosun/api validation lands
const validateObjectMeta: (m: unknown, o: { namespaced: boolean }, p: FieldPath) => FieldCause[] = (api as any).validateObjectMeta ?? (() => []);
const validateObjectMetaUpdate: (a: unknown, b: unknown) => FieldCause[] = (api as any).validateObjectMetaUpdate ?? (() => []);

const META = FieldPath.root('metadata');

/** Generic ObjectMeta validation plus the kind's own (as registered in the scheme, so custom kinds work alike). */
export function validateCreate(info: KindInfo, obj: KubeObject): FieldCause[] {
  const causes = validateObjectMeta(obj.metadata ?? {}, { namespaced: info.namespaced }, META);
  const own = info.validate?.(obj);
  return own?.length ? [...causes, ...own] : causes;
}

/** Like {@link validateCreate}, plus ObjectMeta update rules and the kind's immutability checks against `old`. */
export function validateUpdate(info: KindInfo, obj: KubeObject, old: KubeObject): FieldCause[] {
  const causes = [...validateObjectMeta(obj.metadata ?? {}, { namespaced: info.namespaced }, META), ...validateObjectMetaUpdate(obj.metadata ?? {}, old.metadata ?? {})];
  const own = info.validate?.(obj, old);
  return own?.length ? [...causes, ...own] : causes;
}

/** 400 `field label not supported: x` for a field the kind cannot be selected by; 400 for a malformed selector. */
export function checkFieldSelector(info: KindInfo, selector: string): void {
  validateFieldSelector(info.kind, selector);
}
