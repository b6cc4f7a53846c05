#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serveCni } from '@bosun/cni';
import { createCniExecPlugin } from './exec-plugin';

/** The help text printed on `--help` and, with exit code 2, on bad flags. */
export const USAGE = `usage: network-cni --socket <path> --conflist <file> --cache-dir <dir> [options]
Serves Bosun's CNI gRPC contract by running real CNI plugin binaries (the CNI exec protocol).
  --socket <path>      absolute path of the unix socket (mode 0600; a stale socket is replaced)  [required]
  --conflist <file>    a .conflist (or single .conf) file, read once at start  [required]
  --cache-dir <dir>    result cache (libcni layout); must survive restarts  [required]
  --bin-dir <dir>      directory searched for plugin binaries; repeatable (default /opt/cni/bin, /usr/lib/cni)
  --timeout-ms <n>     how long one plugin run may take (default 60000)
  --help               print this text
Prints "ready <socket>" on stdout once serving; SIGTERM or SIGINT stops it and removes the socket.`;

/** Where {@link main} writes; the process's streams unless a test passes its own. */
export interface ServeIo {
  out(line: string): void;
  err(line: string): void;
  /** Resolves when the plugin should stop. Default: on SIGTERM or SIGINT. */
  stopped?: Promise<string>;
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

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function parse(argv: readonly string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        socket: { type: 'string' },
        'conflist': { type: 'string' },
        'cache-dir': { type: 'string' },
        'timeout-ms': { type: 'string' },
        'bin-dir': { type: 'string', multiple: true },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return undefined;
  if (!values.socket) throw new UsageError('--socket is required');
  if (!isAbsolute(values.socket)) throw new UsageError(`--socket must be an absolute path, got "${values.socket}"`);
  if (!values.conflist) throw new UsageError('--conflist is required');
  if (!values['cache-dir']) throw new UsageError('--cache-dir is required');
  const timeout = values['timeout-ms'];
  if (timeout !== undefined && !/^[1-9][0-9]*$/.test(timeout)) throw new UsageError(`--timeout-ms must be a positive integer, got "${timeout}"`);
  return {
    socket: values.socket,
    conflist: values.conflist,
    cacheDir: values['cache-dir'],
    binDirs: values['bin-dir'],
    timeoutMs: timeout === undefined ? undefined : Number(timeout),
  };
}

/**
 * Runs the CNI exec adapter as its own process: parses `argv` (flags only), serves on `--socket`,
 * prints `ready <socket>`, and on SIGTERM/SIGINT closes the server (removing the socket).
 * Resolves with the exit code: 0 after a clean stop, 2 on bad flags or options the plugin
 * refuses (usage on stderr), 1 when serving fails.
 */
export async function main(argv: readonly string[], io: ServeIo = processIo): Promise<number> {
  let flags;
  try {
    flags = parse(argv);
  } catch (err) {
    io.err(`network-cni: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!flags) {
    io.out(USAGE);
    return 0;
  }
  let plugin;
  try {
    plugin = createCniExecPlugin({ confListPath: flags.conflist, cacheDir: flags.cacheDir, binDirs: flags.binDirs, timeoutMs: flags.timeoutMs });
  } catch (err) {
    io.err(`network-cni: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const stopped = io.stopped ?? untilSignal();
  let server;
  try {
    server = await serveCni(plugin, { socketPath: flags.socket, name: 'network-cni' });
  } catch (err) {
    io.err(`network-cni: cannot serve on ${flags.socket}: ${(err as Error).message}`);
    return 1;
  }
  io.out(`ready ${flags.socket}`);
  await stopped;
  await server.close();
  return 0;
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
