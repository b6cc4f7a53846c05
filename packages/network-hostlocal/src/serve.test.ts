import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeCniConformance } from '@bosun/cni/conformance';
import { describe, expect, it } from 'vitest';
// Relative until @bosun/grpc-plugin's index exports spawnPlugin (and this package depends on it).
import { isPluginSpawnError, spawnPlugin } from '@bosun/grpc-plugin';
import { main, USAGE } from './serve';

const SERVE = fileURLToPath(new URL('./serve.ts', import.meta.url));

describeCniConformance('network-hostlocal as a separate process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-hostlocal-proc-'));
  const plugin = await spawnPlugin({
    module: SERVE,
    socketPath: join(dir, 'net.sock'),
    args: ['--pod-cidr', '10.98.0.0/29', '--data-dir', join(dir, 'data')],
  });
  return {
    endpoint: plugin.endpoint,
    subnet: '10.98.0.0/29',
    capacity: 5, // /29 without the network, gateway and broadcast addresses
    networkName: 'bosun',
    duplicateAdd: 'error',
    async teardown() {
      await plugin.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

function capture() {
  const err: string[] = [];
  return { err, io: { out: () => undefined, err: (l: string) => err.push(l), stopped: Promise.resolve('test') } };
}

describe('network-hostlocal serve entry', () => {
  it.each([
    ['an unknown flag', ['--socket', '/tmp/x.sock', '--pod-cidr', '10.0.0.0/24', '--data-dir', '/tmp/d', '--nope'], "Unknown option '--nope'"],
    ['no pod CIDR', ['--socket', '/tmp/x.sock', '--data-dir', '/tmp/d'], '--pod-cidr is required'],
    ['no data dir', ['--socket', '/tmp/x.sock', '--pod-cidr', '10.0.0.0/24'], '--data-dir is required'],
    ['a pod CIDR that is not one', ['--socket', '/tmp/x.sock', '--pod-cidr', '10.0.0.0/33', '--data-dir', '/tmp/d'], '10.0.0.0/33'],
  ])('refuses %s with exit code 2 and the usage', async (_name, argv, message) => {
    const { err, io } = capture();
    expect(await main(argv, io)).toBe(2);
    expect(err.join('\n')).toContain(message);
    expect(err.join('\n')).toContain(USAGE);
  });

  it('exits 2 with the usage when started without its required flags, and SIGTERM removes the socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-hostlocal-proc-'));
    try {
      const socketPath = join(dir, 'net.sock');
      const failed = await spawnPlugin({ module: SERVE, socketPath }).catch((e: unknown) => e);
      expect(isPluginSpawnError(failed) && failed.exitCode).toBe(2);
      expect(isPluginSpawnError(failed) && failed.stderr).toContain('usage: network-hostlocal');

      const plugin = await spawnPlugin({ module: SERVE, socketPath, args: ['--pod-cidr', '10.98.1.0/24', '--data-dir', join(dir, 'data')] });
      expect(statSync(socketPath).mode & 0o777).toBe(0o600);
      expect(await plugin.stop('SIGTERM')).toBe(0);
      expect(existsSync(socketPath)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
