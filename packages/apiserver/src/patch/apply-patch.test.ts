import { describe, expect, it } from 'vitest';
import { isApiError, type KubeObject } from '@bosun/api';
import { applyPatch, type PatchFormat } from './index';

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels: { app: 'a' } },
  spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] },
};
const widget: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { items: [{ name: 'a', v: 1 }, { name: 'b', v: 1 }] } };

describe('applyPatch', () => {
  it.each<[string, KubeObject, unknown, PatchFormat, unknown]>([
    ['merges containers by name for a strategic patch', pod, { spec: { containers: [{ name: 'b', image: 'b:2' }] } }, 'strategic', { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:2' }] }],
    ['replaces lists for a merge patch', pod, { spec: { containers: [{ name: 'b', image: 'b:2' }] } }, 'merge', { containers: [{ name: 'b', image: 'b:2' }] }],
    ['reads a JSON patch from its text', pod, '[{"op":"replace","path":"/spec/containers/0/image","value":"a:2"}]', 'json', { containers: [{ name: 'a', image: 'a:2' }, { name: 'b', image: 'b:1' }] }],
    ['reads a merge patch from its text', widget, '{"spec":{"items":[]}}', 'merge', { items: [] }],
  ])('%s', (_name, target, patch, format, spec) => {
    expect(applyPatch(target, patch, format).spec).toEqual(spec);
  });

  it.each<[string, KubeObject, unknown, PatchFormat, string, RegExp]>([
    ['refuses a strategic patch of a custom kind with 415', widget, { spec: {} }, 'strategic', 'UnsupportedMediaType', /^strategic merge patch is not supported for custom resources/],
    ['refuses a body that is not JSON with 400', pod, '{', 'merge', 'BadRequest', /^merge patch is not valid JSON/],
    ['answers a failed JSON patch test with 422', pod, [{ op: 'test', path: '/metadata/name', value: 'q' }], 'json', 'Invalid', /test operation failed at \/metadata\/name: expected "q", found "p"$/],
    ['refuses an unknown patch format with 415', pod, {}, 'apply' as PatchFormat, 'UnsupportedMediaType', /unsupported patch type "apply"/],
  ])('%s', (_name, target, patch, format, reason, message) => {
    try {
      applyPatch(target, patch, format);
      expect.unreachable();
    } catch (e) {
      expect(isApiError(e) && e.reason).toBe(reason);
      expect((e as Error).message).toMatch(message);
    }
  });

  it('uses the schema it is given, e.g. one a custom kind registers', () => {
    const schema = { fields: { spec: { schema: { fields: { items: { patchStrategy: 'merge', patchMergeKey: 'name' } as const } } } } };
    expect(applyPatch(widget, { spec: { items: [{ name: 'b', v: 2 }] } }, 'strategic', { schema }).spec).toEqual({ items: [{ name: 'a', v: 1 }, { name: 'b', v: 2 }] });
  });
});
