#!/usr/bin/env node
import { serveCri } from '@bosun/cri';
import { runIfEntry, runPluginMain, type ServeIo } from '@bosun/grpc-plugin';
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

/**
 * Runs the fake runtime as its own process (see `runPluginMain`): serves CRI on
 * `--socket`. Resolves with the exit code.
 */
export function main(argv: readonly string[], io?: ServeIo): Promise<number> {
  return runPluginMain(
    {
      name: 'runtime-fake',
      usage: USAGE,
      options: { 'pod-cidr': { type: 'string' }, 'log-root': { type: 'string' }, name: { type: 'string' } },
      flags: (v) => ({ podCidr: v['pod-cidr'] as string | undefined, logRoot: v['log-root'] as string | undefined, name: v.name as string | undefined }),
      start: (flags) => {
        const runtime = createFakeRuntime({ podCidr: flags.podCidr, logRoot: flags.logRoot, runtimeName: flags.name });
        return {
          serve: (socketPath) => serveCri(runtime, { socketPath, name: flags.name ?? 'bosun-fake' }),
          release: () => runtime.dispose(),
        };
      },
    },
    argv,
    io,
  );
}

runIfEntry(import.meta.url, main);
