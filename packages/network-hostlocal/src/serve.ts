#!/usr/bin/env node
import { serveCni } from '@bosun/cni';
import { runIfEntry, runPluginMain, type ServeIo } from '@bosun/grpc-plugin';
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

/**
 * Runs the host-local network plugin as its own process (see `runPluginMain`): serves
 * Bosun's CNI contract on `--socket`. Resolves with the exit code.
 */
export function main(argv: readonly string[], io?: ServeIo): Promise<number> {
  return runPluginMain(
    {
      name: 'network-hostlocal',
      usage: USAGE,
      options: { 'pod-cidr': { type: 'string' }, 'data-dir': { type: 'string' }, network: { type: 'string' } },
      required: ['pod-cidr', 'data-dir'],
      flags: (v) => ({ podCIDR: v['pod-cidr'] as string, dataDir: v['data-dir'] as string, networkName: v.network as string | undefined }),
      start: (flags) => {
        const plugin = createHostLocalNetwork(flags);
        return { serve: (socketPath) => serveCni(plugin, { socketPath, name: 'hostlocal' }) };
      },
    },
    argv,
    io,
  );
}

runIfEntry(import.meta.url, main);
