#!/usr/bin/env node
import { createCniClient, type CniClient } from '@bosun/cni';
import { serveCri } from '@bosun/cri';
import { UsageError, runIfEntry, runPluginMain, type ServeIo } from '@bosun/grpc-plugin';
import { createProcessRuntime } from './process-runtime';

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

/**
 * Runs the process runtime as its own process (see `runPluginMain`): serves CRI on
 * `--socket`; on SIGTERM/SIGINT closes the server and the runtime. Containers keep running
 * unless `--kill-on-exit`: a new instance on the same `--state-dir` adopts them. Resolves
 * with the exit code.
 */
export function main(argv: readonly string[], io?: ServeIo): Promise<number> {
  return runPluginMain(
    {
      name: 'runtime-process',
      usage: USAGE,
      options: {
        'state-dir': { type: 'string' },
        'node-name': { type: 'string' },
        'network-socket': { type: 'string' },
        isolation: { type: 'string' },
        'image-dir': { type: 'string' },
        'log-root': { type: 'string' },
        'kill-on-exit': { type: 'boolean' },
      },
      required: ['state-dir'],
      flags: (v) => {
        const isolation = v.isolation as string | undefined;
        if (isolation !== undefined && isolation !== 'on' && isolation !== 'off') throw new UsageError(`--isolation must be "on" or "off", got "${isolation}"`);
        return {
          stateDir: v['state-dir'] as string,
          nodeName: v['node-name'] as string | undefined,
          networkSocket: v['network-socket'] as string | undefined,
          isolation: isolation === undefined ? undefined : isolation === 'on',
          imageDir: v['image-dir'] as string | undefined,
          logRoot: v['log-root'] as string | undefined,
          killOnExit: (v['kill-on-exit'] as boolean | undefined) ?? false,
        };
      },
      start: (flags, out) => {
        let network: CniClient | undefined;
        try {
          network = flags.networkSocket ? createCniClient(flags.networkSocket) : undefined;
          const runtime = createProcessRuntime({ stateDir: flags.stateDir, nodeName: flags.nodeName, network, isolation: flags.isolation, imageDir: flags.imageDir, logRoot: flags.logRoot });
          if (flags.isolation === undefined && !runtime.info.isolation) out.err(`runtime-process: isolation off: ${runtime.info.isolationReason}`);
          return {
            serve: (socketPath) => serveCri(runtime, { socketPath, name: 'bosun-process' }),
            release: async () => {
              if (flags.killOnExit) await runtime.shutdown({ killAll: true });
              else await runtime.close();
              network?.close();
            },
          };
        } catch (err) {
          network?.close();
          throw err;
        }
      },
    },
    argv,
    io,
  );
}

runIfEntry(import.meta.url, main);
