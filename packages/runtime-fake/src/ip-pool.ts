import { CriError } from '@bosun/cri';

function parseIpv4(s: string): number {
  const parts = s.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new CriError('InvalidArgument', `invalid IPv4 address ${s}`);
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

const formatIpv4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/**
 * Pod IPs from an IPv4 CIDR, as host-local IPAM hands them out: the network address and
 * the first host (the gateway) are never given; the rest are allocated round-robin, so a
 * released address is not reused at once.
 */
export class IpPool {
  private first = 0;
  private last = 0;
  private cursor = 0;
  private readonly used = new Set<number>();
  /** The range new addresses come from. */
  cidr = '';

  constructor(cidr: string) {
    this.setCidr(cidr);
  }

  /** Switches the range for future allocations; addresses already handed out stay reserved. */
  setCidr(cidr: string): void {
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
    const bits = m ? Number(m[2]) : NaN;
    if (!m || bits < 8 || bits > 30) throw new CriError('InvalidArgument', `pod CIDR ${JSON.stringify(cidr)} is not an IPv4 CIDR between /8 and /30`);
    const size = 2 ** (32 - bits);
    const base = parseIpv4(m[1]!) - (parseIpv4(m[1]!) % size);
    this.first = base + 2;
    this.last = base + size - 2;
    this.cursor = this.first;
    this.cidr = cidr;
  }

  /** A free address; `Unavailable` when the range is exhausted. */
  allocate(): string {
    const span = this.last - this.first + 1;
    for (let i = 0; i < span; i++) {
      const ip = this.cursor;
      this.cursor = ip >= this.last ? this.first : ip + 1;
      if (!this.used.has(ip)) {
        this.used.add(ip);
        return formatIpv4(ip);
      }
    }
    throw new CriError('Unavailable', `no free pod IP left in ${this.cidr}`);
  }

  /** Returns an address to the pool; unknown addresses are ignored. */
  release(ip: string): void {
    if (ip) this.used.delete(parseIpv4(ip));
  }

  /** Addresses in use. */
  get inUse(): number {
    return this.used.size;
  }
}
