import { ApiError } from '../errors';
import { fieldError } from '../field';
import { validateLabelKey, validateLabelValue } from './names';

/** A set of labels, as in `metadata.labels`. */
export type Labels = Readonly<Record<string, string>>;

/**
 * A label selector operator, spelled as Kubernetes' `selection.Operator`: `=`, `==`, `!=`,
 * `in`, `notin`, `exists`, `!` (does not exist), `gt` and `lt` (integer comparisons).
 */
export type SelectorOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

/** The operators a requirement may use, in Kubernetes' order (as listed in its error messages). */
export const SELECTOR_OPERATORS: readonly SelectorOperator[] = ['in', 'notin', '=', '==', '!=', 'exists', '!', 'gt', 'lt'];

/**
 * One condition of a label selector: `key operator values`. Immutable; `values` are
 * sorted and deduplicated. Build one with {@link createRequirement}, or get them from a
 * parsed selector's `requirements`.
 */
export interface Requirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  /** Empty for `exists` and `!`; one value for `=`, `==`, `!=`, `gt`, `lt`; one or more for `in` and `notin`. */
  readonly values: readonly string[];
  /**
   * Whether `labels` satisfy this requirement, as Kubernetes' `Requirement.Matches`:
   * `in`/`=`/`==` need the key with one of the values; `notin`/`!=` hold when the key is
   * absent or has another value; `gt`/`lt` need the key with an integer value beyond
   * the bound. Allocation-free.
   */
  matches(labels: Labels | undefined | null): boolean;
  /** The requirement in selector syntax: `a=b`, `a in (x,y)`, `!a`, `a>5`. */
  toString(): string;
}

// Operator codes: a small-integer switch in the hot matching path.
const Op = { Equals: 0, NotEquals: 1, In: 2, NotIn: 3, Exists: 4, DoesNotExist: 5, GreaterThan: 6, LessThan: 7 } as const;
type Op = (typeof Op)[keyof typeof Op];

const OP_CODES: Readonly<Record<SelectorOperator, Op>> = {
  '=': Op.Equals,
  '==': Op.Equals,
  in: Op.In,
  '!=': Op.NotEquals,
  notin: Op.NotIn,
  exists: Op.Exists,
  '!': Op.DoesNotExist,
  gt: Op.GreaterThan,
  lt: Op.LessThan,
};

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER = /^[+-]?[0-9]+$/;

/** Go's `strconv.ParseInt(s, 10, 64)`: undefined when `s` is not a decimal int64. */
export function parseInt64(s: string): bigint | undefined {
  if (!INTEGER.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

/** A set lookup beats a linear scan past a handful of values. */
const SET_THRESHOLD = 8;

class LabelRequirement implements Requirement {
  readonly values: readonly string[];
  private readonly op: Op;
  private readonly first: string;
  private readonly set: ReadonlySet<string> | undefined;
  private readonly bound: bigint;
  private text: string | undefined;

  constructor(
    readonly key: string,
    readonly operator: SelectorOperator,
    values: readonly string[],
  ) {
    const sorted = [...new Set(values)].sort();
    this.values = Object.freeze(sorted);
    this.op = OP_CODES[operator];
    this.first = sorted[0] ?? '';
    this.set = sorted.length > SET_THRESHOLD ? new Set(sorted) : undefined;
    this.bound = (this.op === Op.GreaterThan || this.op === Op.LessThan) && sorted.length === 1 ? (parseInt64(this.first) ?? 0n) : 0n;
  }

  private hasValue(v: string): boolean {
    const values = this.values;
    if (values.length === 1) return v === this.first;
    if (this.set) return this.set.has(v);
    for (let i = 0; i < values.length; i++) if (values[i] === v) return true;
    return false;
  }

  matches(labels: Labels | undefined | null): boolean {
    // typeof guards against inherited members: a label key may well be `constructor`.
    const v = labels ? labels[this.key] : undefined;
    const has = typeof v === 'string';
    switch (this.op) {
      case Op.Equals:
      case Op.In:
        return has && this.hasValue(v);
      case Op.NotEquals:
      case Op.NotIn:
        return !has || !this.hasValue(v);
      case Op.Exists:
        return has;
      case Op.DoesNotExist:
        return !has;
      case Op.GreaterThan:
      case Op.LessThan: {
        if (!has || this.values.length !== 1) return false;
        const n = parseInt64(v);
        if (n === undefined) return false;
        return this.op === Op.GreaterThan ? n > this.bound : n < this.bound;
      }
    }
  }

  toString(): string {
    return (this.text ??= this.format());
  }

  private format(): string {
    const k = this.key;
    const v = this.values.join(',');
    switch (this.operator) {
      case '!':
        return `!${k}`;
      case 'exists':
        return k;
      case 'in':
        return `${k} in (${v})`;
      case 'notin':
        return `${k} notin (${v})`;
      case 'gt':
        return `${k}>${v}`;
      case 'lt':
        return `${k}<${v}`;
      default:
        return `${k}${this.operator}${v}`;
    }
  }
}

/**
 * The problems with a requirement, each prefixed by its field path under `path`, in
 * Kubernetes' `NewRequirement` words (`key: Invalid value: "-a": name part must…`,
 * `values[0][app]: Invalid value: "x y": a valid label must…`). Empty when valid.
 */
export function requirementErrors(key: string, operator: string, values: readonly string[], path = ''): string[] {
  const at = (child: string) => (path ? `${path}.${child}` : child);
  const errs: string[] = [];
  const push = (c: { field: string; message: string }) => errs.push(`${c.field}: ${c.message}`);
  const keyErrs = validateLabelKey(key);
  if (keyErrs.length) push(fieldError.invalid(at('key'), key, keyErrs.join('; ')));
  const valuesPath = at('values');
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) push(fieldError.invalid(valuesPath, values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) push(fieldError.invalid(valuesPath, values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) push(fieldError.invalid(valuesPath, values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) push(fieldError.invalid(valuesPath, values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) push(fieldError.invalid(`${valuesPath}[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
    default:
      push(fieldError.notSupported(at('operator'), operator, SELECTOR_OPERATORS));
  }
  values.forEach((v, i) => {
    const valueErrs = validateLabelValue(v);
    if (valueErrs.length) push(fieldError.invalid(`${valuesPath}[${i}][${key}]`, v, valueErrs.join('; ')));
  });
  return errs;
}

/** Joins errors as Kubernetes' aggregate errors print: one as is, several as `[a, b]`. */
export function aggregate(errs: readonly string[]): string {
  return errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`;
}

/** A requirement built without validation: for keys and values that are known valid. */
export function unvalidatedRequirement(key: string, operator: SelectorOperator, values: readonly string[] = []): Requirement {
  return new LabelRequirement(key, operator, values);
}

/**
 * A validated requirement, as Kubernetes' `labels.NewRequirement`: the key must be a
 * qualified name, each value a label value, and the number of values fit the operator
 * (see {@link Requirement.values}); `gt`/`lt` values must be integers. Throws an
 * ApiError BadRequest listing every problem otherwise.
 */
export function createRequirement(key: string, operator: SelectorOperator, values: readonly string[] = []): Requirement {
  const errs = requirementErrors(key, operator, values);
  if (errs.length) throw new ApiError('BadRequest', aggregate(errs));
  return new LabelRequirement(key, operator, values);
}
