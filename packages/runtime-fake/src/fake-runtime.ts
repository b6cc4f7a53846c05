import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { RealClock, type Clock } from '@bosun/api';
import {
  criIdMatches,
  criLabelsMatch,
  CriError,
  type Container,
  type ContainerConfig,
  type ContainerIdRequest,
  type ContainerState,
  type ContainerStats,
  type ContainerStatus,
  type CreateContainerRequest,
  type CriInput,
  type ExecSyncRequest,
  type ExecSyncResponse,
  type ImageServiceImpl,
  type ImageSpec,
  type ListContainersRequest,
  type ListContainerStatsRequest,
  type ListImagesRequest,
  type ListPodSandboxRequest,
  type PodSandbox,
  type PodSandboxConfig,
  type PodSandboxIdRequest,
  type PodSandboxState,
  type PodSandboxStatus,
  type PodSandboxStatusRequest,
  type PullImageRequest,
  type RemoveImageRequest,
  type ImageStatusRequest,
  type RunPodSandboxRequest,
  type RuntimeCondition,
  type RuntimeServiceImpl,
  type StopContainerRequest,
  type UpdateContainerResourcesRequest,
  type UpdateRuntimeConfigRequest,
  type StatusRequest,
} from '@bosun/cri';
import { parseBehaviour, type Behaviour } from './annotations';
import { ImageStore } from './image-store';
import { IpPool } from './ip-pool';
import { EventScheduler, type ScheduledEvent } from './scheduler';

/** Images present in a new fake runtime unless `images` says otherwise. */
export const DEFAULT_FAKE_IMAGES: readonly string[] = ['registry.k8s.io/pause:3.9', 'busybox:latest', 'busybox:1.36', 'nginx:latest', 'nginx:1.25'];

/** Options of {@link createFakeRuntime}. */
export interface FakeRuntimeOptions {
  /** Drives start delays, scheduled exits and stop timeouts. Default: a RealClock. Use FakeClock in tests. */
  clock?: Clock;
  /** IPv4 CIDR pod IPs come from (UpdateRuntimeConfig can change it). Default `10.88.0.0/16`. */
  podCidr?: string;
  /** Images present from the start. Default {@link DEFAULT_FAKE_IMAGES}. */
  images?: readonly string[];
  /** References PullImage refuses with NotFound. Default: names containing `does-not-exist` or a `.invalid/` registry. */
  unpullable?: RegExp | readonly string[];
  /**
   * When set, containers whose config has a log path get CRI-format log lines
   * (`<RFC3339Nano> stdout F <line>`) at `logDirectory/logPath`; a relative log directory
   * resolves under this root. Unset: no files are written.
   */
  logRoot?: string;
  /** Reported by Version. Default `bosun-fake`. */
  runtimeName?: string;
  /** Reported by Version. Default `0.1.0`. */
  runtimeVersion?: string;
}

interface SandboxRecord {
  id: string;
  config: PodSandboxConfig;
  state: PodSandboxState;
  createdAt: number;
  ip: string;
  runtimeHandler: string;
  containers: Set<string>;
  /** `name/attempt` → container id: CRI names are unique per sandbox. */
  containerNames: Map<string, string>;
}

interface ContainerRecord {
  id: string;
  sandbox: SandboxRecord;
  config: ContainerConfig;
  imageRef: string;
  state: ContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
  behaviour: Behaviour;
  /** The one pending event of this container (scheduled exit or kill), if any. */
  event?: ScheduledEvent;
  /** Callers waiting for the exit (StopContainer). */
  waiters?: Array<() => void>;
  logFile?: string;
}

/** Counts, for tests and benchmarks. */
export interface FakeRuntimeCounts {
  sandboxes: number;
  containers: number;
  running: number;
  podIps: number;
  /** Pending scheduler events (exits, kills), including cancelled ones not yet dropped. */
  scheduledEvents: number;
}

/**
 * The simulated runtime: a full CRI impl (RuntimeService and ImageService) plus controls
 * for tests. Pass it to `serveCri` or `createInProcessCriClient`, or call it directly.
 */
export interface FakeRuntime extends RuntimeServiceImpl, ImageServiceImpl {
  /** Ends a running container now, as if it crashed or was killed (exit code default 137). No-op if not running. */
  crash(containerId: string, exitCode?: number, reason?: string): void;
  /** Sets a runtime condition reported by Status (e.g. `NetworkReady` false). */
  setCondition(type: string, status: boolean, reason?: string, message?: string): void;
  /** Current counts. */
  counts(): FakeRuntimeCounts;
  /**
   * The ContainerConfig a container was created with (envs, mounts, linux resources,
   * log path…), as the runtime received it; undefined for an unknown id. For tests.
   */
  containerConfig(containerId: string): ContainerConfig | undefined;
  /** Every PullImage reference received so far, in order (failed pulls included). For tests. */
  pulls(): readonly string[];
  /** Cancels every pending timer. The runtime must not be used afterwards. */
  dispose(): void;
}

const ns = (ms: number) => Math.round(ms) * 1e6;
const rfc3339Nano = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
const newId = () => randomBytes(32).toString('hex');


function withDefaults<T>(v: T | null | undefined, d: T): T {
  return v ?? d;
}

/**
 * Creates a simulated CRI runtime. Containers are state machines
 * (created → running → exited) driven by `clock` and scripted by annotations (see
 * `FakeAnnotations`); nothing runs, nothing touches the network, and idle containers hold
 * no timers, so tens of thousands fit in one process.
 *
 * Requests may be partial when called directly (missing fields read as their defaults).
 */
export function createFakeRuntime(opts: FakeRuntimeOptions = {}): FakeRuntime {
  const clock = opts.clock ?? new RealClock();
  const scheduler = new EventScheduler(clock);
  const pool = new IpPool(opts.podCidr ?? '10.88.0.0/16');
  const images = new ImageStore({ preloaded: opts.images ?? DEFAULT_FAKE_IMAGES, unpullable: opts.unpullable });
  const sandboxes = new Map<string, SandboxRecord>();
  const containers = new Map<string, ContainerRecord>();
  const sandboxNames = new Map<string, string>();
  const pullLog: string[] = [];
  const conditions = new Map<string, RuntimeCondition>([
    ['RuntimeReady', { type: 'RuntimeReady', status: true, reason: '', message: '' }],
    ['NetworkReady', { type: 'NetworkReady', status: true, reason: '', message: '' }],
  ]);

  const sandboxKey = (m: PodSandboxConfig['metadata']) => `${m!.namespace}/${m!.name}/${m!.uid}/${m!.attempt ?? 0}`;

  function sandboxOf(id: string): SandboxRecord {
    const s = sandboxes.get(id ?? '');
    if (!s) throw new CriError('NotFound', `pod sandbox ${JSON.stringify(id)} not found`);
    return s;
  }
  function containerOf(id: string): ContainerRecord {
    const c = containers.get(id ?? '');
    if (!c) throw new CriError('NotFound', `container ${JSON.stringify(id)} not found`);
    return c;
  }

  function writeLog(c: ContainerRecord, stream: 'stdout' | 'stderr', lines: readonly string[]): void {
    if (!c.logFile || !lines.length) return;
    const at = rfc3339Nano(clock.now());
    mkdirSync(dirname(c.logFile), { recursive: true });
    appendFileSync(c.logFile, lines.map((l) => `${at} ${stream} F ${l}\n`).join(''));
  }

  function exit(c: ContainerRecord, exitCode: number, reason?: string, message = ''): void {
    if (c.state !== 'CONTAINER_RUNNING' && c.state !== 'CONTAINER_CREATED') return;
    c.event?.cancel();
    c.event = undefined;
    c.state = 'CONTAINER_EXITED';
    c.finishedAt = clock.now();
    c.exitCode = exitCode;
    c.reason = reason ?? (exitCode === 0 ? 'Completed' : 'Error');
    c.message = message;
    const waiters = c.waiters;
    c.waiters = undefined;
    waiters?.forEach((w) => w());
  }

  function waitForExit(c: ContainerRecord): Promise<void> {
    if (c.state !== 'CONTAINER_RUNNING') return Promise.resolve();
    return new Promise((res) => (c.waiters ??= []).push(res));
  }

  function toContainerStatus(c: ContainerRecord): CriInput<ContainerStatus> {
    const logDir = c.sandbox.config.logDirectory;
    return {
      id: c.id,
      metadata: c.config.metadata,
      state: c.state,
      createdAt: ns(c.createdAt),
      startedAt: c.startedAt ? ns(c.startedAt) : 0,
      finishedAt: c.finishedAt ? ns(c.finishedAt) : 0,
      exitCode: c.exitCode,
      image: c.config.image,
      imageRef: c.imageRef,
      reason: c.reason,
      message: c.message,
      labels: c.config.labels,
      annotations: c.config.annotations,
      mounts: c.config.mounts,
      logPath: c.config.logPath && logDir ? join(logDir, c.config.logPath) : c.config.logPath,
      resources: c.config.linux?.resources ? { linux: c.config.linux.resources } : null,
    };
  }

  function toContainer(c: ContainerRecord): CriInput<Container> {
    return {
      id: c.id,
      podSandboxId: c.sandbox.id,
      metadata: c.config.metadata,
      image: c.config.image,
      imageRef: c.imageRef,
      state: c.state,
      createdAt: ns(c.createdAt),
      labels: c.config.labels,
      annotations: c.config.annotations,
    };
  }

  function toStats(c: ContainerRecord): CriInput<ContainerStats> {
    const now = clock.now();
    const running = c.state === 'CONTAINER_RUNNING';
    const ranMs = c.startedAt ? (c.finishedAt || now) - c.startedAt : 0;
    const nanoCores = c.behaviour.cpuMillicores * 1e6;
    return {
      attributes: { id: c.id, metadata: c.config.metadata, labels: c.config.labels, annotations: c.config.annotations },
      cpu: { timestamp: ns(now), usageCoreNanoSeconds: { value: Math.round((nanoCores * ranMs) / 1000) }, usageNanoCores: { value: running ? nanoCores : 0 } },
      memory: {
        timestamp: ns(now),
        workingSetBytes: { value: running ? c.behaviour.memoryBytes : 0 },
        usageBytes: { value: running ? c.behaviour.memoryBytes : 0 },
        rssBytes: { value: running ? c.behaviour.memoryBytes : 0 },
        pageFaults: { value: 0 },
        majorPageFaults: { value: 0 },
      },
      writableLayer: { timestamp: ns(now), fsId: { mountpoint: '/var/lib/bosun-fake/containers' }, usedBytes: { value: 4096 }, inodesUsed: { value: 1 } },
    };
  }

  function removeContainerRecord(c: ContainerRecord): void {
    exit(c, 137, 'Error', 'removed');
    c.event?.cancel();
    containers.delete(c.id);
    c.sandbox.containers.delete(c.id);
    c.sandbox.containerNames.delete(`${c.config.metadata?.name}/${c.config.metadata?.attempt ?? 0}`);
  }

  function stopSandbox(s: SandboxRecord): void {
    for (const id of s.containers) {
      const c = containers.get(id);
      if (c?.state === 'CONTAINER_RUNNING') exit(c, 137, 'Error', 'pod sandbox stopped');
    }
    s.state = 'SANDBOX_NOTREADY';
    pool.release(s.ip);
    s.ip = '';
  }

  function lookupImage(spec: ImageSpec | null | undefined): string {
    const ref = spec?.image ?? '';
    if (!ref) throw new CriError('InvalidArgument', 'image is required');
    return ref;
  }

  const runtime: FakeRuntime = {
    async version() {
      return { version: '0.1.0', runtimeName: opts.runtimeName ?? 'bosun-fake', runtimeVersion: opts.runtimeVersion ?? '0.1.0', runtimeApiVersion: 'v1' };
    },

    async status(_req: StatusRequest) {
      return { status: { conditions: [...conditions.values()] }, info: {} };
    },

    async runPodSandbox(req: RunPodSandboxRequest) {
      const config = req.config;
      const m = config?.metadata;
      if (!config || !m?.name || !m.namespace || !m.uid) throw new CriError('InvalidArgument', 'sandbox config needs metadata.name, metadata.namespace and metadata.uid');
      const key = sandboxKey(m);
      if (sandboxNames.has(key)) throw new CriError('AlreadyExists', `pod sandbox for ${m.namespace}/${m.name} attempt ${m.attempt ?? 0} already exists (${sandboxNames.get(key)})`);
      const hostNetwork = config.linux?.securityContext?.namespaceOptions?.network === 'NODE';
      const s: SandboxRecord = {
        id: newId(),
        config: { ...config, labels: withDefaults(config.labels, {}), annotations: withDefaults(config.annotations, {}) },
        state: 'SANDBOX_READY',
        createdAt: clock.now(),
        ip: hostNetwork ? '' : pool.allocate(),
        runtimeHandler: req.runtimeHandler ?? '',
        containers: new Set(),
        containerNames: new Map(),
      };
      sandboxes.set(s.id, s);
      sandboxNames.set(key, s.id);
      return { podSandboxId: s.id };
    },

    async stopPodSandbox(req: PodSandboxIdRequest) {
      const s = sandboxes.get(req.podSandboxId ?? '');
      if (s) stopSandbox(s);
    },

    async removePodSandbox(req: PodSandboxIdRequest) {
      const s = sandboxes.get(req.podSandboxId ?? '');
      if (!s) return;
      stopSandbox(s);
      for (const id of [...s.containers]) removeContainerRecord(containers.get(id)!);
      sandboxes.delete(s.id);
      sandboxNames.delete(sandboxKey(s.config.metadata));
    },

    async podSandboxStatus(req: PodSandboxStatusRequest) {
      const s = sandboxOf(req.podSandboxId);
      const status: CriInput<PodSandboxStatus> = {
        id: s.id,
        metadata: s.config.metadata,
        state: s.state,
        createdAt: ns(s.createdAt),
        network: { ip: s.ip, additionalIps: [] },
        linux: { namespaces: { options: s.config.linux?.securityContext?.namespaceOptions ?? null } },
        labels: s.config.labels,
        annotations: s.config.annotations,
        runtimeHandler: s.runtimeHandler,
      };
      return { status, info: req.verbose ? { fake: JSON.stringify({ containers: s.containers.size }) } : {} };
    },

    async listPodSandbox(req: ListPodSandboxRequest) {
      const f = req?.filter;
      const items: CriInput<PodSandbox>[] = [];
      for (const s of sandboxes.values()) {
        if (!criIdMatches(s.id, f?.id)) continue;
        if (f?.state && s.state !== (f.state.state ?? 'SANDBOX_READY')) continue;
        if (!criLabelsMatch(s.config.labels, f?.labelSelector)) continue;
        items.push({ id: s.id, metadata: s.config.metadata, state: s.state, createdAt: ns(s.createdAt), labels: s.config.labels, annotations: s.config.annotations, runtimeHandler: s.runtimeHandler });
      }
      return { items };
    },

    async createContainer(req: CreateContainerRequest) {
      const s = sandboxOf(req.podSandboxId);
      if (s.state !== 'SANDBOX_READY') throw new CriError('FailedPrecondition', `pod sandbox ${s.id} is not ready`);
      const config = req.config;
      const name = config?.metadata?.name;
      if (!config || !name) throw new CriError('InvalidArgument', 'container config needs metadata.name');
      const ref = lookupImage(config.image);
      const image = images.get(ref);
      if (!image) throw new CriError('NotFound', `image "${ref}" not found: pull it first`);
      const attempt = config.metadata?.attempt ?? 0;
      const nameKey = `${name}/${attempt}`;
      const taken = s.containerNames.get(nameKey);
      if (taken) throw new CriError('AlreadyExists', `container ${name} attempt ${attempt} already exists in pod sandbox ${s.id} (${taken})`);
      const behaviour = parseBehaviour(s.config.annotations, config.annotations ?? {});
      const full: ContainerConfig = { ...config, labels: withDefaults(config.labels, {}), annotations: withDefaults(config.annotations, {}), mounts: withDefaults(config.mounts, []) };
      const c: ContainerRecord = {
        id: newId(),
        sandbox: s,
        config: full,
        imageRef: image.id,
        state: 'CONTAINER_CREATED',
        createdAt: clock.now(),
        startedAt: 0,
        finishedAt: 0,
        exitCode: 0,
        reason: '',
        message: '',
        behaviour,
      };
      if (opts.logRoot && config.logPath) c.logFile = resolve(opts.logRoot, s.config.logDirectory ?? '', config.logPath);
      containers.set(c.id, c);
      s.containers.add(c.id);
      s.containerNames.set(nameKey, c.id);
      return { containerId: c.id };
    },

    async startContainer(req: ContainerIdRequest) {
      const c = containerOf(req.containerId);
      if (c.state !== 'CONTAINER_CREATED') throw new CriError('FailedPrecondition', `container ${c.id} is ${c.state}, not CONTAINER_CREATED`);
      if (c.sandbox.state !== 'SANDBOX_READY') throw new CriError('FailedPrecondition', `pod sandbox ${c.sandbox.id} is not ready`);
      const b = c.behaviour;
      if (b.startDelayMs > 0) {
        await clock.sleep(b.startDelayMs);
        if (!containers.has(c.id) || c.state !== 'CONTAINER_CREATED') throw new CriError('FailedPrecondition', `container ${c.id} was stopped or removed while starting`);
      }
      if (b.startError !== undefined) {
        c.startedAt = clock.now();
        c.state = 'CONTAINER_RUNNING';
        exit(c, 128, 'StartError', b.startError);
        throw new CriError('Internal', `failed to start container ${c.id}: ${b.startError}`);
      }
      c.state = 'CONTAINER_RUNNING';
      c.startedAt = clock.now();
      const attempt = String(c.config.metadata?.attempt ?? 0);
      writeLog(c, 'stdout', b.stdout.map((l) => l.replaceAll('{{attempt}}', attempt)));
      writeLog(c, 'stderr', b.stderr.map((l) => l.replaceAll('{{attempt}}', attempt)));
      const oomFirst = b.oomAfterMs !== undefined && (b.exitAfterMs === undefined || b.oomAfterMs <= b.exitAfterMs);
      if (oomFirst) c.event = scheduler.after(b.oomAfterMs!, () => exit(c, 137, 'OOMKilled'));
      else if (b.exitAfterMs !== undefined) c.event = scheduler.after(b.exitAfterMs, () => exit(c, b.exitCode));
    },

    async stopContainer(req: StopContainerRequest) {
      const c = containerOf(req.containerId);
      if (c.state !== 'CONTAINER_RUNNING') return;
      const timeoutMs = Math.max(0, Number(req.timeout ?? 0)) * 1000;
      if (!c.behaviour.ignoreSigterm) {
        exit(c, 143); // SIGTERM ends it at once
        return;
      }
      if (timeoutMs === 0) {
        exit(c, 137);
        return;
      }
      const done = waitForExit(c);
      // A scheduled exit earlier than the kill still wins; otherwise SIGKILL at the timeout.
      const kill = scheduler.after(timeoutMs, () => exit(c, 137));
      await done;
      kill.cancel();
    },

    async removeContainer(req: ContainerIdRequest) {
      const c = containers.get(req.containerId ?? '');
      if (c) removeContainerRecord(c);
    },

    async listContainers(req: ListContainersRequest) {
      const f = req?.filter;
      const out: CriInput<Container>[] = [];
      const pool = f?.podSandboxId ? [...(sandboxes.get(f.podSandboxId)?.containers ?? [])].map((id) => containers.get(id)!) : containers.values();
      for (const c of pool) {
        if (!criIdMatches(c.id, f?.id)) continue;
        if (f?.state && c.state !== (f.state.state ?? 'CONTAINER_CREATED')) continue;
        if (!criLabelsMatch(c.config.labels, f?.labelSelector)) continue;
        out.push(toContainer(c));
      }
      return { containers: out };
    },

    async containerStatus(req) {
      const c = containerOf(req.containerId);
      return { status: toContainerStatus(c), info: req.verbose ? { fake: JSON.stringify({ behaviour: { ...c.behaviour, exec: [...c.behaviour.exec.keys()] } }) } : {} };
    },

    async updateContainerResources(req: UpdateContainerResourcesRequest) {
      const c = containerOf(req.containerId);
      if (c.state === 'CONTAINER_EXITED') throw new CriError('FailedPrecondition', `container ${c.id} has exited`);
      c.config = { ...c.config, linux: { resources: req.linux ?? null, securityContext: c.config.linux?.securityContext ?? null } };
    },

    async reopenContainerLog(req: ContainerIdRequest) {
      const c = containerOf(req.containerId);
      if (c.state !== 'CONTAINER_RUNNING') throw new CriError('FailedPrecondition', `container ${c.id} is not running`);
      // Log lines are appended with open/write/close, so there is no handle to reopen.
    },

    async execSync(req: ExecSyncRequest): Promise<CriInput<ExecSyncResponse>> {
      const c = containerOf(req.containerId);
      if (c.state !== 'CONTAINER_RUNNING') throw new CriError('FailedPrecondition', `container ${c.id} is not running`);
      const cmd = req.cmd ?? [];
      if (!cmd.length) throw new CriError('InvalidArgument', 'cmd must not be empty');
      const name = basename(cmd[0]!);
      const script = c.behaviour.exec.get(name);
      if (script) return { stdout: Buffer.from(script.stdout), stderr: Buffer.from(script.stderr), exitCode: script.exitCode };
      if (name === 'false') return { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 1 };
      if (name === 'echo') return { stdout: Buffer.from(`${cmd.slice(1).join(' ')}\n`), stderr: Buffer.alloc(0), exitCode: 0 };
      return { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 0 };
    },

    async containerStats(req: ContainerIdRequest) {
      return { stats: toStats(containerOf(req.containerId)) };
    },

    async listContainerStats(req: ListContainerStatsRequest) {
      const f = req?.filter;
      const stats: CriInput<ContainerStats>[] = [];
      for (const c of containers.values()) {
        if (!criIdMatches(c.id, f?.id) || (f?.podSandboxId && c.sandbox.id !== f.podSandboxId)) continue;
        if (!criLabelsMatch(c.config.labels, f?.labelSelector)) continue;
        stats.push(toStats(c));
      }
      return { stats };
    },

    async updateRuntimeConfig(req: UpdateRuntimeConfigRequest) {
      const cidr = req.runtimeConfig?.networkConfig?.podCidr;
      if (cidr) pool.setCidr(cidr);
    },

    async listImages(req: ListImagesRequest) {
      const wanted = req?.filter?.image?.image;
      if (!wanted) return { images: images.list() };
      const one = images.get(wanted);
      return { images: one ? [one] : [] };
    },

    async imageStatus(req: ImageStatusRequest) {
      const image = images.get(lookupImage(req.image)) ?? null;
      return { image, info: req.verbose && image ? { fake: JSON.stringify({ id: image.id }) } : {} };
    },

    async pullImage(req: PullImageRequest) {
      // req.auth is accepted and never stored or logged.
      pullLog.push(req.image?.image ?? '');
      return { imageRef: images.pull(lookupImage(req.image)).id };
    },

    async removeImage(req: RemoveImageRequest) {
      images.remove(lookupImage(req.image));
    },

    async imageFsInfo() {
      const all = images.list();
      return {
        imageFilesystems: [
          {
            timestamp: ns(clock.now()),
            fsId: { mountpoint: '/var/lib/bosun-fake/images' },
            usedBytes: { value: all.reduce((n, i) => n + i.size, 0) },
            inodesUsed: { value: all.length },
          },
        ],
      };
    },

    crash(containerId, exitCode = 137, reason) {
      const c = containerOf(containerId);
      if (c.state === 'CONTAINER_RUNNING') exit(c, exitCode, reason);
    },

    setCondition(type, status, reason = '', message = '') {
      conditions.set(type, { type, status, reason, message });
    },

    counts() {
      let running = 0;
      for (const c of containers.values()) if (c.state === 'CONTAINER_RUNNING') running++;
      return { sandboxes: sandboxes.size, containers: containers.size, running, podIps: pool.inUse, scheduledEvents: scheduler.size };
    },

    containerConfig(containerId) {
      return containers.get(containerId)?.config;
    },

    pulls: () => [...pullLog],

    dispose() {
      scheduler.dispose();
    },
  };
  return runtime;
}
