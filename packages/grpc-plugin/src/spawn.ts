import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Options of {@link spawnPlugin}. */
export interface SpawnPluginOptions {
  /**
   * The plugin's entry module: a path (or `file:` URL) of a `serve.ts` or a built `serve.js`
   * that exports `main(argv)` and runs it when started directly. A `.ts` module runs under
   * the tsx loader, resolved from this repository.
   */
  module: string;
  /** Flags after the module, without `--socket` (added from `socketPath`). */
  args?: readonly string[];
  /** Absolute path of the unix socket the plugin serves on. */
  socketPath: string;
  /** How long to wait for the `ready <socket>` line. Default 15 000 ms. */
  readyTimeoutMs?: number;
  /** Extra environment for the child (merged over this process's). */
  env?: NodeJS.ProcessEnv;
  /** tsconfig the tsx loader uses for `@bosun/*` paths. Default: the nearest one up from the module that declares `paths`. */
  tsconfig?: string;
}

/** A plugin running in its own process. */
export interface SpawnedPlugin {
  readonly pid: number;
  readonly socketPath: string;
  /** `unix:///path`, ready for `createCriClient` / `createCniClient` / `createCsiClient`. */
  readonly endpoint: string;
  /** The last few KiB the child wrote on stderr. */
  stderrTail(): string;
  /** Resolves with the exit code (or the signal name) once the child has exited. */
  readonly exited: Promise<number | NodeJS.Signals>;
  /**
   * Sends `signal` (default SIGTERM) to the child by PID and waits up to `timeoutMs`
   * (default 10 000) for it to exit; then sends SIGKILL and waits again. Idempotent:
   * stopping an exited plugin resolves at once. Resolves with how it exited.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | NodeJS.Signals>;
}

/** Why a plugin did not come up; `stderr` holds the tail of what it wrote. */
export class PluginSpawnError extends Error {
  override readonly name = 'PluginSpawnError';
  constructor(
    readonly code: 'ExitedBeforeReady' | 'ReadyTimeout' | 'SpawnFailed',
    message: string,
    readonly stderr: string,
    readonly exitCode?: number | NodeJS.Signals,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for errors thrown by {@link spawnPlugin}. */
export function isPluginSpawnError(err: unknown): err is PluginSpawnError {
  return err instanceof Error && err.name === 'PluginSpawnError';
}

const TAIL_BYTES = 8 * 1024;

function nearestTsconfigWithPaths(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'tsconfig.json');
    if (existsSync(candidate) && readFileSync(candidate, 'utf8').includes('"paths"')) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The node argv that runs `file`: a built `.js`/`.mjs` module runs as is; a `.ts` module
 * runs under the tsx loader (`--import <tsx>`), which must be resolvable from this package
 * (it is a root devDependency of the repository).
 */
export function pluginNodeArgs(file: string): string[] {
  if (!/\.[mc]?ts$/.test(file)) return [file];
  const tsx = createRequire(import.meta.url).resolve('tsx');
  return ['--import', pathToFileURL(tsx).href, file];
}

function modulePath(module: string): string {
  return module.startsWith('file:') ? fileURLToPath(module) : resolve(module);
}

/**
 * Starts a plugin's standalone entry as a child process (`process.execPath`), passes
 * `--socket <socketPath>` and `args`, and resolves once the child prints `ready <socket>`.
 * A child that exits first, or stays silent past `readyTimeoutMs` (then killed), rejects
 * with a {@link PluginSpawnError} carrying its stderr tail. The caller owns the child:
 * call `stop()`.
 */
export async function spawnPlugin(options: SpawnPluginOptions): Promise<SpawnedPlugin> {
  const file = modulePath(options.module);
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  const tsconfig = options.tsconfig ?? nearestTsconfigWithPaths(dirname(file));
  if (/\.[mc]?ts$/.test(file) && tsconfig && !env.TSX_TSCONFIG_PATH) env.TSX_TSCONFIG_PATH = tsconfig;
  const child = spawn(process.execPath, [...pluginNodeArgs(file), '--socket', options.socketPath, ...(options.args ?? [])], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-TAIL_BYTES);
  });
  const exited = new Promise<number | NodeJS.Signals>((done) => child.once('exit', (code, signal) => done(signal ?? code ?? 0)));
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  await waitForReady(child, options, exited, () => stderr, () => spawnError);
  const pid = child.pid!;
  let stopping: Promise<number | NodeJS.Signals> | undefined;
  return {
    pid,
    socketPath: options.socketPath,
    endpoint: `unix://${options.socketPath}`,
    stderrTail: () => stderr,
    exited,
    stop(signal = 'SIGTERM', timeoutMs = 10_000) {
      stopping ??= stopChild(pid, exited, signal, timeoutMs);
      return stopping;
    },
  };
}

function waitForReady(
  child: ChildProcess,
  options: SpawnPluginOptions,
  exited: Promise<number | NodeJS.Signals>,
  stderr: () => string,
  spawnError: () => Error | undefined,
): Promise<void> {
  const timeoutMs = options.readyTimeoutMs ?? 15_000;
  return new Promise<void>((resolveReady, reject) => {
    let stdout = '';
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      if (err) reject(err);
      else resolveReady();
    };
    const onData = (chunk: string) => {
      stdout += chunk;
      for (const line of stdout.split('\n').slice(0, -1)) if (line.trim() === `ready ${options.socketPath}`) settle();
      stdout = stdout.slice(stdout.lastIndexOf('\n') + 1);
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    // Keep draining stdout after ready so the child never blocks on a full pipe.
    child.stdout!.resume();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle(new PluginSpawnError('ReadyTimeout', `plugin ${options.module} did not print "ready ${options.socketPath}" within ${timeoutMs} ms${tailNote(stderr())}`, stderr()));
    }, timeoutMs);
    void exited.then(async (how) => {
      // Let the stderr pipe drain so the tail names the cause.
      await new Promise((r) => setTimeout(r, 20));
      const cause = spawnError();
      const code = cause ? 'SpawnFailed' : 'ExitedBeforeReady';
      const why = cause ? `could not start: ${cause.message}` : `exited (${how}) before it was ready`;
      settle(new PluginSpawnError(code, `plugin ${options.module} ${why}${tailNote(stderr())}`, stderr(), how, { cause }));
    });
  });
}

function tailNote(stderr: string): string {
  const tail = stderr.trim().split('\n').slice(-10).join('\n');
  return tail ? `; stderr:\n${tail}` : '';
}

async function stopChild(pid: number, exited: Promise<number | NodeJS.Signals>, signal: NodeJS.Signals, timeoutMs: number) {
  const kill = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      // already gone
    }
  };
  kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  const first = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (first !== 'timeout') return first;
  kill('SIGKILL');
  return exited;
}
