import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '@bosun/api';
import { createInProcessCniClient, isCniError, normalizeRuntimeConfig, type CniClient, type CniErrorCode, type CniRuntimeConfigInput } from '@bosun/cni';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCniExecPlugin, type CniExecPluginOptions } from './exec-plugin';
import { readRuns, writeFakePlugins } from './fake-plugins.test-util';

let dir: string;
let bin: string;
let log: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bosun-network-cni-'));
  bin = join(dir, 'bin');
  log = join(dir, 'runs.log');
  writeFakePlugins(bin, ['fake-main', 'fake-meta', 'fake-ports']);
  process.env.FAKE_CNI_LOG = log;
});
afterEach(() => {
  delete process.env.FAKE_CNI_LOG;
  delete process.env.FAKE_CNI_VERSIONS_fake_meta;
  rmSync(dir, { recursive: true, force: true });
});

/** A three-plugin list: an interface+IP maker, a pass-through, and a portMappings consumer. */
function conflist(over: { main?: object; meta?: object; ports?: object; list?: object } = {}) {
  return {
    cniVersion: '1.0.0',
    name: 'fakenet',
    ...over.list,
    plugins: [
      { type: 'fake-main', log, ip: '10.50.0.7/24', gw: '10.50.0.1', ...over.main },
      { type: 'fake-meta', log, ...over.meta },
      { type: 'fake-ports', log, capabilities: { portMappings: true }, ...over.ports },
    ],
  };
}

function plugin(over: Parameters<typeof conflist>[0] = {}, opts: Partial<CniExecPluginOptions> = {}) {
  return createCniExecPlugin({ conflist: conflist(over), binDirs: [join(dir, 'nothing-here'), bin], cacheDir: join(dir, 'cache'), ...opts });
}

const cfg = (over: Partial<CniRuntimeConfigInput> = {}): CniRuntimeConfigInput => ({
  containerId: 'sandbox-1',
  ifname: 'eth0',
  netns: '/var/run/netns/bosun-fake-does-not-exist',
  args: { K8S_POD_NAMESPACE: 'default', K8S_POD_NAME: 'web' },
  ...over,
});

const rejectsWith = (code: CniErrorCode) => (e: unknown) => isCniError(e, code);
const commands = () => readRuns(log).map((r) => `${r.type} ${r.env.CNI_COMMAND}`);
const cacheFiles = () => (existsSync(join(dir, 'cache', 'results')) ? readdirSync(join(dir, 'cache', 'results')) : []);

describe('ADD', () => {
  it('runs the plugins in order with the CNI environment, the list name and version, and chains prevResult', async () => {
    const net = createInProcessCniClient(plugin());
    const result = await net.add(cfg());
    expect(commands()).toEqual(['fake-main ADD', 'fake-meta ADD', 'fake-ports ADD']);
    const [main, meta] = readRuns(log);
    expect(main!.env).toMatchObject({
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'sandbox-1',
      CNI_NETNS: '/var/run/netns/bosun-fake-does-not-exist',
      CNI_IFNAME: 'eth0',
      CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web',
      CNI_PATH: `${join(dir, 'nothing-here')}:${bin}`,
    });
    expect(main!.conf).toMatchObject({ name: 'fakenet', cniVersion: '1.0.0', type: 'fake-main' });
    expect(main!.conf.prevResult).toBeUndefined();
    expect(meta!.conf.prevResult.ips).toEqual([{ address: '10.50.0.7/24', gateway: '10.50.0.1', interface: 0 }]);
    expect(result).toMatchObject({ cniVersion: '1.0.0', ips: [{ address: '10.50.0.7/24', gateway: '10.50.0.1', interface: 0 }] });
    expect(result.interfaces[0]).toMatchObject({ name: 'eth0', sandbox: '/var/run/netns/bosun-fake-does-not-exist' });
    expect(cacheFiles()).toEqual(['fakenet-sandbox-1-eth0']);
  });

  it('gives runtimeConfig only to plugins declaring the capability, in CNI spelling', async () => {
    const net = createInProcessCniClient(plugin());
    await net.add(cfg({ capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80 }], mac: '02:00:00:00:00:09' } }));
    const [main, meta, ports] = readRuns(log);
    expect(main!.conf.runtimeConfig).toBeUndefined();
    expect(meta!.conf.runtimeConfig).toBeUndefined();
    expect(ports!.conf.runtimeConfig).toEqual({ portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
  });

  it('drops an empty dns object from the result', async () => {
    const result = await createInProcessCniClient(plugin({ ports: { emptyDns: true } })).add(cfg());
    expect(result.dns).toBeNull();
  });

  it('refuses a second ADD of the same pair with AlreadyAttached without running any plugin', async () => {
    const net = createInProcessCniClient(plugin());
    await net.add(cfg());
    const before = commands().length;
    await expect(net.add(cfg())).rejects.toSatisfy(rejectsWith('AlreadyAttached'));
    expect(commands().length).toBe(before);
  });

  it('undoes a failed ADD: DEL for the failed plugin and those before it, in reverse, and keeps the plugin error', async () => {
    const net = createInProcessCniClient(plugin({ meta: { behave: { ADD: 'fail' }, failCode: 7 } }));
    const err = await net.add(cfg()).catch((e: unknown) => e);
    expect(isCniError(err, 'InvalidNetworkConfig')).toBe(true);
    expect((err as Error).message).toContain('told to fail');
    expect((err as { details?: string }).details).toBe('fake details');
    expect(commands()).toEqual(['fake-main ADD', 'fake-meta ADD', 'fake-meta DEL', 'fake-main DEL']);
    // The cleanup DEL carries the last result a plugin printed, and no netns that does not exist.
    const undo = readRuns(log)[2]!;
    expect(undo.conf.prevResult.ips[0].address).toBe('10.50.0.7/24');
    expect(undo.env.CNI_NETNS).toBe('');
    expect(cacheFiles()).toEqual([]);
  });

  it.each<[string, Parameters<typeof conflist>[0], CniErrorCode, string]>([
    ['prints something that is not JSON', { meta: { behave: { ADD: 'garbage' } } }, 'DecodeFailure', 'not JSON'],
    ['exits non-zero without an error object', { meta: { behave: { ADD: 'crash' } } }, 'Internal', 'panic: boom'],
    ['prints plugin-specific code 3', { meta: { behave: { ADD: 'fail' }, failCode: 3 } }, 'UnknownContainer', 'told to fail'],
    ['produces no IP-bearing valid result (bad address)', { main: { ip: 'not-an-ip' } }, 'DecodeFailure', 'not CIDR'],
  ])('fails ADD when a plugin %s', async (_n, over, code, text) => {
    const err = await createInProcessCniClient(plugin(over)).add(cfg()).catch((e: unknown) => e);
    expect(isCniError(err, code), String(err)).toBe(true);
    expect((err as Error).message).toContain(text);
    expect(cacheFiles()).toEqual([]);
  });

  it('names the directories searched when a plugin binary is missing, and runs DEL for those that ran', async () => {
    const net = createInProcessCniClient(plugin({ meta: { type: 'no-such-plugin' } }));
    const err = await net.add(cfg()).catch((e: unknown) => e);
    expect(isCniError(err, 'InvalidNetworkConfig')).toBe(true);
    expect((err as Error).message).toContain(`failed to find plugin "no-such-plugin" in path [${join(dir, 'nothing-here')} ${bin}]`);
    expect(commands()).toEqual(['fake-main ADD', 'fake-main DEL']);
  });

  it('kills a plugin that does not answer within timeoutMs (on the fake clock) and fails with DeadlineExceeded', async () => {
    const clock = new FakeClock();
    const net = createInProcessCniClient(plugin({ main: { behave: { ADD: 'hang' } } }, { timeoutMs: 5_000, clock }));
    const pending = net.add(cfg()).catch((e: unknown) => e);
    while (readRuns(log).length === 0) await new Promise((r) => setTimeout(r, 10));
    await clock.advance(4_999);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(1);
    const err = await pending;
    expect(isCniError(err, 'DeadlineExceeded'), String(err)).toBe(true);
    expect((err as Error).message).toContain('no answer within 5000 ms');
  });
});

describe('DEL and CHECK', () => {
  let net: CniClient;
  beforeEach(() => {
    net = createInProcessCniClient(plugin());
  });

  it('runs DEL in reverse order with the cached result as prevResult, then forgets it', async () => {
    await net.add(cfg());
    await net.del(cfg());
    const dels = readRuns(log).filter((r) => r.env.CNI_COMMAND === 'DEL');
    expect(dels.map((r) => r.type)).toEqual(['fake-ports', 'fake-meta', 'fake-main']);
    for (const d of dels) expect(d.conf.prevResult.ips[0].address).toBe('10.50.0.7/24');
    // The netns is gone (it never existed here): plugins are told there is none.
    expect(dels[0]!.env.CNI_NETNS).toBe('');
    expect(cacheFiles()).toEqual([]);
  });

  it('succeeds for a second DEL and for a pair never added, running DEL without prevResult', async () => {
    await net.add(cfg());
    await net.del(cfg());
    await expect(net.del(cfg())).resolves.toBeUndefined();
    await expect(net.del(cfg({ containerId: 'never-added' }))).resolves.toBeUndefined();
    const last = readRuns(log).at(-1)!;
    expect(last.env.CNI_CONTAINERID).toBe('never-added');
    expect(last.conf.prevResult).toBeUndefined();
  });

  it("uses the runtime's prevResult for DEL when nothing is cached", async () => {
    const result = await net.add(cfg());
    rmSync(join(dir, 'cache', 'results'), { recursive: true });
    await net.del(cfg(), result);
    const del = readRuns(log).filter((r) => r.env.CNI_COMMAND === 'DEL')[0]!;
    expect(del.conf.prevResult).toMatchObject({ cniVersion: '1.0.0', ips: [{ address: '10.50.0.7/24' }] });
  });

  it('keeps the cache entry when a plugin fails DEL, so DEL can be retried', async () => {
    const failing = createInProcessCniClient(plugin({ meta: { behave: { DEL: 'fail' }, failCode: 11 } }));
    await failing.add(cfg());
    await expect(failing.del(cfg())).rejects.toSatisfy(rejectsWith('TryAgainLater'));
    expect(cacheFiles()).toEqual(['fakenet-sandbox-1-eth0']);
  });

  it('runs CHECK in order with the cached result', async () => {
    await net.add(cfg());
    await net.check(cfg());
    const checks = readRuns(log).filter((r) => r.env.CNI_COMMAND === 'CHECK');
    expect(checks.map((r) => r.type)).toEqual(['fake-main', 'fake-meta', 'fake-ports']);
    expect(checks[2]!.conf.prevResult.ips[0].address).toBe('10.50.0.7/24');
  });

  it('fails CHECK with UnknownContainer for a pair with no attachment, and passes on a plugin CHECK error', async () => {
    await expect(net.check(cfg())).rejects.toSatisfy(rejectsWith('UnknownContainer'));
    const failing = createInProcessCniClient(plugin({ main: { behave: { CHECK: 'fail' }, failCode: 5 } }));
    await failing.add(cfg({ containerId: 'sandbox-2' }));
    await expect(failing.check(cfg({ containerId: 'sandbox-2' }))).rejects.toSatisfy(rejectsWith('IoFailure'));
  });

  it('runs no plugin for CHECK when the list says disableCheck', async () => {
    const quiet = createInProcessCniClient(plugin({ list: { disableCheck: true } }));
    await quiet.add(cfg());
    await quiet.check(cfg());
    expect(commands().filter((c) => c.endsWith('CHECK'))).toEqual([]);
  });
});

describe('requests the adapter refuses', () => {
  it.each<[string, Partial<CniRuntimeConfigInput>, 'add' | 'del' | 'check', CniErrorCode]>([
    ['ADD without a container id', { containerId: '' }, 'add', 'InvalidEnvironment'],
    ['ADD with a container id starting with a dash', { containerId: '-x' }, 'add', 'InvalidEnvironment'],
    ['ADD without an ifname', { ifname: '' }, 'add', 'InvalidEnvironment'],
    ['ADD with a 16-character ifname', { ifname: 'abcdefghijklmnop' }, 'add', 'InvalidEnvironment'],
    ['ADD with an ifname holding a slash', { ifname: 'eth/0' }, 'add', 'InvalidEnvironment'],
    ['ADD without a netns', { netns: '' }, 'add', 'InvalidEnvironment'],
    ['ADD with a NUL in the netns path', { netns: '/var/run/netns/a\u0000b' }, 'add', 'InvalidEnvironment'],
    ['DEL with a newline in a CNI_ARGS value', { args: { K8S_POD_NAME: 'a\nb' } }, 'del', 'InvalidEnvironment'],
    ['CHECK without a netns', { netns: '' }, 'check', 'InvalidEnvironment'],
    ['DEL without an ifname', { ifname: '' }, 'del', 'InvalidEnvironment'],
    ['ADD naming another network', { networkName: 'othernet' }, 'add', 'InvalidNetworkConfig'],
    ['ADD asking for result version 0.4.0', { cniVersion: '0.4.0' }, 'add', 'IncompatibleVersion'],
    ['ADD carrying its own networkConfigJson', { networkConfigJson: '{"type":"evil"}' }, 'add', 'UnsupportedField'],
    ['ADD with CNI_ARGS that cannot be encoded', { args: { 'A;B': '1' } }, 'add', 'InvalidEnvironment'],
  ])('%s', async (_n, over, op, code) => {
    const net = createInProcessCniClient(plugin());
    await expect(net[op](cfg(over))).rejects.toSatisfy(rejectsWith(code));
    expect(commands()).toEqual([]);
  });
});

describe('VERSION, STATUS and GC', () => {
  it('answers the result versions when every plugin accepts the config version', async () => {
    const p = plugin();
    await expect(p.version()).resolves.toEqual({ cniVersion: '1.0.0', supportedVersions: ['1.0.0', '1.1.0'] });
    expect(await p.pluginVersions()).toEqual([
      { type: 'fake-main', supportedVersions: ['0.4.0', '1.0.0'] },
      { type: 'fake-meta', supportedVersions: ['0.4.0', '1.0.0'] },
      { type: 'fake-ports', supportedVersions: ['0.4.0', '1.0.0'] },
    ]);
    expect(readRuns(log)[0]!.conf).toEqual({ cniVersion: '1.0.0' });
  });

  it('fails VERSION with IncompatibleVersion when a plugin does not accept the config version', async () => {
    process.env.FAKE_CNI_VERSIONS_fake_meta = '0.3.0,0.3.1';
    await expect(plugin().version()).rejects.toSatisfy(rejectsWith('IncompatibleVersion'));
  });

  it('fails STATUS with NotAvailable when a plugin binary is missing, and passes otherwise', async () => {
    await expect(plugin().status({ networkName: 'fakenet' })).resolves.toBeUndefined();
    await expect(plugin({ ports: { type: 'gone' } }).status({ networkName: '' })).rejects.toSatisfy(rejectsWith('NotAvailable'));
  });

  it('runs STATUS and GC on the plugins when the list is version 1.1.0', async () => {
    const p = plugin({ list: { cniVersion: '1.1.0' } });
    await p.status({ networkName: '' });
    await p.gc({ networkName: '', validAttachments: [{ containerId: 'keep', ifname: 'eth0' }] });
    const gc = readRuns(log).filter((r) => r.env.CNI_COMMAND === 'GC');
    expect(gc.map((r) => r.type)).toEqual(['fake-main', 'fake-meta', 'fake-ports']);
    expect(gc[0]!.conf['cni.dev/valid-attachments']).toEqual([{ containerID: 'keep', ifname: 'eth0' }]);
    expect(commands().filter((c) => c.endsWith('STATUS'))).toHaveLength(3);
  });

  it('GC runs DEL for every cached attachment not listed as valid, and keeps the valid ones', async () => {
    const p = plugin();
    const net = createInProcessCniClient(p);
    await net.add(cfg({ containerId: 'keep' }));
    await net.add(cfg({ containerId: 'stale' }));
    await p.gc({ networkName: 'fakenet', validAttachments: [{ containerId: 'keep', ifname: 'eth0' }] });
    const dels = readRuns(log).filter((r) => r.env.CNI_COMMAND === 'DEL');
    expect(new Set(dels.map((r) => r.env.CNI_CONTAINERID))).toEqual(new Set(['stale']));
    expect(cacheFiles()).toEqual(['fakenet-keep-eth0']);
  });
});

describe('creating the adapter', () => {
  it.each<[string, Partial<CniExecPluginOptions>, CniErrorCode]>([
    ['neither conflist nor confListPath', { conflist: undefined }, 'InvalidNetworkConfig'],
    ['a conflist file that does not exist', { conflist: undefined, confListPath: '/nonexistent/net.conflist' }, 'IoFailure'],
    ['empty binDirs', { binDirs: [] }, 'InvalidNetworkConfig'],
    ['a conflist that is not JSON', { conflist: '{nope' }, 'DecodeFailure'],
    ['a conflist without plugins', { conflist: { cniVersion: '1.0.0', name: 'x', plugins: [] } }, 'InvalidNetworkConfig'],
    ['a plugin type with a slash', { conflist: { cniVersion: '1.0.0', name: 'x', plugins: [{ type: '../bin/sh' }] } }, 'InvalidNetworkConfig'],
    ['a config version 0.2.0', { conflist: { cniVersion: '0.2.0', name: 'x', plugins: [{ type: 'bridge' }] } }, 'IncompatibleVersion'],
    ['a network name with a space', { conflist: { cniVersion: '1.0.0', name: 'my net', plugins: [{ type: 'bridge' }] } }, 'InvalidNetworkConfig'],
  ])('fails for %s', (_n, over, code) => {
    expect(() => createCniExecPlugin({ conflist: conflist(), cacheDir: join(dir, 'cache'), binDirs: [bin], ...over })).toThrow(
      expect.objectContaining({ name: 'CniError', code }),
    );
  });

  it('wraps a single network configuration (.conf) as a one-plugin list and picks the highest usable cniVersions entry', () => {
    const p = createCniExecPlugin({ conflist: { cniVersions: ['0.4.0', '1.0.0', '9.0.0'], name: 'one', type: 'bridge', bridge: 'br9' }, cacheDir: join(dir, 'cache') });
    expect(p.confList).toMatchObject({ name: 'one', cniVersion: '1.0.0', plugins: [{ type: 'bridge', raw: { bridge: 'br9' } }] });
    expect(p.confList.plugins[0]!.raw).not.toHaveProperty('cniVersions');
  });

  it('reads the list from confListPath once, at creation', async () => {
    const path = join(dir, 'fakenet.conflist');
    writeFileSync(path, JSON.stringify(conflist()));
    const p = createCniExecPlugin({ confListPath: path, binDirs: [bin], cacheDir: join(dir, 'cache') });
    rmSync(path);
    expect(p.networkName).toBe('fakenet');
    await expect(createInProcessCniClient(p).add(cfg())).resolves.toMatchObject({ ips: [{ address: '10.50.0.7/24' }] });
  });

  it('serves requests normalised by the contract (every field present)', async () => {
    const p = plugin();
    await expect(p.add({ config: normalizeRuntimeConfig(cfg({ args: {} })) })).resolves.toMatchObject({ ips: [{ address: '10.50.0.7/24' }] });
    // No args: CNI_ARGS stays empty rather than a lone IgnoreUnknown.
    expect(readRuns(log)[0]!.env.CNI_ARGS).toBe('');
  });
});
