import { describe, expect, it } from 'vitest';
import { intToIpv4, ipv4ToInt, parseIpv4Range } from './ipv4';

describe('parseIpv4Range', () => {
  it.each<[string, string, string, string, string, number]>([
    ['a /24 pod CIDR', '10.244.1.0/24', '10.244.1.0/24', '10.244.1.1', '10.244.1.2', 253],
    ['a CIDR with host bits set', '10.244.1.77/24', '10.244.1.0/24', '10.244.1.1', '10.244.1.2', 253],
    ['a /29', '192.168.9.8/29', '192.168.9.8/29', '192.168.9.9', '192.168.9.10', 5],
    ['the smallest usable /30', '10.0.0.4/30', '10.0.0.4/30', '10.0.0.5', '10.0.0.6', 1],
    ['a /16', '10.1.0.0/16', '10.1.0.0/16', '10.1.0.1', '10.1.0.2', 65533],
  ])('parses %s', (_n, input, cidr, gateway, first, size) => {
    const r = parseIpv4Range(input);
    expect(r.cidr).toBe(cidr);
    expect(intToIpv4(r.gateway)).toBe(gateway);
    expect(intToIpv4(r.first)).toBe(first);
    expect(r.last - r.first + 1).toBe(size);
    expect(r.last).toBe(r.broadcast - 1);
  });

  it.each([
    ['IPv6', 'fd00::/64'],
    ['a /31', '10.0.0.0/31'],
    ['a /32', '10.0.0.1/32'],
    ['no prefix', '10.0.0.0'],
    ['an octet above 255', '10.0.256.0/24'],
  ])('rejects %s', (_n, input) => {
    expect(() => parseIpv4Range(input)).toThrow();
  });

  it('round-trips addresses through integers', () => {
    for (const ip of ['0.0.0.0', '10.244.1.2', '255.255.255.255']) expect(intToIpv4(ipv4ToInt(ip))).toBe(ip);
  });
});
