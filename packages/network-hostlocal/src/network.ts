import { join } from 'node:path';
import { CNI_VERSION, CniError, type CniAddRequest, type CniDelRequest, type CniDns, type CniGcRequest, type CniPlugin, type CniResult, type CniRuntimeConfig, type CniStatusRequest, type CniVersionInfo } from '@bosun/cni';
import { intToIpv4, ipv4ToInt, parseIpv4Range, type Ipv4Range } from './ipv4';
import { AllocationStore, type Allocation } from './store';

/** Result versions this plugin produces. Earlier result shapes (0.x) are not produced. */
const SUPPORTED_VERSIONS = ['1.0.0', '1.1.0'];

/** Options of {@link createHostLocalNetwork}. */
export interface HostLocalNetworkOptions {
  /** The node's pod CIDR (`node.spec.podCIDR`), IPv4 only, /30 or larger: `10.244.1.0/24`. */
  podCIDR: string;
  /**
   * Directory holding this node's reservations (one subdirectory per network). It must
   * survive restarts of the plugin and belong to one node.
   */
  dataDir: string;
  /** Name of the network; requests naming another network are refused. Default `bosun`. */
  networkName?: string;
  /** Routes put in every result; `gw` `''` means the gateway. Default none (like host-local). */
  routes?: Array<{ dst: string; gw?: string }>;
  /** DNS settings put in every result. Default none. */
  dns?: Partial<CniDns>;
}

/** The host-local network plugin: a {@link CniPlugin} plus what it knows about its pool. */
export interface HostLocalNetwork extends CniPlugin {
  /** The normalised pod CIDR. */
  readonly podCIDR: string;
  /** The gateway address handed out in results (network address + 1). */
  readonly gateway: string;
  /** How many addresses the pool holds (network, gateway and broadcast excluded). */
  readonly capacity: number;
  /** Current reservations (snapshot). */
  allocations(): Allocation[];
}

const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Creates the host-local network plugin: IPAM from a per-node pod CIDR with reservations
 * persisted under `dataDir`, loaded again when a new instance opens the same directory.
 *
 * - Addresses: every host address of the CIDR except the network address, the gateway
 *   (`.1`) and the broadcast address; handed out round-robin after the last reserved one
 *   (so a just-released address is not reused at once), as the real host-local does.
 *   IPv4 only.
 * - It is IPAM plus a result: it creates no interfaces, so results have no `interfaces`
 *   and their `ips` have no `interface` index. Whoever owns the sandbox (Bosun's process
 *   runtime, or the real-CNI adapter chaining a bridge/ptp plugin) realises the address.
 * - ADD twice for one container id + ifname without DEL fails with `AlreadyAttached`
 *   (the real host-local refuses duplicate allocations too); DEL is idempotent; CHECK of
 *   an unknown attachment fails with `UnknownContainer`; a full pool fails ADD with
 *   `AddressesExhausted` and STATUS with `NotAvailableLimitedResources`.
 * - Capability `ips` (static addresses) is honoured: the first requested address in the
 *   range is reserved, or ADD fails. Port mappings and bandwidth are ignored (a portmap
 *   or bandwidth plugin's business).
 *
 * Calls are serialised in-process; across processes the atomic, exclusive link in the
 * store still makes double reservations impossible. Use it in-process, or serve it:
 * `serveCni(createHostLocalNetwork(opts), { socketPath })`. Throws on an invalid
 * `podCIDR` or `networkName`.
 */
export function createHostLocalNetwork(opts: HostLocalNetworkOptions): HostLocalNetwork {
  const networkName = opts.networkName ?? 'bosun';
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(networkName)) throw new CniError('InvalidNetworkConfig', `invalid network name ${JSON.stringify(networkName)}`);
  let range: Ipv4Range;
  try {
    range = parseIpv4Range(opts.podCIDR);
  } catch (err) {
    throw new CniError('InvalidNetworkConfig', `podCIDR: ${(err as Error).message}`, { cause: err });
  }
  const store = AllocationStore.open(join(opts.dataDir, networkName));
  const gateway = intToIpv4(range.gateway);
  const capacity = range.last - range.first + 1;
  const routes = (opts.routes ?? []).map((r) => ({ dst: r.dst, gw: r.gw ?? '', mtu: 0 }));
  const dns: CniDns | null = opts.dns ? { nameservers: [], domain: '', search: [], options: [], ...opts.dns } : null;

  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  const checkConfig = (c: CniRuntimeConfig, op: string) => {
    if (!c.containerId) throw new CniError('InvalidEnvironment', `${op}: containerId (CNI_CONTAINERID) is required`);
    if (!c.ifname) throw new CniError('InvalidEnvironment', `${op}: ifname (CNI_IFNAME) is required`);
    if (CONTROL.test(c.containerId) || CONTROL.test(c.ifname)) throw new CniError('InvalidEnvironment', `${op}: containerId and ifname must not contain control characters`);
    if (c.networkName && c.networkName !== networkName)
      throw new CniError('InvalidNetworkConfig', `${op}: this plugin serves network ${JSON.stringify(networkName)}, not ${JSON.stringify(c.networkName)}`);
    if (c.cniVersion && !SUPPORTED_VERSIONS.includes(c.cniVersion))
      throw new CniError('IncompatibleVersion', `${op}: result version ${c.cniVersion} is not supported (supported: ${SUPPORTED_VERSIONS.join(', ')})`, {
        details: `supported versions: ${SUPPORTED_VERSIONS.join(', ')}`,
      });
  };

  const resultFor = (a: Allocation, c: CniRuntimeConfig): CniResult => ({
    cniVersion: c.cniVersion || CNI_VERSION,
    interfaces: [],
    ips: [{ address: `${a.ip}/${range.prefix}`, gateway }],
    routes: routes.map((r) => ({ ...r })),
    dns: dns && { ...dns, nameservers: [...dns.nameservers], search: [...dns.search], options: [...dns.options] },
  });

  const inRange = (n: number) => n >= range.first && n <= range.last;

  const reserveStatic = async (c: CniRuntimeConfig): Promise<Allocation> => {
    for (const want of c.capabilityArgs!.ips) {
      let n: number;
      try {
        n = ipv4ToInt(want.split('/')[0]!);
      } catch {
        continue;
      }
      if (!inRange(n)) continue;
      const ip = intToIpv4(n);
      if (!store.has(ip) && (await store.reserve(ip, c.containerId, c.ifname))) return { ip, containerId: c.containerId, ifname: c.ifname };
      throw new CniError('Plugin', `requested address ${ip} is already reserved`, { cniCode: 102 });
    }
    throw new CniError('InvalidNetworkConfig', `none of the requested addresses ${c.capabilityArgs!.ips.join(', ')} is assignable in ${range.cidr}`);
  };

  const reserveNext = async (c: CniRuntimeConfig): Promise<Allocation> => {
    const last = store.lastReserved();
    let start = range.first;
    if (last) {
      try {
        const n = ipv4ToInt(last);
        if (inRange(n)) start = n === range.last ? range.first : n + 1;
      } catch {
        // a corrupt marker only affects where the scan starts
      }
    }
    for (let i = 0; i < capacity && store.size < capacity; i++) {
      const n = range.first + ((start - range.first + i) % capacity);
      const ip = intToIpv4(n);
      if (store.has(ip)) continue;
      if (await store.reserve(ip, c.containerId, c.ifname)) {
        await store.setLastReserved(ip);
        return { ip, containerId: c.containerId, ifname: c.ifname };
      }
    }
    throw new CniError('AddressesExhausted', `no free address in ${range.cidr} (${capacity} in use)`);
  };

  const plugin: HostLocalNetwork = {
    podCIDR: range.cidr,
    gateway,
    capacity,
    allocations: () => store.list(),

    add: ({ config }: CniAddRequest) =>
      serial(async () => {
        checkConfig(config, 'ADD');
        const existing = store.byAttachment(config.containerId, config.ifname);
        if (existing)
          throw new CniError('AlreadyAttached', `${config.containerId}/${config.ifname} already holds ${existing.ip}; DEL it before adding it again`);
        try {
          const a = config.capabilityArgs?.ips.length ? await reserveStatic(config) : await reserveNext(config);
          return resultFor(a, config);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code && !(err instanceof CniError)) throw new CniError('IoFailure', `ADD: ${(err as Error).message}`, { cause: err });
          throw err;
        }
      }),

    del: ({ config }: CniDelRequest) =>
      serial(async () => {
        checkConfig(config, 'DEL');
        const a = store.byAttachment(config.containerId, config.ifname);
        if (a) await store.release(a.ip).catch((err: Error) => Promise.reject(new CniError('IoFailure', `DEL: ${err.message}`, { cause: err })));
      }),

    check: ({ config, prevResult }: CniDelRequest) =>
      serial(async () => {
        checkConfig(config, 'CHECK');
        const a = store.byAttachment(config.containerId, config.ifname);
        if (!a) throw new CniError('UnknownContainer', `CHECK: ${config.containerId}/${config.ifname} holds no address in ${range.cidr}`);
        const claimed = prevResult?.ips.map((ip) => ip.address.split('/')[0]) ?? [];
        if (claimed.length && !claimed.includes(a.ip))
          throw new CniError('UnknownContainer', `CHECK: ${config.containerId}/${config.ifname} holds ${a.ip}, not ${claimed.join(', ')} as prevResult says`);
      }),

    version: async (): Promise<CniVersionInfo> => ({ cniVersion: CNI_VERSION, supportedVersions: [...SUPPORTED_VERSIONS] }),

    status: async ({ networkName: name }: CniStatusRequest) => {
      if (name && name !== networkName) throw new CniError('InvalidNetworkConfig', `STATUS: unknown network ${JSON.stringify(name)}`);
      if (store.size >= capacity) throw new CniError('NotAvailableLimitedResources', `every address of ${range.cidr} is in use`);
    },

    gc: ({ networkName: name, validAttachments }: CniGcRequest) =>
      serial(async () => {
        if (name && name !== networkName) throw new CniError('InvalidNetworkConfig', `GC: unknown network ${JSON.stringify(name)}`);
        const valid = new Set(validAttachments.map((v) => `${v.containerId}\u0000${v.ifname}`));
        for (const a of store.list()) if (!valid.has(`${a.containerId}\u0000${a.ifname}`)) await store.release(a.ip);
      }),
  };
  return plugin;
}
