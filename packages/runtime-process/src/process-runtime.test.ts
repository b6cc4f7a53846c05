import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { hostname, networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '@bosun/api';
import { createInProcessCniClient, type CniPlugin } from '@bosun/cni';
import { createInProcessCriClient, isCriError, type ContainerConfig, type CriClient, type CriInput, type PodSandboxConfig } from '@bosun/cri';
import { createHostLocalNetwork } from '@bosun/network-hostlocal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostVethName } from './bridge-network';
import { createProcessRuntime, resolveArgv, type ProcessRuntime } from './process-runtime';
import { sameProcessAlive } from './proc';
import { isRoot, run, which } from './shell';

const CAN_ISOLATE = isRoot() && !!which('unshare') && !!which('nsenter') && !!which('ip');
const SKIP_NOTE = CAN_ISOLATE ? '' : ' (SKIPPED: needs root with unshare, nsenter and ip)';
const BRIDGE = 'bosunpt0';
const POD_CIDR = '10.213.2.0/24';

/** Polls `fn` (real time) until it returns a truthy value; fails after `ms`. */
async function until<T>(fn: () => Promise<T> | T, ms = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function httpGet(host: string, port: number, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

let seq = 0;
const sandboxConfig = (logDirectory: string, extra: CriInput<PodSandboxConfig> = {}): CriInput<PodSandboxConfig> => {
  const n = `pod-${++seq}`;
  return { metadata: { name: n, namespace: 'test', uid: `uid-${seq}-${process.pid}`, attempt: 0 }, hostname: n, logDirectory, linux: {}, ...extra };
};
const container = (name: string, command: string[], extra: CriInput<ContainerConfig> = {}): CriInput<ContainerConfig> => ({
  metadata: { name, attempt: 0 },
  image: { image: 'busybox' },
  command,
  logPath: `${name}/0.log`,
  ...extra,
});

describe('resolveArgv (Kubernetes command/args against the image entrypoint/cmd)', () => {
  const image = { entrypoint: ['/ep'], cmd: ['--default'] };
  it.each<[string, string[], string[], string[]]>([
    ['neither: entrypoint + cmd', [], [], ['/ep', '--default']],
    ['args only: entrypoint + args', [], ['x'], ['/ep', 'x']],
    ['command only: command, cmd ignored', ['/c'], [], ['/c']],
    ['both: command + args', ['/c'], ['y'], ['/c', 'y']],
  ])('%s', (_n, command, args, want) => {
    expect(resolveArgv(command, args, image)).toEqual(want);
  });
});

describe.skipIf(!CAN_ISOLATE)(`process runtime, isolated, with a bridge network${SKIP_NOTE}`, () => {
  let dir: string;
  let clock: FakeClock;
  let runtime: ProcessRuntime;
  let cri: CriClient;
  let logs: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bosun-process-rt-'));
    logs = join(dir, 'pods');
    clock = new FakeClock();
    const network = createInProcessCniClient(createHostLocalNetwork({ podCIDR: POD_CIDR, dataDir: join(dir, 'ipam') }));
    runtime = createProcessRuntime({ stateDir: join(dir, 'state'), clock, network, bridgeName: BRIDGE });
    cri = createInProcessCriClient(runtime);
    await cri.image.pullImage('busybox');
  }, 60_000);

  afterAll(async () => {
    cri?.close();
    await runtime?.shutdown({ killAll: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const pod = async (extra: CriInput<PodSandboxConfig> = {}) => {
    const config = sandboxConfig(join(logs, `p${seq + 1}`), extra);
    const id = await cri.runtime.runPodSandbox(config);
    return { id, config };
  };
  const start = async (p: { id: string; config: CriInput<PodSandboxConfig> }, c: CriInput<ContainerConfig>) => {
    const id = await cri.runtime.createContainer(p.id, c, p.config);
    await cri.runtime.startContainer(id);
    return id;
  };
  const exited = (id: string) =>
    until(async () => {
      const st = (await cri.runtime.containerStatus(id)).status!;
      return st.state === 'CONTAINER_EXITED' ? st : undefined;
    }, 10_000, `container ${id.slice(0, 8)} to exit`);
  const logOf = (p: { config: CriInput<PodSandboxConfig> }, name: string) => {
    try {
      return readFileSync(join(p.config.logDirectory!, name, '0.log'), 'utf8');
    } catch {
      return '';
    }
  };

  it('writes stdout and stderr in CRI log format, partial last line included', async () => {
    const p = await pod();
    const id = await start(p, container('hello', ['sh', '-c', 'echo hello; echo oops >&2; printf tail']));
    const st = await exited(id);
    expect(st.exitCode).toBe(0);
    expect(st.reason).toBe('Completed');
    await until(() => logOf(p, 'hello').includes('tail'), 5000, 'log lines');
    const lines = logOf(p, 'hello').trim().split('\n');
    const stamp = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z';
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${stamp} stdout F hello$`)),
        expect.stringMatching(new RegExp(`^${stamp} stderr F oops$`)),
        expect.stringMatching(new RegExp(`^${stamp} stdout F tail$`)),
      ]),
    );
    expect(st.logPath).toBe(join(p.config.logDirectory!, 'hello', '0.log'));
  });

  it('reopens the log file after rotation', async () => {
    const p = await pod();
    const id = await start(p, container('rot', ['sh', '-c', 'echo one; while [ ! -f /tmp/go ]; do sleep 0.05; done; echo two; sleep 100']));
    await until(() => logOf(p, 'rot').includes('one'), 5000, 'first line');
    const path = join(p.config.logDirectory!, 'rot', '0.log');
    renameSync(path, `${path}.1`);
    await cri.runtime.reopenContainerLog(id);
    await cri.runtime.execSync(id, ['touch', '/tmp/go'], 5);
    await until(() => logOf(p, 'rot').includes('two'), 5000, 'line after reopen');
    expect(logOf(p, 'rot')).not.toContain('one');
    expect(readFileSync(`${path}.1`, 'utf8')).toContain('one');
    await cri.runtime.stopContainer(id, 0);
  });

  it.each<[string, string[], number, string]>([
    ['exit 0', ['true'], 0, 'Completed'],
    ['exit 3', ['sh', '-c', 'exit 3'], 3, 'Error'],
    ['killed with SIGKILL from outside', ['sleep', '3600'], 137, 'Error'],
  ])('reports the exit code: %s', async (_n, command, code, reason) => {
    const p = await pod();
    const id = await start(p, container('exit', command));
    if (code === 137) process.kill(runtime.containerPid(id)!, 'SIGKILL');
    const st = await exited(id);
    expect({ exitCode: st.exitCode, reason: st.reason }).toEqual({ exitCode: code, reason });
    expect(st.finishedAt).toBeGreaterThanOrEqual(st.startedAt);
  });

  it('gives containers of one pod a shared localhost and the sandbox hostname', async () => {
    const p = await pod();
    await start(p, container('web', ['sh', '-c', 'mkdir -p /www && echo pod-local > /www/index.html && exec httpd -f -p 8080 -h /www']));
    const client = await start(p, container('client', ['sleep', '3600']));
    const r = await until(async () => {
      const x = await cri.runtime.execSync(client, ['wget', '-qO-', 'http://127.0.0.1:8080/index.html'], 5);
      return x.exitCode === 0 ? x : undefined;
    }, 10_000, 'httpd on localhost');
    expect(r.stdout.toString()).toBe('pod-local\n');
    const host = await cri.runtime.execSync(client, ['hostname'], 5);
    expect(host.stdout.toString().trim()).toBe(p.config.hostname);
  });

  it('gives each pod an IP reachable from the host and from another pod, with /etc/hosts and resolv.conf', async () => {
    const a = await pod();
    await start(a, container('web', ['sh', '-c', 'mkdir -p /www && echo from-pod > /www/index.html && exec httpd -f -p 8080 -h /www']));
    const ip = (await cri.runtime.podSandboxStatus(a.id)).status!.network!.ip;
    expect(ip).toMatch(/^10\.213\.2\.\d+$/);
    const body = await until(() => httpGet(ip, 8080, '/index.html').catch(() => undefined), 10_000, 'httpd on the pod IP');
    expect(body).toBe('from-pod\n');
    const b = await pod({ dnsConfig: { servers: ['10.96.0.10'], searches: ['test.svc.cluster.local'], options: ['ndots:5'] } });
    const other = await start(b, container('client', ['sleep', '3600']));
    const bIp = (await cri.runtime.podSandboxStatus(b.id)).status!.network!.ip;
    const etc = await cri.runtime.execSync(other, ['cat', '/etc/hosts', '/etc/resolv.conf', '/etc/hostname'], 5);
    expect(etc.stdout.toString()).toBe(
      `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${bIp}\t${b.config.hostname}\nnameserver 10.96.0.10\nsearch test.svc.cluster.local\noptions ndots:5\n${b.config.hostname}\n`,
    );
    const r = await cri.runtime.execSync(other, ['wget', '-qO-', `http://${ip}:8080/index.html`], 5);
    expect({ code: r.exitCode, out: r.stdout.toString() }).toEqual({ code: 0, out: 'from-pod\n' });
    const veth = JSON.parse((await cri.runtime.podSandboxStatus(a.id, true)).info.info!).hostVeth as string;
    expect((await run('ip', ['link', 'show', veth])).code).toBe(0);
    await cri.runtime.stopPodSandbox(a.id);
    expect((await cri.runtime.podSandboxStatus(a.id)).status!.network!.ip).toBe('');
    expect((await run('ip', ['link', 'show', veth])).code).not.toBe(0);
  });

  it('runs a host-network pod in the host network and UTS namespaces, without a pod IP', async () => {
    const p = await pod({ linux: { securityContext: { namespaceOptions: { network: 'NODE' } } } });
    const id = await start(p, container('hn', ['sleep', '3600']));
    const r = await cri.runtime.execSync(id, ['hostname'], 5);
    expect(r.stdout.toString().trim()).toBe(hostname());
    expect((await cri.runtime.podSandboxStatus(p.id)).status!.network!.ip).toBe('');
    const hostIp = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    const addrs = await cri.runtime.execSync(id, ['ip', '-o', '-4', 'addr'], 5);
    if (hostIp) expect(addrs.stdout.toString()).toContain(hostIp); // the host's addresses: same network namespace
  });

  it('bind-mounts a host file at its container path, read-only when asked', async () => {
    const hostDir = join(dir, 'hostdata');
    mkdirSync(hostDir, { recursive: true });
    writeFileSync(join(hostDir, 'greeting'), 'hello from the host\n');
    const p = await pod();
    const id = await start(p, container('m', ['sleep', '3600'], { mounts: [{ hostPath: hostDir, containerPath: '/data', readonly: true }] }));
    const cat = await cri.runtime.execSync(id, ['cat', '/data/greeting'], 5);
    expect(cat.stdout.toString()).toBe('hello from the host\n');
    const write = await cri.runtime.execSync(id, ['sh', '-c', 'echo x > /data/new'], 5);
    expect(write.exitCode).not.toBe(0);
    // The container's root is its own: the host's /data is untouched.
    const root = await cri.runtime.execSync(id, ['ls', '/'], 5);
    expect(root.stdout.toString().split('\n')).toContain('data');
  });

  it('fails StartContainer with the reason when the container setup fails', async () => {
    const p = await pod();
    const id = await cri.runtime.createContainer(p.id, container('nowd', ['true'], { workingDir: '/bin/busybox/not-a-dir' }), p.config);
    await expect(cri.runtime.startContainer(id)).rejects.toSatisfy((e) => isCriError(e, 'Internal') && e.message.includes('working directory'));
    const st = (await cri.runtime.containerStatus(id)).status!;
    expect({ state: st.state, reason: st.reason }).toEqual({ state: 'CONTAINER_EXITED', reason: 'StartError' });
  });

  it('refuses a mount whose host path does not exist', async () => {
    const p = await pod();
    await expect(cri.runtime.createContainer(p.id, container('bad', ['true'], { mounts: [{ hostPath: join(dir, 'nope'), containerPath: '/x' }] }), p.config)).rejects.toSatisfy(
      (e) => isCriError(e, 'InvalidArgument') && e.message.includes('does not exist'),
    );
  });

  it('refuses an unknown image without a command, and runs one with a command on the host filesystem', async () => {
    const p = await pod();
    await expect(cri.runtime.createContainer(p.id, container('x', [], { image: { image: 'example.invalid/none:1' } }), p.config)).rejects.toSatisfy(
      (e) => isCriError(e, 'InvalidArgument') && e.message.includes('not in the local image store'),
    );
    const id = await start(p, container('raw', ['/bin/sh', '-c', 'cat /etc/os-release; echo pid=$$'], { image: { image: 'example.invalid/none:1' } }));
    expect((await exited(id)).exitCode).toBe(0);
    const log = logOf(p, 'raw');
    expect(log).toContain(readFileSync('/etc/os-release', 'utf8').split('\n')[0]);
    expect(log).toContain('pid=1'); // own pid namespace even in raw mode
  });

  it('stops with SIGTERM, then SIGKILL when the timeout passes on the clock', async () => {
    const p = await pod();
    const id = await start(p, container('stubborn', ['sh', '-c', "trap 'echo got-term' TERM; echo ready; while true; do sleep 0.1; done"]));
    await until(() => logOf(p, 'stubborn').includes('ready'), 5000, 'trap installed');
    const stopping = cri.runtime.stopContainer(id, 30);
    await until(() => logOf(p, 'stubborn').includes('got-term'), 5000, 'SIGTERM handled');
    expect((await cri.runtime.containerStatus(id)).status!.state).toBe('CONTAINER_RUNNING');
    await clock.advance(30_000);
    await stopping;
    const st = (await cri.runtime.containerStatus(id)).status!;
    expect({ state: st.state, exitCode: st.exitCode }).toEqual({ state: 'CONTAINER_EXITED', exitCode: 137 });
  });

  it('stops at once a container that exits on SIGTERM, and with timeout 0 kills at once', async () => {
    const p = await pod();
    const polite = await start(p, container('polite', ['sh', '-c', "trap 'exit 0' TERM; echo ready; while true; do sleep 0.1; done"]));
    await until(() => logOf(p, 'polite').includes('ready'), 5000, 'trap installed');
    await cri.runtime.stopContainer(polite, 3600);
    expect((await cri.runtime.containerStatus(polite)).status!.exitCode).toBe(0);
    const sleeper = await start(p, container('sleeper', ['sleep', '3600']));
    await cri.runtime.stopContainer(sleeper, 0);
    expect((await cri.runtime.containerStatus(sleeper)).status!.exitCode).toBe(137);
  });

  it('runs ExecSync inside the container (own pid namespace, image root, env) and times it out on the clock', async () => {
    const p = await pod();
    const id = await start(p, container('ex', ['sleep', '3600'], { envs: [{ key: 'GREETING', value: 'hi there' }] }));
    const ps = await cri.runtime.execSync(id, ['sh', '-c', 'echo "$GREETING"; cat /proc/1/cmdline | tr "\\0" " "; echo; test -x /bin/busybox && echo busybox-root'], 5);
    expect(ps.stdout.toString().split('\n')).toEqual(['hi there', 'sleep 3600 ', 'busybox-root', '']);
    const missing = await cri.runtime.execSync(id, ['no-such-binary'], 5);
    expect(missing.exitCode).not.toBe(0);
    const slow = expect(cri.runtime.execSync(id, ['sleep', '1000'], 7)).rejects.toSatisfy((e) => isCriError(e, 'DeadlineExceeded'));
    await new Promise((r) => setTimeout(r, 50));
    await clock.advance(7_000);
    await slow;
  });

  it('reports non-zero CPU and memory for a busy container', async () => {
    const p = await pod();
    const id = await start(p, container('busy', ['sh', '-c', 'while :; do :; done']));
    const s = await until(async () => {
      const st = await cri.runtime.containerStats(id);
      return (st.cpu?.usageCoreNanoSeconds?.value ?? 0) > 50e6 ? st : undefined;
    }, 10_000, 'cpu usage');
    expect(s.memory?.workingSetBytes?.value).toBeGreaterThan(0);
    const again = await until(async () => {
      const st = await cri.runtime.containerStats(id);
      return (st.cpu?.usageNanoCores?.value ?? 0) > 0 ? st : undefined;
    }, 5000, 'nanocores');
    expect(again.attributes?.id).toBe(id);
    await cri.runtime.execSync(id, ['sh', '-c', 'head -c 100000 /dev/zero > /big'], 5);
    expect((await cri.runtime.containerStats(id)).writableLayer?.usedBytes?.value).toBeGreaterThanOrEqual(100_000);
    await cri.runtime.stopContainer(id, 0);
  });

  it('applies cgroup v1 limits and reports OOMKilled from the memory cgroup', async () => {
    const p = await pod();
    const id = await start(
      p,
      container('hog', ['tail', '/dev/zero'], { linux: { resources: { memoryLimitInBytes: 32 * 1024 * 1024, cpuShares: 512 } } }),
    );
    const st = await exited(id);
    const info = JSON.parse((await cri.runtime.containerStatus(id, true)).info.info!) as { cgroup: string };
    expect(readFileSync(`/sys/fs/cgroup/cpu/${info.cgroup}/cpu.shares`, 'utf8').trim()).toBe('512');
    expect({ exitCode: st.exitCode, reason: st.reason }).toEqual({ exitCode: 137, reason: 'OOMKilled' });
  });
});

describe.skipIf(!CAN_ISOLATE)(`process runtime network failure cleanup${SKIP_NOTE}`, () => {
  let dir: string;
  let runtime: ProcessRuntime;
  const calls: Array<{ op: string; containerId: string; netns: string }> = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bosun-process-netfail-'));
    const ipam = createHostLocalNetwork({ podCIDR: '10.213.3.0/24', dataDir: join(dir, 'ipam') });
    // A plugin whose result cannot be realised: the route it asks for is not a CIDR.
    const broken: CniPlugin = {
      ...ipam,
      add: async (req) => {
        calls.push({ op: 'add', containerId: req.config.containerId, netns: req.config.netns });
        return { ...(await ipam.add(req)), routes: [{ dst: 'not-a-cidr', gw: '', mtu: 0 }] };
      },
      del: async (req) => {
        calls.push({ op: 'del', containerId: req.config.containerId, netns: req.config.netns });
        await ipam.del(req);
      },
    };
    runtime = createProcessRuntime({ stateDir: join(dir, 'state'), network: createInProcessCniClient(broken), bridgeName: 'bosunnf0' });
  });
  afterAll(async () => {
    await runtime.shutdown({ killAll: true });
    expect((await run('ip', ['link', 'show', 'bosunnf0'])).code).not.toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails RunPodSandbox clearly and removes the veth, the address and the holder', async () => {
    const cri = createInProcessCriClient(runtime);
    await expect(cri.runtime.runPodSandbox(sandboxConfig(join(dir, 'logs')))).rejects.toSatisfy((e) => isCriError(e, 'Internal') && e.message.includes('cannot attach the network'));
    expect(calls.map((c) => c.op)).toEqual(['add', 'del']);
    const { containerId, netns } = calls[0]!;
    expect((await run('ip', ['link', 'show', hostVethName(containerId)])).code).not.toBe(0);
    const holder = Number(/\/proc\/(\d+)\//.exec(netns)![1]);
    await until(() => !sameProcessAlive(holder, undefined), 5000, 'holder killed');
    expect(await cri.runtime.listPodSandbox()).toEqual([]);
  });
});

describe.skipIf(!CAN_ISOLATE)(`process runtime adoption after a restart${SKIP_NOTE}`, () => {
  let dir: string;
  const runtimes: ProcessRuntime[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bosun-process-adopt-'));
  });
  afterAll(async () => {
    for (const r of runtimes.reverse()) await r.shutdown({ killAll: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists sandboxes and containers again, stops what still runs, and reads vanished ones as exited', async () => {
    const first = createProcessRuntime({ stateDir: join(dir, 'state') });
    runtimes.push(first);
    const a = createInProcessCriClient(first);
    await a.image.pullImage('busybox');
    const config = sandboxConfig(join(dir, 'logs'));
    const sid = await a.runtime.runPodSandbox(config);
    const keep = await a.runtime.createContainer(sid, container('keep', ['sleep', '3600']), config);
    await a.runtime.startContainer(keep);
    const vanish = await a.runtime.createContainer(sid, container('vanish', ['sleep', '3600']), config);
    await a.runtime.startContainer(vanish);
    const done = await a.runtime.createContainer(sid, container('done', ['sh', '-c', 'exit 4']), config);
    await a.runtime.startContainer(done);
    await until(async () => (await a.runtime.containerStatus(done)).status!.state === 'CONTAINER_EXITED', 5000, 'exit 4');
    const keepPid = first.containerPid(keep)!;
    const vanishPid = first.containerPid(vanish)!;
    await first.close();
    process.kill(vanishPid, 'SIGKILL');
    await until(() => !sameProcessAlive(vanishPid, undefined), 5000, 'vanished container gone');

    const second = createProcessRuntime({ stateDir: join(dir, 'state'), adoptPollMs: 50 });
    runtimes.push(second);
    const b = createInProcessCriClient(second);
    expect((await b.runtime.listPodSandbox()).map((s) => [s.id, s.state])).toEqual([[sid, 'SANDBOX_READY']]);
    const states = Object.fromEntries((await b.runtime.listContainers({ podSandboxId: sid })).map((c) => [c.metadata!.name, c.state]));
    expect(states).toEqual({ keep: 'CONTAINER_RUNNING', vanish: expect.stringMatching(/CONTAINER_(EXITED|RUNNING)/), done: 'CONTAINER_EXITED' });
    const vanished = await until(async () => {
      const st = (await b.runtime.containerStatus(vanish)).status!;
      return st.state === 'CONTAINER_EXITED' ? st : undefined;
    }, 5000, 'vanished container read as exited');
    expect(vanished.exitCode).toBe(255);
    expect((await b.runtime.containerStatus(done)).status!.exitCode).toBe(4);
    expect(second.containerPid(keep)).toBe(keepPid);
    await b.runtime.stopContainer(keep, 0);
    expect((await b.runtime.containerStatus(keep)).status!.exitCode).toBe(137);
    await until(() => !sameProcessAlive(keepPid, undefined), 5000, 'adopted container gone');
    await b.runtime.removePodSandbox(sid);
    expect(await b.runtime.listPodSandbox()).toEqual([]);
  });
});

describe('process runtime without isolation (raw mode)', () => {
  let dir: string;
  let runtime: ProcessRuntime;
  let cri: CriClient;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bosun-process-raw-'));
    runtime = createProcessRuntime({ stateDir: join(dir, 'state'), isolation: false });
    cri = createInProcessCriClient(runtime);
  });
  afterAll(async () => {
    await runtime.shutdown({ killAll: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the command as a host process in the working directory with the env', async () => {
    expect(runtime.info.isolation).toBe(false);
    const config = sandboxConfig(join(dir, 'logs'));
    const sid = await cri.runtime.runPodSandbox(config);
    const id = await cri.runtime.createContainer(sid, container('raw', ['/bin/sh', '-c', 'pwd; echo "$X"; exit 7'], { image: { image: 'none.invalid/x' }, workingDir: dir, envs: [{ key: 'X', value: 'y' }] }), config);
    await cri.runtime.startContainer(id);
    const st = await until(async () => {
      const s = (await cri.runtime.containerStatus(id)).status!;
      return s.state === 'CONTAINER_EXITED' ? s : undefined;
    }, 5000, 'raw exit');
    expect(st.exitCode).toBe(7);
    const lines = readFileSync(st.logPath, 'utf8').trim().split('\n').map((l) => l.split(' ').slice(3).join(' '));
    expect(lines).toEqual([dir, 'y']);
  });

  it('refuses mounts it cannot honour, naming the reason', async () => {
    const config = sandboxConfig(join(dir, 'logs'));
    const sid = await cri.runtime.runPodSandbox(config);
    await expect(cri.runtime.createContainer(sid, container('m', ['true'], { mounts: [{ hostPath: dir, containerPath: '/data' }] }), config)).rejects.toSatisfy(
      (e) => isCriError(e, 'FailedPrecondition') && e.message.includes('cannot honour') && e.message.includes('/data'),
    );
  });

  it.each<[string, CriInput<ContainerConfig>, string]>([
    ['a NUL byte in args', { args: ['a\0b'] }, 'NUL'],
    ['an env name with "="', { envs: [{ key: 'A=B', value: 'x' }] }, 'env names'],
    ['a relative workingDir', { workingDir: 'rel' }, 'absolute'],
    ['a relative mount path', { mounts: [{ hostPath: '/tmp', containerPath: 'data' }] }, 'absolute'],
  ])('refuses %s with InvalidArgument', async (_n, extra, text) => {
    const config = sandboxConfig(join(dir, 'logs'));
    const sid = await cri.runtime.runPodSandbox(config);
    await expect(cri.runtime.createContainer(sid, container('bad', ['true'], extra), config)).rejects.toSatisfy((e) => isCriError(e, 'InvalidArgument') && e.message.includes(text));
  });

  it('fails PullImage of an unknown reference clearly', async () => {
    await expect(cri.image.pullImage('registry.invalid/none/does-not-exist:1')).rejects.toSatisfy((e) => isCriError(e, 'NotFound') && e.message.includes('does-not-exist'));
  });
});
