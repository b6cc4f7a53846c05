import { ApiError } from '@bosun/api';

/**
 * Splits a JSON Pointer (RFC 6901) into its unescaped reference tokens: `''` is the whole
 * document (`[]`), `/a~1b/~0c` is `['a/b', '~c']`. `~1` is decoded before `~0`, so `~01`
 * stays the two characters `~1`.
 *
 * @throws ApiError BadRequest when the pointer neither is empty nor starts with `/`, or
 * holds a `~` not followed by `0` or `1`.
 */
export function parseJsonPointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw ApiError.badRequest(`invalid JSON pointer ${JSON.stringify(pointer)}: must be empty or start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~(?![01])/.test(token)) throw ApiError.badRequest(`invalid JSON pointer ${JSON.stringify(pointer)}: "~" must be followed by "0" or "1"`);
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

/** Builds a JSON Pointer from reference tokens, escaping `~` as `~0` and `/` as `~1`. */
export function formatJsonPointer(tokens: readonly string[]): string {
  return tokens.map((t) => `/${t.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
