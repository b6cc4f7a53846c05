import { realpathSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** Where a plugin's `main` writes; the process's streams unless a test passes its own. */
export interface ServeIo {
  out(line: string): void;
  err(line: string): void;
  /** Resolves when the plugin should stop. Default: on SIGTERM or SIGINT. */
  stopped?: Promise<string>;
}

/** A bad flag or flag value: the plugin exits 2 and prints its usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The flag values `node:util` parseArgs hands back. */
export type FlagValues = Record<string, string | boolean | string[] | undefined>;

/** A plugin made from its flags: how to serve it on the socket, and what to release after. */
export interface StartedPlugin {
  /** Serves on `socket`; rejects when it cannot (the plugin exits 1). */
  serve(socket: string): Promise<{ close(): Promise<void> }>;
  /** Called after the server closed (or failed to open). */
  release?(): Promise<void> | void;
}

/** What one plugin's standalone entry declares; see {@link runPluginMain}. */
export interface PluginMainSpec<F> {
  /** Prefix of every message, e.g. `network-hostlocal`. */
  name: string;
  /** The help text printed on `--help` and, with exit code 2, on bad flags. */
  usage: string;
  /** parseArgs options besides `--socket` and `--help`. */
  options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
  /** Flags that must be present. */
  required?: readonly string[];
  /** The plugin's flags from the parsed values; throw {@link UsageError} on a bad value. */
  flags(values: FlagValues): F;
  /** Creates the plugin; a thrown error exits 2 with the usage (an option the plugin refuses). */
  start(flags: F, io: ServeIo): StartedPlugin | Promise<StartedPlugin>;
}

const processIo: ServeIo = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

function untilSignal(): Promise<string> {
  return new Promise((done) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGTERM', on).off('SIGINT', on);
      done(s);
    };
    process.on('SIGTERM', on).on('SIGINT', on);
  });
}

function parse<F>(spec: PluginMainSpec<F>, argv: readonly string[]): { socket: string; flags: F } | undefined {
  let values: FlagValues;
  try {
    ({ values } = parseArgs({ args: [...argv], strict: true, allowPositionals: false, options: { ...spec.options, socket: { type: 'string' }, help: { type: 'boolean' } } }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return undefined;
  const socket = values.socket;
  if (typeof socket !== 'string' || !socket) throw new UsageError('--socket is required');
  if (!isAbsolute(socket)) throw new UsageError(`--socket must be an absolute path, got "${socket}"`);
  for (const r of spec.required ?? []) if (!values[r]) throw new UsageError(`--${r} is required`);
  return { socket, flags: spec.flags(values) };
}

/**
 * Runs a plugin as its own process: parses `argv` (flags only), creates the plugin, serves
 * it on `--socket` (mode 0600), prints `ready <socket>`, and on SIGTERM/SIGINT (or
 * `io.stopped`) closes the server, removing the socket, then releases the plugin.
 * Resolves with the exit code: 0 after a clean stop or `--help`, 2 on bad flags or options
 * the plugin refuses (usage on stderr), 1 when serving fails.
 */
export async function runPluginMain<F>(spec: PluginMainSpec<F>, argv: readonly string[], io: ServeIo = processIo): Promise<number> {
  let parsed;
  try {
    parsed = parse(spec, argv);
  } catch (err) {
    io.err(`${spec.name}: ${(err as Error).message}\n${spec.usage}`);
    return 2;
  }
  if (!parsed) {
    io.out(spec.usage);
    return 0;
  }
  let plugin: StartedPlugin;
  try {
    plugin = await spec.start(parsed.flags, io);
  } catch (err) {
    io.err(`${spec.name}: ${(err as Error).message}\n${spec.usage}`);
    return 2;
  }
  const stopped = io.stopped ?? untilSignal();
  let server;
  try {
    server = await plugin.serve(parsed.socket);
  } catch (err) {
    await plugin.release?.();
    io.err(`${spec.name}: cannot serve on ${parsed.socket}: ${(err as Error).message}`);
    return 1;
  }
  io.out(`ready ${parsed.socket}`);
  await stopped;
  await server.close();
  await plugin.release?.();
  return 0;
}

/** Runs `main` with the process's arguments and exits with its code when `moduleUrl` is the entry script. */
export function runIfEntry(moduleUrl: string, main: (argv: readonly string[]) => Promise<number>): void {
  if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(moduleUrl)) {
    void main(process.argv.slice(2)).then((code) => process.exit(code));
  }
}
