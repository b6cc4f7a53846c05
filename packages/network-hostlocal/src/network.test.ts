import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCniError, type CniRuntimeConfig } from '@bosun/cni';
import { createHostLocalNetwork, type HostLocalNetworkOptions } from './network';

const root = mkdtempSync(join(tmpdir(), 'bosun-hostlocal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${++n}`);

const cfg = (containerId: string, over: Partial<CniRuntimeConfig> = {}): CniRuntimeConfig => ({
  containerId,
  ifname: 'eth0',
  netns: '',
  args: {},
  networkName: '',
  capabilityArgs: null,
  cniVersion: '',
  networkConfigJson: '',
  ...over,
});
const add = (net: ReturnType<typeof createHostLocalNetwork>, id: string, over?: Partial<CniRuntimeConfig>) =>
  net.add({ config: cfg(id, over) }).then((r) => r.ips[0]!.address);
const del = (net: ReturnType<typeof createHostLocalNetwork>, id: string) => net.del({ config: cfg(id), prevResult: null });

describe('createHostLocalNetwork', () => {
  it.each<[string, string, string[]]>([
    ['skips the network address and the gateway', '10.244.1.0/24', ['10.244.1.2/24', '10.244.1.3/24', '10.244.1.4/24']],
    ['hands out the whole /30 it can (one address)', '10.0.0.4/30', ['10.0.0.6/30']],
  ])('%s', async (_n, podCIDR, want) => {
    const net = createHostLocalNetwork({ podCIDR, dataDir: freshDir() });
    const got: string[] = [];
    for (let i = 0; i < want.length; i++) got.push(await add(net, `c${i}`));
    expect(got).toEqual(want);
  });

  it('answers a result with the gateway, configured routes and DNS, and no interfaces', async () => {
    const net = createHostLocalNetwork({ podCIDR: '10.244.1.0/24', dataDir: freshDir(), routes: [{ dst: '0.0.0.0/0' }], dns: { nameservers: ['10.96.0.10'] } });
    expect(await net.add({ config: cfg('c') })).toEqual({
      cniVersion: '1.0.0',
      interfaces: [],
      ips: [{ address: '10.244.1.2/24', gateway: '10.244.1.1' }],
      routes: [{ dst: '0.0.0.0/0', gw: '', mtu: 0 }],
      dns: { nameservers: ['10.96.0.10'], domain: '', search: [], options: [] },
    });
  });

  it('never assigns the broadcast address and fails with AddressesExhausted when full', async () => {
    const net = createHostLocalNetwork({ podCIDR: '192.168.9.8/29', dataDir: freshDir() });
    const ips = [];
    for (let i = 0; i < 5; i++) ips.push(await add(net, `c${i}`));
    expect(ips).toEqual(['10', '11', '12', '13', '14'].map((h) => `192.168.9.${h}/29`));
    await expect(add(net, 'one-too-many')).rejects.toSatisfy((e) => isCniError(e, 'AddressesExhausted'));
    await expect(net.status!({ networkName: '' })).rejects.toSatisfy((e) => isCniError(e, 'NotAvailableLimitedResources'));
    await del(net, 'c2');
    await expect(net.status!({ networkName: '' })).resolves.toBeUndefined();
    expect(await add(net, 'again')).toBe('192.168.9.12/29');
  });

  it('continues after the last reserved address instead of reusing a just-released one', async () => {
    const net = createHostLocalNetwork({ podCIDR: '10.1.0.0/24', dataDir: freshDir() });
    expect(await add(net, 'a')).toBe('10.1.0.2/24');
    await del(net, 'a');
    expect(await add(net, 'b')).toBe('10.1.0.3/24');
  });

  it('persists reservations in host-local layout, and a new instance on the same dataDir sees them', async () => {
    const dataDir = freshDir();
    const opts: HostLocalNetworkOptions = { podCIDR: '10.2.0.0/24', dataDir };
    const first = createHostLocalNetwork(opts);
    await add(first, 'keep');
    await add(first, 'gone');
    await del(first, 'gone');
    expect(readdirSync(join(dataDir, 'bosun')).sort()).toEqual(['10.2.0.2', 'last_reserved_ip.0']);
    expect(readFileSync(join(dataDir, 'bosun', '10.2.0.2'), 'utf8')).toBe('keep\r\neth0');

    const restarted = createHostLocalNetwork(opts);
    expect(restarted.allocations()).toEqual([{ ip: '10.2.0.2', containerId: 'keep', ifname: 'eth0' }]);
    await expect(restarted.check({ config: cfg('keep'), prevResult: null })).resolves.toBeUndefined();
    await expect(add(restarted, 'keep')).rejects.toSatisfy((e) => isCniError(e, 'AlreadyAttached'));
    const next = await add(restarted, 'new');
    expect(next).not.toBe('10.2.0.2/24');
    await del(restarted, 'keep');
    expect(createHostLocalNetwork(opts).allocations().map((a) => a.containerId)).toEqual(['new']);
  });

  it('never double-assigns when two instances share a dataDir (the exclusive link decides)', async () => {
    const opts = { podCIDR: '10.3.0.0/28', dataDir: freshDir() };
    const a = createHostLocalNetwork(opts);
    const b = createHostLocalNetwork(opts);
    const ips = await Promise.all(Array.from({ length: 12 }, (_, i) => add(i % 2 ? a : b, `c${i}`)));
    expect(new Set(ips).size).toBe(12);
    expect(createHostLocalNetwork(opts).allocations()).toHaveLength(12);
  });

  it('gives 100 concurrent ADDs 100 different addresses', async () => {
    const net = createHostLocalNetwork({ podCIDR: '10.4.0.0/24', dataDir: freshDir() });
    const ips = await Promise.all(Array.from({ length: 100 }, (_, i) => add(net, `c${i}`)));
    expect(new Set(ips).size).toBe(100);
  });

  it('ignores temporaries a crash left behind', async () => {
    const dataDir = freshDir();
    createHostLocalNetwork({ podCIDR: '10.5.0.0/24', dataDir });
    writeFileSync(join(dataDir, 'bosun', '.tmp-10.5.0.2-abc'), 'half');
    const net = createHostLocalNetwork({ podCIDR: '10.5.0.0/24', dataDir });
    expect(net.allocations()).toEqual([]);
    expect(await add(net, 'c')).toBe('10.5.0.2/24');
  });

  it.each<[string, Partial<CniRuntimeConfig>, string]>([
    ['a static address from the ips capability', { capabilityArgs: { portMappings: [], bandwidth: null, ips: ['10.6.0.77/24'], mac: '', dns: null, aliases: [] } }, '10.6.0.77/24'],
  ])('honours %s', async (_n, over, want) => {
    const net = createHostLocalNetwork({ podCIDR: '10.6.0.0/24', dataDir: freshDir() });
    expect(await add(net, 'c', over)).toBe(want);
  });

  it.each<[string, Partial<CniRuntimeConfig>, string]>([
    ['another network', { networkName: 'other' }, 'InvalidNetworkConfig'],
    ['a control character in the container id', { containerId: 'a\r\nb' }, 'InvalidEnvironment'],
    ['a static address outside the range', { capabilityArgs: { portMappings: [], bandwidth: null, ips: ['10.9.9.9'], mac: '', dns: null, aliases: [] } }, 'InvalidNetworkConfig'],
  ])('refuses ADD for %s', async (_n, over, code) => {
    const net = createHostLocalNetwork({ podCIDR: '10.7.0.0/24', dataDir: freshDir() });
    await expect(net.add({ config: cfg('c', over) })).rejects.toSatisfy((e) => isCniError(e, code as never));
  });

  it.each([
    ['an IPv6 pod CIDR', { podCIDR: 'fd00::/64' }],
    ['a /31', { podCIDR: '10.0.0.0/31' }],
    ['a network name that is a path', { podCIDR: '10.0.0.0/24', networkName: '../x' }],
  ])('refuses to start with %s', (_n, over) => {
    expect(() => createHostLocalNetwork({ dataDir: freshDir(), ...over } as HostLocalNetworkOptions)).toThrow(/podCIDR|network name/);
  });

  it('releases on GC everything but the valid attachments', async () => {
    const net = createHostLocalNetwork({ podCIDR: '10.8.0.0/24', dataDir: freshDir() });
    for (const id of ['a', 'b', 'c']) await add(net, id);
    await net.gc!({ networkName: '', validAttachments: [{ containerId: 'b', ifname: 'eth0' }] });
    expect(net.allocations().map((a) => a.containerId)).toEqual(['b']);
  });
});
