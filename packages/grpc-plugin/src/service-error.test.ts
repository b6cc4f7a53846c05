import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { errorMessage, readServiceError, reverseStatusTable } from './service-error';

describe('errorMessage', () => {
  it.each<[string, unknown, string]>([
    ['an Error', new TypeError('bad state'), 'bad state'],
    ['a string', 'plain', 'plain'],
    ['a number', 42, '42'],
    ['undefined', undefined, 'undefined'],
  ])('reads the message of %s', (_what, err, message) => {
    expect(errorMessage(err)).toBe(message);
  });
});

describe('readServiceError', () => {
  const serviceError = Object.assign(new Error('5 NOT_FOUND: no such sandbox'), { code: status.NOT_FOUND, details: 'no such sandbox', metadata: new Metadata() });
  it.each<[string, unknown, { code: number | undefined; text: string }]>([
    ['a grpc-js ServiceError (details win)', serviceError, { code: status.NOT_FOUND, text: 'no such sandbox' }],
    ['an error with an empty details', { code: status.INTERNAL, details: '', message: 'fallback' }, { code: status.INTERNAL, text: 'fallback' }],
    ['an Error without a code', new Error('boom'), { code: undefined, text: 'boom' }],
    ['a non-numeric code', { code: 'ENOENT', message: 'gone' }, { code: undefined, text: 'gone' }],
    ['a string', 'oops', { code: undefined, text: 'oops' }],
    ['null', null, { code: undefined, text: 'null' }],
  ])('reads %s', (_what, err, parts) => {
    expect(readServiceError(err)).toEqual(parts);
  });
});

describe('reverseStatusTable', () => {
  const table = { NotFound: status.NOT_FOUND, Aborted: status.ABORTED, Internal: status.INTERNAL } as const;
  it.each([
    [status.NOT_FOUND, 'NotFound'],
    [status.ABORTED, 'Aborted'],
    [status.INTERNAL, 'Internal'],
    [status.UNKNOWN, undefined],
  ])('maps status %i back to %s', (code, name) => {
    expect(reverseStatusTable(table).get(code)).toBe(name);
  });
});
