import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCniError } from '@bosun/cni';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPlugin, invokePlugin, realExecClock, type PluginInvocation } from './exec';
import { readRuns, writeFakePlugins } from './fake-plugins.test-util';

let dir: string;
let log: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bosun-network-cni-exec-'));
  log = join(dir, 'runs.log');
  writeFakePlugins(dir, ['fake']);
});
afterEach(() => {
  delete process.env.CNI_STRAY;
  rmSync(dir, { recursive: true, force: true });
});

const inv = (over: Partial<PluginInvocation> = {}): PluginInvocation => ({
  command: 'ADD',
  path: join(dir, 'fake'),
  type: 'fake',
  containerId: 'c1',
  netns: '/var/run/netns/x',
  ifname: 'eth0',
  args: '',
  binDirs: [dir],
  stdin: { cniVersion: '1.0.0', name: 'n', type: 'fake', log, ip: '10.1.0.2/24' },
  timeoutMs: 30_000,
  clock: realExecClock(),
  ...over,
});

describe('invokePlugin', () => {
  it('passes no CNI_* variable of the host besides the ones it sets', async () => {
    process.env.CNI_STRAY = 'leaked';
    await invokePlugin(inv());
    expect(Object.keys(readRuns(log)[0]!.env).sort()).toEqual(['CNI_ARGS', 'CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_NETNS', 'CNI_PATH']);
  });

  it('omits the attachment variables for VERSION-style runs and resolves with the parsed stdout', async () => {
    const out = await invokePlugin(inv({ command: 'VERSION', containerId: undefined, netns: undefined, ifname: undefined, args: undefined, stdin: { cniVersion: '1.0.0' } }));
    expect(out).toEqual({ cniVersion: '1.0.0', supportedVersions: ['0.4.0', '1.0.0'] });
  });

  it('resolves undefined when a plugin prints nothing (DEL)', async () => {
    await expect(invokePlugin(inv({ command: 'DEL' }))).resolves.toBeUndefined();
  });

  it('rejects with IoFailure, not a crash, for an environment value spawn cannot pass', async () => {
    await expect(invokePlugin(inv({ containerId: 'a\u0000b' }))).rejects.toSatisfy((e) => isCniError(e, 'IoFailure'));
  });

  it('rejects with IoFailure when the file cannot be executed', async () => {
    await expect(invokePlugin(inv({ path: join(dir, 'runs-nothing') }))).rejects.toSatisfy((e) => isCniError(e, 'IoFailure'));
  });
});

describe('findPlugin', () => {
  it('takes the first directory holding an executable of that name', () => {
    const second = join(dir, 'second');
    writeFakePlugins(second, ['fake', 'only-here']);
    expect(findPlugin('fake', [dir, second])).toBe(join(dir, 'fake'));
    expect(findPlugin('only-here', [dir, second])).toBe(join(second, 'only-here'));
    expect(() => findPlugin('absent', [dir])).toThrow(/failed to find plugin "absent"/);
  });
});
