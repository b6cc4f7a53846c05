#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serveCsi } from '@bosun/csi';
import { createHostPathDriver, type HostPathPublishMode } from './driver';

/** The help text printed on `--help` and, with exit code 2, on bad flags. */
export const USAGE = `usage: storage-hostpath --socket <path> --node-id <id> --root-dir <dir> [options]
Serves the hostpath CSI driver (Identity, Controller, Node) on a unix socket.
  --socket <path>            absolute path of the unix socket (mode 0600; a stale socket is replaced)  [required]
  --node-id <id>             this node's id (NodeGetInfo, topology)  [required]
  --root-dir <dir>           holds volumes/<id>/ and state.json  [required]
  --capacity-bytes <n>       total bytes all volumes may claim (default unlimited)
  --publish-mode <mode>      auto | bind | symlink (default auto)
  --stage-unstage            advertise STAGE_UNSTAGE_VOLUME
  --driver-name <name>       plugin name (default hostpath.csi.bosun.dev)
  --help                     print this text
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

const PUBLISH_MODES: readonly HostPathPublishMode[] = ['auto', 'bind', 'symlink'];

function parse(argv: readonly string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        socket: { type: 'string' },
        'node-id': { type: 'string' },
        'root-dir': { type: 'string' },
        'capacity-bytes': { type: 'string' },
        'publish-mode': { type: 'string' },
        'stage-unstage': { type: 'boolean' },
        'driver-name': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return undefined;
  if (!values.socket) throw new UsageError('--socket is required');
  if (!isAbsolute(values.socket)) throw new UsageError(`--socket must be an absolute path, got "${values.socket}"`);
  if (!values['node-id']) throw new UsageError('--node-id is required');
  if (!values['root-dir']) throw new UsageError('--root-dir is required');
  const capacity = values['capacity-bytes'];
  if (capacity !== undefined && !/^[1-9][0-9]*$/.test(capacity)) throw new UsageError(`--capacity-bytes must be a positive integer, got "${capacity}"`);
  const mode = values['publish-mode'];
  if (mode !== undefined && !PUBLISH_MODES.includes(mode as HostPathPublishMode)) throw new UsageError(`--publish-mode must be one of ${PUBLISH_MODES.join(', ')}, got "${mode}"`);
  return {
    socket: values.socket,
    nodeId: values['node-id'],
    rootDir: values['root-dir'],
    capacityBytes: capacity === undefined ? undefined : Number(capacity),
    publishMode: mode as HostPathPublishMode | undefined,
    stageUnstage: values['stage-unstage'] ?? false,
    name: values['driver-name'],
  };
}

/**
 * Runs the hostpath CSI driver as its own process: parses `argv` (flags only), serves on `--socket`,
 * prints `ready <socket>`, and on SIGTERM/SIGINT closes the server (removing the socket).
 * Volumes and their publications stay in place: a new instance on the same `--root-dir`
 * finds them in its state.
 * Resolves with the exit code: 0 after a clean stop, 2 on bad flags or options the plugin
 * refuses (usage on stderr), 1 when serving fails.
 */
export async function main(argv: readonly string[], io: ServeIo = processIo): Promise<number> {
  let flags;
  try {
    flags = parse(argv);
  } catch (err) {
    io.err(`storage-hostpath: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!flags) {
    io.out(USAGE);
    return 0;
  }
  let plugin;
  try {
    plugin = createHostPathDriver({ nodeId: flags.nodeId, rootDir: flags.rootDir, capacityBytes: flags.capacityBytes, publishMode: flags.publishMode, stageUnstage: flags.stageUnstage, name: flags.name });
  } catch (err) {
    io.err(`storage-hostpath: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const stopped = io.stopped ?? untilSignal();
  let server;
  try {
    server = await serveCsi(plugin, { socketPath: flags.socket, name: 'hostpath' });
  } catch (err) {
    io.err(`storage-hostpath: cannot serve on ${flags.socket}: ${(err as Error).message}`);
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
