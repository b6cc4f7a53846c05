import { describe, expect, it } from 'vitest';
import { containerEnv, expandVars } from './env';

describe('expandVars', () => {
  const vars = new Map([['A', 'x'], ['INTERVAL', '5']]);
  it.each([
    ['a defined variable is replaced', '$(A)-y', 'x-y'],
    ['a variable inside text is replaced', '$(INTERVAL)_1', '5_1'],
    ['an unknown variable stays as written', '$(B)', '$(B)'],
    ['$$ escapes a dollar', '$$(A)', '$(A)'],
    ['an unterminated reference stays', '$(A', '$(A'],
    ['a lone dollar stays', 'a$b', 'a$b'],
  ])('%s', (_n, input, out) => expect(expandVars(input, vars)).toBe(out));

  it('expands env values against earlier variables only', () => {
    expect(containerEnv({ name: 'c', env: [{ name: 'B', value: '$(A)' }, { name: 'A', value: '1' }, { name: 'C', value: '$(A)2' }] })).toEqual([
      { key: 'B', value: '$(A)' },
      { key: 'A', value: '1' },
      { key: 'C', value: '12' },
    ]);
  });
});
