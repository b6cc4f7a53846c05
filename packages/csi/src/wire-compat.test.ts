import { describe, expect, it } from 'vitest';
import * as protoLoader from '@grpc/proto-loader';
import { csiProtoPath, csiServiceDefinition } from './proto';

// Facts transcribed from upstream container-storage-interface/spec csi.proto (v1):
// message, field name, field number, protobuf type (TYPE_* of FieldDescriptorProto).
const fields: [string, string, number, string][] = [
  ['GetPluginInfoResponse', 'name', 1, 'TYPE_STRING'],
  ['GetPluginInfoResponse', 'vendor_version', 2, 'TYPE_STRING'],
  ['ProbeResponse', 'ready', 1, 'TYPE_MESSAGE'],
  ['CreateVolumeRequest', 'name', 1, 'TYPE_STRING'],
  ['CreateVolumeRequest', 'capacity_range', 2, 'TYPE_MESSAGE'],
  ['CreateVolumeRequest', 'volume_capabilities', 3, 'TYPE_MESSAGE'],
  ['CreateVolumeRequest', 'secrets', 5, 'TYPE_MESSAGE'],
  ['CreateVolumeRequest', 'accessibility_requirements', 7, 'TYPE_MESSAGE'],
  ['CapacityRange', 'required_bytes', 1, 'TYPE_INT64'],
  ['CapacityRange', 'limit_bytes', 2, 'TYPE_INT64'],
  ['Volume', 'capacity_bytes', 1, 'TYPE_INT64'],
  ['Volume', 'volume_id', 2, 'TYPE_STRING'],
  ['Volume', 'accessible_topology', 5, 'TYPE_MESSAGE'],
  ['VolumeCapability', 'block', 1, 'TYPE_MESSAGE'],
  ['VolumeCapability', 'mount', 2, 'TYPE_MESSAGE'],
  ['VolumeCapability', 'access_mode', 3, 'TYPE_MESSAGE'],
  ['DeleteVolumeRequest', 'secrets', 2, 'TYPE_MESSAGE'],
  ['ControllerPublishVolumeRequest', 'readonly', 4, 'TYPE_BOOL'],
  ['ValidateVolumeCapabilitiesRequest', 'volume_capabilities', 3, 'TYPE_MESSAGE'],
  ['NodeStageVolumeRequest', 'staging_target_path', 3, 'TYPE_STRING'],
  ['NodeStageVolumeRequest', 'volume_context', 6, 'TYPE_MESSAGE'],
  ['NodePublishVolumeRequest', 'target_path', 4, 'TYPE_STRING'],
  ['NodePublishVolumeRequest', 'readonly', 6, 'TYPE_BOOL'],
  ['NodePublishVolumeRequest', 'secrets', 7, 'TYPE_MESSAGE'],
  ['NodePublishVolumeRequest', 'volume_context', 8, 'TYPE_MESSAGE'],
  ['NodeUnpublishVolumeRequest', 'target_path', 2, 'TYPE_STRING'],
  ['NodeGetInfoResponse', 'node_id', 1, 'TYPE_STRING'],
  ['NodeGetInfoResponse', 'max_volumes_per_node', 2, 'TYPE_INT64'],
  ['NodeGetInfoResponse', 'accessible_topology', 3, 'TYPE_MESSAGE'],
];

const enums: [string, string, number][] = [
  ['VolumeCapability.AccessMode.Mode', 'SINGLE_NODE_WRITER', 1],
  ['VolumeCapability.AccessMode.Mode', 'MULTI_NODE_MULTI_WRITER', 5],
  ['VolumeCapability.AccessMode.Mode', 'SINGLE_NODE_MULTI_WRITER', 7],
  ['PluginCapability.Service.Type', 'VOLUME_ACCESSIBILITY_CONSTRAINTS', 2],
  ['ControllerServiceCapability.RPC.Type', 'PUBLISH_READONLY', 8],
  ['ControllerServiceCapability.RPC.Type', 'GET_VOLUME', 12],
  ['NodeServiceCapability.RPC.Type', 'STAGE_UNSTAGE_VOLUME', 1],
];

type Msg = { name?: string; field: { name: string; number: number; type: string }[]; nestedType: Msg[]; enumType: { name: string; value: { name: string; number: number }[] }[] };
type Desc = { type: Msg };
// keepCase: the descriptor keeps the proto's own (upstream snake_case) field names.
const raw = protoLoader.loadSync(csiProtoPath(), { keepCase: true });
const def = (name: string) => raw[`csi.v1.${name}`] as unknown as Desc;

describe('proto/csi/csi.proto is wire-compatible with CSI v1', () => {
  it.each(fields)('%s.%s is field %i of type %s', (msg, field, number, type) => {
    const f = def(msg).type.field.find((x) => x.name === field);
    expect(f).toMatchObject({ number, type });
  });

  it.each(enums)('%s.%s is %i', (e, name, number) => {
    const [top, ...path] = e.split('.');
    const enumName = path.pop()!;
    let msg = def(top!).type;
    for (const nested of path) msg = msg.nestedType.find((x) => x.name === nested)!;
    const en = msg.enumType.find((x) => x.name === enumName);
    expect(en?.value.find((v) => v.name === name)?.number).toBe(number);
  });

  it.each<[string, string[]]>([
    ['Identity', ['GetPluginInfo', 'GetPluginCapabilities', 'Probe']],
    ['Controller', ['CreateVolume', 'DeleteVolume', 'ControllerPublishVolume', 'ControllerUnpublishVolume', 'ValidateVolumeCapabilities', 'ControllerGetCapabilities']],
    ['Node', ['NodeStageVolume', 'NodeUnstageVolume', 'NodePublishVolume', 'NodeUnpublishVolume', 'NodeGetInfo', 'NodeGetCapabilities']],
  ])('csi.v1.%s serves its RPCs at the upstream paths', (service, rpcs) => {
    const svc = csiServiceDefinition(service as 'Node');
    for (const rpc of rpcs) expect(svc[rpc]?.path).toBe(`/csi.v1.${service}/${rpc}`);
  });
});
