// A private containerd 1.6 for the integration tests: its own config, root, state, sockets,
// CNI config and bridge under a temp dir, started in the background and stopped (by PID)
// after. Requirements verified on the CI machines (see docs/runtime-containerd.md):
// restrict_oom_score_adj (no CAP_SYS_RESOURCE), a locally imported sandbox image (no
// registry), CNI binaries in /usr/lib/cni, runc with the cgroupfs driver.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCriClient, type CriClient } from '@bosun/cri';
import { buildOfflineImages, importIntoContainerd, PAUSE_IMAGE, runCommand } from './images';

/** Why the harness failed; `code` says which step. */
export class ContainerdHarnessError extends Error {
  override readonly name = 'ContainerdHarnessError';
  constructor(
    readonly code: 'Unavailable' | 'InvalidOption' | 'StartFailed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for a {@link ContainerdHarnessError}. */
export const isContainerdHarnessError = (e: unknown): e is ContainerdHarnessError => e instanceof Error && e.name === 'ContainerdHarnessError';

/** Where Debian's containernetworking-plugins installs the CNI binaries. */
export const CNI_BIN_DIR = '/usr/lib/cni';

/** Why containerd tests cannot run here, or undefined when they can (root, containerd, runc, ctr, CNI plugins, busybox). */
export function containerdUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (containerd needs root to create namespaces, mounts and bridges; CI runs these tests as root)';
  const missing = [
    ['/usr/bin/containerd', 'containerd'],
    ['/usr/bin/ctr', 'containerd'],
    ['/usr/sbin/runc', 'runc'],
    [join(CNI_BIN_DIR, 'bridge'), 'containernetworking-plugins'],
    [join(CNI_BIN_DIR, 'host-local'), 'containernetworking-plugins'],
    ['/bin/busybox', 'busybox-static'],
  ].filter(([path]) => !existsSync(path!));
  if (missing.length) return `missing ${missing.map(([p]) => p).join(', ')} (apt-get install ${[...new Set(missing.map(([, pkg]) => pkg))].join(' ')})`;
  return undefined;
}

/**
 * The skip rule of a containerd test file: undefined when containerd tests can run here;
 * otherwise the reason, printed once. Where they must run (`CI=true` or
 * `BOSUN_REQUIRE_REAL_RUNTIMES=1`) an unavailable containerd throws instead, so CI fails
 * rather than silently skipping.
 */
export function containerdSkip(file: string): string | undefined {
  const reason = containerdUnavailable();
  if (!reason) return undefined;
  if (process.env.CI === 'true' || process.env.BOSUN_REQUIRE_REAL_RUNTIMES === '1') {
    throw new ContainerdHarnessError('Unavailable', `${file}: containerd tests must run here (CI / BOSUN_REQUIRE_REAL_RUNTIMES) but cannot: ${reason}`);
  }
  console.warn(`${file}: skipped — ${reason}`);
  return reason;
}

/** Options of {@link startContainerd}. */
export interface StartContainerdOptions {
  /** Linux bridge the CNI bridge plugin creates (≤ 15 chars). Default `bosunctr0`. */
  bridge?: string;
  /** Pod subnet handed out by host-local. Default `10.88.77.0/24`. */
  subnet?: string;
  /** How long to wait for the CRI socket to answer Version. Default 30 000 ms. */
  readyTimeoutMs?: number;
  /** Import the offline busybox and pause images. Default true. */
  importImages?: boolean;
}

/** A running private containerd; see {@link startContainerd}. */
export interface ContainerdHandle {
  /** `unix:///…/containerd.sock`: give it to `createCriClient`. */
  readonly endpoint: string;
  /** The socket path (for `ctr -a`). */
  readonly address: string;
  /** containerd's PID. */
  readonly pid: number;
  /** The temp dir holding config, root, state, CNI config and logs. */
  readonly dir: string;
  /** The pod subnet. */
  readonly subnet: string;
  /** The bridge name. */
  readonly bridge: string;
  /** containerd's log so far (stderr), for failure messages. */
  log(): string;
  /**
   * Stops containerd (SIGTERM, SIGKILL after 10 s), kills leftover shims and their
   * containers, unmounts what is left under its root and state, removes the temp dir and
   * the bridge. Idempotent.
   */
  stop(): Promise<void>;
}

/** The containerd config: version 2, everything under `dir`, CRI set for an unprivileged-ish offline host. */
export function containerdConfig(dir: string, sandboxImage = PAUSE_IMAGE): string {
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
oom_score = 0

[grpc]
  address = "${dir}/containerd.sock"

[ttrpc]
  address = "${dir}/containerd.sock.ttrpc"

[debug]
  address = "${dir}/debug.sock"
  level = "info"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "${sandboxImage}"
    restrict_oom_score_adj = true
    enable_selinux = false
    disable_apparmor = true
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "${CNI_BIN_DIR}"
      conf_dir = "${dir}/cni"
      max_conf_num = 1
`;
}

/**
 * The CNI conflist: bridge (own name, host-local IPAM on `subnet` with its state in
 * `ipamDataDir`, masquerade) + portmap. containerd brings up `lo` itself through the
 * loopback plugin from the same bin_dir.
 */
export function cniConflist(bridge: string, subnet: string, ipamDataDir: string): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'bosun-containerd',
      plugins: [
        {
          type: 'bridge',
          bridge,
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: ipamDataDir },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Mount points under `prefix`, deepest first (from /proc/self/mountinfo). */
function mountsUnder(prefix: string): string[] {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  const points = lines.map((l) => l.split(' ')[4] ?? '').filter((p) => p === prefix || p.startsWith(`${prefix}/`));
  return points.sort((a, b) => b.length - a.length);
}

/** PIDs of processes whose command line mentions `needle` (the shims started with `-address <dir>/…`). */
function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSafe('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(needle)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids.filter((p) => p !== process.pid);
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

async function waitForCri(cri: CriClient, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new ContainerdHarnessError('StartFailed', `containerd exited (${child.exitCode ?? child.signalCode}) before its CRI socket answered:\n${log().slice(-4000)}`);
    try {
      const v = await cri.runtime.version({ deadlineMs: 1_000 });
      if (v.runtimeName) return;
    } catch (err) {
      last = err;
    }
    await sleep(200);
  }
  throw new ContainerdHarnessError('StartFailed', `containerd's CRI socket did not answer Version within ${timeoutMs} ms (${String(last)}):\n${log().slice(-4000)}`);
}

/**
 * Reaps harness containerds orphaned by killed test runs ({@link reapOrphanedContainerds}),
 * writes a config under a fresh temp dir, starts `containerd --config …` in the
 * background, waits until its CRI socket answers Version through Bosun's CRI client,
 * builds and imports the offline busybox and pause images into namespace `k8s.io`, and
 * returns the endpoint with a `stop()` that cleans everything up. Rejects (after cleaning
 * up) if containerd does not come up. Call {@link containerdUnavailable} first.
 */
export async function startContainerd(opts: StartContainerdOptions = {}): Promise<ContainerdHandle> {
  const bridge = opts.bridge ?? 'bosunctr0';
  const subnet = opts.subnet ?? '10.88.77.0/24';
  if (bridge.length > 15) throw new ContainerdHarnessError('InvalidOption', `bridge name ${JSON.stringify(bridge)} is longer than 15 characters (Linux IFNAMSIZ)`);
  await reapOrphanedContainerds();
  const dir = mkdtempSync(join(tmpdir(), 'bosun-containerd-'));
  mkdirSync(join(dir, 'cni'));
  writeFileSync(join(dir, 'config.toml'), containerdConfig(dir));
  writeFileSync(join(dir, 'cni', '10-bosun.conflist'), cniConflist(bridge, subnet, join(dir, 'cni-ipam')));
  const logFile = join(dir, 'containerd.log');
  const fd = openSync(logFile, 'a');
  const child = spawn('/usr/bin/containerd', ['--config', join(dir, 'config.toml')], { stdio: ['ignore', fd, fd], detached: false });
  closeSync(fd);
  // A missing or unrunnable binary is reported on 'error' (unhandled, it would crash the worker).
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));
  const pid = child.pid;
  const address = join(dir, 'containerd.sock');
  const endpoint = `unix://${address}`;
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '') + (spawnError ? `\nspawn: ${spawnError.message}` : '');

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (pid !== undefined && running(pid)) {
      child.kill('SIGTERM');
      for (let i = 0; i < 100 && running(pid); i++) await sleep(100);
      if (running(pid)) child.kill('SIGKILL');
      for (let i = 0; i < 50 && running(pid); i++) await sleep(100);
    }
    await cleanUp(dir, bridge);
  };

  if (pid === undefined) {
    await new Promise((r) => setImmediate(r)); // let 'error' arrive
    await stop();
    throw new ContainerdHarnessError('StartFailed', `containerd did not start: ${spawnError?.message ?? 'no PID'}`);
  }
  const cri = createCriClient(endpoint, { deadlineMs: 5_000 });
  try {
    await waitForCri(cri, child, log, opts.readyTimeoutMs ?? 30_000);
    if (opts.importImages ?? true) {
      const built = await buildOfflineImages({ outDir: join(dir, 'images') });
      await importIntoContainerd(address, built.archive);
    }
  } catch (err) {
    cri.close();
    await stop();
    throw err;
  }
  cri.close();
  return { endpoint, address, pid, dir, subnet, bridge, log, stop };
}

/**
 * Everything a (stopped) harness containerd leaves: shims (which outlive containerd by
 * design and carry `dir` in their args), the containers' processes, their cgroups,
 * mounts under `dir`, `dir` itself, and the bridge.
 */
async function cleanUp(dir: string, bridge: string): Promise<void> {
  for (const shim of pidsMentioning(dir)) {
    try {
      process.kill(shim, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const ids = containerIdsOf(dir);
  await killContainersOf(dir);
  removeCgroups(ids);
  for (const m of mountsUnder(dir)) await runCommand('umount', ['-l', m]).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
  await runCommand('ip', ['link', 'del', bridge]).catch(() => undefined);
}

/**
 * Stops harness containerds orphaned by a test run that was killed before its `afterAll`
 * (their parent is gone: PPid 1, config under `<tmpdir>/bosun-containerd-*`) and cleans
 * up after them. Instances of test files still running have a live parent and are left alone.
 */
export async function reapOrphanedContainerds(): Promise<number> {
  const configRe = new RegExp(`^${tmpdir().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/bosun-containerd-[A-Za-z0-9]+/config\\.toml$`);
  let reaped = 0;
  for (const entry of readdirSafe('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv[0] !== '/usr/bin/containerd' || argv[1] !== '--config' || !configRe.test(argv[2] ?? '')) continue;
      if (!/^PPid:\s+1$/m.test(readFileSync(`/proc/${entry}/status`, 'utf8'))) continue;
      const pid = Number(entry);
      const dir = argv[2]!.slice(0, -'/config.toml'.length);
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 50 && running(pid); i++) await sleep(100);
      const conflist = readFileSync(join(dir, 'cni', '10-bosun.conflist'), 'utf8');
      const bridge = (JSON.parse(conflist) as { plugins: Array<{ bridge?: string }> }).plugins[0]?.bridge ?? '';
      await cleanUp(dir, bridge || 'bosun-none');
      reaped++;
    } catch {
      // gone meanwhile, or not ours after all
    }
  }
  return reaped;
}

/** Ids of every sandbox and container containerd knows under `dir` (CRI metadata and task state). */
function containerIdsOf(dir: string): string[] {
  const places = [
    join(dir, 'state', 'io.containerd.runtime.v2.task', 'k8s.io'),
    join(dir, 'root', 'io.containerd.grpc.v1.cri', 'sandboxes'),
    join(dir, 'root', 'io.containerd.grpc.v1.cri', 'containers'),
  ];
  return [...new Set(places.flatMap(readdirSafe))].filter((id) => /^[0-9a-f]{64}$/.test(id));
}

/**
 * Removes the (now empty) cgroups runc made for `ids`: with the cgroupfs driver and no
 * cgroupParent, containerd puts them at `/k8s.io/<id>` in every v1 hierarchy.
 */
function removeCgroups(ids: readonly string[]): void {
  for (const hierarchy of readdirSafe('/sys/fs/cgroup')) {
    for (const id of ids) {
      try {
        rmdirSync(join('/sys/fs/cgroup', hierarchy, 'k8s.io', id));
      } catch {
        // absent, or (briefly) not empty yet: nothing to do
      }
    }
  }
}

/** Kills container processes runc still runs for containerd's tasks (their `init.pid` under the state dir) and waits up to 5 s for them to go. */
async function killContainersOf(dir: string): Promise<void> {
  const tasks = join(dir, 'state', 'io.containerd.runtime.v2.task', 'k8s.io');
  const pids: number[] = [];
  for (const id of readdirSafe(tasks)) {
    try {
      const pid = Number(readFileSync(join(tasks, id, 'init.pid'), 'utf8').trim());
      if (pid > 1) {
        process.kill(pid, 'SIGKILL');
        pids.push(pid);
      }
    } catch {
      // exited already
    }
  }
  for (let i = 0; i < 50 && pids.some(running); i++) await sleep(100);
}

/** True while `pid` exists and is not a zombie. */
function running(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
