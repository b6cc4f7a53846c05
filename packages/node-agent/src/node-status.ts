import { isAlreadyExists, isConflict, isNotFound, rfc3339, rfc3339Micro, type Clock, type Lease, type Node, type core } from '@bosun/api';
import type { Client } from '@bosun/apiserver';
import type { VersionResponse } from '@bosun/cri';

/** Where node Leases live (upstream's `kube-node-lease`). */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** The kubelet version every Bosun node agent reports. */
export const KUBELET_VERSION = 'v1.32.0-bosun';
/** Capacity a node reports when none is given. */
export const DEFAULT_CAPACITY: Readonly<Record<string, string>> = { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '100Gi' };

/** What the Node object is built from. */
export interface NodeFacts {
  nodeName: string;
  hostIP: string;
  capacity: Record<string, string>;
  labels: Record<string, string>;
  taints: core.Taint[];
  podCidr?: string;
  version: VersionResponse;
}

const arch = () => (process.arch === 'x64' ? 'amd64' : process.arch);

/** The labels every node carries, plus the caller's (which win). */
export function nodeLabels(nodeName: string, extra: Record<string, string>): Record<string, string> {
  return { 'kubernetes.io/hostname': nodeName, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': arch(), ...extra };
}

function nodeConditions(now: number, previous: core.NodeCondition[] | undefined): core.NodeCondition[] {
  const t = rfc3339(now);
  const want: Array<Omit<core.NodeCondition, 'lastHeartbeatTime' | 'lastTransitionTime'>> = [
    { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
    { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
  ];
  return want.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    return { ...c, lastHeartbeatTime: t, lastTransitionTime: old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : t };
  });
}

/** The status a node agent posts for `facts` at `now`, keeping transition times from `previous`. */
export function buildNodeStatus(facts: NodeFacts, now: number, previous?: core.NodeStatus): core.NodeStatus {
  const v = facts.version;
  return {
    ...previous,
    capacity: { ...facts.capacity },
    allocatable: { ...facts.capacity },
    conditions: nodeConditions(now, previous?.conditions),
    addresses: [
      { type: 'InternalIP', address: facts.hostIP },
      { type: 'Hostname', address: facts.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: facts.nodeName,
      systemUUID: facts.nodeName,
      bootID: facts.nodeName,
      kernelVersion: process.version,
      osImage: 'Bosun',
      containerRuntimeVersion: `${v.runtimeName}://${v.runtimeVersion}`,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: arch(),
    },
  };
}

/** The spec fields the agent owns: taints and podCIDR, when given. */
const ownSpec = (facts: NodeFacts): core.NodeSpec => ({
  ...(facts.taints.length ? { taints: facts.taints } : {}),
  ...(facts.podCidr ? { podCIDR: facts.podCidr, podCIDRs: [facts.podCidr] } : {}),
});

/**
 * Creates the Node, or updates the existing one (labels merged, taints and podCIDR set
 * when given), then posts its status. Idempotent; retries conflicts. Create comes first,
 * status included, as the kubelet's `registerWithAPIServer` does: a fresh node (the common
 * case at scale) costs one write instead of a failed get, a create and a status update;
 * AlreadyExists falls back to get + update + status update.
 */
export async function registerNode(client: Client, facts: NodeFacts, clock: Clock, signal?: AbortSignal): Promise<Node> {
  let tryCreate = true;
  for (;;) {
    let node: Node;
    try {
      // Node status may be set on create (upstream's node strategy keeps it): one write.
      if (tryCreate) return await createNode(client, facts, clock, signal);
      node = await updateExistingNode(client, facts, signal);
    } catch (err) {
      if (tryCreate && isAlreadyExists(err)) tryCreate = false;
      else if (!tryCreate && isNotFound(err)) tryCreate = true; // deleted between our create and get
      else if (!isConflict(err)) throw err;
      continue;
    }
    try {
      return await client.updateStatus({ ...node, status: buildNodeStatus(facts, clock.now(), node.status) }, { signal });
    } catch (err) {
      if (isConflict(err)) continue;
      if (!isNotFound(err)) throw err;
      tryCreate = true;
    }
  }
}

function createNode(client: Client, facts: NodeFacts, clock: Clock, signal?: AbortSignal): Promise<Node> {
  const node: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: facts.nodeName, labels: nodeLabels(facts.nodeName, facts.labels) }, spec: ownSpec(facts), status: buildNodeStatus(facts, clock.now()) };
  return client.create<Node>(node, { signal });
}

async function updateExistingNode(client: Client, facts: NodeFacts, signal?: AbortSignal): Promise<Node> {
  const existing = await client.get('v1', 'Node', '', facts.nodeName, { signal });
  const node: Node = {
    ...existing,
    metadata: { ...existing.metadata, labels: { ...existing.metadata?.labels, ...nodeLabels(facts.nodeName, facts.labels) } },
    spec: { ...existing.spec, ...ownSpec(facts) },
  };
  return JSON.stringify(node) === JSON.stringify(existing) ? existing : client.update(node, { signal });
}

/** Posts a fresh node status (heartbeat times); re-registers the Node if it was deleted. */
export async function refreshNodeStatus(client: Client, facts: NodeFacts, clock: Clock, signal?: AbortSignal): Promise<Node> {
  for (;;) {
    let node: Node;
    try {
      node = await client.get('v1', 'Node', '', facts.nodeName, { signal });
    } catch (err) {
      if (isNotFound(err)) return registerNode(client, facts, clock, signal);
      throw err;
    }
    try {
      return await client.updateStatus({ ...node, status: buildNodeStatus(facts, clock.now(), node.status) }, { signal });
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
}

/**
 * Creates or renews the node's Lease in {@link NODE_LEASE_NAMESPACE} (owned by the Node).
 * A renewal reads then updates; with `createFirst` (the agent's first heartbeat, when the
 * Lease most likely does not exist yet) it tries the create first and falls back to the
 * renewal on AlreadyExists.
 */
export async function renewLease(
  client: Client,
  node: Pick<Node, 'metadata'>,
  leaseDurationSeconds: number,
  clock: Clock,
  signal?: AbortSignal,
  opts: { createFirst?: boolean } = {},
): Promise<Lease> {
  const name = node.metadata!.name!;
  const now = rfc3339Micro(clock.now());
  const create = () =>
    client.create<Lease>(
      {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name,
          namespace: NODE_LEASE_NAMESPACE,
          ownerReferences: node.metadata?.uid ? [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid }] : undefined,
        },
        spec: { holderIdentity: name, leaseDurationSeconds, renewTime: now },
      },
      { signal },
    );
  if (opts.createFirst) {
    try {
      return await create();
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  for (;;) {
    try {
      const lease = await client.get('coordination.k8s.io/v1', 'Lease', NODE_LEASE_NAMESPACE, name, { signal });
      return await client.update({ ...lease, spec: { ...lease.spec, holderIdentity: name, leaseDurationSeconds, renewTime: now } }, { signal });
    } catch (err) {
      if (isConflict(err)) continue;
      if (!isNotFound(err)) throw err;
    }
    try {
      return await create();
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
}
