import { RealClock, type Clock, type Node, type Pod, type core } from '@bosun/api';
import type { Client, Logger } from '@bosun/apiserver';
import { createInformer } from '@bosun/controller-runtime';
import type { CriClient, VersionResponse } from '@bosun/cri';
import { createRestartBackoff } from './backoff';
import { DEFAULT_CAPACITY, refreshNodeStatus, registerNode, renewLease, type NodeFacts } from './node-status';
import { POD_UID_LABEL, PodWorker, type PodWorkerContext } from './pod-worker';
import { createProbeManager, type ProbeManager } from './probes';

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
   * agent adopts them). Idempotent.
   */
  stop(): Promise<void>;
  /** Resolves once no pod worker is syncing (for tests). */
  idle(): Promise<void>;
  /** Number of pods with a worker. */
  podCount(): number;
}

function onlyStatusChanged(a: Pod, b: Pod): boolean {
  const strip = (p: Pod) => JSON.stringify({ ...p, status: undefined, metadata: { ...p.metadata, resourceVersion: undefined, managedFields: undefined } });
  return strip(a) === strip(b);
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
        labels: opts.labels ?? {},
        taints: opts.taints ?? [],
        podCidr: opts.podCidr,
        version,
      };
      let node: Node = await registerNode(client, facts, clock, abort.signal);
      await renewLease(client, node, opts.leaseDurationSeconds ?? 40, clock, abort.signal);
      loops.push(
        every(opts.heartbeatIntervalMs ?? 10_000, async () => {
          await renewLease(client, node, opts.leaseDurationSeconds ?? 40, clock, abort.signal);
        }),
        every(opts.nodeStatusIntervalMs ?? 60_000, async () => {
          node = await refreshNodeStatus(client, facts, clock, abort.signal);
        }),
      );

      probes = createProbeManager(cri.runtime, clock, kick);
      ctx = {
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
        logRoot: opts.logRoot ?? '/var/log/pods',
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
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      abort.abort(new Error('node agent stopped'));
      informer?.stop();
      probes?.stop();
      for (const w of workers.values()) w.stop();
      await Promise.allSettled(loops);
    },
    async idle() {
      await Promise.all([...workers.values()].map((w) => w.idle()));
    },
    podCount: () => workers.size,
  };
}
