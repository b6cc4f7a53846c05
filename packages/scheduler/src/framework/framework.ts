import type { Clock, Pod } from '@bosun/api';
import type { Client, EventRecorder } from '@bosun/apiserver';
import type { SharedInformerFactory } from '@bosun/controller-runtime';
import { SchedulerError } from '../errors';
import type { CycleState } from './cycle-state';
import {
  MAX_NODE_SCORE,
  MIN_NODE_SCORE,
  implementsPoint,
  type BindPlugin,
  type ClusterEvent,
  type EnqueueExtensions,
  type ExtensionPoint,
  type FilterPlugin,
  type Handle,
  type NodeScore,
  type NodeToStatus,
  type PermitPlugin,
  type Plugin,
  type PostBindPlugin,
  type PostFilterPlugin,
  type PostFilterResult,
  type PreBindPlugin,
  type PreEnqueuePlugin,
  type PreFilterPlugin,
  type PreFilterResult,
  type PreScorePlugin,
  type QueueSortPlugin,
  type ReservePlugin,
  type ScorePlugin,
  type SnapshotLister,
  type WaitingPod,
} from './interface';
import type { NodeInfo } from './node-info';
import { Nominator } from './nominator';
import type { PodInfo } from './pod-info';
import { createPriorityResolver, type PriorityResolver } from './priority';
import { resolveProfile, type PluginsConfig, type ProfileConfig } from './profile';
import type { Registry } from './registry';
import { Snapshot } from './snapshot';
import { Status, asStatus } from './status';
import { WaitingPodImpl } from './waiting-pods';

const NO_POD_INFOS: readonly PodInfo[] = Object.freeze([]);

/** Longest a Permit plugin may make a pod wait (as upstream): 15 minutes. */
export const MAX_PERMIT_TIMEOUT_MS = 15 * 60_000;

/** Options of {@link Framework}. */
export interface FrameworkOptions {
  registry: Registry;
  profile: ProfileConfig;
  /** The default plugin set the profile changes; none when omitted (every plugin must be enabled explicitly). */
  defaultPlugins?: PluginsConfig;
  /** Default score weights by plugin name. */
  defaultWeights?: Readonly<Record<string, number>>;
  clock: Clock;
  client?: Client;
  informers?: SharedInformerFactory;
  recorder?: EventRecorder;
  /** The current cycle's snapshot; an empty snapshot when omitted. */
  snapshot?: () => SnapshotLister;
  priority?: PriorityResolver;
  /** Pods nominated to nodes by preemption; none when omitted. */
  nominator?: Nominator;
}

/** The sum of the weighted scores of one node, with each plugin's part. */
export interface NodePluginScores {
  name: string;
  totalScore: number;
  scores: { plugin: string; score: number }[];
}

/**
 * One profile's plugins, instantiated and ordered per extension point, and the code
 * that runs them, as upstream's frameworkImpl. It is also the {@link Handle} the
 * plugins get. Built once at start: every configuration error throws a SchedulerError there.
 */
export class Framework implements Handle {
  readonly profileName: string;
  readonly clock: Clock;
  readonly client: Client | undefined;
  readonly informers: SharedInformerFactory | undefined;
  readonly recorder: EventRecorder | undefined;
  private readonly snapshotFn: () => SnapshotLister;
  private readonly priority: PriorityResolver;
  /** Pods nominated to nodes (shared by every profile of a scheduler). */
  readonly nominator: Nominator;
  private readonly instances = new Map<string, Plugin>();
  private readonly waiting = new Map<string, WaitingPodImpl>();
  readonly weights: ReadonlyMap<string, number>;
  /** The last CycleState's Filter plugins to run (see filterPluginsToRun). */
  private filterMemo: { state: CycleState; skipped: number; plugins: readonly FilterPlugin[] } | undefined;

  readonly preEnqueuePlugins: PreEnqueuePlugin[];
  readonly queueSortPlugin: QueueSortPlugin;
  readonly preFilterPlugins: PreFilterPlugin[];
  readonly filterPlugins: FilterPlugin[];
  readonly postFilterPlugins: PostFilterPlugin[];
  readonly preScorePlugins: PreScorePlugin[];
  readonly scorePlugins: ScorePlugin[];
  readonly reservePlugins: ReservePlugin[];
  readonly permitPlugins: PermitPlugin[];
  readonly preBindPlugins: PreBindPlugin[];
  readonly bindPlugins: BindPlugin[];
  readonly postBindPlugins: PostBindPlugin[];

  constructor(opts: FrameworkOptions) {
    this.profileName = opts.profile.schedulerName;
    if (!this.profileName) throw new SchedulerError('InvalidProfile', 'a profile needs a schedulerName');
    this.clock = opts.clock;
    this.client = opts.client;
    this.informers = opts.informers;
    this.recorder = opts.recorder;
    const empty = new Snapshot();
    this.snapshotFn = opts.snapshot ?? (() => empty);
    this.priority = opts.priority ?? createPriorityResolver();
    this.nominator = opts.nominator ?? new Nominator();
    const pluginConfig = opts.profile.pluginConfig ?? {};
    for (const name of Object.keys(pluginConfig)) {
      if (!opts.registry.has(name)) throw new SchedulerError('UnknownPlugin', `profile ${JSON.stringify(this.profileName)}: pluginConfig names unknown plugin ${JSON.stringify(name)}`);
    }
    const instantiate = (name: string): Plugin => {
      let p = this.instances.get(name);
      if (p) return p;
      const factory = opts.registry.get(name);
      if (!factory) throw new SchedulerError('UnknownPlugin', `profile ${JSON.stringify(this.profileName)}: no plugin named ${JSON.stringify(name)} in the registry`);
      try {
        p = factory(pluginConfig[name], this);
      } catch (e) {
        throw new SchedulerError('InvalidPluginArgs', `profile ${JSON.stringify(this.profileName)}: plugin ${JSON.stringify(name)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      this.instances.set(name, p);
      return p;
    };
    const resolved = resolveProfile(opts.profile, opts.defaultPlugins ?? {}, instantiate, opts.defaultWeights);
    this.weights = resolved.weights;
    const at = <T>(point: ExtensionPoint): T[] =>
      resolved.points[point].map((n) => {
        const p = instantiate(n);
        if (!implementsPoint(p, point)) throw new SchedulerError('ExtensionPointNotImplemented', `profile ${JSON.stringify(this.profileName)}: plugin ${JSON.stringify(n)} does not implement ${point}`);
        return p as T;
      });
    this.preEnqueuePlugins = at('preEnqueue');
    this.queueSortPlugin = at<QueueSortPlugin>('queueSort')[0];
    this.preFilterPlugins = at('preFilter');
    this.filterPlugins = at('filter');
    this.postFilterPlugins = at('postFilter');
    this.preScorePlugins = at('preScore');
    this.scorePlugins = at('score');
    this.reservePlugins = at('reserve');
    this.permitPlugins = at('permit');
    this.preBindPlugins = at('preBind');
    this.bindPlugins = at('bind');
    this.postBindPlugins = at('postBind');
    // Plugins instantiated only to check a disabled entry do not stay around.
    const used = new Set(Object.values(resolved.points).flat());
    for (const n of [...this.instances.keys()]) if (!used.has(n)) this.instances.delete(n);
  }

  /** The plugin instance of a name in this profile. */
  plugin(name: string): Plugin | undefined {
    return this.instances.get(name);
  }
  /** Every plugin instance of this profile. */
  plugins(): Plugin[] {
    return [...this.instances.values()];
  }

  /** Plugin name → the events it registered (undefined: any event). */
  enqueueEvents(): Map<string, ClusterEvent[] | undefined> {
    const m = new Map<string, ClusterEvent[] | undefined>();
    for (const [name, p] of this.instances) {
      const ext = p as Partial<EnqueueExtensions>;
      m.set(name, typeof ext.eventsToRegister === 'function' ? ext.eventsToRegister() : undefined);
    }
    return m;
  }

  // ---------------------------------------------------------------- Handle

  snapshot(): SnapshotLister {
    return this.snapshotFn();
  }
  getWaitingPod(uid: string): WaitingPod | undefined {
    return this.waiting.get(uid);
  }
  iterateOverWaitingPods(fn: (wp: WaitingPod) => void): void {
    for (const wp of [...this.waiting.values()]) fn(wp);
  }
  /** Rejects the waiting pod of that uid; false when none waits. */
  rejectWaitingPod(uid: string): boolean {
    const wp = this.waiting.get(uid);
    if (!wp) return false;
    wp.reject('', 'removed');
    return true;
  }
  podPriority(pod: Pod): number {
    return this.priority.podPriority(pod);
  }
  podPreemptionPolicy(pod: Pod): 'PreemptLowerPriority' | 'Never' {
    return this.priority.podPreemptionPolicy(pod);
  }

  // ---------------------------------------------------------------- running the points

  /** PreEnqueue: the first non-success status keeps the pod out of activeQ. */
  runPreEnqueuePlugins(pod: Pod): Status {
    for (const p of this.preEnqueuePlugins) {
      const s = this.guard(p.name, () => asStatus(p.preEnqueue(pod)));
      if (!s.isSuccess()) return s.withPlugin(p.name);
    }
    return Status.success;
  }

  /**
   * PreFilter: the merged node-name restriction and Success, or the first rejection
   * (applies to every node) or error. Plugins returning Skip are recorded in the state.
   */
  runPreFilterPlugins(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): { result: PreFilterResult; status: Status } {
    let nodeNames: Set<string> | undefined;
    const narrowing: string[] = [];
    for (const p of this.preFilterPlugins) {
      let r: Status | PreFilterResult;
      try {
        r = asStatus(p.preFilter(state, pod, nodes) as Status | undefined) as Status | PreFilterResult;
      } catch (e) {
        return { result: {}, status: Status.error(e).withPlugin(p.name) };
      }
      const s = r instanceof Status ? r : asStatus(r.status);
      if (s.isSkip()) {
        state.skipFilterPlugins.add(p.name);
        continue;
      }
      if (!s.isSuccess()) {
        const st = s.isRejected() ? s : Status.error(`running PreFilter plugin ${JSON.stringify(p.name)}: ${s.message()}`);
        return { result: {}, status: st.withPlugin(p.name) };
      }
      if (!(r instanceof Status) && r.nodeNames) {
        narrowing.push(p.name);
        nodeNames = nodeNames ? new Set([...nodeNames].filter((n) => r.nodeNames!.has(n))) : new Set(r.nodeNames);
        if (nodeNames.size === 0) {
          const msg = narrowing.length === 1 ? `node(s) didn't satisfy plugin ${narrowing[0]}` : `node(s) didn't satisfy plugin(s) [${narrowing.join(' ')}] simultaneously`;
          return { result: { nodeNames }, status: Status.unschedulableAndUnresolvable(msg).withPlugin(p.name) };
        }
      }
    }
    return { result: { nodeNames }, status: Status.success };
  }

  /** Filter: Success, or the first plugin's rejection (or error), with the plugin recorded. */
  runFilterPlugins(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    const plugins = this.filterPluginsToRun(state);
    for (let i = 0; i < plugins.length; i++) {
      const p = plugins[i];
      let s: Status;
      try {
        s = asStatus(p.filter(state, pod, nodeInfo));
      } catch (e) {
        s = Status.error(e);
      }
      if (!s.isSuccess()) {
        if (!s.isRejected()) s = Status.error(`running ${JSON.stringify(p.name)} filter plugin: ${s.message()}`);
        return s.withPlugin(p.name);
      }
    }
    return Status.success;
  }

  /**
   * The Filter plugins whose PreFilter did not Skip, remembered for the last CycleState
   * (Filter runs for thousands of nodes a cycle; the skip set is read once, and again only
   * when its size changed: plugins are only ever added to it).
   */
  private filterPluginsToRun(state: CycleState): readonly FilterPlugin[] {
    const skip = state.skipFilterPlugins;
    if (skip.size === 0) return this.filterPlugins;
    const m = this.filterMemo;
    if (m && m.state === state && m.skipped === skip.size) return m.plugins;
    const plugins = this.filterPlugins.filter((p) => !skip.has(p.name));
    this.filterMemo = { state, skipped: skip.size, plugins };
    return plugins;
  }

  nominatedPodsForNode(nodeName: string): readonly PodInfo[] {
    return this.nominator.nominatedPodsForNode(nodeName);
  }

  runFilterPluginsWithNominatedPods(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    const nominated = nodeInfo.node ? this.nominator.nominatedPodsForNode(nodeInfo.name) : NO_POD_INFOS;
    if (nominated.length === 0) return this.runFilterPlugins(state, pod, nodeInfo);
    const prio = this.podPriority(pod);
    const uid = pod.metadata?.uid;
    let withNominated: NodeInfo | undefined;
    let stateWith: CycleState | undefined;
    for (const pi of nominated) {
      if (pi.uid === uid || this.podPriority(pi.pod) < prio) continue;
      if (!withNominated) {
        withNominated = nodeInfo.clone();
        stateWith = state.clone();
      }
      withNominated.addPod(pi);
      const s = this.runPreFilterExtensionAddPod(stateWith!, pod, pi, withNominated);
      if (!s.isSuccess()) return s;
    }
    if (!withNominated) return this.runFilterPlugins(state, pod, nodeInfo);
    const first = this.runFilterPlugins(stateWith!, pod, withNominated);
    if (!first.isSuccess()) return first;
    return this.runFilterPlugins(state, pod, nodeInfo);
  }

  runPreFilterExtensionAddPod(state: CycleState, podToSchedule: Pod, podToAdd: PodInfo, nodeInfo: NodeInfo): Status {
    for (const p of this.preFilterPlugins) {
      if (state.skipFilterPlugins.has(p.name)) continue;
      const ext = p.preFilterExtensions?.();
      if (!ext) continue;
      const s = this.guard(p.name, () => asStatus(ext.addPod(state, podToSchedule, podToAdd, nodeInfo)));
      if (!s.isSuccess()) return s.withPlugin(p.name);
    }
    return Status.success;
  }

  runPreFilterExtensionRemovePod(state: CycleState, podToSchedule: Pod, podToRemove: PodInfo, nodeInfo: NodeInfo): Status {
    for (const p of this.preFilterPlugins) {
      if (state.skipFilterPlugins.has(p.name)) continue;
      const ext = p.preFilterExtensions?.();
      if (!ext) continue;
      const s = this.guard(p.name, () => asStatus(ext.removePod(state, podToSchedule, podToRemove, nodeInfo)));
      if (!s.isSuccess()) return s.withPlugin(p.name);
    }
    return Status.success;
  }

  /**
   * PostFilter: the first Success wins; an UnschedulableAndUnresolvable or an error ends
   * the phase; otherwise Unschedulable with every plugin's reasons.
   */
  async runPostFilterPlugins(state: CycleState, pod: Pod, statuses: NodeToStatus): Promise<PostFilterResult> {
    const reasons: string[] = [];
    let rejector: string | undefined;
    let nominated: string | undefined;
    for (const p of this.postFilterPlugins) {
      let r: PostFilterResult;
      try {
        r = await p.postFilter(state, pod, statuses);
      } catch (e) {
        return { status: Status.error(e).withPlugin(p.name) };
      }
      const s = r.status;
      if (s.isSuccess()) return r;
      if (s.code === 'UnschedulableAndUnresolvable') return { ...r, status: s.withPlugin(p.name) };
      if (!s.isRejected()) return { status: Status.error(s.message()).withPlugin(p.name) };
      if (r.nominatedNodeName !== undefined) nominated = r.nominatedNodeName;
      reasons.push(...s.reasons);
      rejector ??= p.name;
    }
    const status = Status.unschedulable(...reasons);
    return { status: rejector ? status.withPlugin(rejector) : status, nominatedNodeName: nominated };
  }

  /** PreScore: Success, or the first error. Plugins returning Skip are recorded in the state. */
  runPreScorePlugins(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status {
    for (const p of this.preScorePlugins) {
      const s = this.guard(p.name, () => asStatus(p.preScore(state, pod, nodes)));
      if (s.isSkip()) {
        state.skipScorePlugins.add(p.name);
        continue;
      }
      if (!s.isSuccess()) return Status.error(`running PreScore plugin ${JSON.stringify(p.name)}: ${s.message()}`).withPlugin(p.name);
    }
    return Status.success;
  }

  /**
   * Score, NormalizeScore and weights: each node's weighted sum. A score outside [0, 100]
   * after normalization is an error, as upstream.
   */
  runScorePlugins(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): { scores: NodePluginScores[]; status: Status } {
    const totals = new Float64Array(nodes.length);
    const breakdown: { plugin: string; score: number }[][] = nodes.map(() => []);
    const status = this.scoreNodes(state, pod, nodes, totals, breakdown);
    if (!status.isSuccess()) return { scores: [], status };
    return { scores: nodes.map((n, i) => ({ name: n.name, totalScore: totals[i], scores: breakdown[i] })), status };
  }

  /**
   * Score without the per-plugin breakdown: `totals[i]` becomes the weighted sum of
   * `nodes[i]`'s scores (what the scheduler selects on). The scheduler calls this for
   * every cycle; {@link Framework.runScorePlugins} adds each plugin's part, which costs
   * an object per node and plugin.
   */
  runScorePluginsTotals(state: CycleState, pod: Pod, nodes: readonly NodeInfo[], totals: Float64Array): Status {
    totals.fill(0, 0, nodes.length);
    return this.scoreNodes(state, pod, nodes, totals, undefined);
  }

  /**
   * `n` NodeScores for a cycle, reused by every plugin and every cycle (a cycle scores
   * hundreds of nodes; fresh objects each time were a large part of the scheduler's
   * garbage). Reset by index before each plugin, in case a NormalizeScore reordered them.
   */
  private nodeScores(n: number): NodeScore[] {
    const a = this.scoreScratch;
    while (a.length < n) a.push({ name: '', score: 0 });
    if (a.length > n) a.length = n;
    return a;
  }
  private readonly scoreScratch: NodeScore[] = [];

  private scoreNodes(state: CycleState, pod: Pod, nodes: readonly NodeInfo[], totals: Float64Array, breakdown: { plugin: string; score: number }[][] | undefined): Status {
    const scores = this.nodeScores(nodes.length);
    for (const p of this.scorePlugins) {
      if (state.skipScorePlugins.has(p.name)) continue;
      try {
        for (let i = 0; i < nodes.length; i++) {
          const s = scores[i];
          s.name = nodes[i].name;
          s.score = p.score(state, pod, nodes[i]);
        }
        const ext = p.scoreExtensions?.();
        if (ext) {
          const s = asStatus(ext.normalizeScore(state, pod, scores));
          if (!s.isSuccess()) return Status.error(`running Normalize on Score plugin ${JSON.stringify(p.name)}: ${s.message()}`).withPlugin(p.name);
        }
      } catch (e) {
        return Status.error(e).withPlugin(p.name);
      }
      const w = this.weights.get(p.name) ?? 1;
      for (let i = 0; i < scores.length; i++) {
        const sc = scores[i].score;
        if (!(sc >= MIN_NODE_SCORE && sc <= MAX_NODE_SCORE)) {
          return Status.error(`plugin ${JSON.stringify(p.name)} returns an invalid score ${sc}, it should in the range of [${MIN_NODE_SCORE}, ${MAX_NODE_SCORE}] after normalizing`).withPlugin(p.name);
        }
        totals[i] += sc * w;
        breakdown?.[i].push({ plugin: p.name, score: sc * w });
      }
    }
    return Status.success;
  }

  /** Reserve: Success, or the first failure (the caller then runs {@link Framework.runReservePluginsUnreserve}). */
  async runReservePluginsReserve(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const p of this.reservePlugins) {
      let s: Status;
      try {
        s = asStatus(await p.reserve(state, pod, nodeName));
      } catch (e) {
        s = Status.error(e);
      }
      if (!s.isSuccess()) return (s.isRejected() ? s : Status.error(`running Reserve plugin ${JSON.stringify(p.name)}: ${s.message()}`)).withPlugin(p.name);
    }
    return Status.success;
  }

  /** Unreserve, every Reserve plugin in reverse order; failures are swallowed (Unreserve must not fail). */
  async runReservePluginsUnreserve(state: CycleState, pod: Pod, nodeName: string): Promise<void> {
    for (let i = this.reservePlugins.length - 1; i >= 0; i--) {
      try {
        await this.reservePlugins[i].unreserve(state, pod, nodeName);
      } catch {
        // Unreserve must not fail; a plugin that throws is ignored so the others still run.
      }
    }
  }

  /**
   * Permit: Success, a rejection, or Wait (the pod is then held; see
   * {@link Framework.waitOnPermit}). Timeouts are capped at {@link MAX_PERMIT_TIMEOUT_MS}.
   */
  runPermitPlugins(state: CycleState, pod: Pod, nodeName: string): Status {
    const timeouts = new Map<string, number>();
    for (const p of this.permitPlugins) {
      let r: Status;
      let timeoutMs = 0;
      try {
        const out = p.permit(state, pod, nodeName);
        if (out && !(out instanceof Status)) {
          r = out.status;
          timeoutMs = out.timeoutMs;
        } else r = asStatus(out);
      } catch (e) {
        r = Status.error(e);
      }
      if (r.isWait()) {
        timeouts.set(p.name, Math.min(Math.max(0, timeoutMs), MAX_PERMIT_TIMEOUT_MS));
        continue;
      }
      if (!r.isSuccess()) return (r.isRejected() ? r : Status.error(`running Permit plugin ${JSON.stringify(p.name)}: ${r.message()}`)).withPlugin(p.name);
    }
    if (timeouts.size === 0) return Status.success;
    const uid = pod.metadata?.uid ?? '';
    const wp = new WaitingPodImpl(pod, timeouts, this.clock, () => this.waiting.delete(uid));
    this.waiting.set(uid, wp);
    return Status.wait();
  }

  /** Resolves once a waiting pod is allowed (Success) or rejected (Unschedulable); Success at once when it does not wait. */
  async waitOnPermit(pod: Pod): Promise<Status> {
    const wp = this.waiting.get(pod.metadata?.uid ?? '');
    return wp ? wp.done : Status.success;
  }

  /** PreBind: Success, or the first failure. */
  async runPreBindPlugins(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const p of this.preBindPlugins) {
      let s: Status;
      try {
        s = asStatus(await p.preBind(state, pod, nodeName));
      } catch (e) {
        s = Status.error(e);
      }
      if (!s.isSuccess()) return (s.isRejected() ? s : Status.error(`running PreBind plugin ${JSON.stringify(p.name)}: ${s.message()}`)).withPlugin(p.name);
    }
    return Status.success;
  }

  /** Bind: the first plugin that does not Skip decides; all skipping is Skip. */
  async runBindPlugins(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const p of this.bindPlugins) {
      let s: Status;
      try {
        s = asStatus(await p.bind(state, pod, nodeName));
      } catch (e) {
        s = Status.error(e);
      }
      if (s.isSkip()) continue;
      if (!s.isSuccess()) return (s.isRejected() ? s : Status.error(`running Bind plugin ${JSON.stringify(p.name)}: ${s.message()}`)).withPlugin(p.name);
      return s;
    }
    return Status.skip();
  }

  /** PostBind: informational; failures are swallowed. */
  async runPostBindPlugins(state: CycleState, pod: Pod, nodeName: string): Promise<void> {
    for (const p of this.postBindPlugins) {
      try {
        await p.postBind(state, pod, nodeName);
      } catch {
        // PostBind is informational: the pod is bound whatever it does.
      }
    }
  }

  private guard(plugin: string, fn: () => Status): Status {
    try {
      return fn();
    } catch (e) {
      return Status.error(e).withPlugin(plugin);
    }
  }
}
