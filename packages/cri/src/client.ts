import {
  createServiceClients,
  errorMessage,
  findDomainMethod,
  normalizeEndpoint,
  pluginChannelOptions,
  type PluginCallOptions,
  type UnaryCaller,
  unaryCaller,
} from '@bosun/grpc-plugin';
import { CriError, fromServiceError, isCriError } from './errors';
import { inProcessMethodCodec } from './in-process-codec';
import { criPackageDefinition, criServiceDefinition, IMAGE_SERVICE, RUNTIME_SERVICE } from './proto';
import type {
  AuthConfig,
  Container,
  ContainerConfig,
  ContainerFilter,
  ContainerStats,
  ContainerStatsFilter,
  ContainerStatusResponse,
  CriInput,
  CriServiceImpl,
  ExecSyncResponse,
  FilesystemUsage,
  Image,
  ImageSpec,
  ImageStatusResponse,
  LinuxContainerResources,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStatusResponse,
  RuntimeConfig,
  StatusResponse,
  VersionResponse,
} from './types';

/** Per-call options: `deadlineMs` overrides the client default; aborting `signal` cancels the call (it then rejects with `Cancelled`). */
export interface CriCallOptions extends PluginCallOptions {}

/** Options of {@link createCriClient}. */
export interface CriClientOptions {
  /** Default deadline of every call, in milliseconds. Default 30 000 (ExecSync adds its own timeout). */
  deadlineMs?: number;
  /**
   * Wait for the connection instead of failing fast while the runtime is down or
   * restarting (gRPC wait-for-ready; grpc-js reconnects with exponential backoff).
   * The deadline still bounds each call. Default true.
   */
  waitForReady?: boolean;
  /** Cap of grpc-js's reconnect backoff, in milliseconds. Default 5 000. */
  maxReconnectBackoffMs?: number;
}

/** RuntimeService with domain method names. Every method rejects with a {@link CriError}. */
export interface RuntimeClient {
  /** Runtime name and version; `runtimeApiVersion` is `v1`. */
  version(opts?: CriCallOptions): Promise<VersionResponse>;
  /** Runtime conditions (RuntimeReady, NetworkReady). */
  status(verbose?: boolean, opts?: CriCallOptions): Promise<StatusResponse>;
  /** Creates and starts a sandbox; resolves with its id. */
  runPodSandbox(config: CriInput<PodSandboxConfig>, runtimeHandler?: string, opts?: CriCallOptions): Promise<string>;
  /** Stops a sandbox (idempotent; unknown ids succeed). */
  stopPodSandbox(podSandboxId: string, opts?: CriCallOptions): Promise<void>;
  /** Removes a sandbox and its containers (idempotent; unknown ids succeed). */
  removePodSandbox(podSandboxId: string, opts?: CriCallOptions): Promise<void>;
  /** Status of one sandbox; `NotFound` for an unknown id. */
  podSandboxStatus(podSandboxId: string, verbose?: boolean, opts?: CriCallOptions): Promise<PodSandboxStatusResponse>;
  /** Sandboxes matching the filter (fields ANDed). */
  listPodSandbox(filter?: CriInput<PodSandboxFilter>, opts?: CriCallOptions): Promise<PodSandbox[]>;
  /** Creates a container in a sandbox; resolves with its id. */
  createContainer(podSandboxId: string, config: CriInput<ContainerConfig>, sandboxConfig?: CriInput<PodSandboxConfig>, opts?: CriCallOptions): Promise<string>;
  /** Starts a created container. */
  startContainer(containerId: string, opts?: CriCallOptions): Promise<void>;
  /**
   * SIGTERM, then SIGKILL after `timeoutSeconds`; resolves once the container exited.
   * The call deadline is extended by the timeout.
   */
  stopContainer(containerId: string, timeoutSeconds: number, opts?: CriCallOptions): Promise<void>;
  /** Removes a container (idempotent). */
  removeContainer(containerId: string, opts?: CriCallOptions): Promise<void>;
  /** Containers matching the filter (fields ANDed). */
  listContainers(filter?: CriInput<ContainerFilter>, opts?: CriCallOptions): Promise<Container[]>;
  /** Status of one container; `NotFound` for an unknown id. */
  containerStatus(containerId: string, verbose?: boolean, opts?: CriCallOptions): Promise<ContainerStatusResponse>;
  /** Updates the resources of a live container. */
  updateContainerResources(containerId: string, linux: CriInput<LinuxContainerResources>, opts?: CriCallOptions): Promise<void>;
  /** Reopens the container's log file (after rotation). */
  reopenContainerLog(containerId: string, opts?: CriCallOptions): Promise<void>;
  /** Runs `cmd` in the container; `timeoutSeconds` 0 means no limit. The call deadline is extended by the timeout. */
  execSync(containerId: string, cmd: readonly string[], timeoutSeconds?: number, opts?: CriCallOptions): Promise<ExecSyncResponse>;
  /** Resource usage of one container. */
  containerStats(containerId: string, opts?: CriCallOptions): Promise<ContainerStats>;
  /** Resource usage of the containers matching the filter. */
  listContainerStats(filter?: CriInput<ContainerStatsFilter>, opts?: CriCallOptions): Promise<ContainerStats[]>;
  /** Pushes the node's runtime config (pod CIDR). */
  updateRuntimeConfig(runtimeConfig: CriInput<RuntimeConfig>, opts?: CriCallOptions): Promise<void>;
}

/** ImageService with domain method names. `image` may be a reference string or an ImageSpec. */
export interface ImageClient {
  /** Images, optionally only those matching `filter`. */
  listImages(filter?: string | CriInput<ImageSpec>, opts?: CriCallOptions): Promise<Image[]>;
  /** The image, or `null` when it is not present. */
  imageStatus(image: string | CriInput<ImageSpec>, verbose?: boolean, opts?: CriCallOptions): Promise<ImageStatusResponse>;
  /** Pulls the image; resolves with the image reference (id) the runtime will use. */
  pullImage(image: string | CriInput<ImageSpec>, auth?: CriInput<AuthConfig>, sandboxConfig?: CriInput<PodSandboxConfig>, opts?: CriCallOptions): Promise<string>;
  /** Removes the image (idempotent). */
  removeImage(image: string | CriInput<ImageSpec>, opts?: CriCallOptions): Promise<void>;
  /** Usage of the image filesystem(s). */
  imageFsInfo(opts?: CriCallOptions): Promise<FilesystemUsage[]>;
}

/** Both CRI services over one connection. */
export interface CriClient {
  readonly runtime: RuntimeClient;
  readonly image: ImageClient;
  /** Closes the connection; calls in flight are cancelled. */
  close(): void;
}

/**
 * One call of either client kind. `pick` (a module-level function, never a per-call
 * closure) maps the response before the promise resolves, so the wire client saves a
 * `.then` hop per call.
 */
type Invoke = (
  service: 'RuntimeService' | 'ImageService',
  rpc: string,
  request: unknown,
  opts: CriCallOptions | undefined,
  extraMs: number,
  pick: ((response: any) => unknown) | undefined,
) => Promise<any>;

const spec = (image: string | CriInput<ImageSpec>): CriInput<ImageSpec> => (typeof image === 'string' ? { image } : image);

// Response picks, shared by every call.
const done = (): void => undefined;
const podSandboxId = (x: { podSandboxId: string }) => x.podSandboxId;
const items = (x: { items: PodSandbox[] }) => x.items;
const containerId = (x: { containerId: string }) => x.containerId;
const containers = (x: { containers: Container[] }) => x.containers;
const stats = <T>(x: { stats: T }) => x.stats;
const images = (x: { images: Image[] }) => x.images;
const imageRef = (x: { imageRef: string }) => x.imageRef;
const imageFilesystems = (x: { imageFilesystems: FilesystemUsage[] }) => x.imageFilesystems;
const VERSION_REQUEST = Object.freeze({ version: 'v1' });

function build(invoke: Invoke, close: () => void): CriClient {
  const r = (rpc: string, req: unknown, opts: CriCallOptions | undefined, pick?: (response: any) => unknown, extraMs = 0) =>
    invoke('RuntimeService', rpc, req, opts, extraMs, pick);
  const i = (rpc: string, req: unknown, opts: CriCallOptions | undefined, pick?: (response: any) => unknown) => invoke('ImageService', rpc, req, opts, 0, pick);
  const runtime: RuntimeClient = {
    version: (opts) => r('Version', VERSION_REQUEST, opts),
    status: (verbose = false, opts) => r('Status', { verbose }, opts),
    runPodSandbox: (config, runtimeHandler = '', opts) => r('RunPodSandbox', { config, runtimeHandler }, opts, podSandboxId),
    stopPodSandbox: (podSandboxId, opts) => r('StopPodSandbox', { podSandboxId }, opts, done),
    removePodSandbox: (podSandboxId, opts) => r('RemovePodSandbox', { podSandboxId }, opts, done),
    podSandboxStatus: (podSandboxId, verbose = false, opts) => r('PodSandboxStatus', { podSandboxId, verbose }, opts),
    listPodSandbox: (filter, opts) => r('ListPodSandbox', { filter: filter ?? null }, opts, items),
    createContainer: (podSandboxId, config, sandboxConfig, opts) =>
      r('CreateContainer', { podSandboxId, config, sandboxConfig: sandboxConfig ?? null }, opts, containerId),
    startContainer: (containerId, opts) => r('StartContainer', { containerId }, opts, done),
    stopContainer: (containerId, timeout, opts) => r('StopContainer', { containerId, timeout }, opts, done, Math.max(0, timeout) * 1000),
    removeContainer: (containerId, opts) => r('RemoveContainer', { containerId }, opts, done),
    listContainers: (filter, opts) => r('ListContainers', { filter: filter ?? null }, opts, containers),
    containerStatus: (containerId, verbose = false, opts) => r('ContainerStatus', { containerId, verbose }, opts),
    updateContainerResources: (containerId, linux, opts) => r('UpdateContainerResources', { containerId, linux }, opts, done),
    reopenContainerLog: (containerId, opts) => r('ReopenContainerLog', { containerId }, opts, done),
    execSync: (containerId, cmd, timeout = 0, opts) => r('ExecSync', { containerId, cmd, timeout }, opts, undefined, Math.max(0, timeout) * 1000),
    containerStats: (containerId, opts) => r('ContainerStats', { containerId }, opts, stats),
    listContainerStats: (filter, opts) => r('ListContainerStats', { filter: filter ?? null }, opts, stats),
    updateRuntimeConfig: (runtimeConfig, opts) => r('UpdateRuntimeConfig', { runtimeConfig }, opts, done),
  };
  const image: ImageClient = {
    listImages: (filter, opts) => i('ListImages', { filter: filter === undefined ? null : { image: spec(filter) } }, opts, images),
    imageStatus: (img, verbose = false, opts) => i('ImageStatus', { image: spec(img), verbose }, opts),
    pullImage: (img, auth, sandboxConfig, opts) => i('PullImage', { image: spec(img), auth: auth ?? null, sandboxConfig: sandboxConfig ?? null }, opts, imageRef),
    removeImage: (img, opts) => i('RemoveImage', { image: spec(img) }, opts, done),
    imageFsInfo: (opts) => i('ImageFsInfo', {}, opts, imageFilesystems),
  };
  return { runtime, image, close };
}

/** `unix:///p`, `unix:/p`, `unix:p`, `/p` (a socket path) or `host:port` → a grpc-js target. */
export function normalizeCriEndpoint(endpoint: string): string {
  return normalizeEndpoint(endpoint);
}

/**
 * A client for a CRI runtime at `endpoint` (`unix:///run/containerd/containerd.sock`,
 * `unix:/path`, or `host:port`). Connects lazily; grpc-js reconnects with backoff when the
 * runtime restarts, and with `waitForReady` (the default) calls wait for the connection
 * up to their deadline instead of failing at once.
 */
export function createCriClient(endpoint: string, options: CriClientOptions = {}): CriClient {
  const { clients, close } = createServiceClients(
    criPackageDefinition(),
    endpoint,
    { RuntimeService: RUNTIME_SERVICE, ImageService: IMAGE_SERVICE },
    pluginChannelOptions({ maxReconnectBackoffMs: options.maxReconnectBackoffMs, maxReceiveMessageBytes: 64 * 1024 * 1024 }),
  );
  const defaultDeadline = options.deadlineMs ?? 30_000;
  const waitForReady = options.waitForReady ?? true;
  // One prepared caller per RPC, made on its first call: the method lookup and the
  // error mappers are per RPC, so a call allocates only its request, metadata and promise.
  const callers = { RuntimeService: new Map<string, UnaryCaller>(), ImageService: new Map<string, UnaryCaller>() };
  const callerFor = (service: 'RuntimeService' | 'ImageService', rpc: string): UnaryCaller => {
    let caller = callers[service].get(rpc);
    if (!caller) {
      const method = `${service}/${rpc}`;
      caller = unaryCaller(clients[service], rpc, {
        waitForReady,
        toError: (err) => fromServiceError(err, method),
        abortedError: (reason) => new CriError('Cancelled', `${method}: aborted`, { method, cause: reason }),
      });
      callers[service].set(rpc, caller);
    }
    return caller;
  };
  const invoke: Invoke = (service, rpc, request, opts, extraMs, pick) =>
    callerFor(service, rpc)(request, (opts?.deadlineMs ?? defaultDeadline) + extraMs, opts?.signal, pick);
  return build(invoke, close);
}

/** Options of {@link createInProcessCriClient}. */
export interface InProcessCriClientOptions {
  /**
   * How requests and responses are copied between the caller and the impl.
   * `'object'` (default): protobufjs `fromObject` then `toObject` with the wire codec's
   * options, without the protobuf bytes in between: the same values the wire yields
   * (defaults filled, unknown fields dropped, enums named, int64 as numbers, no shared
   * objects) at a fraction of the cost. Messages with `bytes` fields (ExecSync) always
   * take the wire codec. `'wire'`: encode and decode every message, exactly as gRPC does.
   */
  codec?: 'object' | 'wire';
}

/**
 * The same client shape over an impl in this process, without sockets. Requests and
 * responses are converted as the protobuf codec converts them (see
 * {@link InProcessCriClientOptions.codec}), so the impl sees exactly what it would over
 * gRPC (defaults filled, unknown fields dropped) and errors keep their {@link CriError}
 * codes. Useful for tests and for a node agent embedding its runtime.
 */
export function createInProcessCriClient(impl: CriServiceImpl, options: InProcessCriClientOptions = {}): CriClient {
  const defs = { RuntimeService: criServiceDefinition(RUNTIME_SERVICE), ImageService: criServiceDefinition(IMAGE_SERVICE) };
  const names = { RuntimeService: RUNTIME_SERVICE, ImageService: IMAGE_SERVICE };
  const viaObjects = (options.codec ?? 'object') === 'object';
  const invoke: Invoke = async (service, rpc, request, opts, _extraMs, pick) => {
    const method = `${service}/${rpc}`;
    const def = defs[service][rpc]!;
    const fn = findDomainMethod(impl, rpc);
    if (!fn) throw new CriError('Unimplemented', `${method} is not implemented`, { method });
    if (opts?.signal?.aborted) throw new CriError('Cancelled', `${method}: aborted`, { method });
    const fast = viaObjects ? inProcessMethodCodec(names[service], rpc) : undefined;
    const req = fast ? fast.request(request as object) : def.requestDeserialize(def.requestSerialize(request as object));
    try {
      const res = (await fn(req)) ?? {};
      const out = fast ? fast.response(res as object) : def.responseDeserialize(def.responseSerialize(res as object));
      return pick ? pick(out) : out;
    } catch (err) {
      if (isCriError(err)) throw new CriError(err.code, `${method}: ${err.message}`, { method, cause: err });
      throw new CriError('Internal', `${method}: ${errorMessage(err)}`, { method, cause: err });
    }
  };
  return build(invoke, () => undefined);
}
