import type { NodeSelector, NodeSelectorRequirement, NodeSelectorTerm } from 'kubernetes-types/core/v1';
import { fieldError } from '../field';
import { selectorFromRequirements, type Selector } from './label-selector';
import { requirementErrors, unvalidatedRequirement, type Labels, type Requirement, type SelectorOperator } from './requirement';

/** What node selectors read of a Node: its name (for `matchFields`) and its labels. */
export interface NodeLike {
  metadata?: { name?: string; labels?: Labels | null } | null;
}

/** A node selector (or one term) compiled once, to test many nodes. */
export interface NodeSelectorMatcher {
  /** Whether the node satisfies the selector; a null node matches nothing. Allocation-free. */
  matches(node: NodeLike | undefined | null): boolean;
  /**
   * Why some terms can never match, with field paths
   * (`nodeSelectorTerms[0].matchExpressions[0].values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`);
   * empty when the selector is valid.
   */
  readonly errors: readonly string[];
}

const NODE_OPERATORS: Readonly<Record<string, SelectorOperator>> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!', Gt: 'gt', Lt: 'lt' };
const NODE_OPERATOR_NAMES = Object.keys(NODE_OPERATORS);
const FIELD_OPERATOR_NAMES = ['In', 'NotIn'];

interface FieldTerm {
  key: string;
  equal: boolean;
  value: string;
}

interface CompiledTerm {
  labels: Selector | undefined;
  fields: readonly FieldTerm[];
}

function compileExpressions(exprs: readonly NodeSelectorRequirement[], path: string, errors: string[]): Selector {
  const reqs: Requirement[] = [];
  exprs.forEach((expr, i) => {
    const p = `${path}[${i}]`;
    const op = Object.hasOwn(NODE_OPERATORS, expr.operator) ? NODE_OPERATORS[expr.operator] : undefined;
    if (!op) {
      const c = fieldError.notSupported(`${p}.operator`, expr.operator, NODE_OPERATOR_NAMES);
      errors.push(`${c.field}: ${c.message}`);
      return;
    }
    const values = expr.values ?? [];
    const errs = requirementErrors(expr.key, op, values, p);
    if (errs.length) errors.push(...errs);
    else reqs.push(unvalidatedRequirement(expr.key, op, values));
  });
  return selectorFromRequirements(reqs);
}

function compileFields(exprs: readonly NodeSelectorRequirement[], path: string, errors: string[]): FieldTerm[] {
  const terms: FieldTerm[] = [];
  exprs.forEach((expr, i) => {
    const p = `${path}[${i}]`;
    if (expr.operator !== 'In' && expr.operator !== 'NotIn') {
      const c = fieldError.notSupported(`${p}.operator`, expr.operator, FIELD_OPERATOR_NAMES);
      errors.push(`${c.field}: ${c.message}`);
    } else if (expr.values?.length !== 1) {
      const c = fieldError.invalid(`${p}.values`, expr.values ?? [], 'must have one element');
      errors.push(`${c.field}: ${c.message}`);
    } else {
      terms.push({ key: expr.key, equal: expr.operator === 'In', value: expr.values[0] });
    }
  });
  return terms;
}

/** Undefined for a term that matches nothing: empty, or with errors (recorded in `errors`). */
function compileTerm(term: NodeSelectorTerm | null | undefined, path: string, errors: string[]): CompiledTerm | undefined {
  const exprs = term?.matchExpressions ?? [];
  const fields = term?.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return undefined;
  const before = errors.length;
  const at = (child: string) => (path ? `${path}.${child}` : child);
  const labels = exprs.length ? compileExpressions(exprs, at('matchExpressions'), errors) : undefined;
  const fieldTerms = fields.length ? compileFields(fields, at('matchFields'), errors) : [];
  return errors.length > before ? undefined : { labels, fields: fieldTerms };
}

function termMatches(t: CompiledTerm, node: NodeLike): boolean {
  const meta = node.metadata;
  if (t.labels && !t.labels.matches(meta?.labels)) return false;
  // Kubernetes' node field set only holds metadata.name, and is skipped when the name is empty.
  const name = meta?.name;
  if (t.fields.length && name) {
    for (const f of t.fields) if (((f.key === 'metadata.name' ? name : '') === f.value) !== f.equal) return false;
  }
  return true;
}

class CompiledNodeSelector implements NodeSelectorMatcher {
  constructor(
    private readonly terms: readonly CompiledTerm[],
    readonly errors: readonly string[],
  ) {}

  matches(node: NodeLike | undefined | null): boolean {
    if (!node) return false;
    for (let i = 0; i < this.terms.length; i++) if (termMatches(this.terms[i], node)) return true;
    return false;
  }
}

/**
 * Compiles `spec.affinity.nodeAffinity…requiredDuringSchedulingIgnoredDuringExecution`
 * (a core/v1 NodeSelector) as Kubernetes' component-helpers `nodeaffinity.NodeSelector`:
 * terms are ORed; within a term, `matchExpressions` (on labels: In, NotIn, Exists,
 * DoesNotExist, and Gt/Lt comparing integer values) and `matchFields` (on
 * `metadata.name`: In or NotIn with exactly one value) are ANDed. An empty term, and a
 * term with an invalid requirement, match nothing; the latter's problems are in `errors`.
 * Never throws.
 */
export function compileNodeSelector(selector: NodeSelector | null | undefined): NodeSelectorMatcher {
  const errors: string[] = [];
  const terms: CompiledTerm[] = [];
  (selector?.nodeSelectorTerms ?? []).forEach((term, i) => {
    const t = compileTerm(term, `nodeSelectorTerms[${i}]`, errors);
    if (t) terms.push(t);
  });
  return new CompiledNodeSelector(terms, Object.freeze(errors));
}

/** Compiles one term (as a preferred scheduling term's `preference`); see {@link compileNodeSelector}. */
export function compileNodeSelectorTerm(term: NodeSelectorTerm | null | undefined): NodeSelectorMatcher {
  const errors: string[] = [];
  const t = compileTerm(term, '', errors);
  return new CompiledNodeSelector(t ? [t] : [], Object.freeze(errors));
}

/**
 * Whether `node` satisfies one node selector term: all of its `matchExpressions` and
 * `matchFields`. An empty or invalid term matches nothing. Compiles the term on every
 * call: to test many nodes, use {@link compileNodeSelectorTerm}.
 */
export function nodeSelectorTermMatches(term: NodeSelectorTerm | null | undefined, node: NodeLike | undefined | null): boolean {
  return compileNodeSelectorTerm(term).matches(node);
}

/**
 * Whether `node` satisfies a node selector: any of its terms (see
 * {@link compileNodeSelector}); no terms match nothing. Compiles the selector on every
 * call: to test many nodes, use {@link compileNodeSelector}.
 */
export function nodeSelectorMatches(selector: NodeSelector | null | undefined, node: NodeLike | undefined | null): boolean {
  return compileNodeSelector(selector).matches(node);
}
