import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCniClient, createInProcessCniClient, type CniClient } from './client';
import { CniError, isCniError, type CniErrorCode } from './errors';
import { serveCni, type CniLogEntry } from './server';
import type { CniPlugin, CniResult } from './types';

const dir = mkdtempSync(join(tmpdir(), 'bosun-cni-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const RESULT: CniResult = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'eth0', mac: '0a:58:0a:f4:01:05', sandbox: '/var/run/netns/x', mtu: 1500 }],
  ips: [{ address: '10.244.1.5/24', gateway: '10.244.1.1', interface: 0 }],
  routes: [{ dst: '0.0.0.0/0', gw: '', mtu: 0 }],
  dns: { nameservers: ['10.96.0.10'], domain: 'cluster.local', search: ['default.svc.cluster.local'], options: ['ndots:5'] },
};

const base: CniPlugin = {
  add: async () => RESULT,
  del: async () => undefined,
  check: async () => undefined,
  version: async () => ({ cniVersion: '1.0.0', supportedVersions: ['1.0.0'] }),
};

async function serve(impl: CniPlugin, log?: (e: CniLogEntry) => void) {
  const socketPath = join(dir, `s${++n}.sock`);
  const server = await serveCni(impl, { socketPath, log, name: 'test-net' });
  const client = createCniClient(server.endpoint, { deadlineMs: 5_000 });
  return { socketPath, server, client, async [Symbol.asyncDispose]() { client.close(); await server.close(); } };
}

const transports: Array<[string, (impl: CniPlugin) => Promise<{ client: CniClient } & AsyncDisposable>]> = [
  ['over a unix socket', (impl) => serve(impl)],
  ['in-process', async (impl) => ({ client: createInProcessCniClient(impl), async [Symbol.asyncDispose]() {} })],
];

const codes: CniErrorCode[] = ['IncompatibleVersion', 'UnsupportedField', 'UnknownContainer', 'InvalidEnvironment', 'IoFailure', 'DecodeFailure', 'InvalidNetworkConfig', 'TryAgainLater', 'NotAvailable', 'NotAvailableLimitedResources', 'AddressesExhausted', 'AlreadyAttached', 'Internal'];

describe.each(transports)('the network contract %s', (_t, open) => {
  it.each(codes)('carries a thrown CniError %s to the client with its code and CNI number', async (code) => {
    const thrown = new CniError(code, 'boom', { details: 'more' });
    await using env = await open({ ...base, add: async () => { throw thrown; } });
    const err = await env.client.add({ containerId: 'c', ifname: 'eth0' }).catch((e: unknown) => e);
    expect(isCniError(err, code)).toBe(true);
    expect((err as CniError).cniCode).toBe(thrown.cniCode);
    expect((err as CniError).message).toContain('boom');
    expect((err as CniError).details).toBe('more');
  });

  it('keeps a plugin-specific CNI code', async () => {
    await using env = await open({ ...base, del: async () => { throw new CniError('Plugin', 'vendor trouble', { cniCode: 142 }); } });
    const err = await env.client.del({ containerId: 'c', ifname: 'eth0' }).catch((e: unknown) => e);
    expect(isCniError(err, 'Plugin') && err.cniCode).toBe(142);
  });

  it('maps any other thrown error to Internal (999)', async () => {
    await using env = await open({ ...base, check: async () => { throw new TypeError('bad state'); } });
    const err = await env.client.check({ containerId: 'c', ifname: 'eth0' }).catch((e: unknown) => e);
    expect(isCniError(err, 'Internal') && err.cniCode).toBe(999);
  });

  it('round-trips a full CNI 1.0 result and the runtime config', async () => {
    let seen: unknown;
    await using env = await open({ ...base, add: async (req) => ((seen = req.config), RESULT) });
    const result = await env.client.add({
      containerId: 'c1',
      ifname: 'eth0',
      netns: '/var/run/netns/c1',
      args: { K8S_POD_NAME: 'web-0' },
      capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80 }], bandwidth: { ingressRate: 1000, ingressBurst: 10, egressRate: 2000, egressBurst: 20 } },
    });
    expect(result).toEqual(RESULT);
    expect(seen).toMatchObject({
      containerId: 'c1',
      netns: '/var/run/netns/c1',
      args: { K8S_POD_NAME: 'web-0' },
      networkName: '',
      cniVersion: '',
      capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: '', hostIp: '' }], bandwidth: { ingressRate: 1000, egressBurst: 20 }, ips: [], mac: '' },
    });
  });

  it('leaves the interface index absent in IPAM-only results', async () => {
    await using env = await open({ ...base, add: async () => ({ ...RESULT, interfaces: [], ips: [{ address: '10.0.0.2/24', gateway: '' }] }) });
    const r = await env.client.add({ containerId: 'c', ifname: 'eth0' });
    expect(r.ips[0]).toEqual({ address: '10.0.0.2/24', gateway: '' });
    expect('interface' in r.ips[0]!).toBe(false);
  });

  it.each<[string, (c: CniClient) => Promise<unknown>]>([
    ['Status', (c) => c.status()],
    ['GC', (c) => c.gc([])],
  ])('answers Unimplemented for %s when the plugin lacks it', async (_n, call) => {
    await using env = await open(base);
    await expect(call(env.client)).rejects.toSatisfy((e) => isCniError(e, 'Unimplemented'));
  });

  it('passes GC its valid attachments', async () => {
    let seen: unknown;
    await using env = await open({ ...base, gc: async (req) => void (seen = req) });
    await env.client.gc([{ containerId: 'a', ifname: 'eth0' }], 'net');
    expect(seen).toEqual({ networkName: 'net', validAttachments: [{ containerId: 'a', ifname: 'eth0' }] });
  });
});

describe('serveCni', () => {
  it('creates its socket with mode 0600 and removes it on close', async () => {
    const env = await serve(base);
    expect(statSync(env.socketPath).mode & 0o777).toBe(0o600);
    env.client.close();
    await env.server.close();
    expect(() => statSync(env.socketPath)).toThrow();
  });

  it('logs one entry per call with the CNI code of failures', async () => {
    const entries: CniLogEntry[] = [];
    await using env = await serve({ ...base, del: async () => { throw new CniError('IoFailure', 'disk gone'); } }, (e) => entries.push(e));
    await env.client.add({ containerId: 'c', ifname: 'eth0' });
    await env.client.del({ containerId: 'c', ifname: 'eth0' }).catch(() => undefined);
    expect(entries.map((e) => [e.level, e.operation, e.containerId, e.cniCode])).toEqual([
      ['debug', 'Add', 'c', undefined],
      ['error', 'Del', 'c', 5],
    ]);
  });

  it('fails a call with DeadlineExceeded when the plugin is slower than the deadline', async () => {
    await using env = await serve({ ...base, version: () => new Promise((r) => setTimeout(() => r({ cniVersion: '1.0.0', supportedVersions: ['1.0.0'] }), 500)) });
    await expect(env.client.version({ deadlineMs: 50 })).rejects.toSatisfy((e) => isCniError(e, 'DeadlineExceeded'));
  });

  it('fails with Unavailable or DeadlineExceeded when nothing listens, never hanging', async () => {
    const client = createCniClient(join(dir, 'nobody.sock'), { deadlineMs: 200, waitForReady: false });
    await expect(client.version()).rejects.toSatisfy((e) => isCniError(e, 'Unavailable') || isCniError(e, 'DeadlineExceeded'));
    client.close();
  });
});
