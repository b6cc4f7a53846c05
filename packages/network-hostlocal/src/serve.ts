#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serveCni } from '@bosun/cni';
import { createHostLocalNetwork } from './network';

/** The help text printed on `--help` and, with exit code 2, on bad flags. */
export const USAGE = `usage: network-hostlocal --socket <path> --pod-cidr <cidr> --data-dir <dir> [options]
Serves host-local IPAM over Bosun's CNI gRPC contract on a unix socket.
  --socket <path>     absolute path of the unix socket (mode 0600; a stale socket is replaced)  [required]
  --pod-cidr <cidr>   this node's pod CIDR (node.spec.podCIDR), IPv4, /30 or larger  [required]
  --data-dir <dir>    where reservations persist; must survive restarts and belong to one node  [required]
  --network <name>    network name requests must carry (default bosun)
  --help              print this text
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
        'data-dir': { type: 'string' },
        'network': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return undefined;
  if (!values.socket) throw new UsageError('--socket is required');
  if (!isAbsolute(values.socket)) throw new UsageError(`--socket must be an absolute path, got "${values.socket}"`);
  if (!values['pod-cidr']) throw new UsageError('--pod-cidr is required');
  if (!values['data-dir']) throw new UsageError('--data-dir is required');
  return { socket: values.socket, podCIDR: values['pod-cidr'], dataDir: values['data-dir'], networkName: values.network };
}

/**
 * Runs the host-local network plugin as its own process: parses `argv` (flags only), serves on `--socket`,
 * prints `ready <socket>`, and on SIGTERM/SIGINT closes the server (removing the socket).
 * Resolves with the exit code: 0 after a clean stop, 2 on bad flags or options the plugin
 * refuses (usage on stderr), 1 when serving fails.
 */
export async function main(argv: readonly string[], io: ServeIo = processIo): Promise<number> {
  let flags;
  try {
    flags = parse(argv);
  } catch (err) {
    io.err(`network-hostlocal: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!flags) {
    io.out(USAGE);
    return 0;
  }
  let plugin;
  try {
    plugin = createHostLocalNetwork({ podCIDR: flags.podCIDR, dataDir: flags.dataDir, networkName: flags.networkName });
  } catch (err) {
    io.err(`network-hostlocal: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const stopped = io.stopped ?? untilSignal();
  let server;
  try {
    server = await serveCni(plugin, { socketPath: flags.socket, name: 'hostlocal' });
  } catch (err) {
    io.err(`network-hostlocal: cannot serve on ${flags.socket}: ${(err as Error).message}`);
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
