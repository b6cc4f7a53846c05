import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { CniError, cniCodeFromNumber } from '@bosun/cni';

/** A timer source: Node's timers by default, a `FakeClock` (from `@bosun/api`) in tests. */
export interface ExecClock {
  setTimeout(fn: () => void, ms: number): { readonly id: number };
  clearTimeout(handle: { readonly id: number }): void;
}

/** Node's timers behind {@link ExecClock}. */
export function realExecClock(): ExecClock {
  const timers = new Map<number, NodeJS.Timeout>();
  let next = 1;
  return {
    setTimeout(fn, ms) {
      const id = next++;
      timers.set(id, setTimeout(() => (timers.delete(id), fn()), ms));
      return { id };
    },
    clearTimeout(handle) {
      clearTimeout(timers.get(handle.id));
      timers.delete(handle.id);
    },
  };
}

/** CNI_COMMAND values. */
export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'STATUS' | 'GC';

/** One run of a plugin binary. */
export interface PluginInvocation {
  command: CniCommand;
  /** Path of the binary (from {@link findPlugin}). */
  path: string;
  /** The plugin's `type`, for messages. */
  type: string;
  /** CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS (omitted when undefined). */
  containerId?: string;
  netns?: string;
  ifname?: string;
  args?: string;
  /** CNI_PATH entries. */
  binDirs: string[];
  /** The JSON written to stdin. */
  stdin: unknown;
  timeoutMs: number;
  clock: ExecClock;
}

/** Upper bound on what a plugin may print; a larger answer is refused rather than buffered. */
const MAX_OUTPUT = 4 * 1024 * 1024;

/**
 * The first executable file named `type` in `binDirs` (as libcni's FindInPath). Throws
 * `InvalidNetworkConfig` naming the directories searched when there is none.
 */
export function findPlugin(type: string, binDirs: string[]): string {
  for (const dir of binDirs) {
    const candidate = join(dir, type);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new CniError('InvalidNetworkConfig', `failed to find plugin "${type}" in path [${binDirs.join(' ')}]`);
}

function pluginEnv(inv: PluginInvocation): NodeJS.ProcessEnv {
  // Plugins need the host's PATH (iptables, ip) but never a CNI_* variable we did not set.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CNI_')) env[k] = v;
  env.CNI_COMMAND = inv.command;
  env.CNI_PATH = inv.binDirs.join(':');
  if (inv.containerId !== undefined) env.CNI_CONTAINERID = inv.containerId;
  if (inv.netns !== undefined) env.CNI_NETNS = inv.netns;
  if (inv.ifname !== undefined) env.CNI_IFNAME = inv.ifname;
  if (inv.args !== undefined) env.CNI_ARGS = inv.args;
  return env;
}

/** The CNI error a failed run stands for: the plugin's error JSON when it printed one, else its exit status and output. */
function failure(inv: PluginInvocation, exit: string, stdout: string, stderr: string): CniError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    parsed = undefined;
  }
  const e = parsed as { code?: unknown; msg?: unknown; details?: unknown } | undefined;
  if (e && typeof e === 'object' && typeof e.code === 'number') {
    const msg = typeof e.msg === 'string' && e.msg ? e.msg : `error code ${e.code}`;
    return new CniError(cniCodeFromNumber(e.code), `${inv.type} ${inv.command}: ${msg}`, {
      operation: inv.command,
      cniCode: e.code,
      details: typeof e.details === 'string' && e.details ? e.details : undefined,
    });
  }
  const text = (stderr.trim() || stdout.trim() || '(no output)').slice(0, 2000);
  return new CniError('Internal', `${inv.type} ${inv.command}: ${exit}: ${text}`, { operation: inv.command });
}

/**
 * Runs one plugin binary by the CNI exec protocol: CNI_* in the environment, the
 * configuration JSON on stdin. Resolves with the parsed stdout JSON on exit status 0
 * (`undefined` when the plugin printed nothing, as DEL and CHECK may); rejects with the
 * plugin's CNI error (its code, msg and details) on a non-zero status, `DecodeFailure`
 * when a successful plugin printed something that is not JSON, `IoFailure` when it
 * cannot be started, and `DeadlineExceeded` after `timeoutMs` (the process is killed).
 */
export function invokePlugin(inv: PluginInvocation): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(inv.path, [], { env: pluginEnv(inv), stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      // spawn throws (rather than emitting 'error') for arguments it cannot pass, e.g. a NUL in the environment.
      return reject(new CniError('IoFailure', `${inv.type} ${inv.command}: cannot run ${inv.path}: ${(e as Error).message}`, { operation: inv.command, cause: e }));
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      inv.clock.clearTimeout(timer);
      fn();
    };
    const timer = inv.clock.setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => reject(new CniError('DeadlineExceeded', `${inv.type} ${inv.command}: no answer within ${inv.timeoutMs} ms; killed`, { operation: inv.command })));
    }, inv.timeoutMs);
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT) {
        child.kill('SIGKILL');
        finish(() => reject(new CniError('DecodeFailure', `${inv.type} ${inv.command}: output larger than ${MAX_OUTPUT} bytes`, { operation: inv.command })));
        return;
      }
      into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.on('error', (e) => finish(() => reject(new CniError('IoFailure', `${inv.type} ${inv.command}: cannot run ${inv.path}: ${e.message}`, { operation: inv.command, cause: e }))));
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code !== 0) return finish(() => reject(failure(inv, signal ? `killed by ${signal}` : `exit status ${code}`, stdout, stderr)));
      if (stdout.trim() === '') return finish(() => resolve(undefined));
      try {
        const json = JSON.parse(stdout);
        finish(() => resolve(json));
      } catch (e) {
        finish(() => reject(new CniError('DecodeFailure', `${inv.type} ${inv.command}: output is not JSON: ${stdout.slice(0, 200)}`, { operation: inv.command, cause: e })));
      }
    });
    // A plugin that exits without reading stdin closes the pipe under us: that is its answer, not ours.
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify(inv.stdin));
  });
}
