import { createServiceClients, invokeUnary, pluginChannelOptions, type PluginCallOptions } from '@bosun/grpc-plugin';
import { CsiError, csiErrorFromServiceError } from './errors';
import { CSI_SERVICES, csiPackageDefinition, type CsiServiceName } from './proto';
import type {
  ControllerCapabilityName,
  ControllerPublishVolumeRequest,
  CreateVolumeRequest,
  CsiInput,
  GetCapacityRequest,
  GetCapacityResponse,
  GetPluginInfoResponse,
  ListVolumesResponse,
  NodeCapabilityName,
  NodeExpandVolumeRequest,
  NodeGetInfoResponse,
  NodeGetVolumeStatsResponse,
  NodePublishVolumeRequest,
  NodeStageVolumeRequest,
  PluginCapability,
  StringMap,
  ValidateVolumeCapabilitiesRequest,
  ValidateVolumeCapabilitiesResponse,
  Volume,
} from './types';

/** Per-call options: `deadlineMs` overrides the client default; aborting `signal` cancels the call (it then rejects with `Cancelled`). */
export interface CsiCallOptions extends PluginCallOptions {}

/** Options of {@link createCsiClient}. */
export interface CsiClientOptions {
  /** Default deadline of every call, in milliseconds. Default 30 000. */
  deadlineMs?: number;
  /**
   * Wait for the connection instead of failing fast while the plugin is down or
   * restarting (gRPC wait-for-ready; grpc-js reconnects with exponential backoff). The
   * deadline still bounds each call. Default true.
   */
  waitForReady?: boolean;
  /** Cap of grpc-js's reconnect backoff, in milliseconds. Default 5 000. */
  maxReconnectBackoffMs?: number;
}

/** The Identity service. Every method rejects with a {@link CsiError}. */
export interface IdentityClient {
  /** Plugin name (DNS-style) and vendor version. */
  getPluginInfo(opts?: CsiCallOptions): Promise<GetPluginInfoResponse>;
  /** Plugin capabilities (CONTROLLER_SERVICE, VOLUME_ACCESSIBILITY_CONSTRAINTS, expansion). */
  getPluginCapabilities(opts?: CsiCallOptions): Promise<PluginCapability[]>;
  /** True when ready; an unset `ready` counts as ready, as the spec says. */
  probe(opts?: CsiCallOptions): Promise<boolean>;
}

/** The Controller service with domain names. Every method rejects with a {@link CsiError}. */
export interface ControllerClient {
  /** Provisions a volume, idempotent by `name`; resolves with the volume. */
  createVolume(req: CsiInput<CreateVolumeRequest>, opts?: CsiCallOptions): Promise<Volume>;
  /** Deprovisions a volume; an unknown id succeeds. */
  deleteVolume(volumeId: string, secrets?: StringMap, opts?: CsiCallOptions): Promise<void>;
  /** Attaches a volume to a node; resolves with the publish context for the node calls. */
  publishVolume(req: CsiInput<ControllerPublishVolumeRequest>, opts?: CsiCallOptions): Promise<StringMap>;
  /** Detaches a volume from a node (every node when `nodeId` is empty). */
  unpublishVolume(volumeId: string, nodeId?: string, secrets?: StringMap, opts?: CsiCallOptions): Promise<void>;
  /** Whether the volume supports the capabilities (`confirmed` set) or why not (`message`). */
  validateVolumeCapabilities(req: CsiInput<ValidateVolumeCapabilitiesRequest>, opts?: CsiCallOptions): Promise<ValidateVolumeCapabilitiesResponse>;
  /** One page of volumes. */
  listVolumes(maxEntries?: number, startingToken?: string, opts?: CsiCallOptions): Promise<ListVolumesResponse>;
  /** Space left for new volumes. */
  getCapacity(req?: CsiInput<GetCapacityRequest>, opts?: CsiCallOptions): Promise<GetCapacityResponse>;
  /** The controller RPC capabilities, by name. */
  getCapabilities(opts?: CsiCallOptions): Promise<ControllerCapabilityName[]>;
}

/** The Node service with domain names. Every method rejects with a {@link CsiError}. */
export interface NodeClient {
  /** Stages a volume at `stagingTargetPath` (once per node); idempotent. */
  stageVolume(req: CsiInput<NodeStageVolumeRequest>, opts?: CsiCallOptions): Promise<void>;
  /** Undoes {@link NodeClient.stageVolume}; succeeds when not staged. */
  unstageVolume(volumeId: string, stagingTargetPath: string, opts?: CsiCallOptions): Promise<void>;
  /** Makes the volume visible at `targetPath`; idempotent. */
  publishVolume(req: CsiInput<NodePublishVolumeRequest>, opts?: CsiCallOptions): Promise<void>;
  /** Undoes {@link NodeClient.publishVolume}; succeeds when not published. */
  unpublishVolume(volumeId: string, targetPath: string, opts?: CsiCallOptions): Promise<void>;
  /** Usage of a published or staged volume. */
  getVolumeStats(volumeId: string, volumePath: string, opts?: CsiCallOptions): Promise<NodeGetVolumeStatsResponse>;
  /** Grows the filesystem of a volume on this node; resolves with the new capacity. */
  expandVolume(req: CsiInput<NodeExpandVolumeRequest>, opts?: CsiCallOptions): Promise<number>;
  /** The node RPC capabilities, by name. */
  getCapabilities(opts?: CsiCallOptions): Promise<NodeCapabilityName[]>;
  /** Node id (what ControllerPublishVolume is given) and topology. */
  getInfo(opts?: CsiCallOptions): Promise<NodeGetInfoResponse>;
}

/** The three CSI services over one connection. */
export interface CsiClient {
  readonly identity: IdentityClient;
  readonly controller: ControllerClient;
  readonly node: NodeClient;
  /** Closes the connection; calls in flight are cancelled. */
  close(): void;
}

type Invoke = (service: CsiServiceName, rpc: string, request: unknown, opts: CsiCallOptions | undefined) => Promise<any>;

const done = (): void => undefined;
const rpcNames = (x: { capabilities: { rpc: { type: string } | null }[] }) =>
  x.capabilities.flatMap((c) => (c.rpc ? [c.rpc.type] : [])) as any[];

function build(invoke: Invoke, close: () => void): CsiClient {
  const id = (rpc: string, opts?: CsiCallOptions) => invoke('Identity', rpc, {}, opts);
  const c = (rpc: string, req: unknown, opts?: CsiCallOptions) => invoke('Controller', rpc, req, opts);
  const n = (rpc: string, req: unknown, opts?: CsiCallOptions) => invoke('Node', rpc, req, opts);
  return {
    identity: {
      getPluginInfo: (opts) => id('GetPluginInfo', opts),
      getPluginCapabilities: (opts) => id('GetPluginCapabilities', opts).then((x) => x.capabilities),
      probe: (opts) => id('Probe', opts).then((x) => x.ready?.value ?? true),
    },
    controller: {
      createVolume: (req, opts) => c('CreateVolume', req, opts).then((x) => x.volume),
      deleteVolume: (volumeId, secrets = {}, opts) => c('DeleteVolume', { volumeId, secrets }, opts).then(done),
      publishVolume: (req, opts) => c('ControllerPublishVolume', req, opts).then((x) => x.publishContext),
      unpublishVolume: (volumeId, nodeId = '', secrets = {}, opts) => c('ControllerUnpublishVolume', { volumeId, nodeId, secrets }, opts).then(done),
      validateVolumeCapabilities: (req, opts) => c('ValidateVolumeCapabilities', req, opts),
      listVolumes: (maxEntries = 0, startingToken = '', opts) => c('ListVolumes', { maxEntries, startingToken }, opts),
      getCapacity: (req = {}, opts) => c('GetCapacity', req, opts),
      getCapabilities: (opts) => c('ControllerGetCapabilities', {}, opts).then(rpcNames),
    },
    node: {
      stageVolume: (req, opts) => n('NodeStageVolume', req, opts).then(done),
      unstageVolume: (volumeId, stagingTargetPath, opts) => n('NodeUnstageVolume', { volumeId, stagingTargetPath }, opts).then(done),
      publishVolume: (req, opts) => n('NodePublishVolume', req, opts).then(done),
      unpublishVolume: (volumeId, targetPath, opts) => n('NodeUnpublishVolume', { volumeId, targetPath }, opts).then(done),
      getVolumeStats: (volumeId, volumePath, opts) => n('NodeGetVolumeStats', { volumeId, volumePath }, opts),
      expandVolume: (req, opts) => n('NodeExpandVolume', req, opts).then((x) => x.capacityBytes),
      getCapabilities: (opts) => n('NodeGetCapabilities', {}, opts).then(rpcNames),
      getInfo: (opts) => n('NodeGetInfo', {}, opts),
    },
    close,
  };
}

/**
 * A client for a CSI plugin at `endpoint` (`unix:///run/csi/socket`, `/run/csi/socket`
 * or `host:port`). Connects lazily; grpc-js reconnects with backoff when the plugin
 * restarts, and with `waitForReady` (the default) calls wait for the connection up to
 * their deadline instead of failing at once. Errors are {@link CsiError}s whose message
 * is the plugin's status message; requests (and so secrets) never enter them.
 */
export function createCsiClient(endpoint: string, options: CsiClientOptions = {}): CsiClient {
  const { clients, close } = createServiceClients(
    csiPackageDefinition(),
    endpoint,
    CSI_SERVICES,
    pluginChannelOptions({ maxReconnectBackoffMs: options.maxReconnectBackoffMs }),
  );
  const defaultDeadline = options.deadlineMs ?? 30_000;
  const waitForReady = options.waitForReady ?? true;
  const invoke: Invoke = (service, rpc, request, opts) => {
    const method = `${service}/${rpc}`;
    return invokeUnary(clients[service], rpc, request, {
      timeoutMs: opts?.deadlineMs ?? defaultDeadline,
      waitForReady,
      signal: opts?.signal,
      toError: (err) => csiErrorFromServiceError(err, method),
      abortedError: (reason) => new CsiError('Cancelled', `${method}: aborted`, { method, cause: reason }),
    });
  };
  return build(invoke, close);
}
