/**
 * A storage plugin skeleton: a CSI driver that keeps each volume in a directory under
 * `rootDir` and publishes it to the pod's target path as a symlink. It shows the shape of
 * every CSI plugin on Bosun: a plain object with domain-named methods (`createVolume`,
 * `nodePublishVolume`, …), validation that throws `CsiError`s with the status the CSI spec
 * asks for, idempotent calls, and `serveCsi` to put it on a unix socket.
 *
 * What it leaves out, on purpose: no capacity accounting (sizes are recorded, not
 * enforced), no staging, no topology, and no read-only publishing (a symlink cannot make
 * a read-only view, so `readonly: true` is refused with FAILED_PRECONDITION rather than
 * silently writable). `@bosun/storage-hostpath` is the complete version.
 */
import { existsSync, lstatSync, mkdirSync, readlinkSync, rmSync, rmdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CsiError, serveCsi, type CsiPluginImpl, type CsiServerHandle, type VolumeCapability } from '@bosun/csi';

/** Options of {@link createSkeletonStorage}. */
export interface SkeletonStorageOptions {
  /** Where volume directories live. Created when missing. */
  rootDir: string;
  /** What NodeGetInfo answers. */
  nodeId: string;
  /** The largest volume CreateVolume accepts. Default 1 GiB. */
  maxVolumeBytes?: number;
}

interface VolumeRecord {
  id: string;
  name: string;
  capacityBytes: number;
  path: string;
}

const DRIVER_NAME = 'skeleton.storage.bosun.dev';
const DEFAULT_BYTES = 1024 * 1024;

function requireCapabilities(caps: readonly VolumeCapability[], field: string): void {
  if (caps.length === 0) throw new CsiError('InvalidArgument', `${field}: at least one volume capability is required`);
  caps.forEach((c, i) => {
    if (!c.accessMode || c.accessMode.mode === 'UNKNOWN') throw new CsiError('InvalidArgument', `${field}[${i}].accessMode: required`);
    if (c.block) throw new CsiError('InvalidArgument', `${field}[${i}]: block volumes are not supported, only mount`);
  });
}

/** The capacity to give a volume for a requested range, or an OUT_OF_RANGE error. */
function capacityFor(range: { requiredBytes: number; limitBytes: number } | null, max: number): number {
  const required = range?.requiredBytes ?? 0;
  const limit = range?.limitBytes ?? 0;
  if (limit && required > limit) throw new CsiError('InvalidArgument', `capacityRange: requiredBytes ${required} > limitBytes ${limit}`);
  const bytes = required || Math.min(DEFAULT_BYTES, limit || DEFAULT_BYTES);
  if (bytes > max) throw new CsiError('OutOfRange', `capacityRange: ${bytes} bytes is more than this driver's maximum of ${max}`);
  return bytes;
}

/** Creates the driver. Every method is idempotent, as the CSI spec requires. */
export function createSkeletonStorage(opts: SkeletonStorageOptions): CsiPluginImpl {
  const byName = new Map<string, VolumeRecord>();
  const byId = new Map<string, VolumeRecord>();
  const max = opts.maxVolumeBytes ?? 1024 ** 3;
  mkdirSync(opts.rootDir, { recursive: true });

  const known = (volumeId: string): VolumeRecord => {
    const v = byId.get(volumeId);
    if (!v) throw new CsiError('NotFound', `volume ${volumeId} does not exist`);
    return v;
  };
  const toVolume = (v: VolumeRecord) => ({ volumeId: v.id, capacityBytes: v.capacityBytes, volumeContext: { name: v.name } });

  return {
    getPluginInfo: () => ({ name: DRIVER_NAME, vendorVersion: '0.1.0' }),
    getPluginCapabilities: () => ({ capabilities: [{ service: { type: 'CONTROLLER_SERVICE' } }] }),
    probe: () => ({ ready: { value: true } }),
    controllerGetCapabilities: () => ({ capabilities: [{ rpc: { type: 'CREATE_DELETE_VOLUME' } }] }),
    nodeGetCapabilities: () => ({ capabilities: [] }),
    nodeGetInfo: () => ({ nodeId: opts.nodeId }),

    createVolume(req) {
      if (!req.name) throw new CsiError('InvalidArgument', 'name: required');
      requireCapabilities(req.volumeCapabilities, 'volumeCapabilities');
      const capacityBytes = capacityFor(req.capacityRange, max);
      const existing = byName.get(req.name);
      if (existing) {
        const limit = req.capacityRange?.limitBytes ?? 0;
        if (existing.capacityBytes < (req.capacityRange?.requiredBytes ?? 0) || (limit && existing.capacityBytes > limit))
          throw new CsiError('AlreadyExists', `volume ${req.name} exists with ${existing.capacityBytes} bytes, outside the requested range`);
        return { volume: toVolume(existing) };
      }
      const id = `skel-${req.name}`;
      const v: VolumeRecord = { id, name: req.name, capacityBytes, path: join(opts.rootDir, id) };
      mkdirSync(v.path, { recursive: true });
      byName.set(v.name, v);
      byId.set(v.id, v);
      return { volume: toVolume(v) };
    },

    deleteVolume(req) {
      if (!req.volumeId) throw new CsiError('InvalidArgument', 'volumeId: required');
      const v = byId.get(req.volumeId);
      if (!v) return; // already gone: success
      rmSync(v.path, { recursive: true, force: true });
      byId.delete(v.id);
      byName.delete(v.name);
    },

    validateVolumeCapabilities(req) {
      if (!req.volumeId) throw new CsiError('InvalidArgument', 'volumeId: required');
      requireCapabilities(req.volumeCapabilities, 'volumeCapabilities');
      known(req.volumeId);
      return { confirmed: { volumeContext: req.volumeContext, volumeCapabilities: req.volumeCapabilities, parameters: req.parameters } };
    },

    nodePublishVolume(req) {
      if (!req.volumeId) throw new CsiError('InvalidArgument', 'volumeId: required');
      if (!req.targetPath) throw new CsiError('InvalidArgument', 'targetPath: required');
      if (!req.volumeCapability) throw new CsiError('InvalidArgument', 'volumeCapability: required');
      if (req.readonly) throw new CsiError('FailedPrecondition', 'readonly: a symlink cannot be published read-only by this driver');
      const v = known(req.volumeId);
      if (existsSync(req.targetPath) || isSymlink(req.targetPath)) {
        if (isSymlink(req.targetPath) && readlinkSync(req.targetPath) === v.path) return; // published already
        if (!isSymlink(req.targetPath) && lstatSync(req.targetPath).isDirectory()) rmdirSync(req.targetPath); // an empty mount point (fails if not empty)
        else throw new CsiError('AlreadyExists', `targetPath ${req.targetPath} holds something else`);
      }
      symlinkSync(v.path, req.targetPath);
    },

    nodeUnpublishVolume(req) {
      if (!req.volumeId) throw new CsiError('InvalidArgument', 'volumeId: required');
      if (!req.targetPath) throw new CsiError('InvalidArgument', 'targetPath: required');
      if (isSymlink(req.targetPath)) unlinkSync(req.targetPath); // not published: nothing to do
    },
  };
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Serves the driver on `socketPath` (mode 0600). */
export function serveSkeletonStorage(opts: SkeletonStorageOptions & { socketPath: string }): Promise<CsiServerHandle> {
  return serveCsi(createSkeletonStorage(opts), { socketPath: opts.socketPath, name: DRIVER_NAME });
}
