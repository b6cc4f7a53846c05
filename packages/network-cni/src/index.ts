// @bosun/network-cni: being built (issue 6).
export {};
