import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBusyboxImage, LocalImageStore } from '@bosun/runtime-process';

/** A dockerd started by {@link startDockerd} for one test file. */
export interface TestDockerd {
  /** Absolute path of the daemon's unix socket. */
  socketPath: string;
  /** `unix://<socketPath>`, as DOCKER_HOST takes it. */
  host: string;
  /** The temp directory holding data-root, exec-root, pidfile, socket and log. */
  dir: string;
  /** The daemon's PID (changes after {@link TestDockerd.restart}). */
  pid(): number;
  /** Runs the docker CLI against this daemon; throws with stderr when it fails. */
  docker(args: string[], input?: Buffer): string;
  /**
   * Makes the daemon go away: SIGTERM to dockerd, which runs with `--live-restore`, so
   * containers keep running and are picked up again by {@link TestDockerd.restart} (as on
   * a host where dockerd is restarted). Keeps the dirs.
   */
  kill(): Promise<void>;
  /** Starts the daemon again on the same dirs and socket; resolves when it answers. */
  restart(): Promise<void>;
  /** Kills the daemon and every container it runs, and removes the dirs. Idempotent. */
  stop(): Promise<void>;
}

/** Why Docker tests cannot run here, or undefined when they can (root and dockerd present). */
export function dockerdUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: dockerd needs root (CI runs as root)';
  if (!existsSync('/usr/sbin/dockerd')) return 'dockerd is missing (apt-get install docker.io)';
  if (spawnSync('docker', ['--version']).status !== 0) return 'the docker CLI is missing (apt-get install docker.io)';
  if (!existsSync('/bin/busybox')) return 'busybox-static is missing (apt-get install busybox-static)';
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Launches a private dockerd in the background: its own --data-root, --exec-root,
 * --pidfile and unix socket under a temp dir, no iptables, no ip-forward, no bridge
 * (`--bridge=none`: containers get loopback only unless a CNI plugin attaches them), its
 * own containerd. Tries overlay2 first and falls back to vfs. Resolves once `docker
 * version` answers (30 s at most).
 */
export async function startDockerd(): Promise<TestDockerd> {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-dockerd-'));
  const socketPath = join(dir, 'docker.sock');
  const host = `unix://${socketPath}`;
  let pid = 0;
  let driver = 'overlay2';

  const docker = (args: string[], input?: Buffer): string => {
    const r = spawnSync('docker', ['-H', host, ...args], { input, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, DOCKER_CONFIG: join(dir, 'cli') } });
    if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr?.toString().trim() || `exit ${r.status}`}`);
    return r.stdout.toString();
  };

  const launch = async (first: boolean): Promise<void> => {
    for (const d of ['data', 'exec', 'cli']) mkdirSync(join(dir, d), { recursive: true });
    const log = openSync(join(dir, 'dockerd.log'), 'a');
    const child = spawn(
      '/usr/sbin/dockerd',
      [
        `--host=${host}`,
        `--data-root=${join(dir, 'data')}`,
        `--exec-root=${join(dir, 'exec')}`,
        `--pidfile=${join(dir, 'dockerd.pid')}`,
        '--iptables=false',
        '--ip6tables=false',
        '--ip-forward=false',
        '--ip-masq=false',
        '--bridge=none',
        `--storage-driver=${driver}`,
        '--live-restore',
        '--log-level=warn',
      ],
      { detached: true, stdio: ['ignore', log, log] },
    );
    closeSync(log);
    child.unref();
    pid = child.pid ?? 0;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (!alive(pid)) break;
      if (spawnSync('docker', ['-H', host, 'version'], { stdio: 'ignore' }).status === 0) return;
      await sleep(200);
    }
    const tail = readFileSync(join(dir, 'dockerd.log'), 'utf8').split('\n').slice(-15).join('\n');
    await killPid('SIGKILL');
    if (first && driver === 'overlay2') {
      driver = 'vfs';
      rmSync(join(dir, 'data'), { recursive: true, force: true });
      return launch(true);
    }
    throw new Error(`dockerd did not start:\n${tail}`);
  };

  const killPid = async (first: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    if (!pid || !alive(pid)) return;
    process.kill(pid, first);
    for (let i = 0; i < 150 && alive(pid); i++) await sleep(100);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
  };

  /** PIDs of the processes this daemon left behind (its containerd, shims and their children), found by our dirs in their command lines. */
  const leftovers = (): number[] => {
    const pids: number[] = [];
    for (const e of readdirSync('/proc')) {
      if (!/^\d+$/.test(e)) continue;
      try {
        if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(dir)) pids.push(Number(e));
      } catch {
        // exited meanwhile
      }
    }
    return pids;
  };
  const killLeftovers = () => {
    for (const p of leftovers()) {
      for (const child of spawnSync('pgrep', ['-P', String(p)]).stdout.toString().split('\n').filter(Boolean)) {
        try {
          process.kill(Number(child), 'SIGKILL');
        } catch {
          // gone
        }
      }
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
  };

  let stopped = false;
  await launch(true);
  return {
    socketPath,
    host,
    dir,
    pid: () => pid,
    docker,
    kill: () => killPid('SIGTERM'),
    restart: () => launch(false),
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        const ids = docker(['ps', '-aq']).split('\n').filter(Boolean);
        if (ids.length) docker(['rm', '-f', ...ids]);
      } catch {
        // the daemon is already gone: its containers died with its containerd
      }
      await killPid();
      killLeftovers();
      await sleep(100);
      const unmountAll = () => {
        const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(dir));
        for (const m of mounts.reverse()) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
      };
      unmountAll();
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // a netns or overlay mount was still busy: unmount again and retry once
        await sleep(500);
        unmountAll();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Imports an offline busybox image into the daemon: builds the rootfs from the host's
 * static busybox with `buildBusyboxImage` (@bosun/runtime-process), tars it, and
 * `docker import`s it with PATH set, tagged with every ref in `tags` (default
 * `busybox:1.36` and `busybox:latest`). Also saves it as a `docker save` archive and
 * returns that path, for a runtime's `offlineImages` (PullImage without a registry).
 */
export async function importBusybox(dockerd: TestDockerd, tags: readonly string[] = ['busybox:1.36', 'busybox:latest']): Promise<{ archive: string; id: string }> {
  const store = new LocalImageStore({ root: join(dockerd.dir, 'busybox-store') });
  const img = await buildBusyboxImage(store);
  const tar = spawnSync('tar', ['-C', img.rootfs, '-cf', '-', '.'], { maxBuffer: 256 * 1024 * 1024 });
  if (tar.status !== 0) throw new Error(`tar of the busybox rootfs failed: ${tar.stderr.toString()}`);
  const [first, ...rest] = tags;
  const id = dockerd.docker(['import', '--change', 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin', '--change', 'CMD ["sh"]', '-', first!], tar.stdout).trim();
  for (const t of rest) dockerd.docker(['tag', first!, t]);
  const archive = join(dockerd.dir, 'busybox.tar');
  dockerd.docker(['save', '-o', archive, ...tags]);
  rmSync(store.root, { recursive: true, force: true });
  return { archive, id };
}
