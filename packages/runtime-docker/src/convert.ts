import type Docker from 'dockerode';
import type { ContainerConfig, ContainerState, LinuxContainerResources, Mount, MountPropagation } from '@bosun/cri';

/** Nanoseconds since the epoch of a Docker time string; 0 for Docker's zero time or garbage. */
export function dockerTimeToNs(t: string | undefined): number {
  if (!t || t.startsWith('0001-01-01')) return 0;
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(t);
  if (!m) return 0;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return 0;
  const frac = Number((m[2] ?? '').padEnd(9, '0').slice(0, 9));
  return ms * 1e6 + frac;
}

/** The CRI state of a Docker `State.Status` (`created`, `running`, `paused`, `restarting`, `removing`, `exited`, `dead`). */
export function criState(status: string | undefined): ContainerState {
  switch (status) {
    case 'created':
      return 'CONTAINER_CREATED';
    case 'running':
    case 'paused':
    case 'restarting':
      return 'CONTAINER_RUNNING';
    case 'exited':
    case 'dead':
      return 'CONTAINER_EXITED';
    default:
      return 'CONTAINER_UNKNOWN';
  }
}

/**
 * The reason of an exited container, as the kubelet words it: `OOMKilled` when the
 * kernel's OOM killer ended it, `Completed` for exit code 0, `Error` otherwise.
 */
export function exitReason(state: { OOMKilled?: boolean; ExitCode?: number; Status?: string }): string {
  if (criState(state.Status) !== 'CONTAINER_EXITED') return '';
  if (state.OOMKilled) return 'OOMKilled';
  return state.ExitCode === 0 ? 'Completed' : 'Error';
}

/**
 * Entrypoint and Cmd for Docker from a CRI `command` and `args`, as Kubernetes maps them:
 * command set → it replaces the image's ENTRYPOINT and `args` replace CMD (even when
 * empty); only args → the image's ENTRYPOINT with `args` as CMD; neither → the image's.
 */
export function entrypointAndCmd(command: readonly string[], args: readonly string[]): { Entrypoint?: string[]; Cmd?: string[] } {
  if (command.length) return { Entrypoint: [...command], Cmd: [...args] };
  if (args.length) return { Cmd: [...args] };
  return {};
}

const PROPAGATION: Record<MountPropagation, 'rprivate' | 'rslave' | 'rshared'> = {
  PROPAGATION_PRIVATE: 'rprivate',
  PROPAGATION_HOST_TO_CONTAINER: 'rslave',
  PROPAGATION_BIDIRECTIONAL: 'rshared',
};

/** Docker bind mounts for CRI mounts (the agent resolved subPath into `hostPath` already). */
export function bindMounts(mounts: readonly Mount[]): Docker.MountSettings[] {
  return mounts.map((m) => ({
    Type: 'bind' as const,
    Source: m.hostPath,
    Target: m.containerPath,
    ReadOnly: m.readonly,
    BindOptions: { Propagation: PROPAGATION[m.propagation] ?? 'rprivate' },
  }));
}

/** CRI mounts back from a container's Docker mounts. */
export function criMounts(mounts: readonly Docker.MountSettings[] | undefined): Mount[] {
  const back = Object.fromEntries(Object.entries(PROPAGATION).map(([k, v]) => [v, k as MountPropagation]));
  return (mounts ?? [])
    .filter((m) => m.Type === 'bind')
    .map((m) => ({ containerPath: m.Target, hostPath: m.Source ?? '', readonly: !!m.ReadOnly, selinuxRelabel: false, propagation: back[m.BindOptions?.Propagation ?? 'rprivate'] ?? 'PROPAGATION_PRIVATE' }));
}

/**
 * Docker HostConfig resource fields for CRI Linux resources. Zero means "not set". A
 * memory limit without a swap limit disables swap (MemorySwap = Memory), as the kubelet
 * asks. `unified["pids.max"]`, else `defaultPidsLimit`, becomes PidsLimit.
 */
export function hostResources(r: LinuxContainerResources | null | undefined, defaultPidsLimit = 0): Partial<Docker.HostConfig> {
  const out: Partial<Docker.HostConfig> = {};
  const pids = Number(r?.unified?.['pids.max'] ?? 0) || defaultPidsLimit;
  if (pids > 0) out.PidsLimit = pids;
  if (!r) return out;
  if (r.memoryLimitInBytes > 0) {
    out.Memory = r.memoryLimitInBytes;
    out.MemorySwap = r.memorySwapLimitInBytes > 0 ? r.memorySwapLimitInBytes : r.memoryLimitInBytes;
  }
  if (r.cpuShares > 0) out.CpuShares = r.cpuShares;
  if (r.cpuQuota > 0) out.CpuQuota = r.cpuQuota;
  if (r.cpuPeriod > 0) out.CpuPeriod = r.cpuPeriod;
  if (r.cpusetCpus) out.CpusetCpus = r.cpusetCpus;
  if (r.cpusetMems) out.CpusetMems = r.cpusetMems;
  if (r.oomScoreAdj) out.OomScoreAdj = r.oomScoreAdj;
  return out;
}

/** CRI resources back from a Docker HostConfig. */
export function criResources(h: Docker.HostConfig | undefined): LinuxContainerResources {
  return {
    cpuPeriod: h?.CpuPeriod ?? 0,
    cpuQuota: h?.CpuQuota ?? 0,
    cpuShares: h?.CpuShares ?? 0,
    memoryLimitInBytes: h?.Memory ?? 0,
    oomScoreAdj: (h as { OomScoreAdj?: number } | undefined)?.OomScoreAdj ?? 0,
    cpusetCpus: h?.CpusetCpus ?? '',
    cpusetMems: h?.CpusetMems ?? '',
    hugepageLimits: [],
    unified: h?.PidsLimit ? { 'pids.max': String(h.PidsLimit) } : {},
    memorySwapLimitInBytes: h?.MemorySwap && h.MemorySwap > 0 ? h.MemorySwap : 0,
  };
}

/** Docker security fields (User, Privileged, CapAdd/CapDrop, ReadonlyRootfs, GroupAdd, SecurityOpt) of a CRI container config. */
export function securityFields(c: ContainerConfig): { User?: string; host: Partial<Docker.HostConfig> } {
  const sc = c.linux?.securityContext;
  const host: Partial<Docker.HostConfig> = {};
  if (!sc) return { host };
  let User: string | undefined;
  if (sc.runAsUser) User = String(sc.runAsUser.value);
  else if (sc.runAsUsername) User = sc.runAsUsername;
  if (User !== undefined && sc.runAsGroup) User += `:${sc.runAsGroup.value}`;
  if (sc.privileged) host.Privileged = true;
  if (sc.capabilities?.addCapabilities.length) host.CapAdd = sc.capabilities.addCapabilities;
  if (sc.capabilities?.dropCapabilities.length) host.CapDrop = sc.capabilities.dropCapabilities;
  if (sc.readonlyRootfs) host.ReadonlyRootfs = true;
  if (sc.supplementalGroups.length) host.GroupAdd = sc.supplementalGroups.map(String);
  if (sc.noNewPrivs) host.SecurityOpt = ['no-new-privileges'];
  return { User, host };
}
