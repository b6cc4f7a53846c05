export { createHostLocalNetwork } from './network';
export type { HostLocalNetwork, HostLocalNetworkOptions } from './network';
export type { Allocation } from './store';
export { parseIpv4Range, ipv4ToInt, intToIpv4 } from './ipv4';
export type { Ipv4Range } from './ipv4';
