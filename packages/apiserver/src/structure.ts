import { checkStructure, structureRules, type FieldCause, type FieldType } from '@bosun/api';

/**
 * A fast pre-check for `checkStructure` from `@bosun/api`, on the create path of every
 * object. The rules (one table, owned by the codec) are compiled per kind into a trie,
 * so one walk visits each field once instead of once per rule. Only when the walk
 * finds a problem does `checkStructure` run, so the causes and their wording are the
 * codec's.
 */
export function structureCauses(obj: Record<string, unknown>): FieldCause[] {
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  return wellTyped(obj, trieFor(kind)) ? [] : checkStructure(obj);
}

/**
 * The structure rules of one kind as a state machine over an object's members, for
 * checking types while walking the object for another reason (`copyIn` does, so a
 * create walks its request once). A value at a state must have every type in `types`;
 * a list's items are at `item`; a mapping's member `key` is at `named[names.indexOf(key)]`
 * when listed, else at `star`. Undefined means nothing at or below is checked. A walk
 * that finds every value well typed agrees with {@link structureCauses} finding nothing.
 * Built once per kind.
 */
export interface TypeState {
  /** Bit set of types the value must have (see {@link hasTypes}); 0: any. */
  readonly types: number;
  readonly item: TypeState | undefined;
  /** Member names with their own state (parallel to `named`); undefined when none. */
  readonly names: readonly string[] | undefined;
  readonly named: readonly TypeState[] | undefined;
  readonly star: TypeState | undefined;
}

const stateTables = new Map<string, TypeState | undefined>();

/** The {@link TypeState} of a whole object of `kind` (undefined when no rule applies). */
export function typeStateFor(kind: string): TypeState | undefined {
  if (stateTables.has(kind)) return stateTables.get(kind);
  const state = compileState([{ node: trieFor(kind), lists: 0 }], new Map(), new Map());
  stateTables.set(kind, state);
  return state;
}

/** A trie node, reached after stepping into `lists` more levels of lists. */
interface Position {
  node: Node;
  lists: number;
}

/**
 * The state of a value that sits at every position in `at` at once (a member can match
 * a named rule and a `*` rule); undefined when nothing at or below it is checked.
 * Memoized by the set of positions, so shared sub-structures compile once.
 */
function compileState(at: Position[], ids: Map<Node, number>, memo: Map<string, TypeState | undefined>): TypeState | undefined {
  if (at.length === 0) return undefined;
  const idOf = (n: Node): number => {
    let id = ids.get(n);
    if (id === undefined) ids.set(n, (id = ids.size));
    return id;
  };
  const id = at
    .map((p) => `${idOf(p.node)}:${p.lists}`)
    .sort()
    .join(',');
  if (memo.has(id)) return memo.get(id);
  let types = 0;
  const items: Position[] = [];
  const named = new Map<string, Position[]>();
  const stars: Position[] = [];
  for (const { node, lists } of at) {
    // As fits() reads them: a position inside lists applies only to a list's items; at
    // the end of its lists it checks the value's types and, for a mapping, its members.
    if (lists > 0) {
      items.push({ node, lists: lists - 1 });
      continue;
    }
    types |= node.types;
    for (const edge of node.edges) {
      const to = { node: edge.node, lists: edge.lists };
      if (edge.key === '*') stars.push(to);
      else named.set(edge.key, [...(named.get(edge.key) ?? []), to]);
    }
  }
  const item = compileState(items, ids, memo);
  const star = compileState(stars, ids, memo);
  const names: string[] = [];
  const states: TypeState[] = [];
  for (const [key, positions] of named) {
    const child = compileState([...positions, ...stars], ids, memo);
    if (child) {
      names.push(key);
      states.push(child);
    }
  }
  const state: TypeState | undefined =
    types === 0 && !item && !star && names.length === 0 ? undefined : { types, item, names: names.length ? names : undefined, named: names.length ? states : undefined, star };
  memo.set(id, state);
  return state;
}

interface Node {
  /** The types required here, as a bit set of {@link TYPE_BITS}. */
  types: number;
  edges: Edge[];
}
interface Edge {
  /** A field name, or `*` for every key. */
  key: string;
  /** How many levels of lists to step into before reaching `node`. */
  lists: number;
  node: Node;
}

const TYPE_BITS: Record<FieldType, number> = { string: 1, integer: 2, boolean: 4, mapping: 8, list: 16, quantity: 32, 'int-or-string': 64 };

const tries = new Map<string, Node>();

function trieFor(kind: string): Node {
  let root = tries.get(kind);
  if (root) return root;
  root = { types: 0, edges: [] };
  for (const rule of structureRules) {
    if (rule.kinds !== '*' && !rule.kinds.includes(kind)) continue;
    let node = root;
    for (const part of rule.path.split('.')) {
      const m = /^(.*?)((?:\[\])*)$/.exec(part)!;
      const key = m[1];
      const lists = m[2].length / 2;
      let edge = node.edges.find((e) => e.key === key && e.lists === lists);
      if (!edge) {
        edge = { key, lists, node: { types: 0, edges: [] } };
        node.edges.push(edge);
      }
      node = edge.node;
    }
    node.types |= TYPE_BITS[rule.type] ?? 0;
  }
  tries.set(kind, root);
  return root;
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function wellTyped(value: Record<string, unknown>, node: Node): boolean {
  const edges = node.edges;
  for (let i = 0; i < edges.length; i++) {
    const edge = edges[i];
    if (edge.key === '*') {
      for (const k in value) if (Object.hasOwn(value, k) && !fits(value[k], edge, edge.lists)) return false;
      continue;
    }
    // Most fields a rule names are absent: read first, and ask hasOwn only for present ones.
    const v = value[edge.key];
    if (v !== undefined && v !== null && Object.hasOwn(value, edge.key) && !fits(v, edge, edge.lists)) return false;
  }
  return true;
}

function fits(v: unknown, edge: Edge, lists: number): boolean {
  if (v === undefined || v === null) return true;
  if (lists > 0) {
    if (!Array.isArray(v)) return true; // the list's own type is another rule
    for (let i = 0; i < v.length; i++) if (!fits(v[i], edge, lists - 1)) return false;
    return true;
  }
  const { node } = edge;
  if (node.types !== 0 && !hasTypes(v, node.types)) return false;
  return node.edges.length === 0 || !isMapping(v) || wellTyped(v, node);
}

/** Whether `v` has every type in the bit set `types` (of a {@link TypeState}). */
export function hasTypes(v: unknown, types: number): boolean {
  if (types & 1 && typeof v !== 'string') return false;
  if (types & 2 && !Number.isInteger(v)) return false;
  if (types & 4 && typeof v !== 'boolean') return false;
  if (types & 8 && !isMapping(v)) return false;
  if (types & 16 && !Array.isArray(v)) return false;
  if (types & 32 && !(typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) return false;
  if (types & 64 && !(typeof v === 'string' || Number.isInteger(v))) return false;
  return true;
}
