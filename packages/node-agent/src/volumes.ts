import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, open, readFile, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { promisify } from 'node:util';
import { isNotFound, tryParseQuantity, type Clock, type ConfigMap, type PersistentVolume, type Pod, type Secret, type core } from '@bosun/api';
import type { Client } from '@bosun/apiserver';
import type { CriInput, Mount, MountPropagation } from '@bosun/cri';
import type { CsiClient } from '@bosun/csi';
import { AtomicWriter, type PayloadFile } from './atomic-writer';
import { configMapValues, expandVars, podFieldValue, resourceFieldValue, secretValues, type EnvVar } from './env';
import { NodeAgentError } from './errors';

const run = promisify(execFile);

/** Plugin directory names under `pods/<uid>/volumes/`, as the kubelet's. */
export const VOLUME_PLUGIN_DIRS = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
  csi: 'kubernetes.io~csi',
} as const;

/** The part of a CSI client the node agent uses (the Node service). */
export type CsiNodeClient = Pick<CsiClient, 'node'>;

/** Options of {@link VolumeManager}. */
export interface VolumeManagerOptions {
  client: Client;
  clock: Clock;
  nodeName: string;
  /** Like `/var/lib/kubelet`; unset, only hostPath volumes (and hostPath PVs) can be used. */
  rootDir?: string;
  /** CSI node plugins by driver name (`spec.csi.driver` of a PV). */
  csiDrivers?: Readonly<Record<string, CsiNodeClient>>;
  /** Node allocatable: default limits of downward-API resource files. */
  allocatable: Readonly<Record<string, string>>;
  /** Mount a tmpfs for emptyDir `medium: Memory` when running as root. Default true. */
  memoryTmpfs?: boolean;
  logger: { warn(message: string): void };
}

/** A pod volume ready to be mounted into containers. */
export interface MountedVolume {
  name: string;
  /** The host directory (or file, or socket…) backing the volume. */
  path: string;
  /** Every mount of this volume is read-only (configMap, secret, downwardAPI, projected, readOnly PVCs). */
  readOnly: boolean;
}

/** What the kubelet keeps next to a CSI mount (`vol_data.json`), so teardown works after a restart. */
interface CsiVolumeData {
  driverName: string;
  volumeHandle: string;
  specVolID: string;
  stagingTargetPath: string;
  targetPath: string;
}

const DEFAULT_MODE = 0o644;

const setUpError = (volume: string, message: string) => new NodeAgentError('Volume', `MountVolume.SetUp failed for volume "${volume}" : ${message}`);

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

/** Mount points under `prefix`, deepest first, from /proc/self/mountinfo (empty where unreadable). */
async function mountsUnder(prefix: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const mp = line.split(' ')[4]?.replace(/\\040/g, ' ');
    if (mp && (mp === prefix || mp.startsWith(prefix + sep))) out.push(mp);
  }
  return out.sort((a, b) => b.length - a.length);
}

const ACCESS_MODES: Record<string, string> = {
  ReadWriteOnce: 'SINGLE_NODE_WRITER',
  ReadOnlyMany: 'MULTI_NODE_READER_ONLY',
  ReadWriteMany: 'MULTI_NODE_MULTI_WRITER',
  ReadWriteOncePod: 'SINGLE_NODE_SINGLE_WRITER',
};

/**
 * The kubelet's volume manager: sets up every volume of a pod under
 * `<rootDir>/pods/<uid>/volumes/<plugin>/<name>` before its containers are created,
 * refreshes the content of configMap, secret, downwardAPI and projected volumes on each
 * sync (atomically, see {@link AtomicWriter}), builds the CRI mounts of a container
 * (subPath, readOnly), and tears everything down (CSI unpublish/unstage, tmpfs unmount,
 * directory removal) when the pod is gone. Level-triggered: {@link VolumeManager.setUp}
 * is idempotent and cheap when nothing changed.
 */
export class VolumeManager {
  private readonly writer = new AtomicWriter();
  private readonly tokens = new Map<string, { token: string; issuedAt: number; expiresAt: number }>();
  private readonly warned = new Set<string>();

  constructor(private readonly opts: VolumeManagerOptions) {}

  /** `<rootDir>/pods/<uid>`. */
  podDir(uid: string): string {
    return join(this.requireRoot(), 'pods', uid);
  }

  private requireRoot(volume?: string): string {
    if (!this.opts.rootDir) {
      const msg = 'the node agent has no rootDir, so it cannot hold volume data (set the rootDir option)';
      throw volume ? setUpError(volume, msg) : new NodeAgentError('Volume', msg);
    }
    return this.opts.rootDir;
  }

  private volumeDir(uid: string, plugin: string, name: string): string {
    return join(this.podDir(uid), 'volumes', plugin, name);
  }

  /**
   * Sets up (or refreshes) every volume of `pod`, in order, and returns them by name.
   * Rejects with a NodeAgentError `Volume` whose message is the kubelet's FailedMount
   * text (`MountVolume.SetUp failed for volume "x" : configmap "y" not found`).
   */
  async setUp(pod: Pod): Promise<Map<string, MountedVolume>> {
    const out = new Map<string, MountedVolume>();
    for (const v of pod.spec?.volumes ?? []) out.set(v.name, await this.setUpOne(pod, v));
    return out;
  }

  private async setUpOne(pod: Pod, v: core.Volume): Promise<MountedVolume> {
    const uid = pod.metadata!.uid!;
    try {
      if (v.hostPath) return { name: v.name, path: await checkHostPath(v.hostPath.path, v.hostPath.type ?? ''), readOnly: false };
      if (v.emptyDir) return { name: v.name, path: await this.emptyDir(uid, v.name, v.emptyDir), readOnly: false };
      if (v.persistentVolumeClaim) return await this.pvc(pod, v.name, v.persistentVolumeClaim);
      const payload = v.configMap
        ? { plugin: VOLUME_PLUGIN_DIRS.configMap, files: await this.configMapPayload(pod, v.configMap, v.configMap.defaultMode) }
        : v.secret
          ? { plugin: VOLUME_PLUGIN_DIRS.secret, files: await this.secretPayload(pod, v.secret, v.secret.defaultMode) }
          : v.downwardAPI
            ? { plugin: VOLUME_PLUGIN_DIRS.downwardAPI, files: this.downwardPayload(pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode) }
            : v.projected
              ? { plugin: VOLUME_PLUGIN_DIRS.projected, files: await this.projectedPayload(pod, v.name, v.projected) }
              : undefined;
      if (!payload) throw new NodeAgentError('Volume', 'no volume plugin matched: Bosun supports emptyDir, hostPath, configMap, secret, downwardAPI, projected and persistentVolumeClaim');
      this.requireRoot();
      const dir = this.volumeDir(uid, payload.plugin, v.name);
      await this.writer.write(dir, payload.files);
      return { name: v.name, path: dir, readOnly: true };
    } catch (err) {
      if (err instanceof NodeAgentError && err.message.startsWith('MountVolume.')) throw err;
      throw setUpError(v.name, err instanceof Error ? err.message : String(err));
    }
  }

  private async emptyDir(uid: string, name: string, src: core.EmptyDirVolumeSource): Promise<string> {
    const dir = this.volumeDir(uid, VOLUME_PLUGIN_DIRS.emptyDir, name);
    await mkdir(dir, { recursive: true, mode: 0o777 });
    if (src.medium === 'Memory') await this.ensureTmpfs(dir, src.sizeLimit === undefined ? undefined : String(src.sizeLimit));
    else if (src.medium && src.medium !== '') throw new NodeAgentError('Volume', `emptyDir medium ${JSON.stringify(src.medium)} is not supported (use "" or "Memory")`);
    return dir;
  }

  private async ensureTmpfs(dir: string, sizeLimit: string | undefined): Promise<void> {
    if (this.opts.memoryTmpfs === false || process.getuid?.() !== 0) return this.warnOnce(`tmpfs`, `emptyDir medium Memory is a plain directory on this node (not root or memoryTmpfs off)`);
    if ((await mountsUnder(dir)).includes(dir)) return;
    const args = ['-t', 'tmpfs', ...(sizeLimit ? ['-o', `size=${sizeLimit.replace(/i$/, '')}`] : []), 'tmpfs', dir];
    try {
      await run('mount', args);
    } catch (err) {
      this.warnOnce('tmpfs-failed', `emptyDir medium Memory falls back to a directory: mount -t tmpfs failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.opts.logger.warn(`node-agent ${this.opts.nodeName}: ${message}`);
  }

  private async getOptional<T>(load: () => Promise<T>): Promise<T | undefined> {
    try {
      return await load();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private keyedPayload(
    values: Map<string, Buffer> | undefined,
    items: readonly core.KeyToPath[] | undefined,
    defaultMode: number | undefined,
    optional: boolean,
    what: 'configmap' | 'secret',
    out = new Map<string, PayloadFile>(),
  ): Map<string, PayloadFile> {
    const mode = defaultMode ?? DEFAULT_MODE;
    if (!values) return out;
    if (!items?.length) {
      for (const [k, data] of values) out.set(k, { data, mode });
      return out;
    }
    for (const item of items) {
      const data = values.get(item.key);
      if (data === undefined) {
        if (optional) continue;
        throw new NodeAgentError('Volume', `${what} references non-existent ${what === 'configmap' ? 'config' : 'secret'} key: ${item.key}`);
      }
      out.set(item.path, { data, mode: item.mode ?? mode });
    }
    return out;
  }

  private async configMapPayload(pod: Pod, src: { name?: string; items?: core.KeyToPath[]; optional?: boolean }, defaultMode: number | undefined, out?: Map<string, PayloadFile>): Promise<Map<string, PayloadFile>> {
    const ns = pod.metadata!.namespace!;
    const cm = await this.getOptional<ConfigMap>(() => this.opts.client.get('v1', 'ConfigMap', ns, src.name ?? ''));
    if (!cm && !src.optional) throw new NodeAgentError('Volume', `configmap "${src.name}" not found`);
    return this.keyedPayload(cm && configMapValues(cm), src.items, defaultMode, !!src.optional, 'configmap', out);
  }

  private async secretPayload(pod: Pod, src: { name?: string; secretName?: string; items?: core.KeyToPath[]; optional?: boolean }, defaultMode: number | undefined, out?: Map<string, PayloadFile>): Promise<Map<string, PayloadFile>> {
    const ns = pod.metadata!.namespace!;
    const name = src.secretName ?? src.name ?? '';
    const s = await this.getOptional<Secret>(() => this.opts.client.get('v1', 'Secret', ns, name));
    if (!s && !src.optional) throw new NodeAgentError('Volume', `secret "${name}" not found`);
    return this.keyedPayload(s && secretValues(s), src.items, defaultMode, !!src.optional, 'secret', out);
  }

  private downwardPayload(pod: Pod, items: readonly core.DownwardAPIVolumeFile[], defaultMode: number | undefined, out = new Map<string, PayloadFile>()): Map<string, PayloadFile> {
    const mode = defaultMode ?? DEFAULT_MODE;
    for (const item of items) {
      let value: string;
      if (item.fieldRef) {
        if (!/^metadata\./.test(item.fieldRef.fieldPath)) throw new NodeAgentError('Volume', `unsupported downward API volume fieldPath: ${item.fieldRef.fieldPath} (metadata fields only)`);
        value = podFieldValue(pod, item.fieldRef.fieldPath, { podIP: '', hostIP: '' });
      } else if (item.resourceFieldRef) {
        const c = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((x) => x.name === item.resourceFieldRef!.containerName);
        if (!c) throw new NodeAgentError('Volume', `container "${item.resourceFieldRef.containerName}" not found for resourceFieldRef of ${item.path}`);
        value = resourceFieldValue(item.resourceFieldRef, c, this.opts.allocatable);
      } else throw new NodeAgentError('Volume', `downward API item ${item.path} has neither fieldRef nor resourceFieldRef`);
      out.set(item.path, { data: Buffer.from(value), mode: item.mode ?? mode });
    }
    return out;
  }

  private async projectedPayload(pod: Pod, volume: string, src: core.ProjectedVolumeSource): Promise<Map<string, PayloadFile>> {
    const out = new Map<string, PayloadFile>();
    for (const s of src.sources ?? []) {
      if (s.configMap) await this.configMapPayload(pod, s.configMap, src.defaultMode, out);
      else if (s.secret) await this.secretPayload(pod, s.secret, src.defaultMode, out);
      else if (s.downwardAPI) this.downwardPayload(pod, s.downwardAPI.items ?? [], src.defaultMode, out);
      else if (s.serviceAccountToken) out.set(s.serviceAccountToken.path, { data: Buffer.from(this.placeholderToken(pod, volume, s.serviceAccountToken)), mode: src.defaultMode ?? 0o600 });
      else throw new NodeAgentError('Volume', 'unsupported projected volume source (clusterTrustBundle and podCertificate are not implemented)');
    }
    return out;
  }

  /**
   * NOT A REAL TOKEN. A JWT-shaped, unsigned (`alg: none`) placeholder with the claims a
   * bound service-account token carries, so programs that read the file find one. No
   * API server accepts it; Bosun has no token signer. Renewed at 80 % of its lifetime.
   */
  private placeholderToken(pod: Pod, volume: string, src: core.ServiceAccountTokenProjection): string {
    const m = pod.metadata!;
    const key = `${m.uid}/${volume}/${src.path}`;
    const now = this.opts.clock.now();
    const held = this.tokens.get(key);
    if (held && now < held.issuedAt + 0.8 * (held.expiresAt - held.issuedAt)) return held.token;
    const ttl = (src.expirationSeconds ?? 3600) * 1000;
    const sa = pod.spec?.serviceAccountName ?? 'default';
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = {
      iss: 'https://bosun.invalid/placeholder-not-signed',
      sub: `system:serviceaccount:${m.namespace}:${sa}`,
      aud: [src.audience || 'bosun-placeholder'],
      iat: Math.floor(now / 1000),
      nbf: Math.floor(now / 1000),
      exp: Math.floor((now + ttl) / 1000),
      'kubernetes.io': { namespace: m.namespace, node: { name: this.opts.nodeName }, pod: { name: m.name, uid: m.uid }, serviceaccount: { name: sa } },
    };
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    this.tokens.set(key, { token, issuedAt: now, expiresAt: now + ttl });
    return token;
  }

  private async pvc(pod: Pod, volume: string, src: core.PersistentVolumeClaimVolumeSource): Promise<MountedVolume> {
    const ns = pod.metadata!.namespace!;
    const { client } = this.opts;
    const claim = await this.getOptional(() => client.get('v1', 'PersistentVolumeClaim', ns, src.claimName));
    if (!claim) throw new NodeAgentError('Volume', `persistentvolumeclaim "${src.claimName}" not found`);
    const pvName = claim.spec?.volumeName;
    if (!pvName || claim.status?.phase !== 'Bound') throw new NodeAgentError('Volume', `PVC ${ns}/${src.claimName} has non-bound phase ("${claim.status?.phase ?? 'Pending'}") or empty pvc.Spec.VolumeName ("${pvName ?? ''}")`);
    const pv = await this.getOptional<PersistentVolume>(() => client.get('v1', 'PersistentVolume', '', pvName));
    if (!pv) throw new NodeAgentError('Volume', `persistentvolume "${pvName}" not found`);
    const readOnly = !!src.readOnly;
    if (pv.spec?.hostPath) return { name: volume, path: await checkHostPath(pv.spec.hostPath.path, pv.spec.hostPath.type ?? ''), readOnly };
    if (pv.spec?.local) return { name: volume, path: await checkHostPath(pv.spec.local.path, 'Directory'), readOnly };
    if (pv.spec?.csi) return { name: volume, path: await this.csiPublish(pod, pv, readOnly), readOnly: readOnly || !!pv.spec.csi.readOnly };
    throw new NodeAgentError('Volume', `persistentvolume "${pvName}": no volume plugin matched (Bosun mounts csi, hostPath and local volumes)`);
  }

  private async csiPublish(pod: Pod, pv: PersistentVolume, readOnly: boolean): Promise<string> {
    const csi = pv.spec!.csi!;
    const root = this.requireRoot();
    const driver = this.opts.csiDrivers?.[csi.driver];
    if (!driver) throw new NodeAgentError('Volume', `kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name ${csi.driver} not found in the list of registered CSI drivers`);
    const uid = pod.metadata!.uid!;
    const base = this.volumeDir(uid, VOLUME_PLUGIN_DIRS.csi, pv.metadata!.name!);
    const targetPath = join(base, 'mount');
    const dataFile = join(base, 'vol_data.json');
    const stagingTargetPath = join(root, 'plugins', 'kubernetes.io', 'csi', csi.driver, createHash('sha256').update(csi.volumeHandle).digest('hex'), 'globalmount');
    const existing = await readFile(dataFile, 'utf8').catch(() => undefined);
    if (existing && (await statOrUndefined(targetPath))) return targetPath;
    const mode = ACCESS_MODES[pv.spec?.accessModes?.[0] ?? 'ReadWriteOnce'] ?? 'SINGLE_NODE_WRITER';
    const volumeCapability = { mount: { fsType: csi.fsType ?? '', mountFlags: pv.spec?.mountOptions ?? [], volumeMountGroup: '' }, block: null, accessMode: { mode } } as never;
    await mkdir(base, { recursive: true });
    const data: CsiVolumeData = { driverName: csi.driver, volumeHandle: csi.volumeHandle, specVolID: pv.metadata!.name!, stagingTargetPath: '', targetPath };
    const caps = await driver.node.getCapabilities();
    if (caps.includes('STAGE_UNSTAGE_VOLUME' as never)) {
      await mkdir(stagingTargetPath, { recursive: true });
      await driver.node.stageVolume({ volumeId: csi.volumeHandle, stagingTargetPath, volumeCapability, volumeContext: csi.volumeAttributes ?? {}, publishContext: {}, secrets: {} });
      data.stagingTargetPath = stagingTargetPath;
    }
    await writeFile(dataFile, JSON.stringify(data));
    await driver.node.publishVolume({
      volumeId: csi.volumeHandle,
      stagingTargetPath: data.stagingTargetPath,
      targetPath,
      volumeCapability,
      readonly: readOnly || !!csi.readOnly,
      volumeContext: { ...csi.volumeAttributes, 'csi.storage.k8s.io/pod.name': pod.metadata!.name!, 'csi.storage.k8s.io/pod.namespace': pod.metadata!.namespace!, 'csi.storage.k8s.io/pod.uid': uid },
      publishContext: {},
      secrets: {},
    });
    return targetPath;
  }

  /**
   * The CRI mounts of `container`: one per volumeMount, with subPath (or subPathExpr
   * expanded from `env`) resolved inside the volume — created as a directory when
   * missing, refused when absolute, containing `..`, or escaping the volume through a
   * symlink — and readonly when the mount or the volume says so. Rejects with a
   * NodeAgentError `CreateContainerConfig`.
   */
  async containerMounts(container: core.Container, volumes: ReadonlyMap<string, MountedVolume>, env: readonly EnvVar[]): Promise<CriInput<Mount>[]> {
    const out: CriInput<Mount>[] = [];
    const vars = new Map(env.map((e) => [e.key, e.value] as const));
    for (const vm of container.volumeMounts ?? []) {
      const vol = volumes.get(vm.name);
      const fail = (msg: string) => new NodeAgentError('CreateContainerConfig', msg);
      if (!vol) throw fail(`cannot find volume "${vm.name}" to mount into container "${container.name}"`);
      let hostPath = vol.path;
      const sub = vm.subPathExpr ? expandVars(vm.subPathExpr, vars) : vm.subPath;
      if (sub) {
        if (sub.startsWith('/')) throw fail(`unable to provision SubPath \`${sub}\`: abs paths are not allowed`);
        if (sub.split('/').includes('..')) throw fail(`unable to provision SubPath \`${sub}\`: must not contain '..'`);
        const base = await realpath(vol.path);
        const joined = join(base, sub);
        if (!(await lstat(joined).catch(() => undefined))) await mkdir(joined, { recursive: true, mode: 0o750 });
        const resolved = await realpath(joined);
        if (resolved !== base && !resolved.startsWith(base + sep)) throw fail(`subpath "${resolved}" not within volume path "${base}"`);
        hostPath = resolved;
      }
      out.push({ containerPath: vm.mountPath, hostPath, readonly: !!vm.readOnly || vol.readOnly, selinuxRelabel: false, propagation: propagationOf(vm.mountPropagation) });
    }
    return out;
  }

  /**
   * Tears down every volume of the pod `uid`: CSI volumes are unpublished (and unstaged
   * when no other pod of this node uses them), tmpfs mounts are unmounted, then the pod
   * directory is removed — unless something is still mounted under it, in which case it
   * is kept and the error says what. Idempotent.
   */
  async tearDown(uid: string): Promise<void> {
    if (!this.opts.rootDir) return;
    const podDir = this.podDir(uid);
    if (!(await statOrUndefined(podDir))) return;
    const csiDir = join(podDir, 'volumes', VOLUME_PLUGIN_DIRS.csi);
    for (const pvName of await readdir(csiDir).catch(() => [] as string[])) {
      const dataFile = join(csiDir, pvName, 'vol_data.json');
      const raw = await readFile(dataFile, 'utf8').catch(() => undefined);
      if (!raw) continue;
      const data = JSON.parse(raw) as CsiVolumeData;
      const driver = this.opts.csiDrivers?.[data.driverName];
      if (!driver) throw new NodeAgentError('Volume', `UnmountVolume.TearDown failed for volume "${pvName}" of pod ${uid}: CSI driver ${data.driverName} not registered`);
      await driver.node.unpublishVolume(data.volumeHandle, data.targetPath);
      if (data.stagingTargetPath && !(await this.stagingInUse(data, uid))) await driver.node.unstageVolume(data.volumeHandle, data.stagingTargetPath);
      await rm(dataFile, { force: true });
    }
    for (const mp of await mountsUnder(podDir)) await run('umount', [mp]).catch(() => undefined);
    const left = await mountsUnder(podDir);
    if (left.length) throw new NodeAgentError('Volume', `pod ${uid}: cannot remove ${podDir}, still mounted: ${left.join(', ')}`);
    await rm(podDir, { recursive: true, force: true });
    this.writer.forget(podDir + sep);
    for (const k of [...this.tokens.keys()]) if (k.startsWith(`${uid}/`)) this.tokens.delete(k);
  }

  private async stagingInUse(data: CsiVolumeData, exceptUid: string): Promise<boolean> {
    const podsDir = join(this.requireRoot(), 'pods');
    for (const uid of await readdir(podsDir).catch(() => [] as string[])) {
      if (uid === exceptUid) continue;
      const csiDir = join(podsDir, uid, 'volumes', VOLUME_PLUGIN_DIRS.csi);
      for (const pv of await readdir(csiDir).catch(() => [] as string[])) {
        const raw = await readFile(join(csiDir, pv, 'vol_data.json'), 'utf8').catch(() => undefined);
        if (raw && (JSON.parse(raw) as CsiVolumeData).stagingTargetPath === data.stagingTargetPath) return true;
      }
    }
    return false;
  }

  /**
   * The eviction check of disk-backed emptyDirs with a `sizeLimit` (the kubelet's
   * local-storage eviction): the message for the first volume whose usage (the sum of
   * its files' sizes) exceeds its limit, or undefined. Memory-medium volumes are bounded
   * by their tmpfs size instead.
   */
  async emptyDirOverLimit(pod: Pod): Promise<string | undefined> {
    if (!this.opts.rootDir) return undefined;
    for (const v of pod.spec?.volumes ?? []) {
      if (!v.emptyDir || v.emptyDir.sizeLimit === undefined || v.emptyDir.medium === 'Memory') continue;
      const limit = tryParseQuantity(String(v.emptyDir.sizeLimit));
      if (!limit) continue;
      const used = await diskUsage(this.volumeDir(pod.metadata!.uid!, VOLUME_PLUGIN_DIRS.emptyDir, v.name));
      if (BigInt(used) > limit.value()) return `Usage of EmptyDir volume "${v.name}" exceeds the limit "${v.emptyDir.sizeLimit}".`;
    }
    return undefined;
  }

  /** Pod uids that have a directory under `<rootDir>/pods` (for orphan cleanup after a restart). */
  async podUidsOnDisk(): Promise<string[]> {
    if (!this.opts.rootDir) return [];
    return readdir(join(this.opts.rootDir, 'pods')).catch(() => []);
  }
}

/** Bytes used by the files under `dir` (symlinks not followed); 0 when it does not exist. */
async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await diskUsage(p);
    else total += (await lstat(p).catch(() => undefined))?.size ?? 0;
  }
  return total;
}

function propagationOf(p: string | undefined): MountPropagation {
  if (p === 'HostToContainer') return 'PROPAGATION_HOST_TO_CONTAINER';
  if (p === 'Bidirectional') return 'PROPAGATION_BIDIRECTIONAL';
  return 'PROPAGATION_PRIVATE';
}

/**
 * Checks (and for the `…OrCreate` types, creates) a hostPath per its type, as the
 * kubelet's hostPath type checker: `""` no check, `DirectoryOrCreate` (mode 0755),
 * `Directory`, `FileOrCreate` (mode 0644, the parent must exist), `File`, `Socket`,
 * `CharDevice`, `BlockDevice`. Returns the path; throws `hostPath type check failed: …`.
 */
export async function checkHostPath(path: string, type: string): Promise<string> {
  const fail = (what: string) => new NodeAgentError('Volume', `hostPath type check failed: ${path} is not ${what}`);
  let st = await statOrUndefined(path);
  switch (type) {
    case '':
      return path;
    case 'DirectoryOrCreate':
      if (!st) {
        await mkdir(path, { recursive: true, mode: 0o755 });
        st = await stat(path);
      }
      if (!st.isDirectory()) throw fail('a directory');
      return path;
    case 'Directory':
      if (!st?.isDirectory()) throw fail('a directory');
      return path;
    case 'FileOrCreate':
      if (!st) {
        if (!(await statOrUndefined(dirname(path)))?.isDirectory()) throw new NodeAgentError('Volume', `hostPath type check failed: cannot create file ${path}: parent directory does not exist`);
        await (await open(path, 'a', 0o644)).close();
        st = await stat(path);
      }
      if (!st.isFile()) throw fail('a file');
      return path;
    case 'File':
      if (!st?.isFile()) throw fail('a file');
      return path;
    case 'Socket':
      if (!st?.isSocket()) throw fail('a socket file');
      return path;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) throw fail('a character device');
      return path;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) throw fail('a block device');
      return path;
    default:
      throw new NodeAgentError('Volume', `hostPath type ${JSON.stringify(type)} is not one of "", DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice, BlockDevice`);
  }
}
