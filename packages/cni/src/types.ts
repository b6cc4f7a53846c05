/**
 * Domain types of the network contract. Field names are the camelCase forms of the proto
 * fields (`proto/cni/cni.proto`); results mirror CNI 1.0 result JSON field for field.
 */

/** One port forwarded from the host to the container (`portMappings` capability). */
export interface CniPortMapping {
  hostPort: number;
  containerPort: number;
  /** `tcp` (default when empty), `udp` or `sctp`. */
  protocol: string;
  /** Host address to bind (`hostIP` in CNI JSON); `''` means every address. */
  hostIp: string;
}

/** Traffic shaping (`bandwidth` capability): rates in bit/s, bursts in bits; 0 means unlimited. */
export interface CniBandwidth {
  ingressRate: number;
  ingressBurst: number;
  egressRate: number;
  egressBurst: number;
}

/** DNS settings, in a result or requested through the `dns` capability. */
export interface CniDns {
  nameservers: string[];
  domain: string;
  search: string[];
  options: string[];
}

/** Capability arguments the runtime injects into the network configuration's `runtimeConfig`. */
export interface CniCapabilityArgs {
  portMappings: CniPortMapping[];
  bandwidth: CniBandwidth | null;
  /** Requested static addresses (`ips` capability). */
  ips: string[];
  /** Requested MAC (`mac` capability); `''` when none. */
  mac: string;
  dns: CniDns | null;
  aliases: string[];
}

/**
 * The runtime configuration of one operation: CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME,
 * CNI_ARGS, plus the network name, requested result version and capability args.
 */
export interface CniRuntimeConfig {
  /** CNI_CONTAINERID (the pod sandbox id). Required for add, del and check. */
  containerId: string;
  /** CNI_NETNS: path of the sandbox's network namespace, `''` when it has none. */
  netns: string;
  /** CNI_IFNAME, e.g. `eth0`. Required for add, del and check. */
  ifname: string;
  /** CNI_ARGS as key/value pairs (`K8S_POD_NAMESPACE`, `K8S_POD_NAME`, …). */
  args: Record<string, string>;
  /** The network's name; `''` means the plugin's only network. */
  networkName: string;
  capabilityArgs: CniCapabilityArgs | null;
  /** Result version wanted; `''` means `1.0.0`. */
  cniVersion: string;
  /** The full network configuration JSON, for plugins that need it (the real-binary adapter); usually `''`. */
  networkConfigJson: string;
}

/** An interface a plugin created (CNI 1.0 `interfaces[]`). */
export interface CniInterface {
  name: string;
  mac: string;
  /** netns path for an interface inside the sandbox; `''` for a host interface. */
  sandbox: string;
  /** 0 when not reported. */
  mtu: number;
}

/** An address (CNI 1.0 `ips[]`). */
export interface CniIpConfig {
  /** CIDR: `10.244.1.5/24`. */
  address: string;
  /** `''` when there is none. */
  gateway: string;
  /** Index into `interfaces`; absent in IPAM-only results. */
  interface?: number;
}

/** A route (CNI 1.0 `routes[]`). */
export interface CniRoute {
  dst: string;
  /** `''` means the gateway of the matching range. */
  gw: string;
  mtu: number;
}

/** A CNI 1.0 result. */
export interface CniResult {
  cniVersion: string;
  interfaces: CniInterface[];
  ips: CniIpConfig[];
  routes: CniRoute[];
  dns: CniDns | null;
}

/** A container id + ifname pair: what ADD attaches and DEL releases. */
export interface CniAttachment {
  containerId: string;
  ifname: string;
}

/** Request of {@link CniPlugin.add}. */
export interface CniAddRequest {
  config: CniRuntimeConfig;
}

/** Request of {@link CniPlugin.del} and {@link CniPlugin.check}. */
export interface CniDelRequest {
  config: CniRuntimeConfig;
  /** The result of the matching add, when the runtime kept it. */
  prevResult: CniResult | null;
}

/** Request of {@link CniPlugin.check}. */
export type CniCheckRequest = CniDelRequest;

/** Answer of {@link CniPlugin.version}. */
export interface CniVersionInfo {
  /** The version the plugin prefers. */
  cniVersion: string;
  /** Every version the plugin produces results in; must include `1.0.0`. */
  supportedVersions: string[];
}

/** Request of {@link CniPlugin.status}. */
export interface CniStatusRequest {
  networkName: string;
}

/** Request of {@link CniPlugin.gc}. */
export interface CniGcRequest {
  networkName: string;
  /** Attachments still in use; every other attachment of the network is released. */
  validAttachments: CniAttachment[];
}

/**
 * A network plugin: what {@link addCniToServer} serves and what a runtime can also call
 * in-process. Every method may throw a {@link CniError}; anything else becomes `Internal`.
 * Requests arrive with every field present (proto3 defaults filled in).
 */
export interface CniPlugin {
  /**
   * Attaches `config.containerId`/`config.ifname` and returns the result (at least one IP).
   * The runtime never calls add twice for the same pair without a del in between; a plugin
   * either rejects that (`AlreadyAttached`) or returns the existing result, and documents which.
   */
  add(req: CniAddRequest): Promise<CniResult>;
  /**
   * Releases everything add allocated for the pair. Must be idempotent: an unknown pair, or
   * a second del, succeeds.
   */
  del(req: CniDelRequest): Promise<void>;
  /** Succeeds when the attachment add made still exists as add left it; `UnknownContainer` when there is none. */
  check(req: CniCheckRequest): Promise<void>;
  /** Versions the plugin speaks. */
  version(): Promise<CniVersionInfo>;
  /** Succeeds when add can be served; else `NotAvailable`/`NotAvailableLimitedResources`. Optional. */
  status?(req: CniStatusRequest): Promise<void>;
  /** Releases every attachment not in `validAttachments`. Optional. */
  gc?(req: CniGcRequest): Promise<void>;
}

/** A partial runtime config as callers write it; missing fields take proto3 defaults. */
export type CniRuntimeConfigInput = Partial<Omit<CniRuntimeConfig, 'capabilityArgs'>> &
  Pick<CniRuntimeConfig, 'containerId' | 'ifname'> & {
    capabilityArgs?: Partial<Omit<CniCapabilityArgs, 'portMappings'>> & { portMappings?: Array<Partial<CniPortMapping> & Pick<CniPortMapping, 'hostPort' | 'containerPort'>> };
  };
