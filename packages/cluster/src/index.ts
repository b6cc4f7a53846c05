// @bosun/cluster: placeholder until createCluster lands (issue 5).
export {};
