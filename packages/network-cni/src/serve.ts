#!/usr/bin/env node
import { serveCni } from '@bosun/cni';
import { UsageError, runIfEntry, runPluginMain, type ServeIo } from '@bosun/grpc-plugin';
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

/**
 * Runs the real-CNI adapter as its own process (see `runPluginMain`): serves Bosun's CNI
 * contract on `--socket` by running the conflist's plugin binaries. Resolves with the exit code.
 */
export function main(argv: readonly string[], io?: ServeIo): Promise<number> {
  return runPluginMain(
    {
      name: 'network-cni',
      usage: USAGE,
      options: { conflist: { type: 'string' }, 'cache-dir': { type: 'string' }, 'timeout-ms': { type: 'string' }, 'bin-dir': { type: 'string', multiple: true } },
      required: ['conflist', 'cache-dir'],
      flags: (v) => {
        const timeout = v['timeout-ms'] as string | undefined;
        if (timeout !== undefined && !/^[1-9][0-9]*$/.test(timeout)) throw new UsageError(`--timeout-ms must be a positive integer, got "${timeout}"`);
        return { conflist: v.conflist as string, cacheDir: v['cache-dir'] as string, binDirs: v['bin-dir'] as string[] | undefined, timeoutMs: timeout === undefined ? undefined : Number(timeout) };
      },
      start: (flags) => {
        const plugin = createCniExecPlugin({ confListPath: flags.conflist, cacheDir: flags.cacheDir, binDirs: flags.binDirs, timeoutMs: flags.timeoutMs });
        return { serve: (socketPath) => serveCni(plugin, { socketPath, name: 'network-cni' }) };
      },
    },
    argv,
    io,
  );
}

runIfEntry(import.meta.url, main);
