/**
 * TypeScript shapes of the CRI runtime.v1 messages Bosun uses, exactly as
 * `@grpc/proto-loader` decodes them with {@link CRI_LOADER_OPTIONS}: camelCase field
 * names, enums as their string names, int64/uint64 as JS numbers, every scalar present
 * (proto3 defaults filled in), unset sub-messages as `null`, maps as plain records,
 * `bytes` as Buffers.
 *
 * Inputs (what a caller sends) are {@link CriInput}: any field may be left out and
 * gets its proto3 default on the wire.
 *
 * Times are nanoseconds since the epoch. As JS numbers they keep about 256 ns of
 * precision (values above 2^53 are rounded); sizes and counters are exact below 2^53.
 */

/** A message as a caller may write it: every field optional, recursively; `null` means unset. */
export type CriInput<T> = T extends Buffer
  ? Buffer | Uint8Array | string
  : T extends ReadonlyArray<infer E>
    ? ReadonlyArray<CriInput<E>>
    : T extends object
      ? { [K in keyof T]?: CriInput<T[K]> | null }
      : T;

/** String map (proto `map<string, string>`). */
export type StringMap = Record<string, string>;

/** CRI enum `Protocol` (runtime.v1), by value name. */
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
/** CRI enum `MountPropagation` (runtime.v1), by value name. */
export type MountPropagation = 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';
/** CRI enum `NamespaceMode` (runtime.v1), by value name. */
export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
/** CRI enum `PodSandboxState` (runtime.v1), by value name. */
export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
/** CRI enum `ContainerState` (runtime.v1), by value name. */
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

/** CRI message `VersionRequest` (runtime.v1). */
export interface VersionRequest { version: string }
/** CRI message `VersionResponse` (runtime.v1). */
export interface VersionResponse { version: string; runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }

/** CRI message `DNSConfig` (runtime.v1). */
export interface DnsConfig { servers: string[]; searches: string[]; options: string[] }
/** CRI message `PortMapping` (runtime.v1). */
export interface PortMapping { protocol: Protocol; containerPort: number; hostPort: number; hostIp: string }
/** CRI message `Mount` (runtime.v1). */
export interface Mount { containerPath: string; hostPath: string; readonly: boolean; selinuxRelabel: boolean; propagation: MountPropagation }
/** CRI message `KeyValue` (runtime.v1). */
export interface KeyValue { key: string; value: string }
/** CRI message `Int64Value` (runtime.v1). */
export interface Int64Value { value: number }
/** CRI message `UInt64Value` (runtime.v1). */
export interface UInt64Value { value: number }
/** CRI message `IDMapping` (runtime.v1). */
export interface IdMapping { hostId: number; containerId: number; length: number }
/** CRI message `UserNamespace` (runtime.v1). */
export interface UserNamespace { mode: NamespaceMode; uids: IdMapping[]; gids: IdMapping[] }
/** CRI message `NamespaceOption` (runtime.v1). */
export interface NamespaceOption { network: NamespaceMode; pid: NamespaceMode; ipc: NamespaceMode; targetId: string; usernsOptions: UserNamespace | null }
/** CRI message `SELinuxOption` (runtime.v1). */
export interface SeLinuxOption { user: string; role: string; type: string; level: string }
/** CRI message `SecurityProfile` (runtime.v1). */
export interface SecurityProfile { profileType: 'RuntimeDefault' | 'Unconfined' | 'Localhost'; localhostRef: string }
/** CRI message `Capability` (runtime.v1). */
export interface Capability { addCapabilities: string[]; dropCapabilities: string[]; addAmbientCapabilities: string[] }
/** CRI message `HugepageLimit` (runtime.v1). */
export interface HugepageLimit { pageSize: string; limit: number }

/** CRI message `LinuxContainerResources` (runtime.v1). */
export interface LinuxContainerResources {
  cpuPeriod: number;
  cpuQuota: number;
  cpuShares: number;
  memoryLimitInBytes: number;
  oomScoreAdj: number;
  cpusetCpus: string;
  cpusetMems: string;
  hugepageLimits: HugepageLimit[];
  unified: StringMap;
  memorySwapLimitInBytes: number;
}

/** CRI message `LinuxSandboxSecurityContext` (runtime.v1). */
export interface LinuxSandboxSecurityContext {
  namespaceOptions: NamespaceOption | null;
  selinuxOptions: SeLinuxOption | null;
  runAsUser: Int64Value | null;
  runAsGroup: Int64Value | null;
  readonlyRootfs: boolean;
  supplementalGroups: number[];
  privileged: boolean;
  seccomp: SecurityProfile | null;
  apparmor: SecurityProfile | null;
  seccompProfilePath: string;
}

/** CRI message `LinuxPodSandboxConfig` (runtime.v1). */
export interface LinuxPodSandboxConfig {
  cgroupParent: string;
  securityContext: LinuxSandboxSecurityContext | null;
  sysctls: StringMap;
  overhead: LinuxContainerResources | null;
  resources: LinuxContainerResources | null;
}

/** CRI message `PodSandboxMetadata` (runtime.v1). */
export interface PodSandboxMetadata { name: string; uid: string; namespace: string; attempt: number }

/** CRI message `PodSandboxConfig` (runtime.v1). */
export interface PodSandboxConfig {
  metadata: PodSandboxMetadata | null;
  hostname: string;
  logDirectory: string;
  dnsConfig: DnsConfig | null;
  portMappings: PortMapping[];
  labels: StringMap;
  annotations: StringMap;
  linux: LinuxPodSandboxConfig | null;
  /** Windows settings; Bosun passes them through untyped. */
  windows: Record<string, unknown> | null;
}

/** CRI message `PodIP` (runtime.v1). */
export interface PodIp { ip: string }
/** CRI message `PodSandboxNetworkStatus` (runtime.v1). */
export interface PodSandboxNetworkStatus { ip: string; additionalIps: PodIp[] }

/** CRI message `PodSandboxStatus` (runtime.v1). */
export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata | null;
  state: PodSandboxState;
  createdAt: number;
  network: PodSandboxNetworkStatus | null;
  linux: { namespaces: { options: NamespaceOption | null } | null } | null;
  labels: StringMap;
  annotations: StringMap;
  runtimeHandler: string;
}

/** CRI message `PodSandboxStatusResponse` (runtime.v1). */
export interface PodSandboxStatusResponse { status: PodSandboxStatus | null; info: StringMap }

/** CRI message `PodSandboxFilter` (runtime.v1). */
export interface PodSandboxFilter { id: string; state: { state: PodSandboxState } | null; labelSelector: StringMap }

/** CRI message `PodSandbox` (runtime.v1). */
export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata | null;
  state: PodSandboxState;
  createdAt: number;
  labels: StringMap;
  annotations: StringMap;
  runtimeHandler: string;
}

/** CRI message `ImageSpec` (runtime.v1). */
export interface ImageSpec { image: string; annotations: StringMap }

/** CRI message `LinuxContainerSecurityContext` (runtime.v1). */
export interface LinuxContainerSecurityContext {
  capabilities: Capability | null;
  privileged: boolean;
  namespaceOptions: NamespaceOption | null;
  selinuxOptions: SeLinuxOption | null;
  runAsUser: Int64Value | null;
  runAsGroup: Int64Value | null;
  runAsUsername: string;
  readonlyRootfs: boolean;
  supplementalGroups: number[];
  noNewPrivs: boolean;
  maskedPaths: string[];
  readonlyPaths: string[];
  seccomp: SecurityProfile | null;
  apparmor: SecurityProfile | null;
  apparmorProfile: string;
  seccompProfilePath: string;
}

/** CRI message `LinuxContainerConfig` (runtime.v1). */
export interface LinuxContainerConfig { resources: LinuxContainerResources | null; securityContext: LinuxContainerSecurityContext | null }
/** CRI message `ContainerMetadata` (runtime.v1). */
export interface ContainerMetadata { name: string; attempt: number }
/** CRI message `Device` (runtime.v1). */
export interface Device { containerPath: string; hostPath: string; permissions: string }

/** CRI message `ContainerConfig` (runtime.v1). */
export interface ContainerConfig {
  metadata: ContainerMetadata | null;
  image: ImageSpec | null;
  command: string[];
  args: string[];
  workingDir: string;
  envs: KeyValue[];
  mounts: Mount[];
  devices: Device[];
  labels: StringMap;
  annotations: StringMap;
  logPath: string;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  linux: LinuxContainerConfig | null;
  /** Windows settings; Bosun passes them through untyped. */
  windows: Record<string, unknown> | null;
}

/** CRI message `ContainerFilter` (runtime.v1). */
export interface ContainerFilter { id: string; state: { state: ContainerState } | null; podSandboxId: string; labelSelector: StringMap }

/** CRI message `Container` (runtime.v1). */
export interface Container {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata | null;
  image: ImageSpec | null;
  imageRef: string;
  state: ContainerState;
  createdAt: number;
  labels: StringMap;
  annotations: StringMap;
}

/** CRI message `ContainerResources` (runtime.v1). */
export interface ContainerResources { linux: LinuxContainerResources | null; windows: Record<string, unknown> | null }

/** CRI message `ContainerStatus` (runtime.v1). */
export interface ContainerStatus {
  id: string;
  metadata: ContainerMetadata | null;
  state: ContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  image: ImageSpec | null;
  imageRef: string;
  reason: string;
  message: string;
  labels: StringMap;
  annotations: StringMap;
  mounts: Mount[];
  logPath: string;
  resources: ContainerResources | null;
}

/** CRI message `ContainerStatusResponse` (runtime.v1). */
export interface ContainerStatusResponse { status: ContainerStatus | null; info: StringMap }

/** CRI message `ExecSyncResponse` (runtime.v1). */
export interface ExecSyncResponse { stdout: Buffer; stderr: Buffer; exitCode: number }

/** CRI message `ContainerAttributes` (runtime.v1). */
export interface ContainerAttributes { id: string; metadata: ContainerMetadata | null; labels: StringMap; annotations: StringMap }
/** CRI message `CpuUsage` (runtime.v1). */
export interface CpuUsage { timestamp: number; usageCoreNanoSeconds: UInt64Value | null; usageNanoCores: UInt64Value | null }
/** CRI message `MemoryUsage` (runtime.v1). */
export interface MemoryUsage {
  timestamp: number;
  workingSetBytes: UInt64Value | null;
  availableBytes: UInt64Value | null;
  usageBytes: UInt64Value | null;
  rssBytes: UInt64Value | null;
  pageFaults: UInt64Value | null;
  majorPageFaults: UInt64Value | null;
}
/** CRI message `FilesystemUsage` (runtime.v1). */
export interface FilesystemUsage { timestamp: number; fsId: { mountpoint: string } | null; usedBytes: UInt64Value | null; inodesUsed: UInt64Value | null }
/** CRI message `ContainerStats` (runtime.v1). */
export interface ContainerStats { attributes: ContainerAttributes | null; cpu: CpuUsage | null; memory: MemoryUsage | null; writableLayer: FilesystemUsage | null }
/** CRI message `ContainerStatsFilter` (runtime.v1). */
export interface ContainerStatsFilter { id: string; podSandboxId: string; labelSelector: StringMap }

/** CRI message `RuntimeCondition` (runtime.v1). */
export interface RuntimeCondition { type: string; status: boolean; reason: string; message: string }
/** CRI message `StatusResponse` (runtime.v1). */
export interface StatusResponse { status: { conditions: RuntimeCondition[] } | null; info: StringMap }
/** CRI message `RuntimeConfig` (runtime.v1). */
export interface RuntimeConfig { networkConfig: { podCidr: string } | null }

/** CRI message `Image` (runtime.v1). */
export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  uid: Int64Value | null;
  username: string;
  spec: ImageSpec | null;
  pinned: boolean;
}
/** CRI message `ImageStatusResponse` (runtime.v1). */
export interface ImageStatusResponse { image: Image | null; info: StringMap }

/** Registry credentials. Secret: the server adapter never logs them. */
export interface AuthConfig { username: string; password: string; auth: string; serverAddress: string; identityToken: string; registryToken: string }

// ---- request and response messages of the served RPCs ----

/** CRI message `StatusRequest` (runtime.v1). */
export interface StatusRequest { verbose: boolean }
/** CRI message `RunPodSandboxRequest` (runtime.v1). */
export interface RunPodSandboxRequest { config: PodSandboxConfig | null; runtimeHandler: string }
/** CRI message `RunPodSandboxResponse` (runtime.v1). */
export interface RunPodSandboxResponse { podSandboxId: string }
/** CRI message `StopPodSandboxRequest / RemovePodSandboxRequest` (runtime.v1). */
export interface PodSandboxIdRequest { podSandboxId: string }
/** CRI message `PodSandboxStatusRequest` (runtime.v1). */
export interface PodSandboxStatusRequest { podSandboxId: string; verbose: boolean }
/** CRI message `ListPodSandboxRequest` (runtime.v1). */
export interface ListPodSandboxRequest { filter: PodSandboxFilter | null }
/** CRI message `ListPodSandboxResponse` (runtime.v1). */
export interface ListPodSandboxResponse { items: PodSandbox[] }
/** CRI message `CreateContainerRequest` (runtime.v1). */
export interface CreateContainerRequest { podSandboxId: string; config: ContainerConfig | null; sandboxConfig: PodSandboxConfig | null }
/** CRI message `CreateContainerResponse` (runtime.v1). */
export interface CreateContainerResponse { containerId: string }
/** CRI message `StartContainerRequest, RemoveContainerRequest, ReopenContainerLogRequest, ContainerStatsRequest` (runtime.v1). */
export interface ContainerIdRequest { containerId: string }
/** CRI message `StopContainerRequest` (runtime.v1). */
export interface StopContainerRequest { containerId: string; timeout: number }
/** CRI message `ListContainersRequest` (runtime.v1). */
export interface ListContainersRequest { filter: ContainerFilter | null }
/** CRI message `ListContainersResponse` (runtime.v1). */
export interface ListContainersResponse { containers: Container[] }
/** CRI message `ContainerStatusRequest` (runtime.v1). */
export interface ContainerStatusRequest { containerId: string; verbose: boolean }
/** CRI message `UpdateContainerResourcesRequest` (runtime.v1). */
export interface UpdateContainerResourcesRequest { containerId: string; linux: LinuxContainerResources | null; windows: Record<string, unknown> | null; annotations: StringMap }
/** CRI message `ExecSyncRequest` (runtime.v1). */
export interface ExecSyncRequest { containerId: string; cmd: string[]; timeout: number }
/** CRI message `ContainerStatsResponse` (runtime.v1). */
export interface ContainerStatsResponse { stats: ContainerStats | null }
/** CRI message `ListContainerStatsRequest` (runtime.v1). */
export interface ListContainerStatsRequest { filter: ContainerStatsFilter | null }
/** CRI message `ListContainerStatsResponse` (runtime.v1). */
export interface ListContainerStatsResponse { stats: ContainerStats[] }
/** CRI message `UpdateRuntimeConfigRequest` (runtime.v1). */
export interface UpdateRuntimeConfigRequest { runtimeConfig: RuntimeConfig | null }
/** CRI message `ListImagesRequest` (runtime.v1). */
export interface ListImagesRequest { filter: { image: ImageSpec | null } | null }
/** CRI message `ListImagesResponse` (runtime.v1). */
export interface ListImagesResponse { images: Image[] }
/** CRI message `ImageStatusRequest` (runtime.v1). */
export interface ImageStatusRequest { image: ImageSpec | null; verbose: boolean }
/** CRI message `PullImageRequest` (runtime.v1). */
export interface PullImageRequest { image: ImageSpec | null; auth: AuthConfig | null; sandboxConfig: PodSandboxConfig | null }
/** CRI message `PullImageResponse` (runtime.v1). */
export interface PullImageResponse { imageRef: string }
/** CRI message `RemoveImageRequest` (runtime.v1). */
export interface RemoveImageRequest { image: ImageSpec | null }
/** CRI message `ImageFsInfoResponse` (runtime.v1). */
export interface ImageFsInfoResponse { imageFilesystems: FilesystemUsage[] }
/** The response of RPCs that answer nothing. */
export type Empty = Record<string, never>;

/**
 * The server side of RuntimeService, with domain method names. Requests arrive fully
 * decoded (every field present, see {@link CriInput} for what callers may leave out);
 * a method resolves with the response (fields it leaves out get proto3 defaults) or
 * throws a {@link CriError} (anything else becomes INTERNAL).
 *
 * Contracts (upstream CRI semantics): `stopPodSandbox`, `removePodSandbox`,
 * `removeContainer` and `stopContainer` on an already stopped container are idempotent;
 * `podSandboxStatus`, `containerStatus`, `containerStats`, `startContainer`, `execSync`
 * on an unknown id throw `NotFound`; `stopContainer` resolves only once the container has
 * exited (SIGKILL at `timeout` seconds).
 */
export interface RuntimeServiceImpl {
  version(req: VersionRequest): Promise<CriInput<VersionResponse>>;
  status(req: StatusRequest): Promise<CriInput<StatusResponse>>;
  runPodSandbox(req: RunPodSandboxRequest): Promise<CriInput<RunPodSandboxResponse>>;
  stopPodSandbox(req: PodSandboxIdRequest): Promise<CriInput<Empty> | void>;
  removePodSandbox(req: PodSandboxIdRequest): Promise<CriInput<Empty> | void>;
  podSandboxStatus(req: PodSandboxStatusRequest): Promise<CriInput<PodSandboxStatusResponse>>;
  listPodSandbox(req: ListPodSandboxRequest): Promise<CriInput<ListPodSandboxResponse>>;
  createContainer(req: CreateContainerRequest): Promise<CriInput<CreateContainerResponse>>;
  startContainer(req: ContainerIdRequest): Promise<CriInput<Empty> | void>;
  stopContainer(req: StopContainerRequest): Promise<CriInput<Empty> | void>;
  removeContainer(req: ContainerIdRequest): Promise<CriInput<Empty> | void>;
  listContainers(req: ListContainersRequest): Promise<CriInput<ListContainersResponse>>;
  containerStatus(req: ContainerStatusRequest): Promise<CriInput<ContainerStatusResponse>>;
  updateContainerResources(req: UpdateContainerResourcesRequest): Promise<CriInput<Empty> | void>;
  reopenContainerLog(req: ContainerIdRequest): Promise<CriInput<Empty> | void>;
  execSync(req: ExecSyncRequest): Promise<CriInput<ExecSyncResponse>>;
  containerStats(req: ContainerIdRequest): Promise<CriInput<ContainerStatsResponse>>;
  listContainerStats(req: ListContainerStatsRequest): Promise<CriInput<ListContainerStatsResponse>>;
  updateRuntimeConfig(req: UpdateRuntimeConfigRequest): Promise<CriInput<Empty> | void>;
}

/**
 * The server side of ImageService. `imageStatus` of an absent image resolves with
 * `{ image: null }` (not an error); `removeImage` of an absent image succeeds;
 * `pullImage` of an image that cannot be found throws `NotFound`.
 */
export interface ImageServiceImpl {
  listImages(req: ListImagesRequest): Promise<CriInput<ListImagesResponse>>;
  imageStatus(req: ImageStatusRequest): Promise<CriInput<ImageStatusResponse>>;
  pullImage(req: PullImageRequest): Promise<CriInput<PullImageResponse>>;
  removeImage(req: RemoveImageRequest): Promise<CriInput<Empty> | void>;
  imageFsInfo(req: Empty): Promise<CriInput<ImageFsInfoResponse>>;
}

/** What a CRI server implements: any subset of both services; the rest answers UNIMPLEMENTED. */
export type CriServiceImpl = Partial<RuntimeServiceImpl & ImageServiceImpl>;
