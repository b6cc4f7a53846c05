import type { Pod, core } from '@bosun/api';
import { stateKey, type CycleState } from '../framework/cycle-state';
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, NodeScore, PluginFactory, PreScorePlugin, ScoreExtensions, ScorePlugin } from '../framework/interface';
import type { NodeInfo } from '../framework/node-info';
import { Status } from '../framework/status';
import { defaultNormalizeScore, findUntoleratedTaint, toleratesTaint } from './helpers';

const preScoreKey = stateKey<core.Toleration[]>('PreScoreTaintToleration');

const isNoScheduleOrNoExecute = (t: core.Taint) => t.effect === 'NoSchedule' || t.effect === 'NoExecute';

/** The tolerations that can tolerate PreferNoSchedule taints: effect PreferNoSchedule or empty. */
function preferNoScheduleTolerations(pod: Pod): core.Toleration[] {
  return (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
}

function countIntolerable(taints: readonly core.Taint[], tolerations: readonly core.Toleration[]): number {
  let n = 0;
  for (const taint of taints) {
    if (taint.effect !== 'PreferNoSchedule') continue;
    if (!tolerations.some((t) => toleratesTaint(t, taint))) n++;
  }
  return n;
}

/**
 * Filter: the pod must tolerate every NoSchedule and NoExecute taint of the node
 * (`node(s) had untolerated taint {key: value}` names the first one that is not).
 * Score: fewer untolerated PreferNoSchedule taints is better (normalized, reversed).
 */
export class TaintToleration implements FilterPlugin, PreScorePlugin, ScorePlugin, ScoreExtensions, EnqueueExtensions {
  static readonly pluginName = 'TaintToleration';
  readonly name = TaintToleration.pluginName;

  filter(_s: CycleState, pod: Pod, node: NodeInfo): Status {
    const taints = node.taints;
    if (taints.length === 0) return Status.success;
    const t = findUntoleratedTaint(taints, pod.spec?.tolerations ?? [], isNoScheduleOrNoExecute);
    return t ? Status.unschedulableAndUnresolvable(`node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`) : Status.success;
  }

  preScore(s: CycleState, pod: Pod): Status {
    s.write(preScoreKey, preferNoScheduleTolerations(pod));
    return Status.success;
  }

  score(s: CycleState, pod: Pod, node: NodeInfo): number {
    if (node.taints.length === 0) return 0;
    return countIntolerable(node.taints, s.tryRead(preScoreKey) ?? preferNoScheduleTolerations(pod));
  }

  scoreExtensions(): ScoreExtensions {
    return this;
  }
  normalizeScore(_s: CycleState, _p: Pod, scores: NodeScore[]): void {
    defaultNormalizeScore(scores, true);
  }

  eventsToRegister(): ClusterEvent[] {
    return [{ resource: 'Node', action: 'Add' }, { resource: 'Node', action: 'Update' }];
  }
}

export const create: PluginFactory = () => new TaintToleration();
