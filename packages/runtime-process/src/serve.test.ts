import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCriClient } from '@bosun/cri';
import { describeCriConformance } from '@bosun/cri/conformance';
import { describe, expect, it } from 'vitest';
// Relative until @bosun/grpc-plugin's index exports spawnPlugin.
import { isPluginSpawnError, spawnPlugin } from '@bosun/grpc-plugin';
import { main, USAGE } from './serve';

const SERVE = fileURLToPath(new URL('./serve.ts', import.meta.url));

describeCriConformance('runtime-process as a separate process (raw mode)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-process-proc-'));
  const plugin = await spawnPlugin({
    module: SERVE,
    socketPath: join(dir, 'cri.sock'),
    args: ['--state-dir', join(dir, 'state'), '--isolation', 'off', '--kill-on-exit'],
  });
  return {
    endpoint: plugin.endpoint,
    image: 'busybox:1.36',
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

/** Runs one long-running raw-mode container through a fresh client and returns its id. */
async function startSleeper(endpoint: string): Promise<string> {
  const cri = createCriClient(endpoint);
  try {
    const sandbox = { metadata: { name: 'keep', namespace: 'default', uid: 'keep-1', attempt: 0 }, hostname: 'keep', labels: {}, annotations: {}, linux: {} };
    const sid = await cri.runtime.runPodSandbox(sandbox);
    const id = await cri.runtime.createContainer(sid, { metadata: { name: 'sleep', attempt: 0 }, image: { image: 'busybox:1.36' }, command: ['sleep', '600'] }, sandbox);
    await cri.runtime.startContainer(id);
    return id;
  } finally {
    cri.close();
  }
}

async function stateOf(endpoint: string, id: string): Promise<string | undefined> {
  const cri = createCriClient(endpoint);
  try {
    return (await cri.runtime.listContainers({ id })).find((c) => c.id === id)?.state;
  } finally {
    cri.close();
  }
}

describe('runtime-process serve entry', () => {
  it.each([
    ['an unknown flag', ['--socket', '/tmp/x.sock', '--state-dir', '/tmp/s', '--nope'], "Unknown option '--nope'"],
    ['no state dir', ['--socket', '/tmp/x.sock'], '--state-dir is required'],
    ['an isolation value other than on or off', ['--socket', '/tmp/x.sock', '--state-dir', '/tmp/s', '--isolation', 'yes'], '--isolation must be "on" or "off", got "yes"'],
    ['a flag without its value', ['--socket', '/tmp/x.sock', '--state-dir'], "'--state-dir <value>' argument missing"],
  ])('refuses %s with exit code 2 and the usage', async (_name, argv, message) => {
    const { err, io } = capture();
    expect(await main(argv, io)).toBe(2);
    expect(err.join('\n')).toContain(message);
    expect(err.join('\n')).toContain(USAGE);
  });

  it('exits 2 with the usage when started with bad flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-process-proc-'));
    try {
      const failed = await spawnPlugin({ module: SERVE, socketPath: join(dir, 'cri.sock'), args: ['--isolation', 'maybe'] }).catch((e: unknown) => e);
      expect(isPluginSpawnError(failed) && failed.exitCode).toBe(2);
      expect(isPluginSpawnError(failed) && failed.stderr).toContain('usage: runtime-process');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves containers running on SIGTERM for the next instance to adopt, and stops them with --kill-on-exit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-process-proc-'));
    const socketPath = join(dir, 'cri.sock');
    const args = ['--state-dir', join(dir, 'state'), '--isolation', 'off'];
    try {
      const first = await spawnPlugin({ module: SERVE, socketPath, args });
      expect(statSync(socketPath).mode & 0o777).toBe(0o600);
      const id = await startSleeper(first.endpoint);
      expect(await first.stop('SIGTERM')).toBe(0);
      expect(existsSync(socketPath)).toBe(false);

      const second = await spawnPlugin({ module: SERVE, socketPath, args: [...args, '--kill-on-exit'] });
      expect(await stateOf(second.endpoint, id)).toBe('CONTAINER_RUNNING');
      expect(await second.stop('SIGTERM')).toBe(0);

      const third = await spawnPlugin({ module: SERVE, socketPath, args: [...args, '--kill-on-exit'] });
      try {
        expect(await stateOf(third.endpoint, id)).toBe('CONTAINER_EXITED');
      } finally {
        await third.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
