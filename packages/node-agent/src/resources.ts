import { parseQuantity, tryParseQuantity, type Pod, type core } from '@bosun/api';
import type { CriInput, LinuxContainerResources } from '@bosun/cri';

/** Upstream's CFS period (`quotaPeriod`): 100 ms in µs. */
export const CPU_PERIOD_US = 100_000;
const MIN_SHARES = 2;
const MAX_SHARES = 262_144;
const MIN_QUOTA_US = 1000;

/** The pod's QoS class, as upstream's `GetPodQOS` (init and app containers, cpu and memory). */
export function podQosClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const req = (c.resources?.requests ?? {}) as Record<string, string>;
    const lim = (c.resources?.limits ?? {}) as Record<string, string>;
    for (const r of ['cpu', 'memory']) {
      const l = lim[r] !== undefined ? tryParseQuantity(lim[r]!) : undefined;
      const q = req[r] !== undefined ? tryParseQuantity(req[r]!) : l;
      if ((q && !q.isZero()) || (l && !l.isZero())) any = true;
      if (!l || l.isZero() || !q || q.cmp(l) !== 0) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

const milli = (list: Record<string, string> | undefined, r: string): number => {
  const q = list?.[r] !== undefined ? tryParseQuantity(list[r]!) : undefined;
  return q ? Number(q.milliValue()) : 0;
};
const bytes = (list: Record<string, string> | undefined, r: string): number => {
  const q = list?.[r] !== undefined ? tryParseQuantity(list[r]!) : undefined;
  return q ? Number(q.value()) : 0;
};

/** `milliCPUToShares`: 1 cpu = 1024 shares, at least 2. */
export function milliCpuToShares(m: number): number {
  if (m <= 0) return MIN_SHARES;
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, Math.floor((m * 1024) / 1000)));
}

/** `milliCPUToQuota`: the CFS quota in µs for `m` millicores over `periodUs`; 0 (no quota) for no limit, else at least 1 ms. */
export function milliCpuToQuota(m: number, periodUs = CPU_PERIOD_US): number {
  if (m <= 0) return 0;
  return Math.max(MIN_QUOTA_US, Math.floor((m * periodUs) / 1000));
}

/**
 * The OOM score adjustment of a container, as upstream's `GetContainerOOMScoreAdjust`:
 * Guaranteed -997, BestEffort 1000, Burstable `1000 - 1000·request/capacity` kept within 3..999.
 */
export function oomScoreAdj(pod: Pod, container: core.Container, memoryCapacityBytes: number): number {
  const qos = podQosClass(pod);
  if (qos === 'Guaranteed') return -997;
  if (qos === 'BestEffort') return 1000;
  const req = bytes(container.resources?.requests as Record<string, string>, 'memory');
  const adj = memoryCapacityBytes > 0 ? 1000 - Math.floor((1000 * req) / memoryCapacityBytes) : 1000;
  if (adj < 3) return 3;
  if (adj === 1000) return 999;
  return adj;
}

/**
 * `ContainerConfig.linux.resources` for a container, as the kubelet's
 * `calculateLinuxResources`: cpu_shares from the cpu request (the limit when there is no
 * request), cpu_period 100 000 µs and cpu_quota from the cpu limit (0 = none),
 * memory_limit_in_bytes from the memory limit (0 = none), and the QoS oom_score_adj.
 */
export function linuxResources(pod: Pod, container: core.Container, nodeMemoryCapacity: string): CriInput<LinuxContainerResources> {
  const req = container.resources?.requests as Record<string, string> | undefined;
  const lim = container.resources?.limits as Record<string, string> | undefined;
  const cpuReq = milli(req, 'cpu');
  const cpuLim = milli(lim, 'cpu');
  const capacity = tryParseQuantity(nodeMemoryCapacity) ?? parseQuantity(0);
  return {
    cpuShares: milliCpuToShares(cpuReq === 0 && cpuLim > 0 ? cpuLim : cpuReq),
    cpuPeriod: CPU_PERIOD_US,
    cpuQuota: milliCpuToQuota(cpuLim),
    memoryLimitInBytes: bytes(lim, 'memory'),
    oomScoreAdj: oomScoreAdj(pod, container, Number(capacity.value())),
  };
}
