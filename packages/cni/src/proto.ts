import { findProtoFile, lazyPackageDefinition, PLUGIN_LOADER_OPTIONS } from '@bosun/grpc-plugin';
import type * as protoLoader from '@grpc/proto-loader';

/**
 * How Bosun decodes network contract messages, on both sides: camelCase fields, int64 as
 * JS numbers (bandwidth rates fit below 2^53), proto3 defaults filled in, unset
 * sub-messages as `null`, and unset `optional` fields (`IPConfig.interface`) absent: the
 * shared `PLUGIN_LOADER_OPTIONS` of `@bosun/grpc-plugin` with `oneofs: false`.
 */
export const CNI_LOADER_OPTIONS: protoLoader.Options = { ...PLUGIN_LOADER_OPTIONS, oneofs: false };

/** Fully qualified name of the gRPC service. */
export const NETWORK_SERVICE = 'bosun.cni.v1.Network';

/**
 * Where `cni.proto` is: `proto/cni/cni.proto` at the repository root when running inside
 * the repository, else `proto/cni.proto` inside the published package (copied by tsup's
 * `onSuccess`). Throws when neither exists.
 */
export function cniProtoPath(): string {
  return findProtoFile([new URL('../../../proto/cni/cni.proto', import.meta.url), new URL('../proto/cni.proto', import.meta.url)], '@bosun/cni: cni.proto');
}

const loadCni = lazyPackageDefinition(cniProtoPath, CNI_LOADER_OPTIONS);

/** The loaded package definition (`bosun.cni.v1.Network` and its messages), loaded once. */
export function cniPackageDefinition(): protoLoader.PackageDefinition {
  return loadCni();
}

/** Method name → definition of the Network service. */
export function cniServiceDefinition(): protoLoader.ServiceDefinition {
  return cniPackageDefinition()[NETWORK_SERVICE] as protoLoader.ServiceDefinition;
}
