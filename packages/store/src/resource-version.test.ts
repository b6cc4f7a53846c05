import { describe, expect, it } from 'vitest';
import { isStoreError } from './errors';
import { parseResourceVersion, requestedRevision } from './resource-version';

describe('resourceVersion parsing', () => {
  it.each([
    ['0', 0],
    ['7', 7],
    ['9007199254740991', 9007199254740991],
  ])('reads %j as revision %d', (text, rev) => {
    expect(parseResourceVersion(text)).toBe(rev);
  });

  it.each(['', ' 1', '01', '-1', '1.5', '1e3', 'abc', '99999999999999999'])('refuses %j with BadRequest', (text) => {
    let error: unknown;
    try {
      parseResourceVersion(text);
    } catch (e) {
      error = e;
    }
    expect(isStoreError(error, 'BadRequest')).toBe(true);
  });

  it.each([
    [undefined, undefined],
    ['', undefined],
    ['0', undefined],
    ['42', 42],
  ])('takes the read option %j to mean %j (undefined: the latest)', (text, rev) => {
    expect(requestedRevision(text)).toBe(rev);
  });
});
