import {
  RealClock,
  compileNodeSelector,
  isApiError,
  labelSelectorFromObject,
  tryParseQuantity,
  type Clock,
  type Node,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type Pod,
  type StorageClass,
} from '@bosun/api';
import type { Client } from '@bosun/apiserver';
import { stateKey, type CycleState } from '../framework/cycle-state';
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, Handle, PluginFactory, PreBindPlugin, PreFilterPlugin, ReservePlugin } from '../framework/interface';
import type { NodeInfo } from '../framework/node-info';
import { Status } from '../framework/status';

/** The reason when a pod's claim is unbound and its class binds immediately (the PV controller has not bound it yet). */
export const ERR_REASON_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';
/** The reason when a bound volume's node affinity excludes the node. */
export const ERR_REASON_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
/** The reason when no available volume fits a WaitForFirstConsumer claim on the node and none can be provisioned there. */
export const ERR_REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
/** The reason when a claim is bound to a volume that does not exist. */
export const ERR_REASON_PV_NOT_EXIST = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';
/** The annotation that tells an external provisioner where the consumer was scheduled. */
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
const NO_PROVISIONER = 'kubernetes.io/no-provisioner';

/** What VolumeBinding reads of the cluster (the scheduler's informer caches). */
export interface VolumeListers {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  volumes(): readonly PersistentVolume[];
  storageClass(name: string): StorageClass | undefined;
}

/** One claim to bind on a node: to an existing volume, or (no volume) by dynamic provisioning. */
interface Binding {
  claim: PersistentVolumeClaim;
  volume?: PersistentVolume;
}

interface State {
  /** Claims already bound, with their volumes (undefined: the volume does not exist). */
  bound: { claim: PersistentVolumeClaim; volume: PersistentVolume | undefined }[];
  /** Unbound WaitForFirstConsumer claims. */
  delayed: PersistentVolumeClaim[];
  /** Node name → the bindings Filter found there (Filter fills it, Reserve reads the chosen node's). */
  byNode: Map<string, Binding[]>;
  /** Set by Reserve: what PreBind must write. */
  reserved?: Binding[];
}

const stateKeyVB = stateKey<State>('VolumeBinding', (s) => ({ ...s, byNode: new Map(s.byNode) }));

const claimKey = (ns: string, name: string) => `${ns}/${name}`;
const keyOfClaim = (c: PersistentVolumeClaim) => claimKey(c.metadata?.namespace ?? 'default', c.metadata?.name ?? '');

function storageOf(list: Record<string, unknown> | undefined): bigint {
  const q = list?.storage;
  const parsed = typeof q === 'string' || typeof q === 'number' ? tryParseQuantity(q) : undefined;
  return parsed ? parsed.value() : 0n;
}

function volumeNodeAffinityMatches(pv: PersistentVolume, node: Node | undefined): boolean {
  const req = pv.spec?.nodeAffinity?.required;
  if (!req) return true;
  return compileNodeSelector(req).matches(node);
}

function classAllowsNode(sc: StorageClass, node: Node | undefined): boolean {
  const terms = sc.allowedTopologies ?? [];
  if (terms.length === 0) return true;
  const labels = node?.metadata?.labels ?? {};
  return terms.some((t) => (t.matchLabelExpressions ?? []).every((e) => e.values.includes(labels[e.key] ?? '\u0000')));
}

/** The claim names a pod uses: persistentVolumeClaim volumes and generic ephemeral volumes (`<pod>-<volume>`). */
export function podClaimNames(pod: Pod): { name: string; ephemeral: boolean }[] {
  const out: { name: string; ephemeral: boolean }[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim?.claimName) out.push({ name: v.persistentVolumeClaim.claimName, ephemeral: false });
    else if (v.ephemeral) out.push({ name: `${pod.metadata?.name ?? ''}-${v.name}`, ephemeral: true });
  }
  return out;
}

/**
 * Binds a pod's PersistentVolumeClaims, as upstream's VolumeBinding (node-count limits
 * aside).
 *
 * - PreFilter: a missing claim is `persistentvolumeclaim "x" not found`; an unbound claim
 *   whose StorageClass binds Immediately is {@link ERR_REASON_UNBOUND_IMMEDIATE} (the PV
 *   controller binds those, not the scheduler).
 * - Filter: bound claims' volumes must accept the node (their nodeAffinity); each unbound
 *   WaitForFirstConsumer claim needs an available volume for the node (class, access
 *   modes, volume mode, capacity, selector, node affinity; the smallest wins), or a class
 *   with a provisioner whose allowedTopologies admit the node.
 * - Reserve/Unreserve: the chosen volumes are assumed in memory so no other pod takes them.
 * - PreBind: writes the bindings as the PV controller would (`pv.spec.claimRef`, then
 *   `pvc.spec.volumeName`, both phases Bound), and for claims to provision annotates
 *   {@link ANN_SELECTED_NODE} for the external provisioner, then waits (up to
 *   `bindTimeoutSeconds`, 600 by default) until those claims are provisioned and bound.
 */
export class VolumeBinding implements PreFilterPlugin, FilterPlugin, ReservePlugin, PreBindPlugin, EnqueueExtensions {
  static readonly pluginName = 'VolumeBinding';
  readonly name = VolumeBinding.pluginName;
  /** Volume name → the claim (`ns/name`) a reserved pod will bind it to. */
  private readonly assumedVolumes = new Map<string, string>();

  constructor(
    private readonly listers: VolumeListers,
    private readonly client?: Client,
    private readonly clock: Clock = new RealClock(),
    /** How long PreBind waits for a claim to be provisioned and bound; upstream's default 600. */
    private readonly bindTimeoutSeconds = 600,
  ) {}

  preFilter(state: CycleState, pod: Pod): Status {
    const names = podClaimNames(pod);
    if (names.length === 0) return Status.skip();
    const ns = pod.metadata?.namespace ?? 'default';
    const s: State = { bound: [], delayed: [], byNode: new Map() };
    for (const { name, ephemeral } of names) {
      const claim = this.listers.claim(ns, name);
      if (!claim) {
        return Status.unschedulableAndUnresolvable(ephemeral ? `waiting for ephemeral volume controller to create the persistentvolumeclaim "${name}"` : `persistentvolumeclaim "${name}" not found`);
      }
      if (claim.metadata?.deletionTimestamp) return Status.unschedulableAndUnresolvable(`persistentvolumeclaim "${name}" is being deleted`);
      const volumeName = claim.spec?.volumeName;
      if (volumeName) {
        s.bound.push({ claim, volume: this.listers.volume(volumeName) });
        continue;
      }
      const sc = this.listers.storageClass(claim.spec?.storageClassName ?? '');
      if (sc?.volumeBindingMode === 'WaitForFirstConsumer') s.delayed.push(claim);
      else return Status.unschedulableAndUnresolvable(ERR_REASON_UNBOUND_IMMEDIATE);
    }
    state.write(stateKeyVB, s);
    return Status.success;
  }

  filter(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): Status {
    const s = state.tryRead(stateKeyVB);
    if (!s) return Status.success;
    const node = nodeInfo.node;
    for (const b of s.bound) {
      if (!b.volume) return Status.unschedulableAndUnresolvable(ERR_REASON_PV_NOT_EXIST);
      if (!volumeNodeAffinityMatches(b.volume, node)) return Status.unschedulableAndUnresolvable(ERR_REASON_NODE_CONFLICT);
    }
    if (s.delayed.length === 0) return Status.success;
    const bindings: Binding[] = [];
    const taken = new Set<string>();
    for (const claim of s.delayed) {
      const pv = this.findMatchingVolume(claim, node, taken);
      if (pv) {
        taken.add(pv.metadata?.name ?? '');
        bindings.push({ claim, volume: pv });
        continue;
      }
      const sc = this.listers.storageClass(claim.spec?.storageClassName ?? '');
      if (!sc?.provisioner || sc.provisioner === NO_PROVISIONER || !classAllowsNode(sc, node)) return Status.unschedulableAndUnresolvable(ERR_REASON_BIND_CONFLICT);
      bindings.push({ claim });
    }
    s.byNode.set(nodeInfo.name, bindings);
    return Status.success;
  }

  /** The smallest available volume that satisfies the claim on the node. */
  private findMatchingVolume(claim: PersistentVolumeClaim, node: Node | undefined, taken: ReadonlySet<string>): PersistentVolume | undefined {
    const key = keyOfClaim(claim);
    const want = storageOf(claim.spec?.resources?.requests);
    const className = claim.spec?.storageClassName ?? '';
    const modes = claim.spec?.accessModes ?? [];
    const mode = claim.spec?.volumeMode ?? 'Filesystem';
    let selector;
    try {
      selector = claim.spec?.selector ? labelSelectorFromObject(claim.spec.selector) : undefined;
    } catch {
      return undefined;
    }
    let best: PersistentVolume | undefined;
    let bestSize = 0n;
    for (const pv of this.listers.volumes()) {
      const name = pv.metadata?.name ?? '';
      if (taken.has(name) || pv.metadata?.deletionTimestamp) continue;
      const ref = pv.spec?.claimRef;
      if (ref) {
        if (claimKey(ref.namespace ?? 'default', ref.name ?? '') !== key || (ref.uid && ref.uid !== claim.metadata?.uid)) continue;
      } else {
        const assumed = this.assumedVolumes.get(name);
        if (assumed && assumed !== key) continue;
        if (pv.status?.phase === 'Released' || pv.status?.phase === 'Failed') continue;
      }
      if ((pv.spec?.storageClassName ?? '') !== className) continue;
      if ((pv.spec?.volumeMode ?? 'Filesystem') !== mode) continue;
      const pvModes = pv.spec?.accessModes ?? [];
      if (!modes.every((m) => pvModes.includes(m))) continue;
      const size = storageOf(pv.spec?.capacity);
      if (size < want) continue;
      if (selector && !selector.matches(pv.metadata?.labels)) continue;
      if (!volumeNodeAffinityMatches(pv, node)) continue;
      // A volume pre-bound to this claim wins outright.
      if (ref) return pv;
      if (!best || size < bestSize) {
        best = pv;
        bestSize = size;
      }
    }
    return best;
  }

  reserve(state: CycleState, _pod: Pod, nodeName: string): Status {
    const s = state.tryRead(stateKeyVB);
    if (!s) return Status.success;
    const bindings = s.byNode.get(nodeName) ?? [];
    for (const b of bindings) {
      const name = b.volume?.metadata?.name;
      if (!name) continue;
      const owner = this.assumedVolumes.get(name);
      if (owner && owner !== keyOfClaim(b.claim)) return Status.error(`volume ${name} is already assumed for claim ${owner}`);
    }
    for (const b of bindings) if (b.volume?.metadata?.name) this.assumedVolumes.set(b.volume.metadata.name, keyOfClaim(b.claim));
    s.reserved = bindings;
    return Status.success;
  }

  /** Forgets the volumes Reserve assumed. Idempotent. */
  unreserve(state: CycleState): void {
    const s = state.tryRead(stateKeyVB);
    for (const b of s?.reserved ?? []) {
      const name = b.volume?.metadata?.name;
      if (name && this.assumedVolumes.get(name) === keyOfClaim(b.claim)) this.assumedVolumes.delete(name);
    }
    if (s) s.reserved = undefined;
  }

  async preBind(state: CycleState, _pod: Pod, nodeName: string): Promise<Status> {
    const s = state.tryRead(stateKeyVB);
    const bindings = s?.reserved ?? [];
    if (bindings.length === 0) return Status.success;
    const client = this.client;
    if (!client) return Status.error('VolumeBinding: the scheduler has no client to bind volumes');
    for (const b of bindings) {
      const ns = b.claim.metadata?.namespace ?? 'default';
      const claimName = b.claim.metadata?.name ?? '';
      try {
        if (b.volume) await this.bindVolume(client, b.volume.metadata?.name ?? '', ns, claimName);
        else await client.patch('v1', 'PersistentVolumeClaim', ns, claimName, { metadata: { annotations: { [ANN_SELECTED_NODE]: nodeName } } }, { type: 'merge' });
      } catch (e) {
        return Status.error(`binding volumes: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    for (const b of bindings) if (b.volume?.metadata?.name) this.assumedVolumes.delete(b.volume.metadata.name);
    for (const b of bindings) {
      if (b.volume) continue;
      const s = await this.waitForProvisioning(client, b.claim, nodeName);
      if (!s.isSuccess()) return s;
    }
    return Status.success;
  }

  /**
   * Waits, as upstream's PreBind does, until the provisioner and the PV controller have
   * bound a claim handed over for provisioning, so the pod reaches its node with its
   * volume in place. Fails (and the pod is retried) when the claim is deleted, when the
   * provisioner gives the node back (removes {@link ANN_SELECTED_NODE}), or after
   * `bindTimeoutSeconds` of the scheduler's clock.
   */
  private async waitForProvisioning(client: Client, claim: PersistentVolumeClaim, nodeName: string): Promise<Status> {
    const ns = claim.metadata?.namespace ?? 'default';
    const name = claim.metadata?.name ?? '';
    const verdict = (c: PersistentVolumeClaim | undefined): Status | undefined => {
      if (!c || (claim.metadata?.uid && c.metadata?.uid !== claim.metadata.uid)) return Status.error(`binding volumes: claim ${ns}/${name} was deleted`);
      if (c.spec?.volumeName && c.status?.phase === 'Bound') return Status.success;
      if (c.metadata?.annotations?.[ANN_SELECTED_NODE] !== nodeName) return Status.error(`binding volumes: the provisioner gave node ${nodeName} back for claim ${ns}/${name}`);
      return undefined;
    };
    const abort = new AbortController();
    const timer = this.clock.setTimeout(() => abort.abort(), this.bindTimeoutSeconds * 1000);
    try {
      let current: PersistentVolumeClaim;
      try {
        current = (await client.get('v1', 'PersistentVolumeClaim', ns, name)) as PersistentVolumeClaim;
      } catch (e) {
        if (isApiError(e) && e.reason === 'NotFound') return verdict(undefined)!;
        throw e;
      }
      const first = verdict(current);
      if (first) return first;
      const events = client.watch('v1', 'PersistentVolumeClaim', { namespace: ns, fieldSelector: `metadata.name=${name}`, resourceVersion: current.metadata?.resourceVersion, signal: abort.signal });
      for await (const ev of events) {
        if (ev.type === 'BOOKMARK') continue;
        const s = verdict(ev.type === 'DELETED' ? undefined : (ev.object as PersistentVolumeClaim));
        if (s) return s;
      }
      return Status.error(`binding volumes: timed out waiting for claim ${ns}/${name} to be provisioned and bound`);
    } catch (e) {
      if (abort.signal.aborted) return Status.error(`binding volumes: timed out waiting for claim ${ns}/${name} to be provisioned and bound`);
      return Status.error(`binding volumes: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.clock.clearTimeout(timer);
      abort.abort();
    }
  }

  /** Binds the volume to the claim through the API: claimRef and phase on the PV, volumeName and phase on the PVC. */
  private async bindVolume(client: Client, pvName: string, ns: string, claimName: string): Promise<void> {
    const claim = (await client.get('v1', 'PersistentVolumeClaim', ns, claimName)) as PersistentVolumeClaim;
    let pv = (await client.get('v1', 'PersistentVolume', '', pvName)) as PersistentVolume;
    const ref = pv.spec?.claimRef;
    if (ref && (ref.namespace !== ns || ref.name !== claimName || (ref.uid && ref.uid !== claim.metadata?.uid))) {
      throw new Error(`volume ${pvName} is already bound to claim ${ref.namespace}/${ref.name}`);
    }
    if (!ref?.uid) {
      pv = await client.update({
        ...pv,
        metadata: { ...pv.metadata, annotations: { ...pv.metadata?.annotations, 'pv.kubernetes.io/bound-by-controller': 'yes' } },
        spec: { ...pv.spec, claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name: claimName, uid: claim.metadata?.uid, resourceVersion: claim.metadata?.resourceVersion } },
      });
    }
    if (pv.status?.phase !== 'Bound') await client.updateStatus({ ...pv, status: { ...pv.status, phase: 'Bound' } });
    let c = claim;
    if (c.spec?.volumeName !== pvName) {
      c = await client.update({
        ...c,
        metadata: { ...c.metadata, annotations: { ...c.metadata?.annotations, 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' } },
        spec: { ...c.spec, volumeName: pvName },
      });
    }
    if (c.status?.phase !== 'Bound') {
      await client.updateStatus({ ...c, status: { ...c.status, phase: 'Bound', accessModes: pv.spec?.accessModes, capacity: pv.spec?.capacity } });
    }
  }

  eventsToRegister(): ClusterEvent[] {
    return [
      { resource: 'PersistentVolumeClaim', action: '*' },
      { resource: 'PersistentVolume', action: '*' },
      { resource: 'StorageClass', action: '*' },
      { resource: 'Node', action: 'Add' },
      { resource: 'Node', action: 'Update' },
    ];
  }
}

/** Listers over the scheduler's shared informers (PVCs, PVs, StorageClasses); empty without informers. */
function informerListers(handle: Handle): VolumeListers {
  const inf = handle.informers;
  if (!inf) return { claim: () => undefined, volume: () => undefined, volumes: () => [], storageClass: () => undefined };
  const pvcs = inf.forKind('v1', 'PersistentVolumeClaim');
  const pvs = inf.forKind('v1', 'PersistentVolume');
  const scs = inf.forKind('storage.k8s.io/v1', 'StorageClass');
  return {
    claim: (ns, name) => pvcs.cache.get(claimKey(ns, name)),
    volume: (name) => pvs.cache.get(name),
    volumes: () => pvs.cache.list(),
    storageClass: (name) => (name ? scs.cache.get(name) : undefined),
  };
}

/** Args of {@link VolumeBinding}, as upstream's VolumeBindingArgs (scoring shapes aside). */
export interface VolumeBindingArgs {
  /** How long PreBind waits for provisioning and binding (seconds, > 0). Default 600. */
  bindTimeoutSeconds?: number;
}

export const create: PluginFactory = (args, handle) => {
  const a = (args ?? {}) as VolumeBindingArgs;
  const timeout = a.bindTimeoutSeconds ?? 600;
  if (!Number.isFinite(timeout) || timeout <= 0) throw new Error(`bindTimeoutSeconds: Invalid value: ${timeout}: must be greater than 0`);
  return new VolumeBinding(informerListers(handle), handle.client, handle.clock, timeout);
};
