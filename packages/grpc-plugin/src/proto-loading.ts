import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';

/**
 * How Bosun's plugin contracts decode messages, on both sides of the wire: camelCase field
 * names (`keepCase: false`), enums as their names, int64 as JS numbers (exact below 2^53),
 * every scalar filled with its proto3 default, unset sub-messages as `null`, and the
 * `oneofs` virtual field set to the name of the member present. A contract whose proto
 * relies on `optional` fields staying absent spreads this and sets `oneofs: false`.
 */
export const PLUGIN_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/**
 * The path of the first candidate file that exists. Contracts pass the repository's copy
 * of their proto first (the source of truth wins in tests and local builds), then the copy
 * their package ships; the URLs are built by the caller from its own `import.meta.url`.
 * Throws `<what> not found (looked in …)` when none exists, e.g. with
 * `what = '@bosun/cri: api.proto'`.
 */
export function findProtoFile(candidates: readonly URL[], what: string): string {
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  throw new Error(`${what} not found (looked in ${candidates.map((u) => fileURLToPath(u)).join(', ')})`);
}

/**
 * A loader that parses the proto at `path()` with `options` on its first call and returns
 * that same package definition on every later call. `path` is only called then, so a
 * missing proto fails the first use, not the import. A failed load is retried next call.
 */
export function lazyPackageDefinition(path: () => string, options: protoLoader.Options): () => protoLoader.PackageDefinition {
  let cached: protoLoader.PackageDefinition | undefined;
  return () => (cached ??= protoLoader.loadSync(path(), options));
}
