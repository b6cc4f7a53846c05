/**
 * A network plugin skeleton: IPAM from one IPv4 subnet, in memory. It shows the shape of
 * every network plugin on Bosun: an object implementing `CniPlugin` (`add`, `del`,
 * `check`, `version`, optionally `status` and `gc`) that validates the runtime config the
 * way a CNI binary validates its environment, throws `CniError`s with CNI's error codes,
 * answers CNI 1.0-shaped results, and is served on a unix socket with `serveCni`.
 *
 * What it leaves out, on purpose: addresses are not persisted (a restarted plugin forgets
 * them; `@bosun/network-hostlocal` persists them per node), no interface is created in
 * the netns (the result reports the one the runtime named), no port mappings.
 */
import { CNI_VERSION, CniError, serveCni, type CniPlugin, type CniResult, type CniRuntimeConfig, type CniServerHandle } from '@bosun/cni';

/** Options of {@link createSkeletonNetwork}. */
export interface SkeletonNetworkOptions {
  /** IPv4 CIDR to hand addresses out of, e.g. `10.99.0.0/29`. The first host address is the gateway. */
  subnet: string;
}

const toInt = (ip: string) => ip.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);
const toIp = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/** Parses `a.b.c.d/len` (IPv4, len ≤ 30) or throws. */
function parseSubnet(cidr: string): { base: number; prefix: number; size: number } {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr);
  const prefix = Number(m?.[2]);
  if (!m || prefix > 30 || m[1]!.split('.').some((p) => Number(p) > 255)) throw new Error(`subnet ${JSON.stringify(cidr)}: want an IPv4 CIDR of /30 or larger`);
  const size = 2 ** (32 - prefix);
  return { base: (toInt(m[1]!) & ~(size - 1)) >>> 0, prefix, size };
}

/** `add` and `check` need these, as a CNI binary needs CNI_CONTAINERID and CNI_IFNAME. */
function requireEnvironment(config: CniRuntimeConfig): void {
  if (!config.containerId) throw new CniError('InvalidEnvironment', 'containerId (CNI_CONTAINERID) is required');
  if (!config.ifname) throw new CniError('InvalidEnvironment', 'ifname (CNI_IFNAME) is required');
}

/** The skeleton plugin, plus how many addresses it can hand out at once. */
export interface SkeletonNetwork extends CniPlugin {
  readonly capacity: number;
}

/**
 * Creates the plugin. A second `add` of the same container id + ifname without `del` is
 * rejected with `AlreadyAttached` (as the real host-local plugin does); `del` is
 * idempotent; a full subnet fails `add` with `AddressesExhausted`.
 */
export function createSkeletonNetwork(opts: SkeletonNetworkOptions): SkeletonNetwork {
  const { base, prefix, size } = parseSubnet(opts.subnet);
  const gateway = toIp(base + 1);
  const first = base + 2;
  const last = base + size - 2; // the top address is the broadcast address
  /** `containerId/ifname` → address (as an integer). */
  const attached = new Map<string, number>();
  const inUse = new Set<number>();
  const key = (c: CniRuntimeConfig) => `${c.containerId}/${c.ifname}`;

  const resultFor = (config: CniRuntimeConfig, ip: number): CniResult => ({
    cniVersion: CNI_VERSION,
    interfaces: [{ name: config.ifname, mac: '', sandbox: config.netns, mtu: 0 }],
    ips: [{ address: `${toIp(ip)}/${prefix}`, gateway, interface: 0 }],
    routes: [{ dst: '0.0.0.0/0', gw: gateway, mtu: 0 }],
    dns: null,
  });

  return {
    capacity: last - first + 1,

    async add({ config }) {
      requireEnvironment(config);
      if (config.cniVersion && config.cniVersion !== CNI_VERSION) throw new CniError('IncompatibleVersion', `result version ${config.cniVersion} is not supported (only ${CNI_VERSION})`);
      if (attached.has(key(config))) throw new CniError('AlreadyAttached', `${key(config)} is already attached; delete it first`);
      for (let ip = first; ip <= last; ip++) {
        if (inUse.has(ip)) continue;
        inUse.add(ip);
        attached.set(key(config), ip);
        return resultFor(config, ip);
      }
      throw new CniError('AddressesExhausted', `no free address in ${opts.subnet}`);
    },

    async del({ config }) {
      const ip = attached.get(key(config));
      if (ip === undefined) return; // never added, or deleted already: success
      attached.delete(key(config));
      inUse.delete(ip);
    },

    async check({ config }) {
      requireEnvironment(config);
      if (!attached.has(key(config))) throw new CniError('UnknownContainer', `${key(config)} is not attached`);
    },

    async version() {
      return { cniVersion: CNI_VERSION, supportedVersions: [CNI_VERSION] };
    },

    async status() {
      if (inUse.size > last - first) throw new CniError('NotAvailableLimitedResources', `every address of ${opts.subnet} is in use`);
    },
  };
}

/** Serves the plugin on `socketPath` (mode 0600). */
export async function serveSkeletonNetwork(opts: SkeletonNetworkOptions & { socketPath: string }): Promise<{ server: CniServerHandle; network: SkeletonNetwork }> {
  const network = createSkeletonNetwork(opts);
  return { server: await serveCni(network, { socketPath: opts.socketPath, name: 'skeleton-network' }), network };
}
