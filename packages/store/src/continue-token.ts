import { StoreError } from './errors';

/** What a continue token carries: where the next page starts and which snapshot it reads. */
export interface ContinueState {
  resource: string;
  /** `''` for all namespaces. */
  namespace: string;
  /** The revision the first page was read at. */
  rev: number;
  /** The index key of the last item returned; the next page starts after it. */
  after: string;
}

interface Wire {
  v: 1;
  r: string;
  n: string;
  rv: number;
  k: string;
}

/** An opaque, URL-safe token for {@link ContinueState}. */
export function encodeContinue(state: ContinueState): string {
  const wire: Wire = { v: 1, r: state.resource, n: state.namespace, rv: state.rev, k: state.after };
  return Buffer.from(JSON.stringify(wire), 'utf8').toString('base64url');
}

/** Reads a token made by {@link encodeContinue}; anything else throws `InvalidContinue`. */
export function decodeContinue(token: string): ContinueState {
  let wire: Partial<Wire> | undefined;
  try {
    wire = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<Wire>;
  } catch {
    wire = undefined;
  }
  if (
    !wire ||
    typeof wire !== 'object' ||
    wire.v !== 1 ||
    typeof wire.r !== 'string' ||
    typeof wire.n !== 'string' ||
    typeof wire.k !== 'string' ||
    typeof wire.rv !== 'number' ||
    !Number.isSafeInteger(wire.rv) ||
    wire.rv < 0
  ) {
    throw new StoreError('InvalidContinue', 'continue key is not valid: the token is malformed');
  }
  return { resource: wire.r, namespace: wire.n, rev: wire.rv, after: wire.k };
}
