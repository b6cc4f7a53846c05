import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCniClient, createInProcessCniClient, type CniClient } from './client';
import { isCniError, type CniErrorCode } from './errors';
import { parseCniResultJson, toCniResultJson, validateCniResult } from './result';
import type { CniPlugin, CniResult, CniRuntimeConfigInput } from './types';

/** What a network plugin under test provides to {@link describeCniConformance}. */
export interface CniConformanceTarget {
  /** Endpoint of the plugin (`unix:///…/net.sock`). Either this or `plugin`. */
  endpoint?: string;
  /** The plugin itself, called in-process through the protobuf codec. Either this or `endpoint`. */
  plugin?: CniPlugin;
  /** Stops the plugin and removes what setup created. */
  teardown(): Promise<void>;
  /** The network name requests carry. Default `''` (the plugin's only network). */
  networkName?: string;
  /** IPv4 CIDR every address the plugin hands out must fall in, e.g. `10.244.1.0/24`. */
  subnet: string;
  /**
   * How many addresses the plugin can hand out at once. When given (and at most 256),
   * the suite exhausts the pool and checks that DEL gives an address back. Use a small
   * range (a /29 has 5) to keep it fast.
   */
  capacity?: number;
  /**
   * The plugin's documented answer to a second ADD of the same container id + ifname
   * without DEL: `error` (rejects with `AlreadyAttached`, like the real host-local) or
   * `idempotent` (returns the same address). Default `error`.
   */
  duplicateAdd?: 'error' | 'idempotent';
  /** Per-call deadline of the suite's client. Default 10 000 ms. */
  deadlineMs?: number;
}

function ipv4ToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function inSubnet(address: string, subnet: string): boolean {
  const [net, bits] = subnet.split('/');
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return ((ipv4ToInt(address.split('/')[0]!) & mask) >>> 0) === ((ipv4ToInt(net!) & mask) >>> 0);
}

const firstIp = (r: CniResult) => r.ips[0]!.address.split('/')[0]!;
const rejectsWith = (code: CniErrorCode) => (e: unknown) => isCniError(e, code);

/**
 * The CNI conformance suite, derived from the CNI spec's semantics (upstream has none):
 * VERSION lists 1.0.0; ADD returns a valid CNI 1.0 result with an address in the subnet;
 * a duplicate ADD follows the plugin's documented choice; CHECK succeeds after ADD and
 * fails with `UnknownContainer` for an unknown or deleted attachment; DEL is idempotent
 * and releases; concurrent ADDs never share an address; requests without a container id or
 * ifname fail with `InvalidEnvironment`; an unsupported result version fails with
 * `IncompatibleVersion`. Every test deletes what it added, so the pool is empty between
 * tests. Needs vitest; IPv4 subnets only.
 *
 * `describeCniConformance('my plugin', async () => ({ endpoint, subnet: '10.9.0.0/29', capacity: 5, teardown }))`
 */
export function describeCniConformance(name: string, setup: () => Promise<CniConformanceTarget>): void {
  describe(`CNI conformance: ${name}`, () => {
    let target: CniConformanceTarget;
    let cni: CniClient;
    const run = randomUUID().slice(0, 8);
    let seq = 0;
    const cfg = (over: Partial<CniRuntimeConfigInput> = {}): CniRuntimeConfigInput => ({
      containerId: `conf-${run}-${++seq}`,
      ifname: 'eth0',
      netns: `/var/run/netns/conf-${run}-${seq}`,
      networkName: target.networkName ?? '',
      args: { K8S_POD_NAMESPACE: 'bosun-conformance', K8S_POD_NAME: `pod-${seq}` },
      ...over,
    });
    /** Adds, runs fn, and always deletes. */
    const attached = async <T>(fn: (result: CniResult, config: CniRuntimeConfigInput) => Promise<T>, config = cfg()): Promise<T> => {
      const result = await cni.add(config);
      try {
        return await fn(result, config);
      } finally {
        await cni.del(config, result);
      }
    };

    beforeAll(async () => {
      target = await setup();
      if (!target.endpoint === !target.plugin) throw new Error('describeCniConformance: give exactly one of endpoint and plugin');
      cni = target.endpoint ? createCniClient(target.endpoint, { deadlineMs: target.deadlineMs ?? 10_000 }) : createInProcessCniClient(target.plugin!);
    }, 60_000);

    afterAll(async () => {
      cni?.close();
      await target?.teardown();
    });

    it('lists 1.0.0 among the supported versions', async () => {
      const v = await cni.version();
      expect(v.supportedVersions).toContain('1.0.0');
      expect(v.supportedVersions).toContain(v.cniVersion);
    });

    it('answers ADD with a valid CNI 1.0 result holding an address in the subnet', async () => {
      await attached(async (r) => {
        expect(validateCniResult(r)).toEqual([]);
        expect(r.cniVersion).toBe('1.0.0');
        expect(r.ips.length).toBeGreaterThan(0);
        for (const ip of r.ips) expect(inSubnet(ip.address, target.subnet), `${ip.address} in ${target.subnet}`).toBe(true);
        expect(parseCniResultJson(JSON.parse(JSON.stringify(toCniResultJson(r))))).toEqual(r);
      });
    });

    it('answers a second ADD of the same container and ifname as documented (duplicateAdd)', async () => {
      await attached(async (r, config) => {
        if ((target.duplicateAdd ?? 'error') === 'error') await expect(cni.add(config)).rejects.toSatisfy(rejectsWith('AlreadyAttached'));
        else expect(firstIp(await cni.add(config))).toBe(firstIp(r));
      });
    });

    it('gives two ifnames of one container different addresses', async () => {
      const id = `conf-${run}-multi`;
      await attached(async (a) => {
        await attached(async (b) => expect(firstIp(b)).not.toBe(firstIp(a)), cfg({ containerId: id, ifname: 'net1' }));
      }, cfg({ containerId: id, ifname: 'eth0' }));
    });

    it('passes CHECK after ADD', async () => {
      await attached(async (r, config) => expect(cni.check(config, r)).resolves.toBeUndefined());
    });

    it.each<[string, () => Promise<unknown>]>([
      ['a container never added', () => cni.check(cfg())],
      ['an ifname never added', () => attached(async (_r, c) => cni.check({ ...c, ifname: 'eth9' }))],
      [
        'a container already deleted',
        async () => {
          const c = cfg();
          const r = await cni.add(c);
          await cni.del(c, r);
          return cni.check(c, r);
        },
      ],
    ])('fails CHECK with UnknownContainer for %s', async (_n, call) => {
      await expect(call()).rejects.toSatisfy(rejectsWith('UnknownContainer'));
    });

    it.each<[string, () => Promise<void>]>([
      ['DEL of a container never added', () => cni.del(cfg())],
      ['DEL of an ifname never added', () => attached(async (_r, c) => cni.del({ ...c, ifname: 'eth9' }))],
      [
        'DEL twice',
        async () => {
          const c = cfg();
          const r = await cni.add(c);
          await cni.del(c, r);
          await cni.del(c, r);
        },
      ],
      ['DEL without a netns', () => cni.del(cfg({ netns: '' }))],
    ])('succeeds (idempotent DEL): %s', async (_n, call) => {
      await expect(call()).resolves.toBeUndefined();
    });

    it.each<[string, Partial<CniRuntimeConfigInput>, 'add' | 'del' | 'check', CniErrorCode]>([
      ['ADD without a container id', { containerId: '' }, 'add', 'InvalidEnvironment'],
      ['ADD without an ifname', { ifname: '' }, 'add', 'InvalidEnvironment'],
      ['CHECK without a container id', { containerId: '' }, 'check', 'InvalidEnvironment'],
      ['ADD asking for result version 99.0.0', { cniVersion: '99.0.0' }, 'add', 'IncompatibleVersion'],
    ])('rejects %s', async (_n, over, op, code) => {
      await expect(cni[op](cfg(over))).rejects.toSatisfy(rejectsWith(code));
    });

    it('never hands out one address twice to concurrent ADDs', async () => {
      const n = Math.min(target.capacity ?? 16, 16);
      const configs = Array.from({ length: n }, () => cfg());
      const settled = await Promise.allSettled(configs.map((c) => cni.add(c)));
      try {
        const ips = settled.map((s) => (s.status === 'fulfilled' ? firstIp(s.value) : `failed: ${String(s.reason)}`));
        expect(ips.filter((ip) => ip.startsWith('failed'))).toEqual([]);
        expect(new Set(ips).size).toBe(n);
      } finally {
        await Promise.all(configs.map((c) => cni.del(c)));
      }
    });

    it('releases on DEL: an exhausted pool hands the deleted address out again', async (ctx) => {
      const capacity = target.capacity;
      if (capacity === undefined || capacity > 256) return ctx.skip();
      const configs = Array.from({ length: capacity }, () => cfg());
      const results: CniResult[] = [];
      try {
        for (const c of configs) results.push(await cni.add(c));
        expect(new Set(results.map(firstIp)).size).toBe(capacity);
        await expect(cni.add(cfg())).rejects.toSatisfy((e) => isCniError(e));
        const victim = Math.floor(capacity / 2);
        await cni.del(configs[victim]!, results[victim]);
        const again = cfg();
        configs.push(again);
        expect(firstIp(await cni.add(again))).toBe(firstIp(results[victim]!));
      } finally {
        await Promise.all(configs.map((c) => cni.del(c)));
      }
    });
  });
}
