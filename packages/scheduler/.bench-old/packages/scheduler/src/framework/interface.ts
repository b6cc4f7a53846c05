import type { Clock, Pod } from '@bosun/api';
import type { Client, EventRecorder } from '@bosun/apiserver';
import type { SharedInformerFactory } from '@bosun/controller-runtime';
import type { CycleState } from './cycle-state';
import type { NodeInfo } from './node-info';
import type { PodInfo } from './pod-info';
import type { Status } from './status';

/** Every plugin has a name, unique in its registry. */
export interface Plugin {
  readonly name: string;
}

/** A pod as the scheduling queue holds it. */
export interface QueuedPodInfo {
  readonly podInfo: PodInfo;
  /** The pod's priority (spec.priority, or resolved from its PriorityClass). */
  priority: number;
  /** When the pod first entered the queue (clock ms). */
  readonly initialAttemptTimestamp: number;
  /** When the pod last entered activeQ or backoffQ (clock ms). */
  timestamp: number;
  /** Scheduling attempts so far. */
  attempts: number;
  /** Plugins that rejected the pod in its last attempt: only events they care about move it back. */
  unschedulablePlugins: Set<string>;
}

/** Runs when a pod is added to the queue: a non-success status keeps it out of activeQ until an event moves it. */
export interface PreEnqueuePlugin extends Plugin {
  /** Must be quick and free of side effects: called for every add and every move. */
  preEnqueue(pod: Pod): Status | void;
}

/** Orders activeQ. Exactly one per profile, and all profiles must use the same one. */
export interface QueueSortPlugin extends Plugin {
  /** True when `a` should be scheduled before `b`. Must be a strict weak ordering. */
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

/** What a PreFilter may narrow the candidate nodes to. */
export interface PreFilterResult {
  /** Only these nodes can fit (undefined: all). Results of several plugins intersect. */
  nodeNames?: ReadonlySet<string>;
  status?: Status;
}

/** Called by preemption to simulate adding or removing pods on a node after PreFilter. */
export interface PreFilterExtensions {
  /** Updates this plugin's cycle state as if `podToAdd` ran on `nodeInfo`. */
  addPod(state: CycleState, podToSchedule: Pod, podToAdd: PodInfo, nodeInfo: NodeInfo): Status | void;
  /** Updates this plugin's cycle state as if `podToRemove` no longer ran on `nodeInfo`. */
  removePod(state: CycleState, podToSchedule: Pod, podToRemove: PodInfo, nodeInfo: NodeInfo): Status | void;
}

/**
 * Runs once per cycle before Filter: computes what Filter needs into the CycleState,
 * may reject the pod outright (for every node), or return Skip (its Filter is then not called).
 */
export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status | PreFilterResult | void;
  /** The add/remove hooks preemption uses; undefined when this plugin's state does not depend on other pods. */
  preFilterExtensions?(): PreFilterExtensions | undefined;
}

/**
 * Whether the pod fits on one node. Synchronous and side-effect free: called for many
 * nodes per cycle, and again by preemption on simulated nodes. Return Unschedulable when
 * preempting pods could make it fit, UnschedulableAndUnresolvable when it cannot.
 */
export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | void;
}

/** Node name → the status that rejected the pod there. */
export type NodeToStatus = ReadonlyMap<string, Status>;

/** What a PostFilter achieved: a nominated node when it made room (preemption). */
export interface PostFilterResult {
  status: Status;
  nominatedNodeName?: string;
}

/** Runs when no node fits (preemption). A Success result ends the PostFilter phase. */
export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: Pod, filteredNodeStatus: NodeToStatus): PostFilterResult | Promise<PostFilterResult>;
}

/** Runs once per cycle before Score, with the nodes that passed Filter. Skip: its Score is not called. */
export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status | void;
}

/** One node's score. */
export interface NodeScore {
  name: string;
  score: number;
}

/** Rescales a plugin's raw scores to [0, {@link MAX_NODE_SCORE}]. */
export interface ScoreExtensions {
  /** Changes `scores` in place. */
  normalizeScore(state: CycleState, pod: Pod, scores: NodeScore[]): Status | void;
}

/** The highest score a plugin may give a node after normalization. */
export const MAX_NODE_SCORE = 100;
/** The lowest. */
export const MIN_NODE_SCORE = 0;

/**
 * Ranks a feasible node: a number, in [0, 100] unless the plugin normalizes. Synchronous
 * and side-effect free. Throwing is an Error status for the cycle.
 */
export interface ScorePlugin extends Plugin {
  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): number;
  scoreExtensions?(): ScoreExtensions | undefined;
}

/** Holds and releases per-node resources of its own when a pod is assumed on a node. */
export interface ReservePlugin extends Plugin {
  /** Called after the pod is assumed on `nodeName`. A failure unreserves every Reserve plugin. */
  reserve(state: CycleState, pod: Pod, nodeName: string): Status | void | Promise<Status | void>;
  /**
   * Releases what reserve took. Called in reverse order when any later step fails, even
   * for plugins whose reserve was not reached: Unreserve must be idempotent and must not fail.
   */
  unreserve(state: CycleState, pod: Pod, nodeName: string): void | Promise<void>;
}

/** What a Permit plugin answers: Success, a rejection, or Wait with a timeout. */
export type PermitResult = Status | void | { status: Status; timeoutMs: number };

/**
 * Gates binding: allow, deny, or wait (up to a timeout on the scheduler's clock) for
 * someone to call `handle.getWaitingPod(uid).allow(pluginName)` or `.reject(…)`. A pod
 * waits until every waiting plugin allowed it; it is rejected at the first reject or timeout.
 */
export interface PermitPlugin extends Plugin {
  permit(state: CycleState, pod: Pod, nodeName: string): PermitResult;
}

/** Runs before Bind (e.g. provisioning volumes). A failure unreserves and retries the pod with backoff. */
export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: Pod, nodeName: string): Status | void | Promise<Status | void>;
}

/** Binds the pod. Return Skip to let the next Bind plugin do it; the first one that does not skip decides. */
export interface BindPlugin extends Plugin {
  bind(state: CycleState, pod: Pod, nodeName: string): Status | void | Promise<Status | void>;
}

/** Informational, after a successful bind. Must not fail. */
export interface PostBindPlugin extends Plugin {
  postBind(state: CycleState, pod: Pod, nodeName: string): void | Promise<void>;
}

/** What changed in the cluster: a resource kind and an action. */
export interface ClusterEvent {
  resource: 'Pod' | 'AssignedPod' | 'Node' | 'PersistentVolumeClaim' | 'PersistentVolume' | 'StorageClass' | 'PriorityClass' | '*';
  action: 'Add' | 'Update' | 'Delete' | '*';
}

/**
 * Says which cluster events might make a pod this plugin rejected schedulable. A pod
 * parked as unschedulable moves back when an event registered by one of the plugins that
 * rejected it happens. A plugin without this hook is moved by every event.
 */
export interface EnqueueExtensions {
  eventsToRegister(): ClusterEvent[];
}

/** A pod held at Permit. */
export interface WaitingPod {
  readonly pod: Pod;
  /** Plugins still to allow it. */
  pendingPlugins(): string[];
  /** `plugin` allows the pod; it binds once every waiting plugin has. Unknown plugins are ignored. */
  allow(plugin: string): void;
  /** Rejects the pod: it is unreserved and retried. */
  reject(plugin: string, message: string): void;
}

/** Read access to this cycle's snapshot. */
export interface SnapshotLister {
  /** Every node, in a stable order. */
  list(): readonly NodeInfo[];
  /** Nodes holding at least one pod with (anti-)affinity. */
  havePodsWithAffinity(): readonly NodeInfo[];
  /** Nodes holding at least one pod with required anti-affinity. */
  havePodsWithRequiredAntiAffinity(): readonly NodeInfo[];
  get(nodeName: string): NodeInfo | undefined;
  /** Image name → number of nodes holding it. */
  imageNodeCount(image: string): number;
}

/** What a plugin gets from the framework; passed to every {@link PluginFactory}. */
export interface Handle {
  readonly clock: Clock;
  /** The API client; undefined in unit tests that build a framework without one. */
  readonly client: Client | undefined;
  /** Shared informers: call `forKind` in a factory to watch a kind (started with the scheduler). */
  readonly informers: SharedInformerFactory | undefined;
  /** The event recorder of this scheduler. */
  readonly recorder: EventRecorder | undefined;
  /** The snapshot of the current cycle. */
  snapshot(): SnapshotLister;
  /** A pod held at Permit, by uid. */
  getWaitingPod(uid: string): WaitingPod | undefined;
  /** Every pod held at Permit. */
  iterateOverWaitingPods(fn: (wp: WaitingPod) => void): void;
  /** The pod's priority: spec.priority, else its PriorityClass's value, else the global default, else 0. */
  podPriority(pod: Pod): number;
  /** Whether the pod may preempt others: false when its preemptionPolicy (or its PriorityClass's) is Never. */
  podPreemptionPolicy(pod: Pod): 'PreemptLowerPriority' | 'Never';
  /** Runs every Filter plugin of the profile (for preemption's simulation). */
  runFilterPlugins(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status;
  /**
   * Runs the Filter plugins twice, as upstream: once with the pods nominated to the node
   * with priority ≥ the pod's added (through PreFilterExtensions.addPod on a cloned state),
   * then, when that passes and pods were added, without them. Both must pass.
   */
  runFilterPluginsWithNominatedPods(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status;
  /** The pods nominated to a node by preemption (waiting for their victims to go). */
  nominatedPodsForNode(nodeName: string): readonly PodInfo[];
  /** Runs every PreFilterExtensions.addPod of the profile. */
  runPreFilterExtensionAddPod(state: CycleState, podToSchedule: Pod, podToAdd: PodInfo, nodeInfo: NodeInfo): Status;
  /** Runs every PreFilterExtensions.removePod of the profile. */
  runPreFilterExtensionRemovePod(state: CycleState, podToSchedule: Pod, podToRemove: PodInfo, nodeInfo: NodeInfo): Status;
}

/**
 * Builds a plugin from its args (the profile's `pluginConfig` entry, undefined when none)
 * and the framework handle. Called once per profile at start; throwing refuses the args
 * (the scheduler does not start).
 */
export type PluginFactory = (args: unknown, handle: Handle) => Plugin;

/** The extension points a profile configures. */
export type ExtensionPoint =
  | 'preEnqueue'
  | 'queueSort'
  | 'preFilter'
  | 'filter'
  | 'postFilter'
  | 'preScore'
  | 'score'
  | 'reserve'
  | 'permit'
  | 'preBind'
  | 'bind'
  | 'postBind';

/** The method each extension point calls, used to check that a plugin implements it. */
export const EXTENSION_POINT_METHODS: Readonly<Record<ExtensionPoint, string>> = Object.freeze({
  preEnqueue: 'preEnqueue',
  queueSort: 'less',
  preFilter: 'preFilter',
  filter: 'filter',
  postFilter: 'postFilter',
  preScore: 'preScore',
  score: 'score',
  reserve: 'reserve',
  permit: 'permit',
  preBind: 'preBind',
  bind: 'bind',
  postBind: 'postBind',
});

/** Every extension point, in the order a pod meets them. */
export const EXTENSION_POINTS = Object.keys(EXTENSION_POINT_METHODS) as ExtensionPoint[];

/** True when `plugin` implements `point`. */
export function implementsPoint(plugin: Plugin, point: ExtensionPoint): boolean {
  return typeof (plugin as unknown as Record<string, unknown>)[EXTENSION_POINT_METHODS[point]] === 'function';
}
