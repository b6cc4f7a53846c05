import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeContinue, encodeContinue } from './continue-token';
import { isStoreError } from './errors';

describe('continue tokens', () => {
  it('decode what encode made, for any state', () => {
    fc.assert(
      fc.property(fc.record({ resource: fc.string(), namespace: fc.string(), rev: fc.nat(), after: fc.string() }), (state) => {
        expect(decodeContinue(encodeContinue(state))).toEqual(state);
      }),
    );
  });

  it('are URL-safe', () => {
    expect(encodeContinue({ resource: 'apps/deployments', namespace: '', rev: 12345, after: 'ns\u0000name/??>>' })).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['garbage', '!!!'],
    ['base64 of something that is not JSON', Buffer.from('nope').toString('base64url')],
    ['a token of another version', Buffer.from(JSON.stringify({ v: 2, r: 'pods', n: '', rv: 1, k: 'a' })).toString('base64url')],
    ['a token with a negative revision', Buffer.from(JSON.stringify({ v: 1, r: 'pods', n: '', rv: -1, k: 'a' })).toString('base64url')],
    ['a token without a key', Buffer.from(JSON.stringify({ v: 1, r: 'pods', n: '', rv: 1 })).toString('base64url')],
  ])('reject %s with InvalidContinue', (_case, token) => {
    let error: unknown;
    try {
      decodeContinue(token);
    } catch (e) {
      error = e;
    }
    expect(isStoreError(error, 'InvalidContinue')).toBe(true);
  });
});
