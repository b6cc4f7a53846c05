import type { core } from '@bosun/api';
import { describe, expect, it } from 'vitest';
import { node, pod } from '../../test/fixtures';
import { CycleState } from '../framework/cycle-state';
import { NodeInfo } from '../framework/node-info';
import { NodeAffinity } from './node-affinity';

const required = (...terms: core.NodeSelectorTerm[]): core.Affinity => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } });
const MISMATCH = "node(s) didn't match Pod's node affinity/selector";

function filter(p: ReturnType<typeof pod>, n: ReturnType<typeof node>, args = {}) {
  const pl = new NodeAffinity(args);
  const s = new CycleState();
  const pre = pl.preFilter(s, p);
  if (pre.isSkip()) return 'Success';
  return pl.filter(s, p, new NodeInfo(n)).code;
}

describe('NodeAffinity filter', () => {
  it.each([
    ['no selector and no affinity fit every node', pod('p'), node('n'), 'Success'],
    ['nodeSelector gpu: "true" fits a labelled node', pod('p', { nodeSelector: { gpu: 'true' } }), node('n', { labels: { gpu: 'true' } }), 'Success'],
    ['nodeSelector gpu: "true" does not fit an unlabelled node', pod('p', { nodeSelector: { gpu: 'true' } }), node('n'), 'UnschedulableAndUnresolvable'],
    ['the seeds\' mysql In [true] fits', pod('p', { affinity: required({ matchExpressions: [{ key: 'mysql', operator: 'In', values: ['true'] }] }) }), node('n', { labels: { mysql: 'true' } }), 'Success'],
    ['mysql In [true] does not fit mysql=false', pod('p', { affinity: required({ matchExpressions: [{ key: 'mysql', operator: 'In', values: ['true'] }] }) }), node('n', { labels: { mysql: 'false' } }), 'UnschedulableAndUnresolvable'],
    ['terms are ORed', pod('p', { affinity: required({ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, { matchExpressions: [{ key: 'b', operator: 'Exists' }] }) }), node('n', { labels: { b: '1' } }), 'Success'],
    ['expressions are ANDed', pod('p', { affinity: required({ matchExpressions: [{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'Exists' }] }) }), node('n', { labels: { b: '1' } }), 'UnschedulableAndUnresolvable'],
    ['NotIn excludes', pod('p', { affinity: required({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['z1'] }] }) }), node('n', { labels: { zone: 'z1' } }), 'UnschedulableAndUnresolvable'],
    ['DoesNotExist fits a node without the label', pod('p', { affinity: required({ matchExpressions: [{ key: 'spot', operator: 'DoesNotExist' }] }) }), node('n'), 'Success'],
    ['Gt compares integers', pod('p', { affinity: required({ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['8'] }] }) }), node('n', { labels: { cores: '16' } }), 'Success'],
    ['Lt compares integers', pod('p', { affinity: required({ matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['8'] }] }) }), node('n', { labels: { cores: '16' } }), 'UnschedulableAndUnresolvable'],
    ['matchFields metadata.name picks the node', pod('p', { affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n'] }] }) }), node('n'), 'Success'],
    ['matchFields metadata.name refuses others', pod('p', { affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['m'] }] }) }), node('n'), 'UnschedulableAndUnresolvable'],
    ['nodeSelector AND affinity: both must hold', pod('p', { nodeSelector: { disk: 'ssd' }, affinity: required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] }) }), node('n', { labels: { zone: 'z1' } }), 'UnschedulableAndUnresolvable'],
    ['an empty term matches nothing', pod('p', { affinity: required({}) }), node('n'), 'UnschedulableAndUnresolvable'],
  ])('%s', (_n, p, n, code) => {
    expect(filter(p, n)).toBe(code);
  });

  it('gives the upstream reason', () => {
    const p = pod('p', { nodeSelector: { gpu: 'true' } });
    const s = new CycleState();
    const pl = new NodeAffinity();
    pl.preFilter(s, p);
    expect(pl.filter(s, p, new NodeInfo(node('n'))).reasons).toEqual([MISMATCH]);
  });

  it('enforces the profile\'s addedAffinity', () => {
    const args = { addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['batch'] }] }] } } };
    expect(filter(pod('p'), node('n'), args)).toBe('UnschedulableAndUnresolvable');
    expect(filter(pod('p'), node('n', { labels: { pool: 'batch' } }), args)).toBe('Success');
  });
});

describe('NodeAffinity score', () => {
  const preferred = (...t: [number, string][]): core.Affinity => ({
    nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: t.map(([weight, zone]) => ({ weight, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: [zone] }] } })) },
  });
  it.each([
    ['matching preferred weights are summed and normalized', preferred([80, 'z1'], [20, 'z2']), { z1: 100, z2: 25, z3: 0 }],
    ['no node matches: all zero', preferred([50, 'z9']), { z1: 0, z2: 0, z3: 0 }],
  ])('%s', (_n, affinity, want) => {
    const pl = new NodeAffinity();
    const s = new CycleState();
    const p = pod('p', { affinity });
    const nodes = ['z1', 'z2', 'z3'].map((z) => new NodeInfo(node(z, { labels: { zone: z } })));
    expect(pl.preScore(s, p).isSuccess()).toBe(true);
    const scores = nodes.map((n) => ({ name: n.name, score: pl.score(s, p, n) }));
    pl.normalizeScore(s, p, scores);
    expect(Object.fromEntries(scores.map((x) => [x.name, x.score]))).toEqual(want);
  });

  it('skips scoring when the pod prefers nothing', () => {
    expect(new NodeAffinity().preScore(new CycleState(), pod('p')).isSkip()).toBe(true);
  });
});
