import { describe, expect, it } from 'vitest';
import { pod } from '../../test/fixtures';
import { podRequests } from './resource';

describe('podRequests', () => {
  const init = (cpu: string, restartPolicy?: string) => ({ name: `i-${cpu}`, image: 'x', restartPolicy, resources: { requests: { cpu } } });
  it.each([
    ['sums containers', pod('p', { cpu: '250m', memory: '1Gi' }), 250, 1024 ** 3],
    ['takes an init container when it needs more', pod('p', { cpu: '100m', initContainers: [init('2')] }), 2000, 0],
    ['takes the containers when they need more', pod('p', { cpu: '3', initContainers: [init('2')] }), 3000, 0],
    ['adds sidecars (restartable init containers) to the containers', pod('p', { cpu: '1', initContainers: [init('500m', 'Always')] }), 1500, 0],
    ['a regular init container runs beside earlier sidecars', pod('p', { cpu: '100m', initContainers: [init('500m', 'Always'), init('2')] }), 2500, 0],
    ['adds the overhead', pod('p', { cpu: '1', overhead: { cpu: '250m', memory: '64Mi' } }), 1250, 64 * 1024 ** 2],
  ])('%s', (_n, p, cpu, mem) => {
    const r = podRequests(p);
    expect(r.milliCPU).toBe(cpu);
    expect(r.memory).toBe(mem);
  });

  it('counts 100m and 200Mi for containers without requests when asked for non-zero requests', () => {
    const r = podRequests(pod('p'), { nonZero: true });
    expect([r.milliCPU, r.memory]).toEqual([100, 200 * 1024 ** 2]);
    const explicitZero = pod('p', { cpu: '0' });
    expect(podRequests(explicitZero, { nonZero: true }).milliCPU).toBe(0);
  });
});
