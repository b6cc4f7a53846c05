import { ApiError } from '../errors';
import { compileFieldGetter, type FieldGetter } from './field-value';

/** One term of a field selector: `field=value` or `field!=value` (`==` is read as `=`). */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

/**
 * A compiled field selector: terms on an object's fields that all must hold (AND).
 * Immutable; build it once per list or watch, then call `matches` for every object.
 */
export interface FieldSelector {
  /** The terms, in canonical order (sorted by their string form). */
  readonly requirements: readonly FieldRequirement[];
  /**
   * Whether `obj` satisfies every term. Fields are read by dotted path, a missing field
   * reading as `''` as in Kubernetes (so `spec.nodeName=` selects unscheduled pods);
   * see {@link compileFieldGetter} for the built-in kinds' special fields.
   */
  matches(obj: unknown): boolean;
  /** True when there are no terms, so everything matches. */
  isEmpty(): boolean;
  /** The canonical string: terms sorted, joined by `,`, values escaped (`metadata.name=a\,b`). */
  toString(): string;
  /** The value `field` must equal for a match (from a `=` term), or undefined: lets a cache answer from an index. */
  requiresExactMatch(field: string): string | undefined;
}

interface CompiledTerm {
  get: FieldGetter;
  equal: boolean;
  value: string;
}

const termString = (r: FieldRequirement): string => `${r.field}${r.operator}${escapeFieldSelectorValue(r.value)}`;

class InternalFieldSelector implements FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  private readonly terms: readonly CompiledTerm[];
  private readonly text: string;

  constructor(requirements: readonly FieldRequirement[]) {
    const keyed = requirements.map((r) => ({ r: Object.freeze({ field: r.field, operator: r.operator, value: r.value }), s: termString(r) }));
    keyed.sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : 0));
    this.requirements = Object.freeze(keyed.map((k) => k.r));
    this.text = keyed.map((k) => k.s).join(',');
    this.terms = this.requirements.map((r) => ({ get: compileFieldGetter(r.field), equal: r.operator === '=', value: r.value }));
  }

  matches(obj: unknown): boolean {
    const terms = this.terms;
    for (let i = 0; i < terms.length; i++) {
      const t = terms[i];
      if ((t.get(obj) === t.value) !== t.equal) return false;
    }
    return true;
  }

  isEmpty(): boolean {
    return this.terms.length === 0;
  }

  toString(): string {
    return this.text;
  }

  requiresExactMatch(field: string): string | undefined {
    for (const r of this.requirements) if (r.field === field && r.operator === '=') return r.value;
    return undefined;
  }
}

/** The field selector that matches everything; its string form is `''`. */
export const everythingFieldSelector: FieldSelector = new InternalFieldSelector([]);

/**
 * Escapes a value for a field selector string, as Kubernetes' `fields.EscapeValue`:
 * `\` → `\\`, `,` → `\,`, `=` → `\=`.
 */
export function escapeFieldSelectorValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}

function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') throw new ApiError('BadRequest', `invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
    } else if (c === '\\') {
      inSlash = true;
    } else if (c === ',' || c === '=') {
      throw new ApiError('BadRequest', `invalid field selector: unescaped character in value: '${c}'`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw new ApiError('BadRequest', 'invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Splits on commas that are not escaped by a backslash. */
function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

/** The first operator in the term splits it; the field part has no escaping. `!=` and `==` win over `=`. */
function splitTerm(term: string): [string, '=' | '!=', string] | undefined {
  for (let i = 0; i < term.length; i++) {
    if (term.startsWith('!=', i)) return [term.slice(0, i), '!=', term.slice(i + 2)];
    if (term.startsWith('==', i)) return [term.slice(0, i), '=', term.slice(i + 2)];
    if (term[i] === '=') return [term.slice(0, i), '=', term.slice(i + 1)];
  }
  return undefined;
}

/**
 * Parses a field selector exactly as Kubernetes' `fields.ParseSelector`: terms separated
 * by `,` (AND), each `field=value`, `field==value` or `field!=value`; in values, `\,`,
 * `\=` and `\\` escape those characters. Whitespace is not trimmed (it is part of the
 * field or value, as in Kubernetes), empty terms are skipped, and `''` matches
 * everything. Which fields a kind supports is checked separately, by
 * {@link validateFieldSelector}.
 *
 * Throws an ApiError BadRequest with Kubernetes' message for a term without an operator
 * (`invalid selector: 'a'; can't understand 'a'`) or a bad escape.
 */
export function parseFieldSelector(text: string): FieldSelector {
  if (text === '') return everythingFieldSelector;
  const requirements: FieldRequirement[] = [];
  for (const part of splitTerms(text)) {
    if (part === '') continue;
    const split = splitTerm(part);
    if (!split) throw new ApiError('BadRequest', `invalid selector: '${text}'; can't understand '${part}'`);
    const [field, operator, raw] = split;
    requirements.push({ field, operator, value: unescapeValue(raw) });
  }
  return fieldSelectorFromRequirements(requirements);
}

/** A field selector of the given terms, ANDed; no terms match everything. Nothing is validated. */
export function fieldSelectorFromRequirements(requirements: readonly FieldRequirement[]): FieldSelector {
  return requirements.length === 0 ? everythingFieldSelector : new InternalFieldSelector(requirements);
}

/**
 * The selector requiring each field to equal its value (`{ 'spec.nodeName': 'node-1' }`
 * → `spec.nodeName=node-1`), as Kubernetes' `fields.SelectorFromSet`; values need no
 * escaping. An absent or empty set matches everything.
 */
export function fieldSelectorFromSet(set: Readonly<Record<string, string>> | undefined | null): FieldSelector {
  if (!set) return everythingFieldSelector;
  return fieldSelectorFromRequirements(Object.keys(set).map((field) => ({ field, operator: '=' as const, value: set[field] })));
}
