/** An IPv4 range in CIDR form, with its assignable host addresses. */
export interface Ipv4Range {
  /** Normalised CIDR (`10.244.1.0/24`, host bits cleared). */
  readonly cidr: string;
  readonly prefix: number;
  /** Network address as an unsigned 32-bit integer. */
  readonly network: number;
  /** Broadcast address as an unsigned 32-bit integer. */
  readonly broadcast: number;
  /** First address after the network address: the gateway. */
  readonly gateway: number;
  /** First and last assignable addresses (gateway + 1 … broadcast − 1). */
  readonly first: number;
  readonly last: number;
}

/** `10.0.0.1` → 167772161. Throws on anything but a dotted-quad IPv4 address. */
export function ipv4ToInt(ip: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  const parts = m?.slice(1).map(Number);
  if (!parts || parts.some((p) => p > 255)) throw new Error(`not an IPv4 address: ${JSON.stringify(ip)}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** 167772161 → `10.0.0.1`. */
export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * Parses an IPv4 pod CIDR. The network address, the gateway (network + 1) and the
 * broadcast address are never assigned, so the prefix must leave at least one address
 * (≤ /30). Throws on IPv6, malformed input or a prefix above 30.
 */
export function parseIpv4Range(cidr: string): Ipv4Range {
  const [addr, bits, extra] = cidr.split('/');
  if (addr === undefined || bits === undefined || extra !== undefined || !/^\d{1,2}$/.test(bits)) throw new Error(`not an IPv4 CIDR: ${JSON.stringify(cidr)}`);
  const prefix = Number(bits);
  if (prefix > 30) throw new Error(`${cidr}: a /${prefix} leaves no assignable address (network, gateway and broadcast are reserved); use /30 or larger`);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  const network = (ipv4ToInt(addr) & mask) >>> 0;
  const broadcast = (network | (~mask >>> 0)) >>> 0;
  return { cidr: `${intToIpv4(network)}/${prefix}`, prefix, network, broadcast, gateway: network + 1, first: network + 2, last: broadcast - 1 };
}
