import { ApiError, RealClock, type Clock, type Node, type Pod, type Selector, type core } from '@bosun/api';
import { createEventRecorder, type Client, type Logger } from '@bosun/apiserver';
import { createInformer } from '@bosun/controller-runtime';
import type { Container, CriClient, VersionResponse } from '@bosun/cri';
import { createRestartBackoff } from './backoff';
import { readContainerLog, type LogOptions } from './logs';
import { DEFAULT_CAPACITY, refreshNodeStatus, registerNode, renewLease, type NodeFacts } from './node-status';
import { CONTAINER_NAME_LABEL, POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL, PodWorker, RESTART_COUNT_ANNOTATION, type PodWorkerContext } from './pod-worker';
import { createProbeManager, type ProbeManager } from './probes';
import { VolumeManager, type CsiNodeClient } from './volumes';

/** The result of {@link NodeAgent.exec}. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** One pod's usage, shaped as the HPA's `MetricsProvider` (`@bosun/controllers`) wants it. */
export interface PodUsageSample {
  pod: string;
  /** End of the window, ms since the epoch on the agent's clock. */
  timestamp: number;
  windowMs: number;
  usage: { cpu?: string; memory?: string };
}

/** Structurally the HPA's `MetricsProvider`: usage of the running pods of this node. */
export interface NodeMetricsProvider {
  getPodMetrics(namespace: string, selector: Selector): Promise<PodUsageSample[]>;
}

/** Options of {@link createNodeAgent}. */
export interface NodeAgentOptions {
  /** The API client. */
  client: Client;
  /** The container runtime (a CRI client: `createCriClient(endpoint)` or `createInProcessCriClient(impl)`). */
  cri: Pick<CriClient, 'runtime' | 'image'>;
  /** The Node's name (also `kubernetes.io/hostname`). */
  nodeName: string;
  /** Drives heartbeats, relists, probes, back-offs and grace periods. Default: a RealClock. */
  clock?: Clock;
  /** Capacity (and allocatable): cpu, memory, pods, ephemeral-storage. Default {@link DEFAULT_CAPACITY}. */
  capacity?: Partial<Record<'cpu' | 'memory' | 'pods' | 'ephemeral-storage', string>> & Record<string, string>;
  /** Extra node labels (merged over the well-known ones). */
  labels?: Record<string, string>;
  /** Node taints. */
  taints?: core.Taint[];
  /** `spec.podCIDR`; also pushed to the runtime with UpdateRuntimeConfig. */
  podCidr?: string;
  /** Lease renewal period. Default 10 000 ms. */
  heartbeatIntervalMs?: number;
  /** `spec.leaseDurationSeconds` of the Lease. Default 40. */
  leaseDurationSeconds?: number;
  /** How often the node status (heartbeat times) is posted. Default 60 000 ms. */
  nodeStatusIntervalMs?: number;
  /** PLEG relist period: how often the runtime is listed for container changes. Default 1 000 ms. */
  relistIntervalMs?: number;
  /** The node's InternalIP (hostIP of its pods). Default `127.0.0.1`. */
  hostIP?: string;
  /** Root of pod log directories passed to the runtime. Default `/var/log/pods`. */
  logRoot?: string;
  /**
   * The agent's state directory, like `/var/lib/kubelet`: pod volumes live under
   * `<rootDir>/pods/<uid>/volumes/<plugin>/<name>`, CSI staging under
   * `<rootDir>/plugins/kubernetes.io/csi/`. Unset: pods with volumes other than hostPath
   * (or hostPath/local PVs) fail with FailedMount saying so.
   */
  rootDir?: string;
  /** CSI node plugins by driver name (a PV's `spec.csi.driver`), e.g. `{ 'hostpath.csi.bosun.dev': createCsiClient(sock) }`. */
  csiDrivers?: Readonly<Record<string, CsiNodeClient>>;
  /** Mount a tmpfs for emptyDir `medium: Memory` when running as root. Default true. */
  memoryTmpfs?: boolean;
  /**
   * Every pod is re-synced this often even without a change (the kubelet's
   * `syncFrequency`): configMap/secret volume updates and pods waiting on a missing
   * ConfigMap pick changes up on this beat. Default 60 000 ms; 0 turns it off.
   */
  syncFrequencyMs?: number;
  /** Default `console`. */
  logger?: Logger;
}

/** A running node agent; see {@link createNodeAgent}. */
export interface NodeAgent {
  /** The node's name. */
  readonly nodeName: string;
  /**
   * Registers the Node, starts the Lease heartbeat, the pod informer and the relist loop,
   * and resolves once the first pod list is in and the runtime's leftovers are adopted
   * or removed. Everything keeps running until `signal` aborts or {@link NodeAgent.stop}.
   * Rejects if registration fails. Calling it twice is an error.
   */
  start(signal?: AbortSignal): Promise<void>;
  /**
   * Stops every loop, timer and probe. Containers keep running in the runtime (a new
   * agent adopts them). Idempotent. With `tearDownVolumes` (for a host shutting the whole
   * node down) every pod's volumes are torn down too: CSI unpublish/unstage, tmpfs
   * unmounts, pod directories removed; failures are logged, not thrown.
   */
  stop(opts?: { tearDownVolumes?: boolean }): Promise<void>;
  /** Resolves once no pod worker is syncing (for tests). */
  idle(): Promise<void>;
  /** Number of pods with a worker. */
  podCount(): number;
  /**
   * A container's log, as `kubectl logs` prints it, read from the CRI log file
   * `<logRoot>/<ns>_<pod>_<uid>/<container>/<restartCount>.log`. `previous` reads the
   * prior instance. Rejects with an ApiError: NotFound for an unknown pod, BadRequest
   * for a pod of another node, an ambiguous or unknown container, a container that has
   * not started, or no previous instance (`previous terminated container "app" in pod
   * "web" not found`).
   */
  logs(namespace: string, podName: string, opts?: LogOptions): Promise<string>;
  /**
   * Runs `argv` (no shell) in the running container through CRI ExecSync and returns
   * its exit code and output. `timeoutSeconds` 0 or unset means no timeout. Rejects with
   * an ApiError (BadRequest) when the container is not running or `argv` is empty.
   */
  exec(namespace: string, podName: string, container: string, argv: readonly string[], opts?: { timeoutSeconds?: number }): Promise<ExecResult>;
  /**
   * Usage of this node's running pods from CRI ListContainerStats, summed per pod: cpu
   * (`usageNanoCores` as millicores) and memory (working set). It has the shape of the
   * HPA's `MetricsProvider`; a cluster with several nodes merges the agents' answers.
   */
  metricsProvider(): NodeMetricsProvider;
}

function onlyStatusChanged(a: Pod, b: Pod): boolean {
  const strip = (p: Pod) => JSON.stringify({ ...p, status: undefined, metadata: { ...p.metadata, resourceVersion: undefined, managedFields: undefined } });
  return strip(a) === strip(b);
}

/** The window usage samples are reported over (the kubelet's resource metrics window). */
const METRICS_WINDOW_MS = 30_000;

/**
 * The topology segments each CSI driver reports from NodeGetInfo, as node labels (the
 * kubelet's CSI registration does the same), so the scheduler can match a pod to the
 * node a topology-constrained volume lives on. A driver that does not answer is logged
 * and skipped: the node still registers.
 */
async function csiTopologyLabels(drivers: NodeAgentOptions['csiDrivers'], logger: Logger): Promise<Record<string, string>> {
  const labels: Record<string, string> = {};
  for (const [name, driver] of Object.entries(drivers ?? {})) {
    try {
      const info = await driver.node.getInfo();
      Object.assign(labels, info.accessibleTopology?.segments ?? {});
    } catch (err) {
      logger.warn(`node-agent: CSI driver ${name} did not answer NodeGetInfo: ${(err as Error).message}`);
    }
  }
  return labels;
}

const consoleLogger: Logger = { warn: (m: string, ...a: unknown[]) => console.warn(m, ...a), error: (m: string, ...a: unknown[]) => console.error(m, ...a) };

/**
 * Creates the node agent (the kubelet) for `nodeName`. It is level-triggered: pods bound
 * to the node (seen through an informer with `spec.nodeName=<node>`) and runtime changes
 * (a relist every second, as the kubelet's PLEG) wake one serialized worker per pod UID,
 * which reads the runtime and converges it on the pod spec, then posts the pod status
 * when it changed. A restarted agent finds its sandboxes and containers by their
 * `io.kubernetes.pod.uid` labels, adopts those of pods that still exist and removes the
 * others.
 */
export function createNodeAgent(opts: NodeAgentOptions): NodeAgent {
  const clock = opts.clock ?? new RealClock();
  const logger = opts.logger ?? consoleLogger;
  const { client, cri, nodeName } = opts;
  const hostIP = opts.hostIP ?? '127.0.0.1';
  const abort = new AbortController();
  const workers = new Map<string, PodWorker>();
  const pods = new Map<string, Pod>();
  let informer: { hasSynced(): boolean; stop(): void } | undefined;
  let probes: ProbeManager | undefined;
  let volumes: VolumeManager | undefined;
  const logRoot = opts.logRoot ?? '/var/log/pods';
  let started = false;
  let stopped = false;
  let relistSig = new Map<string, string>();
  const loops: Promise<void>[] = [];

  const workerFor = (uid: string): PodWorker | undefined => {
    if (stopped) return undefined;
    let w = workers.get(uid);
    if (!w) {
      w = new PodWorker(uid, ctx);
      w.pod = pods.get(uid);
      workers.set(uid, w);
    }
    return w;
  };
  const kick = (uid: string) => workerFor(uid)?.kick();

  let ctx!: PodWorkerContext;

  /** The pod (from the API) and the container a logs/exec call is about. */
  async function target(namespace: string, podName: string, container: string | undefined): Promise<{ pod: Pod; container: string }> {
    const pod = await client.get('v1', 'Pod', namespace, podName);
    if (pod.spec?.nodeName !== nodeName) throw ApiError.badRequest(`pod ${namespace}/${podName} is not on node ${nodeName}`);
    const apps = (pod.spec?.containers ?? []).map((c) => c.name);
    const inits = (pod.spec?.initContainers ?? []).map((c) => c.name);
    if (!container) {
      if (apps.length === 1) return { pod, container: apps[0]! };
      const initPart = inits.length ? ` or one of the init containers: [${inits.join(' ')}]` : '';
      throw ApiError.badRequest(`a container name must be specified for pod ${podName}, choose one of: [${apps.join(' ')}]${initPart}`);
    }
    if (![...apps, ...inits].includes(container)) throw ApiError.badRequest(`container ${container} is not valid for pod ${podName}`);
    return { pod, container };
  }

  /** The runtime's instances of a container, newest (highest restart count) first. */
  async function containerHistory(pod: Pod, container: string): Promise<Container[]> {
    const list = await cri.runtime.listContainers({ labelSelector: { [POD_UID_LABEL]: pod.metadata!.uid!, [CONTAINER_NAME_LABEL]: container } });
    const count = (c: Container) => Number(c.annotations[RESTART_COUNT_ANNOTATION] ?? c.metadata?.attempt ?? 0);
    return list.sort((a, b) => count(b) - count(a) || b.createdAt - a.createdAt);
  }

  async function every(ms: number, fn: () => Promise<unknown>): Promise<void> {
    while (!abort.signal.aborted) {
      try {
        await clock.sleep(ms, abort.signal);
      } catch {
        return;
      }
      try {
        await fn();
      } catch (err) {
        if (!abort.signal.aborted) logger.warn(`node-agent ${nodeName}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /** PLEG: list the runtime and wake the pods whose sandboxes or containers changed. */
  async function relist(): Promise<void> {
    const [sandboxes, containers] = await Promise.all([cri.runtime.listPodSandbox(), cri.runtime.listContainers()]);
    const sig = new Map<string, string>();
    const add = (uid: string | undefined, part: string) => uid && sig.set(uid, (sig.get(uid) ?? '') + part);
    for (const s of sandboxes) add(s.labels[POD_UID_LABEL], `s:${s.id}:${s.state};`);
    for (const c of containers) add(c.labels[POD_UID_LABEL], `c:${c.id}:${c.state};`);
    const synced = informer?.hasSynced() ?? false;
    for (const uid of new Set([...sig.keys(), ...relistSig.keys()])) {
      if (sig.get(uid) === relistSig.get(uid)) continue;
      // A uid the API does not know is an orphan: its worker (pod undefined) tears it down.
      if (pods.has(uid) || workers.has(uid) || (synced && sig.has(uid))) kick(uid);
    }
    relistSig = sig;
  }

  return {
    nodeName,
    async start(signal) {
      if (started) throw new Error(`node agent ${nodeName} already started`);
      started = true;
      signal?.addEventListener('abort', () => void this.stop(), { once: true });
      const version: VersionResponse = await cri.runtime.version();
      if (opts.podCidr) await cri.runtime.updateRuntimeConfig({ networkConfig: { podCidr: opts.podCidr } }).catch(() => undefined);
      const facts: NodeFacts = {
        nodeName,
        hostIP,
        capacity: { ...DEFAULT_CAPACITY, ...opts.capacity } as Record<string, string>,
        labels: { ...(await csiTopologyLabels(opts.csiDrivers, logger)), ...opts.labels },
        taints: opts.taints ?? [],
        podCidr: opts.podCidr,
        version,
      };
      let node: Node = await registerNode(client, facts, clock, abort.signal);
      await renewLease(client, node, opts.leaseDurationSeconds ?? 40, clock, abort.signal, { createFirst: true });
      loops.push(
        every(opts.heartbeatIntervalMs ?? 10_000, async () => {
          await renewLease(client, node, opts.leaseDurationSeconds ?? 40, clock, abort.signal);
        }),
        every(opts.nodeStatusIntervalMs ?? 60_000, async () => {
          node = await refreshNodeStatus(client, facts, clock, abort.signal);
        }),
      );

      const capital = (k: string) => k[0]!.toUpperCase() + k.slice(1);
      probes = createProbeManager(cri.runtime, clock, kick, (t, kind, output) => {
        const pod = pods.get(t.podUID);
        if (pod) ctx.events.event(pod, 'Warning', 'Unhealthy', `${capital(kind)} probe failed: ${output}`.trimEnd());
      });
      const allocatable = { ...facts.capacity };
      volumes = new VolumeManager({ client, clock, nodeName, rootDir: opts.rootDir, csiDrivers: opts.csiDrivers, allocatable, memoryTmpfs: opts.memoryTmpfs, logger });
      ctx = {
        volumes,
        events: createEventRecorder(client, { component: 'kubelet', host: nodeName, logger }, clock),
        allocatable,
        client,
        cri,
        clock,
        nodeName,
        hostIP,
        runtimeName: version.runtimeName,
        crashBackoff: createRestartBackoff({ clock }),
        pullBackoff: createRestartBackoff({ clock }),
        probes,
        logger,
        logRoot,
        onDone: (uid) => {
          workers.delete(uid);
          // A pod recreated with the same uid cannot happen; a late event re-creates a worker if needed.
        },
      };

      const inf = createInformer(client, 'v1', 'Pod', { clock, fieldSelector: `spec.nodeName=${nodeName}`, logger });
      informer = inf;
      inf.addEventHandler({
        onAdd: (p) => {
          pods.set(p.metadata!.uid!, p);
          const w = workerFor(p.metadata!.uid!);
          if (w) (w.pod = p), w.kick();
        },
        onUpdate: (o, p) => {
          pods.set(p.metadata!.uid!, p);
          const w = workerFor(p.metadata!.uid!);
          if (!w) return;
          w.pod = p;
          // Our own status writes need no sync; any other change (or a resync) does.
          if (o === p || !onlyStatusChanged(o, p)) w.kick();
        },
        onDelete: (p) => {
          const uid = p.metadata!.uid!;
          pods.delete(uid);
          const w = workers.get(uid) ?? workerFor(uid);
          if (w) (w.pod = undefined), w.kick();
        },
      });
      loops.push(inf.run(abort.signal));
      await inf.waitForSync(abort.signal);
      await relist();
      loops.push(every(opts.relistIntervalMs ?? 1000, relist));
      // Volume directories of pods that went away while the agent was down.
      for (const uid of await volumes.podUidsOnDisk()) if (!pods.has(uid) && !workers.has(uid)) kick(uid);
      const syncEvery = opts.syncFrequencyMs ?? 60_000;
      if (syncEvery > 0) loops.push(every(syncEvery, async () => void [...pods.keys()].forEach(kick)));
    },
    async stop(sopts = {}) {
      if (!stopped) {
        stopped = true;
        abort.abort(new Error('node agent stopped'));
        informer?.stop();
        probes?.stop();
        for (const w of workers.values()) w.stop();
        await Promise.allSettled(loops);
      }
      if (sopts.tearDownVolumes && volumes) {
        for (const uid of await volumes.podUidsOnDisk()) {
          await volumes.tearDown(uid).catch((err: unknown) => logger.warn(`node-agent ${nodeName}: tearing down volumes of pod ${uid}: ${err instanceof Error ? err.message : String(err)}`));
        }
      }
    },
    async idle() {
      await Promise.all([...workers.values()].map((w) => w.idle()));
    },
    podCount: () => workers.size,

    async logs(namespace, podName, lopts = {}) {
      const { pod, container } = await target(namespace, podName, lopts.container);
      const history = await containerHistory(pod, container);
      const m = pod.metadata!;
      const pick = lopts.previous ? history[1] : history[0];
      if (!pick) {
        if (lopts.previous) throw ApiError.badRequest(`previous terminated container "${container}" in pod "${podName}" not found`);
        const all = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
        const reason = all.find((s) => s.name === container)?.state?.waiting?.reason ?? 'ContainerCreating';
        throw ApiError.badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${reason}`);
      }
      const restartCount = pick.annotations[RESTART_COUNT_ANNOTATION] ?? String(pick.metadata?.attempt ?? 0);
      return readContainerLog(`${logRoot}/${m.namespace}_${m.name}_${m.uid}/${container}/${restartCount}.log`, lopts);
    },

    async exec(namespace, podName, container, argv, eopts = {}) {
      if (!argv.length) throw ApiError.badRequest('you must specify at least one command for the container');
      const { pod } = await target(namespace, podName, container);
      const current = (await containerHistory(pod, container))[0];
      if (current?.state !== 'CONTAINER_RUNNING') throw ApiError.badRequest(`container "${container}" in pod "${podName}" is not running`);
      const res = await cri.runtime.execSync(current.id, argv, eopts.timeoutSeconds ?? 0);
      return { exitCode: res.exitCode, stdout: Buffer.from(res.stdout ?? []).toString('utf8'), stderr: Buffer.from(res.stderr ?? []).toString('utf8') };
    },

    metricsProvider: () => ({
      async getPodMetrics(namespace, selector) {
        const labelSelector = { [POD_NAMESPACE_LABEL]: namespace };
        const [running, stats] = await Promise.all([
          cri.runtime.listContainers({ labelSelector, state: { state: 'CONTAINER_RUNNING' } }),
          cri.runtime.listContainerStats({ labelSelector }),
        ]);
        const live = new Set(running.map((c) => c.id));
        const labelsByName = new Map([...pods.values()].filter((p) => p.metadata?.namespace === namespace).map((p) => [p.metadata!.name!, p.metadata?.labels] as const));
        const byPod = new Map<string, { cpuNano: number; memBytes: number; ts: number }>();
        for (const s of stats) {
          const a = s.attributes;
          if (!a || !live.has(a.id)) continue;
          const pod = a.labels[POD_NAME_LABEL] ?? '';
          if (labelsByName.has(pod) && !selector.matches(labelsByName.get(pod))) continue;
          const acc = byPod.get(pod) ?? { cpuNano: 0, memBytes: 0, ts: 0 };
          acc.cpuNano += Number(s.cpu?.usageNanoCores?.value ?? 0);
          acc.memBytes += Number(s.memory?.workingSetBytes?.value ?? 0);
          acc.ts = Math.max(acc.ts, Math.round(Number(s.cpu?.timestamp ?? 0) / 1e6)); // ns beyond 2^53: round, not floor
          byPod.set(pod, acc);
        }
        return [...byPod].map(([pod, u]) => ({
          pod,
          timestamp: u.ts || clock.now(),
          windowMs: METRICS_WINDOW_MS,
          usage: { cpu: `${Math.round(u.cpuNano / 1e6)}m`, memory: `${Math.round(u.memBytes / 1024)}Ki` },
        }));
      },
    }),
  };
}
