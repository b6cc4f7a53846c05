import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeCriConformance } from '@bosun/cri/conformance';
import { describe, expect, it } from 'vitest';
// Relative until @bosun/grpc-plugin's index exports spawnPlugin (and this package depends on it).
import { isPluginSpawnError, spawnPlugin } from '@bosun/grpc-plugin';
import { FakeAnnotations } from './annotations';
import { main, USAGE } from './serve';

const SERVE = fileURLToPath(new URL('./serve.ts', import.meta.url));

describeCriConformance('runtime-fake as a separate process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-fake-proc-'));
  const plugin = await spawnPlugin({ module: SERVE, socketPath: join(dir, 'cri.sock') });
  return {
    endpoint: plugin.endpoint,
    image: 'busybox:1.36',
    scripts: {
      ignoreSigterm: { [FakeAnnotations.ignoreSigterm]: 'true' },
      exec: { [`${FakeAnnotations.execPrefix}sh`]: JSON.stringify({ stdout: 'out\n', stderr: 'err\n', exitCode: 3 }) },
    },
    async teardown() {
      await plugin.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), stopped: Promise.resolve('test') } };
}

describe('runtime-fake serve entry', () => {
  it.each([
    ['an unknown flag', ['--socket', '/tmp/x.sock', '--bogus'], "Unknown option '--bogus'"],
    ['no socket', [], '--socket is required'],
    ['a relative socket', ['--socket', 'x.sock'], 'must be an absolute path'],
    ['a positional argument', ['--socket', '/tmp/x.sock', 'extra'], 'extra'],
    ['a bad pod CIDR', ['--socket', '/tmp/x.sock', '--pod-cidr', 'ten'], 'ten'],
  ])('refuses %s with exit code 2 and the usage', async (_name, argv, message) => {
    const { err, io } = capture();
    expect(await main(argv, io)).toBe(2);
    expect(err.join('\n')).toContain(message);
    expect(err.join('\n')).toContain(USAGE);
  });

  it('exits 2 with the usage on stderr when started with bad flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-fake-proc-'));
    try {
      const failed = await spawnPlugin({ module: SERVE, socketPath: join(dir, 'cri.sock'), args: ['--pod-cidr'] }).catch((e: unknown) => e);
      expect(isPluginSpawnError(failed) && failed.exitCode).toBe(2);
      expect(isPluginSpawnError(failed) && failed.stderr).toContain('usage: runtime-fake');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a socket it cannot bind as a failure before ready (exit 1)', async () => {
    const failed = await spawnPlugin({ module: SERVE, socketPath: '/nonexistent-bosun-dir/cri.sock' }).catch((e: unknown) => e);
    expect(isPluginSpawnError(failed) && failed.code).toBe('ExitedBeforeReady');
    expect(isPluginSpawnError(failed) && failed.exitCode).toBe(1);
    expect(String((failed as Error).message)).toContain('cannot serve on /nonexistent-bosun-dir/cri.sock');
  });

  it('serves on a 0600 socket and removes it when stopped with SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-fake-proc-'));
    try {
      const socketPath = join(dir, 'cri.sock');
      const plugin = await spawnPlugin({ module: SERVE, socketPath });
      expect(statSync(socketPath).mode & 0o777).toBe(0o600);
      expect(await plugin.stop('SIGTERM')).toBe(0);
      expect(existsSync(socketPath)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
