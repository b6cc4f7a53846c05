import type { PluginsConfig } from '../framework/profile';
import { Registry } from '../framework/registry';
import * as defaultBinder from './default-binder';
import * as defaultPreemption from './default-preemption';
import * as imageLocality from './image-locality';
import * as interPodAffinity from './inter-pod-affinity';
import * as nodeAffinity from './node-affinity';
import * as nodeName from './node-name';
import * as nodePorts from './node-ports';
import * as balanced from './node-resources-balanced-allocation';
import * as fit from './node-resources-fit';
import * as nodeUnschedulable from './node-unschedulable';
import * as podTopologySpread from './pod-topology-spread';
import * as prioritySort from './priority-sort';
import * as schedulingGates from './scheduling-gates';
import * as taintToleration from './taint-toleration';
import * as volumeBinding from './volume-binding';

/** A new registry holding every in-tree plugin under its upstream name. */
export function inTreeRegistry(): Registry {
  return new Registry([
    ['SchedulingGates', schedulingGates.create],
    ['PrioritySort', prioritySort.create],
    ['NodeUnschedulable', nodeUnschedulable.create],
    ['NodeName', nodeName.create],
    ['TaintToleration', taintToleration.create],
    ['NodeAffinity', nodeAffinity.create],
    ['NodePorts', nodePorts.create],
    ['NodeResourcesFit', fit.create],
    ['VolumeBinding', volumeBinding.create],
    ['PodTopologySpread', podTopologySpread.create],
    ['InterPodAffinity', interPodAffinity.create],
    ['DefaultPreemption', defaultPreemption.create],
    ['NodeResourcesBalancedAllocation', balanced.create],
    ['ImageLocality', imageLocality.create],
    ['DefaultBinder', defaultBinder.create],
  ]);
}

/**
 * The default plugins, enabled at every point they implement (`multiPoint`), in
 * upstream's order. A profile changes this set with its `plugins` (see ProfileConfig).
 */
export const DEFAULT_PLUGINS: PluginsConfig = Object.freeze({
  multiPoint: {
    enabled: [
      { name: 'SchedulingGates' },
      { name: 'PrioritySort' },
      { name: 'NodeUnschedulable' },
      { name: 'NodeName' },
      { name: 'TaintToleration', weight: 3 },
      { name: 'NodeAffinity', weight: 2 },
      { name: 'NodePorts' },
      { name: 'NodeResourcesFit', weight: 1 },
      { name: 'VolumeBinding' },
      { name: 'PodTopologySpread', weight: 2 },
      { name: 'InterPodAffinity', weight: 2 },
      { name: 'DefaultPreemption' },
      { name: 'NodeResourcesBalancedAllocation', weight: 1 },
      { name: 'ImageLocality', weight: 1 },
      { name: 'DefaultBinder' },
    ],
  },
});

/** Upstream's default score weights. */
export const DEFAULT_SCORE_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({
  TaintToleration: 3,
  NodeAffinity: 2,
  PodTopologySpread: 2,
  InterPodAffinity: 2,
  NodeResourcesFit: 1,
  NodeResourcesBalancedAllocation: 1,
  ImageLocality: 1,
});
