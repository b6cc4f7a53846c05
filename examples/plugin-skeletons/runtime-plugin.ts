/**
 * A runtime skeleton: a CRI runtime whose containers are plain host processes (no image
 * filesystem, no namespaces, no cgroups: Nomad's raw_exec, in about 200 lines). It shows
 * the shape of every runtime on Bosun: an object with the domain-named CRI methods
 * (`runPodSandbox`, `createContainer`, …) that throws `CriError`s with the codes the CRI
 * expects, keeps upstream's idempotence (stop/remove of what is gone succeeds), attaches
 * the pod network by calling a network plugin from RunPodSandbox/StopPodSandbox (as
 * containerd calls CNI), and is served on a unix socket with `serveCri`.
 *
 * What it leaves out, on purpose: images are names only (PullImage records the
 * reference; the command runs on the host filesystem), no logs, no mounts, no resource
 * limits, no real stats (ContainerStats reports attributes without usage), and no
 * isolation at all: it runs whatever command a pod names, as the user running it. Never
 * expose its socket to anyone you would not give a shell. `@bosun/runtime-process` is the
 * complete version.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  CriError,
  serveCri,
  type Container,
  type ContainerConfig,
  type CriServerHandle,
  type CriServiceImpl,
  type Image,
  type PodSandboxConfig,
  type PodSandboxState,
  type ContainerState,
  type StringMap,
} from '@bosun/cri';
import type { CniClient } from '@bosun/cni';

/** Options of {@link createSkeletonRuntime}. */
export interface SkeletonRuntimeOptions {
  /** The pod network. When set, RunPodSandbox calls its `add` and StopPodSandbox its `del`. */
  network?: Pick<CniClient, 'add' | 'del'>;
  /** Image references PullImage refuses. Default: any reference containing `does-not-exist` or `.invalid/`. */
  unpullable?: RegExp;
}

interface Sandbox {
  id: string;
  config: PodSandboxConfig;
  state: PodSandboxState;
  createdAt: number;
  ip: string;
}

interface Proc {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  state: ContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  child?: ChildProcess;
  exited?: Promise<void>;
}

const nowNs = () => Date.now() * 1e6;
const matches = (labels: StringMap, selector: StringMap) => Object.entries(selector).every(([k, v]) => labels[k] === v);
/** The exit code a shell would report: the code, or 128 + the signal number. */
const exitCodeOf = (code: number | null, signal: NodeJS.Signals | null) => code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 1);

/** Signals the container's whole process group (it runs detached, as its own group). */
function signalGroup(p: Proc, signal: NodeJS.Signals): void {
  try {
    if (p.child?.pid) process.kill(-p.child.pid, signal);
  } catch {
    // exited meanwhile
  }
}

/** Creates the runtime. Call {@link SkeletonRuntime.killAll} before the process exits. */
export interface SkeletonRuntime extends CriServiceImpl {
  /** Kills every container still running (SIGKILL). */
  killAll(): void;
}

/** Creates the skeleton runtime. */
export function createSkeletonRuntime(opts: SkeletonRuntimeOptions = {}): SkeletonRuntime {
  const sandboxes = new Map<string, Sandbox>();
  const procs = new Map<string, Proc>();
  const images = new Map<string, Image>();
  const unpullable = opts.unpullable ?? /does-not-exist|\.invalid\//;

  const sandbox = (id: string) => sandboxes.get(id) ?? notFound('pod sandbox', id);
  const proc = (id: string) => procs.get(id) ?? notFound('container', id);
  function notFound(what: string, id: string): never {
    throw new CriError('NotFound', `${what} ${JSON.stringify(id)} not found`);
  }

  async function stop(p: Proc, timeoutSeconds: number): Promise<void> {
    if (p.state !== 'CONTAINER_RUNNING') return; // idempotent
    signalGroup(p, 'SIGTERM');
    const killer = setTimeout(() => signalGroup(p, 'SIGKILL'), Math.max(0, timeoutSeconds) * 1000);
    await p.exited;
    clearTimeout(killer);
  }

  const containerView = (p: Proc): Container => ({
    id: p.id,
    podSandboxId: p.sandboxId,
    metadata: p.config.metadata,
    image: p.config.image,
    imageRef: p.config.image?.image ?? '',
    state: p.state,
    createdAt: p.createdAt,
    labels: p.config.labels,
    annotations: p.config.annotations,
  });
  const sandboxView = (s: Sandbox) => ({ id: s.id, metadata: s.config.metadata, state: s.state, createdAt: s.createdAt, labels: s.config.labels, annotations: s.config.annotations });

  return {
    version: async () => ({ version: '0.1.0', runtimeName: 'skeleton', runtimeVersion: '0.1.0', runtimeApiVersion: 'v1' }),
    status: async () => ({
      status: {
        conditions: [
          { type: 'RuntimeReady', status: true },
          { type: 'NetworkReady', status: true },
        ],
      },
    }),

    async runPodSandbox({ config }) {
      if (!config?.metadata?.name) throw new CriError('InvalidArgument', 'config.metadata.name: required');
      const s: Sandbox = { id: randomUUID(), config, state: 'SANDBOX_READY', createdAt: nowNs(), ip: '' };
      if (opts.network) {
        const { namespace, name } = config.metadata;
        const result = await opts.network.add({ containerId: s.id, ifname: 'eth0', args: { K8S_POD_NAMESPACE: namespace, K8S_POD_NAME: name } });
        s.ip = result.ips[0]?.address.split('/')[0] ?? '';
      }
      sandboxes.set(s.id, s);
      return { podSandboxId: s.id };
    },
    async stopPodSandbox({ podSandboxId }) {
      const s = sandboxes.get(podSandboxId);
      if (!s) return;
      await Promise.all([...procs.values()].filter((p) => p.sandboxId === s.id).map((p) => stop(p, 0)));
      if (s.state === 'SANDBOX_READY' && opts.network) await opts.network.del({ containerId: s.id, ifname: 'eth0' });
      s.state = 'SANDBOX_NOTREADY';
    },
    async removePodSandbox({ podSandboxId }) {
      if (!sandboxes.has(podSandboxId)) return;
      await this.stopPodSandbox!({ podSandboxId });
      for (const p of procs.values()) if (p.sandboxId === podSandboxId) procs.delete(p.id);
      sandboxes.delete(podSandboxId);
    },
    async podSandboxStatus({ podSandboxId }) {
      const s = sandbox(podSandboxId);
      return { status: { ...sandboxView(s), network: { ip: s.ip } } };
    },
    async listPodSandbox({ filter }) {
      const items = [...sandboxes.values()].filter(
        (s) => (!filter?.id || s.id === filter.id) && (!filter?.state || s.state === filter.state.state) && matches(s.config.labels, filter?.labelSelector ?? {}),
      );
      return { items: items.map(sandboxView) };
    },

    async createContainer({ podSandboxId, config }) {
      const s = sandbox(podSandboxId);
      if (s.state !== 'SANDBOX_READY') throw new CriError('FailedPrecondition', `pod sandbox ${podSandboxId} is not ready`);
      if (!config?.metadata?.name) throw new CriError('InvalidArgument', 'config.metadata.name: required');
      if (config.command.length + config.args.length === 0) throw new CriError('InvalidArgument', 'config.command: this runtime has no image entrypoints, give a command');
      const p: Proc = { id: randomUUID(), sandboxId: s.id, config, state: 'CONTAINER_CREATED', createdAt: nowNs(), startedAt: 0, finishedAt: 0, exitCode: 0 };
      procs.set(p.id, p);
      return { containerId: p.id };
    },
    async startContainer({ containerId }) {
      const p = proc(containerId);
      if (p.state !== 'CONTAINER_CREATED') throw new CriError('FailedPrecondition', `container ${containerId} is ${p.state}, not CONTAINER_CREATED`);
      const [cmd, ...args] = [...p.config.command, ...p.config.args];
      const env = Object.fromEntries(p.config.envs.map((e) => [e.key, e.value]));
      const child = spawn(cmd!, args, { detached: true, stdio: 'ignore', cwd: p.config.workingDir || undefined, env: { PATH: process.env.PATH, ...env } });
      p.child = child;
      p.exited = new Promise((resolve) =>
        child.once('exit', (code, signal) => {
          Object.assign(p, { state: 'CONTAINER_EXITED', finishedAt: nowNs(), exitCode: exitCodeOf(code, signal) });
          resolve();
        }),
      );
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', (err) => reject(new CriError('InvalidArgument', `cannot start ${cmd}: ${err.message}`, { cause: err })));
      });
      Object.assign(p, { state: 'CONTAINER_RUNNING', startedAt: nowNs() });
    },
    stopContainer: async ({ containerId, timeout }) => stop(proc(containerId), timeout),
    async removeContainer({ containerId }) {
      const p = procs.get(containerId);
      if (!p) return;
      await stop(p, 0);
      procs.delete(containerId);
    },
    async listContainers({ filter }) {
      const list = [...procs.values()].filter(
        (p) =>
          (!filter?.id || p.id === filter.id) &&
          (!filter?.podSandboxId || p.sandboxId === filter.podSandboxId) &&
          (!filter?.state || p.state === filter.state.state) &&
          matches(p.config.labels, filter?.labelSelector ?? {}),
      );
      return { containers: list.map(containerView) };
    },
    async containerStatus({ containerId }) {
      const p = proc(containerId);
      const reason = p.state !== 'CONTAINER_EXITED' ? '' : p.exitCode === 0 ? 'Completed' : 'Error';
      return { status: { ...containerView(p), startedAt: p.startedAt, finishedAt: p.finishedAt, exitCode: p.exitCode, reason } };
    },
    async execSync({ containerId, cmd, timeout }) {
      if (proc(containerId).state !== 'CONTAINER_RUNNING') throw new CriError('FailedPrecondition', `container ${containerId} is not running`);
      return runToEnd(cmd, timeout);
    },
    async containerStats({ containerId }) {
      const p = proc(containerId);
      return { stats: { attributes: { id: p.id, metadata: p.config.metadata, labels: p.config.labels, annotations: p.config.annotations } } };
    },
    async listContainerStats({ filter }) {
      const list = [...procs.values()].filter((p) => (!filter?.id || p.id === filter.id) && (!filter?.podSandboxId || p.sandboxId === filter.podSandboxId));
      return { stats: list.map((p) => ({ attributes: { id: p.id, metadata: p.config.metadata, labels: p.config.labels, annotations: p.config.annotations } })) };
    },

    listImages: async () => ({ images: [...images.values()] }),
    imageStatus: async ({ image }) => ({ image: images.get(image?.image ?? '') ?? null }),
    async pullImage({ image }) {
      const ref = image?.image ?? '';
      if (!ref) throw new CriError('InvalidArgument', 'image.image: required');
      if (unpullable.test(ref)) throw new CriError('NotFound', `image ${ref} not found`);
      images.set(ref, { id: `sha256:${Buffer.from(ref).toString('hex').padEnd(64, '0').slice(0, 64)}`, repoTags: [ref], repoDigests: [], size: 0, uid: null, username: '', spec: null, pinned: false });
      return { imageRef: images.get(ref)!.id };
    },
    async removeImage({ image }) {
      images.delete(image?.image ?? '');
    },
    imageFsInfo: async () => ({ imageFilesystems: [{ timestamp: nowNs(), fsId: { mountpoint: '/' }, usedBytes: { value: 0 } }] }),

    killAll() {
      for (const p of procs.values()) signalGroup(p, 'SIGKILL');
    },
  };
}

/** Runs `cmd` to its end (SIGKILL after `timeoutSeconds`, 0 = no limit) and collects its output. */
function runToEnd(cmd: readonly string[], timeoutSeconds: number): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }> {
  if (cmd.length === 0) throw new CriError('InvalidArgument', 'cmd: required');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutSeconds > 0 ? timeoutSeconds * 1000 : undefined, killSignal: 'SIGKILL' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', (e) => reject(new CriError('InvalidArgument', `cannot run ${cmd[0]}: ${e.message}`, { cause: e })));
    child.once('close', (code, signal) => resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode: exitCodeOf(code, signal) }));
  });
}

/** Serves the runtime on `socketPath` (mode 0600). */
export async function serveSkeletonRuntime(opts: SkeletonRuntimeOptions & { socketPath: string }): Promise<{ server: CriServerHandle; runtime: SkeletonRuntime }> {
  const runtime = createSkeletonRuntime(opts);
  return { server: await serveCri(runtime, { socketPath: opts.socketPath, name: 'skeleton' }), runtime };
}
