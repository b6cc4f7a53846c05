import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every Linux Bosun targets). */
export const USER_HZ = 100;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Fields of /proc/<pid>/stat after the command name (index 0 = state, field 3 of the man page). */
function statFields(pid: number): string[] | undefined {
  const text = readText(`/proc/${pid}/stat`);
  if (!text) return undefined;
  const close = text.lastIndexOf(')');
  return text.slice(close + 2).trim().split(/\s+/);
}

/**
 * The start time of a process in clock ticks since boot (field 22), or undefined when it
 * is gone. With the pid it identifies one process across pid reuse.
 */
export function processStartTicks(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[19]) : undefined;
}

/** True while `pid` is the same process that started at `startTicks` (and not a zombie). */
export function sameProcessAlive(pid: number, startTicks: number | undefined): boolean {
  const f = statFields(pid);
  if (!f || f[0] === 'Z') return false;
  return startTicks === undefined || Number(f[19]) === startTicks;
}

/** CPU time (user + system) of a process and its waited-for children, in nanoseconds. */
export function processCpuNanos(pid: number): number | undefined {
  const f = statFields(pid);
  if (!f) return undefined;
  const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  return (ticks * 1e9) / USER_HZ;
}

/** Resident set size (VmRSS) of a process in bytes, or undefined. */
export function processRssBytes(pid: number): number | undefined {
  const m = /VmRSS:\s+(\d+) kB/.exec(readText(`/proc/${pid}/status`) ?? '');
  return m ? Number(m[1]) * 1024 : undefined;
}

/** Direct children of a process (from /proc/<pid>/task/<pid>/children). */
export function childPids(pid: number): number[] {
  const text = readText(`/proc/${pid}/task/${pid}/children`) ?? '';
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

/** Every descendant of a process, depth first. */
export function descendantPids(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of childPids(p)) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}
