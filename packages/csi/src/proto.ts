import { findProtoFile, lazyPackageDefinition, PLUGIN_LOADER_OPTIONS } from '@bosun/grpc-plugin';
import type * as protoLoader from '@grpc/proto-loader';

/**
 * How Bosun decodes CSI messages: the shared `PLUGIN_LOADER_OPTIONS` of
 * `@bosun/grpc-plugin`, the same as CRI's (camelCase fields, enums as names, int64 as JS
 * numbers — capacities are exact below 2^53 bytes, 8 PiB — proto3 defaults filled, unset
 * sub-messages `null`, the `oneofs` virtual field set to the name of the member present,
 * e.g. `accessType: 'mount'`).
 */
export const CSI_LOADER_OPTIONS: protoLoader.Options = PLUGIN_LOADER_OPTIONS;

/**
 * Where `csi.proto` is: `proto/csi/csi.proto` at the repository root when running inside
 * the repository, else `proto/csi.proto` inside the published package (copied there by
 * the tsup `onSuccess` step). Throws when neither exists.
 */
export function csiProtoPath(): string {
  return findProtoFile([new URL('../../../proto/csi/csi.proto', import.meta.url), new URL('../proto/csi.proto', import.meta.url)], '@bosun/csi: csi.proto');
}

const loadCsi = lazyPackageDefinition(csiProtoPath, CSI_LOADER_OPTIONS);

/** The loaded CSI package definition (`csi.v1.Identity`, `csi.v1.Controller`, `csi.v1.Node`, messages), loaded once. */
export function csiPackageDefinition(): protoLoader.PackageDefinition {
  return loadCsi();
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
