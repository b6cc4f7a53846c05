import { describe, expect, it } from 'vitest';
import * as selectors from './index';

describe('the selectors barrel', () => {
  it.each([['validateDns1123Label'], ['validateDns1123Subdomain'], ['validateLabelKey'], ['validateLabelValue'], ['validateQualifiedName']])(
    'exports the name check %s as (value: string) => string[]',
    (name) => {
      const fn = (selectors as unknown as Record<string, (v: string) => string[]>)[name];
      expect(typeof fn).toBe('function');
      expect(fn('ok')).toEqual([]);
    },
  );
});
