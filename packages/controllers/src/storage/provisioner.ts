// Dynamic provisioning through CSI (the external-provisioner's job, in process): claims
// of a class whose provisioner is a registered driver get CreateVolume and a PV; released
// provisioned volumes with reclaim policy Delete get DeleteVolume and lose their PV.
import { createHash } from 'node:crypto';
import {
  isAlreadyExists,
  isNotFound,
  Quantity,
  type core,
  type TypeOf,
  type PersistentVolumeClaim as ClaimSpec,
  type StorageClass as ClassSpec,
} from '@bosun/api';
import type { Client, EventRecorder } from '@bosun/apiserver';
import { Action, Controller, type Manager, type Reconcile } from '@bosun/controller-runtime';
import { isCsiError, type AccessModeName, type ControllerClient, type CsiInput, type NodeClient, type Topology, type TopologyRequirement, type Volume, type VolumeCapability } from '@bosun/csi';
import {
  ANN_DYNAMICALLY_PROVISIONED,
  ANN_PROVISIONED_ON_NODE,
  ANN_SELECTED_NODE,
  claimClass,
  claimKey,
  claimRefOf,
  errorMessage,
  requestedBytes,
  storageBytes,
  type Lister,
  type StoredClaim as PersistentVolumeClaim,
  type StoredClass as StorageClass,
  type StoredVolume as PersistentVolume,
} from './helpers';

/**
 * What the provisioner needs of a CSI driver: its Controller service, and NodeGetInfo to
 * learn the driver's topology keys (or, for a node-local instance, its segments). A
 * `CsiClient` from `createCsiClient(endpoint)` fits.
 */
export interface CsiProvisionerClient {
  controller: Pick<ControllerClient, 'createVolume' | 'deleteVolume'>;
  node?: Pick<NodeClient, 'getInfo'>;
}

/**
 * A driver that runs one instance per node, each provisioning only on its own node
 * (the hostpath driver): node name → that node's client. A claim is provisioned by the
 * instance on the node the scheduler chose (WaitForFirstConsumer), or on a node picked by
 * the claim's uid (Immediate); its volume is deleted by the same instance.
 */
export interface NodeLocalCsiDriver {
  nodes: Record<string, CsiProvisionerClient>;
}

/** A registered driver: one client for the whole cluster, or one per node. */
export type CsiDriverRegistration = CsiProvisionerClient | NodeLocalCsiDriver;

/** Options of {@link addCsiProvisioner}. */
export interface CsiProvisionerOptions {
  /**
   * CSI driver name (what a StorageClass's `provisioner` says) → its client(s). Read on
   * every reconcile, so entries (and nodes of a node-local driver) may be added later.
   */
  drivers: Record<string, CsiDriverRegistration>;
  /**
   * Topology keys per driver, for a cluster-wide driver and WaitForFirstConsumer: the
   * requisite topology is the selected node's values of these labels. Default: the keys
   * of the driver's NodeGetInfo topology.
   */
  topologyKeys?: Record<string, readonly string[]>;
  /** Deadline of each CSI call in ms. Default: the client's. */
  deadlineMs?: number;
  /** Workers of each of the two controllers. Default 2. */
  concurrency?: number;
  /** Prefix of the controllers' names: `<name>` (claims) and `<name>-deleter`. Default `csi-provisioner`. */
  name?: string;
}

/** Reasons of the Events the provisioner records, as the external-provisioner's. */
export const ProvisionerEvents = {
  Provisioning: 'Provisioning',
  ProvisioningSucceeded: 'ProvisioningSucceeded',
  ProvisioningFailed: 'ProvisioningFailed',
  VolumeFailedDelete: 'VolumeFailedDelete',
} as const;

/** Class parameters with this prefix are for the provisioner, not the driver. */
const RESERVED_PARAMETER_PREFIX = 'csi.storage.k8s.io/';
const FSTYPE_PARAMETER = 'csi.storage.k8s.io/fstype';

const ACCESS_MODES: Record<string, AccessModeName> = {
  ReadWriteOnce: 'SINGLE_NODE_WRITER',
  ReadOnlyMany: 'MULTI_NODE_READER_ONLY',
  ReadWriteMany: 'MULTI_NODE_MULTI_WRITER',
  ReadWriteOncePod: 'SINGLE_NODE_SINGLE_WRITER',
};

/** The PV name (and CreateVolume name) of a claim's provisioned volume: `pvc-<claim uid>`. */
export function provisionedVolumeName(claim: ClaimSpec): string {
  return `pvc-${claim.metadata?.uid ?? ''}`;
}

/** The CSI volume capabilities for a claim's access modes and volume mode (the external-provisioner's mapping). */
export function volumeCapabilities(claim: ClaimSpec, sc: ClassSpec): CsiInput<VolumeCapability>[] {
  const block = claim.spec?.volumeMode === 'Block';
  const fsType = sc.parameters?.[FSTYPE_PARAMETER] ?? '';
  return (claim.spec?.accessModes ?? []).map((m) => ({
    accessMode: { mode: ACCESS_MODES[m] ?? 'UNKNOWN' },
    ...(block ? { block: {} } : { mount: { fsType, mountFlags: [...(sc.mountOptions ?? [])] } }),
  }));
}

/** A class's parameters as the driver gets them (without the provisioner's own `csi.storage.k8s.io/` keys). */
function driverParameters(sc: ClassSpec): Record<string, string> {
  return Object.fromEntries(Object.entries(sc.parameters ?? {}).filter(([k]) => !k.startsWith(RESERVED_PARAMETER_PREFIX)));
}

/** Every topology a class's allowedTopologies admits (the product of each term's values). */
function allowedTopologies(sc: ClassSpec): Topology[] {
  const out: Topology[] = [];
  for (const term of sc.allowedTopologies ?? []) {
    let combos: Record<string, string>[] = [{}];
    for (const e of term.matchLabelExpressions ?? []) combos = combos.flatMap((c) => e.values.map((v) => ({ ...c, [e.key]: v })));
    out.push(...combos.filter((c) => Object.keys(c).length).map((segments) => ({ segments })));
  }
  return out;
}

/** The PV's node affinity for a volume's accessible topology (one term per topology). */
function nodeAffinityOf(volume: Volume): core.VolumeNodeAffinity | undefined {
  const terms = (volume.accessibleTopology ?? [])
    .map((t) => Object.entries(t.segments ?? {}).map(([key, v]) => ({ key, operator: 'In', values: [v] })))
    .filter((exprs) => exprs.length)
    .map((matchExpressions) => ({ matchExpressions }));
  return terms.length ? { required: { nodeSelectorTerms: terms } } : undefined;
}

/** The PersistentVolume for a provisioned volume, pre-bound to its claim. */
export function persistentVolumeFor(claim: ClaimSpec, sc: ClassSpec, driver: string, volume: Volume, node?: string): PersistentVolume {
  const bytes = volume.capacityBytes > 0 ? BigInt(volume.capacityBytes) : requestedBytes(claim);
  const fsType = sc.parameters?.[FSTYPE_PARAMETER];
  const annotations: Record<string, string> = { [ANN_DYNAMICALLY_PROVISIONED]: driver };
  if (node) annotations[ANN_PROVISIONED_ON_NODE] = node;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: provisionedVolumeName(claim), annotations },
    spec: {
      capacity: { storage: Quantity.fromValue(bytes, 'BinarySI').toString() },
      accessModes: [...(claim.spec?.accessModes ?? [])],
      volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
      persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
      storageClassName: claimClass(claim),
      mountOptions: sc.mountOptions ? [...sc.mountOptions] : undefined,
      claimRef: claimRefOf(claim),
      csi: { driver, volumeHandle: volume.volumeId, volumeAttributes: { ...(volume.volumeContext ?? {}) }, fsType: fsType || undefined },
      nodeAffinity: nodeAffinityOf(volume),
    },
  };
}

/** Why provisioning cannot go on (recorded as ProvisioningFailed; retried only when the claim or class changes). */
class ProvisioningRefused extends Error {
  override readonly name = 'ProvisioningRefused';
}

interface Ctx {
  opts: CsiProvisionerOptions;
  volumes: Lister<PersistentVolume>;
  classes: Lister<StorageClass>;
  nodes: Lister<TypeOf<'v1', 'Node'>>;
}

const isNodeLocal = (d: CsiDriverRegistration): d is NodeLocalCsiDriver => 'nodes' in d && !('controller' in d);

/** The instance that provisions `claim`, and the node it runs on (node-local drivers). */
function pickInstance(driverName: string, d: CsiDriverRegistration, claim: PersistentVolumeClaim, selectedNode: string | undefined): { client: CsiProvisionerClient; node?: string } {
  if (!isNodeLocal(d)) return { client: d };
  if (selectedNode) {
    const client = d.nodes[selectedNode];
    if (!client) throw new ProvisioningRefused(`driver ${driverName} has no instance on node "${selectedNode}"`);
    return { client, node: selectedNode };
  }
  const names = Object.keys(d.nodes).sort();
  if (names.length === 0) throw new ProvisioningRefused(`driver ${driverName} has no instance on any node`);
  const h = createHash('sha256').update(claim.metadata?.uid ?? '').digest().readUInt32BE(0);
  const node = names[h % names.length]!;
  return { client: d.nodes[node]!, node };
}

/** The requisite topology for provisioning on `nodeName` (WaitForFirstConsumer), or undefined when the driver has none. */
async function nodeTopology(ctx: Ctx, driverName: string, inst: { client: CsiProvisionerClient; node?: string }, nodeName: string, signal: AbortSignal): Promise<Topology | undefined> {
  const call = { signal, deadlineMs: ctx.opts.deadlineMs };
  // A node-local instance knows its own segments.
  if (inst.node) {
    const info = await inst.client.node?.getInfo(call);
    const segments = info?.accessibleTopology?.segments;
    return segments && Object.keys(segments).length ? { segments: { ...segments } } : undefined;
  }
  let keys = ctx.opts.topologyKeys?.[driverName];
  if (!keys) {
    const info = await inst.client.node?.getInfo(call);
    keys = Object.keys(info?.accessibleTopology?.segments ?? {});
  }
  if (keys.length === 0) return undefined;
  const labels = ctx.nodes.get(nodeName)?.metadata?.labels ?? {};
  const segments: Record<string, string> = {};
  for (const k of keys) {
    const v = labels[k];
    if (v === undefined) throw new ProvisioningRefused(`node "${nodeName}" has no label ${k} (a topology key of driver ${driverName})`);
    segments[k] = v;
  }
  return { segments };
}

async function accessibilityRequirements(
  ctx: Ctx,
  driverName: string,
  inst: { client: CsiProvisionerClient; node?: string },
  sc: StorageClass,
  selectedNode: string | undefined,
  signal: AbortSignal,
): Promise<CsiInput<TopologyRequirement> | undefined> {
  if (selectedNode) {
    const t = await nodeTopology(ctx, driverName, inst, selectedNode, signal);
    return t ? { requisite: [t], preferred: [t] } : undefined;
  }
  const allowed = allowedTopologies(sc);
  return allowed.length ? { requisite: allowed, preferred: allowed } : undefined;
}

async function provision(ctx: Ctx & { client: Client; recorder: EventRecorder }, claim: PersistentVolumeClaim, sc: StorageClass, driverName: string, signal: AbortSignal): Promise<void> {
  const d = ctx.opts.drivers[driverName]!;
  if (claim.spec?.selector) throw new ProvisioningRefused('claim Selector is not supported');
  if (claim.spec?.dataSource || claim.spec?.dataSourceRef) throw new ProvisioningRefused('volume content sources (snapshots, clones) are not supported');
  const unsupported = (claim.spec?.accessModes ?? []).find((m) => !ACCESS_MODES[m]);
  if (unsupported) throw new ProvisioningRefused(`access mode ${unsupported} is not supported`);
  const selectedNode = sc.volumeBindingMode === 'WaitForFirstConsumer' ? claim.metadata?.annotations?.[ANN_SELECTED_NODE] : undefined;
  const inst = pickInstance(driverName, d, claim, selectedNode);
  const name = provisionedVolumeName(claim);
  ctx.recorder.event(claim, 'Normal', ProvisionerEvents.Provisioning, `External provisioner is provisioning volume for claim "${claimKey(claim)}"`);
  const requiredBytes = Number(requestedBytes(claim));
  const limitBytes = Number(storageBytes(claim.spec?.resources?.limits as Record<string, unknown> | undefined));
  const volume = await inst.client.controller.createVolume(
    {
      name,
      capacityRange: { requiredBytes, limitBytes },
      volumeCapabilities: volumeCapabilities(claim, sc),
      parameters: driverParameters(sc),
      accessibilityRequirements: await accessibilityRequirements(ctx, driverName, inst, sc, selectedNode, signal),
    },
    { signal, deadlineMs: ctx.opts.deadlineMs },
  );
  const pv = persistentVolumeFor(claim, sc, driverName, volume, inst.node);
  try {
    await ctx.client.create(pv, { signal });
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
  ctx.recorder.event(claim, 'Normal', ProvisionerEvents.ProvisioningSucceeded, `Successfully provisioned volume ${name}`);
}

/**
 * The claim reconcile: provisions an unbound claim whose class names a registered driver
 * (once the scheduler chose a node, for WaitForFirstConsumer). Idempotent: CreateVolume
 * is keyed by the PV name `pvc-<claim uid>`, and an existing PV of that name means done.
 * A failing driver is retried with the queue's per-key backoff (Event ProvisioningFailed
 * each time); a refusal that retrying cannot cure (selector, data source, unknown node)
 * waits for the claim or class to change.
 */
function createProvisionReconcile(ctx: Ctx): Reconcile<PersistentVolumeClaim> {
  return async (claim, { client, recorder }, signal) => {
    if (claim.spec?.volumeName || claim.metadata?.deletionTimestamp) return Action.awaitChange();
    const cls = claimClass(claim);
    const sc = cls ? ctx.classes.get(cls) : undefined;
    const driverName = sc?.provisioner ?? '';
    if (!sc || !ctx.opts.drivers[driverName]) return Action.awaitChange();
    if (sc.volumeBindingMode === 'WaitForFirstConsumer' && !claim.metadata?.annotations?.[ANN_SELECTED_NODE]) return Action.awaitChange();
    if (ctx.volumes.get(provisionedVolumeName(claim))) return Action.awaitChange();
    // The cache may not show a PV made moments ago: ask before calling the driver again.
    if (await volumeExists(client, provisionedVolumeName(claim), signal)) return Action.awaitChange();
    try {
      await provision({ ...ctx, client, recorder }, claim, sc, driverName, signal);
      return Action.awaitChange();
    } catch (e) {
      if (signal.aborted) throw e;
      recorder.event(claim, 'Warning', ProvisionerEvents.ProvisioningFailed, `failed to provision volume with StorageClass "${cls}": ${errorMessage(e)}`);
      if (e instanceof ProvisioningRefused) return Action.awaitChange();
      // The node cannot hold it: let the scheduler pick another (as the external-provisioner does).
      if (isCsiError(e, 'ResourceExhausted') && claim.metadata?.annotations?.[ANN_SELECTED_NODE]) {
        await dropSelectedNode(client, claim, signal);
      }
      return Action.requeue();
    }
  };
}

async function volumeExists(client: Client, name: string, signal: AbortSignal): Promise<boolean> {
  try {
    await client.get('v1', 'PersistentVolume', '', name, { signal });
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

async function dropSelectedNode(client: Client, claim: PersistentVolumeClaim, signal: AbortSignal): Promise<void> {
  try {
    await client.patch('v1', 'PersistentVolumeClaim', claim.metadata?.namespace ?? 'default', claim.metadata?.name ?? '', { metadata: { annotations: { [ANN_SELECTED_NODE]: null } } }, { type: 'merge', signal });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/** The instance that deletes a provisioned volume, or why there is none. */
function deleterOf(d: CsiDriverRegistration, driverName: string, pv: PersistentVolume): CsiProvisionerClient | string {
  if (!isNodeLocal(d)) return d;
  const node = pv.metadata?.annotations?.[ANN_PROVISIONED_ON_NODE];
  if (!node) return `volume has no ${ANN_PROVISIONED_ON_NODE} annotation naming the node of driver ${driverName} that holds it`;
  return d.nodes[node] ?? `driver ${driverName} has no instance on node "${node}"`;
}

/**
 * The volume reconcile: a Released volume this provisioner made (annotation
 * `pv.kubernetes.io/provisioned-by` naming a registered driver) with reclaim policy
 * Delete gets DeleteVolume, then its PV is deleted. Failures are Events
 * (VolumeFailedDelete) and retried with backoff; the PV stays until the driver agrees.
 */
function createDeleteReconcile(ctx: Ctx): Reconcile<PersistentVolume> {
  return async (pv, { client, recorder }, signal) => {
    const driverName = pv.metadata?.annotations?.[ANN_DYNAMICALLY_PROVISIONED] ?? '';
    const d = ctx.opts.drivers[driverName];
    if (!d || pv.status?.phase !== 'Released' || pv.spec?.persistentVolumeReclaimPolicy !== 'Delete' || pv.metadata?.deletionTimestamp) return Action.awaitChange();
    const handle = pv.spec?.csi?.driver === driverName ? pv.spec.csi.volumeHandle : undefined;
    const deleter = deleterOf(d, driverName, pv);
    if (!handle || typeof deleter === 'string') {
      const why = !handle ? `volume has no spec.csi volumeHandle of driver ${driverName}` : (deleter as string);
      recorder.event(pv, 'Warning', ProvisionerEvents.VolumeFailedDelete, why);
      return Action.awaitChange();
    }
    try {
      await deleter.controller.deleteVolume(handle, {}, { signal, deadlineMs: ctx.opts.deadlineMs });
    } catch (e) {
      if (signal.aborted) throw e;
      recorder.event(pv, 'Warning', ProvisionerEvents.VolumeFailedDelete, errorMessage(e));
      return Action.requeue();
    }
    try {
      await client.delete('v1', 'PersistentVolume', '', pv.metadata?.name ?? '', { signal });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    return Action.awaitChange();
  };
}

/**
 * Adds the CSI provisioner to `manager` (the external-provisioner's work, in process),
 * as two controllers:
 *
 * - `<name>` reconciles PersistentVolumeClaims: an unbound claim whose StorageClass's
 *   `provisioner` is a key of `opts.drivers` (with Immediate binding, or once the
 *   scheduler set `volume.kubernetes.io/selected-node` for WaitForFirstConsumer) gets
 *   CreateVolume: name `pvc-<claim uid>`, the requested bytes (limit from
 *   `resources.limits.storage`), one capability per access mode (RWO → SINGLE_NODE_WRITER,
 *   ROX → MULTI_NODE_READER_ONLY, RWX → MULTI_NODE_MULTI_WRITER, RWOP →
 *   SINGLE_NODE_SINGLE_WRITER; mount with the class's `csi.storage.k8s.io/fstype` and
 *   mountOptions, or block), the class's parameters (its `csi.storage.k8s.io/` keys
 *   withheld), and accessibility requirements: the selected node's topology, or the
 *   class's allowedTopologies. Then it creates the PV `pvc-<claim uid>`: `spec.csi`
 *   {driver, volumeHandle, volumeAttributes}, capacity, access modes, volume mode,
 *   reclaim policy from the class (default Delete), class name, mount options, node
 *   affinity from the volume's accessible topology, a claimRef to the claim, annotation
 *   `pv.kubernetes.io/provisioned-by`. The binder ({@link addPersistentVolumeBinder})
 *   then binds the two. Events: Provisioning, ProvisioningSucceeded, ProvisioningFailed.
 *   A ResourceExhausted answer for a WaitForFirstConsumer claim removes the selected-node
 *   annotation so the scheduler picks again.
 * - `<name>-deleter` reconciles PersistentVolumes: a Released volume made by a
 *   registered driver (annotation `pv.kubernetes.io/provisioned-by`) with reclaim policy
 *   Delete gets DeleteVolume (from the instance on the node that holds it, for a
 *   node-local driver), then its PV is deleted; failures are VolumeFailedDelete Events,
 *   retried with backoff.
 *
 * Not done: snapshots and clones (refused), volume expansion, provisioning secrets,
 * capacity tracking (CSIStorageCapacity).
 */
export function addCsiProvisioner(manager: Manager, opts: CsiProvisionerOptions): void {
  const name = opts.name ?? 'csi-provisioner';
  const concurrency = opts.concurrency ?? 2;
  const volumes = manager.informers.forKind('v1', 'PersistentVolume').cache;
  const claims = manager.informers.forKind('v1', 'PersistentVolumeClaim').cache;
  const classes = manager.informers.forKind('storage.k8s.io/v1', 'StorageClass').cache;
  const nodes = manager.informers.forKind('v1', 'Node').cache;
  const ctx: Ctx = { opts, volumes, classes, nodes };
  manager.add(
    Controller.for('v1', 'PersistentVolumeClaim')
      .watches('storage.k8s.io/v1', 'StorageClass', (sc) =>
        claims
          .list()
          .filter((c) => !c.spec?.volumeName && claimClass(c) === sc.metadata?.name)
          .map(claimKey),
      )
      // A provisioned PV deleted before it was bound: provision again.
      .watches('v1', 'PersistentVolume', (pv) => {
        const ref = pv.spec?.claimRef;
        return pv.metadata?.annotations?.[ANN_DYNAMICALLY_PROVISIONED] && ref?.name ? [{ namespace: ref.namespace ?? 'default', name: ref.name }] : [];
      })
      .withConfig({ name, concurrency })
      .build(createProvisionReconcile(ctx)),
  );
  manager.add(
    Controller.for('v1', 'PersistentVolume', { clusterScoped: true })
      .withConfig({ name: `${name}-deleter`, concurrency })
      .build(createDeleteReconcile(ctx)),
  );
}
