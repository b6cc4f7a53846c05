import { describe, expect, it } from 'vitest';
import { CniError } from './errors';
import { formatCniArgs, parseCniArgs, parseCniResultJson, toCniResultJson, validateCniResult } from './result';
import type { CniResult } from './types';

const ok: CniResult = { cniVersion: '1.0.0', interfaces: [], ips: [{ address: '10.244.1.2/24', gateway: '10.244.1.1' }], routes: [], dns: null };

describe('validateCniResult', () => {
  it.each<[string, Partial<CniResult>, string]>([
    ['a version that is not semver', { cniVersion: '1.0' }, 'cniVersion'],
    ['an address without a prefix', { ips: [{ address: '10.0.0.2', gateway: '' }] }, 'ips[0].address'],
    ['a gateway that is not an IP', { ips: [{ address: '10.0.0.2/24', gateway: 'router' }] }, 'ips[0].gateway'],
    ['an interface index past the interfaces', { ips: [{ address: '10.0.0.2/24', gateway: '', interface: 0 }] }, 'ips[0].interface'],
    ['a route destination that is not CIDR', { routes: [{ dst: 'default', gw: '', mtu: 0 }] }, 'routes[0].dst'],
    ['an unnamed interface', { interfaces: [{ name: '', mac: '', sandbox: '', mtu: 0 }] }, 'interfaces[0].name'],
    ['a nameserver that is not an IP', { dns: { nameservers: ['dns.local'], domain: '', search: [], options: [] } }, 'dns.nameservers[0]'],
  ])('reports %s', (_n, over, field) => {
    expect(validateCniResult({ ...ok, ...over }).join('\n')).toContain(field);
  });

  it('accepts a minimal IPAM result and an IPv6 one', () => {
    expect(validateCniResult(ok)).toEqual([]);
    expect(validateCniResult({ ...ok, ips: [{ address: 'fd00::5/64', gateway: 'fd00::1' }] })).toEqual([]);
  });
});

describe('CNI 1.0 JSON', () => {
  it('omits empty fields and round-trips', () => {
    expect(toCniResultJson(ok)).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.244.1.2/24', gateway: '10.244.1.1' }] });
    expect(parseCniResultJson(toCniResultJson(ok))).toEqual(ok);
  });

  it('prints errors in the exec protocol shape', () => {
    expect(new CniError('UnknownContainer', 'no such container', { details: 'x' }).toCniJson()).toEqual({ cniVersion: '1.0.0', code: 3, msg: 'no such container', details: 'x' });
  });
});

describe('CNI_ARGS', () => {
  it.each<[string, string, Record<string, string>]>([
    ['empty', '', {}],
    ['one pair', 'K8S_POD_NAME=web-0', { K8S_POD_NAME: 'web-0' }],
    ['several pairs and an empty value', 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;X=', { IgnoreUnknown: '1', K8S_POD_NAMESPACE: 'default', X: '' }],
  ])('parses and formats %s', (_n, text, args) => {
    expect(parseCniArgs(text)).toEqual(args);
    expect(formatCniArgs(args)).toBe(text);
  });

  it.each([['a pair without =', () => parseCniArgs('novalue')], ['a value with ;', () => formatCniArgs({ K: 'a;b' })]])('rejects %s', (_n, fn) => {
    expect(fn).toThrow();
  });
});
