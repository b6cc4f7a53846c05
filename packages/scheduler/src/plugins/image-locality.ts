import type { Pod } from '@bosun/api';
import type { CycleState } from '../framework/cycle-state';
import { MAX_NODE_SCORE, type Handle, type PluginFactory, type PreScorePlugin, type ScorePlugin } from '../framework/interface';
import { Status } from '../framework/status';
import type { ImageStateSummary, NodeInfo } from '../framework/node-info';
import { normalizedImageName } from '../framework/snapshot';

const MB = 1024 * 1024;
/** Below this sum of image sizes a node scores 0. */
export const MIN_THRESHOLD = 23 * MB;
/** Per container, above this sum a node scores 100. */
export const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/** An image's size scaled by the fraction of nodes holding it, so images everywhere count little. */
function scaledImageScore(state: ImageStateSummary, totalNumNodes: number): number {
  return Math.trunc(state.size * (state.numNodes / totalNumNodes));
}

/** The score from the summed scaled sizes, clamped between the thresholds, as upstream's calculatePriority. */
export function calculatePriority(sumScores: number, numContainers: number): number {
  const max = MAX_CONTAINER_THRESHOLD * numContainers;
  const s = Math.min(Math.max(sumScores, MIN_THRESHOLD), max);
  return Math.trunc((MAX_NODE_SCORE * (s - MIN_THRESHOLD)) / (max - MIN_THRESHOLD));
}

/** Score: favours nodes that already hold the pod's images (big, rare images count most). */
export class ImageLocality implements PreScorePlugin, ScorePlugin {
  static readonly pluginName = 'ImageLocality';
  readonly name = ImageLocality.pluginName;

  /** The last pod scored and its containers' normalized image names (Score runs per node; the names are per pod). */
  private lastPod: Pod | undefined;
  private lastImages: readonly string[] = [];

  constructor(private readonly handle: Handle) {}

  /**
   * Skip when no node of the snapshot holds any of the pod's images: every node would
   * score 0 (a pod of images nobody has yet, and every node without image lists, as on
   * simulated nodes).
   */
  preScore(_s: CycleState, pod: Pod): Status {
    const snapshot = this.handle.snapshot();
    return this.imagesOf(pod).some((image) => snapshot.imageNodeCount(image) > 0) ? Status.success : Status.skip();
  }

  score(_s: CycleState, pod: Pod, node: NodeInfo): number {
    const total = this.handle.snapshot().list().length || 1;
    const images = this.imagesOf(pod);
    let sum = 0;
    for (const image of images) {
      const st = node.imageStates.get(image);
      if (st) sum += scaledImageScore(st, total);
    }
    return images.length ? calculatePriority(sum, images.length) : 0;
  }

  private imagesOf(pod: Pod): readonly string[] {
    if (pod !== this.lastPod) {
      this.lastPod = pod;
      this.lastImages = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => normalizedImageName(c.image ?? ''));
    }
    return this.lastImages;
  }
}

export const create: PluginFactory = (_args, handle) => new ImageLocality(handle);
