import { randomUUID } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statfsSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { CsiError, type AccessModeName, type CsiInput, type CsiPluginImpl, type VolumeCapability } from '@bosun/csi';
import { bindMount, isMountPoint, unmount } from './mounts';

/** The topology key hostpath volumes and nodes carry: a volume lives on exactly one node. */
export const HOSTPATH_TOPOLOGY_KEY = 'topology.hostpath.csi.bosun.dev/node';
/** Default plugin name. */
export const HOSTPATH_DRIVER_NAME = 'hostpath.csi.bosun.dev';
/** Size of a volume created without a capacity range: 1 GiB. */
export const HOSTPATH_DEFAULT_VOLUME_BYTES = 1024 ** 3;

/**
 * How NodePublishVolume (and NodeStageVolume) makes a volume appear at the target path:
 * - `bind`: `mount --bind <volume dir> <target>`, then `remount,ro,bind` when readonly.
 *   Needs root (CAP_SYS_ADMIN). Readonly is enforced by the kernel.
 * - `symlink`: the target becomes a symlink to the volume directory. Works unprivileged,
 *   but cannot make a read-only view, so readonly publishes are refused with
 *   FAILED_PRECONDITION rather than silently writable.
 * - `auto` (default): `bind` when running as root and the mount succeeds, else `symlink`.
 * The mode used is recorded per publication ({@link HostPathDriver.publications}) and logged.
 */
export type HostPathPublishMode = 'auto' | 'bind' | 'symlink';

/** One line the driver logs (publications, fallbacks). Never contains secrets. */
export interface HostPathLogEntry {
  level: 'info' | 'warn';
  msg: string;
  volumeId?: string;
  path?: string;
  mode?: 'bind' | 'symlink';
  error?: string;
}

/** Options of {@link createHostPathDriver}. */
export interface HostPathDriverOptions {
  /** Plugin name. Default `hostpath.csi.bosun.dev`. */
  name?: string;
  /** This node's id (NodeGetInfo, topology). Required. */
  nodeId: string;
  /** Holds `volumes/<id>/` and `state.json`. Created if missing. */
  rootDir: string;
  /** Total bytes all volumes may claim; unset means unlimited (GetCapacity then reports free disk space). */
  capacityBytes?: number;
  /** Largest single volume; larger requests fail with OUT_OF_RANGE. Default `capacityBytes` (unlimited when unset). */
  maxVolumeBytes?: number;
  /** See {@link HostPathPublishMode}. Default `auto`. */
  publishMode?: HostPathPublishMode;
  /** Advertise STAGE_UNSTAGE_VOLUME: volumes are staged once per node and published from the staging path. Default false. */
  stageUnstage?: boolean;
  /** Receives the driver's log lines. Default none. */
  log?: (entry: HostPathLogEntry) => void;
}

/** A volume as persisted in `state.json`. */
export interface HostPathVolume {
  volumeId: string;
  name: string;
  capacityBytes: number;
  parameters: Record<string, string>;
  createdAt: string;
}

/** A publication (or staging) as persisted in `state.json`. */
export interface HostPathPublication {
  volumeId: string;
  path: string;
  kind: 'publish' | 'stage';
  mode: 'bind' | 'symlink';
  readonly: boolean;
}

interface State {
  version: 1;
  volumes: Record<string, HostPathVolume>;
  publications: Record<string, HostPathPublication>;
}

/** A CSI plugin (Identity, Controller, Node) over host directories. */
export interface HostPathDriver extends CsiPluginImpl {
  /** The volumes this driver holds (from `state.json`). */
  volumes(): HostPathVolume[];
  /** Current publications and stagings, with the mode each used. */
  publications(): HostPathPublication[];
  /** Bytes claimed by volumes. */
  usedBytes(): number;
  /**
   * Unpublishes and unstages everything this driver published (unmounting bind mounts).
   * For test teardown and node decommissioning; a plain restart should not call it.
   */
  cleanup(): Promise<void>;
}

const SINGLE_NODE_MODES = new Set<AccessModeName>(['SINGLE_NODE_WRITER', 'SINGLE_NODE_READER_ONLY', 'SINGLE_NODE_SINGLE_WRITER', 'SINGLE_NODE_MULTI_WRITER']);

/** Why a capability is unsupported, or undefined when it is supported. */
function unsupported(cap: CsiInput<VolumeCapability> | null | undefined): string | undefined {
  if (!cap) return 'a volume capability is required';
  const mode = cap.accessMode?.mode;
  if (!mode || mode === 'UNKNOWN') return 'volume capability access mode is required';
  if (!cap.mount && !cap.block) return 'volume capability access type (mount or block) is required';
  if (cap.block) return 'block access is not supported by hostpath volumes';
  if (!SINGLE_NODE_MODES.has(mode)) return `access mode ${mode} is not supported: a hostpath volume lives on one node`;
  return undefined;
}

const sameMap = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/**
 * Creates a CSI driver that provisions volumes as directories under
 * `rootDir/volumes/<id>` and publishes them by bind mount or symlink (see
 * {@link HostPathPublishMode}). Metadata lives in `rootDir/state.json`, written
 * atomically (temp file + rename) after every change, so a restarted driver keeps its
 * volumes, capacity accounting and publications. Volumes are reachable only from this
 * node: they carry the topology segment `topology.hostpath.csi.bosun.dev/node=<nodeId>`
 * and MULTI_NODE access modes are refused with INVALID_ARGUMENT. Concurrent calls for the
 * same volume (or volume name) fail fast with ABORTED, as the spec asks. Serve it with
 * `serveCsi(driver, { socketPath })`.
 */
export function createHostPathDriver(options: HostPathDriverOptions): HostPathDriver {
  const name = options.name ?? HOSTPATH_DRIVER_NAME;
  const { nodeId, rootDir } = options;
  if (!nodeId) throw new Error('createHostPathDriver: nodeId is required');
  if (!isAbsolute(rootDir)) throw new Error('createHostPathDriver: rootDir must be absolute');
  const volumesDir = join(rootDir, 'volumes');
  const statePath = join(rootDir, 'state.json');
  mkdirSync(volumesDir, { recursive: true });
  const mode = options.publishMode ?? 'auto';
  const log = options.log ?? (() => undefined);
  const topology = { segments: { [HOSTPATH_TOPOLOGY_KEY]: nodeId } };
  const maxVolume = options.maxVolumeBytes ?? options.capacityBytes ?? Number.MAX_SAFE_INTEGER;

  const state: State = existsSync(statePath)
    ? (JSON.parse(readFileSync(statePath, 'utf8')) as State)
    : { version: 1, volumes: {}, publications: {} };
  const save = () => {
    const tmp = `${statePath}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(state, null, 2));
    renameSync(tmp, statePath);
  };

  const busy = new Set<string>();
  const locked = async <T>(keys: string[], fn: () => Promise<T> | T): Promise<T> => {
    const taken = keys.find((k) => busy.has(k));
    if (taken) throw new CsiError('Aborted', `an operation is already pending for ${taken}`);
    for (const k of keys) busy.add(k);
    try {
      return await fn();
    } finally {
      for (const k of keys) busy.delete(k);
    }
  };

  const used = () => Object.values(state.volumes).reduce((s, v) => s + v.capacityBytes, 0);
  const volumeDir = (id: string) => join(volumesDir, id);
  const toCsi = (v: HostPathVolume) => ({
    volumeId: v.volumeId,
    capacityBytes: v.capacityBytes,
    volumeContext: { ...v.parameters },
    accessibleTopology: [topology],
  });
  const requireVolume = (id: string) => {
    const v = state.volumes[id];
    if (!v) throw new CsiError('NotFound', `volume ${id} does not exist`);
    return v;
  };

  /** Makes `source` appear at `target`; returns the mode used. */
  const attach = async (source: string, target: string, readonly: boolean, volumeId: string): Promise<'bind' | 'symlink'> => {
    const tryBind = mode === 'bind' || (mode === 'auto' && process.getuid?.() === 0);
    if (tryBind) {
      const created = !existsSync(target);
      mkdirSync(target, { recursive: true });
      try {
        await bindMount(source, target, readonly);
        return 'bind';
      } catch (err) {
        const error = (err as { stderr?: string }).stderr?.trim() || String(err);
        if (mode === 'bind') throw new CsiError('Internal', `bind mount of volume ${volumeId} at ${target} failed: ${error}`, { cause: err });
        log({ level: 'warn', msg: 'bind mount failed; falling back to a symlink', volumeId, path: target, error });
        if (created) rmdirSync(target);
      }
    }
    if (readonly) throw new CsiError('FailedPrecondition', `volume ${volumeId}: readonly publishing needs a bind mount (run as root); symlink mode cannot enforce it`);
    mkdirSync(dirname(target), { recursive: true });
    if (existsSync(target) && lstatSync(target).isDirectory() && readdirSync(target).length === 0) rmdirSync(target);
    symlinkSync(source, target, 'dir');
    return 'symlink';
  };

  /** Removes whatever the driver put at `path` (mount, symlink, empty dir). Idempotent. */
  const detach = async (path: string) => {
    if (isMountPoint(path)) await unmount(path);
    let st;
    try {
      st = lstatSync(path);
    } catch {
      return;
    }
    if (st.isSymbolicLink()) unlinkSync(path);
    else if (st.isDirectory() && readdirSync(path).length === 0) rmdirSync(path);
  };

  const publish = async (kind: 'publish' | 'stage', volumeId: string, path: string, source: string, readonly: boolean) => {
    const existing = state.publications[path];
    if (existing) {
      if (existing.volumeId === volumeId && existing.readonly === readonly && existing.kind === kind) return;
      throw new CsiError('AlreadyExists', `${path} is already used by volume ${existing.volumeId} with different options`);
    }
    const used = await attach(source, path, readonly, volumeId);
    state.publications[path] = { volumeId, path, kind, mode: used, readonly };
    save();
    log({ level: 'info', msg: kind === 'publish' ? 'published' : 'staged', volumeId, path, mode: used });
  };

  const unpublish = async (path: string) => {
    await detach(path);
    if (state.publications[path]) {
      const { volumeId } = state.publications[path]!;
      delete state.publications[path];
      save();
      log({ level: 'info', msg: 'unpublished', volumeId, path });
    }
  };

  const required = (value: string | undefined, what: string) => {
    if (!value) throw new CsiError('InvalidArgument', `${what} is required`);
  };
  const absolute = (value: string, what: string) => {
    required(value, what);
    if (!isAbsolute(value)) throw new CsiError('InvalidArgument', `${what} must be an absolute path`);
  };

  const driver: HostPathDriver = {
    volumes: () => Object.values(state.volumes),
    publications: () => Object.values(state.publications),
    usedBytes: used,
    async cleanup() {
      const all = Object.values(state.publications).sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'publish' ? -1 : 1));
      for (const p of all) await unpublish(p.path);
    },

    getPluginInfo: () => ({ name, vendorVersion: '0.1.0', manifest: { nodeId } }),
    getPluginCapabilities: () => ({
      capabilities: [{ service: { type: 'CONTROLLER_SERVICE' } }, { service: { type: 'VOLUME_ACCESSIBILITY_CONSTRAINTS' } }],
    }),
    probe: () => ({ ready: { value: true } }),

    controllerGetCapabilities: () => ({
      capabilities: (['CREATE_DELETE_VOLUME', 'LIST_VOLUMES', 'GET_CAPACITY'] as const).map((type) => ({ rpc: { type } })),
    }),

    createVolume: async (req) => {
      required(req.name, 'name');
      if (req.volumeCapabilities.length === 0) throw new CsiError('InvalidArgument', 'volume_capabilities is required');
      for (const cap of req.volumeCapabilities) {
        const why = unsupported(cap);
        if (why) throw new CsiError('InvalidArgument', why);
      }
      return locked([`name:${req.name}`], () => {
        const { requiredBytes = 0, limitBytes = 0 } = req.capacityRange ?? {};
        if (requiredBytes < 0 || limitBytes < 0) throw new CsiError('InvalidArgument', 'capacity_range bounds must not be negative');
        if (limitBytes && requiredBytes > limitBytes) throw new CsiError('OutOfRange', `required_bytes ${requiredBytes} exceeds limit_bytes ${limitBytes}`);
        const existing = Object.values(state.volumes).find((v) => v.name === req.name);
        if (existing) {
          const fits = existing.capacityBytes >= requiredBytes && (!limitBytes || existing.capacityBytes <= limitBytes);
          if (!fits || !sameMap(existing.parameters, req.parameters)) {
            throw new CsiError('AlreadyExists', `volume ${req.name} exists with a different capacity or parameters`);
          }
          return { volume: toCsi(existing) };
        }
        const requisite = req.accessibilityRequirements?.requisite ?? [];
        if (requisite.length && !requisite.some((t) => t.segments[HOSTPATH_TOPOLOGY_KEY] === nodeId)) {
          throw new CsiError('ResourceExhausted', `volumes of this driver can only be provisioned on node ${nodeId}`);
        }
        const size = requiredBytes || (limitBytes ? Math.min(limitBytes, HOSTPATH_DEFAULT_VOLUME_BYTES) : HOSTPATH_DEFAULT_VOLUME_BYTES);
        if (size > maxVolume) throw new CsiError('OutOfRange', `requested ${size} bytes; the largest volume is ${maxVolume} bytes`);
        if (options.capacityBytes !== undefined && used() + size > options.capacityBytes) {
          throw new CsiError('ResourceExhausted', `requested ${size} bytes; ${options.capacityBytes - used()} of ${options.capacityBytes} bytes left`);
        }
        const volume: HostPathVolume = { volumeId: randomUUID(), name: req.name, capacityBytes: size, parameters: { ...req.parameters }, createdAt: new Date().toISOString() };
        mkdirSync(volumeDir(volume.volumeId), { recursive: true, mode: 0o777 });
        state.volumes[volume.volumeId] = volume;
        save();
        return { volume: toCsi(volume) };
      });
    },

    deleteVolume: async (req) => {
      required(req.volumeId, 'volume_id');
      return locked([req.volumeId], () => {
        if (!state.volumes[req.volumeId]) return;
        const inUse = Object.values(state.publications).find((p) => p.volumeId === req.volumeId);
        if (inUse) throw new CsiError('FailedPrecondition', `volume ${req.volumeId} is still ${inUse.kind === 'publish' ? 'published' : 'staged'} at ${inUse.path}`);
        rmSync(volumeDir(req.volumeId), { recursive: true, force: true });
        delete state.volumes[req.volumeId];
        save();
      });
    },

    validateVolumeCapabilities: async (req) => {
      required(req.volumeId, 'volume_id');
      if (req.volumeCapabilities.length === 0) throw new CsiError('InvalidArgument', 'volume_capabilities is required');
      const v = requireVolume(req.volumeId);
      const why = req.volumeCapabilities.map(unsupported).find(Boolean);
      if (why) return { message: why };
      return { confirmed: { volumeContext: { ...v.parameters }, volumeCapabilities: req.volumeCapabilities, parameters: req.parameters } };
    },

    listVolumes: async (req) => {
      const all = Object.values(state.volumes).sort((a, b) => a.volumeId.localeCompare(b.volumeId));
      const start = req.startingToken ? all.findIndex((v) => v.volumeId === req.startingToken) : 0;
      if (start < 0) throw new CsiError('Aborted', `starting_token ${req.startingToken} is no longer valid`);
      const page = req.maxEntries > 0 ? all.slice(start, start + req.maxEntries) : all.slice(start);
      const next = all[start + page.length];
      return { entries: page.map((v) => ({ volume: toCsi(v) })), nextToken: next?.volumeId ?? '' };
    },

    getCapacity: () => {
      if (options.capacityBytes !== undefined) return { availableCapacity: Math.max(0, options.capacityBytes - used()), maximumVolumeSize: { value: maxVolume } };
      const fs = statfsSync(rootDir);
      return { availableCapacity: fs.bavail * fs.bsize };
    },

    nodeGetCapabilities: () => ({ capabilities: options.stageUnstage ? [{ rpc: { type: 'STAGE_UNSTAGE_VOLUME' } }] : [] }),
    nodeGetInfo: () => ({ nodeId, maxVolumesPerNode: 0, accessibleTopology: topology }),

    nodeStageVolume: async (req) => {
      if (!options.stageUnstage) throw new CsiError('Unimplemented', 'NodeStageVolume: STAGE_UNSTAGE_VOLUME is not advertised');
      required(req.volumeId, 'volume_id');
      absolute(req.stagingTargetPath, 'staging_target_path');
      const why = unsupported(req.volumeCapability);
      if (why) throw new CsiError('InvalidArgument', why);
      return locked([req.volumeId], async () => {
        requireVolume(req.volumeId);
        await publish('stage', req.volumeId, req.stagingTargetPath, volumeDir(req.volumeId), false);
      });
    },

    nodeUnstageVolume: async (req) => {
      if (!options.stageUnstage) throw new CsiError('Unimplemented', 'NodeUnstageVolume: STAGE_UNSTAGE_VOLUME is not advertised');
      required(req.volumeId, 'volume_id');
      absolute(req.stagingTargetPath, 'staging_target_path');
      return locked([req.volumeId], () => unpublish(req.stagingTargetPath));
    },

    nodePublishVolume: async (req) => {
      required(req.volumeId, 'volume_id');
      absolute(req.targetPath, 'target_path');
      const why = unsupported(req.volumeCapability);
      if (why) throw new CsiError('InvalidArgument', why);
      if (options.stageUnstage) absolute(req.stagingTargetPath, 'staging_target_path');
      return locked([req.volumeId], async () => {
        requireVolume(req.volumeId);
        let source = volumeDir(req.volumeId);
        if (options.stageUnstage) {
          const staged = state.publications[req.stagingTargetPath];
          if (staged?.kind !== 'stage' || staged.volumeId !== req.volumeId) {
            throw new CsiError('FailedPrecondition', `volume ${req.volumeId} is not staged at ${req.stagingTargetPath}`);
          }
          source = req.stagingTargetPath;
        }
        await publish('publish', req.volumeId, req.targetPath, source, req.readonly);
      });
    },

    nodeUnpublishVolume: async (req) => {
      required(req.volumeId, 'volume_id');
      absolute(req.targetPath, 'target_path');
      return locked([req.volumeId], () => unpublish(req.targetPath));
    },
  };
  return driver;
}
