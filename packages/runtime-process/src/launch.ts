import { shq, shqAll } from './shell';

/** Absolute paths of the host tools containers are launched with. */
export interface HostTools {
  sh: string;
  unshare?: string;
  nsenter?: string;
  mount?: string;
  ip?: string;
  hostname?: string;
  sleep?: string;
}

/** A bind mount into the container. */
export interface BindMount {
  hostPath: string;
  containerPath: string;
  readonly: boolean;
  /** True when the host path is a directory (else a file mount point is created). */
  directory: boolean;
}

/** The image root filesystem a container runs in, with its per-container overlay directories. */
export interface RootfsPlan {
  /** The image's unpacked rootfs (overlay lower dir, never written). */
  image: string;
  /** Overlay upper and work dirs and the mount point, under the container's directory. */
  upper: string;
  work: string;
  merged: string;
}

/** Everything a launcher needs to start one container. */
export interface LaunchPlan {
  argv: string[];
  workingDir: string;
  mounts: BindMount[];
  /** `cgroup.procs` files the launcher joins before exec. */
  cgroupProcs: string[];
  /** Run chrooted into this rootfs; absent: the host filesystem (raw mode). */
  rootfs?: RootfsPlan;
  /** Isolated: the sandbox holder to join and its namespaces (`net`, `uts`, `ipc`). */
  sandbox?: { holderPid: number; namespaces: readonly string[] };
  /** Isolated: a file init.sh creates once setup is done, right before it execs the command. */
  readyFile?: string;
}

const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

function joinCgroups(files: readonly string[]): string[] {
  return files.map((f) => `echo $$ > ${shq(f)} 2>/dev/null || true`);
}

function mountLines(tools: HostTools, mounts: readonly BindMount[], prefix: string): string[] {
  const lines: string[] = [];
  const mount = shq(tools.mount ?? 'mount');
  for (const m of mounts) {
    const target = `${prefix}${shq(m.containerPath)}`;
    const what = `${m.hostPath} at ${m.containerPath}`;
    lines.push(
      m.directory
        ? `mkdir -p ${target} || fail ${shq(`cannot create mount point for ${what}`)}`
        : `{ mkdir -p "$(dirname ${target})" && { [ -e ${target} ] || : > ${target}; }; } || fail ${shq(`cannot create mount point for ${what}`)}`,
      `${mount} --bind ${shq(m.hostPath)} ${target} || fail ${shq(`cannot bind-mount ${what}`)}`,
    );
    if (m.readonly) lines.push(`${mount} -o remount,bind,ro ${target} || fail ${shq(`cannot make ${what} read-only`)}`);
  }
  return lines;
}

const FAIL_FN = `fail() { echo "bosun: $1" >&2; exit 127; }`;

/**
 * The script that runs as pid 1 of the container's own pid and mount namespaces: it
 * mounts the rootfs view (overlay of the image rootfs, falling back to a read-only bind),
 * /proc, a minimal /dev, the bind mounts, then chroots (`unshare --root --wd`) and execs
 * the command. Without a rootfs it mounts /proc and the bind mounts over the host
 * filesystem and execs there. Setup failures exit 127 with a `bosun:` line on stderr.
 */
export function initScript(tools: HostTools, plan: LaunchPlan): string {
  const mount = shq(tools.mount ?? 'mount');
  const lines = ['#!/bin/sh', FAIL_FN];
  const r = plan.rootfs;
  if (r) {
    const R = '"$R"';
    lines.push(
      `R=${shq(r.merged)}`,
      `${mount} -t overlay overlay -o ${shq(`lowerdir=${r.image},upperdir=${r.upper},workdir=${r.work}`)} ${R} 2>/dev/null || { ${mount} --bind ${shq(r.image)} ${R} && ${mount} -o remount,bind,ro ${R}; } || fail 'cannot mount the image rootfs'`,
      `mkdir -p ${R}/proc ${R}/dev ${R}/tmp 2>/dev/null`,
      `${mount} -t proc proc ${R}/proc || fail 'cannot mount /proc'`,
      `${mount} -t tmpfs -o mode=755,nosuid tmpfs ${R}/dev || fail 'cannot mount /dev'`,
      `for d in ${DEVICES.join(' ')}; do : > ${R}/dev/$d && ${mount} --bind /dev/$d ${R}/dev/$d; done`,
      `mkdir -p ${R}/dev/shm ${R}/dev/pts && ${mount} -t tmpfs -o mode=1777,nosuid,nodev shm ${R}/dev/shm`,
      `ln -s /proc/self/fd ${R}/dev/fd; ln -s /proc/self/fd/0 ${R}/dev/stdin; ln -s /proc/self/fd/1 ${R}/dev/stdout; ln -s /proc/self/fd/2 ${R}/dev/stderr`,
      ...mountLines(tools, plan.mounts, R),
      `mkdir -p ${R}${shq(plan.workingDir)} 2>/dev/null`,
      `[ -d ${R}${shq(plan.workingDir)} ] || fail ${shq(`working directory ${plan.workingDir} does not exist in the image`)}`,
      ...(plan.readyFile ? [`: > ${shq(plan.readyFile)}`] : []),
      `exec ${shq(tools.unshare!)} --root=${R} --wd=${shq(plan.workingDir)} -- ${shqAll(plan.argv)}`,
    );
  } else {
    lines.push(
      `${mount} -t proc proc /proc || fail 'cannot mount /proc'`,
      ...mountLines(tools, plan.mounts, ''),
      `cd ${shq(plan.workingDir)} || fail ${shq(`working directory ${plan.workingDir} does not exist`)}`,
      ...(plan.readyFile ? [`: > ${shq(plan.readyFile)}`] : []),
      `exec ${shqAll(plan.argv)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The launcher the runtime spawns (`sh launch.sh`): joins the cgroups, then either execs
 * the command on the host (no isolation) or enters the sandbox's namespaces with nsenter,
 * unshares a pid + mount namespace, and runs `init.sh` as its pid 1 (a background job of
 * a waiting shell, which exits with pid 1's status: 128+signal when it was killed). The
 * spawned pid stays the launcher's (every step execs), so signalling its process group
 * reaches the container. As a background job, pid 1 starts with SIGINT and SIGQUIT
 * ignored (POSIX shells do that); Kubernetes only sends SIGTERM and SIGKILL.
 */
export function launchScript(tools: HostTools, plan: LaunchPlan, initPath: string): string {
  const lines = ['#!/bin/sh', ...joinCgroups(plan.cgroupProcs)];
  if (!plan.sandbox) {
    lines.push(`cd ${shq(plan.workingDir)} || { echo ${shq(`bosun: working directory ${plan.workingDir} does not exist`)} >&2; exit 127; }`, `exec ${shqAll(plan.argv)}`);
  } else {
    const nsFlags = plan.sandbox.namespaces.map((n) => `--${n}`);
    const enter = nsFlags.length ? [tools.nsenter!, '--target', String(plan.sandbox.holderPid), ...nsFlags, '--'] : [];
    // `unshare --fork` would be the natural waiter, but util-linux 2.38 exits 1 instead of
    // reporting a SIGKILLed child; a shell waiting on its background job gives 128+signal.
    const waiter = `${shq(tools.sh)} ${shq(initPath)} & wait $!; exit $?`;
    lines.push(`exec ${shqAll([...enter, tools.unshare!, '--pid', '--mount', '--propagation', 'private', '--', tools.sh, '-c', waiter])}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The argv of a sandbox holder: a process that only sleeps, in new net/uts/ipc/mount
 * namespaces (ipc/mount only for host-network pods), after setting the hostname and
 * bringing `lo` up; it prints `ready` once done.
 */
export function holderArgv(tools: HostTools, namespaces: readonly string[], hostname: string): string[] {
  const setup = [namespaces.includes('uts') && hostname ? `${shq(tools.hostname ?? 'hostname')} "$1" || exit 1` : '', namespaces.includes('net') ? `${shq(tools.ip ?? 'ip')} link set lo up || exit 1` : '']
    .filter(Boolean)
    .join('; ');
  const script = `${setup ? `${setup}; ` : ''}echo ready; exec ${shq(tools.sleep ?? 'sleep')} infinity`;
  return [tools.unshare!, ...namespaces.map((n) => `--${n}`), '--mount', '--propagation', 'private', '--', tools.sh, '-c', script, 'sh', hostname];
}
