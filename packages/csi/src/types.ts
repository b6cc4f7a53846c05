/**
 * CSI v1 messages as Bosun's decoder produces them (see `CSI_LOADER_OPTIONS`): camelCase
 * fields, enums as their names, int64 as numbers, maps as plain objects, unset
 * sub-messages `null`. Requests an impl receives have every field filled; requests a
 * caller builds may leave fields out ({@link CsiInput}).
 */

/** Deep-partial input form of a message: what callers may pass. */
export type CsiInput<T> = T extends readonly (infer U)[]
  ? readonly CsiInput<U>[]
  : T extends object
    ? { [K in keyof T]?: CsiInput<T[K]> | null }
    : T;

/** `map<string, string>`. */
export type StringMap = Record<string, string>;

/** `VolumeCapability.AccessMode.Mode`. */
export type AccessModeName =
  | 'UNKNOWN'
  | 'SINGLE_NODE_WRITER'
  | 'SINGLE_NODE_READER_ONLY'
  | 'MULTI_NODE_READER_ONLY'
  | 'MULTI_NODE_SINGLE_WRITER'
  | 'MULTI_NODE_MULTI_WRITER'
  | 'SINGLE_NODE_SINGLE_WRITER'
  | 'SINGLE_NODE_MULTI_WRITER';

/** How a workload will use a volume. Exactly one of `block`/`mount` is set; `accessType` names it. */
export interface VolumeCapability {
  block: Record<string, never> | null;
  mount: { fsType: string; mountFlags: string[]; volumeMountGroup: string } | null;
  accessMode: { mode: AccessModeName } | null;
  accessType?: 'block' | 'mount';
}

/** Bytes; 0 is "no bound". */
export interface CapacityRange {
  requiredBytes: number;
  limitBytes: number;
}

/** Topology segments, e.g. `{ 'topology.hostpath.csi.bosun.dev/node': 'node-1' }`. */
export interface Topology {
  segments: StringMap;
}

/** Where a new volume must (requisite) or should (preferred) be reachable from. */
export interface TopologyRequirement {
  requisite: Topology[];
  preferred: Topology[];
}

/** What a volume is pre-populated from. */
export interface VolumeContentSource {
  snapshot: { snapshotId: string } | null;
  volume: { volumeId: string } | null;
  type?: 'snapshot' | 'volume';
}

/** A provisioned volume. */
export interface Volume {
  capacityBytes: number;
  volumeId: string;
  volumeContext: StringMap;
  contentSource: VolumeContentSource | null;
  accessibleTopology: Topology[];
}

/** `PluginCapability.Service.Type`. */
export type PluginServiceCapability = 'UNKNOWN' | 'CONTROLLER_SERVICE' | 'VOLUME_ACCESSIBILITY_CONSTRAINTS';

/** One plugin capability (a service, or volume expansion). */
export interface PluginCapability {
  service: { type: PluginServiceCapability } | null;
  volumeExpansion: { type: 'UNKNOWN' | 'ONLINE' | 'OFFLINE' } | null;
  type?: 'service' | 'volumeExpansion';
}

/** `ControllerServiceCapability.RPC.Type`. */
export type ControllerCapabilityName =
  | 'UNKNOWN'
  | 'CREATE_DELETE_VOLUME'
  | 'PUBLISH_UNPUBLISH_VOLUME'
  | 'LIST_VOLUMES'
  | 'GET_CAPACITY'
  | 'CREATE_DELETE_SNAPSHOT'
  | 'LIST_SNAPSHOTS'
  | 'CLONE_VOLUME'
  | 'PUBLISH_READONLY'
  | 'EXPAND_VOLUME'
  | 'LIST_VOLUMES_PUBLISHED_NODES'
  | 'VOLUME_CONDITION'
  | 'GET_VOLUME';

/** `NodeServiceCapability.RPC.Type`. */
export type NodeCapabilityName = 'UNKNOWN' | 'STAGE_UNSTAGE_VOLUME' | 'GET_VOLUME_STATS' | 'EXPAND_VOLUME';

/** GetPluginInfo result. */
export interface GetPluginInfoResponse {
  name: string;
  vendorVersion: string;
  manifest: StringMap;
}
/** GetPluginCapabilities result. */
export interface GetPluginCapabilitiesResponse {
  capabilities: PluginCapability[];
}
/** Probe result; `ready` null means ready. */
export interface ProbeResponse {
  ready: { value: boolean } | null;
}

/** CreateVolume arguments. `secrets` is redacted from logs. */
export interface CreateVolumeRequest {
  name: string;
  capacityRange: CapacityRange | null;
  volumeCapabilities: VolumeCapability[];
  parameters: StringMap;
  secrets: StringMap;
  volumeContentSource: VolumeContentSource | null;
  accessibilityRequirements: TopologyRequirement | null;
}
/** CreateVolume result. */
export interface CreateVolumeResponse {
  volume: Volume | null;
}
/** DeleteVolume arguments. */
export interface DeleteVolumeRequest {
  volumeId: string;
  secrets: StringMap;
}
/** ControllerPublishVolume arguments. */
export interface ControllerPublishVolumeRequest {
  volumeId: string;
  nodeId: string;
  volumeCapability: VolumeCapability | null;
  readonly: boolean;
  secrets: StringMap;
  volumeContext: StringMap;
}
/** ControllerPublishVolume result. */
export interface ControllerPublishVolumeResponse {
  publishContext: StringMap;
}
/** ControllerUnpublishVolume arguments. */
export interface ControllerUnpublishVolumeRequest {
  volumeId: string;
  nodeId: string;
  secrets: StringMap;
}
/** ValidateVolumeCapabilities arguments. */
export interface ValidateVolumeCapabilitiesRequest {
  volumeId: string;
  volumeContext: StringMap;
  volumeCapabilities: VolumeCapability[];
  parameters: StringMap;
  secrets: StringMap;
}
/** ValidateVolumeCapabilities result: `confirmed` set only when every capability is supported. */
export interface ValidateVolumeCapabilitiesResponse {
  confirmed: { volumeContext: StringMap; volumeCapabilities: VolumeCapability[]; parameters: StringMap } | null;
  message: string;
}
/** ListVolumes arguments. */
export interface ListVolumesRequest {
  maxEntries: number;
  startingToken: string;
}
/** ListVolumes result. */
export interface ListVolumesResponse {
  entries: { volume: Volume | null }[];
  nextToken: string;
}
/** GetCapacity arguments. */
export interface GetCapacityRequest {
  volumeCapabilities: VolumeCapability[];
  parameters: StringMap;
  accessibleTopology: Topology | null;
}
/** GetCapacity result. */
export interface GetCapacityResponse {
  availableCapacity: number;
  maximumVolumeSize: { value: number } | null;
  minimumVolumeSize: { value: number } | null;
}
/** ControllerGetCapabilities result. */
export interface ControllerGetCapabilitiesResponse {
  capabilities: { rpc: { type: ControllerCapabilityName } | null; type?: 'rpc' }[];
}

/** NodeStageVolume arguments. */
export interface NodeStageVolumeRequest {
  volumeId: string;
  publishContext: StringMap;
  stagingTargetPath: string;
  volumeCapability: VolumeCapability | null;
  secrets: StringMap;
  volumeContext: StringMap;
}
/** NodeUnstageVolume arguments. */
export interface NodeUnstageVolumeRequest {
  volumeId: string;
  stagingTargetPath: string;
}
/** NodePublishVolume arguments. */
export interface NodePublishVolumeRequest {
  volumeId: string;
  publishContext: StringMap;
  stagingTargetPath: string;
  targetPath: string;
  volumeCapability: VolumeCapability | null;
  readonly: boolean;
  secrets: StringMap;
  volumeContext: StringMap;
}
/** NodeUnpublishVolume arguments. */
export interface NodeUnpublishVolumeRequest {
  volumeId: string;
  targetPath: string;
}
/** NodeGetVolumeStats arguments. */
export interface NodeGetVolumeStatsRequest {
  volumeId: string;
  volumePath: string;
  stagingTargetPath: string;
}
/** NodeGetVolumeStats result. */
export interface NodeGetVolumeStatsResponse {
  usage: { available: number; total: number; used: number; unit: 'UNKNOWN' | 'BYTES' | 'INODES' }[];
  volumeCondition: { abnormal: boolean; message: string } | null;
}
/** NodeExpandVolume arguments. */
export interface NodeExpandVolumeRequest {
  volumeId: string;
  volumePath: string;
  capacityRange: CapacityRange | null;
  stagingTargetPath: string;
  volumeCapability: VolumeCapability | null;
  secrets: StringMap;
}
/** NodeExpandVolume result. */
export interface NodeExpandVolumeResponse {
  capacityBytes: number;
}
/** NodeGetCapabilities result. */
export interface NodeGetCapabilitiesResponse {
  capabilities: { rpc: { type: NodeCapabilityName } | null; type?: 'rpc' }[];
}
/** NodeGetInfo result. */
export interface NodeGetInfoResponse {
  nodeId: string;
  maxVolumesPerNode: number;
  accessibleTopology: Topology | null;
}

type Empty = Record<string, never>;
type Res<T> = Promise<CsiInput<T>> | CsiInput<T>;

/**
 * What a plugin implements, by domain name (`NodePublishVolume` → `nodePublishVolume`).
 * Every method is optional: a missing one answers UNIMPLEMENTED. Throw a `CsiError` to
 * choose the gRPC status; anything else becomes INTERNAL. Methods must be idempotent as
 * the CSI spec requires (the same call twice has the effect of one).
 */
export interface CsiPluginImpl {
  getPluginInfo?(req: Empty): Res<GetPluginInfoResponse>;
  getPluginCapabilities?(req: Empty): Res<GetPluginCapabilitiesResponse>;
  probe?(req: Empty): Res<ProbeResponse>;
  createVolume?(req: CreateVolumeRequest): Res<CreateVolumeResponse>;
  deleteVolume?(req: DeleteVolumeRequest): Res<Empty> | Promise<void> | void;
  controllerPublishVolume?(req: ControllerPublishVolumeRequest): Res<ControllerPublishVolumeResponse>;
  controllerUnpublishVolume?(req: ControllerUnpublishVolumeRequest): Res<Empty> | Promise<void> | void;
  validateVolumeCapabilities?(req: ValidateVolumeCapabilitiesRequest): Res<ValidateVolumeCapabilitiesResponse>;
  listVolumes?(req: ListVolumesRequest): Res<ListVolumesResponse>;
  getCapacity?(req: GetCapacityRequest): Res<GetCapacityResponse>;
  controllerGetCapabilities?(req: Empty): Res<ControllerGetCapabilitiesResponse>;
  nodeStageVolume?(req: NodeStageVolumeRequest): Res<Empty> | Promise<void> | void;
  nodeUnstageVolume?(req: NodeUnstageVolumeRequest): Res<Empty> | Promise<void> | void;
  nodePublishVolume?(req: NodePublishVolumeRequest): Res<Empty> | Promise<void> | void;
  nodeUnpublishVolume?(req: NodeUnpublishVolumeRequest): Res<Empty> | Promise<void> | void;
  nodeGetVolumeStats?(req: NodeGetVolumeStatsRequest): Res<NodeGetVolumeStatsResponse>;
  nodeExpandVolume?(req: NodeExpandVolumeRequest): Res<NodeExpandVolumeResponse>;
  nodeGetCapabilities?(req: Empty): Res<NodeGetCapabilitiesResponse>;
  nodeGetInfo?(req: Empty): Res<NodeGetInfoResponse>;
}
