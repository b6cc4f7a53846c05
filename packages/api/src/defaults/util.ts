// Small helpers shared by the defaulters. Defaulters receive objects straight from
// users, so every accessor tolerates the wrong shape: a field that is not an object or
// an array is left alone, never crashes a defaulter.

/** A plain object (not null, not an array). */
export function isObj(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `v` when it is an array, else an empty array (not attached to anything). */
export function arr(v: unknown): any[] {
  return Array.isArray(v) ? v : [];
}

/** The object at `parent[key]`, created as `{}` when absent; undefined when something else is there. */
export function child(parent: Record<string, any>, key: string): Record<string, any> | undefined {
  if (parent[key] === undefined || parent[key] === null) parent[key] = {};
  return isObj(parent[key]) ? parent[key] : undefined;
}

/** Sets `obj[key] = value` when the field is absent (undefined or null), as Go's nil checks do. */
export function setDefault(obj: Record<string, any>, key: string, value: unknown): void {
  const v = obj[key];
  if (v === undefined || v === null) obj[key] = value;
}

/** Sets `obj[key] = value` when the field is absent or the empty string (Go's `== ""` checks on string enums). */
export function setDefaultString(obj: Record<string, any>, key: string, value: string): void {
  const v = obj[key];
  if (v === undefined || v === null || v === '') obj[key] = value;
}

/** Whether a field is absent (undefined or null): what {@link setDefault} fills, for defaulters that read the field by name. */
export function unset(v: unknown): boolean {
  return v === undefined || v === null;
}

/** Whether a field is absent or the empty string: what {@link setDefaultString} fills. */
export function unsetString(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

/** Whether a Go-style int field is unset or zero (the SetDefaults_Probe checks). */
export function isZero(v: unknown): boolean {
  return v === undefined || v === null || v === 0;
}
