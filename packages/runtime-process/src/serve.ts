#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createCniClient, type CniClient } from '@bosun/cni';
import { serveCri } from '@bosun/cri';
import { createProcessRuntime, type ProcessRuntime } from './process-runtime';

/** The help text printed on `--help` and, with exit code 2, on bad flags. */
export const USAGE = `usage: runtime-process --socket <path> --state-dir <dir> [options]
Serves the process runtime (CRI RuntimeService + ImageService) on a unix socket.
  --socket <path>          absolute path of the unix socket (mode 0600; a stale socket is replaced)  [required]
  --state-dir <dir>        persisted state, container directories and images  [required]
  --node-name <name>       the node this runtime serves (bridge name, CNI args)
  --network-socket <path>  reach a network plugin over the CNI gRPC contract (unix socket path or unix:// endpoint)
  --isolation on|off       run pods in namespaces (default: on when root and unshare/nsenter exist)
  --image-dir <dir>        image store (default <state-dir>/images)
  --log-root <dir>         relative sandbox log directories resolve here (default <state-dir>/logs)
  --kill-on-exit           on SIGTERM/SIGINT stop every container too (default: leave them running for the next instance to adopt)
  --help                   print this text
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
        'state-dir': { type: 'string' },
        'node-name': { type: 'string' },
        'network-socket': { type: 'string' },
        isolation: { type: 'string' },
        'image-dir': { type: 'string' },
        'log-root': { type: 'string' },
        'kill-on-exit': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return undefined;
  if (!values.socket) throw new UsageError('--socket is required');
  if (!isAbsolute(values.socket)) throw new UsageError(`--socket must be an absolute path, got "${values.socket}"`);
  if (!values['state-dir']) throw new UsageError('--state-dir is required');
  const isolation = values.isolation;
  if (isolation !== undefined && isolation !== 'on' && isolation !== 'off') throw new UsageError(`--isolation must be "on" or "off", got "${isolation}"`);
  return {
    socket: values.socket,
    stateDir: values['state-dir'],
    nodeName: values['node-name'],
    networkSocket: values['network-socket'],
    isolation: isolation === undefined ? undefined : isolation === 'on',
    imageDir: values['image-dir'],
    logRoot: values['log-root'],
    killOnExit: values['kill-on-exit'] ?? false,
  };
}

/**
 * Runs the process runtime as its own process: parses `argv` (flags only), serves CRI on
 * `--socket`, prints `ready <socket>`, and on SIGTERM/SIGINT closes the server (removing
 * the socket) and the runtime. Containers keep running unless `--kill-on-exit`: a new
 * instance on the same `--state-dir` adopts them. Resolves with the exit code: 0 after a
 * clean stop, 2 on bad flags (usage on stderr), 1 when serving fails.
 */
export async function main(argv: readonly string[], io: ServeIo = processIo): Promise<number> {
  let flags;
  try {
    flags = parse(argv);
  } catch (err) {
    io.err(`runtime-process: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!flags) {
    io.out(USAGE);
    return 0;
  }
  let network: CniClient | undefined;
  let runtime: ProcessRuntime;
  try {
    network = flags.networkSocket ? createCniClient(flags.networkSocket) : undefined;
    runtime = createProcessRuntime({
      stateDir: flags.stateDir,
      nodeName: flags.nodeName,
      network,
      isolation: flags.isolation,
      imageDir: flags.imageDir,
      logRoot: flags.logRoot,
    });
  } catch (err) {
    network?.close();
    io.err(`runtime-process: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (flags.isolation === undefined && !runtime.info.isolation) io.err(`runtime-process: isolation off: ${runtime.info.isolationReason}`);
  const stopped = io.stopped ?? untilSignal();
  let server;
  try {
    server = await serveCri(runtime, { socketPath: flags.socket, name: 'bosun-process' });
  } catch (err) {
    await runtime.close();
    network?.close();
    io.err(`runtime-process: cannot serve on ${flags.socket}: ${(err as Error).message}`);
    return 1;
  }
  io.out(`ready ${flags.socket}`);
  await stopped;
  await server.close();
  if (flags.killOnExit) await runtime.shutdown({ killAll: true });
  else await runtime.close();
  network?.close();
  return 0;
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
