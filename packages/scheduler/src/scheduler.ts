import { RealClock, isApiError, rfc3339, type Clock, type Pod, type PriorityClass } from '@bosun/api';
import { createEventRecorder, type Client, type EventRecorder, type Logger } from '@bosun/apiserver';
import { createSharedInformerFactory, type SharedInformerFactory } from '@bosun/controller-runtime';
import { SchedulerCache } from './cache/cache';
import { SchedulerError } from './errors';
import { CycleState } from './framework/cycle-state';
import { fitErrorMessage, newDiagnosis, type Diagnosis } from './framework/fit-error';
import { Framework } from './framework/framework';
import type { ClusterEvent, QueuedPodInfo } from './framework/interface';
import type { NodeInfo } from './framework/node-info';
import { PodInfo } from './framework/pod-info';
import { Nominator } from './framework/nominator';
import { createPriorityResolver } from './framework/priority';
import type { ProfileConfig } from './framework/profile';
import { Registry } from './framework/registry';
import { Snapshot } from './framework/snapshot';
import { Status } from './framework/status';
import { SCHEDULED_CONDITION_WRITTEN } from './plugins/default-binder';
import { DEFAULT_PLUGINS, DEFAULT_SCORE_WEIGHTS, inTreeRegistry } from './plugins/registry';
import { SchedulingQueue } from './queue/scheduling-queue';

/** The scheduler name pods get by default, and the name of the default profile. */
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** Options of {@link createScheduler}. */
export interface SchedulerOptions {
  client: Client;
  /** Time for backoff, Permit timeouts and the periodic flush; a RealClock by default. */
  clock?: Clock;
  /** Shared informers (the scheduler adds Pod, Node and PriorityClass); a new factory by default. */
  informers?: SharedInformerFactory;
  /** Profiles by schedulerName; one `default-scheduler` profile with the default plugins by default. */
  profiles?: ProfileConfig[];
  /** Out-of-tree plugins, merged with the in-tree registry (a name clash is a `DuplicatePlugin` error). */
  registry?: Registry;
  /** Random numbers in [0, 1) for tie-breaking between equally scored nodes; Math.random by default. */
  random?: () => number;
  /**
   * Percentage of nodes to find feasible before scoring (0 < p ≤ 100); omitted or 0:
   * adaptive, as upstream (50% − nodes/125, at least 5%, and never fewer than 100 nodes).
   */
  percentageOfNodesToScore?: number;
  /** Backoff of a failed pod: initial (1 s) and cap (10 s). */
  podInitialBackoffMs?: number;
  podMaxBackoffMs?: number;
  /** Where scheduling errors are reported; silent by default. */
  logger?: Pick<Logger, 'warn' | 'error'>;
}

/** The scheduler: watches pending pods and nodes, and binds each pod to a node. */
export interface Scheduler {
  /**
   * Starts the informers, waits for their caches, then schedules until `signal` aborts or
   * {@link Scheduler.stop}; resolves once stopped. Binding cycles still in flight are awaited.
   */
  run(signal?: AbortSignal): Promise<void>;
  /** Stops scheduling and (when the scheduler created them) the informers. Idempotent. */
  stop(): Promise<void>;
  /** The profiles' frameworks by schedulerName. */
  readonly frameworks: ReadonlyMap<string, Framework>;
  /** @experimental The cache of bound and assumed pods, for tests and debugging. */
  readonly cache: SchedulerCache;
  /** @experimental The scheduling queue, for tests and debugging. */
  readonly queue: SchedulingQueue;
  /** Resolves when no pod is in activeQ, being scheduled, or being bound. For tests. */
  idle(): Promise<void>;
}

const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/**
 * How many feasible nodes to find before scoring, as upstream's numFeasibleNodesToFind:
 * every node below 100 nodes; else `percentage` of them (adaptive when 0: 50% − n/125,
 * at least 5%), and never fewer than 100.
 */
export function numFeasibleNodesToFind(percentage: number | undefined, numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let p = percentage ?? 0;
  if (p >= 100) return numAllNodes;
  if (p <= 0) {
    p = 50 - Math.trunc(numAllNodes / 125);
    if (p < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) p = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  const n = Math.trunc((numAllNodes * p) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

/** Thrown inside a cycle when no node fits. */
class FitError extends Error {
  override readonly name = 'FitError';
  constructor(
    readonly numAllNodes: number,
    readonly diagnosis: Diagnosis,
  ) {
    super('no node fits the pod');
  }
  /** The user-facing message; read after PostFilter has added its part. */
  fitMessage(): string {
    return fitErrorMessage(this.numAllNodes, this.diagnosis);
  }
}

const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/**
 * Creates a scheduler. Profiles, plugins and their args are checked here: a bad profile
 * throws a {@link SchedulerError} at once, before anything runs.
 */
export function createScheduler(opts: SchedulerOptions): Scheduler {
  const clock = opts.clock ?? new RealClock();
  const client = opts.client;
  const ownInformers = !opts.informers;
  const informers = opts.informers ?? createSharedInformerFactory(client, { clock, logger: opts.logger ? { warn: opts.logger.warn, error: opts.logger.error } : undefined });
  const random = opts.random ?? Math.random;
  const logger = opts.logger;
  const p = opts.percentageOfNodesToScore;
  if (p !== undefined && !(p >= 0 && p <= 100)) throw new SchedulerError('InvalidArgument', `percentageOfNodesToScore must be in [0, 100], got ${p}`);
  const registry = opts.registry ? inTreeRegistry().merge(opts.registry) : inTreeRegistry();
  const recorder: EventRecorder = createEventRecorder(client, { component: DEFAULT_SCHEDULER_NAME }, clock);

  const podInformer = informers.forKind('v1', 'Pod');
  const nodeInformer = informers.forKind('v1', 'Node');
  const pcInformer = informers.forKind('scheduling.k8s.io/v1', 'PriorityClass');
  const priority = createPriorityResolver(() => pcInformer.cache.list() as PriorityClass[]);

  const cache = new SchedulerCache();
  const nominator = new Nominator();
  const snapshot = new Snapshot();
  const frameworks = new Map<string, Framework>();
  const profiles = opts.profiles?.length ? opts.profiles : [{ schedulerName: DEFAULT_SCHEDULER_NAME }];
  for (const profile of profiles) {
    if (frameworks.has(profile.schedulerName)) throw new SchedulerError('InvalidProfile', `duplicate profile with schedulerName ${JSON.stringify(profile.schedulerName)}`);
    frameworks.set(
      profile.schedulerName,
      new Framework({ registry, profile, defaultPlugins: DEFAULT_PLUGINS, defaultWeights: DEFAULT_SCORE_WEIGHTS, clock, client, informers, recorder, snapshot: () => snapshot, priority, nominator }),
    );
  }
  const first = [...frameworks.values()][0];
  for (const f of frameworks.values()) {
    if (f.queueSortPlugin.name !== first.queueSortPlugin.name) {
      throw new SchedulerError('InvalidProfile', `all profiles must use the same queueSort plugin: ${JSON.stringify(first.profileName)} uses ${first.queueSortPlugin.name}, ${JSON.stringify(f.profileName)} uses ${f.queueSortPlugin.name}`);
    }
  }
  const pluginEvents = new Map<string, ClusterEvent[] | undefined>();
  for (const f of frameworks.values()) for (const [name, evs] of f.enqueueEvents()) pluginEvents.set(name, evs);

  const queue = new SchedulingQueue({
    clock,
    less: (a, b) => first.queueSortPlugin.less(a, b),
    priority: (pod) => priority.podPriority(pod),
    preEnqueue: (pod) => frameworks.get(pod.spec?.schedulerName ?? DEFAULT_SCHEDULER_NAME)?.runPreEnqueuePlugins(pod) ?? Status.success,
    pluginEvents,
    podInitialBackoffMs: opts.podInitialBackoffMs,
    podMaxBackoffMs: opts.podMaxBackoffMs,
  });

  const responsibleFor = (pod: Pod) => frameworks.has(pod.spec?.schedulerName ?? DEFAULT_SCHEDULER_NAME);
  const move = (event: ClusterEvent, filter?: (pod: Pod) => boolean) => queue.moveAllToActiveOrBackoffQueue(event, filter);

  podInformer.addEventHandler({
    onAdd(pod) {
      if (pod.spec?.nodeName) {
        nominator.delete(pod);
        if (isTerminal(pod)) return;
        cache.addPod(pod);
        queue.delete(pod);
        move({ resource: 'AssignedPod', action: 'Add' });
      } else if (responsibleFor(pod) && !isTerminal(pod) && !pod.metadata?.deletionTimestamp) {
        if (pod.status?.nominatedNodeName) nominator.add(pod, pod.status.nominatedNodeName);
        queue.add(pod);
      }
    },
    onUpdate(old, pod) {
      if (pod.spec?.nodeName) {
        nominator.delete(pod);
        queue.delete(pod);
        if (isTerminal(pod)) {
          cache.removePod(pod);
          move({ resource: 'AssignedPod', action: 'Delete' });
        } else if (old.spec?.nodeName) {
          cache.updatePod(old, pod);
          if (old !== pod) move({ resource: 'AssignedPod', action: 'Update' });
        } else {
          cache.addPod(pod);
          move({ resource: 'AssignedPod', action: 'Add' });
        }
      } else if (responsibleFor(pod)) {
        if (isTerminal(pod) || pod.metadata?.deletionTimestamp) {
          nominator.delete(pod);
          queue.delete(pod);
        } else {
          // An update without a nomination right after preemption nominated the pod in
          // memory keeps the nomination (as upstream's updateNominatedPod).
          const nnn = pod.status?.nominatedNodeName || (old.status?.nominatedNodeName ? '' : nominator.nominatedNodeOf(pod));
          nominator.add(pod, nnn);
          if (!cache.isAssumedPod(pod)) queue.update(old, pod);
        }
      }
    },
    onDelete(pod) {
      nominator.delete(pod);
      if (pod.spec?.nodeName) {
        cache.removePod(pod);
        move({ resource: 'AssignedPod', action: 'Delete' });
      } else {
        queue.delete(pod);
        const uid = pod.metadata?.uid ?? '';
        for (const f of frameworks.values()) f.rejectWaitingPod(uid);
      }
    },
  });
  nodeInformer.addEventHandler({
    onAdd(node) {
      cache.addNode(node);
      move({ resource: 'Node', action: 'Add' });
    },
    onUpdate(old, node) {
      cache.updateNode(old, node);
      if (old !== node) move({ resource: 'Node', action: 'Update' });
    },
    onDelete(node) {
      cache.removeNode(node);
    },
  });
  pcInformer.addEventHandler({
    onAdd: () => move({ resource: 'PriorityClass', action: 'Add' }),
  });
  // Informers plugins asked for (PVCs, PVs, StorageClasses, …) move parked pods too.
  const watched = new Set(['Pod', 'Node', 'PriorityClass']);
  for (const inf of informers.informers()) {
    const resource = inf.kind as ClusterEvent['resource'];
    if (watched.has(inf.kind)) continue;
    watched.add(inf.kind);
    inf.addEventHandler({
      onAdd: (_o, initial) => {
        if (!initial) move({ resource, action: 'Add' });
      },
      onUpdate: (a, b) => {
        if (a !== b) move({ resource, action: 'Update' });
      },
      onDelete: () => move({ resource, action: 'Delete' }),
    });
  }

  let nextStartNodeIndex = 0;
  const bindings = new Set<Promise<void>>();
  let inCycle = false;
  let stopped = false;
  const controller = new AbortController();
  let running: Promise<void> | undefined;
  let idleWaiters: (() => void)[] = [];

  const checkIdle = () => {
    if (inCycle || bindings.size > 0 || queue.counts().active > 0) return;
    const ws = idleWaiters;
    idleWaiters = [];
    for (const w of ws) w();
  };

  // ---------------------------------------------------------------- one scheduling cycle

  function findNodesThatFitPod(fwk: Framework, state: CycleState, pod: Pod): { feasible: NodeInfo[]; diagnosis: Diagnosis; numAllNodes: number } {
    const diagnosis = newDiagnosis();
    const all = snapshot.list();
    const pre = fwk.runPreFilterPlugins(state, pod, all);
    if (!pre.status.isSuccess()) {
      if (!pre.status.isRejected()) throw pre.status.asError();
      for (const n of all) diagnosis.nodeToStatus.set(n.name, pre.status);
      diagnosis.preFilterMsg = pre.status.message();
      if (pre.status.plugin) diagnosis.unschedulablePlugins.add(pre.status.plugin);
      return { feasible: [], diagnosis, numAllNodes: all.length };
    }
    const names = pre.result.nodeNames;
    const nodes = names ? all.filter((n) => names.has(n.name)) : all;
    // A pod nominated by preemption tries its nominated node first, as upstream.
    const nominatedName = pod.status?.nominatedNodeName || nominator.nominatedNodeOf(pod);
    const nominatedNode = nominatedName ? snapshot.get(nominatedName) : undefined;
    if (nominatedNode?.node && (!names || names.has(nominatedName!)) && fwk.runFilterPluginsWithNominatedPods(state, pod, nominatedNode).isSuccess()) {
      return { feasible: [nominatedNode], diagnosis, numAllNodes: all.length };
    }
    const n = nodes.length;
    const toFind = numFeasibleNodesToFind(p, n);
    const feasible: NodeInfo[] = [];
    if (n === 0) return { feasible, diagnosis, numAllNodes: all.length };
    const start = nextStartNodeIndex % n;
    let processed = 0;
    if (fwk.filterPlugins.length === 0) {
      for (let i = 0; i < toFind; i++) feasible.push(nodes[(start + i) % n]);
      processed = toFind;
    } else {
      // Rejections are only read when no node fits: kept in arrays, turned into the
      // diagnosis then (a Map entry per rejected node cost more than the filtering).
      const rejected: NodeInfo[] = [];
      const statuses: Status[] = [];
      for (let i = 0; i < n; i++) {
        const node = nodes[(start + i) % n];
        processed++;
        const s = fwk.runFilterPluginsWithNominatedPods(state, pod, node);
        if (s.isSuccess()) {
          feasible.push(node);
          if (feasible.length >= toFind) break;
        } else if (s.isRejected()) {
          rejected.push(node);
          statuses.push(s);
        } else {
          throw s.asError();
        }
      }
      if (feasible.length === 0) {
        for (let i = 0; i < rejected.length; i++) {
          const s = statuses[i];
          diagnosis.nodeToStatus.set(rejected[i].name, s);
          if (s.plugin) diagnosis.unschedulablePlugins.add(s.plugin);
        }
      }
    }
    nextStartNodeIndex = (start + processed) % n;
    return { feasible, diagnosis, numAllNodes: all.length };
  }

  /** The best-scored node; ties are broken at random, each tied node equally likely. */
  function selectHost(nodes: readonly NodeInfo[], totals: Float64Array): string {
    let best = 0;
    let ties = 1;
    for (let i = 1; i < nodes.length; i++) {
      if (totals[i] > totals[best]) {
        best = i;
        ties = 1;
      } else if (totals[i] === totals[best]) {
        ties++;
        if (random() * ties < 1) best = i; // reservoir sampling
      }
    }
    return nodes[best].name;
  }

  // Score totals of the current cycle, reused (grown when a cycle has more feasible nodes).
  let totals = new Float64Array(0);

  /** The node chosen for `pod`; throws a FitError when none fits, another Error on failures. */
  function schedulePod(fwk: Framework, state: CycleState, pod: Pod): string {
    if (snapshot.list().length === 0) throw new Error(NO_NODES_AVAILABLE);
    const { feasible, diagnosis, numAllNodes } = findNodesThatFitPod(fwk, state, pod);
    if (feasible.length === 0) throw new FitError(numAllNodes, diagnosis);
    if (feasible.length === 1) return feasible[0].name;
    const pre = fwk.runPreScorePlugins(state, pod, feasible);
    if (!pre.isSuccess()) throw pre.asError();
    if (totals.length < feasible.length) totals = new Float64Array(feasible.length);
    const status = fwk.runScorePluginsTotals(state, pod, feasible, totals);
    if (!status.isSuccess()) throw status.asError();
    return selectHost(feasible, totals);
  }

  async function updatePodCondition(pod: Pod, condition: { status: 'True' | 'False'; reason?: string; message?: string }, nominatedNodeName?: string): Promise<void> {
    const ns = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    for (let attempt = 0; attempt < 5; attempt++) {
      let cur: Pod;
      try {
        cur = (await client.get('v1', 'Pod', ns, name)) as Pod;
      } catch (e) {
        if (isApiError(e) && e.reason === 'NotFound') return;
        throw e;
      }
      if (cur.metadata?.uid !== pod.metadata?.uid) return;
      const conditions = [...(cur.status?.conditions ?? [])];
      const i = conditions.findIndex((c) => c.type === 'PodScheduled');
      const old = i >= 0 ? conditions[i] : undefined;
      const unchanged = old && old.status === condition.status && old.reason === condition.reason && old.message === condition.message;
      const nominatedUnchanged = nominatedNodeName === undefined || (cur.status?.nominatedNodeName ?? '') === nominatedNodeName;
      if (unchanged && nominatedUnchanged) return;
      const next = {
        type: 'PodScheduled',
        status: condition.status,
        ...(condition.reason ? { reason: condition.reason } : {}),
        ...(condition.message ? { message: condition.message } : {}),
        lastProbeTime: null as unknown as string,
        lastTransitionTime: old && old.status === condition.status ? old.lastTransitionTime : rfc3339(clock.now()),
      };
      if (i >= 0) conditions[i] = next;
      else conditions.push(next);
      const status = { ...cur.status, conditions };
      if (nominatedNodeName !== undefined) {
        if (nominatedNodeName) status.nominatedNodeName = nominatedNodeName;
        else delete status.nominatedNodeName;
      }
      try {
        await client.updateStatus({ ...cur, status });
        return;
      } catch (e) {
        if (isApiError(e) && (e.reason === 'Conflict' || e.reason === 'NotFound')) {
          if (e.reason === 'NotFound') return;
          continue;
        }
        throw e;
      }
    }
  }

  /** Records the failure (event, condition) and requeues the pod, unless it is gone or already bound. */
  function handleFailure(fwk: Framework, q: QueuedPodInfo, status: Status, cycle: number, message: string, unschedulablePlugins: Set<string>, nominatedNodeName?: string): void {
    const pod = q.podInfo.pod;
    const current = podInformer.cache.get(`${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`) as Pod | undefined;
    const gone = !current || current.metadata?.uid !== pod.metadata?.uid;
    if (gone || current.spec?.nodeName) {
      queue.done(pod);
    } else {
      q.unschedulablePlugins = status.isRejected() ? unschedulablePlugins : new Set();
      const updated = current === pod ? q : { ...q, podInfo: new PodInfo(current) };
      queue.addUnschedulableIfNotPresent(updated, cycle);
    }
    if (gone) return;
    fwk.recorder?.event(pod as never, 'Warning', 'FailedScheduling', message);
    const reason = status.isRejected() ? 'Unschedulable' : 'SchedulerError';
    void updatePodCondition(pod, { status: 'False', reason, message }, nominatedNodeName).catch((e) => logger?.warn(`updating the PodScheduled condition of ${pod.metadata?.name}`, e));
  }

  async function scheduleOne(q: QueuedPodInfo): Promise<void> {
    const pod = q.podInfo.pod;
    const fwk = frameworks.get(pod.spec?.schedulerName ?? DEFAULT_SCHEDULER_NAME);
    if (!fwk || pod.metadata?.deletionTimestamp || cache.isAssumedPod(pod) || cache.getPod(pod)) {
      queue.done(pod);
      return;
    }
    const cycle = queue.schedulingCycle();
    cache.updateSnapshot(snapshot);
    const state = new CycleState();
    let host: string;
    try {
      host = schedulePod(fwk, state, pod);
    } catch (e) {
      if (e instanceof FitError) {
        let nominated: string | undefined;
        if (fwk.postFilterPlugins.length > 0) {
          const r = await fwk.runPostFilterPlugins(state, pod, e.diagnosis.nodeToStatus);
          if (r.status.isRejected() && r.status.message()) e.diagnosis.postFilterMsg = r.status.message();
          nominated = r.nominatedNodeName;
          if (nominated !== undefined) nominator.add(pod, nominated);
        }
        handleFailure(fwk, q, Status.unschedulable(), cycle, e.fitMessage(), e.diagnosis.unschedulablePlugins, nominated);
      } else {
        const msg = e instanceof Error ? e.message : String(e);
        if (msg !== NO_NODES_AVAILABLE) logger?.error(`scheduling ${pod.metadata?.namespace}/${pod.metadata?.name}`, e);
        handleFailure(fwk, q, Status.error(e), cycle, msg, new Set());
      }
      return;
    }
    const assumed: Pod = { ...pod, spec: { ...pod.spec!, nodeName: host } };
    cache.assumePod(assumed);
    nominator.delete(pod);
    const fail = async (s: Status) => {
      await fwk.runReservePluginsUnreserve(state, assumed, host);
      cache.forgetPod(assumed);
      // The freed room may help other parked pods.
      move({ resource: 'AssignedPod', action: 'Delete' });
      handleFailure(fwk, q, s, cycle, s.message(), new Set(s.plugin && s.isRejected() ? [s.plugin] : []));
    };
    const reserved = await fwk.runReservePluginsReserve(state, assumed, host);
    if (!reserved.isSuccess()) return fail(reserved);
    const permit = fwk.runPermitPlugins(state, assumed, host);
    if (!permit.isSuccess() && !permit.isWait()) return fail(permit);

    const binding = (async () => {
      let s = await fwk.waitOnPermit(assumed);
      if (s.isSuccess()) s = await fwk.runPreBindPlugins(state, assumed, host);
      if (s.isSuccess()) {
        s = await fwk.runBindPlugins(state, assumed, host);
        if (s.isSkip()) s = Status.error(`no Bind plugin bound pod ${pod.metadata?.name}`);
      }
      if (!s.isSuccess()) {
        await fail(s);
        return;
      }
      queue.done(pod);
      fwk.recorder?.event(assumed as never, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name} to ${host}`);
      await fwk.runPostBindPlugins(state, assumed, host);
      if (!state.tryRead(SCHEDULED_CONDITION_WRITTEN)) await updatePodCondition(pod, { status: 'True' }).catch((e) => logger?.warn(`updating the PodScheduled condition of ${pod.metadata?.name}`, e));
    })().catch((e) => logger?.error('binding cycle', e));
    bindings.add(binding);
    void binding.finally(() => {
      bindings.delete(binding);
      checkIdle();
    });
  }

  async function loop(): Promise<void> {
    const signal = controller.signal;
    informers.start(signal);
    if (!(await informers.waitForCacheSync(signal))) return;
    queue.run();
    while (!signal.aborted) {
      let q: QueuedPodInfo;
      try {
        checkIdle();
        q = await queue.pop(signal);
      } catch {
        break;
      }
      inCycle = true;
      try {
        await scheduleOne(q);
      } catch (e) {
        logger?.error('scheduling cycle', e);
        queue.done(q.podInfo.pod);
      } finally {
        inCycle = false;
      }
    }
    await Promise.allSettled([...bindings]);
  }

  async function stop(): Promise<void> {
    if (!stopped) {
      stopped = true;
      controller.abort();
      queue.close();
      for (const f of frameworks.values()) f.iterateOverWaitingPods((wp) => wp.reject('', 'scheduler stopped'));
    }
    await running;
    if (ownInformers) await informers.shutdown();
    await recorder.flush();
  }

  return {
    frameworks,
    cache,
    queue,
    run(signal) {
      if (signal) {
        if (signal.aborted) void stop();
        else signal.addEventListener('abort', () => void stop(), { once: true });
      }
      return (running ??= loop());
    },
    stop,
    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        queueMicrotask(checkIdle);
      });
    },
  };
}
