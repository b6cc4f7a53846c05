import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeCsiConformance } from '@bosun/csi/conformance';
import { describe, expect, it } from 'vitest';
// Relative until @bosun/grpc-plugin's index exports spawnPlugin (and this package depends on it).
import { isPluginSpawnError, spawnPlugin } from '@bosun/grpc-plugin';
import { main, USAGE } from './serve';

const SERVE = fileURLToPath(new URL('./serve.ts', import.meta.url));

describeCsiConformance('storage-hostpath as a separate process (symlink mode)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-hostpath-proc-'));
  const plugin = await spawnPlugin({
    module: SERVE,
    socketPath: join(dir, 'csi.sock'),
    args: ['--node-id', 'node-1', '--root-dir', join(dir, 'root'), '--capacity-bytes', String(64 * 1024 * 1024), '--publish-mode', 'symlink'],
  });
  return {
    endpoint: plugin.endpoint,
    readonlyPublish: false,
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

const required = ['--socket', '/tmp/x.sock', '--node-id', 'n1', '--root-dir', '/tmp/r'];

describe('storage-hostpath serve entry', () => {
  it.each([
    ['an unknown flag', [...required, '--nope'], "Unknown option '--nope'"],
    ['no node id', ['--socket', '/tmp/x.sock', '--root-dir', '/tmp/r'], '--node-id is required'],
    ['no root dir', ['--socket', '/tmp/x.sock', '--node-id', 'n1'], '--root-dir is required'],
    ['a capacity that is not a number', [...required, '--capacity-bytes', '1Gi'], '--capacity-bytes must be a positive integer, got "1Gi"'],
    ['an unknown publish mode', [...required, '--publish-mode', 'copy'], '--publish-mode must be one of auto, bind, symlink, got "copy"'],
  ])('refuses %s with exit code 2 and the usage', async (_name, argv, message) => {
    const { err, io } = capture();
    expect(await main(argv, io)).toBe(2);
    expect(err.join('\n')).toContain(message);
    expect(err.join('\n')).toContain(USAGE);
  });

  it('exits 2 with the usage when started with a bad flag, and SIGTERM removes the socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-hostpath-proc-'));
    try {
      const socketPath = join(dir, 'csi.sock');
      const args = ['--node-id', 'n1', '--root-dir', join(dir, 'root')];
      const failed = await spawnPlugin({ module: SERVE, socketPath, args: [...args, '--publish-mode', 'copy'] }).catch((e: unknown) => e);
      expect(isPluginSpawnError(failed) && failed.exitCode).toBe(2);
      expect(isPluginSpawnError(failed) && failed.stderr).toContain('usage: storage-hostpath');

      const plugin = await spawnPlugin({ module: SERVE, socketPath, args });
      expect(statSync(socketPath).mode & 0o777).toBe(0o600);
      expect(await plugin.stop('SIGINT')).toBe(0);
      expect(existsSync(socketPath)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
