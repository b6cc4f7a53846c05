import type { core } from '@bosun/api';
import { describe, expect, it } from 'vitest';
import { node, pod } from '../../test/fixtures';
import { CycleState } from '../framework/cycle-state';
import { NodeInfo } from '../framework/node-info';
import { toleratesTaint } from './helpers';
import { TaintToleration } from './taint-toleration';

const gpu: core.Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };

describe('toleratesTaint', () => {
  it.each<[string, core.Toleration, core.Taint, boolean]>([
    ['Equal with the same key, value and effect', { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, gpu, true],
    ['no operator means Equal', { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, gpu, true],
    ['Equal with another value', { key: 'dedicated', operator: 'Equal', value: 'cpu', effect: 'NoSchedule' }, gpu, false],
    ['Exists ignores the value', { key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }, gpu, true],
    ['an empty effect matches every effect', { key: 'dedicated', operator: 'Exists' }, { ...gpu, effect: 'NoExecute' }, true],
    ['another effect does not match', { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, gpu, false],
    ['an empty key with Exists tolerates everything', { operator: 'Exists' }, { key: 'anything', value: 'x', effect: 'NoExecute' }, true],
    ['another key does not match', { key: 'other', operator: 'Exists' }, gpu, false],
    ['tolerationSeconds does not change matching', { key: 'dedicated', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 30 }, gpu, true],
  ])('%s', (_n, t, taint, want) => {
    expect(toleratesTaint(t, taint)).toBe(want);
  });
});

describe('TaintToleration filter', () => {
  it.each<[string, core.Taint[], core.Toleration[] | undefined, string, string[]]>([
    ['an untainted node takes any pod', [], undefined, 'Success', []],
    ['a NoSchedule taint refuses an intolerant pod', [gpu], undefined, 'UnschedulableAndUnresolvable', ['node(s) had untolerated taint {dedicated: gpu}']],
    ['a NoExecute taint refuses an intolerant pod', [{ key: 'k', value: 'v', effect: 'NoExecute' }], undefined, 'UnschedulableAndUnresolvable', ['node(s) had untolerated taint {k: v}']],
    ['a PreferNoSchedule taint does not filter', [{ key: 'k', value: 'v', effect: 'PreferNoSchedule' }], undefined, 'Success', []],
    ['a tolerating pod fits', [gpu], [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }], 'Success', []],
    ['a taint without value prints an empty value', [{ key: 'k', effect: 'NoSchedule' }], undefined, 'UnschedulableAndUnresolvable', ['node(s) had untolerated taint {k: }']],
  ])('%s', (_n, taints, tolerations, code, reasons) => {
    const s = new TaintToleration().filter(new CycleState(), pod('p', { tolerations }), new NodeInfo(node('n', { taints })));
    expect(s.code).toBe(code);
    expect(s.reasons).toEqual(reasons);
  });
});

describe('TaintToleration score', () => {
  it.each<[string, core.Toleration[] | undefined, Record<string, number>]>([
    ['fewer intolerable PreferNoSchedule taints score higher', undefined, { clean: 100, one: 50, two: 0 }],
    ['tolerated PreferNoSchedule taints do not count', [{ operator: 'Exists', effect: 'PreferNoSchedule' }], { clean: 100, one: 100, two: 100 }],
  ])('%s', (_n, tolerations, want) => {
    const pl = new TaintToleration();
    const s = new CycleState();
    const p = pod('p', { tolerations });
    const pref = (k: string): core.Taint => ({ key: k, value: 'v', effect: 'PreferNoSchedule' });
    const nodes = [new NodeInfo(node('clean')), new NodeInfo(node('one', { taints: [pref('a')] })), new NodeInfo(node('two', { taints: [pref('a'), pref('b')] }))];
    pl.preScore(s, p);
    const scores = nodes.map((n) => ({ name: n.name, score: pl.score(s, p, n) }));
    pl.normalizeScore(s, p, scores);
    expect(Object.fromEntries(scores.map((x) => [x.name, x.score]))).toEqual(want);
  });
});
