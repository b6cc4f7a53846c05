import type { Node, Pod, core } from '@bosun/api';
import type { Client } from '@bosun/apiserver';

export interface NodeSpec {
  cpu?: string;
  memory?: string;
  pods?: string;
  extra?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: core.Taint[];
  unschedulable?: boolean;
  images?: core.ContainerImage[];
}

/** A Node object with allocatable = capacity. */
export function node(name: string, s: NodeSpec = {}): Node {
  const capacity = { cpu: s.cpu ?? '4', memory: s.memory ?? '8Gi', pods: s.pods ?? '110', ...s.extra };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-${name}`, labels: { 'kubernetes.io/hostname': name, ...s.labels } },
    spec: { taints: s.taints, unschedulable: s.unschedulable },
    status: { capacity, allocatable: capacity, images: s.images },
  };
}

export interface PodSpecLite {
  cpu?: string;
  memory?: string;
  extra?: Record<string, string>;
  namespace?: string;
  labels?: Record<string, string>;
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: core.Affinity;
  tolerations?: core.Toleration[];
  priority?: number;
  priorityClassName?: string;
  schedulerName?: string;
  hostPort?: number;
  image?: string;
  initContainers?: core.Container[];
  overhead?: Record<string, string>;
  topologySpreadConstraints?: core.TopologySpreadConstraint[];
  volumes?: core.Volume[];
  ownerReferences?: NonNullable<Pod['metadata']>['ownerReferences'];
  preemptionPolicy?: string;
  terminationGracePeriodSeconds?: number;
}

/** A Pod with one container requesting cpu/memory. */
export function pod(name: string, s: PodSpecLite = {}): Pod {
  const requests: Record<string, string> = { ...s.extra };
  if (s.cpu) requests.cpu = s.cpu;
  if (s.memory) requests.memory = s.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: s.namespace ?? 'default', uid: `uid-${name}`, labels: s.labels, ownerReferences: s.ownerReferences },
    spec: {
      containers: [
        {
          name: 'c',
          image: s.image ?? 'nginx',
          resources: Object.keys(requests).length ? { requests } : undefined,
          ports: s.hostPort ? [{ containerPort: s.hostPort, hostPort: s.hostPort, protocol: 'TCP' }] : undefined,
        },
      ],
      initContainers: s.initContainers,
      overhead: s.overhead,
      nodeName: s.nodeName,
      nodeSelector: s.nodeSelector,
      affinity: s.affinity,
      tolerations: s.tolerations,
      priority: s.priority,
      priorityClassName: s.priorityClassName,
      schedulerName: s.schedulerName,
      topologySpreadConstraints: s.topologySpreadConstraints,
      volumes: s.volumes,
      preemptionPolicy: s.preemptionPolicy,
      terminationGracePeriodSeconds: s.terminationGracePeriodSeconds,
    },
  };
}

/** A pod as created through the API (no uid: the server assigns one). */
export function apiPod(name: string, s: PodSpecLite = {}): Pod {
  const p = pod(name, s);
  const { uid: _uid, ...metadata } = p.metadata!;
  return { ...p, metadata };
}

export function apiNode(name: string, s: NodeSpec = {}): Node {
  const n = node(name, s);
  const { uid: _uid, ...metadata } = n.metadata!;
  return { ...n, metadata };
}

/** Polls `cond` while letting the fake clock's promise chains run; throws after `ms` of real time. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

export async function getPod(client: Client, name: string, ns = 'default'): Promise<Pod> {
  return (await client.get('v1', 'Pod', ns, name)) as Pod;
}

export async function eventsFor(client: Client, name: string, ns = 'default'): Promise<{ reason?: string; message?: string; type?: string }[]> {
  const list = await client.list('v1', 'Event', { namespace: ns });
  return (list.items as { involvedObject?: { name?: string }; reason?: string; message?: string; type?: string }[]).filter((e) => e.involvedObject?.name === name);
}
