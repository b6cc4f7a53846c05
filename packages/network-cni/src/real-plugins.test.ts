import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInProcessCniClient, isCniError, validateCniResult, type CniClient, type CniResult, type CniRuntimeConfigInput } from '@bosun/cni';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCniExecPlugin } from './exec-plugin';
import { addNetns, DEBIAN_CNI_BIN, delHostLink, delNetns, hostLink, ip, linksIn, mustRunButCannot, realPluginsUnavailable, reservedIps } from './real-host.test-util';

const unavailable = realPluginsUnavailable();
const ciFailure = mustRunButCannot(unavailable);
if (unavailable && !ciFailure) console.warn(`network-cni real-plugin tests skipped: ${unavailable}`);
if (ciFailure)
  describe('network-cni with the real plugins', () => {
    it('has its prerequisites in CI', () => {
      throw new Error(ciFailure);
    });
  });

const id = randomBytes(3).toString('hex');
const NETWORK = `bosuncni-${id}`;
const BRIDGE = `bcni${id}`; // ≤ 15 characters
const SUBNET = '10.211.0.0/24';

/** bridge (own bridge, gateway, no masquerade) with host-local IPAM, then loopback and portmap, as containerd's default list. */
function conflist(dataDir: string, over: { bridge?: string; name?: string; ipam?: object; extra?: object[] } = {}) {
  return {
    cniVersion: '1.0.0',
    name: over.name ?? NETWORK,
    plugins: [
      {
        type: 'bridge',
        bridge: over.bridge ?? BRIDGE,
        isGateway: true,
        ipMasq: false,
        ipam: over.ipam ?? { type: 'host-local', ranges: [[{ subnet: SUBNET }]], dataDir },
      },
      { type: 'loopback' },
      { type: 'portmap', capabilities: { portMappings: true }, snat: false },
      ...(over.extra ?? []),
    ],
  };
}

const addr = (r: CniResult) => r.ips[0]!.address.split('/')[0]!;

/** Runs `node -e script` inside a namespace; resolves with stdout once it exits. */
function nodeIn(netns: string, script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`node in ${netns} exited ${code}: ${err}`))));
  });
}

describe.skipIf(unavailable !== undefined)('network-cni with the real bridge, host-local, loopback and portmap plugins', () => {
  const nsA = `bosun-cni-${id}-a`;
  const nsB = `bosun-cni-${id}-b`;
  const nsC = `bosun-cni-${id}-c`;
  const extraBridges = [`bcnf${id}`, `bcnr${id}`, `bcnn${id}`];
  let dir: string;
  let dataDir: string;
  let net: CniClient;
  let pathA: string;
  let pathB: string;
  let pathC: string;
  let server: ChildProcess | undefined;
  const cfgA = (): CniRuntimeConfigInput => ({ containerId: `a-${id}`, ifname: 'eth0', netns: pathA, args: { K8S_POD_NAMESPACE: 'default', K8S_POD_NAME: 'a' } });
  const cfgB = (): CniRuntimeConfigInput => ({ containerId: `b-${id}`, ifname: 'eth0', netns: pathB, args: { K8S_POD_NAMESPACE: 'default', K8S_POD_NAME: 'b' } });
  let resA: CniResult;
  let resB: CniResult;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bosun-network-cni-real-'));
    dataDir = join(dir, 'ipam');
    pathA = addNetns(nsA);
    pathB = addNetns(nsB);
    pathC = addNetns(nsC);
    net = createInProcessCniClient(createCniExecPlugin({ conflist: conflist(dataDir), binDirs: [DEBIAN_CNI_BIN], cacheDir: join(dir, 'cache') }));
  });

  afterAll(() => {
    server?.kill('SIGKILL');
    for (const ns of [nsA, nsB, nsC]) delNetns(ns);
    for (const b of [BRIDGE, ...extraBridges]) delHostLink(b);
    // portmap's per-container chains go with DEL; the tests DEL everything they added.
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ADDs two sandboxes: distinct addresses in the subnet, eth0 configured inside, reservations in host-local\'s data dir', async () => {
    resA = await net.add(cfgA());
    resB = await net.add(cfgB());
    expect(addr(resA)).not.toBe(addr(resB));
    for (const r of [resA, resB]) {
      expect(r.ips[0]!.address).toMatch(/^10\.211\.0\.\d+\/24$/);
      expect(r.ips[0]!.gateway).toBe('10.211.0.1');
      expect(r.interfaces.map((i) => i.name)).toContain(BRIDGE);
    }
    expect(ip('-n', nsA, '-o', 'addr', 'show', 'dev', 'eth0')).toContain(resA.ips[0]!.address);
    expect(reservedIps(dataDir, NETWORK).sort()).toEqual([addr(resA), addr(resB)].sort());
    expect(hostLink(BRIDGE)).toBe(true);
  });

  it('lets a TCP client in one sandbox reach a server in the other', async () => {
    const port = 18_000 + Math.floor(Math.random() * 1000);
    server = spawn('ip', ['netns', 'exec', nsA, process.execPath, '-e', `require('net').createServer((s) => s.end('hello from a')).listen(${port}, '${addr(resA)}', () => console.log('ready'))`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      server!.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
      server!.on('exit', (code) => reject(new Error(`server exited ${code}`)));
    });
    const got = await nodeIn(
      nsB,
      `const s = require('net').connect(${port}, '${addr(resA)}'); let d = ''; s.on('data', (c) => (d += c)); s.on('end', () => { process.stdout.write(d); }); s.on('error', (e) => { console.error(e.message); process.exit(1); });`,
    );
    expect(got).toBe('hello from a');
    server.kill('SIGKILL');
    server = undefined;
  });

  it('passes CHECK after ADD, and fails it once the interface is removed by hand', async () => {
    await expect(net.check(cfgB(), resB)).resolves.toBeUndefined();
    ip('-n', nsB, 'link', 'del', 'eth0');
    const err = await net.check(cfgB(), resB).catch((e: unknown) => e);
    expect(isCniError(err), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/eth0/);
  });

  it('DEL frees the address and removes the veth; a second DEL succeeds', async () => {
    const hostVethA = resA.interfaces.find((i) => i.name.startsWith('veth'))!.name;
    expect(hostLink(hostVethA)).toBe(true);
    await net.del(cfgA(), resA);
    expect(hostLink(hostVethA)).toBe(false);
    expect(linksIn(nsA)).toEqual(['lo']);
    expect(reservedIps(dataDir, NETWORK)).not.toContain(addr(resA));
    await expect(net.del(cfgA(), resA)).resolves.toBeUndefined();
    // B lost its eth0 by hand: DEL still releases its address.
    await net.del(cfgB(), resB);
    await net.del(cfgB(), resB);
    expect(reservedIps(dataDir, NETWORK)).toEqual([]);
    await expect(net.check(cfgA(), resA)).rejects.toSatisfy((e) => isCniError(e, 'UnknownContainer'));
  });

  it('DEL succeeds when the sandbox namespace is already gone, and still frees the address', async () => {
    const ns = `bosun-cni-${id}-gone`;
    const cfg = { containerId: `gone-${id}`, ifname: 'eth0', netns: addNetns(ns) };
    const r = await net.add(cfg);
    expect(reservedIps(dataDir, NETWORK)).toContain(addr(r));
    delNetns(ns);
    await expect(net.del(cfg, r)).resolves.toBeUndefined();
    expect(reservedIps(dataDir, NETWORK)).not.toContain(addr(r));
  });

  it('a failing plugin after bridge leaves no interface, no reservation, and no bridge it created', async () => {
    const bridge = extraBridges[0]!;
    const failing = createInProcessCniClient(
      createCniExecPlugin({
        conflist: conflist(dataDir, { bridge, name: `${NETWORK}-f`, ipam: { type: 'host-local', ranges: [[{ subnet: '10.212.0.0/24' }]], dataDir }, extra: [{ type: 'bosun-no-such-plugin' }] }),
        binDirs: [DEBIAN_CNI_BIN],
        cacheDir: join(dir, 'cache'),
      }),
    );
    const err = await failing.add({ containerId: `f-${id}`, ifname: 'eth0', netns: pathC }).catch((e: unknown) => e);
    expect(isCniError(err, 'InvalidNetworkConfig'), String(err)).toBe(true);
    expect((err as Error).message).toContain('bosun-no-such-plugin');
    expect(linksIn(nsC)).toEqual(['lo']);
    expect(reservedIps(dataDir, `${NETWORK}-f`)).toEqual([]);
    expect(hostLink(bridge)).toBe(false);
  });

  it('keeps the bridge a failed ADD created when removeCreatedBridges is false (the deletion above is the adapter\'s doing)', async () => {
    const bridge = extraBridges[2]!;
    const failing = createInProcessCniClient(
      createCniExecPlugin({
        conflist: conflist(dataDir, { bridge, name: `${NETWORK}-n`, ipam: { type: 'host-local', ranges: [[{ subnet: '10.215.0.0/24' }]], dataDir }, extra: [{ type: 'bosun-no-such-plugin' }] }),
        binDirs: [DEBIAN_CNI_BIN],
        cacheDir: join(dir, 'cache'),
        removeCreatedBridges: false,
      }),
    );
    await expect(failing.add({ containerId: `n-${id}`, ifname: 'eth0', netns: pathC })).rejects.toSatisfy((e) => isCniError(e));
    expect(linksIn(nsC)).toEqual(['lo']);
    expect(hostLink(bridge)).toBe(true);
    expect(reservedIps(dataDir, `${NETWORK}-n`)).toEqual([]);
  });

  it('a bad IPAM range fails ADD with the plugin error and leaves nothing behind', async () => {
    const bridge = extraBridges[1]!;
    const bad = createInProcessCniClient(
      createCniExecPlugin({
        conflist: conflist(dataDir, { bridge, name: `${NETWORK}-r`, ipam: { type: 'host-local', ranges: [[{ subnet: '10.213.0.0/24', rangeStart: '10.214.0.5' }]], dataDir } }),
        binDirs: [DEBIAN_CNI_BIN],
        cacheDir: join(dir, 'cache'),
      }),
    );
    const err = await bad.add({ containerId: `r-${id}`, ifname: 'eth0', netns: pathC }).catch((e: unknown) => e);
    expect(isCniError(err), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/10\.214\.0\.5/);
    expect(linksIn(nsC)).toEqual(['lo']);
    expect(hostLink(bridge)).toBe(false);
  });

  it('a failed ADD keeps a bridge that other sandboxes still use', async () => {
    const r = await net.add(cfgA());
    const failing = createInProcessCniClient(
      createCniExecPlugin({ conflist: conflist(dataDir, { name: `${NETWORK}-k`, extra: [{ type: 'bosun-no-such-plugin' }] }), binDirs: [DEBIAN_CNI_BIN], cacheDir: join(dir, 'cache') }),
    );
    await expect(failing.add({ containerId: `k-${id}`, ifname: 'eth0', netns: pathC })).rejects.toSatisfy((e) => isCniError(e));
    expect(linksIn(nsC)).toEqual(['lo']);
    expect(hostLink(BRIDGE)).toBe(true);
    expect(ip('-n', nsA, '-o', 'addr', 'show', 'dev', 'eth0')).toContain(r.ips[0]!.address);
    await net.del(cfgA(), r);
  });

  it('serves a 0.4.0 list: results come back as CNI 1.0, CHECK and DEL get the 0.4.0 prevResult', async () => {
    const old = createInProcessCniClient(
      createCniExecPlugin({ conflist: { ...conflist(dataDir, { name: `${NETWORK}-o` }), cniVersion: '0.4.0' }, binDirs: [DEBIAN_CNI_BIN], cacheDir: join(dir, 'cache') }),
    );
    const cfg = { containerId: `o-${id}`, ifname: 'eth0', netns: pathC };
    const r = await old.add(cfg);
    expect(r.cniVersion).toBe('1.0.0');
    expect(validateCniResult(r)).toEqual([]);
    expect(reservedIps(dataDir, `${NETWORK}-o`)).toEqual([addr(r)]);
    await expect(old.check(cfg, r)).resolves.toBeUndefined();
    await old.del(cfg, r);
    expect(reservedIps(dataDir, `${NETWORK}-o`)).toEqual([]);
    expect(linksIn(nsC)).toEqual(['lo']);
  });

  it('passes portMappings to portmap, which installs a DNAT rule to the sandbox and removes it on DEL', async () => {
    const hostPort = 19_000 + Math.floor(Math.random() * 1000);
    const cfg: CniRuntimeConfigInput = { ...cfgA(), capabilityArgs: { portMappings: [{ hostPort, containerPort: 8080, protocol: 'tcp' }] } };
    const r = await net.add(cfg);
    const rules = () => spawnSync('iptables', ['-t', 'nat', '-S'], { encoding: 'utf8' }).stdout;
    expect(rules()).toContain(`--dport ${hostPort}`);
    expect(rules()).toContain(`${addr(r)}:8080`);
    await net.del(cfg, r);
    expect(rules()).not.toContain(`--dport ${hostPort}`);
  });
});
