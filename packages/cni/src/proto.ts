import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';

/**
 * How Bosun decodes network contract messages, on both sides: camelCase fields, int64 as
 * JS numbers (bandwidth rates fit below 2^53), proto3 defaults filled in, unset
 * sub-messages as `null`, and unset `optional` fields (`IPConfig.interface`) absent.
 */
export const CNI_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: false,
};

/** Fully qualified name of the gRPC service. */
export const NETWORK_SERVICE = 'bosun.cni.v1.Network';

/**
 * Where `cni.proto` is: `proto/cni/cni.proto` at the repository root when running inside
 * the repository, else `proto/cni.proto` inside the published package (copied by tsup's
 * `onSuccess`). Throws when neither exists.
 */
export function cniProtoPath(): string {
  const candidates = [new URL('../../../proto/cni/cni.proto', import.meta.url), new URL('../proto/cni.proto', import.meta.url)];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  throw new Error(`@bosun/cni: cni.proto not found (looked in ${candidates.map((u) => fileURLToPath(u)).join(', ')})`);
}

let cached: protoLoader.PackageDefinition | undefined;

/** The loaded package definition (`bosun.cni.v1.Network` and its messages), loaded once. */
export function cniPackageDefinition(): protoLoader.PackageDefinition {
  cached ??= protoLoader.loadSync(cniProtoPath(), CNI_LOADER_OPTIONS);
  return cached;
}

/** Method name → definition of the Network service. */
export function cniServiceDefinition(): protoLoader.ServiceDefinition {
  return cniPackageDefinition()[NETWORK_SERVICE] as protoLoader.ServiceDefinition;
}
