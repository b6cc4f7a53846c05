import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { RealClock, type Clock } from '@bosun/api';
import type { CniClient, CniResult, CniRuntimeConfigInput } from '@bosun/cni';
import {
  CriError,
  criLabelsMatch,
  isCriError,
  type Container,
  type ContainerConfig,
  type ContainerIdRequest,
  type ContainerStats,
  type ContainerStatus,
  type ContainerStatusRequest,
  type CreateContainerRequest,
  type CriInput,
  type ExecSyncRequest,
  type ExecSyncResponse,
  type Image,
  type ImageServiceImpl,
  type ImageStatusRequest,
  type ListContainersRequest,
  type ListContainerStatsRequest,
  type ListImagesRequest,
  type ListPodSandboxRequest,
  type PodSandbox,
  type PodSandboxConfig,
  type PodSandboxIdRequest,
  type PodSandboxStatus,
  type PodSandboxStatusRequest,
  type PullImageRequest,
  type RemoveImageRequest,
  type RunPodSandboxRequest,
  type RuntimeCondition,
  type RuntimeServiceImpl,
  type StopContainerRequest,
  type UpdateContainerResourcesRequest,
} from '@bosun/cri';
import { DockerConnection, type DockerEndpointOptions, type ReconnectBackoff } from './connection';
import { bindMounts, criMounts, criResources, criState, dockerTimeToNs, entrypointAndCmd, exitReason, hostResources, securityFields } from './convert';
import { dockerMessage, dockerStatus, toCriError } from './errors';
import { containerName, dockerLabelFilters, fromDockerLabels, LABELS, MANAGED_BY, sandboxName, toDockerLabels } from './labels';
import { CriLogFile, dockerSince, FrameDemuxer, lastLogTimestamps, splitMessages } from './log-pump';

/** Options of {@link createDockerRuntime}. */
export interface DockerRuntimeOptions extends DockerEndpointOptions {
  /**
   * Image of the sandbox ("pause") container. It must be present on the daemon or
   * listed in `offlineImages`: it is never pulled implicitly. Default `busybox:latest`.
   */
  sandboxImage?: string;
  /** Command of the sandbox container; it must run until killed. Default `['sleep', '2147483647']`. */
  sandboxCommand?: string[];
  /**
   * A Bosun network plugin. When set, sandboxes start with Docker network mode `none` and
   * the plugin attaches `/proc/<sandbox pid>/ns/net` by CNI ADD; it must create the pod's
   * interface itself (an IPAM-only result is refused). When unset, sandboxes use Docker's
   * own `networkMode`.
   */
  network?: CniClient;
  /**
   * Docker network mode of sandboxes when no network plugin is set. Default `bridge`
   * (Docker's default bridge: pods reach each other by IP, but the pod IP is Docker's,
   * not the cluster's pod CIDR). `none` gives loopback only.
   */
  networkMode?: string;
  /**
   * Directory of the runtime's checkpoints (the CNI result of each sandbox, so a
   * restarted runtime can release it and report the pod IP). Default: kept in memory only.
   */
  stateDir?: string;
  /**
   * Images PullImage takes from local archives instead of a registry: reference →
   * path of a `docker save` archive (or OCI archive) loaded with `docker load`. Tried
   * before the registry, so offline pulls of these refs succeed.
   */
  offlineImages?: Record<string, string>;
  /** PidsLimit of every container unless its resources set `unified["pids.max"]`. Default none. */
  podPidsLimit?: number;
  /** Reconnect backoff after the daemon went away (its clock defaults to `clock`). */
  reconnect?: ReconnectBackoff;
  /**
   * Drives the ExecSync timeout, the reconnect backoff and creation times. Default
   * `RealClock`. (StopContainer's grace period is Docker's own `docker stop -t` timer.)
   */
  clock?: Clock;
  /** `runtimeName` in Version. Default `docker`. */
  runtimeName?: string;
  /** Receives background failures (log followers, cleanup). Default: ignored. */
  onError?: (err: unknown) => void;
  /**
   * How long a log follower waits, once its container exited, for Docker's follow stream
   * to end by itself (2 s); after that it is cut and the rest read without following.
   */
  logDrainGraceMs?: number;
}

/** A CRI runtime over Docker Engine: the full RuntimeService and ImageService, plus lifecycle. */
export interface DockerRuntime extends RuntimeServiceImpl, ImageServiceImpl {
  /** The daemon connection (its health drives the RuntimeReady condition). */
  readonly connection: DockerConnection;
  /**
   * Re-attaches log followers to running containers after a runtime restart: every
   * running container of this runtime with a log path gets its logs appended from the
   * last line already in its file. Called by {@link createDockerRuntime} in the
   * background and after each reconnect; idempotent.
   */
  resume(): Promise<void>;
  /** Stops log followers and reconnecting; containers keep running (like cri-dockerd exiting). Idempotent. */
  close(): Promise<void>;
}

type Inspect = Docker.ContainerInspectInfo;

/** What StartContainer needs of a container: its full id, log path, tty flag and sandbox. */
interface ContainerFacts {
  id: string;
  logPath: string;
  tty: boolean;
  sandboxId: string;
}

const containerFacts = (info: Inspect): ContainerFacts => ({ id: info.Id, logPath: info.Config.Labels?.[LABELS.logPath] ?? '', tty: !!info.Config.Tty, sandboxId: info.Config.Labels?.[LABELS.sandboxId] ?? '' });

interface Follower {
  file: CriLogFile;
  /** Cancels the follower's `docker wait`. */
  abort: AbortController;
  stream?: NodeJS.ReadableStream;
  done: Promise<void>;
}

const NS_PER_MS = 1e6;
/** How long a log stream may stay open after its container exited. */
const LOG_DRAIN_GRACE_MS = 2000;
/**
 * After a cut log stream, the pause between reads of the rest: dockerd's log copier can
 * write a container's last output (a final line without a newline, what was still in
 * the pipe) just after `docker wait` returned, so the rest is read again until a read
 * brings nothing new (at most {@link LOG_CATCH_UP_READS} reads).
 */
const LOG_CATCH_UP_PAUSE_MS = 250;
const LOG_CATCH_UP_READS = 5;
const CHECKPOINT_SUFFIX = '.sandbox.json';

/**
 * Creates a CRI runtime over a Docker daemon, shaped like cri-dockerd: a pod sandbox is a
 * small container (`sandboxImage` running `sandboxCommand`) that holds the pod's network
 * and IPC namespaces (and PID namespace when the pod shares it); app containers join it
 * with `container:<sandbox>` modes, so containers of a pod share localhost. Every Docker
 * object carries labels mapping it back to the pod's uid, name, namespace, container
 * name and attempt, so the runtime keeps no state of its own besides CNI checkpoints:
 * a new instance answers ListPodSandbox and ListContainers from the daemon.
 *
 * Logs: each started container has a follower of `docker logs --follow --timestamps`
 * writing the CRI log format to `<sandbox logDirectory>/<container logPath>`.
 */
export function createDockerRuntime(opts: DockerRuntimeOptions = {}): DockerRuntime {
  const clock = opts.clock ?? new RealClock();
  const conn = new DockerConnection(opts, { clock, ...opts.reconnect });
  const sandboxImage = opts.sandboxImage ?? 'busybox:latest';
  const sandboxCommand = opts.sandboxCommand ?? ['sleep', '2147483647'];
  const logDrainGraceMs = opts.logDrainGraceMs ?? LOG_DRAIN_GRACE_MS;
  const followers = new Map<string, Follower>();
  const cniResults = new Map<string, CniResult>();
  const pendingLists = new Map<string, Promise<Docker.ContainerInfo[]>>();
  /**
   * What CreateContainer learned about each container it made. A container's labels and
   * tty never change in Docker, so StartContainer needs no inspect for these; a container
   * made by another instance (or before a restart) is inspected as before. Dropped on
   * remove and whenever a start fails.
   */
  const made = new Map<string, ContainerFacts>();
  const onError = opts.onError ?? (() => undefined);
  let closed = false;
  if (opts.stateDir) mkdirSync(opts.stateDir, { recursive: true });

  const call = <T>(fn: (d: Docker) => Promise<T>, what: string): Promise<T> =>
    conn.call(fn).catch((err: unknown) => {
      throw toCriError(err, what);
    });

  // ---- checkpoints ----

  function saveCni(id: string, result: CniResult | undefined): void {
    if (result) cniResults.set(id, result);
    else cniResults.delete(id);
    if (!opts.stateDir) return;
    const file = join(opts.stateDir, id + CHECKPOINT_SUFFIX);
    if (result) writeFileSync(file, JSON.stringify({ cniResult: result }));
    else rmSync(file, { force: true });
  }

  function loadCni(id: string): CniResult | undefined {
    const cached = cniResults.get(id);
    if (cached || !opts.stateDir) return cached;
    try {
      const r = (JSON.parse(readFileSync(join(opts.stateDir, id + CHECKPOINT_SUFFIX), 'utf8')) as { cniResult: CniResult }).cniResult;
      cniResults.set(id, r);
      return r;
    } catch {
      return undefined;
    }
  }

  // ---- lookups ----

  async function inspect(id: string, kind: 'podsandbox' | 'container', what: string): Promise<Inspect> {
    if (!id) throw new CriError('InvalidArgument', `${what}: an id is required`);
    let info: Inspect;
    try {
      info = await conn.call((d) => d.getContainer(id).inspect());
    } catch (err) {
      throw toCriError(err, what);
    }
    const labels = info.Config.Labels ?? {};
    if (labels[LABELS.managedBy] !== MANAGED_BY || labels[LABELS.type] !== kind) {
      throw new CriError('NotFound', `${what}: ${kind === 'podsandbox' ? 'pod sandbox' : 'container'} ${JSON.stringify(id)} not found`);
    }
    return info;
  }

  /** Inspect, or undefined when absent (for idempotent stop/remove). */
  async function inspectIfExists(id: string, kind: 'podsandbox' | 'container', what: string): Promise<Inspect | undefined> {
    try {
      return await inspect(id, kind, what);
    } catch (err) {
      if (isCriError(err, 'NotFound') || (isCriError(err, 'InvalidArgument') && !id)) return undefined;
      throw err;
    }
  }

  /**
   * `docker ps -a` of this runtime's objects, one request for every list call made in the
   * same turn of the event loop with the same label filters: a pod sync asks for its
   * sandboxes and its containers at once (ListPodSandbox + ListContainers, as a PLEG
   * relist does), and that is one `docker ps` rather than two. A call joins only a request
   * not yet sent, so its answer is never older than the call.
   */
  function listBatched(extra: readonly string[]): Promise<Docker.ContainerInfo[]> {
    const key = JSON.stringify(extra);
    let pending = pendingLists.get(key);
    if (!pending) {
      pending = new Promise<void>((r) => setImmediate(r)).then(() => {
        pendingLists.delete(key);
        return call((d) => d.listContainers({ all: true, filters: { label: [`${LABELS.managedBy}=${MANAGED_BY}`, ...extra] } }), 'list pod sandboxes and containers');
      });
      pendingLists.set(key, pending);
    }
    return pending;
  }

  async function listManaged(kind: 'podsandbox' | 'container', extra: string[] = []): Promise<Docker.ContainerInfo[]> {
    return (await listBatched(extra)).filter((c) => c.Labels?.[LABELS.type] === kind);
  }

  const createdNs = (labels: Record<string, string>, fallbackNs: number) => {
    const ms = Number(labels[LABELS.createdAt]);
    return ms > 0 ? ms * NS_PER_MS : fallbackNs;
  };

  const sandboxMetadata = (l: Record<string, string>) => ({ name: l[LABELS.podName] ?? '', namespace: l[LABELS.podNamespace] ?? '', uid: l[LABELS.podUid] ?? '', attempt: Number(l[LABELS.attempt] ?? 0) });

  // ---- network ----

  function cniConfig(id: string, pid: number, l: Record<string, string>, config?: PodSandboxConfig): CniRuntimeConfigInput {
    return {
      containerId: id,
      netns: pid > 0 ? `/proc/${pid}/ns/net` : '',
      ifname: 'eth0',
      args: { IgnoreUnknown: '1', K8S_POD_NAMESPACE: l[LABELS.podNamespace] ?? '', K8S_POD_NAME: l[LABELS.podName] ?? '', K8S_POD_INFRA_CONTAINER_ID: id, K8S_POD_UID: l[LABELS.podUid] ?? '' },
      capabilityArgs: {
        portMappings: (config?.portMappings ?? []).filter((p) => p.hostPort > 0).map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: (p.protocol || 'TCP').toLowerCase(), hostIp: p.hostIp })),
      },
    };
  }

  async function attachNetwork(id: string, config: PodSandboxConfig): Promise<void> {
    const net = opts.network!;
    const info = await call((d) => d.getContainer(id).inspect(), `inspect pod sandbox ${id}`);
    const pid = info.State.Pid;
    if (!pid) throw new CriError('Internal', `pod sandbox ${id} has no process to attach a network to (state ${info.State.Status})`);
    const cfg = cniConfig(id, pid, info.Config.Labels ?? {}, config);
    const result = await net.add(cfg);
    if (!result.interfaces.some((i) => i.sandbox)) {
      await net.del(cfg, result).catch(onError);
      throw new CriError(
        'FailedPrecondition',
        `the network plugin returned an IPAM-only result for pod sandbox ${id} (no interface in the pod's network namespace); the Docker runtime needs a plugin that creates the interface, such as a CNI bridge`,
      );
    }
    saveCni(id, result);
  }

  async function detachNetwork(info: Inspect): Promise<void> {
    const l = info.Config.Labels ?? {};
    if (!opts.network || l[LABELS.network] === 'NODE') return;
    const prev = loadCni(info.Id);
    if (!prev && !info.State.Running) return; // never attached, or already released
    await opts.network.del(cniConfig(info.Id, info.State.Running ? info.State.Pid : 0, l), prev ?? null);
    saveCni(info.Id, undefined);
  }

  function podIp(info: Inspect): string {
    if (!info.State.Running) return '';
    const r = loadCni(info.Id);
    if (r) return /^([^/]+)/.exec(r.ips[0]?.address ?? '')?.[1] ?? '';
    const nets = info.NetworkSettings?.Networks ?? {};
    for (const n of Object.values(nets)) if (n.IPAddress) return n.IPAddress;
    return '';
  }

  // ---- logs ----

  /** `docker logs` options for both streams with timestamps, from where `file` must resume (`since` is inclusive; the file skips what it has). */
  function logsFrom(file: CriLogFile): { stdout: true; stderr: true; timestamps: true; since?: number } {
    const since = file.resumeFrom;
    return { stdout: true, stderr: true, timestamps: true, ...(since ? { since: dockerSince(since) as unknown as number } : {}) };
  }

  function follow(id: string, logPath: string, tty: boolean): void {
    if (!logPath || followers.has(id) || closed) return;
    const file = new CriLogFile(logPath, lastLogTimestamps(logPath));
    const f: Follower = { file, abort: new AbortController(), done: Promise.resolve() };
    followers.set(id, f);
    f.done = (async () => {
      try {
        const stream = (await conn.docker.getContainer(id).logs({ follow: true, ...logsFrom(file) })) as NodeJS.ReadableStream;
        f.stream = stream;
        const sink = logSink(file, tty);
        const pumped = pumpLogs(stream, sink).then(() => 'ended' as const);
        // Docker may keep a follow stream open after the container exited (a race in the
        // daemon's log watcher): once `docker wait` says it exited, the stream gets a
        // grace period to deliver the rest and end, then is closed.
        const exited = conn.docker
          .getContainer(id)
          .wait({ condition: 'not-running', abortSignal: f.abort.signal })
          .then(() => clock.sleep(logDrainGraceMs))
          .then(() => 'exited' as const)
          .catch(() => new Promise<never>(() => undefined));
        const how = await Promise.race([pumped, exited]);
        (stream as { destroy?: () => void }).destroy?.();
        if (how === 'exited') {
          // The stream was cut, not ended: what it had not delivered yet (on a loaded
          // daemon, the last lines, often a final line without a newline) is read once
          // more without following, from the last line written (`since` is inclusive;
          // the file skips lines it already has).
          for (let read = 0; read < LOG_CATCH_UP_READS; read++) {
            if (read > 0) await clock.sleep(LOG_CATCH_UP_PAUSE_MS);
            const before = file.accepted;
            const rest = (await conn.docker.getContainer(id).logs({ follow: false, ...logsFrom(file) })) as unknown as Buffer;
            // A fresh demuxer each time: the cut stream may have stopped inside a frame.
            if (Buffer.isBuffer(rest)) logSink(file, tty)(rest);
            if (read > 0 && file.accepted === before) break;
          }
        }
      } catch (err) {
        if (dockerStatus(err) !== 404) onError(err);
      } finally {
        f.abort.abort();
        file.close();
        if (followers.get(id) === f) followers.delete(id);
      }
    })();
  }

  /** Writes chunks of a container's Docker log stream (multiplexed frames, or raw text with a tty) to its CRI log file. */
  function logSink(file: CriLogFile, tty: boolean): (chunk: Buffer) => void {
    const demux = new FrameDemuxer((s, payload) => {
      for (const msg of splitMessages(payload.toString('utf8'))) file.write(s, msg);
    });
    let ttyRest = '';
    return (chunk) => {
      if (!tty) return demux.push(chunk);
      const parts = (ttyRest + chunk.toString('utf8')).split(/(?<=\n)/);
      ttyRest = parts[parts.length - 1]!.endsWith('\n') ? '' : parts.pop()!;
      for (const p of parts) file.write('stdout', p.replace(/\r\n$/, '\n'));
    };
  }

  function pumpLogs(stream: NodeJS.ReadableStream, sink: (chunk: Buffer) => void): Promise<void> {
    return new Promise((resolve) => {
      stream.on('data', sink);
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', (err) => {
        onError(err);
        resolve();
      });
    });
  }

  async function stopFollower(id: string, waitMs: number): Promise<void> {
    const f = followers.get(id);
    if (!f) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([f.done, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    if (followers.get(id) === f) {
      f.abort.abort();
      (f.stream as { destroy?: () => void } | undefined)?.destroy?.();
      f.file.close();
      followers.delete(id);
    }
  }

  async function resume(): Promise<void> {
    if (closed) return;
    const running = await listManaged('container', [LABELS.logPath]).catch((err: unknown) => (onError(err), []));
    for (const c of running) {
      if (c.State !== 'running') continue;
      const path = c.Labels[LABELS.logPath];
      if (!path) continue;
      const info = await conn.docker.getContainer(c.Id).inspect().catch(() => undefined);
      if (info) follow(c.Id, path, !!info.Config.Tty);
    }
  }

  conn.onUp(() => void resume().catch(onError));
  void resume().catch(onError);

  // ---- conversions ----

  function toPodSandbox(c: Docker.ContainerInfo): PodSandbox {
    const { labels, annotations } = fromDockerLabels(c.Labels);
    return {
      id: c.Id,
      metadata: sandboxMetadata(c.Labels),
      state: c.State === 'running' ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY',
      createdAt: createdNs(c.Labels, c.Created * 1e9),
      labels,
      annotations,
      runtimeHandler: c.Labels[LABELS.runtimeHandler] ?? '',
    };
  }

  function toContainer(c: Docker.ContainerInfo): Container {
    const { labels, annotations } = fromDockerLabels(c.Labels);
    return {
      id: c.Id,
      podSandboxId: c.Labels[LABELS.sandboxId] ?? '',
      metadata: { name: c.Labels[LABELS.containerName] ?? '', attempt: Number(c.Labels[LABELS.attempt] ?? 0) },
      image: { image: c.Labels[LABELS.image] ?? c.Image, annotations: {} },
      imageRef: c.ImageID,
      state: criState(c.State),
      createdAt: createdNs(c.Labels, c.Created * 1e9),
      labels,
      annotations,
    };
  }

  function toContainerStatus(info: Inspect): ContainerStatus {
    const l = info.Config.Labels ?? {};
    const { labels, annotations } = fromDockerLabels(l);
    const startedAt = dockerTimeToNs(info.State.StartedAt);
    const finishedAt = dockerTimeToNs(info.State.FinishedAt);
    return {
      id: info.Id,
      metadata: { name: l[LABELS.containerName] ?? '', attempt: Number(l[LABELS.attempt] ?? 0) },
      state: criState(info.State.Status),
      createdAt: createdNs(l, dockerTimeToNs(info.Created)),
      startedAt,
      // Docker stamps FinishedAt from another clock read than StartedAt: a process that
      // exits at once can appear to finish before it started.
      finishedAt: finishedAt > 0 ? Math.max(finishedAt, startedAt) : 0,
      exitCode: info.State.ExitCode ?? 0,
      image: { image: l[LABELS.image] ?? info.Config.Image, annotations: {} },
      imageRef: info.Image,
      reason: exitReason(info.State),
      message: info.State.Error ?? '',
      labels,
      annotations,
      mounts: criMounts(info.HostConfig.Mounts),
      logPath: l[LABELS.logPath] ?? '',
      resources: { linux: criResources(info.HostConfig), windows: null },
    };
  }

  async function statsOf(c: { Id: string; Labels: Record<string, string> }): Promise<ContainerStats> {
    const s = await call((d) => d.getContainer(c.Id).stats({ stream: false, 'one-shot': true }), `stats of container ${c.Id}`);
    const ts = Date.parse(s.read) * NS_PER_MS || clock.now() * NS_PER_MS;
    const mem = s.memory_stats ?? {};
    const ms = (mem.stats ?? {}) as Record<string, number>;
    const usage = mem.usage ?? 0;
    const inactive = ms.inactive_file ?? ms.total_inactive_file ?? 0;
    const { labels, annotations } = fromDockerLabels(c.Labels);
    const u64 = (value: number) => ({ value: Math.max(0, Math.round(value)) });
    return {
      attributes: { id: c.Id, metadata: { name: c.Labels[LABELS.containerName] ?? '', attempt: Number(c.Labels[LABELS.attempt] ?? 0) }, labels, annotations },
      cpu: { timestamp: ts, usageCoreNanoSeconds: u64(s.cpu_stats?.cpu_usage?.total_usage ?? 0), usageNanoCores: null },
      memory: {
        timestamp: ts,
        workingSetBytes: u64(usage > inactive ? usage - inactive : usage),
        availableBytes: mem.limit ? u64(Math.max(0, mem.limit - usage)) : null,
        usageBytes: u64(usage),
        rssBytes: u64(ms.anon ?? ms.rss ?? ms.total_rss ?? 0),
        pageFaults: u64(ms.pgfault ?? 0),
        majorPageFaults: u64(ms.pgmajfault ?? 0),
      },
      writableLayer: null,
    };
  }

  // ---- images ----

  function toImage(info: Docker.ImageInspectInfo): Image {
    const user = info.Config?.User ?? '';
    const uidPart = user.split(':')[0] ?? '';
    const numeric = /^\d+$/.test(uidPart);
    return {
      id: info.Id,
      repoTags: info.RepoTags ?? [],
      repoDigests: info.RepoDigests ?? [],
      size: info.Size ?? 0,
      uid: numeric ? { value: Number(uidPart) } : null,
      username: numeric ? '' : uidPart,
      spec: null,
      pinned: false,
    };
  }

  async function imageInspect(ref: string): Promise<Docker.ImageInspectInfo | undefined> {
    try {
      return await conn.call((d) => d.getImage(ref).inspect());
    } catch (err) {
      if (dockerStatus(err) === 404) return undefined;
      throw toCriError(err, `inspect image ${JSON.stringify(ref)}`);
    }
  }

  async function loadArchive(ref: string, path: string): Promise<void> {
    const { createReadStream } = await import('node:fs');
    await call(async (d) => {
      const out = await d.loadImage(createReadStream(path));
      await followProgress(d, out as NodeJS.ReadableStream);
    }, `load image ${JSON.stringify(ref)} from ${path}`);
  }

  function followProgress(d: Docker, stream: NodeJS.ReadableStream): Promise<void> {
    return new Promise((resolve, reject) => {
      d.modem.followProgress(stream, (err: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
        const failed = output?.find((o) => o.error || o.errorDetail);
        if (err) reject(err);
        else if (failed) reject(new Error(failed.errorDetail?.message ?? failed.error));
        else resolve();
      });
    });
  }

  async function pull(ref: string): Promise<void> {
    const archive = opts.offlineImages?.[ref];
    if (archive) return loadArchive(ref, archive);
    try {
      await conn.call(async (d) => followProgress(d, (await d.pull(ref)) as NodeJS.ReadableStream));
    } catch (err) {
      const msg = dockerMessage(err);
      const status = dockerStatus(err);
      if (isCriError(err)) throw err;
      // A registry that does not answer (offline) and a name it does not know both mean
      // "this image cannot be had": NotFound, with Docker's reason.
      if (status === 404 || status === 500 || /not found|no such host|lookup|dial tcp|timeout|denied|manifest unknown/i.test(msg))
        throw new CriError('NotFound', `image ${JSON.stringify(ref)} cannot be pulled: ${msg}`, { cause: err });
      throw toCriError(err, `pull image ${JSON.stringify(ref)}`);
    }
  }

  // ---- the services ----

  const runtime: DockerRuntime = {
    connection: conn,
    resume,

    async version() {
      const v = await call((d) => d.version(), 'version');
      return { version: '0.1.0', runtimeName: opts.runtimeName ?? 'docker', runtimeVersion: v.Version, runtimeApiVersion: 'v1' };
    },

    async status() {
      const state = await conn.ping();
      const conditions: RuntimeCondition[] = [];
      if (!state.up) {
        const message = `the Docker daemon at ${conn.address} is unreachable: ${state.reason}`;
        conditions.push({ type: 'RuntimeReady', status: false, reason: 'DockerDaemonNotReady', message });
        conditions.push({ type: 'NetworkReady', status: false, reason: 'DockerDaemonNotReady', message });
        return { status: { conditions }, info: {} };
      }
      conditions.push({ type: 'RuntimeReady', status: true, reason: '', message: `Docker at ${conn.address}` });
      if (opts.network) {
        try {
          await opts.network.status();
          conditions.push({ type: 'NetworkReady', status: true, reason: '', message: 'network plugin ready' });
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code === 'Unimplemented') conditions.push({ type: 'NetworkReady', status: true, reason: '', message: 'network plugin configured' });
          else conditions.push({ type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: (err as Error).message });
        }
      } else {
        const mode = opts.networkMode ?? 'bridge';
        conditions.push({ type: 'NetworkReady', status: true, reason: '', message: `no network plugin: Docker network mode ${JSON.stringify(mode)} (pod IPs are Docker's, not the cluster's pod CIDR)` });
      }
      return { status: { conditions }, info: {} };
    },

    async runPodSandbox(req: RunPodSandboxRequest) {
      const config = req.config;
      const m = config?.metadata;
      if (!config || !m?.name || !m.namespace || !m.uid) throw new CriError('InvalidArgument', 'sandbox config needs metadata.name, metadata.namespace and metadata.uid');
      const nsOpts = config.linux?.securityContext?.namespaceOptions;
      const hostNetwork = nsOpts?.network === 'NODE';
      const networkMode = hostNetwork ? 'host' : opts.network ? 'none' : (opts.networkMode ?? 'bridge');
      const dns = config.dnsConfig;
      const internal: Record<string, string> = {
        [LABELS.type]: 'podsandbox',
        [LABELS.podName]: m.name,
        [LABELS.podNamespace]: m.namespace,
        [LABELS.podUid]: m.uid,
        [LABELS.attempt]: String(m.attempt),
        [LABELS.createdAt]: String(clock.now()),
        [LABELS.logDirectory]: config.logDirectory,
        [LABELS.runtimeHandler]: req.runtimeHandler,
        [LABELS.network]: hostNetwork ? 'NODE' : 'POD',
        [LABELS.pid]: nsOpts?.pid ?? 'CONTAINER',
      };
      const portBindings: Record<string, Array<{ HostPort: string; HostIp: string }>> = {};
      if (!opts.network && networkMode === 'bridge') {
        for (const p of config.portMappings.filter((x) => x.hostPort > 0)) {
          portBindings[`${p.containerPort}/${(p.protocol || 'TCP').toLowerCase()}`] = [{ HostPort: String(p.hostPort), HostIp: p.hostIp }];
        }
      }
      const labels = toDockerLabels(config.labels, config.annotations, internal);
      // No image inspect first: Docker's 404 on create says the sandbox image is missing,
      // one round trip less on every pod start.
      const created = await call(
        (d) =>
          d.createContainer({
            name: sandboxName(m),
            Image: sandboxImage,
            Entrypoint: sandboxCommand,
            Cmd: [],
            Hostname: hostNetwork ? undefined : config.hostname || undefined,
            Labels: labels,
            ExposedPorts: Object.fromEntries(Object.keys(portBindings).map((k) => [k, {}])),
            HostConfig: {
              NetworkMode: networkMode,
              IpcMode: nsOpts?.ipc === 'NODE' ? 'host' : 'shareable',
              PidMode: nsOpts?.pid === 'NODE' ? 'host' : undefined,
              PortBindings: portBindings,
              Dns: dns?.servers.length ? dns.servers : undefined,
              DnsSearch: dns?.searches.length ? dns.searches : undefined,
              DnsOptions: dns?.options.length ? dns.options : undefined,
              CgroupParent: config.linux?.cgroupParent || undefined,
              Sysctls: Object.keys(config.linux?.sysctls ?? {}).length ? config.linux!.sysctls : undefined,
              Privileged: config.linux?.securityContext?.privileged || undefined,
            },
          }),
        `create pod sandbox for ${m.namespace}/${m.name}`,
      ).catch((err: CriError) => {
        if (!isCriError(err, 'NotFound')) throw err;
        throw new CriError('FailedPrecondition', `the sandbox image ${JSON.stringify(sandboxImage)} is not on the Docker daemon at ${conn.address}: import it (docker load/import) or configure sandboxImage`, { cause: err });
      });
      try {
        await call((d) => d.getContainer(created.id).start(), `start pod sandbox ${created.id}`);
        if (opts.network && !hostNetwork) await attachNetwork(created.id, config);
      } catch (err) {
        await conn.docker.getContainer(created.id).remove({ force: true }).catch(onError);
        throw err;
      }
      return { podSandboxId: created.id };
    },

    async stopPodSandbox(req: PodSandboxIdRequest) {
      const info = await inspectIfExists(req.podSandboxId, 'podsandbox', `stop pod sandbox ${req.podSandboxId}`);
      if (!info) return;
      const members = await listManaged('container', [`${LABELS.sandboxId}=${info.Id}`]);
      await Promise.all(members.filter((c) => c.State === 'running').map((c) => stopOne(c.Id, 0)));
      await detachNetwork(info);
      if (info.State.Running) await call((d) => d.getContainer(info.Id).kill(), `stop pod sandbox ${info.Id}`).catch((err: CriError) => {
        if (!isCriError(err, 'FailedPrecondition')) throw err; // exited meanwhile
      });
      await call((d) => d.getContainer(info.Id).wait({ condition: 'not-running' }), `stop pod sandbox ${info.Id}`);
    },

    async removePodSandbox(req: PodSandboxIdRequest) {
      const info = await inspectIfExists(req.podSandboxId, 'podsandbox', `remove pod sandbox ${req.podSandboxId}`);
      if (!info) return;
      const members = await listManaged('container', [`${LABELS.sandboxId}=${info.Id}`]);
      for (const c of members) await removeOne(c.Id);
      await detachNetwork(info).catch(onError);
      await removeOne(info.Id);
      saveCni(info.Id, undefined);
    },

    async podSandboxStatus(req: PodSandboxStatusRequest) {
      const info = await inspect(req.podSandboxId, 'podsandbox', `pod sandbox status ${req.podSandboxId}`);
      const l = info.Config.Labels ?? {};
      const { labels, annotations } = fromDockerLabels(l);
      const ns = (mode: string | undefined) => (mode === 'NODE' ? 'NODE' : 'POD');
      const status: CriInput<PodSandboxStatus> = {
        id: info.Id,
        metadata: sandboxMetadata(l),
        state: info.State.Running ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY',
        createdAt: createdNs(l, dockerTimeToNs(info.Created)),
        network: { ip: podIp(info), additionalIps: [] },
        linux: { namespaces: { options: { network: ns(l[LABELS.network]), pid: l[LABELS.pid] === 'POD' ? 'POD' : l[LABELS.pid] === 'NODE' ? 'NODE' : 'CONTAINER', ipc: 'POD', targetId: '', usernsOptions: null } } },
        labels,
        annotations,
        runtimeHandler: l[LABELS.runtimeHandler] ?? '',
      };
      return { status, info: req.verbose ? { pid: String(info.State.Pid), dockerName: info.Name.replace(/^\//, '') } : {} };
    },

    async listPodSandbox(req: ListPodSandboxRequest) {
      const f = req.filter;
      const items = (await listManaged('podsandbox', dockerLabelFilters(f?.labelSelector)))
        .map(toPodSandbox)
        .filter((s) => !f?.id || s.id === f.id || s.id.startsWith(f.id))
        .filter((s) => !f?.state || s.state === f.state.state)
        .filter((s) => criLabelsMatch(s.labels, f?.labelSelector));
      return { items };
    },

    async createContainer(req: CreateContainerRequest) {
      const c = req.config;
      if (!c?.metadata?.name) throw new CriError('InvalidArgument', 'container config needs metadata.name');
      if (!c.image?.image) throw new CriError('InvalidArgument', `container ${JSON.stringify(c.metadata.name)} needs an image`);
      // Both lookups at once; a missing sandbox is reported before a missing image.
      const [sbRead, imageRead] = await Promise.allSettled([inspect(req.podSandboxId, 'podsandbox', `create container ${JSON.stringify(c.metadata.name)}`), imageInspect(c.image.image)]);
      if (sbRead.status === 'rejected') throw sbRead.reason;
      if (imageRead.status === 'rejected') throw imageRead.reason;
      const sb = sbRead.value;
      const image = imageRead.value;
      const sl = sb.Config.Labels ?? {};
      const m = sandboxMetadata(sl);
      const logDir = req.sandboxConfig?.logDirectory || sl[LABELS.logDirectory] || '';
      const logPath = c.logPath ? (c.logPath.startsWith('/') ? c.logPath : logDir ? join(logDir, c.logPath) : '') : '';
      if (!image) throw new CriError('NotFound', `image ${JSON.stringify(c.image.image)} is not present on the Docker daemon: pull it first`);
      const sec = securityFields(c);
      const internal: Record<string, string> = {
        [LABELS.type]: 'container',
        [LABELS.podName]: m.name,
        [LABELS.podNamespace]: m.namespace,
        [LABELS.podUid]: m.uid,
        [LABELS.containerName]: c.metadata.name,
        [LABELS.attempt]: String(c.metadata.attempt),
        [LABELS.sandboxId]: sb.Id,
        [LABELS.createdAt]: String(clock.now()),
        [LABELS.image]: c.image.image,
        [LABELS.logPath]: logPath,
      };
      const labels = toDockerLabels(c.labels, c.annotations, internal);
      const join_ = `container:${sb.Id}`;
      const created = await call(
        (d) =>
          d.createContainer({
            name: containerName(c.metadata!.name, m, c.metadata!.attempt),
            Image: image.Id,
            ...entrypointAndCmd(c.command, c.args),
            Env: c.envs.map((e) => `${e.key}=${e.value}`),
            WorkingDir: c.workingDir || undefined,
            User: sec.User,
            Tty: c.tty,
            OpenStdin: c.stdin,
            StdinOnce: c.stdinOnce,
            Labels: labels,
            HostConfig: {
              NetworkMode: join_,
              IpcMode: sl[LABELS.pid] === 'NODE' || sb.HostConfig.IpcMode === 'host' ? 'host' : join_,
              PidMode: sl[LABELS.pid] === 'POD' ? join_ : sl[LABELS.pid] === 'NODE' ? 'host' : undefined,
              Mounts: bindMounts(c.mounts),
              Devices: c.devices.map((dv) => ({ PathOnHost: dv.hostPath, PathInContainer: dv.containerPath, CgroupPermissions: dv.permissions || 'rwm' })),
              CgroupParent: sb.HostConfig.CgroupParent || undefined,
              ...hostResources(c.linux?.resources, opts.podPidsLimit),
              ...sec.host,
            },
          }),
        `create container ${JSON.stringify(c.metadata.name)} in pod ${m.namespace}/${m.name}`,
      );
      made.set(created.id, { id: created.id, logPath, tty: !!c.tty, sandboxId: sb.Id });
      return { containerId: created.id };
    },

    async startContainer(req: ContainerIdRequest) {
      const what = `start container ${req.containerId}`;
      const facts = made.get(req.containerId) ?? containerFacts(await inspect(req.containerId, 'container', what));
      try {
        await call((d) => d.getContainer(facts.id).start(), `start container ${facts.id}`);
      } catch (err) {
        // Docker refuses to join the namespaces of a sandbox that is not running (or gone);
        // the container and its sandbox are looked at only then, so a normal start costs
        // no lookup besides the start itself.
        if (isCriError(err, 'Unavailable')) throw err;
        made.delete(facts.id);
        await inspect(facts.id, 'container', what);
        const sandbox = await inspectIfExists(facts.sandboxId, 'podsandbox', what).catch(() => undefined);
        if (!sandbox?.State.Running) throw new CriError('FailedPrecondition', `start container ${facts.id}: its pod sandbox is not running`, { cause: err });
        throw err;
      }
      follow(facts.id, facts.logPath, facts.tty);
    },

    async stopContainer(req: StopContainerRequest) {
      const info = await inspect(req.containerId, 'container', `stop container ${req.containerId}`);
      if (info.State.Running) await stopOne(info.Id, Math.max(0, req.timeout));
    },

    async removeContainer(req: ContainerIdRequest) {
      if (!(await inspectIfExists(req.containerId, 'container', `remove container ${req.containerId}`))) return;
      await removeOne(req.containerId);
    },

    async listContainers(req: ListContainersRequest) {
      const f = req.filter;
      const extra = [...(f?.podSandboxId ? [`${LABELS.sandboxId}=${f.podSandboxId}`] : []), ...dockerLabelFilters(f?.labelSelector)];
      const containers = (await listManaged('container', extra))
        .map(toContainer)
        .filter((c) => !f?.id || c.id === f.id || c.id.startsWith(f.id))
        .filter((c) => !f?.state || c.state === f.state.state)
        .filter((c) => criLabelsMatch(c.labels, f?.labelSelector));
      return { containers };
    },

    async containerStatus(req: ContainerStatusRequest) {
      const info = await inspect(req.containerId, 'container', `container status ${req.containerId}`);
      return { status: toContainerStatus(info), info: req.verbose ? { pid: String(info.State.Pid), dockerName: info.Name.replace(/^\//, '') } : {} };
    },

    async updateContainerResources(req: UpdateContainerResourcesRequest) {
      const info = await inspect(req.containerId, 'container', `update container resources ${req.containerId}`);
      const update = hostResources(req.linux, 0);
      if (Object.keys(update).length) await call((d) => d.getContainer(info.Id).update(update), `update container resources ${info.Id}`);
    },

    async reopenContainerLog(req: ContainerIdRequest) {
      const info = await inspect(req.containerId, 'container', `reopen container log ${req.containerId}`);
      if (!info.State.Running) throw new CriError('FailedPrecondition', `reopen container log ${info.Id}: the container is not running`);
      followers.get(info.Id)?.file.reopen();
    },

    async execSync(req: ExecSyncRequest): Promise<CriInput<ExecSyncResponse>> {
      const info = await inspect(req.containerId, 'container', `exec in container ${req.containerId}`);
      if (!req.cmd.length) throw new CriError('InvalidArgument', `exec in container ${info.Id}: cmd is empty`);
      if (!info.State.Running) throw new CriError('FailedPrecondition', `exec in container ${info.Id}: the container is not running (${info.State.Status})`);
      const exec = await call((d) => d.getContainer(info.Id).exec({ Cmd: req.cmd, AttachStdout: true, AttachStderr: true, Tty: false }), `exec in container ${info.Id}`);
      const stream = await call(() => exec.start({ hijack: true, stdin: false }), `exec in container ${info.Id}`);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const demux = new FrameDemuxer((s, p) => (s === 'stdout' ? out : err).push(Buffer.from(p)));
      const finished = new Promise<void>((resolve) => {
        stream.on('data', (chunk: Buffer) => demux.push(chunk));
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', () => resolve());
      });
      if (req.timeout > 0) {
        const ac = new AbortController();
        const timedOut = await Promise.race([finished.then(() => false), clock.sleep(req.timeout * 1000, ac.signal).then(() => true, () => false)]);
        ac.abort();
        if (timedOut) {
          (stream as { destroy?: () => void }).destroy?.();
          throw new CriError('DeadlineExceeded', `exec in container ${info.Id}: command ${JSON.stringify(req.cmd)} timed out after ${req.timeout}s`);
        }
      } else {
        await finished;
      }
      let exitCode: number | null = null;
      for (let i = 0; i < 50; i++) {
        const st = await call(() => exec.inspect(), `exec in container ${info.Id}`);
        if (!st.Running) {
          exitCode = st.ExitCode ?? 0;
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      if (exitCode === null) throw new CriError('Internal', `exec in container ${info.Id}: the output ended but Docker still reports the command running`);
      return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode };
    },

    async containerStats(req: ContainerIdRequest) {
      const info = await inspect(req.containerId, 'container', `container stats ${req.containerId}`);
      return { stats: await statsOf({ Id: info.Id, Labels: info.Config.Labels ?? {} }) };
    },

    async listContainerStats(req: ListContainerStatsRequest) {
      const f = req.filter;
      const extra = [...(f?.podSandboxId ? [`${LABELS.sandboxId}=${f.podSandboxId}`] : []), ...dockerLabelFilters(f?.labelSelector)];
      const list = (await listManaged('container', extra))
        .filter((c) => c.State === 'running')
        .filter((c) => !f?.id || c.Id === f.id || c.Id.startsWith(f.id))
        .filter((c) => criLabelsMatch(fromDockerLabels(c.Labels).labels, f?.labelSelector));
      return { stats: await Promise.all(list.map((c) => statsOf(c))) };
    },

    async updateRuntimeConfig() {
      // The pod CIDR belongs to the network plugin (IPAM) or to Docker's bridge; nothing to change.
    },

    async listImages(req: ListImagesRequest) {
      const ref = req.filter?.image?.image;
      const list = await call((d) => d.listImages(ref ? { filters: { reference: [ref] } } : {}), 'list images');
      const images: CriInput<Image>[] = list.map((i) => ({
        id: i.Id,
        repoTags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
        repoDigests: (i.RepoDigests ?? []).filter((t) => t !== '<none>@<none>'),
        size: i.Size,
        uid: null,
        username: '',
        spec: null,
        pinned: false,
      }));
      return { images };
    },

    async imageStatus(req: ImageStatusRequest) {
      const ref = req.image?.image;
      if (!ref) throw new CriError('InvalidArgument', 'image status: image.image is required');
      const info = await imageInspect(ref);
      return { image: info ? toImage(info) : null, info: {} };
    },

    async pullImage(req: PullImageRequest) {
      const ref = req.image?.image;
      if (!ref) throw new CriError('InvalidArgument', 'pull image: image.image is required');
      await pull(ref);
      const info = await imageInspect(ref);
      if (!info) throw new CriError('NotFound', `image ${JSON.stringify(ref)} is not present after pulling it (the archive holds other tags?)`);
      return { imageRef: info.Id };
    },

    async removeImage(req: RemoveImageRequest) {
      const ref = req.image?.image;
      if (!ref) throw new CriError('InvalidArgument', 'remove image: image.image is required');
      try {
        await conn.call((d) => d.getImage(ref).remove());
      } catch (err) {
        if (dockerStatus(err) === 404) return;
        throw toCriError(err, `remove image ${JSON.stringify(ref)}`);
      }
    },

    async imageFsInfo() {
      const [info, df] = await Promise.all([call((d) => d.info(), 'docker info'), call((d) => d.df(), 'docker system df')]);
      const used = (df as { LayersSize?: number }).LayersSize ?? 0;
      return {
        imageFilesystems: [{ timestamp: clock.now() * NS_PER_MS, fsId: { mountpoint: join(String((info as { DockerRootDir?: string }).DockerRootDir ?? ''), 'image') }, usedBytes: { value: used }, inodesUsed: { value: 0 } }],
      };
    },

    async close() {
      closed = true;
      conn.close();
      await Promise.all([...followers.keys()].map((id) => stopFollower(id, 0)));
    },
  };

  /** docker stop with SIGTERM, then SIGKILL after `timeoutSec`; resolves once it exited and its logs are flushed. */
  async function stopOne(id: string, timeoutSec: number): Promise<void> {
    try {
      await conn.call((d) => d.getContainer(id).stop({ t: timeoutSec }));
    } catch (err) {
      // 304: already stopped; 404: removed meanwhile. Both mean "not running".
      const s = dockerStatus(err);
      if (s !== 304 && s !== 404) throw toCriError(err, `stop container ${id}`);
    }
    await stopFollower(id, 2000);
  }

  async function removeOne(id: string): Promise<void> {
    made.delete(id);
    await stopFollower(id, 0);
    try {
      await conn.call((d) => d.getContainer(id).remove({ force: true, v: true }));
    } catch (err) {
      const s = dockerStatus(err);
      // 404: gone already; 409 "removal already in progress": another caller is removing it.
      if (s !== 404 && !(s === 409 && /in progress/i.test(dockerMessage(err)))) throw toCriError(err, `remove ${id}`);
    }
  }

  return runtime;
}

