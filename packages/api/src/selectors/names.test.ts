import { describe, expect, it } from 'vitest';
import {
  isDns1123Label,
  isDns1123Subdomain,
  isLabelKey,
  isLabelValue,
  validateDns1123Label,
  validateDns1123Subdomain,
  validateLabelKey,
  validateLabelValue,
  validateQualifiedName,
} from './names';

const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe('validateDns1123Label', () => {
  it.each([
    ['nginx', []],
    ['my-name', []],
    ['123-abc', []],
    ['a'.repeat(63), []],
    ['a'.repeat(64), ['must be no more than 63 characters']],
    ['My-Name', [LABEL_MSG]],
    ['-a', [LABEL_MSG]],
    ['a-', [LABEL_MSG]],
    ['a.b', [LABEL_MSG]],
    ['', [LABEL_MSG]],
    ['A'.repeat(64), ['must be no more than 63 characters', LABEL_MSG]],
  ])('judges %j with %j', (value, errors) => {
    expect(validateDns1123Label(value)).toEqual(errors);
    expect(isDns1123Label(value)).toBe(errors.length === 0);
  });
});

describe('validateDns1123Subdomain', () => {
  it.each([
    ['example.com', []],
    ['nginx-7c5ddbdf54-abcde', []],
    ['a'.repeat(253), []],
    ['a'.repeat(254), ['must be no more than 253 characters']],
    ['Example.com', [SUBDOMAIN_MSG]],
    ['a..b', [SUBDOMAIN_MSG]],
    ['.a', [SUBDOMAIN_MSG]],
    ['a_b', [SUBDOMAIN_MSG]],
    ['', [SUBDOMAIN_MSG]],
  ])('judges %j with %j', (value, errors) => {
    expect(validateDns1123Subdomain(value)).toEqual(errors);
    expect(isDns1123Subdomain(value)).toBe(errors.length === 0);
  });

  it('counts length in UTF-8 bytes, as Go does', () => {
    expect(validateDns1123Label('é'.repeat(32))[0]).toBe('must be no more than 63 characters');
  });
});

describe('validateQualifiedName and validateLabelKey', () => {
  it.each([
    ['app', []],
    ['MyName', []],
    ['my.name', []],
    ['123-abc', []],
    ['app.kubernetes.io/name', []],
    ['example.com/My_Name', []],
    ['a'.repeat(63), []],
    ['a'.repeat(64), ['name part must be no more than 63 characters', ]],
    ['', ['name part must be non-empty', NAME_PART_MSG]],
    ['-app', [NAME_PART_MSG]],
    ['app_', [NAME_PART_MSG]],
    ['a b', [NAME_PART_MSG]],
    ['/app', ['prefix part must be non-empty']],
    ['Example.com/app', [`prefix part ${SUBDOMAIN_MSG}`]],
    ['example.com/', ['name part must be non-empty', NAME_PART_MSG]],
    [
      'a/b/c',
      [
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      ],
    ],
  ])('judges %j with %j', (key, errors) => {
    expect(validateQualifiedName(key)).toEqual(errors);
    expect(validateLabelKey(key)).toEqual(errors);
    expect(isLabelKey(key)).toBe(errors.length === 0);
  });
});

describe('validateLabelValue', () => {
  it.each([
    ['', []],
    ['nginx', []],
    ['My_Value-1.0', []],
    ['a'.repeat(63), []],
    ['a'.repeat(64), ['must be no more than 63 characters']],
    ['-x', [VALUE_MSG]],
    ['x.', [VALUE_MSG]],
    ['a/b', [VALUE_MSG]],
    ['a b', [VALUE_MSG]],
  ])('judges %j with %j', (value, errors) => {
    expect(validateLabelValue(value)).toEqual(errors);
    expect(isLabelValue(value)).toBe(errors.length === 0);
  });
});
