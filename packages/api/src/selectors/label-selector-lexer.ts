// The tokenizer of Kubernetes' label selector syntax (k8s.io/apimachinery/pkg/labels/selector.go).

/** Token kinds of the label selector syntax. */
export const Token = {
  Error: 0,
  EndOfString: 1,
  ClosedPar: 2,
  Comma: 3,
  DoesNotExist: 4,
  DoubleEquals: 5,
  Equals: 6,
  GreaterThan: 7,
  Identifier: 8,
  In: 9,
  LessThan: 10,
  NotEquals: 11,
  NotIn: 12,
  OpenPar: 13,
} as const;
export type Token = (typeof Token)[keyof typeof Token];

/** One scanned token and the text it was read from. */
export interface ScannedItem {
  tok: Token;
  lit: string;
}

const KEYWORDS: Readonly<Record<string, Token>> = {
  ')': Token.ClosedPar,
  ',': Token.Comma,
  '!': Token.DoesNotExist,
  '==': Token.DoubleEquals,
  '=': Token.Equals,
  '>': Token.GreaterThan,
  in: Token.In,
  '<': Token.LessThan,
  '!=': Token.NotEquals,
  notin: Token.NotIn,
  '(': Token.OpenPar,
};

const keyword = (s: string): Token | undefined => (Object.hasOwn(KEYWORDS, s) ? KEYWORDS[s] : undefined);

const isWhitespace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isSpecialSymbol = (ch: string): boolean => ch === '=' || ch === '!' || ch === '(' || ch === ')' || ch === ',' || ch === '>' || ch === '<';

/**
 * Splits a label selector into tokens, ending with EndOfString. Identifiers run until
 * whitespace or one of `=!(),<>`; `in` and `notin` are keywords (the parser treats them
 * as identifiers where a value is expected); operator symbols are read greedily
 * (`!=`, `==`).
 */
export function scanLabelSelector(s: string): ScannedItem[] {
  const items: ScannedItem[] = [];
  let pos = 0;
  const end = s.length;
  for (;;) {
    while (pos < end && isWhitespace(s[pos])) pos++;
    if (pos >= end) {
      items.push({ tok: Token.EndOfString, lit: '' });
      return items;
    }
    const start = pos;
    if (isSpecialSymbol(s[pos])) {
      // Longest run of symbols that is still a token: `!=` and `==`, else the single symbol.
      let tok: Token | undefined;
      let tokEnd = pos;
      while (pos < end && isSpecialSymbol(s[pos])) {
        const t = keyword(s.slice(start, pos + 1));
        if (t === undefined) break;
        tok = t;
        tokEnd = ++pos;
      }
      if (tok === undefined) {
        items.push({ tok: Token.Error, lit: `error expected: keyword found '${s[start]}'` });
        return items;
      }
      pos = tokEnd;
      items.push({ tok, lit: s.slice(start, tokEnd) });
    } else {
      while (pos < end && !isSpecialSymbol(s[pos]) && !isWhitespace(s[pos])) pos++;
      const lit = s.slice(start, pos);
      items.push({ tok: keyword(lit) ?? Token.Identifier, lit });
    }
  }
}
