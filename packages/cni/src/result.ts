import { isIP } from 'node:net';
import type { CniResult, CniRuntimeConfig, CniRuntimeConfigInput } from './types';

/** The CNI spec version Bosun's contract speaks natively. */
export const CNI_VERSION = '1.0.0';

/** A runtime config with every field at its proto3 default. */
export function emptyRuntimeConfig(): CniRuntimeConfig {
  return { containerId: '', netns: '', ifname: '', args: {}, networkName: '', capabilityArgs: null, cniVersion: '', networkConfigJson: '' };
}

/** Fills the defaults of a partial runtime config (as callers write it). */
export function normalizeRuntimeConfig(input: CniRuntimeConfigInput): CniRuntimeConfig {
  const { capabilityArgs, ...rest } = input;
  return {
    ...emptyRuntimeConfig(),
    ...rest,
    capabilityArgs: capabilityArgs
      ? {
          portMappings: (capabilityArgs.portMappings ?? []).map((p) => ({ protocol: '', hostIp: '', ...p })),
          bandwidth: capabilityArgs.bandwidth ?? null,
          ips: capabilityArgs.ips ?? [],
          mac: capabilityArgs.mac ?? '',
          dns: capabilityArgs.dns ?? null,
          aliases: capabilityArgs.aliases ?? [],
        }
      : null,
  };
}

/** `K1=V1;K2=V2` (CNI_ARGS) → `{ K1: 'V1', K2: 'V2' }`. Throws on a pair without `=`. */
export function parseCniArgs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(';')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`CNI_ARGS: invalid pair ${JSON.stringify(pair)} (want KEY=VALUE)`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** `{ K1: 'V1' }` → `K1=V1` (CNI_ARGS, `;`-separated). Keys or values containing `;` or keys containing `=` are rejected. */
export function formatCniArgs(args: Record<string, string>): string {
  return Object.entries(args)
    .map(([k, v]) => {
      if (k === '' || /[;=]/.test(k) || v.includes(';')) throw new Error(`CNI_ARGS: cannot encode ${JSON.stringify(k)}=${JSON.stringify(v)}`);
      return `${k}=${v}`;
    })
    .join(';');
}

function isCidr(s: string): boolean {
  const [addr, prefix, extra] = s.split('/');
  if (extra !== undefined || addr === undefined || prefix === undefined || !/^\d{1,3}$/.test(prefix)) return false;
  const family = isIP(addr);
  return family !== 0 && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Why a result is not a valid CNI 1.0 result (empty when it is): semver `cniVersion`,
 * named interfaces, CIDR addresses, IP gateways, interface indexes within `interfaces`,
 * CIDR route destinations, IP nameservers.
 */
export function validateCniResult(result: CniResult): string[] {
  const problems: string[] = [];
  if (!/^\d+\.\d+\.\d+$/.test(result.cniVersion)) problems.push(`cniVersion: ${JSON.stringify(result.cniVersion)} is not a version`);
  result.interfaces.forEach((itf, i) => {
    if (!itf.name) problems.push(`interfaces[${i}].name: required`);
    if (itf.mac && !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(itf.mac) && !/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/i.test(itf.mac)) problems.push(`interfaces[${i}].mac: ${itf.mac} is not a MAC`);
  });
  result.ips.forEach((ip, i) => {
    if (!isCidr(ip.address)) problems.push(`ips[${i}].address: ${JSON.stringify(ip.address)} is not CIDR`);
    if (ip.gateway && isIP(ip.gateway) === 0) problems.push(`ips[${i}].gateway: ${JSON.stringify(ip.gateway)} is not an IP`);
    if (ip.interface !== undefined && ip.interface !== null && !(ip.interface >= 0 && ip.interface < result.interfaces.length))
      problems.push(`ips[${i}].interface: ${ip.interface} is not an index into interfaces`);
  });
  result.routes.forEach((r, i) => {
    if (!isCidr(r.dst)) problems.push(`routes[${i}].dst: ${JSON.stringify(r.dst)} is not CIDR`);
    if (r.gw && isIP(r.gw) === 0) problems.push(`routes[${i}].gw: ${JSON.stringify(r.gw)} is not an IP`);
  });
  result.dns?.nameservers.forEach((ns, i) => {
    if (isIP(ns) === 0) problems.push(`dns.nameservers[${i}]: ${JSON.stringify(ns)} is not an IP`);
  });
  return problems;
}

/**
 * The result as CNI 1.0 JSON (what a plugin binary prints): empty optional fields
 * omitted, `interface` kept only when set.
 */
export function toCniResultJson(result: CniResult): Record<string, unknown> {
  const out: Record<string, unknown> = { cniVersion: result.cniVersion || CNI_VERSION };
  if (result.interfaces.length)
    out.interfaces = result.interfaces.map((i) => ({ name: i.name, ...(i.mac ? { mac: i.mac } : {}), ...(i.mtu ? { mtu: i.mtu } : {}), ...(i.sandbox ? { sandbox: i.sandbox } : {}) }));
  if (result.ips.length)
    out.ips = result.ips.map((ip) => ({ address: ip.address, ...(ip.gateway ? { gateway: ip.gateway } : {}), ...(ip.interface != null ? { interface: ip.interface } : {}) }));
  if (result.routes.length) out.routes = result.routes.map((r) => ({ dst: r.dst, ...(r.gw ? { gw: r.gw } : {}), ...(r.mtu ? { mtu: r.mtu } : {}) }));
  const dns = result.dns;
  if (dns && (dns.nameservers.length || dns.domain || dns.search.length || dns.options.length))
    out.dns = {
      ...(dns.nameservers.length ? { nameservers: dns.nameservers } : {}),
      ...(dns.domain ? { domain: dns.domain } : {}),
      ...(dns.search.length ? { search: dns.search } : {}),
      ...(dns.options.length ? { options: dns.options } : {}),
    };
  return out;
}

/** Parses CNI 1.0 result JSON (a plugin binary's stdout) into a {@link CniResult}. Throws on malformed input. */
export function parseCniResultJson(json: unknown): CniResult {
  if (!json || typeof json !== 'object') throw new Error('CNI result: not an object');
  const j = json as Record<string, any>;
  const arr = (v: unknown, what: string): any[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new Error(`CNI result: ${what} is not an array`);
    return v;
  };
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    cniVersion: str(j.cniVersion),
    interfaces: arr(j.interfaces, 'interfaces').map((i) => ({ name: str(i?.name), mac: str(i?.mac), sandbox: str(i?.sandbox), mtu: Number(i?.mtu ?? 0) })),
    ips: arr(j.ips, 'ips').map((ip) => ({ address: str(ip?.address), gateway: str(ip?.gateway), ...(typeof ip?.interface === 'number' ? { interface: ip.interface } : {}) })),
    routes: arr(j.routes, 'routes').map((r) => ({ dst: str(r?.dst), gw: str(r?.gw), mtu: Number(r?.mtu ?? 0) })),
    dns: j.dns
      ? { nameservers: arr(j.dns.nameservers, 'dns.nameservers'), domain: str(j.dns.domain), search: arr(j.dns.search, 'dns.search'), options: arr(j.dns.options, 'dns.options') }
      : null,
  };
}
