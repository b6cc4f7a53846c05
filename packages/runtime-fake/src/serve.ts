#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serveCri } from '@bosun/cri';
import { createFakeRuntime } from './fake-runtime';

/** The help text printed on `--help` and, with exit code 2, on bad flags. */
export const USAGE = `usage: runtime-fake --socket <path> [options]
Serves the simulated CRI runtime (RuntimeService + ImageService) on a unix socket.
  --socket <path>      absolute path of the unix socket (mode 0600; a stale socket is replaced)  [required]
  --pod-cidr <cidr>    IPv4 CIDR pod IPs come from (default 10.88.0.0/16)
  --log-root <dir>     write CRI-format container logs under this directory (default: no files)
  --name <name>        runtime name reported by Version (default bosun-fake)
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
        'pod-cidr': { type: 'string' },
        'log-root': { type: 'string' },
        name: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return undefined;
  if (!values.socket) throw new UsageError('--socket is required');
  if (!isAbsolute(values.socket)) throw new UsageError(`--socket must be an absolute path, got "${values.socket}"`);
  return { socket: values.socket, podCidr: values['pod-cidr'], logRoot: values['log-root'], name: values.name };
}

/**
 * Runs the fake runtime as its own process: parses `argv` (flags only), serves CRI on
 * `--socket`, prints `ready <socket>`, and on SIGTERM/SIGINT closes the server (removing
 * the socket). Resolves with the exit code: 0 after a clean stop, 2 on bad flags (with
 * the usage on stderr), 1 when serving fails.
 */
export async function main(argv: readonly string[], io: ServeIo = processIo): Promise<number> {
  let flags;
  try {
    flags = parse(argv);
  } catch (err) {
    io.err(`runtime-fake: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!flags) {
    io.out(USAGE);
    return 0;
  }
  let runtime;
  try {
    runtime = createFakeRuntime({ podCidr: flags.podCidr, logRoot: flags.logRoot, runtimeName: flags.name });
  } catch (err) {
    io.err(`runtime-fake: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const stopped = io.stopped ?? untilSignal();
  let server;
  try {
    server = await serveCri(runtime, { socketPath: flags.socket, name: flags.name ?? 'bosun-fake' });
  } catch (err) {
    runtime.dispose();
    io.err(`runtime-fake: cannot serve on ${flags.socket}: ${(err as Error).message}`);
    return 1;
  }
  io.out(`ready ${flags.socket}`);
  await stopped;
  await server.close();
  runtime.dispose();
  return 0;
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
