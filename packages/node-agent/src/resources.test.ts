import { describe, expect, it } from 'vitest';
import type { Pod, core } from '@bosun/api';
import { linuxResources, milliCpuToQuota, milliCpuToShares, podQosClass } from './resources';

const pod = (...containers: core.Container[]): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers } });

describe('linux resources as the kubelet computes them', () => {
  it.each([
    ['no cpu request → minimum shares', 0, 2],
    ['1m → minimum shares', 1, 2],
    ['250m → 256 shares', 250, 256],
    ['1 cpu → 1024 shares', 1000, 1024],
    ['huge → capped', 1_000_000, 262_144],
  ])('%s', (_n, m, shares) => expect(milliCpuToShares(m)).toBe(shares));

  it.each([
    ['no limit → no quota', 0, 0],
    ['500m → 50 ms per 100 ms', 500, 50_000],
    ['2 cpus → 200 ms', 2000, 200_000],
    ['1m → at least 1 ms', 1, 1000],
  ])('%s', (_n, m, quota) => expect(milliCpuToQuota(m)).toBe(quota));

  it('maps requests and limits of a Burstable container', () => {
    const c: core.Container = { name: 'app', resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } } };
    expect(linuxResources(pod(c), c, '8Gi')).toEqual({ cpuShares: 256, cpuPeriod: 100_000, cpuQuota: 50_000, memoryLimitInBytes: 128 * 1024 * 1024, oomScoreAdj: 1000 - Math.floor((1000 * 64) / (8 * 1024)) });
  });

  it('uses the cpu limit for shares when there is no request, and gives Guaranteed pods -997', () => {
    const c: core.Container = { name: 'app', resources: { limits: { cpu: '1', memory: '1Gi' } } };
    expect(podQosClass(pod(c))).toBe('Guaranteed');
    expect(linuxResources(pod(c), c, '8Gi')).toMatchObject({ cpuShares: 1024, cpuQuota: 100_000, memoryLimitInBytes: 1024 ** 3, oomScoreAdj: -997 });
  });

  it('gives BestEffort containers minimum shares, no limits, and oom_score_adj 1000', () => {
    const c: core.Container = { name: 'app' };
    expect(podQosClass(pod(c))).toBe('BestEffort');
    expect(linuxResources(pod(c), c, '8Gi')).toEqual({ cpuShares: 2, cpuPeriod: 100_000, cpuQuota: 0, memoryLimitInBytes: 0, oomScoreAdj: 1000 });
  });

  it('keeps a Burstable score between 3 and 999', () => {
    const big: core.Container = { name: 'a', resources: { requests: { memory: '8Gi' } } };
    const tiny: core.Container = { name: 'b', resources: { requests: { cpu: '10m' } } };
    expect(linuxResources(pod(big), big, '8Gi').oomScoreAdj).toBe(3);
    expect(linuxResources(pod(tiny), tiny, '8Gi').oomScoreAdj).toBe(999);
  });
});
