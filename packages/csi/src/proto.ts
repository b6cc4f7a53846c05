import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CRI_LOADER_OPTIONS } from '@bosun/cri';
import * as protoLoader from '@grpc/proto-loader';

/**
 * How Bosun decodes CSI messages: the same options as CRI (camelCase fields, enums as
 * names, int64 as JS numbers — capacities are exact below 2^53 bytes, 8 PiB — proto3
 * defaults filled, unset sub-messages `null`, the `oneofs` virtual field set to the name
 * of the member present, e.g. `accessType: 'mount'`).
 */
export const CSI_LOADER_OPTIONS: protoLoader.Options = CRI_LOADER_OPTIONS;

/**
 * Where `csi.proto` is: `proto/csi/csi.proto` at the repository root when running inside
 * the repository, else `proto/csi.proto` inside the published package (copied there by
 * the tsup `onSuccess` step). Throws when neither exists.
 */
export function csiProtoPath(): string {
  const candidates = [new URL('../../../proto/csi/csi.proto', import.meta.url), new URL('../proto/csi.proto', import.meta.url)];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  throw new Error(`@bosun/csi: csi.proto not found (looked in ${candidates.map((u) => fileURLToPath(u)).join(', ')})`);
}

let cached: protoLoader.PackageDefinition | undefined;

/** The loaded CSI package definition (`csi.v1.Identity`, `csi.v1.Controller`, `csi.v1.Node`, messages), loaded once. */
export function csiPackageDefinition(): protoLoader.PackageDefinition {
  cached ??= protoLoader.loadSync(csiProtoPath(), CSI_LOADER_OPTIONS);
  return cached;
}

/** The three CSI services by short name. */
export type CsiServiceName = 'Identity' | 'Controller' | 'Node';

/** Fully qualified CSI service names, by short name. */
export const CSI_SERVICES: Readonly<Record<CsiServiceName, string>> = {
  Identity: 'csi.v1.Identity',
  Controller: 'csi.v1.Controller',
  Node: 'csi.v1.Node',
};

/** Service definition (RPC name → method definition) of one CSI service. */
export function csiServiceDefinition(service: CsiServiceName): protoLoader.ServiceDefinition {
  return csiPackageDefinition()[CSI_SERVICES[service]] as protoLoader.ServiceDefinition;
}

/**
 * The request fields upstream marks with its `csi_secret` option (Bosun's proto declares
 * no custom options, so the list lives here). All are `map<string,string> secrets`; the
 * redactor blanks every `secrets` map, whichever message it sits in.
 */
export const CSI_SECRET_FIELDS: readonly string[] = [
  'CreateVolumeRequest.secrets',
  'DeleteVolumeRequest.secrets',
  'ControllerPublishVolumeRequest.secrets',
  'ControllerUnpublishVolumeRequest.secrets',
  'ValidateVolumeCapabilitiesRequest.secrets',
  'NodeStageVolumeRequest.secrets',
  'NodePublishVolumeRequest.secrets',
  'NodeExpandVolumeRequest.secrets',
];

/** `NodePublishVolume` → `nodePublishVolume`: the domain name of a proto RPC. */
export function domainMethodName(rpc: string): string {
  return rpc.charAt(0).toLowerCase() + rpc.slice(1);
}
