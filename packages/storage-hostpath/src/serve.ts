#!/usr/bin/env node
import { serveCsi } from '@bosun/csi';
import { UsageError, runIfEntry, runPluginMain, type ServeIo } from '@bosun/grpc-plugin';
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

const PUBLISH_MODES: readonly HostPathPublishMode[] = ['auto', 'bind', 'symlink'];

/**
 * Runs the hostpath CSI driver as its own process (see `runPluginMain`): serves CSI
 * Identity, Controller and Node on `--socket`. Resolves with the exit code.
 */
export function main(argv: readonly string[], io?: ServeIo): Promise<number> {
  return runPluginMain(
    {
      name: 'storage-hostpath',
      usage: USAGE,
      options: {
        'node-id': { type: 'string' },
        'root-dir': { type: 'string' },
        'capacity-bytes': { type: 'string' },
        'publish-mode': { type: 'string' },
        'stage-unstage': { type: 'boolean' },
        'driver-name': { type: 'string' },
      },
      required: ['node-id', 'root-dir'],
      flags: (v) => {
        const capacity = v['capacity-bytes'] as string | undefined;
        if (capacity !== undefined && !/^[1-9][0-9]*$/.test(capacity)) throw new UsageError(`--capacity-bytes must be a positive integer, got "${capacity}"`);
        const mode = v['publish-mode'] as string | undefined;
        if (mode !== undefined && !PUBLISH_MODES.includes(mode as HostPathPublishMode)) throw new UsageError(`--publish-mode must be one of ${PUBLISH_MODES.join(', ')}, got "${mode}"`);
        return {
          nodeId: v['node-id'] as string,
          rootDir: v['root-dir'] as string,
          capacityBytes: capacity === undefined ? undefined : Number(capacity),
          publishMode: mode as HostPathPublishMode | undefined,
          stageUnstage: (v['stage-unstage'] as boolean | undefined) ?? false,
          name: v['driver-name'] as string | undefined,
        };
      },
      start: (flags) => {
        const driver = createHostPathDriver(flags);
        return { serve: (socketPath) => serveCsi(driver, { socketPath, name: 'hostpath' }) };
      },
    },
    argv,
    io,
  );
}

runIfEntry(import.meta.url, main);
