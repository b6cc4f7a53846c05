import { ApiError } from '@bosun/api';
import { cloneJson, getOwn, hasKey, isObject, jsonEqual, kindOf, setOwn, show, type JsonObject } from './json-value';
import { formatJsonPointer, parseJsonPointer } from './json-pointer';

/** One RFC 6902 operation. Members other than these are ignored, as the RFC requires. */
export type JsonPatchOperation =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'move'; from: string; path: string }
  | { op: 'copy'; from: string; path: string }
  | { op: 'test'; path: string; value: unknown };

/** The most operations one JSON patch may hold, as in the Kubernetes API server. */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/**
 * Checks and normalizes a JSON patch document: an array of operation objects, each with a
 * known `op`, a valid JSON Pointer `path`, a `from` for move and copy, and a `value`
 * member (which may be `null`) for add, replace and test. Unknown members are dropped.
 * A string is parsed as JSON text first, refusing duplicate member names (RFC 6902 §A.13).
 *
 * @throws ApiError BadRequest for anything malformed (Kubernetes answers 400 when it
 * cannot decode a patch); nothing is applied.
 */
export function parseJsonPatch(input: unknown): JsonPatchOperation[] {
  const doc = typeof input === 'string' ? parseJsonText(input) : input;
  if (!Array.isArray(doc)) throw ApiError.badRequest(`json patch must be an array of operations, got ${kindOf(doc)}`);
  if (doc.length > MAX_JSON_PATCH_OPERATIONS) {
    throw ApiError.badRequest(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${doc.length}`);
  }
  return doc.map((raw, i) => parseOperation(raw, i));
}

function parseOperation(raw: unknown, i: number): JsonPatchOperation {
  const where = `json patch operation ${i}`;
  if (!isObject(raw)) throw ApiError.badRequest(`${where} must be an object, got ${kindOf(raw)}`);
  const op = getOwn(raw, 'op');
  if (typeof op !== 'string') throw ApiError.badRequest(`${where} is missing "op"`);
  if (!OPS.has(op)) throw ApiError.badRequest(`${where} has unknown op ${JSON.stringify(op)}: must be one of add, remove, replace, move, copy, test`);
  const path = pointerMember(raw, 'path', `${where} (${op})`);
  switch (op) {
    case 'remove':
      return { op, path };
    case 'move':
    case 'copy':
      return { op, from: pointerMember(raw, 'from', `${where} (${op})`), path };
    default: {
      if (!Object.hasOwn(raw, 'value') || raw.value === undefined) throw ApiError.badRequest(`${where} (${op} at ${path}) is missing "value"`);
      return { op: op as 'add' | 'replace' | 'test', path, value: cloneJson(raw.value) };
    }
  }
}

function pointerMember(raw: JsonObject, name: 'path' | 'from', where: string): string {
  const v = getOwn(raw, name);
  if (typeof v !== 'string') throw ApiError.badRequest(`${where} is missing "${name}"`);
  parseJsonPointer(v);
  return v;
}

function parseJsonText(text: string): unknown {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw ApiError.badRequest(`json patch is not valid JSON: ${(e as Error).message}`);
  }
  const dup = findDuplicateMember(text);
  if (dup !== undefined) throw ApiError.badRequest(`json patch has a duplicate member ${JSON.stringify(dup)} in one object`);
  return doc;
}

// Scans JSON text already known to be valid; returns the first member name repeated
// within one object. JSON.parse keeps the last duplicate silently, so it cannot tell.
function findDuplicateMember(text: string): string | undefined {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const members = stack[stack.length - 1];
      if (members && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (members.has(key)) return key;
        members.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      stack.push(null);
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
  }
  return undefined;
}

/**
 * Applies a JSON patch (RFC 6902, `application/json-patch+json`) and returns the result.
 * All or nothing: the operations run in order on a private copy, and the first failure
 * throws with nothing applied; `target` and `patch` are never modified.
 *
 * Paths are JSON Pointers (RFC 6901); `-` as the last token of an add appends to an
 * array. As in evanphx/json-patch (which Kubernetes uses), `test` with value `null`
 * passes when the path does not exist, so `{"op":"test","path":"/x","value":null}`
 * asserts absence.
 *
 * @throws ApiError BadRequest for a malformed patch (see {@link parseJsonPatch});
 * ApiError Invalid (422, as Kubernetes answers) when an operation does not apply: a failed
 * test, a missing path or parent, an array index out of bounds. The message names the
 * operation and the path: `json patch test operation failed at /spec/replicas: expected 3, found 2`.
 */
export function applyJsonPatch<T = unknown>(target: unknown, patch: readonly JsonPatchOperation[]): T {
  const ops = parseJsonPatch(patch);
  let doc = cloneJson(target);
  for (const op of ops) doc = applyOperation(doc, op);
  return doc as T;
}

function applyOperation(doc: unknown, op: JsonPatchOperation): unknown {
  const fail = (why: string) => new ApiError('Invalid', `json patch ${op.op} operation failed at ${op.path}: ${why}`);
  const path = parseJsonPointer(op.path);
  switch (op.op) {
    case 'add':
      return add(doc, path, cloneJson(op.value), fail);
    case 'remove':
      if (path.length === 0) throw fail('cannot remove the whole document');
      remove(doc, path, fail);
      return doc;
    case 'replace':
      if (path.length === 0) return cloneJson(op.value);
      remove(doc, path, fail);
      return add(doc, path, cloneJson(op.value), fail);
    case 'move': {
      const from = parseJsonPointer(op.from);
      if (op.from === op.path) {
        if (!lookup(doc, from).found) throw fail(`from location ${op.from} does not exist`);
        return doc;
      }
      if (from.length < path.length && from.every((t, i) => t === path[i])) throw fail(`cannot move ${op.from} into one of its own children`);
      const { found, value } = lookup(doc, from);
      if (!found) throw fail(`from location ${op.from} does not exist`);
      remove(doc, from, fail);
      return add(doc, path, value, fail);
    }
    case 'copy': {
      const { found, value } = lookup(doc, parseJsonPointer(op.from));
      if (!found) throw fail(`from location ${op.from} does not exist`);
      return add(doc, path, cloneJson(value), fail);
    }
    case 'test': {
      const { found, value } = lookup(doc, path);
      if (!found) {
        if (op.value === null) return doc;
        throw fail(`expected ${show(op.value)}, found nothing (the path does not exist)`);
      }
      if (!jsonEqual(value, op.value)) throw fail(`expected ${show(op.value)}, found ${show(value)}`);
      return doc;
    }
  }
}

type Fail = (why: string) => ApiError;

function lookup(doc: unknown, path: readonly string[]): { found: boolean; value: unknown } {
  let cur = doc;
  for (const token of path) {
    if (Array.isArray(cur)) {
      const i = arrayIndex(token);
      if (i === undefined || i >= cur.length) return { found: false, value: undefined };
      cur = cur[i];
    } else if (isObject(cur) && hasKey(cur, token)) {
      cur = cur[token];
    } else {
      return { found: false, value: undefined };
    }
  }
  return { found: true, value: cur };
}

/** The container holding the last token of `path`, or a failure naming what is missing. */
function parentOf(doc: unknown, path: readonly string[], fail: Fail): JsonObject | unknown[] {
  const parentPath = path.slice(0, -1);
  const { found, value } = lookup(doc, parentPath);
  const shown = formatJsonPointer(parentPath) || '(document root)';
  if (!found) throw fail(`missing parent ${shown}`);
  if (!isObject(value) && !Array.isArray(value)) throw fail(`parent ${shown} is a ${kindOf(value)}, not an object or array`);
  return value;
}

function add(doc: unknown, path: readonly string[], value: unknown, fail: Fail): unknown {
  if (path.length === 0) return value;
  const parent = parentOf(doc, path, fail);
  const token = path[path.length - 1];
  if (Array.isArray(parent)) {
    if (token === '-') {
      parent.push(value);
      return doc;
    }
    const i = arrayIndex(token);
    if (i === undefined) throw fail(`${JSON.stringify(token)} is not a valid array index`);
    if (i > parent.length) throw fail(`index ${i} is out of bounds (array length ${parent.length})`);
    parent.splice(i, 0, value);
  } else {
    setOwn(parent, token, value);
  }
  return doc;
}

function remove(doc: unknown, path: readonly string[], fail: Fail): void {
  const parent = parentOf(doc, path, fail);
  const token = path[path.length - 1];
  if (Array.isArray(parent)) {
    const i = arrayIndex(token);
    if (i === undefined) throw fail(`${JSON.stringify(token)} is not a valid array index`);
    if (i >= parent.length) throw fail(`index ${i} is out of bounds (array length ${parent.length})`);
    parent.splice(i, 1);
  } else {
    if (!hasKey(parent, token)) throw fail('the path does not exist');
    delete parent[token];
  }
}

/** An RFC 6901 array index: `0` or digits without a leading zero. `-` is not one here. */
function arrayIndex(token: string): number | undefined {
  return /^(0|[1-9][0-9]*)$/.test(token) ? Number(token) : undefined;
}
