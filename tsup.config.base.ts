import { defineConfig, type Options } from 'tsup';

/**
 * The one tsup config every package uses: ESM + .d.ts from `src/index.ts`
 * (plus any extra entries a package names, e.g. a `testing` subpath).
 */
export function bosunPackage(entries: Record<string, string> = { index: 'src/index.ts' }, extra: Options = {}) {
  return defineConfig({
    entry: entries,
    format: ['esm'],
    target: 'node20',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: true,
    treeshake: true,
    ...extra,
  });
}
