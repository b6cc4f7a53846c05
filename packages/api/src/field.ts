import type { FieldCause } from './errors';

/**
 * A path to a field, built the way Kubernetes' field.Path is:
 * `root('spec').child('containers').index(0).child('name')` → `spec.containers[0].name`.
 */
export class FieldPath {
  private constructor(private readonly text: string) {}

  static root(name = ''): FieldPath {
    return new FieldPath(name);
  }
  child(...names: string[]): FieldPath {
    let t = this.text;
    for (const n of names) t = t ? `${t}.${n}` : n;
    return new FieldPath(t);
  }
  index(i: number): FieldPath {
    return new FieldPath(`${this.text}[${i}]`);
  }
  key(k: string): FieldPath {
    return new FieldPath(`${this.text}[${k}]`);
  }
  toString(): string {
    return this.text;
  }
}

type P = FieldPath | string;
const s = (p: P) => String(p);

/** Renders a value the way Kubernetes prints it in messages (`"abc"`, `5`, `null`). */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v);
}

/** Constructors for field causes with Kubernetes' reasons and message shapes. */
export const fieldError = {
  required: (path: P, detail = ''): FieldCause => ({ reason: 'FieldValueRequired', field: s(path), message: detail ? `Required value: ${detail}` : 'Required value' }),
  invalid: (path: P, value: unknown, detail: string): FieldCause => ({ reason: 'FieldValueInvalid', field: s(path), message: `Invalid value: ${showValue(value)}${detail ? `: ${detail}` : ''}` }),
  notSupported: (path: P, value: unknown, valid: readonly string[]): FieldCause => ({
    reason: 'FieldValueNotSupported',
    field: s(path),
    message: `Unsupported value: ${showValue(value)}${valid.length ? `: supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}` : ''}`,
  }),
  duplicate: (path: P, value: unknown): FieldCause => ({ reason: 'FieldValueDuplicate', field: s(path), message: `Duplicate value: ${showValue(value)}` }),
  forbidden: (path: P, detail: string): FieldCause => ({ reason: 'FieldValueForbidden', field: s(path), message: `Forbidden: ${detail}` }),
  tooLong: (path: P, value: unknown, max: number): FieldCause => ({ reason: 'FieldValueTooLong', field: s(path), message: `Too long: may not be more than ${max} bytes` }),
  tooMany: (path: P, actual: number, max: number): FieldCause => ({ reason: 'FieldValueTooMany', field: s(path), message: `Too many: ${actual}: must have at most ${max} items` }),
  typeInvalid: (path: P, value: unknown, detail: string): FieldCause => ({ reason: 'FieldValueTypeInvalid', field: s(path), message: `Invalid value: ${showValue(value)}: ${detail}` }),
  /** `field is immutable`, as Kubernetes words it for immutable fields on update. */
  immutable: (path: P, value: unknown): FieldCause => ({ reason: 'FieldValueInvalid', field: s(path), message: `Invalid value: ${showValue(value)}: field is immutable` }),
};
