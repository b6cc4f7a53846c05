import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LinuxContainerResources } from '@bosun/cri';

/** The cgroup v1 controllers the runtime uses. */
export const CGROUP_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids'] as const;
/** One of {@link CGROUP_CONTROLLERS}. */
export type CgroupController = (typeof CGROUP_CONTROLLERS)[number];

function readNumber(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The cgroup v1 directories of one container: `<mount>/<controller>/<parent>/<id>` for
 * cpu, cpuacct, memory and pids, where permitted. Creating a group or writing a limit
 * that fails (not root, controller absent, read-only cgroupfs) is skipped and recorded in
 * `warnings`; the container runs without that limit.
 */
export class ContainerCgroups {
  /** Directories that exist, by controller. */
  readonly dirs: Partial<Record<CgroupController, string>> = {};
  /** What could not be set up, for ContainerStatus and logs. */
  readonly warnings: string[] = [];

  constructor(
    readonly mount: string,
    readonly relPath: string,
  ) {}

  /** Creates the groups (idempotent); controllers not mounted are recorded as warnings. */
  create(): this {
    for (const c of CGROUP_CONTROLLERS) {
      const base = join(this.mount, c);
      if (!existsSync(join(base, 'cgroup.procs'))) {
        this.warnings.push(`cgroup v1 controller ${c} not mounted at ${base}`);
        continue;
      }
      const dir = join(base, this.relPath);
      try {
        mkdirSync(dir, { recursive: true });
        this.dirs[c] = dir;
      } catch (err) {
        this.warnings.push(`cannot create cgroup ${dir}: ${(err as Error).message}`);
      }
    }
    return this;
  }

  /** Re-attaches to groups that already exist (after a runtime restart). */
  adopt(): this {
    for (const c of CGROUP_CONTROLLERS) {
      const dir = join(this.mount, c, this.relPath);
      if (existsSync(dir)) this.dirs[c] = dir;
    }
    return this;
  }

  private set(c: CgroupController, file: string, value: number | string): void {
    const dir = this.dirs[c];
    if (!dir) return;
    try {
      writeFileSync(join(dir, file), String(value));
    } catch (err) {
      this.warnings.push(`cannot set ${c}/${file}=${value}: ${(err as Error).message}`);
    }
  }

  /** Applies CRI resources: cpu shares/quota/period, memory limit, and a pids limit. */
  apply(res: LinuxContainerResources | null | undefined, pidsLimit?: number): void {
    if (res?.cpuShares) this.set('cpu', 'cpu.shares', Math.max(2, res.cpuShares));
    if (res?.cpuPeriod) this.set('cpu', 'cpu.cfs_period_us', res.cpuPeriod);
    if (res?.cpuQuota) this.set('cpu', 'cpu.cfs_quota_us', res.cpuQuota);
    if (res?.memoryLimitInBytes) this.set('memory', 'memory.limit_in_bytes', res.memoryLimitInBytes);
    if (pidsLimit && pidsLimit > 0) this.set('pids', 'pids.max', pidsLimit);
  }

  /** `cgroup.procs` files a launcher writes its pid into before exec (so every descendant is counted). */
  procsFiles(): string[] {
    return Object.values(this.dirs).map((d) => join(d, 'cgroup.procs'));
  }

  /** Total CPU time of the group in nanoseconds (cpuacct.usage). */
  cpuNanos(): number | undefined {
    return this.dirs.cpuacct ? readNumber(join(this.dirs.cpuacct, 'cpuacct.usage')) : undefined;
  }

  /** Memory usage and working set (usage minus inactive file pages), in bytes. */
  memory(): { usage: number; workingSet: number; rss: number; pageFaults: number; majorPageFaults: number } | undefined {
    const dir = this.dirs.memory;
    if (!dir) return undefined;
    const usage = readNumber(join(dir, 'memory.usage_in_bytes'));
    if (usage === undefined) return undefined;
    const stat = new Map<string, number>();
    try {
      for (const line of readFileSync(join(dir, 'memory.stat'), 'utf8').split('\n')) {
        const [k, v] = line.split(' ');
        if (k && v) stat.set(k, Number(v));
      }
    } catch {
      // no memory.stat: working set = usage
    }
    const inactive = stat.get('total_inactive_file') ?? 0;
    return {
      usage,
      workingSet: Math.max(0, usage - inactive),
      rss: stat.get('total_rss') ?? 0,
      pageFaults: stat.get('total_pgfault') ?? 0,
      majorPageFaults: stat.get('total_pgmajfault') ?? 0,
    };
  }

  /** True when the kernel OOM-killed a process of this group (memory.oom_control `oom_kill`, else a failcnt with a limit hit). */
  oomKilled(): boolean {
    const dir = this.dirs.memory;
    if (!dir) return false;
    try {
      const m = /oom_kill (\d+)/.exec(readFileSync(join(dir, 'memory.oom_control'), 'utf8'));
      if (m) return Number(m[1]) > 0;
    } catch {
      // fall through
    }
    return (readNumber(join(dir, 'memory.failcnt')) ?? 0) > 0;
  }

  /**
   * Removes the groups. A group empties a moment after its last process is reaped, so a
   * busy group is retried for up to `waitMs`; what is still busy then is left in place.
   */
  async remove(waitMs = 1000): Promise<void> {
    const end = Date.now() + waitMs;
    for (const [c, dir] of Object.entries(this.dirs)) {
      for (;;) {
        try {
          rmdirSync(dir);
          delete this.dirs[c as CgroupController];
          break;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') {
            delete this.dirs[c as CgroupController];
            break;
          }
          if (code !== 'EBUSY' || Date.now() > end) break;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
  }
}

/**
 * Removes a runtime's parent group under every controller, and each ancestor below the
 * mount that became empty (`bosun/<hash>` then `bosun`). Groups still in use stay.
 */
export function removeCgroupParent(mount: string, parent: string): void {
  const parts = parent.split('/').filter(Boolean);
  for (const c of CGROUP_CONTROLLERS) {
    for (let n = parts.length; n > 0; n--) {
      try {
        rmdirSync(join(mount, c, ...parts.slice(0, n)));
      } catch {
        break;
      }
    }
  }
}
