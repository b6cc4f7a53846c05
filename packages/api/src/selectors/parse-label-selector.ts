import { ApiError } from '../errors';
import { selectorFromRequirements, type Selector } from './label-selector';
import { scanLabelSelector, Token, type ScannedItem } from './label-selector-lexer';
import { aggregate, requirementErrors, unvalidatedRequirement, type Requirement, type SelectorOperator } from './requirement';
import { validateLabelKey } from './names';
import { fieldError } from '../field';

/** The binary operators, as Kubernetes lists them in `expected:` messages. */
const BINARY_OPERATORS = 'in, notin, =, ==, !=, gt, lt';

/** Raised inside one requirement; `parse` prefixes it with `unable to parse requirement: `. */
class RequirementSyntaxError extends Error {}

/** A recursive-descent parser over the scanned tokens, mirroring Kubernetes' labels.Parser. */
class Parser {
  private position = 0;
  constructor(private readonly items: ScannedItem[]) {}

  /** The next token without consuming it; in value position the keywords `in`/`notin` are identifiers. */
  private lookahead(values: boolean): ScannedItem {
    const item = this.items[this.position];
    if (values && (item.tok === Token.In || item.tok === Token.NotIn)) return { tok: Token.Identifier, lit: item.lit };
    return item;
  }

  private consume(values: boolean): ScannedItem {
    const item = this.lookahead(values);
    if (this.position < this.items.length - 1) this.position++;
    return item;
  }

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead(true);
      if (tok === Token.EndOfString) return requirements;
      if (tok !== Token.Identifier && tok !== Token.DoesNotExist) fail(`found '${lit}', expected: !, identifier, or 'end of string'`);
      try {
        requirements.push(this.parseRequirement());
      } catch (e) {
        if (e instanceof RequirementSyntaxError) fail(`unable to parse requirement: ${e.message}`);
        throw e;
      }
      const next = this.consume(true);
      if (next.tok === Token.EndOfString) return requirements;
      if (next.tok !== Token.Comma) fail(`found '${next.lit}', expected: ',' or 'end of string'`);
      const after = this.lookahead(true);
      if (after.tok !== Token.Identifier && after.tok !== Token.DoesNotExist) fail(`found '${after.lit}', expected: identifier after ','`);
    }
  }

  private parseRequirement(): Requirement {
    const { key, operator: unary } = this.parseKeyAndInferOperator();
    let operator: SelectorOperator;
    let values: string[];
    if (unary) {
      operator = unary;
      values = [];
    } else {
      operator = this.parseOperator();
      values = operator === 'in' || operator === 'notin' ? this.parseValues() : this.parseExactValue();
    }
    const errs = requirementErrors(key, operator, values);
    if (errs.length) throw new RequirementSyntaxError(aggregate(errs));
    return unvalidatedRequirement(key, operator, values);
  }

  private parseKeyAndInferOperator(): { key: string; operator?: SelectorOperator } {
    let operator: SelectorOperator | undefined;
    let item = this.consume(true);
    if (item.tok === Token.DoesNotExist) {
      operator = '!';
      item = this.consume(true);
    }
    if (item.tok !== Token.Identifier) throw new RequirementSyntaxError(`found '${item.lit}', expected: identifier`);
    const keyErrs = validateLabelKey(item.lit);
    if (keyErrs.length) {
      const c = fieldError.invalid('key', item.lit, keyErrs.join('; '));
      throw new RequirementSyntaxError(`${c.field}: ${c.message}`);
    }
    const next = this.lookahead(true).tok;
    if (operator === undefined && (next === Token.EndOfString || next === Token.Comma)) operator = 'exists';
    return { key: item.lit, operator };
  }

  private parseOperator(): SelectorOperator {
    const { tok, lit } = this.consume(false);
    switch (tok) {
      case Token.In:
        return 'in';
      case Token.NotIn:
        return 'notin';
      case Token.Equals:
        return '=';
      case Token.DoubleEquals:
        return '==';
      case Token.NotEquals:
        return '!=';
      case Token.GreaterThan:
        return 'gt';
      case Token.LessThan:
        return 'lt';
      default:
        throw new RequirementSyntaxError(`found '${lit}', expected: ${BINARY_OPERATORS}`);
    }
  }

  private parseValues(): string[] {
    const open = this.consume(true);
    if (open.tok !== Token.OpenPar) throw new RequirementSyntaxError(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.lookahead(true);
    if (tok === Token.ClosedPar) {
      this.consume(true);
      return [''];
    }
    if (tok !== Token.Identifier && tok !== Token.Comma) throw new RequirementSyntaxError(`found '${lit}', expected: ',', ')' or identifier`);
    const values = this.parseIdentifiersList();
    const close = this.consume(true);
    if (close.tok !== Token.ClosedPar) throw new RequirementSyntaxError(`found '${close.lit}', expected: ')'`);
    return values;
  }

  /** Values separated by commas up to `)`; an empty slot (`(,a)`, `(a,)`, `(a,,b)`) is the empty value. */
  private parseIdentifiersList(): string[] {
    const values = new Set<string>();
    for (;;) {
      const { tok, lit } = this.consume(true);
      if (tok === Token.Identifier) {
        values.add(lit);
        const next = this.lookahead(true);
        if (next.tok === Token.Comma) continue;
        if (next.tok === Token.ClosedPar) return [...values];
        throw new RequirementSyntaxError(`found '${next.lit}', expected: ',' or ')'`);
      }
      if (tok !== Token.Comma) throw new RequirementSyntaxError(`found '${lit}', expected: ',', or identifier`);
      if (values.size === 0) values.add('');
      const next = this.lookahead(true).tok;
      if (next === Token.ClosedPar) {
        values.add('');
        return [...values];
      }
      if (next === Token.Comma) {
        this.consume(true);
        values.add('');
      }
    }
  }

  /** The single value after `=`, `==`, `!=`, `>` or `<`; nothing before `,` or the end is the empty value. */
  private parseExactValue(): string[] {
    const next = this.lookahead(true).tok;
    if (next === Token.EndOfString || next === Token.Comma) return [''];
    const { tok, lit } = this.consume(true);
    if (tok === Token.Identifier) return [lit];
    throw new RequirementSyntaxError(`found '${lit}', expected: identifier`);
  }
}

function fail(message: string): never {
  throw new ApiError('BadRequest', message);
}

/**
 * Parses the string form of a label selector exactly as Kubernetes' `labels.Parse`:
 * requirements separated by `,` (AND), each one of `k=v`, `k==v`, `k!=v`,
 * `k in (v1,v2)`, `k notin (v1)`, `k` (exists), `!k` (does not exist), `k>5`, `k<5`;
 * whitespace between tokens is ignored, and `''` matches everything. Keys must be
 * qualified names and values label values.
 *
 * Throws an ApiError BadRequest with Kubernetes' message on bad syntax
 * (`found '(', expected: !, identifier, or 'end of string'`) or an invalid requirement
 * (`unable to parse requirement: key: Invalid value: "-a": name part must…`), and never
 * any other error, whatever the input.
 */
export function parseLabelSelector(text: string): Selector {
  const items = scanLabelSelector(text);
  const error = items.find((i) => i.tok === Token.Error);
  if (error) fail(error.lit);
  return selectorFromRequirements(new Parser(items).parse());
}
