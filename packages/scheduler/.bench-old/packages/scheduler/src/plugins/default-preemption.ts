import { isApiError, labelSelectorFromObject, rfc3339, type Pod, type PodDisruptionBudget } from '@bosun/api';
import type { CycleState } from '../framework/cycle-state';
import { fitErrorMessage } from '../framework/fit-error';
import type { Handle, NodeToStatus, PluginFactory, PostFilterPlugin, PostFilterResult } from '../framework/interface';
import type { NodeInfo } from '../framework/node-info';
import { PodInfo } from '../framework/pod-info';
import { Status } from '../framework/status';

/** The reason for nodes where preemption cannot help (they failed with UnschedulableAndUnresolvable). */
export const ERR_REASON_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
/** The reason for candidate nodes holding no pod of lower priority. */
export const ERR_REASON_NO_VICTIMS = 'No preemption victims found for incoming pod';
/** The condition reason set on victims before they are deleted. */
export const REASON_PREEMPTION_BY_SCHEDULER = 'PreemptionByScheduler';

/** Args of {@link DefaultPreemption}, as upstream's DefaultPreemptionArgs. */
export interface DefaultPreemptionArgs {
  /** Candidates to find, as a percentage of the nodes (0–100, default 10). */
  minCandidateNodesPercentage?: number;
  /** Candidates to find at least (default 100). */
  minCandidateNodesAbsolute?: number;
}

/** What DefaultPreemption needs from the framework. */
export type PreemptionHandle = Pick<
  Handle,
  | 'snapshot'
  | 'podPriority'
  | 'podPreemptionPolicy'
  | 'runFilterPluginsWithNominatedPods'
  | 'runPreFilterExtensionAddPod'
  | 'runPreFilterExtensionRemovePod'
  | 'nominatedPodsForNode'
  | 'getWaitingPod'
  | 'client'
  | 'recorder'
  | 'clock'
>;

/** A node where removing `victims` makes the pod fit. */
export interface Candidate {
  nodeName: string;
  /** Sorted from the most to the least important. */
  victims: Pod[];
  numPDBViolations: number;
}

/** Which victims would break a PodDisruptionBudget (budgets are spent in order, as upstream). */
function splitByPDBViolation(pods: readonly PodInfo[], pdbs: readonly PodDisruptionBudget[]): { violating: PodInfo[]; nonViolating: PodInfo[] } {
  const allowed = pdbs.map((p) => p.status?.disruptionsAllowed ?? 0);
  const selectors = pdbs.map((p) => {
    try {
      return labelSelectorFromObject(p.spec?.selector);
    } catch {
      return undefined;
    }
  });
  const violating: PodInfo[] = [];
  const nonViolating: PodInfo[] = [];
  for (const pi of pods) {
    const labels = pi.pod.metadata?.labels;
    let violated = false;
    if (labels && Object.keys(labels).length > 0) {
      pdbs.forEach((pdb, i) => {
        const sel = selectors[i];
        if ((pdb.metadata?.namespace ?? 'default') !== (pi.pod.metadata?.namespace ?? 'default')) return;
        if (!sel || sel.isEmpty() || !sel.matches(labels)) return;
        // Already counted by the disruption controller.
        if (pdb.status?.disruptedPods && (pi.pod.metadata?.name ?? '') in pdb.status.disruptedPods) return;
        allowed[i]--;
        if (allowed[i] < 0) violated = true;
      });
    }
    (violated ? violating : nonViolating).push(pi);
  }
  return { violating, nonViolating };
}

function startTime(pod: Pod, now: number): number {
  const t = pod.status?.startTime ?? pod.metadata?.creationTimestamp;
  return t ? Date.parse(t) : now;
}

/**
 * Evicts lower-priority pods so that a pod that fits nowhere can run, as upstream's
 * DefaultPreemption (PostFilter).
 *
 * The pod must be allowed to preempt (preemptionPolicy not Never, and no victim of an
 * earlier preemption still terminating on its nominated node). For each node that did
 * not fail with UnschedulableAndUnresolvable, every lower-priority pod is removed; if
 * the pod then fits, victims are reprieved from the most important down (those whose
 * eviction would break a PodDisruptionBudget first) while it still fits. The node is
 * picked by: fewest PDB violations, lowest highest-victim priority, smallest sum of
 * priorities, fewest victims, latest start of the highest-priority victims, then the
 * first. The victims get a DisruptionTarget condition, are deleted with their grace
 * period and get a `Preempted` Event; the pod is nominated to the node
 * (`status.nominatedNodeName`), and lower-priority pods nominated there lose their
 * nomination.
 */
export class DefaultPreemption implements PostFilterPlugin {
  static readonly pluginName = 'DefaultPreemption';
  readonly name = DefaultPreemption.pluginName;
  private readonly pct: number;
  private readonly abs: number;

  constructor(
    private readonly handle: PreemptionHandle,
    private readonly pdbs: () => readonly PodDisruptionBudget[] = () => [],
    args: DefaultPreemptionArgs = {},
  ) {
    this.pct = args.minCandidateNodesPercentage ?? 10;
    this.abs = args.minCandidateNodesAbsolute ?? 100;
    if (!Number.isInteger(this.pct) || this.pct < 0 || this.pct > 100) throw new Error(`minCandidateNodesPercentage: Invalid value: ${this.pct}: not in valid range [0, 100]`);
    if (!Number.isInteger(this.abs) || this.abs < 0) throw new Error(`minCandidateNodesAbsolute: Invalid value: ${this.abs}: not in valid range [0, inf)`);
    if (this.pct === 0 && this.abs === 0) throw new Error('minCandidateNodesPercentage and minCandidateNodesAbsolute: Invalid value: both cannot be zero');
  }

  async postFilter(state: CycleState, pod: Pod, statuses: NodeToStatus): Promise<PostFilterResult> {
    const r = await this.preempt(state, pod, statuses);
    const msg = r.status.message();
    if (msg) return { ...r, status: Status.of(r.status.code, `preemption: ${msg}`) };
    return r;
  }

  /** Why the pod may not preempt now, or undefined when it may. */
  eligibilityError(pod: Pod, statuses: NodeToStatus): string | undefined {
    if (this.handle.podPreemptionPolicy(pod) === 'Never') return 'not eligible due to preemptionPolicy=Never.';
    const nominated = pod.status?.nominatedNodeName;
    if (!nominated) return undefined;
    if (statuses.get(nominated)?.code === 'UnschedulableAndUnresolvable') return undefined;
    const n = this.handle.snapshot().get(nominated);
    const prio = this.handle.podPriority(pod);
    for (const p of n?.pods ?? []) {
      if (this.handle.podPriority(p.pod) < prio && terminatingByPreemption(p.pod)) return 'not eligible due to a terminating pod on the nominated node.';
    }
    return undefined;
  }

  private async preempt(state: CycleState, pod: Pod, statuses: NodeToStatus): Promise<PostFilterResult> {
    const notEligible = this.eligibilityError(pod, statuses);
    if (notEligible) return { status: Status.unschedulable(notEligible) };
    const all = this.handle.snapshot().list();
    const { candidates, nodeStatuses } = this.findCandidates(state, pod, all, statuses);
    if (candidates.length === 0) {
      const m = new Map<string, Status>();
      for (const n of all) m.set(n.name, nodeStatuses.get(n.name) ?? Status.unschedulableAndUnresolvable(ERR_REASON_NOT_HELPFUL));
      // An empty nomination clears the pod's nominatedNodeName.
      return { status: Status.unschedulable(fitErrorMessage(all.length, { nodeToStatus: m })), nominatedNodeName: '' };
    }
    const best = this.selectCandidate(candidates);
    await this.prepareCandidate(best, pod);
    return { status: Status.success, nominatedNodeName: best.nodeName };
  }

  /** The candidates (a node and its victims), and why the other tried nodes failed. */
  findCandidates(state: CycleState, pod: Pod, all: readonly NodeInfo[], statuses: NodeToStatus): { candidates: Candidate[]; nodeStatuses: Map<string, Status> } {
    const nodeStatuses = new Map<string, Status>();
    const potential = all.filter((n) => statuses.get(n.name)?.code !== 'UnschedulableAndUnresolvable');
    if (potential.length === 0) return { candidates: [], nodeStatuses };
    const pdbs = this.pdbs();
    const want = Math.min(potential.length, Math.max(Math.trunc((potential.length * this.pct) / 100), this.abs));
    const nonViolating: Candidate[] = [];
    const violating: Candidate[] = [];
    for (const n of potential) {
      const r = this.selectVictimsOnNode(state.clone(), pod, n.clone(), pdbs);
      if (r.status.isSuccess() && r.victims.length > 0) {
        (r.numPDBViolations === 0 ? nonViolating : violating).push({ nodeName: n.name, victims: r.victims, numPDBViolations: r.numPDBViolations });
        if (nonViolating.length > 0 && nonViolating.length + violating.length >= want) break;
        continue;
      }
      nodeStatuses.set(n.name, r.status.isSuccess() ? Status.error(`expected at least one victim pod on node "${n.name}"`) : r.status);
    }
    return { candidates: [...nonViolating, ...violating], nodeStatuses };
  }

  /**
   * The fewest lower-priority pods to remove from `nodeInfo` (changed in place, as is
   * `state`) so that `pod` fits, and how many of them break a PodDisruptionBudget.
   */
  selectVictimsOnNode(state: CycleState, pod: Pod, nodeInfo: NodeInfo, pdbs: readonly PodDisruptionBudget[]): { victims: Pod[]; numPDBViolations: number; status: Status } {
    const h = this.handle;
    const prio = h.podPriority(pod);
    const potential = nodeInfo.pods.filter((p) => h.podPriority(p.pod) < prio);
    if (potential.length === 0) return { victims: [], numPDBViolations: 0, status: Status.unschedulableAndUnresolvable(ERR_REASON_NO_VICTIMS) };
    const remove = (pi: PodInfo) => {
      nodeInfo.removePod(pi.pod);
      const s = h.runPreFilterExtensionRemovePod(state, pod, pi, nodeInfo);
      if (!s.isSuccess()) throw s.asError();
    };
    const add = (pi: PodInfo) => {
      nodeInfo.addPod(pi);
      const s = h.runPreFilterExtensionAddPod(state, pod, pi, nodeInfo);
      if (!s.isSuccess()) throw s.asError();
    };
    try {
      for (const pi of potential) remove(pi);
      const fits = h.runFilterPluginsWithNominatedPods(state, pod, nodeInfo);
      if (!fits.isSuccess()) return { victims: [], numPDBViolations: 0, status: fits };
      const now = h.clock.now();
      const moreImportant = (a: Pod, b: Pod) => {
        const pa = h.podPriority(a);
        const pb = h.podPriority(b);
        return pa !== pb ? pb - pa : startTime(a, now) - startTime(b, now);
      };
      potential.sort((a, b) => moreImportant(a.pod, b.pod));
      const { violating, nonViolating } = splitByPDBViolation(potential, pdbs);
      const victims: Pod[] = [];
      let numPDBViolations = 0;
      const reprieve = (pi: PodInfo): boolean => {
        add(pi);
        if (h.runFilterPluginsWithNominatedPods(state, pod, nodeInfo).isSuccess()) return true;
        remove(pi);
        victims.push(pi.pod);
        return false;
      };
      for (const pi of violating) if (!reprieve(pi)) numPDBViolations++;
      for (const pi of nonViolating) reprieve(pi);
      if (violating.length > 0 && nonViolating.length > 0) victims.sort(moreImportant);
      return { victims, numPDBViolations, status: Status.success };
    } catch (e) {
      return { victims: [], numPDBViolations: 0, status: Status.error(e) };
    }
  }

  /** The best candidate, by upstream's pickOneNodeForPreemption criteria. */
  selectCandidate(candidates: readonly Candidate[]): Candidate {
    const h = this.handle;
    const now = h.clock.now();
    const highest = (c: Candidate) => h.podPriority(c.victims[0]);
    const sum = (c: Candidate) => c.victims.reduce((acc, v) => acc + h.podPriority(v) + 2 ** 31, 0);
    // The earliest start among the victims of the highest priority: later is better.
    const earliestStart = (c: Candidate) => {
      const top = highest(c);
      let t = Number.MAX_SAFE_INTEGER;
      for (const v of c.victims) if (h.podPriority(v) === top) t = Math.min(t, startTime(v, now));
      return t;
    };
    const keepMin = (cs: Candidate[], f: (c: Candidate) => number) => {
      const best = Math.min(...cs.map(f));
      return cs.filter((c) => f(c) === best);
    };
    let cs = [...candidates];
    for (const f of [(c: Candidate) => c.numPDBViolations, highest, sum, (c: Candidate) => c.victims.length, (c: Candidate) => -earliestStart(c)]) {
      if (cs.length === 1) break;
      cs = keepMin(cs, f);
    }
    return cs[0];
  }

  /** Evicts the victims and clears the nominations of lower-priority pods nominated to the node. */
  private async prepareCandidate(c: Candidate, pod: Pod): Promise<void> {
    const h = this.handle;
    const client = h.client;
    const scheduler = pod.spec?.schedulerName || 'default-scheduler';
    await Promise.all(
      c.victims.map(async (victim) => {
        const waiting = h.getWaitingPod(victim.metadata?.uid ?? '');
        if (waiting) waiting.reject(this.name, 'preempted');
        else if (client) {
          await addDisruptionTarget(h, victim, `${scheduler}: preempting to accommodate a higher priority pod`);
          try {
            await client.delete('v1', 'Pod', victim.metadata?.namespace ?? 'default', victim.metadata?.name ?? '', { preconditions: { uid: victim.metadata?.uid } });
          } catch (e) {
            if (!(isApiError(e) && (e.reason === 'NotFound' || e.reason === 'Conflict'))) throw e;
          }
        }
        h.recorder?.event(victim as never, 'Normal', 'Preempted', `Preempted by pod ${pod.metadata?.uid ?? ''} on node ${c.nodeName}`);
      }),
    );
    const prio = h.podPriority(pod);
    const lower = h.nominatedPodsForNode(c.nodeName).filter((pi) => pi.uid !== pod.metadata?.uid && h.podPriority(pi.pod) < prio);
    if (client) await Promise.all(lower.map((pi) => clearNomination(h, pi.pod)));
  }
}

/** True when the pod is terminating because a scheduler preempted it. */
export function terminatingByPreemption(pod: Pod): boolean {
  if (!pod.metadata?.deletionTimestamp) return false;
  return (pod.status?.conditions ?? []).some((c) => c.type === 'DisruptionTarget' && c.status === 'True' && c.reason === REASON_PREEMPTION_BY_SCHEDULER);
}

async function updatePodStatus(h: PreemptionHandle, pod: Pod, change: (status: NonNullable<Pod['status']>) => boolean): Promise<void> {
  const client = h.client!;
  for (let attempt = 0; attempt < 5; attempt++) {
    let cur: Pod;
    try {
      cur = (await client.get('v1', 'Pod', pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? '')) as Pod;
    } catch (e) {
      if (isApiError(e) && e.reason === 'NotFound') return;
      throw e;
    }
    if (cur.metadata?.uid !== pod.metadata?.uid) return;
    const status = { ...cur.status, conditions: [...(cur.status?.conditions ?? [])] };
    if (!change(status)) return;
    try {
      await client.updateStatus({ ...cur, status });
      return;
    } catch (e) {
      if (isApiError(e) && e.reason === 'Conflict') continue;
      if (isApiError(e) && e.reason === 'NotFound') return;
      throw e;
    }
  }
}

function addDisruptionTarget(h: PreemptionHandle, pod: Pod, message: string): Promise<void> {
  return updatePodStatus(h, pod, (status) => {
    const conds = status.conditions!;
    const i = conds.findIndex((c) => c.type === 'DisruptionTarget');
    if (i >= 0 && conds[i].status === 'True' && conds[i].reason === REASON_PREEMPTION_BY_SCHEDULER) return false;
    const next = { type: 'DisruptionTarget', status: 'True', reason: REASON_PREEMPTION_BY_SCHEDULER, message, lastTransitionTime: rfc3339(h.clock.now()) };
    if (i >= 0) conds[i] = next;
    else conds.push(next);
    return true;
  });
}

function clearNomination(h: PreemptionHandle, pod: Pod): Promise<void> {
  return updatePodStatus(h, pod, (status) => {
    if (!status.nominatedNodeName) return false;
    delete status.nominatedNodeName;
    return true;
  });
}

export const create: PluginFactory = (args, handle) => {
  const pdbs = handle.informers?.forKind('policy/v1', 'PodDisruptionBudget');
  return new DefaultPreemption(handle, pdbs ? () => pdbs.cache.list() : () => [], (args ?? {}) as DefaultPreemptionArgs);
};
