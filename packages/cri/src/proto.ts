import { findProtoFile, lazyPackageDefinition, PLUGIN_LOADER_OPTIONS } from '@bosun/grpc-plugin';
import type * as protoLoader from '@grpc/proto-loader';

/**
 * How Bosun decodes CRI messages, everywhere (client, server, in-process):
 * camelCase field names (`keepCase: false`), enums as their names, int64 as JS numbers
 * (nanosecond timestamps lose precision below ~256 ns; sizes are exact below 2^53),
 * every scalar filled with its proto3 default, unset sub-messages as `null`: the shared
 * `PLUGIN_LOADER_OPTIONS` of `@bosun/grpc-plugin` (the same object).
 */
export const CRI_LOADER_OPTIONS: protoLoader.Options = PLUGIN_LOADER_OPTIONS;

/**
 * Where `api.proto` is: `proto/cri/api.proto` at the repository root when running inside
 * the repository (tests, `tsx`, a local build; the source of truth wins over any copy),
 * else `proto/api.proto` inside the published package (copied there by the tsup
 * `onSuccess` step). Throws when neither exists.
 */
export function criProtoPath(): string {
  return findProtoFile([new URL('../../../proto/cri/api.proto', import.meta.url), new URL('../proto/api.proto', import.meta.url)], '@bosun/cri: api.proto');
}

const loadCri = lazyPackageDefinition(criProtoPath, CRI_LOADER_OPTIONS);

/** The loaded CRI package definition (`runtime.v1.RuntimeService`, `runtime.v1.ImageService`, messages), loaded once. */
export function criPackageDefinition(): protoLoader.PackageDefinition {
  return loadCri();
}

/** Fully qualified service names. */
export const RUNTIME_SERVICE = 'runtime.v1.RuntimeService';
/** Fully qualified service names. */
export const IMAGE_SERVICE = 'runtime.v1.ImageService';

/** Service definition (method name → method definition) of one CRI service. */
export function criServiceDefinition(service: typeof RUNTIME_SERVICE | typeof IMAGE_SERVICE): protoLoader.ServiceDefinition {
  return criPackageDefinition()[service] as protoLoader.ServiceDefinition;
}
