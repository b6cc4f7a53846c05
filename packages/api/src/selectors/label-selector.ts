import { ApiError } from '../errors';
import type { LabelSelector } from '../meta';
import { createRequirement, unvalidatedRequirement, type Labels, type Requirement, type SelectorOperator } from './requirement';

/**
 * A compiled label selector: requirements that all must hold (AND). One matcher serves
 * both the string form ({@link parseLabelSelector}) and the object form
 * ({@link labelSelectorFromObject}). Immutable, and cheap to match: build it once per
 * list or watch, then call `matches` for every object.
 */
export interface Selector {
  /** The requirements, sorted by key; empty for both {@link everythingSelector} and {@link nothingSelector}. */
  readonly requirements: readonly Requirement[];
  /** Whether `labels` (absent labels count as none) satisfy every requirement. Allocation-free. */
  matches(labels: Labels | undefined | null): boolean;
  /** True when the selector has no requirements and so matches everything; false for {@link nothingSelector}. */
  isEmpty(): boolean;
  /**
   * The canonical string form, Kubernetes' `Selector.String()`: requirements sorted by key,
   * joined by `,`, values sorted (`app=web,tier in (be,fe)`). `''` for everything and,
   * as in Kubernetes, also for {@link nothingSelector}, which has no string form.
   * Parsing the result gives an equivalent selector.
   */
  toString(): string;
  /** A new selector with the requirements added (AND). Adding to {@link nothingSelector} still matches nothing. */
  add(...requirements: Requirement[]): Selector;
  /**
   * The value `key` must equal for the selector to match (from a `=`, `==` or a
   * one-value `in` requirement), or undefined: lets a cache answer from an index.
   */
  requiresExactMatch(key: string): string | undefined;
}

const NO_LABELS: Labels = Object.freeze({});

function byKey(a: Requirement, b: Requirement): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  const sa = a.toString();
  const sb = b.toString();
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

class InternalSelector implements Selector {
  readonly requirements: readonly Requirement[];
  private text: string | undefined;

  constructor(requirements: readonly Requirement[]) {
    this.requirements = Object.freeze([...requirements].sort(byKey));
  }

  matches(labels: Labels | undefined | null): boolean {
    const ls = labels ?? NO_LABELS;
    const reqs = this.requirements;
    for (let i = 0; i < reqs.length; i++) if (!reqs[i].matches(ls)) return false;
    return true;
  }

  isEmpty(): boolean {
    return this.requirements.length === 0;
  }

  toString(): string {
    return (this.text ??= this.requirements.map(String).join(','));
  }

  add(...requirements: Requirement[]): Selector {
    return requirements.length === 0 ? this : new InternalSelector([...this.requirements, ...requirements]);
  }

  requiresExactMatch(key: string): string | undefined {
    for (const r of this.requirements) {
      if (r.key !== key) continue;
      if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1) return r.values[0];
    }
    return undefined;
  }
}

class NothingSelector implements Selector {
  readonly requirements: readonly Requirement[] = Object.freeze([]);
  matches(): boolean {
    return false;
  }
  isEmpty(): boolean {
    return false;
  }
  toString(): string {
    return '';
  }
  add(): Selector {
    return this;
  }
  requiresExactMatch(): string | undefined {
    return undefined;
  }
}

/** The selector that matches every set of labels (Kubernetes' `labels.Everything()`); its string form is `''`. */
export const everythingSelector: Selector = new InternalSelector([]);

/** The selector that matches nothing (Kubernetes' `labels.Nothing()`), what a nil object-form selector means. */
export const nothingSelector: Selector = new NothingSelector();

/** A selector of the given requirements, ANDed; no requirements match everything. */
export function selectorFromRequirements(requirements: readonly Requirement[]): Selector {
  return requirements.length === 0 ? everythingSelector : new InternalSelector(requirements);
}

/**
 * The selector `k1=v1,k2=v2,…` matching labels that include the whole set, as Kubernetes'
 * `SelectorFromSet`: how `spec.nodeSelector` and a Service's `spec.selector` select.
 * An absent or empty set matches everything. Keys and values are not validated (the
 * objects they come from were); use {@link labelSelectorFromObject} for untrusted input.
 */
export function selectorFromSet(labels: Labels | undefined | null): Selector {
  if (!labels) return everythingSelector;
  const keys = Object.keys(labels);
  if (keys.length === 0) return everythingSelector;
  return new InternalSelector(keys.map((k) => unvalidatedRequirement(k, '=', [labels[k]])));
}

const OBJECT_OPERATORS: Readonly<Record<string, SelectorOperator>> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * Compiles the object form of a selector (`matchLabels` and `matchExpressions` with
 * In, NotIn, Exists, DoesNotExist), as Kubernetes' `LabelSelectorAsSelector`:
 * `null`/`undefined` gives {@link nothingSelector} (matches nothing), while `{}` gives
 * {@link everythingSelector} (matches everything). All requirements are ANDed.
 * Throws an ApiError BadRequest for an unknown operator
 * (`"Foo" is not a valid label selector operator`) or an invalid key, value or value count.
 */
export function labelSelectorFromObject(sel: LabelSelector | undefined | null): Selector {
  if (sel == null) return nothingSelector;
  const requirements: Requirement[] = [];
  const matchLabels = sel.matchLabels ?? {};
  for (const key of Object.keys(matchLabels)) requirements.push(createRequirement(key, '=', [matchLabels[key]]));
  for (const expr of sel.matchExpressions ?? []) {
    const op = Object.hasOwn(OBJECT_OPERATORS, expr.operator) ? OBJECT_OPERATORS[expr.operator] : undefined;
    if (!op) throw new ApiError('BadRequest', `${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    requirements.push(createRequirement(expr.key, op, expr.values ?? []));
  }
  return selectorFromRequirements(requirements);
}
