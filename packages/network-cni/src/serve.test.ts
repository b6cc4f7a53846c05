import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCniClient } from '@bosun/cni';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Relative until @bosun/grpc-plugin's index exports spawnPlugin (and this package depends on it).
import { isPluginSpawnError, spawnPlugin } from '@bosun/grpc-plugin';
import { readRuns, writeFakePlugins } from './fake-plugins.test-util';
import { main, USAGE } from './serve';

const SERVE = fileURLToPath(new URL('./serve.ts', import.meta.url));

let dir: string;
let bin: string;
let log: string;
let conflist: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bosun-network-cni-proc-'));
  bin = join(dir, 'bin');
  log = join(dir, 'runs.log');
  conflist = join(dir, 'fakenet.conflist');
  writeFakePlugins(bin, ['fake-main', 'fake-meta']);
  writeFileSync(
    conflist,
    JSON.stringify({ cniVersion: '1.0.0', name: 'fakenet', plugins: [{ type: 'fake-main', log, ip: '10.50.0.7/24', gw: '10.50.0.1' }, { type: 'fake-meta', log }] }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const err: string[] = [];
  return { err, io: { out: () => undefined, err: (l: string) => err.push(l), stopped: Promise.resolve('test') } };
}

describe('network-cni serve entry', () => {
  it.each([
    ['an unknown flag', ['--socket', '/tmp/x.sock', '--conflist', '/tmp/c', '--cache-dir', '/tmp/c', '--nope'], "Unknown option '--nope'"],
    ['no conflist', ['--socket', '/tmp/x.sock', '--cache-dir', '/tmp/c'], '--conflist is required'],
    ['no cache dir', ['--socket', '/tmp/x.sock', '--conflist', '/tmp/c'], '--cache-dir is required'],
    ['a timeout that is not a number', ['--socket', '/tmp/x.sock', '--conflist', '/tmp/c', '--cache-dir', '/tmp/c', '--timeout-ms', '5s'], '--timeout-ms must be a positive integer'],
    ['a conflist file that does not exist', ['--socket', '/tmp/x.sock', '--conflist', '/nonexistent/bosun.conflist', '--cache-dir', '/tmp/c'], 'cannot read /nonexistent/bosun.conflist'],
  ])('refuses %s with exit code 2 and the usage', async (_name, argv, message) => {
    const { err, io } = capture();
    expect(await main(argv, io)).toBe(2);
    expect(err.join('\n')).toContain(message);
    expect(err.join('\n')).toContain(USAGE);
  });

  it('runs the conflist binaries for ADD and DEL called over its socket, and SIGTERM removes the socket', async () => {
    const socketPath = join(dir, 'net.sock');
    const plugin = await spawnPlugin({ module: SERVE, socketPath, args: ['--conflist', conflist, '--cache-dir', join(dir, 'cache'), '--bin-dir', join(dir, 'empty'), '--bin-dir', bin] });
    const net = createCniClient(plugin.endpoint);
    try {
      expect(statSync(socketPath).mode & 0o777).toBe(0o600);
      const config = { containerId: 'sandbox-1', ifname: 'eth0', netns: '/var/run/netns/bosun-none', args: { K8S_POD_NAME: 'web' } };
      const result = await net.add(config);
      expect(result.ips.map((ip) => ip.address)).toEqual(['10.50.0.7/24']);
      expect(readdirSync(join(dir, 'cache', 'results'))).toHaveLength(1);
      await net.del(config);
      expect(readRuns(log).map((r) => `${r.type} ${r.env.CNI_COMMAND}`)).toEqual(['fake-main ADD', 'fake-meta ADD', 'fake-meta DEL', 'fake-main DEL']);
    } finally {
      net.close();
      expect(await plugin.stop('SIGTERM')).toBe(0);
    }
    expect(existsSync(socketPath)).toBe(false);
  });

  it('exits 2 with the usage when its conflist is invalid', async () => {
    const bad = join(dir, 'bad.conflist');
    writeFileSync(bad, '{ "name": ');
    const failed = await spawnPlugin({ module: SERVE, socketPath: join(dir, 'bad.sock'), args: ['--conflist', bad, '--cache-dir', join(dir, 'cache')] }).catch((e: unknown) => e);
    expect(isPluginSpawnError(failed) && failed.exitCode).toBe(2);
    expect(isPluginSpawnError(failed) && failed.stderr).toContain('usage: network-cni');
  });
});
