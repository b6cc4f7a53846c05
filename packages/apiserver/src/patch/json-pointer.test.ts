import { describe, expect, it } from 'vitest';
import { formatJsonPointer, parseJsonPointer } from './json-pointer';

describe('parseJsonPointer and formatJsonPointer', () => {
  it.each<[string, string[]]>([
    ['', []],
    ['/', ['']],
    ['/foo/0', ['foo', '0']],
    ['/a~1b', ['a/b']],
    ['/m~0n', ['m~n']],
    ['/~01', ['~1']],
    ['/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration', ['metadata', 'annotations', 'kubectl.kubernetes.io/last-applied-configuration']],
  ])('parses %j into its tokens and formats them back', (pointer, tokens) => {
    expect(parseJsonPointer(pointer)).toEqual(tokens);
    expect(formatJsonPointer(tokens)).toBe(pointer);
  });

  it.each([
    ['a/b', /must be empty or start with "\/"$/],
    ['/a~', /"~" must be followed by "0" or "1"$/],
    ['/a~2b', /"~" must be followed by "0" or "1"$/],
  ])('refuses the malformed pointer %j as a bad request', (pointer, message) => {
    expect(() => parseJsonPointer(pointer)).toThrow(message);
  });
});
