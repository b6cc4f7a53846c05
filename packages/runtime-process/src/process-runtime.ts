import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import { isAbsolute, join, normalize, resolve } from 'node:path';
import { RealClock, type Clock } from '@bosun/api';
import type { CniClient, CniResult } from '@bosun/cni';
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
  type Image,
  type ImageServiceImpl,
  type ImageSpec,
  type ImageStatusRequest,
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
  type RunPodSandboxRequest,
  type RuntimeServiceImpl,
  type StopContainerRequest,
  type UpdateContainerResourcesRequest,
} from '@bosun/cri';
import { BridgeNetwork, defaultBridgeName } from './bridge-network';
import { ContainerCgroups, removeCgroupParent } from './cgroups';
import { diskUsage, LocalImageStore, type ImageSource, type LocalImage } from './image-store';
import { holderArgv, initScript, launchScript, type BindMount, type HostTools, type LaunchPlan } from './launch';
import { CriLogWriter } from './log-writer';
import { childPids, descendantPids, processCpuNanos, processRssBytes, processStartTicks, sameProcessAlive } from './proc';
import { isRoot, pidAlive, signal, which } from './shell';

/** Options of {@link createProcessRuntime}. */
export interface ProcessRuntimeOptions {
  /** Directory for persisted state, container directories and (by default) images. Created if missing. */
  stateDir: string;
  /** Image store directory. Default `<stateDir>/images`. */
  imageDir?: string;
  /** Drives the StopContainer and ExecSync timeouts. Default a RealClock. */
  clock?: Clock;
  /**
   * Run pods in namespaces (sandbox holder with net/uts/ipc, per-container pid + mount,
   * chroot into image rootfs, bind mounts). Default: on when running as root and
   * `unshare` and `nsenter` exist. Off: containers are plain host processes (raw mode).
   */
  isolation?: boolean;
  /** Network plugin called in RunPodSandbox/StopPodSandbox (isolation only). Default none: pods get loopback only. */
  network?: CniClient;
  /** Name of the Linux bridge pod veths attach to. Default {@link defaultBridgeName}(nodeName). */
  bridgeName?: string;
  /** The node this runtime serves (used for the default bridge name and CNI args). */
  nodeName?: string;
  /** cgroup v1 mount point. Default `/sys/fs/cgroup`. */
  cgroupRoot?: string;
  /** cgroup path under each controller. Default `bosun/<8 hex of stateDir>`. */
  cgroupParent?: string;
  /** `pids.max` of every container (cgroup pids controller). Default 0: no limit. */
  pidsLimit?: number;
  /** Relative sandbox log directories resolve under this. Default `<stateDir>/logs`. */
  logRoot?: string;
  /** Builders PullImage may use for absent references. Default: busybox from `/bin/busybox`. */
  imageSources?: readonly ImageSource[];
  /** Reported by Version. Default `bosun-process`. */
  runtimeName?: string;
  /** How often adopted processes (from a previous instance) are checked for exit, in ms. Default 500. */
  adoptPollMs?: number;
}

/** Options of {@link ProcessRuntime.shutdown}. */
export interface ProcessRuntimeShutdownOptions {
  /** Stop every container and sandbox, release their networks, and delete the bridge this runtime created. */
  killAll?: boolean;
}

/** How the runtime runs containers, as decided at creation. */
export interface ProcessRuntimeInfo {
  isolation: boolean;
  bridge: string;
  stateDir: string;
  imageDir: string;
  /** Why isolation is off, when it is. */
  isolationReason: string;
}

/**
 * The process runtime: a CRI RuntimeService + ImageService whose containers are host
 * processes. Serve it with `serveCri` or use it in-process with `createInProcessCriClient`.
 */
export interface ProcessRuntime extends RuntimeServiceImpl, ImageServiceImpl {
  /** The image store (import archives, build busybox). */
  readonly images: LocalImageStore;
  /** Mode and paths. */
  readonly info: ProcessRuntimeInfo;
  /** Warnings recorded so far (cgroup limits that could not be set, adoption notes). */
  warnings(): string[];
  /** The host pid of a running container's first process (pid 1 of its namespace when isolated). */
  containerPid(containerId: string): number | undefined;
  /**
   * Stops timers and persists the state; processes keep running and a new instance adopts
   * them. Output of running containers keeps going to their logs while this process lives.
   * Idempotent.
   */
  close(): Promise<void>;
  /** `close()`, and with `killAll` stops every process and removes veths and the bridge it created. */
  shutdown(opts?: ProcessRuntimeShutdownOptions): Promise<void>;
}

interface SandboxRecord {
  id: string;
  config: PodSandboxConfig;
  state: PodSandboxState;
  createdAt: number;
  runtimeHandler: string;
  hostNetwork: boolean;
  namespaces: string[];
  holderPid: number;
  holderStart?: number;
  ip: string;
  hostVeth: string;
  cniResult: CniResult | null;
}

interface ContainerRecord {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  imageRef: string;
  state: ContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
  logPath: string;
  plan: LaunchPlan;
  env: Record<string, string>;
  pid: number;
  pidStart?: number;
  initPid: number;
  cgroupPath: string;
}

interface Live {
  child?: ChildProcess;
  log?: CriLogWriter;
  cgroups?: ContainerCgroups;
  waiters: Array<() => void>;
  lastCpu?: { at: number; nanos: number };
  poll?: ReturnType<typeof setInterval>;
  /** The last signal this instance sent (an adopted container's exit code is otherwise unknown). */
  sentSignal?: NodeJS.Signals;
  /** Wall-clock ms when this instance started the process. */
  startedWall?: number;
}

interface PersistedState {
  version: 1;
  bridgeCreated: boolean;
  sandboxes: SandboxRecord[];
  containers: ContainerRecord[];
}

const ns = (ms: number) => Math.round(ms) * 1e6;
const newId = () => randomBytes(32).toString('hex');
/** How long after start a SIGTERM is held back, so the program can install its handlers. */
const SIGTERM_SETTLE_MS = 50;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';


function exitCodeOf(code: number | null, sig: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = sig ? (osConstants.signals as Record<string, number>)[sig] : undefined;
  return 128 + (n ?? 9);
}

/** Kubernetes' command/args semantics against the image's entrypoint/cmd. */
export function resolveArgv(command: readonly string[], args: readonly string[], image: { entrypoint: string[]; cmd: string[] } | undefined): string[] {
  if (command.length) return [...command, ...args];
  if (!image) return [...args];
  if (args.length) return [...image.entrypoint, ...args];
  return [...image.entrypoint, ...image.cmd];
}

function hostTools(): HostTools {
  return {
    sh: which('sh') ?? '/bin/sh',
    unshare: which('unshare'),
    nsenter: which('nsenter'),
    mount: which('mount'),
    ip: which('ip'),
    hostname: which('hostname'),
    sleep: which('sleep'),
  };
}

/**
 * Creates the process runtime (see docs/runtime-process.md). State under `stateDir` from
 * an earlier instance is adopted: its sandboxes and containers are listed again, running
 * processes keep running (their exit codes are unknown to the new instance: 255 unless
 * recorded), and exited ones keep their recorded status.
 */
export function createProcessRuntime(opts: ProcessRuntimeOptions): ProcessRuntime {
  const clock = opts.clock ?? new RealClock();
  const stateDir = resolve(opts.stateDir);
  const imageDir = resolve(opts.imageDir ?? join(stateDir, 'images'));
  const logRoot = resolve(opts.logRoot ?? join(stateDir, 'logs'));
  const cgroupRoot = opts.cgroupRoot ?? '/sys/fs/cgroup';
  const cgroupParent = opts.cgroupParent ?? `bosun/${createHash('sha256').update(stateDir).digest('hex').slice(0, 8)}`;
  mkdirSync(join(stateDir, 'containers'), { recursive: true });
  const tools = hostTools();
  const canIsolate = isRoot() && !!tools.unshare && !!tools.nsenter && !!tools.mount;
  const isolation = opts.isolation ?? canIsolate;
  const isolationReason = isolation ? '' : opts.isolation === false ? 'disabled by option' : !isRoot() ? 'not running as root' : 'unshare, nsenter or mount not found';
  if (isolation && !canIsolate) throw new CriError('FailedPrecondition', `isolation needs root and unshare, nsenter and mount on PATH (${isRoot() ? 'a tool is missing' : 'not root'})`);
  const bridge = new BridgeNetwork(opts.bridgeName ?? defaultBridgeName(opts.nodeName), { ip: tools.ip ?? 'ip', nsenter: tools.nsenter ?? 'nsenter' });
  const images = new LocalImageStore({ root: imageDir, sources: opts.imageSources });
  const sandboxes = new Map<string, SandboxRecord>();
  const containers = new Map<string, ContainerRecord>();
  const live = new Map<string, Live>();
  const warnings: string[] = [];
  const statePath = join(stateDir, 'state.json');
  let closed = false;

  // ---- persistence ----

  function save(): void {
    const state: PersistedState = { version: 1, bridgeCreated: bridge.createdBridge, sandboxes: [...sandboxes.values()], containers: [...containers.values()] };
    writeFileSync(`${statePath}.tmp`, JSON.stringify(state));
    renameSync(`${statePath}.tmp`, statePath);
  }

  function liveOf(id: string): Live {
    let l = live.get(id);
    if (!l) live.set(id, (l = { waiters: [] }));
    return l;
  }

  function load(): void {
    if (!existsSync(statePath)) return;
    let state: PersistedState;
    try {
      state = JSON.parse(readFileSync(statePath, 'utf8')) as PersistedState;
    } catch (err) {
      warnings.push(`ignoring unreadable state ${statePath}: ${(err as Error).message}`);
      return;
    }
    bridge.createdBridge = state.bridgeCreated;
    for (const s of state.sandboxes) {
      if (s.state === 'SANDBOX_READY' && s.holderPid && !sameProcessAlive(s.holderPid, s.holderStart)) {
        s.state = 'SANDBOX_NOTREADY';
        warnings.push(`sandbox ${s.id}: namespace holder ${s.holderPid} is gone; marked NOTREADY`);
      }
      sandboxes.set(s.id, s);
    }
    for (const c of state.containers) {
      containers.set(c.id, c);
      if (c.state !== 'CONTAINER_RUNNING') continue;
      const l = liveOf(c.id);
      l.cgroups = new ContainerCgroups(cgroupRoot, c.cgroupPath).adopt();
      if (sameProcessAlive(c.pid, c.pidStart)) watchAdopted(c);
      else markExited(c, 255, 'Error', 'the container exited while the runtime was down; exit code unknown');
    }
    save();
  }

  // ---- lookups ----

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
  const containerDir = (id: string) => join(stateDir, 'containers', id);
  const containersOf = (sandboxId: string) => [...containers.values()].filter((c) => c.sandboxId === sandboxId);

  // ---- container lifecycle ----

  function markExited(c: ContainerRecord, exitCode: number, reason?: string, message = ''): void {
    if (c.state === 'CONTAINER_EXITED') return;
    const l = liveOf(c.id);
    c.state = 'CONTAINER_EXITED';
    c.finishedAt = clock.now();
    c.exitCode = exitCode;
    // As containerd: an OOM kill anywhere in the container's cgroup makes the reason OOMKilled.
    const oom = exitCode !== 0 && !!l.cgroups?.oomKilled();
    c.reason = reason ?? (oom ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error');
    c.message = message;
    if (l.poll) clearInterval(l.poll);
    l.poll = undefined;
    const waiters = l.waiters;
    l.waiters = [];
    waiters.forEach((w) => w());
    if (!closed) save();
  }

  function watchAdopted(c: ContainerRecord): void {
    const l = liveOf(c.id);
    l.poll = setInterval(() => {
      if (sameProcessAlive(c.pid, c.pidStart)) return;
      if (l.sentSignal === 'SIGKILL') markExited(c, 137);
      else markExited(c, 255, 'Error', 'adopted container exited; exit code unknown to this runtime instance');
    }, opts.adoptPollMs ?? 500);
    l.poll.unref();
  }

  function waitExit(c: ContainerRecord): Promise<void> {
    if (c.state !== 'CONTAINER_RUNNING') return Promise.resolve();
    return new Promise((res) => liveOf(c.id).waiters.push(res));
  }

  function kill(c: ContainerRecord, sig: NodeJS.Signals): void {
    if (c.state !== 'CONTAINER_RUNNING') return;
    const isolated = !!c.plan.sandbox;
    liveOf(c.id).sentSignal = sig;
    if (sig === 'SIGKILL') {
      if (c.initPid) signal(c.initPid, 'SIGKILL');
      signal(-c.pid, 'SIGKILL');
      signal(c.pid, 'SIGKILL');
    } else if (isolated) {
      // As container runtimes do: the signal goes to pid 1 of the container (which ignores
      // it unless it installed a handler, like any pid-namespace init).
      signal(c.initPid || c.pid, sig);
    } else {
      signal(-c.pid, sig);
    }
  }

  async function stopAndWait(c: ContainerRecord, timeoutSec: number): Promise<void> {
    if (c.state !== 'CONTAINER_RUNNING') return;
    const exited = waitExit(c);
    if (timeoutSec <= 0) {
      kill(c, 'SIGKILL');
      await exited;
      return;
    }
    // A program gets a moment to install its signal handlers before a SIGTERM can reach it
    // (only matters for a stop right after start; the kill timeout is not shortened).
    const since = Date.now() - (liveOf(c.id).startedWall ?? 0);
    if (since < SIGTERM_SETTLE_MS) await new Promise((r) => setTimeout(r, SIGTERM_SETTLE_MS - since));
    kill(c, 'SIGTERM');
    const ac = new AbortController();
    const timedOut = clock.sleep(timeoutSec * 1000, ac.signal).then(
      () => true,
      () => false,
    );
    const first = await Promise.race([exited.then(() => false), timedOut]);
    ac.abort();
    if (first) {
      kill(c, 'SIGKILL');
      await exited;
    }
  }

  /**
   * Waits until the container's first process has exec'd the command: isolated, pid 1
   * finished its setup (mounts, chroot; init.sh touches the ready file right before
   * `exec`); raw, the launcher exec'd. Either way the command line then turns into the
   * container's argv. Bounded (5 s of real time).
   */
  async function waitForInit(c: ContainerRecord): Promise<void> {
    const argvLine = `${c.plan.argv.join('\0')}\0`;
    let readySince = 0;
    for (let i = 0; i < 1000 && c.state === 'CONTAINER_RUNNING'; i++) {
      if (!c.initPid) c.initPid = c.plan.sandbox ? (childPids(c.pid)[0] ?? 0) : c.pid;
      if (c.initPid && (!c.plan.readyFile || existsSync(c.plan.readyFile))) {
        readySince ||= Date.now();
        let cmdline = '';
        try {
          cmdline = readFileSync(`/proc/${c.initPid}/cmdline`, 'utf8');
        } catch {
          // exiting
        }
        if (cmdline === argvLine || Date.now() - readySince > 100) return;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  function buildPlan(s: SandboxRecord, config: ContainerConfig, image: LocalImage | undefined, id: string, cgroupProcs: string[]): LaunchPlan {
    const name = config.metadata?.name ?? '';
    const command = config.command ?? [];
    if (!image && !command.length)
      throw new CriError('InvalidArgument', `container ${name}: image ${JSON.stringify(config.image?.image ?? '')} is not in the local image store and no command was given (raw mode needs a command)`);
    const strings = [...command, ...(config.args ?? []), config.workingDir ?? '', ...(config.envs ?? []).flatMap((e) => [e.key ?? '', e.value ?? ''])];
    if (strings.some((x) => typeof x !== 'string' || x.includes('\0'))) throw new CriError('InvalidArgument', `container ${name}: command, args, env and workingDir must be strings without NUL bytes`);
    if ((config.envs ?? []).some((e) => !e.key || e.key.includes('='))) throw new CriError('InvalidArgument', `container ${name}: env names must be non-empty and contain no "="`);
    if (config.workingDir && !isAbsolute(config.workingDir)) throw new CriError('InvalidArgument', `container ${name}: workingDir ${JSON.stringify(config.workingDir)} must be an absolute path`);
    const argv = resolveArgv(command, config.args ?? [], image?.config);
    if (!argv.length) throw new CriError('InvalidArgument', `container ${name}: nothing to run: no command, args, or image entrypoint/cmd`);
    const mounts: BindMount[] = [];
    for (const m of config.mounts ?? []) {
      if (!m.containerPath || !isAbsolute(m.containerPath)) throw new CriError('InvalidArgument', `container ${name}: mount containerPath ${JSON.stringify(m.containerPath)} must be an absolute path`);
      if (!m.hostPath || !isAbsolute(m.hostPath)) throw new CriError('InvalidArgument', `container ${name}: mount hostPath ${JSON.stringify(m.hostPath)} must be an absolute path`);
      if (!existsSync(m.hostPath)) throw new CriError('InvalidArgument', `container ${name}: mount hostPath ${m.hostPath} does not exist`);
      mounts.push({ hostPath: m.hostPath, containerPath: normalize(m.containerPath), readonly: !!m.readonly, directory: statSync(m.hostPath).isDirectory() });
    }
    if (!isolation) {
      const wrong = mounts.filter((m) => normalize(m.hostPath) !== m.containerPath);
      if (wrong.length)
        throw new CriError(
          'FailedPrecondition',
          `container ${name} needs mounts the runtime cannot honour without isolation (${isolationReason}): ${wrong.map((m) => `${m.hostPath} → ${m.containerPath}`).join(', ')}; run the runtime as root with unshare available`,
        );
    }
    const workingDir = config.workingDir || image?.config.workingDir || '/';
    const dir = containerDir(id);
    return {
      argv,
      workingDir,
      mounts: isolation ? mounts : [],
      cgroupProcs,
      rootfs: isolation && image ? { image: image.rootfs, upper: join(dir, 'upper'), work: join(dir, 'work'), merged: join(dir, 'rootfs') } : undefined,
      sandbox: isolation && s.holderPid ? { holderPid: s.holderPid, namespaces: s.namespaces } : undefined,
      readyFile: isolation && s.holderPid ? join(dir, 'ready') : undefined,
    };
  }

  function envOf(s: SandboxRecord, config: ContainerConfig, image: LocalImage | undefined): Record<string, string> {
    const env: Record<string, string> = { PATH: DEFAULT_PATH };
    for (const kv of image?.config.env ?? []) {
      const i = kv.indexOf('=');
      if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    if (s.config.hostname && !s.hostNetwork) env.HOSTNAME = s.config.hostname;
    for (const kv of config.envs ?? []) if (kv.key) env[kv.key] = kv.value ?? '';
    return env;
  }

  /**
   * Writes `/etc/hostname`, `/etc/hosts` (localhost, and the pod IP with the hostname) and,
   * when the sandbox has a DNS config, `/etc/resolv.conf` into a container's overlay upper
   * dir, as the kubelet and containerd provide them. Host-network pods keep the image's.
   */
  function writePodEtc(upper: string, s: SandboxRecord): void {
    if (s.hostNetwork) return;
    const etc = join(upper, 'etc');
    mkdirSync(etc, { recursive: true });
    const host = s.config.hostname || s.config.metadata?.name || 'localhost';
    writeFileSync(join(etc, 'hostname'), `${host}\n`);
    writeFileSync(join(etc, 'hosts'), `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${s.ip ? `${s.ip}\t${host}\n` : ''}`);
    const dns = s.config.dnsConfig;
    if (dns && (dns.servers?.length || dns.searches?.length || dns.options?.length)) {
      const lines = [...(dns.servers ?? []).map((x) => `nameserver ${x}`), ...(dns.searches?.length ? [`search ${dns.searches.join(' ')}`] : []), ...(dns.options?.length ? [`options ${dns.options.join(' ')}`] : [])];
      writeFileSync(join(etc, 'resolv.conf'), `${lines.join('\n')}\n`);
    }
  }

  async function cleanupContainer(c: ContainerRecord): Promise<void> {
    const l = live.get(c.id);
    l?.log?.close();
    if (l?.poll) clearInterval(l.poll);
    await (l?.cgroups ?? new ContainerCgroups(cgroupRoot, c.cgroupPath).adopt()).remove();
    live.delete(c.id);
    rmSync(containerDir(c.id), { recursive: true, force: true });
    containers.delete(c.id);
  }

  async function removeContainerNow(c: ContainerRecord): Promise<void> {
    await stopAndWait(c, 0);
    await cleanupContainer(c);
  }

  // ---- sandboxes ----

  async function startHolder(s: SandboxRecord): Promise<void> {
    const argv = holderArgv(tools, s.namespaces, s.hostNetwork ? '' : s.config.hostname);
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const ready = await new Promise<boolean>((res) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) res(true);
      });
      child.once('exit', () => res(false));
      child.once('error', (e) => ((err += e.message), res(false)));
    });
    child.stdout!.destroy();
    child.stderr!.destroy();
    child.unref();
    if (!ready || !child.pid) throw new CriError('Internal', `cannot create the namespaces of pod sandbox ${s.id}: ${err.trim() || 'holder exited'}`);
    s.holderPid = child.pid;
    s.holderStart = processStartTicks(child.pid);
  }

  async function attachNetwork(s: SandboxRecord): Promise<void> {
    const net = opts.network;
    if (!net || s.hostNetwork || !s.holderPid) return;
    const m = s.config.metadata!;
    const cniConfig = {
      containerId: s.id,
      netns: `/proc/${s.holderPid}/ns/net`,
      ifname: 'eth0',
      args: { IgnoreUnknown: '1', K8S_POD_NAMESPACE: m.namespace, K8S_POD_NAME: m.name, K8S_POD_INFRA_CONTAINER_ID: s.id, K8S_POD_UID: m.uid },
      capabilityArgs: {
        portMappings: (s.config.portMappings ?? []).filter((p) => p.hostPort > 0).map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: (p.protocol ?? 'TCP').toLowerCase(), hostIp: p.hostIp ?? '' })),
      },
    };
    const result = await net.add(cniConfig);
    s.cniResult = result;
    try {
      const a = await bridge.attach(s.id, s.holderPid, result);
      s.ip = a.ip;
      s.hostVeth = a.hostVeth;
    } catch (err) {
      await net.del(cniConfig, result).catch(() => undefined);
      s.cniResult = null;
      throw new CriError('Internal', `cannot attach the network of pod sandbox ${s.id}: ${(err as Error).message}`, { cause: err });
    }
  }

  async function detachNetwork(s: SandboxRecord): Promise<void> {
    if (s.hostVeth) await bridge.detach(s.hostVeth);
    if (opts.network && s.cniResult !== null && !s.hostNetwork && isolation) {
      const m = s.config.metadata;
      await opts.network.del({ containerId: s.id, netns: s.holderPid ? `/proc/${s.holderPid}/ns/net` : '', ifname: 'eth0', args: { IgnoreUnknown: '1', K8S_POD_NAMESPACE: m?.namespace ?? '', K8S_POD_NAME: m?.name ?? '' } }, s.cniResult);
    }
    s.cniResult = null;
    s.hostVeth = '';
    s.ip = '';
  }

  async function stopSandbox(s: SandboxRecord): Promise<void> {
    await Promise.all(containersOf(s.id).map((c) => stopAndWait(c, 0)));
    await detachNetwork(s);
    if (s.holderPid && sameProcessAlive(s.holderPid, s.holderStart)) {
      signal(s.holderPid, 'SIGKILL');
      for (let i = 0; i < 200 && pidAlive(s.holderPid) && sameProcessAlive(s.holderPid, s.holderStart); i++) await new Promise((r) => setTimeout(r, 5));
    }
    s.state = 'SANDBOX_NOTREADY';
    save();
  }

  // ---- views ----

  function toContainerStatus(c: ContainerRecord): CriInput<ContainerStatus> {
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
      logPath: c.logPath,
      resources: c.config.linux?.resources ? { linux: c.config.linux.resources } : null,
    };
  }

  function toContainer(c: ContainerRecord): CriInput<Container> {
    return { id: c.id, podSandboxId: c.sandboxId, metadata: c.config.metadata, image: c.config.image, imageRef: c.imageRef, state: c.state, createdAt: ns(c.createdAt), labels: c.config.labels, annotations: c.config.annotations };
  }

  function toStats(c: ContainerRecord): CriInput<ContainerStats> {
    const now = clock.now();
    const running = c.state === 'CONTAINER_RUNNING';
    const l = liveOf(c.id);
    const pids = running && c.pid ? [c.pid, ...descendantPids(c.pid)] : [];
    let cpuNanos = l.cgroups?.cpuNanos();
    if (cpuNanos === undefined) cpuNanos = pids.reduce((n, p) => n + (processCpuNanos(p) ?? 0), 0);
    const wall = Date.now();
    const prev = l.lastCpu ?? (c.startedAt ? { at: wall - Math.max(1, now - c.startedAt), nanos: 0 } : undefined);
    const nanoCores = running && prev && wall > prev.at ? Math.max(0, Math.round(((cpuNanos - prev.nanos) * 1000) / (wall - prev.at))) : 0;
    l.lastCpu = { at: wall, nanos: cpuNanos };
    const mem = l.cgroups?.memory();
    const rss = pids.reduce((n, p) => n + (processRssBytes(p) ?? 0), 0);
    const workingSet = running ? (mem?.workingSet || rss) : 0;
    const layer = diskUsage(join(containerDir(c.id), 'upper'));
    return {
      attributes: { id: c.id, metadata: c.config.metadata, labels: c.config.labels, annotations: c.config.annotations },
      cpu: { timestamp: ns(now), usageCoreNanoSeconds: { value: Math.round(cpuNanos) }, usageNanoCores: { value: nanoCores } },
      memory: {
        timestamp: ns(now),
        workingSetBytes: { value: workingSet },
        usageBytes: { value: running ? (mem?.usage || rss) : 0 },
        rssBytes: { value: running ? (mem?.rss || rss) : 0 },
        pageFaults: { value: mem?.pageFaults ?? 0 },
        majorPageFaults: { value: mem?.majorPageFaults ?? 0 },
      },
      writableLayer: { timestamp: ns(now), fsId: { mountpoint: join(stateDir, 'containers') }, usedBytes: { value: layer.bytes }, inodesUsed: { value: layer.inodes } },
    };
  }

  function toCriImage(i: LocalImage): CriInput<Image> {
    return { id: i.id, repoTags: i.repoTags, repoDigests: [], size: i.size, uid: { value: 0 }, username: '', spec: { image: i.id, annotations: {} }, pinned: false };
  }

  function imageRefOf(spec: ImageSpec | null | undefined): string {
    const ref = spec?.image ?? '';
    if (!ref) throw new CriError('InvalidArgument', 'image is required');
    return ref;
  }

  const inUse = (imageId: string) => [...containers.values()].some((c) => c.imageRef === imageId);

  load();

  const runtime: ProcessRuntime = {
    images,
    info: { isolation, bridge: bridge.bridge, stateDir, imageDir, isolationReason },

    async version() {
      return { version: '0.1.0', runtimeName: opts.runtimeName ?? 'bosun-process', runtimeVersion: '0.1.0', runtimeApiVersion: 'v1' };
    },

    async status() {
      const netMessage = !isolation ? 'pods share the host network (no isolation)' : opts.network ? `bridge ${bridge.bridge}` : 'no network plugin configured: pods get loopback only';
      return {
        status: {
          conditions: [
            { type: 'RuntimeReady', status: true, reason: '', message: isolation ? 'isolated with unshare' : `raw mode: ${isolationReason}` },
            { type: 'NetworkReady', status: true, reason: '', message: netMessage },
          ],
        },
        info: {},
      };
    },

    async runPodSandbox(req: RunPodSandboxRequest) {
      const config = req.config;
      const m = config?.metadata;
      if (!config || !m?.name || !m.namespace || !m.uid) throw new CriError('InvalidArgument', 'sandbox config needs metadata.name, metadata.namespace and metadata.uid');
      for (const other of sandboxes.values()) {
        const om = other.config.metadata!;
        if (om.name === m.name && om.namespace === m.namespace && om.uid === m.uid && (om.attempt ?? 0) === (m.attempt ?? 0))
          throw new CriError('AlreadyExists', `pod sandbox for ${m.namespace}/${m.name} attempt ${m.attempt ?? 0} already exists (${other.id})`);
      }
      const hostNetwork = config.linux?.securityContext?.namespaceOptions?.network === 'NODE';
      const s: SandboxRecord = {
        id: newId(),
        config: { ...config, labels: config.labels ?? {}, annotations: config.annotations ?? {}, portMappings: config.portMappings ?? [] },
        state: 'SANDBOX_READY',
        createdAt: clock.now(),
        runtimeHandler: req.runtimeHandler ?? '',
        hostNetwork,
        namespaces: hostNetwork ? ['ipc'] : ['net', 'uts', 'ipc'],
        holderPid: 0,
        ip: '',
        hostVeth: '',
        cniResult: null,
      };
      if (isolation) {
        await startHolder(s);
        try {
          await attachNetwork(s);
        } catch (err) {
          signal(s.holderPid, 'SIGKILL');
          save(); // remembers a bridge created on the way, for shutdown
          throw err;
        }
      }
      sandboxes.set(s.id, s);
      save();
      return { podSandboxId: s.id };
    },

    async stopPodSandbox(req: PodSandboxIdRequest) {
      const s = sandboxes.get(req.podSandboxId ?? '');
      if (s) await stopSandbox(s);
    },

    async removePodSandbox(req: PodSandboxIdRequest) {
      const s = sandboxes.get(req.podSandboxId ?? '');
      if (!s) return;
      await stopSandbox(s);
      for (const c of containersOf(s.id)) await cleanupContainer(c);
      sandboxes.delete(s.id);
      save();
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
      const info = req.verbose ? { info: JSON.stringify({ pid: s.holderPid, netns: s.holderPid ? `/proc/${s.holderPid}/ns/net` : '', hostVeth: s.hostVeth, isolation }) } : {};
      return { status, info };
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
      const attempt = config.metadata?.attempt ?? 0;
      const taken = containersOf(s.id).find((c) => c.config.metadata?.name === name && (c.config.metadata?.attempt ?? 0) === attempt);
      if (taken) throw new CriError('AlreadyExists', `container ${name} attempt ${attempt} already exists in pod sandbox ${s.id} (${taken.id})`);
      const ref = config.image?.image ?? '';
      const image = ref ? images.get(ref) : undefined;
      const id = newId();
      const cgroupPath = `${cgroupParent}/${id}`;
      const plan = buildPlan(s, config, image, id, []);
      const full: ContainerConfig = { ...config, labels: config.labels ?? {}, annotations: config.annotations ?? {}, mounts: config.mounts ?? [], envs: config.envs ?? [] };
      const logDir = s.config.logDirectory ? resolve(logRoot, s.config.logDirectory) : '';
      const c: ContainerRecord = {
        id,
        sandboxId: s.id,
        config: full,
        imageRef: image?.id ?? '',
        state: 'CONTAINER_CREATED',
        createdAt: clock.now(),
        startedAt: 0,
        finishedAt: 0,
        exitCode: 0,
        reason: '',
        message: '',
        logPath: config.logPath ? (logDir ? join(logDir, config.logPath) : resolve(logRoot, config.logPath)) : '',
        plan,
        env: envOf(s, config, image),
        pid: 0,
        initPid: 0,
        cgroupPath,
      };
      const dir = containerDir(id);
      mkdirSync(dir, { recursive: true });
      if (plan.rootfs) {
        for (const d of [plan.rootfs.upper, plan.rootfs.work, plan.rootfs.merged]) mkdirSync(d, { recursive: true });
        writePodEtc(plan.rootfs.upper, s);
      }
      containers.set(id, c);
      save();
      return { containerId: id };
    },

    async startContainer(req: ContainerIdRequest) {
      const c = containerOf(req.containerId);
      if (c.state !== 'CONTAINER_CREATED') throw new CriError('FailedPrecondition', `container ${c.id} is ${c.state}, not CONTAINER_CREATED`);
      const s = sandboxOf(c.sandboxId);
      if (s.state !== 'SANDBOX_READY') throw new CriError('FailedPrecondition', `pod sandbox ${s.id} is not ready`);
      const l = liveOf(c.id);
      const cgroups = isRoot() ? new ContainerCgroups(cgroupRoot, c.cgroupPath).create() : undefined;
      if (cgroups) {
        cgroups.apply(c.config.linux?.resources, opts.pidsLimit);
        l.cgroups = cgroups;
        for (const w of cgroups.warnings) warnings.push(`container ${c.id}: ${w}`);
      }
      const plan: LaunchPlan = { ...c.plan, cgroupProcs: cgroups?.procsFiles() ?? [] };
      const dir = containerDir(c.id);
      const initPath = join(dir, 'init.sh');
      const launchPath = join(dir, 'launch.sh');
      if (plan.sandbox) writeFileSync(initPath, initScript(tools, plan), { mode: 0o700 });
      writeFileSync(launchPath, launchScript(tools, plan, initPath), { mode: 0o700 });
      if (c.logPath) l.log = new CriLogWriter(c.logPath, () => clock.now());
      const child = spawn(tools.sh, [launchPath], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: c.env, cwd: '/' });
      l.child = child;
      child.stdout!.on('data', (d: Buffer) => l.log?.push('stdout', d));
      child.stderr!.on('data', (d: Buffer) => l.log?.push('stderr', d));
      child.stdout!.on('end', () => l.log?.end('stdout'));
      child.stderr!.on('end', () => l.log?.end('stderr'));
      const spawnError = await new Promise<Error | undefined>((res) => {
        child.once('spawn', () => res(undefined));
        child.once('error', (e) => res(e));
      });
      if (spawnError || !child.pid) {
        c.startedAt = clock.now();
        c.state = 'CONTAINER_RUNNING';
        markExited(c, 128, 'StartError', spawnError?.message ?? 'no pid');
        throw new CriError('Internal', `failed to start container ${c.id}: ${spawnError?.message ?? 'no pid'}`);
      }
      c.pid = child.pid;
      l.startedWall = Date.now();
      c.pidStart = processStartTicks(child.pid);
      c.state = 'CONTAINER_RUNNING';
      c.startedAt = clock.now();
      let setupError = '';
      child.stderr!.on('data', (d: Buffer) => {
        const m = /^bosun: (.*)$/m.exec(d.toString());
        if (m && !setupError) setupError = m[1]!;
      });
      const stderrDone = new Promise<void>((res) => child.stderr!.once('close', () => res()));
      child.once('exit', (code, sig) => {
        const exitCode = exitCodeOf(code, sig);
        // Exited before init.sh finished its setup: a start error, with the reason it printed.
        if (c.plan.readyFile && !existsSync(c.plan.readyFile) && exitCode !== 137) {
          const settle = new Promise((r) => setTimeout(r, 500).unref());
          void Promise.race([stderrDone, settle]).then(() => markExited(c, exitCode, 'StartError', setupError || `container setup exited with code ${exitCode}`));
        } else {
          markExited(c, exitCode);
        }
      });
      await waitForInit(c);
      if ((c.state as ContainerState) === 'CONTAINER_EXITED' && c.reason === 'StartError') {
        throw new CriError('Internal', `failed to start container ${c.id}: ${c.message || `setup exited with code ${c.exitCode}`}`);
      }
      if (c.state === 'CONTAINER_RUNNING') save();
    },

    async stopContainer(req: StopContainerRequest) {
      const c = containerOf(req.containerId);
      await stopAndWait(c, Math.max(0, Number(req.timeout ?? 0)));
    },

    async removeContainer(req: ContainerIdRequest) {
      const c = containers.get(req.containerId ?? '');
      if (!c) return;
      await removeContainerNow(c);
      save();
    },

    async listContainers(req: ListContainersRequest) {
      const f = req?.filter;
      const out: CriInput<Container>[] = [];
      for (const c of containers.values()) {
        if (f?.podSandboxId && c.sandboxId !== f.podSandboxId) continue;
        if (!criIdMatches(c.id, f?.id)) continue;
        if (f?.state && c.state !== (f.state.state ?? 'CONTAINER_CREATED')) continue;
        if (!criLabelsMatch(c.config.labels, f?.labelSelector)) continue;
        out.push(toContainer(c));
      }
      return { containers: out };
    },

    async containerStatus(req) {
      const c = containerOf(req.containerId);
      const info = req.verbose ? { info: JSON.stringify({ pid: c.pid, initPid: c.initPid, argv: c.plan.argv, rootfs: c.plan.rootfs?.image ?? '', isolated: !!c.plan.sandbox, cgroup: c.cgroupPath }) } : {};
      return { status: toContainerStatus(c), info };
    },

    async updateContainerResources(req: UpdateContainerResourcesRequest) {
      const c = containerOf(req.containerId);
      if (c.state === 'CONTAINER_EXITED') throw new CriError('FailedPrecondition', `container ${c.id} has exited`);
      c.config = { ...c.config, linux: { resources: req.linux ?? null, securityContext: c.config.linux?.securityContext ?? null } };
      live.get(c.id)?.cgroups?.apply(req.linux, opts.pidsLimit);
      save();
    },

    async reopenContainerLog(req: ContainerIdRequest) {
      const c = containerOf(req.containerId);
      if (c.state !== 'CONTAINER_RUNNING') throw new CriError('FailedPrecondition', `container ${c.id} is not running`);
      live.get(c.id)?.log?.reopen();
    },

    async execSync(req: ExecSyncRequest): Promise<CriInput<ExecSyncResponse>> {
      const c = containerOf(req.containerId);
      if (c.state !== 'CONTAINER_RUNNING') throw new CriError('FailedPrecondition', `container ${c.id} is not running`);
      const cmd = req.cmd ?? [];
      if (!cmd.length) throw new CriError('InvalidArgument', 'cmd must not be empty');
      if (c.plan.sandbox && !c.initPid) await waitForInit(c);
      const argv = c.plan.sandbox
        ? [tools.nsenter!, '--target', String(c.initPid), '--pid', '--mount', '--net', '--uts', '--ipc', '--root', '--wd', '--', ...cmd]
        : cmd;
      return new Promise((res, rej) => {
        const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: c.env, cwd: c.plan.sandbox ? '/' : c.plan.workingDir });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout!.on('data', (d: Buffer) => out.push(d));
        child.stderr!.on('data', (d: Buffer) => err.push(d));
        let timer: ReturnType<Clock['setTimeout']> | undefined;
        let timedOut = false;
        if (req.timeout > 0) {
          timer = clock.setTimeout(() => {
            timedOut = true;
            if (child.pid) signal(-child.pid, 'SIGKILL');
          }, req.timeout * 1000);
        }
        child.once('error', (e: NodeJS.ErrnoException) => {
          if (timer !== undefined) clock.clearTimeout(timer);
          if (e.code === 'ENOENT') res({ stdout: Buffer.alloc(0), stderr: Buffer.from(`exec: ${JSON.stringify(cmd[0])}: executable file not found\n`), exitCode: 127 });
          else rej(new CriError('Internal', `exec in container ${c.id} failed: ${e.message}`, { cause: e }));
        });
        child.once('close', (code, sig) => {
          if (timer !== undefined) clock.clearTimeout(timer);
          if (timedOut) return rej(new CriError('DeadlineExceeded', `command ${JSON.stringify(cmd)} timed out after ${req.timeout}s`));
          res({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode: exitCodeOf(code, sig) });
        });
      });
    },

    async containerStats(req: ContainerIdRequest) {
      return { stats: toStats(containerOf(req.containerId)) };
    },

    async listContainerStats(req: ListContainerStatsRequest) {
      const f = req?.filter;
      const stats: CriInput<ContainerStats>[] = [];
      for (const c of containers.values()) {
        if (!criIdMatches(c.id, f?.id) || (f?.podSandboxId && c.sandboxId !== f.podSandboxId)) continue;
        if (!criLabelsMatch(c.config.labels, f?.labelSelector)) continue;
        stats.push(toStats(c));
      }
      return { stats };
    },

    async updateRuntimeConfig() {
      // Pod CIDRs belong to the network plugin (IPAM); nothing to change here.
    },

    async listImages(req: ListImagesRequest) {
      const wanted = req?.filter?.image?.image;
      if (!wanted) return { images: images.listTagged().map(toCriImage) };
      const one = images.get(wanted);
      return { images: one ? [toCriImage(one)] : [] };
    },

    async imageStatus(req: ImageStatusRequest) {
      const img = images.get(imageRefOf(req.image));
      const visible = img && (img.repoTags.length > 0 || img.id.includes(imageRefOf(req.image).replace(/^sha256:/, '')));
      return { image: visible ? toCriImage(img) : null, info: req.verbose && visible ? { info: JSON.stringify({ rootfs: img.rootfs, config: img.config }) } : {} };
    },

    async pullImage(req: PullImageRequest) {
      // req.auth is accepted and never stored or logged: there is no registry to send it to.
      return { imageRef: (await images.pull(imageRefOf(req.image))).id };
    },

    async removeImage(req: RemoveImageRequest) {
      images.remove(imageRefOf(req.image), inUse);
    },

    async imageFsInfo() {
      const all = images.list();
      return {
        imageFilesystems: [{ timestamp: ns(clock.now()), fsId: { mountpoint: imageDir }, usedBytes: { value: all.reduce((n, i) => n + i.size, 0) }, inodesUsed: { value: all.length } }],
      };
    },

    warnings: () => [...warnings],

    containerPid(containerId) {
      const c = containers.get(containerId);
      return c?.state === 'CONTAINER_RUNNING' ? c.initPid || c.pid : undefined;
    },

    async close() {
      if (closed) return;
      for (const l of live.values()) {
        if (l.poll) clearInterval(l.poll);
        if (l.child && l.child.exitCode === null && l.child.signalCode === null) {
          // Keep draining the pipes into the log while this process lives (a closed pipe
          // would kill the container with SIGPIPE), without keeping the process alive.
          (l.child.stdout as Socket | null)?.unref();
          (l.child.stderr as Socket | null)?.unref();
          l.child.unref();
        } else {
          l.log?.close();
        }
      }
      save();
      closed = true;
    },

    async shutdown(o: ProcessRuntimeShutdownOptions = {}) {
      if (o.killAll && !closed) {
        for (const s of [...sandboxes.values()]) await stopSandbox(s);
        await Promise.all([...containers.values()].map((c) => stopAndWait(c, 0)));
        await bridge.removeBridge();
        for (const c of containers.values()) await (live.get(c.id)?.cgroups ?? new ContainerCgroups(cgroupRoot, c.cgroupPath).adopt()).remove();
        removeCgroupParent(cgroupRoot, cgroupParent);
      }
      await runtime.close();
    },
  };
  return runtime;
}



