import { describe, expect, it } from 'vitest';
import { node, pod } from '../../test/fixtures';
import { CycleState } from '../framework/cycle-state';
import { NodeInfo } from '../framework/node-info';
import { NodePorts } from './node-ports';

const withPort = (name: string, port: number, hostIP?: string, protocol = 'TCP') => {
  const p = pod(name);
  p.spec!.containers[0].ports = [{ containerPort: port, hostPort: port, hostIP, protocol }];
  return p;
};

describe('NodePorts', () => {
  it.each([
    ['a free port fits', withPort('a', 8080), withPort('p', 9090), 'Success'],
    ['the same port on the same (wildcard) IP clashes', withPort('a', 8080), withPort('p', 8080), 'Unschedulable'],
    ['the same port over another protocol fits', withPort('a', 53, undefined, 'UDP'), withPort('p', 53), 'Success'],
    ['different specific IPs do not clash', withPort('a', 8080, '10.0.0.1'), withPort('p', 8080, '10.0.0.2'), 'Success'],
    ['a wildcard clashes with a specific IP', withPort('a', 8080, '10.0.0.1'), withPort('p', 8080), 'Unschedulable'],
    ['a specific IP clashes with a wildcard', withPort('a', 8080), withPort('p', 8080, '10.0.0.1'), 'Unschedulable'],
  ])('%s', (_n, existing, p, code) => {
    const pl = new NodePorts();
    const s = new CycleState();
    expect(pl.preFilter(s, p).isSuccess()).toBe(true);
    const st = pl.filter(s, p, new NodeInfo(node('n'), existing));
    expect(st.code).toBe(code);
    if (code !== 'Success') expect(st.reasons).toEqual(["node(s) didn't have free ports for the requested pod ports"]);
  });

  it('skips pods without host ports', () => {
    expect(new NodePorts().preFilter(new CycleState(), pod('p')).isSkip()).toBe(true);
  });
});
