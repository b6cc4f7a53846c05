import type { NodeSelectorRequirement, NodeSelectorTerm } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import { compileNodeSelector, compileNodeSelectorTerm, nodeSelectorMatches, nodeSelectorTermMatches } from './node-selector';

const node = { metadata: { name: 'node-1', labels: { 'kubernetes.io/hostname': 'node-1', disk: 'ssd', zone: 'a', cores: '16', 'gpu-count': 'none' } } };
const expr = (key: string, operator: string, values?: string[]): NodeSelectorRequirement => ({ key, operator, ...(values ? { values } : {}) });

describe('nodeSelectorTermMatches', () => {
  it.each<[string, NodeSelectorTerm, boolean]>([
    ['In with the label value', { matchExpressions: [expr('disk', 'In', ['ssd', 'nvme'])] }, true],
    ['In without the label value', { matchExpressions: [expr('disk', 'In', ['hdd'])] }, false],
    ['NotIn without the label value', { matchExpressions: [expr('disk', 'NotIn', ['hdd'])] }, true],
    ['NotIn with the label value', { matchExpressions: [expr('disk', 'NotIn', ['ssd'])] }, false],
    ['NotIn on a missing label', { matchExpressions: [expr('gpu', 'NotIn', ['a100'])] }, true],
    ['Exists on a present label', { matchExpressions: [expr('zone', 'Exists')] }, true],
    ['Exists on a missing label', { matchExpressions: [expr('gpu', 'Exists')] }, false],
    ['DoesNotExist on a missing label', { matchExpressions: [expr('gpu', 'DoesNotExist')] }, true],
    ['DoesNotExist on a present label', { matchExpressions: [expr('zone', 'DoesNotExist')] }, false],
    ['Gt below the label', { matchExpressions: [expr('cores', 'Gt', ['8'])] }, true],
    ['Gt at the label', { matchExpressions: [expr('cores', 'Gt', ['16'])] }, false],
    ['Lt above the label', { matchExpressions: [expr('cores', 'Lt', ['32'])] }, true],
    ['Lt below the label', { matchExpressions: [expr('cores', 'Lt', ['4'])] }, false],
    ['Gt on a non-integer label', { matchExpressions: [expr('gpu-count', 'Gt', ['0'])] }, false],
    ['Gt on a missing label', { matchExpressions: [expr('memory-gb', 'Gt', ['0'])] }, false],
    ['expressions ANDed, all true', { matchExpressions: [expr('disk', 'In', ['ssd']), expr('zone', 'In', ['a'])] }, true],
    ['expressions ANDed, one false', { matchExpressions: [expr('disk', 'In', ['ssd']), expr('zone', 'In', ['b'])] }, false],
    ['matchFields In on the name', { matchFields: [expr('metadata.name', 'In', ['node-1'])] }, true],
    ['matchFields In on another name', { matchFields: [expr('metadata.name', 'In', ['node-2'])] }, false],
    ['matchFields NotIn on another name', { matchFields: [expr('metadata.name', 'NotIn', ['node-2'])] }, true],
    ['matchFields and matchExpressions together', { matchFields: [expr('metadata.name', 'In', ['node-1'])], matchExpressions: [expr('disk', 'In', ['hdd'])] }, false],
    ['an empty term', {}, false],
    ['a term with empty lists', { matchExpressions: [], matchFields: [] }, false],
    ['an unknown operator', { matchExpressions: [expr('disk', 'Like', ['ssd'])] }, false],
    ['Gt with a word', { matchExpressions: [expr('cores', 'Gt', ['many'])] }, false],
    ['matchFields with two values', { matchFields: [expr('metadata.name', 'In', ['node-1', 'node-2'])] }, false],
    ['matchFields with Exists', { matchFields: [expr('metadata.name', 'Exists')] }, false],
  ])('%s', (_name, term, expected) => {
    expect(nodeSelectorTermMatches(term, node)).toBe(expected);
  });

  it('ignores matchFields for a node without a name, as Kubernetes does', () => {
    expect(nodeSelectorTermMatches({ matchFields: [expr('metadata.name', 'In', ['node-1'])] }, { metadata: { labels: {} } })).toBe(true);
  });

  it('matches nothing for a null node', () => {
    expect(nodeSelectorTermMatches({ matchExpressions: [expr('a', 'DoesNotExist')] }, null)).toBe(false);
  });
});

describe('nodeSelectorMatches', () => {
  it.each<[string, NodeSelectorTerm[], boolean]>([
    ['terms ORed, second true', [{ matchExpressions: [expr('disk', 'In', ['hdd'])] }, { matchExpressions: [expr('zone', 'In', ['a'])] }], true],
    ['terms ORed, none true', [{ matchExpressions: [expr('disk', 'In', ['hdd'])] }, { matchExpressions: [expr('zone', 'In', ['b'])] }], false],
    ['an empty term next to a true one', [{}, { matchExpressions: [expr('zone', 'Exists')] }], true],
    ['an invalid term next to a true one', [{ matchExpressions: [expr('zone', 'Bogus')] }, { matchExpressions: [expr('zone', 'Exists')] }], true],
    ['no terms', [], false],
  ])('%s', (_name, terms, expected) => {
    expect(nodeSelectorMatches({ nodeSelectorTerms: terms }, node)).toBe(expected);
  });

  it('reports why terms can never match, with field paths', () => {
    const m = compileNodeSelector({
      nodeSelectorTerms: [
        { matchExpressions: [expr('zone', 'Bogus')] },
        { matchExpressions: [expr('cores', 'Gt', ['x'])], matchFields: [expr('metadata.name', 'In', [])] },
      ],
    });
    expect(m.errors).toEqual([
      'nodeSelectorTerms[0].matchExpressions[0].operator: Unsupported value: "Bogus": supported values: "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"',
      'nodeSelectorTerms[1].matchExpressions[0].values[0]: Invalid value: "x": for \'Gt\', \'Lt\' operators, the value must be an integer',
      'nodeSelectorTerms[1].matchFields[0].values: Invalid value: []: must have one element',
    ]);
    expect(m.matches(node)).toBe(false);
  });

  it('reports term errors relative to the term', () => {
    expect(compileNodeSelectorTerm({ matchFields: [expr('metadata.name', 'Gt', ['1'])] }).errors).toEqual([
      'matchFields[0].operator: Unsupported value: "Gt": supported values: "In", "NotIn"',
    ]);
  });

  it('compiles once to test many nodes', () => {
    const m = compileNodeSelector({ nodeSelectorTerms: [{ matchExpressions: [expr('zone', 'In', ['a', 'b'])] }] });
    const nodes = ['a', 'b', 'c'].map((zone, i) => ({ metadata: { name: `n${i}`, labels: { zone } } }));
    expect(nodes.map((n) => m.matches(n))).toEqual([true, true, false]);
    expect(m.errors).toEqual([]);
  });
});
