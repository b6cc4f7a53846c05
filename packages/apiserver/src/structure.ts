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

interface Node {
  types: FieldType[];
  edges: Edge[];
}
interface Edge {
  /** A field name, or `*` for every key. */
  key: string;
  /** How many levels of lists to step into before reaching `node`. */
  lists: number;
  node: Node;
}

const tries = new Map<string, Node>();

function trieFor(kind: string): Node {
  let root = tries.get(kind);
  if (root) return root;
  root = { types: [], edges: [] };
  for (const rule of structureRules) {
    if (rule.kinds !== '*' && !rule.kinds.includes(kind)) continue;
    let node = root;
    for (const part of rule.path.split('.')) {
      const m = /^(.*?)((?:\[\])*)$/.exec(part)!;
      const key = m[1];
      const lists = m[2].length / 2;
      let edge = node.edges.find((e) => e.key === key && e.lists === lists);
      if (!edge) {
        edge = { key, lists, node: { types: [], edges: [] } };
        node.edges.push(edge);
      }
      node = edge.node;
    }
    if (!node.types.includes(rule.type)) node.types.push(rule.type);
  }
  tries.set(kind, root);
  return root;
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function wellTyped(value: Record<string, unknown>, node: Node): boolean {
  for (const edge of node.edges) {
    if (edge.key === '*') {
      for (const k in value) if (Object.hasOwn(value, k) && !fits(value[k], edge, edge.lists)) return false;
    } else if (Object.hasOwn(value, edge.key) && !fits(value[edge.key], edge, edge.lists)) return false;
  }
  return true;
}

function fits(v: unknown, edge: Edge, lists: number): boolean {
  if (v === undefined || v === null) return true;
  if (lists > 0) {
    if (!Array.isArray(v)) return true; // the list's own type is another rule
    for (const item of v) if (!fits(item, edge, lists - 1)) return false;
    return true;
  }
  const { node } = edge;
  for (const t of node.types) if (!hasType(v, t)) return false;
  return node.edges.length === 0 || !isMapping(v) || wellTyped(v, node);
}

function hasType(v: unknown, t: FieldType): boolean {
  switch (t) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'mapping':
      return isMapping(v);
    case 'list':
      return Array.isArray(v);
    case 'quantity':
      return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
    case 'int-or-string':
      return typeof v === 'string' || Number.isInteger(v);
    default:
      return true;
  }
}
