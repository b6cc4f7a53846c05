import { describe, expect, it } from 'vitest';
import { node, pod } from '../../test/fixtures';
import { CycleState } from '../framework/cycle-state';
import type { Handle } from '../framework/interface';
import { NodeInfo } from '../framework/node-info';
import { Snapshot } from '../framework/snapshot';
import { ImageLocality, calculatePriority } from './image-locality';

const MB = 1024 * 1024;

describe('ImageLocality', () => {
  it.each([
    ['below 23 MB scores 0', 10 * MB, 1, 0],
    ['at the per-container cap scores 100', 1000 * MB, 1, 100],
    ['halfway scores about 50', 511 * MB, 1, 49],
    ['caps scale with containers', 1000 * MB, 2, 49],
  ])('%s', (_n, sum, containers, want) => {
    expect(calculatePriority(sum, containers)).toBe(want);
  });

  it('favours nodes holding the pod\'s image, scaled by how many nodes hold it', () => {
    const nodes = [
      new NodeInfo(node('has', { images: [{ names: ['docker.io/library/big:1', 'big:1'], sizeBytes: 800 * MB }] })),
      new NodeInfo(node('tag-latest', { images: [{ names: ['small'], sizeBytes: 500 * MB }] })),
      new NodeInfo(node('none')),
    ];
    const snap = Snapshot.of(nodes);
    const pl = new ImageLocality({ snapshot: () => snap } as unknown as Handle);
    const s = new CycleState();
    expect(pl.score(s, pod('p', { image: 'big:1' }), snap.get('has')!)).toBe(Math.trunc((100 * (Math.trunc(800 * MB / 3) - 23 * MB)) / (977 * MB)));
    expect(pl.score(s, pod('p', { image: 'small' }), snap.get('tag-latest')!)).toBeGreaterThan(0);
    expect(pl.score(s, pod('p', { image: 'big:1' }), snap.get('none')!)).toBe(0);
  });

  it('skips scoring (PreScore Skip) when no node holds any of the pod\'s images, and scores otherwise', () => {
    const snap = Snapshot.of([new NodeInfo(node('has', { images: [{ names: ['big:1'], sizeBytes: 800 * MB }] })), new NodeInfo(node('none'))]);
    const pl = new ImageLocality({ snapshot: () => snap } as unknown as Handle);
    const nodes = snap.list();
    expect(pl.preScore(new CycleState(), pod('p', { image: 'nobody-has-this:2' })).isSkip()).toBe(true);
    expect(pl.preScore(new CycleState(), pod('p', { image: 'big:1' })).isSuccess()).toBe(true);
    // What Skip stands for: every node would have scored 0.
    for (const n of nodes) expect(pl.score(new CycleState(), pod('p', { image: 'nobody-has-this:2' }), n)).toBe(0);
  });
});
