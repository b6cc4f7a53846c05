import { isNotFound, rfc3339, type Clock, type Pod, type TimerHandle, type core } from '@bosun/api';
import type { Client, EventRecorder, Logger } from '@bosun/apiserver';
import type { Container, ContainerConfig, ContainerStatus, ContainerStatusResponse, CriClient, CriInput, LinuxContainerResources, Mount, PodSandbox, PodSandboxConfig, PodSandboxStatusResponse } from '@bosun/cri';
import type { RestartBackoff } from './backoff';
import { apiEnvSources, containerEnv, expandCommand, resolveContainerEnv, type EnvVar } from './env';
import { NodeAgentError, isNodeAgentError } from './errors';
import { runLifecycleHandler } from './handlers';
import type { ProbeManager } from './probes';
import { linuxResources } from './resources';
import type { MountedVolume, VolumeManager } from './volumes';
import { computePodStatus, currentContainer, jsonEqual, type ObservedContainer, type PodObservation, type WaitingReason } from './pod-status';

/** Label on sandboxes and containers naming the pod's uid. */
export const POD_UID_LABEL = 'io.kubernetes.pod.uid';
/** Label on sandboxes and containers naming the pod. */
export const POD_NAME_LABEL = 'io.kubernetes.pod.name';
/** Label on sandboxes and containers naming the pod's namespace. */
export const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
/** Label on containers naming the container. */
export const CONTAINER_NAME_LABEL = 'io.kubernetes.container.name';
/** Annotation on containers holding their restart count. */
export const RESTART_COUNT_ANNOTATION = 'io.kubernetes.container.restartCount';
/**
 * Pod annotation with per-container CRI annotations, as JSON
 * (`{"init-1": {"fake.bosun.dev/exit-after": "1s"}}`). Pod annotations themselves go to the
 * sandbox and so apply to every container; this one targets a single container.
 */
export const CONTAINER_ANNOTATIONS = 'bosun.dev/container-annotations';

const TEN_MINUTES = 600_000;

/** What every pod worker shares. */
/** What a sync just created: {@link PodWorker.observe} reads their statuses beside the lists. */
interface FreshIds {
  sandboxId?: string;
  containerIds?: readonly string[];
}

export interface PodWorkerContext {
  client: Client;
  cri: Pick<CriClient, 'runtime' | 'image'>;
  clock: Clock;
  nodeName: string;
  hostIP: string;
  runtimeName: string;
  crashBackoff: RestartBackoff;
  pullBackoff: RestartBackoff;
  probes: ProbeManager;
  logger: Logger;
  logRoot: string;
  /** Sets up and tears down pod volumes. */
  volumes: VolumeManager;
  /** Records the kubelet's Events (Pulling, Created, Started, Killing, FailedMount, …). */
  events: EventRecorder;
  /** Node allocatable (defaults of resource limits in env and downward API). */
  allocatable: Readonly<Record<string, string>>;
  /** Called once a worker has torn its pod down and can be dropped. */
  onDone(uid: string): void;
}

const ms = (ns: number) => Math.floor(ns / 1e6);
const fmtDuration = (d: number) => (d >= 60_000 ? `${Math.floor(d / 60_000)}m${(d % 60_000) / 1000}s` : `${d / 1000}s`);

/** The sandbox config of a pod; deterministic, so adopting and creating agree. */
export function sandboxConfig(pod: Pod, attempt: number, logRoot: string): CriInput<PodSandboxConfig> {
  const m = pod.metadata!;
  return {
    metadata: { name: m.name!, namespace: m.namespace!, uid: m.uid!, attempt },
    // As the kubelet: a hostNetwork pod keeps the node's hostname (runtimes refuse to set
    // one without a private UTS namespace); others get spec.hostname or the pod name.
    hostname: pod.spec?.hostNetwork ? '' : (pod.spec?.hostname ?? m.name!).slice(0, 63),
    logDirectory: `${logRoot}/${m.namespace}_${m.name}_${m.uid}`,
    labels: { ...m.labels, [POD_NAME_LABEL]: m.name!, [POD_NAMESPACE_LABEL]: m.namespace!, [POD_UID_LABEL]: m.uid! },
    annotations: { ...m.annotations },
    linux: pod.spec?.hostNetwork ? { securityContext: { namespaceOptions: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } } : null,
  };
}

function containerAnnotations(pod: Pod, name: string): Record<string, string> {
  const raw = pod.metadata?.annotations?.[CONTAINER_ANNOTATIONS];
  if (!raw) return {};
  try {
    const all = JSON.parse(raw) as Record<string, Record<string, string>>;
    return { ...all[name] };
  } catch {
    return {};
  }
}

/** What a container config is built from besides the pod spec. */
export interface ContainerConfigExtras {
  /** The resolved environment; default: the plain `value`s only ({@link containerEnv}). */
  env?: EnvVar[];
  /** The CRI mounts (volumes). */
  mounts?: CriInput<Mount>[];
  /** `linux.resources` (cpu shares/quota, memory limit). */
  resources?: CriInput<LinuxContainerResources>;
}

/** The container config of `container` at restart count `restartCount`. */
export function containerConfig(pod: Pod, container: core.Container, restartCount: number, extras: ContainerConfigExtras = {}): CriInput<ContainerConfig> {
  const env = extras.env ?? containerEnv(container);
  const { command, args } = expandCommand(container, env);
  const m = pod.metadata!;
  return {
    metadata: { name: container.name, attempt: restartCount },
    image: { image: container.image ?? '' },
    command,
    args,
    workingDir: container.workingDir ?? '',
    envs: env,
    labels: { [CONTAINER_NAME_LABEL]: container.name, [POD_NAME_LABEL]: m.name!, [POD_NAMESPACE_LABEL]: m.namespace!, [POD_UID_LABEL]: m.uid! },
    annotations: {
      ...containerAnnotations(pod, container.name),
      [RESTART_COUNT_ANNOTATION]: String(restartCount),
      'io.kubernetes.container.terminationMessagePath': container.terminationMessagePath ?? '/dev/termination-log',
      'io.kubernetes.pod.terminationGracePeriod': String(pod.spec?.terminationGracePeriodSeconds ?? 30),
    },
    logPath: `${container.name}/${restartCount}.log`,
    tty: !!container.tty,
    stdin: !!container.stdin,
    mounts: extras.mounts ?? [],
    ...(extras.resources ? { linux: { resources: extras.resources } } : {}),
  };
}

/** `Always` for `:latest` or untagged images, else `IfNotPresent` (upstream's defaulting). */
export function pullPolicyOf(container: core.Container): string {
  if (container.imagePullPolicy) return container.imagePullPolicy;
  const image = container.image ?? '';
  const lastPart = image.split('/').pop() ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  return !lastPart.includes(':') || lastPart.endsWith(':latest') ? 'Always' : 'IfNotPresent';
}

/**
 * Drives one pod (by uid) toward its spec through CRI, one sync at a time: syncs
 * requested while one runs collapse into one more run afterwards. Level-triggered: each
 * sync re-reads the runtime, so the reason for a sync never matters.
 */
export class PodWorker {
  /** Latest pod from the API; undefined once it is gone. */
  pod: Pod | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private timer: { handle: TimerHandle; at: number } | undefined;
  private waiting = new Map<string, WaitingReason>();
  private terminal = false;
  private done = false;
  private volumes: Map<string, MountedVolume> = new Map();
  private mountRetryMs = 0;
  private stopped = false;
  /** Set when this sync changed the runtime (created, started or stopped a container): the status must be read again. */
  private changed = false;
  /** Containers this sync created (their statuses are read beside the next lists). */
  private created: string[] = [];
  /** Container statuses by id, valid while the listed state is the cached one ({@link PodWorker.observe}). */
  private statusCache = new Map<string, ContainerStatus>();
  private sandboxCache: { id: string; state: string; observed: PodObservation['sandbox'] } | undefined;

  constructor(
    readonly uid: string,
    private readonly ctx: PodWorkerContext,
  ) {}

  /** Requests a sync (coalesced with one in flight). */
  kick(): void {
    if (this.done || this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop();
  }

  /** Resolves when no sync runs. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** Stops timers; later kicks are ignored. Does not touch the runtime. */
  stop(): void {
    this.stopped = true;
    if (this.timer) this.ctx.clock.clearTimeout(this.timer.handle);
    this.timer = undefined;
  }

  private requeueAt(at: number): void {
    if (this.timer && this.timer.at <= at && this.timer.at >= this.ctx.clock.now()) return;
    if (this.timer) this.ctx.clock.clearTimeout(this.timer.handle);
    const handle = this.ctx.clock.setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, at - this.ctx.clock.now());
    this.timer = { handle, at };
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        try {
          await this.sync();
        } catch (err) {
          if (this.stopped) return;
          this.ctx.logger.warn(`node-agent: sync of pod ${this.describe()} failed: ${err instanceof Error ? err.message : String(err)}`);
          this.requeueAt(this.ctx.clock.now() + 1000);
        }
      } while (this.again && !this.done && !this.stopped);
    } finally {
      this.running = undefined;
    }
  }

  private describe(): string {
    const m = this.pod?.metadata;
    return m ? `${m.namespace}/${m.name}` : this.uid;
  }

  /**
   * Reads what the runtime holds for this pod: two list calls, then a status call only for
   * a sandbox or container that is new or changed state since the last read. What a status
   * reports is fixed for a given id and state (an exited container's exit code, a running
   * one's start time, a ready sandbox's IP), so it is cached per (id, state), as the
   * kubelet's PLEG keeps a pod cache and inspects only what changed.
   */
  async observe(fresh: FreshIds = {}): Promise<PodObservation> {
    const rt = this.ctx.cri.runtime;
    const selector = { labelSelector: { [POD_UID_LABEL]: this.uid } };
    // Statuses of what this sync just made are asked for beside the lists (their state is
    // new, so they would be asked for after them anyway): one round trip instead of two.
    const early = new Map<string, Promise<unknown>>();
    if (fresh.sandboxId) early.set(fresh.sandboxId, rt.podSandboxStatus(fresh.sandboxId).catch(() => null));
    for (const id of fresh.containerIds ?? []) early.set(id, rt.containerStatus(id).catch(() => null));
    const [sandboxList, list] = await Promise.all([rt.listPodSandbox(selector), rt.listContainers(selector)]);
    const sandboxes = sandboxList.sort((a, b) => (b.metadata?.attempt ?? 0) - (a.metadata?.attempt ?? 0) || b.createdAt - a.createdAt);
    const latest = sandboxes[0];
    const [sandbox, statuses] = await Promise.all([
      latest ? this.sandboxStatus(latest, early.get(latest.id) as Promise<PodSandboxStatusResponse | null> | undefined) : undefined,
      Promise.all(list.map((c) => this.containerStatus(c, early.get(c.id) as Promise<ContainerStatusResponse | null> | undefined))),
    ]);
    this.pruneStatusCache(latest, list);
    const containers = new Map<string, ObservedContainer[]>();
    for (const [i, c] of list.entries()) {
      const st = statuses[i];
      if (!st) continue;
      const name = c.labels[CONTAINER_NAME_LABEL] ?? c.metadata?.name ?? '';
      const entry: ObservedContainer = { status: st, sandboxId: c.podSandboxId, restartCount: Number(st.annotations[RESTART_COUNT_ANNOTATION] ?? c.metadata?.attempt ?? 0) };
      const arr = containers.get(name) ?? [];
      arr.push(entry);
      containers.set(name, arr);
    }
    for (const arr of containers.values()) arr.sort((a, b) => b.restartCount - a.restartCount || b.status.createdAt - a.status.createdAt);
    return { sandbox, containers };
  }

  private async sandboxStatus(latest: PodSandbox, early?: Promise<PodSandboxStatusResponse | null>): Promise<PodObservation['sandbox']> {
    const cached = this.sandboxCache;
    if (cached && cached.id === latest.id && cached.state === latest.state) return cached.observed;
    const st = await (early ?? this.ctx.cri.runtime.podSandboxStatus(latest.id).catch(() => null));
    const observed = { id: latest.id, ready: st?.status?.state === 'SANDBOX_READY', ip: st?.status?.network?.ip ?? '', attempt: latest.metadata?.attempt ?? 0 };
    // Only a status that was read is cached: a failed read is retried next time.
    this.sandboxCache = st?.status && st.status.state === latest.state ? { id: latest.id, state: latest.state, observed } : undefined;
    return observed;
  }

  private async containerStatus(c: Container, early?: Promise<ContainerStatusResponse | null>): Promise<ContainerStatus | undefined> {
    const cached = this.statusCache.get(c.id);
    if (cached && cached.state === c.state && c.state !== 'CONTAINER_UNKNOWN') return cached;
    const st = (await (early ?? this.ctx.cri.runtime.containerStatus(c.id).catch(() => null)))?.status ?? undefined;
    if (st) this.statusCache.set(c.id, st);
    else this.statusCache.delete(c.id);
    return st;
  }

  /** Drops cached statuses of what the runtime no longer lists. */
  private pruneStatusCache(latest: PodSandbox | undefined, list: readonly Container[]): void {
    if (this.sandboxCache && this.sandboxCache.id !== latest?.id) this.sandboxCache = undefined;
    if (this.statusCache.size <= list.length) return;
    const live = new Set(list.map((c) => c.id));
    for (const id of this.statusCache.keys()) if (!live.has(id)) this.statusCache.delete(id);
  }

  private async sync(): Promise<void> {
    const pod = this.pod;
    if (!pod) return this.teardown();
    if (pod.metadata?.deletionTimestamp) return this.terminate(pod);
    this.waiting = new Map();
    let obs = await this.observe();
    const stored = pod.status?.phase;
    if (stored === 'Succeeded' || stored === 'Failed' || this.terminal) {
      this.terminal = true;
      if (obs.sandbox?.ready) await this.ctx.cri.runtime.stopPodSandbox(obs.sandbox.id);
      this.ctx.probes.retain(this.uid, new Set());
      return;
    }
    if (!(await this.setUpVolumes(pod, obs))) return;
    const overLimit = await this.ctx.volumes.emptyDirOverLimit(pod);
    if (overLimit) return this.evict(pod, overLimit);
    // A sandbox this sync made and has not yet seen listed under the pod's uid.
    let unlisted: string | undefined;
    if (!obs.sandbox?.ready) {
      for (const arr of obs.containers.values()) for (const c of arr) if (c.status.state === 'CONTAINER_RUNNING') await this.ctx.cri.runtime.stopContainer(c.status.id, 0);
      const attempt = obs.sandbox ? obs.sandbox.attempt + 1 : 0;
      const created = await this.ctx.cri.runtime.runPodSandbox(sandboxConfig(pod, attempt, this.ctx.logRoot));
      const fresh = !obs.sandbox && obs.containers.size === 0 ? await this.freshSandbox(created) : undefined;
      if (fresh) {
        // The pod's first sandbox: nothing else of the pod to list, so its status is all
        // there is to read (as the kubelet reads PodSandboxStatus after RunPodSandbox). That
        // the runtime lists it under the pod's uid is checked by the relist below.
        obs = { sandbox: fresh, containers: new Map() };
        unlisted = created;
      } else {
        obs = await this.observe({ sandboxId: created });
        if (!obs.sandbox) await this.unlistedSandbox(created);
      }
    }
    const sandboxId = obs.sandbox!.id;
    this.changed = false;
    this.created = [];
    const initState = await this.syncInitContainers(pod, obs, sandboxId);
    if (initState === 'done') await this.syncAppContainers(pod, obs, sandboxId);
    // What this sync started shows in the status it posts now, not a relist later.
    if (this.changed || unlisted) obs = await this.observe({ containerIds: this.created });
    if (unlisted && obs.sandbox?.id !== unlisted) await this.unlistedSandbox(unlisted);
    this.trackProbes(pod, obs);
    await this.gcContainers(obs);
    const status = await this.updateStatus(pod, obs);
    if (status && (status.phase === 'Succeeded' || status.phase === 'Failed')) {
      this.terminal = true;
      this.ctx.probes.retain(this.uid, new Set());
      await this.ctx.cri.runtime.stopPodSandbox(sandboxId);
    }
  }

  /** The status of a sandbox just made, as {@link PodWorker.observe} reports it; undefined unless it reads back ready. */
  private async freshSandbox(id: string): Promise<PodObservation['sandbox'] | undefined> {
    const st = (await this.ctx.cri.runtime.podSandboxStatus(id).catch(() => null))?.status;
    if (st?.state !== 'SANDBOX_READY') return undefined;
    const observed = { id, ready: true, ip: st.network?.ip ?? '', attempt: st.metadata?.attempt ?? 0 };
    this.sandboxCache = { id, state: st.state, observed };
    return observed;
  }

  /**
   * The runtime made a sandbox it does not list for this pod (its labels lost): removes it
   * (and what runs in it) so the retry does not collide with its name, and fails the sync.
   */
  private async unlistedSandbox(created: string): Promise<never> {
    await this.ctx.cri.runtime.stopPodSandbox(created).catch(() => undefined);
    await this.ctx.cri.runtime.removePodSandbox(created).catch(() => undefined);
    throw new NodeAgentError('Sandbox', `the runtime created sandbox ${created} for pod ${this.describe()} but does not list it under the pod's uid label; removed it`);
  }

  /** Mounts (or refreshes) the pod's volumes; on failure reports FailedMount, posts the status and retries with back-off. */
  private async setUpVolumes(pod: Pod, obs: PodObservation): Promise<boolean> {
    if (!pod.spec?.volumes?.length) return true;
    try {
      this.volumes = await this.ctx.volumes.setUp(pod);
      this.mountRetryMs = 0;
      return true;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.ctx.events.event(pod, 'Warning', 'FailedMount', message);
      this.ctx.logger.warn(`node-agent: pod ${this.describe()}: ${message}`);
      this.mountRetryMs = Math.min(Math.max(2000, this.mountRetryMs * 2), 122_000);
      this.requeueAt(this.ctx.clock.now() + this.mountRetryMs);
      await this.updateStatus(pod, obs);
      return false;
    }
  }

  /**
   * Evicts the pod as the kubelet's eviction manager does for local storage: every
   * container is killed at once, and the pod ends Failed with reason Evicted and a
   * DisruptionTarget condition. It is not restarted (its controller makes a new one).
   */
  private async evict(pod: Pod, message: string): Promise<void> {
    const rt = this.ctx.cri.runtime;
    this.ctx.events.event(pod, 'Warning', 'Evicted', message);
    this.ctx.probes.retain(this.uid, new Set());
    const obs = await this.observe();
    for (const arr of obs.containers.values()) for (const c of arr) if (c.status.state === 'CONTAINER_RUNNING') await rt.stopContainer(c.status.id, 0);
    const after = await this.observe();
    const now = this.ctx.clock.now();
    const base = computePodStatus({ pod, observation: after, waiting: this.waiting, probes: this.ctx.probes, hostIP: this.ctx.hostIP, runtimeName: this.ctx.runtimeName, now });
    const disruption: core.PodCondition = { type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message, lastTransitionTime: rfc3339(now) };
    const status: core.PodStatus = { ...base, phase: 'Failed', reason: 'Evicted', message, conditions: [...(base.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'), disruption] };
    try {
      await this.ctx.client.updateStatus({ ...pod, status });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.terminal = true;
    if (after.sandbox?.ready) await rt.stopPodSandbox(after.sandbox.id);
  }

  private async syncInitContainers(pod: Pod, obs: PodObservation, sandboxId: string): Promise<'done' | 'waiting' | 'failed'> {
    const policy = pod.spec?.restartPolicy ?? 'Always';
    for (const spec of pod.spec?.initContainers ?? []) {
      const cur = currentContainer(obs, spec.name);
      const st = cur?.status.state;
      if (cur && (st === 'CONTAINER_EXITED' || st === 'CONTAINER_UNKNOWN')) {
        if (cur.status.exitCode === 0) continue;
        if (policy === 'Never') return 'failed';
        await this.restartWithBackoff(pod, spec, obs, sandboxId);
        return 'waiting';
      }
      if (cur) return 'waiting';
      await this.startContainer(pod, spec, obs, sandboxId);
      return 'waiting';
    }
    return 'done';
  }

  private async syncAppContainers(pod: Pod, obs: PodObservation, sandboxId: string): Promise<void> {
    const policy = pod.spec?.restartPolicy ?? 'Always';
    const grace = pod.spec?.terminationGracePeriodSeconds ?? 30;
    await Promise.all(
      (pod.spec?.containers ?? []).map(async (spec) => {
        const cur = currentContainer(obs, spec.name);
        if (!cur) return this.startContainer(pod, spec, obs, sandboxId);
        if (cur.status.state === 'CONTAINER_RUNNING') {
          const failed = this.ctx.probes.failed(cur.status.id);
          if (!failed) return;
          this.ctx.events.event(pod, 'Normal', 'Killing', `Container ${spec.name} failed ${failed} probe, will be restarted`);
          this.ctx.probes.retain(this.uid, new Set([...this.runningIds(obs)].filter((id) => id !== cur.status.id)));
          this.changed = true;
          await this.ctx.cri.runtime.stopContainer(cur.status.id, grace);
          this.again = true;
          return;
        }
        if (cur.status.state === 'CONTAINER_CREATED') return;
        const restart = policy === 'Always' || (policy === 'OnFailure' && cur.status.exitCode !== 0);
        if (restart) await this.restartWithBackoff(pod, spec, obs, sandboxId);
      }),
    );
  }

  private runningIds(obs: PodObservation): Set<string> {
    const ids = new Set<string>();
    for (const arr of obs.containers.values()) for (const c of arr) if (c.status.state === 'CONTAINER_RUNNING') ids.add(c.status.id);
    return ids;
  }

  /** CrashLoopBackOff: restart now unless the key is still backing off, in which case wake up when it ends. */
  private async restartWithBackoff(pod: Pod, spec: core.Container, obs: PodObservation, sandboxId: string): Promise<void> {
    const cur = currentContainer(obs, spec.name)!;
    const key = `${this.uid}/${spec.name}`;
    const { startedAt, finishedAt } = cur.status;
    if (startedAt && finishedAt && ms(finishedAt) - ms(startedAt) >= TEN_MINUTES) this.ctx.crashBackoff.reset(key);
    const finished = ms(finishedAt || cur.status.createdAt);
    if (this.ctx.crashBackoff.isInBackoffSince(key, finished)) {
      const delay = this.ctx.crashBackoff.get(key);
      const m = pod.metadata!;
      this.waiting.set(spec.name, { reason: 'CrashLoopBackOff', message: `back-off ${fmtDuration(delay)} restarting failed container=${spec.name} pod=${m.name}_${m.namespace}(${m.uid})` });
      this.ctx.events.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${spec.name} in pod ${m.name}_${m.namespace}(${m.uid})`);
      this.requeueAt(finished + delay);
      return;
    }
    this.ctx.crashBackoff.next(key, finished);
    await this.startContainer(pod, spec, obs, sandboxId);
  }

  private async ensureImage(pod: Pod, spec: core.Container): Promise<boolean> {
    const image = spec.image ?? '';
    const policy = pullPolicyOf(spec);
    const { events } = this.ctx;
    const present = !!(await this.ctx.cri.image.imageStatus(image)).image;
    if (policy === 'Never') {
      if (present) return true;
      const message = `Container image "${image}" is not present with pull policy of Never`;
      this.waiting.set(spec.name, { reason: 'ErrImageNeverPull', message });
      events.event(pod, 'Warning', 'ErrImageNeverPull', message);
      this.requeueAt(this.ctx.clock.now() + 10_000);
      return false;
    }
    if (policy === 'IfNotPresent' && present) {
      events.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return true;
    }
    const key = `${this.uid}/${spec.name}/${image}`;
    if (this.ctx.pullBackoff.isInBackoffSinceUpdate(key)) {
      this.waiting.set(spec.name, { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` });
      events.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
      this.requeueAt(this.ctx.clock.now() + 1000);
      return false;
    }
    try {
      events.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
      await this.ctx.cri.image.pullImage(image, undefined, sandboxConfig(pod, 0, this.ctx.logRoot));
      events.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}"`);
      return true;
    } catch (err) {
      this.ctx.pullBackoff.next(key, this.ctx.clock.now());
      const message = `Failed to pull image "${image}": ${err instanceof Error ? err.message : String(err)}`;
      this.waiting.set(spec.name, { reason: 'ErrImagePull', message });
      events.event(pod, 'Warning', 'Failed', message);
      // Look again soon: the next sync within the back-off reports ImagePullBackOff.
      this.requeueAt(this.ctx.clock.now() + 1000);
      return false;
    }
  }

  private podIP(pod: Pod, obs: PodObservation): string {
    return pod.spec?.hostNetwork ? this.ctx.hostIP : (obs.sandbox?.ip ?? '');
  }

  /** Environment, mounts and resources of a container; undefined (with CreateContainerConfigError set) when they cannot be built. */
  private async configExtras(pod: Pod, spec: core.Container, obs: PodObservation): Promise<ContainerConfigExtras | undefined> {
    try {
      const { env, warnings } = await resolveContainerEnv({
        pod,
        container: spec,
        sources: apiEnvSources(this.ctx.client, pod.metadata!.namespace!),
        podIP: this.podIP(pod, obs),
        hostIP: this.ctx.hostIP,
        allocatable: this.ctx.allocatable,
      });
      for (const w of warnings) this.ctx.events.event(pod, 'Warning', w.reason, w.message);
      const mounts = await this.ctx.volumes.containerMounts(spec, this.volumes, env);
      return { env, mounts, resources: linuxResources(pod, spec, this.ctx.allocatable.memory ?? '0') };
    } catch (err) {
      if (!isNodeAgentError(err) || err.code !== 'CreateContainerConfig') throw err;
      this.waiting.set(spec.name, { reason: 'CreateContainerConfigError', message: err.message });
      this.ctx.events.event(pod, 'Warning', 'Failed', `Error: ${err.message}`);
      this.requeueAt(this.ctx.clock.now() + 10_000);
      return undefined;
    }
  }

  private async startContainer(pod: Pod, spec: core.Container, obs: PodObservation, sandboxId: string): Promise<void> {
    if (!(await this.ensureImage(pod, spec))) return;
    const extras = await this.configExtras(pod, spec, obs);
    if (!extras) return;
    const latest = obs.containers.get(spec.name)?.[0];
    const restartCount = latest ? latest.restartCount + 1 : 0;
    const rt = this.ctx.cri.runtime;
    const { events } = this.ctx;
    const sbConfig = sandboxConfig(pod, obs.sandbox?.attempt ?? 0, this.ctx.logRoot);
    let id: string;
    try {
      id = await rt.createContainer(sandboxId, containerConfig(pod, spec, restartCount, extras), sbConfig);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.waiting.set(spec.name, { reason: 'CreateContainerError', message });
      events.event(pod, 'Warning', 'Failed', `Error: ${message}`);
      this.requeueAt(this.ctx.clock.now() + 10_000);
      return;
    }
    this.changed = true;
    this.created.push(id);
    events.event(pod, 'Normal', 'Created', `Created container ${spec.name}`);
    try {
      await rt.startContainer(id);
    } catch (err) {
      // The runtime records the failed start (StartError); the next sync restarts per policy.
      const message = err instanceof Error ? err.message : String(err);
      events.event(pod, 'Warning', 'Failed', `Error: ${message}`);
      this.ctx.logger.warn(`node-agent: starting container ${spec.name} of pod ${this.describe()} failed: ${message}`);
      this.again = true;
      return;
    }
    events.event(pod, 'Normal', 'Started', `Started container ${spec.name}`);
    const postStart = spec.lifecycle?.postStart;
    if (postStart) {
      const grace = pod.spec?.terminationGracePeriodSeconds ?? 30;
      const failure = await runLifecycleHandler(rt, this.ctx.clock, postStart, { containerId: id, container: spec, podIP: this.podIP(pod, obs) }, grace);
      if (failure !== undefined) {
        // Upstream keeps the handler's output out of the Event (it may hold secrets); the log has it.
        events.event(pod, 'Warning', 'FailedPostStartHook', 'PostStartHook failed');
        this.ctx.logger.warn(`node-agent: postStart hook of container ${spec.name} of pod ${this.describe()} failed: ${failure}; killing it`);
        events.event(pod, 'Normal', 'Killing', `FailedPostStartHook`);
        await rt.stopContainer(id, grace);
        this.again = true;
      }
    }
  }

  private trackProbes(pod: Pod, obs: PodObservation): void {
    const keep = new Set<string>();
    const podIP = pod.spec?.hostNetwork ? this.ctx.hostIP : (obs.sandbox?.ip ?? '');
    for (const spec of pod.spec?.containers ?? []) {
      const cur = currentContainer(obs, spec.name);
      if (cur?.status.state !== 'CONTAINER_RUNNING') continue;
      if (!spec.livenessProbe && !spec.readinessProbe && !spec.startupProbe) continue;
      keep.add(cur.status.id);
      this.ctx.probes.ensure({ podUID: this.uid, containerId: cur.status.id, container: spec, podIP, startedAtMs: ms(cur.status.startedAt) });
    }
    this.ctx.probes.retain(this.uid, keep);
  }

  /** Keeps the newest two containers of each name (the current one and the one `lastState` shows). */
  private async gcContainers(obs: PodObservation): Promise<void> {
    for (const arr of obs.containers.values())
      for (const c of arr.slice(2)) if (c.status.state === 'CONTAINER_EXITED') await this.ctx.cri.runtime.removeContainer(c.status.id);
  }

  private async updateStatus(pod: Pod, obs: PodObservation): Promise<core.PodStatus | undefined> {
    const { client, clock } = this.ctx;
    let current = pod;
    for (let i = 0; i < 5; i++) {
      const status = computePodStatus({ pod: current, observation: obs, waiting: this.waiting, probes: this.ctx.probes, hostIP: this.ctx.hostIP, runtimeName: this.ctx.runtimeName, now: clock.now() });
      if (jsonEqual(status, current.status)) return status;
      try {
        const updated = await client.updateStatus({ ...current, status });
        if (this.pod?.metadata?.uid === updated.metadata?.uid && !this.pod?.metadata?.deletionTimestamp) this.pod = updated;
        return status;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        if ((err as { code?: number }).code !== 409) throw err;
        current = await client.get('v1', 'Pod', pod.metadata!.namespace!, pod.metadata!.name!);
        if (current.metadata?.uid !== this.uid) return undefined;
      }
    }
    this.again = true;
    return undefined;
  }

  /** Graceful termination: preStop hooks, StopContainer with the remaining grace, sandbox stop and removal, then the delete is confirmed. */
  private async terminate(pod: Pod): Promise<void> {
    const { clock, cri } = this.ctx;
    const m = pod.metadata!;
    const deadline = Date.parse(m.deletionTimestamp!);
    const grace = Math.max(0, Math.min(m.deletionGracePeriodSeconds ?? Infinity, Math.ceil((deadline - clock.now()) / 1000)));
    const obs = await this.observe();
    this.ctx.probes.retain(this.uid, new Set());
    const specs = new Map([...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => [c.name, c] as const));
    const live: ObservedContainer[] = [];
    for (const arr of obs.containers.values()) for (const c of arr) if (c.status.state === 'CONTAINER_RUNNING' || c.status.state === 'CONTAINER_CREATED') live.push(c);
    await Promise.all(
      live.map(async (c) => {
        const start = clock.now();
        const name = c.status.metadata?.name ?? '';
        const spec = specs.get(name);
        const preStop = spec?.lifecycle?.preStop;
        if (c.status.state === 'CONTAINER_RUNNING') this.ctx.events.event(pod, 'Normal', 'Killing', `Stopping container ${name}`);
        if (spec && preStop && c.status.state === 'CONTAINER_RUNNING' && grace > 0) {
          const failure = await runLifecycleHandler(cri.runtime, clock, preStop, { containerId: c.status.id, container: spec, podIP: this.podIP(pod, obs) }, grace);
          if (failure !== undefined) {
            this.ctx.events.event(pod, 'Warning', 'FailedPreStopHook', 'PreStopHook failed');
            this.ctx.logger.warn(`node-agent: preStop hook of container ${name} of pod ${this.describe()} failed: ${failure}`);
          }
        }
        const left = Math.max(0, grace - Math.floor((clock.now() - start) / 1000));
        await cri.runtime.stopContainer(c.status.id, left);
      }),
    );
    await this.removeSandboxes();
    // The pod object goes only once its volumes are torn down (upstream: PodResourcesAreReclaimed).
    await this.ctx.volumes.tearDown(this.uid);
    try {
      await this.ctx.client.delete('v1', 'Pod', m.namespace!, m.name!, { gracePeriodSeconds: 0, preconditions: { uid: this.uid } });
    } catch (err) {
      if (!isNotFound(err) && (err as { code?: number }).code !== 409) throw err;
    }
    this.finish();
  }

  /** The pod is gone from the API: everything it had in the runtime goes too. */
  private async teardown(): Promise<void> {
    this.ctx.probes.retain(this.uid, new Set());
    const obs = await this.observe();
    for (const arr of obs.containers.values()) for (const c of arr) if (c.status.state === 'CONTAINER_RUNNING') await this.ctx.cri.runtime.stopContainer(c.status.id, 0);
    await this.removeSandboxes();
    await this.ctx.volumes.tearDown(this.uid);
    this.finish();
  }

  private async removeSandboxes(): Promise<void> {
    const rt = this.ctx.cri.runtime;
    for (const sb of await rt.listPodSandbox({ labelSelector: { [POD_UID_LABEL]: this.uid } })) {
      await rt.stopPodSandbox(sb.id);
      await rt.removePodSandbox(sb.id);
    }
  }

  private finish(): void {
    this.done = true;
    this.stop();
    this.ctx.crashBackoff.resetPrefix(`${this.uid}/`);
    this.ctx.pullBackoff.resetPrefix(`${this.uid}/`);
    this.ctx.onDone(this.uid);
  }
}
