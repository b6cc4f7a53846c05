import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { ECHO_PROTO, echoServiceDefinition, tempDir } from './echo-service.fixture';
import { findProtoFile, lazyPackageDefinition, PLUGIN_LOADER_OPTIONS } from './proto-loading';

describe('findProtoFile', () => {
  const dir = tempDir();
  const repo = join(dir, 'repo.proto');
  const packaged = join(dir, 'packaged.proto');
  const missing = join(dir, 'missing.proto');
  writeFileSync(repo, '');
  writeFileSync(packaged, '');
  const url = (p: string) => pathToFileURL(p);

  it.each([
    ['the repository copy when both exist', [repo, packaged], repo],
    ['the packaged copy when the repository one is missing', [missing, packaged], packaged],
  ])('returns %s', (_what, candidates, expected) => {
    expect(findProtoFile(candidates.map(url), '@bosun/x: x.proto')).toBe(expected);
  });

  it('names every place it looked when none exists', () => {
    expect(() => findProtoFile([url(missing), url(join(dir, 'nope.proto'))], '@bosun/x: x.proto')).toThrow(
      `@bosun/x: x.proto not found (looked in ${missing}, ${join(dir, 'nope.proto')})`,
    );
  });
});

describe('lazyPackageDefinition', () => {
  it('resolves and parses the proto once, on first use', () => {
    const path = join(tempDir(), 'echo.proto');
    writeFileSync(path, ECHO_PROTO);
    const where = vi.fn(() => path);
    const load = lazyPackageDefinition(where, PLUGIN_LOADER_OPTIONS);
    expect(where).not.toHaveBeenCalled();
    const first = load();
    expect(load()).toBe(first);
    expect(where).toHaveBeenCalledTimes(1);
    expect(Object.keys(first)).toContain('bosun.test.v1.Echo');
  });

  it('fails the use, not the import, and tries again on the next use', () => {
    const path = join(tempDir(), 'late.proto');
    const load = lazyPackageDefinition(() => path, PLUGIN_LOADER_OPTIONS);
    expect(() => load()).toThrow();
    writeFileSync(path, ECHO_PROTO);
    expect(Object.keys(load())).toContain('bosun.test.v1.Mirror');
  });
});

describe('PLUGIN_LOADER_OPTIONS', () => {
  const roundTrip = (value: object): Record<string, unknown> => {
    const echo = echoServiceDefinition().Echo!;
    return echo.requestDeserialize(echo.requestSerialize(value));
  };

  it.each<[string, object, Record<string, unknown>]>([
    ['fills proto3 defaults and leaves unset sub-messages null', {}, { text: '', size: 0, mood: 'MOOD_UNSPECIFIED', inner: null }],
    ['decodes int64 as a JS number', { size: 2 ** 40 }, { size: 2 ** 40 }],
    ['decodes enums as their names', { mood: 'HAPPY' }, { mood: 'HAPPY' }],
    ['names the oneof member present', { right: 'r' }, { right: 'r', pick: 'right' }],
    ['uses camelCase field names', { inner: { value: 'v' } }, { inner: { value: 'v' } }],
  ])('%s', (_what, input, expected) => {
    expect(roundTrip(input)).toMatchObject(expected);
  });
});
