import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { CriError } from '@bosun/cri';
import { run, runOk } from './shell';

/** What an image says about how to run it (the OCI image config's `config` part). */
export interface ImageRunConfig {
  entrypoint: string[];
  cmd: string[];
  /** `KEY=value` entries. */
  env: string[];
  workingDir: string;
  /** `user` as written in the image config (informational; containers run as root). */
  user: string;
}

/** One image of a {@link LocalImageStore}. */
export interface LocalImage {
  /** `sha256:<hex>`. */
  id: string;
  /** Canonical references (`docker.io/library/busybox:latest`). */
  repoTags: string[];
  /** Bytes of the unpacked rootfs. */
  size: number;
  config: ImageRunConfig;
  /** Absolute path of the unpacked root filesystem. */
  rootfs: string;
}

/** Builds an image for a reference on demand (PullImage without a registry). */
export type ImageSource = (ref: string, store: LocalImageStore) => Promise<LocalImage | undefined>;

/** Options of {@link LocalImageStore}. */
export interface LocalImageStoreOptions {
  /** Directory holding `<id-hex>/rootfs` and `<id-hex>/image.json`. Created if missing. */
  root: string;
  /**
   * Tried in order by {@link LocalImageStore.pull} for references not present. Default:
   * {@link busyboxSource} (any `docker.io/library/busybox:<tag>`, built from the host's
   * static busybox). There is no registry client.
   */
  sources?: readonly ImageSource[];
}

/**
 * The canonical form of an image reference, as containerd lists it in repoTags:
 * `busybox` → `docker.io/library/busybox:latest`, `nginx:1.25` →
 * `docker.io/library/nginx:1.25`, `registry.k8s.io/pause:3.9` unchanged. Digest
 * references keep their digest and get no tag. Image ids (`sha256:…`) are returned as is.
 */
export function normalizeImageRef(ref: string): string {
  const r = ref.trim();
  if (/^sha256:[0-9a-f]{64}$/.test(r)) return r;
  if (!r || /\s/.test(r)) throw new CriError('InvalidArgument', `invalid image reference ${JSON.stringify(ref)}`);
  const [name, digest] = r.split('@') as [string, string | undefined];
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const hasDomain = first.includes('.') || first.includes(':') || first === 'localhost';
  let path = hasDomain ? name : `docker.io/${name.includes('/') ? name : `library/${name}`}`;
  const lastPart = path.slice(path.lastIndexOf('/') + 1);
  if (!digest && !lastPart.includes(':')) path += ':latest';
  return digest ? `${path}@${digest}` : path;
}

const hex = (id: string) => id.replace(/^sha256:/, '');

/** Bytes and inodes under a path (hard links counted once); 0 for what cannot be read. */
export function diskUsage(path: string): { bytes: number; inodes: number } {
  let total = 0;
  const seen = new Set<number>();
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p)) walk(join(p, e));
    } else if (!seen.has(st.ino)) {
      seen.add(st.ino);
      total += st.size;
    }
  };
  try {
    walk(path);
  } catch {
    // racing a removal: the size is informational
  }
  return { bytes: total, inodes: seen.size };
}

/**
 * A local image store in a directory: each image is an unpacked root filesystem plus its
 * run config (entrypoint, cmd, env, workingDir), under one or more tags. Images come from
 * {@link importImageArchive} (OCI layout or `docker save` tars), {@link buildBusyboxImage},
 * or a configured {@link ImageSource}. Nothing is ever downloaded.
 */
export class LocalImageStore {
  readonly root: string;
  private readonly images = new Map<string, LocalImage>();
  private readonly sources: readonly ImageSource[];

  constructor(opts: LocalImageStoreOptions) {
    this.root = opts.root;
    this.sources = opts.sources ?? [busyboxSource()];
    mkdirSync(this.root, { recursive: true });
    this.load();
  }

  private load(): void {
    for (const d of readdirSync(this.root)) {
      const file = join(this.root, d, 'image.json');
      if (!existsSync(file)) continue;
      try {
        const img = JSON.parse(readFileSync(file, 'utf8')) as LocalImage;
        this.images.set(img.id, { ...img, rootfs: join(this.root, d, 'rootfs') });
      } catch {
        // a half-written image from a crash: ignored (and removed by the next prune)
      }
    }
  }

  private save(img: LocalImage): void {
    const file = join(this.root, hex(img.id), 'image.json');
    writeFileSync(`${file}.tmp`, JSON.stringify(img, null, 2));
    renameSync(`${file}.tmp`, file);
  }

  /** Every image. */
  list(): LocalImage[] {
    return [...this.images.values()];
  }

  /** The image a reference (tag, digest reference, id or unique id prefix) names, if present. */
  get(ref: string): LocalImage | undefined {
    const r = ref.trim();
    if (!r) return undefined;
    const byId = this.images.get(r) ?? this.images.get(`sha256:${r}`);
    if (byId) return byId;
    if (/^(sha256:)?[0-9a-f]{12,64}$/.test(r)) {
      const matches = this.list().filter((i) => hex(i.id).startsWith(hex(r)));
      if (matches.length === 1) return matches[0];
    }
    let canonical: string;
    try {
      canonical = normalizeImageRef(r);
    } catch {
      return undefined;
    }
    return this.list().find((i) => i.repoTags.includes(canonical));
  }

  /**
   * Adds an image whose rootfs is already unpacked at `stagedRootfs` (moved into the store),
   * tagged `refs`. An image with the same id gains the tags and the staged copy is dropped.
   * A tag moves from any other image to this one.
   */
  add(id: string, stagedRootfs: string, config: ImageRunConfig, refs: readonly string[]): LocalImage {
    const tags = refs.map(normalizeImageRef);
    for (const other of this.images.values()) {
      if (other.id === id) continue;
      const before = other.repoTags.length;
      other.repoTags = other.repoTags.filter((t) => !tags.includes(t));
      if (other.repoTags.length !== before) this.save(other);
    }
    const existing = this.images.get(id);
    if (existing) {
      rmSync(stagedRootfs, { recursive: true, force: true });
      existing.repoTags = [...new Set([...existing.repoTags, ...tags])];
      this.save(existing);
      return existing;
    }
    const dir = join(this.root, hex(id));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const rootfs = join(dir, 'rootfs');
    renameSync(stagedRootfs, rootfs);
    const img: LocalImage = { id, repoTags: [...new Set(tags)], size: diskUsage(rootfs).bytes, config, rootfs };
    this.images.set(id, img);
    this.save(img);
    return img;
  }

  /** A fresh staging directory inside the store (same filesystem, so adding is a rename). */
  stagingDir(): string {
    const d = join(this.root, `.staging-${randomBytes(6).toString('hex')}`);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /**
   * Present image for `ref`, else the first source that can build it. Throws NotFound with
   * a message that names the reference when nothing can provide it.
   */
  async pull(ref: string): Promise<LocalImage> {
    const have = this.get(ref);
    if (have) return have;
    const canonical = normalizeImageRef(ref);
    for (const source of this.sources) {
      const img = await source(canonical, this);
      if (img) return img;
    }
    throw new CriError(
      'NotFound',
      `failed to pull image "${ref}": not in the local image store and no source provides it (the process runtime has no registry client; import it with importImageArchive)`,
    );
  }

  /**
   * Removes a reference. By tag: the tag goes; by id: every tag goes. An image left without
   * tags is deleted unless `inUse(id)` says a container still runs from it (then only the
   * tags go; {@link prune} deletes it later). Absent references succeed.
   */
  remove(ref: string, inUse: (id: string) => boolean = () => false): void {
    const img = this.get(ref);
    if (!img) return;
    const r = ref.trim();
    const byId = img.id === r || hex(img.id).startsWith(hex(r));
    let canonical = '';
    try {
      canonical = normalizeImageRef(r);
    } catch {
      // an id prefix
    }
    img.repoTags = byId && !img.repoTags.includes(canonical) ? [] : img.repoTags.filter((t) => t !== canonical);
    this.save(img);
    this.prune(inUse);
  }

  /** Deletes untagged images no container uses, and leftover staging directories. */
  prune(inUse: (id: string) => boolean = () => false): void {
    for (const img of this.list()) {
      if (img.repoTags.length || inUse(img.id)) continue;
      this.images.delete(img.id);
      rmSync(join(this.root, hex(img.id)), { recursive: true, force: true });
    }
    for (const d of readdirSync(this.root)) if (d.startsWith('.staging-')) rmSync(join(this.root, d), { recursive: true, force: true });
  }

  /** Tagged images only (untagged ones kept for running containers are not listed). */
  listTagged(): LocalImage[] {
    return this.list().filter((i) => i.repoTags.length > 0);
  }
}

// ---- archives ----

interface Descriptor {
  mediaType?: string;
  digest: string;
  annotations?: Record<string, string>;
  platform?: { architecture?: string; os?: string };
}

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new CriError('InvalidArgument', `invalid image archive: cannot read ${path.split('/').slice(-2).join('/')}: ${(err as Error).message}`, { cause: err });
  }
}

function blobPath(dir: string, digest: string): string {
  const [alg, h] = digest.split(':');
  if (!alg || !h || !/^[a-z0-9]+$/.test(alg) || !/^[0-9a-f]+$/.test(h)) throw new CriError('InvalidArgument', `invalid image archive: bad digest ${JSON.stringify(digest)}`);
  return join(dir, 'blobs', alg, h);
}

function runConfigOf(configJson: { config?: Record<string, unknown> | null }): ImageRunConfig {
  const c = (configJson.config ?? {}) as { Entrypoint?: string[] | null; Cmd?: string[] | null; Env?: string[] | null; WorkingDir?: string; User?: string };
  return { entrypoint: c.Entrypoint ?? [], cmd: c.Cmd ?? [], env: c.Env ?? [], workingDir: c.WorkingDir ?? '', user: c.User ?? '' };
}

/** Resolves an OCI layout to its manifest (descending one image index level, preferring linux/amd64 or the host arch). */
function ociManifest(dir: string): { manifest: { config: Descriptor; layers: Descriptor[] }; refName?: string } {
  const index = readJson<{ manifests?: Descriptor[] }>(join(dir, 'index.json'));
  let desc = index.manifests?.[0];
  if (!desc) throw new CriError('InvalidArgument', 'invalid image archive: index.json lists no manifest');
  const refName = desc.annotations?.['io.containerd.image.name'] ?? desc.annotations?.['org.opencontainers.image.ref.name'];
  let doc = readJson<{ manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] }>(blobPath(dir, desc.digest));
  if (doc.manifests) {
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    desc = doc.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === arch) ?? doc.manifests[0];
    if (!desc) throw new CriError('InvalidArgument', 'invalid image archive: empty image index');
    doc = readJson(blobPath(dir, desc.digest));
  }
  if (!doc.config || !doc.layers) throw new CriError('InvalidArgument', 'invalid image archive: manifest without config or layers');
  return { manifest: { config: doc.config, layers: doc.layers }, refName };
}

/**
 * Applies one layer tar (plain or gzip) onto `rootfs`. Whiteouts are handled before the
 * layer's files land: `dir/.wh.name` deletes `dir/name` from the lower layers,
 * `dir/.wh..wh..opq` empties `dir`; the whiteout entries themselves are then removed.
 */
export async function applyLayer(rootfs: string, layerTar: string): Promise<void> {
  const listing = await runOk('tar', ['-tf', layerTar]);
  const entries = listing.split('\n').filter(Boolean);
  const inside = (rel: string) => {
    const p = normalize(join(rootfs, rel));
    if (p !== rootfs && !p.startsWith(`${rootfs}/`)) throw new CriError('InvalidArgument', `invalid image layer: entry ${JSON.stringify(rel)} escapes the root`);
    return p;
  };
  const whiteouts: string[] = [];
  for (const e of entries) {
    const rel = e.replace(/^\.?\//, '');
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    if (!base.startsWith('.wh.')) continue;
    whiteouts.push(rel);
    const parent = inside(dirname(rel));
    if (base === '.wh..wh..opq') {
      if (existsSync(parent)) for (const child of readdirSync(parent)) rmSync(join(parent, child), { recursive: true, force: true });
    } else {
      rmSync(inside(join(dirname(rel), base.slice(4))), { recursive: true, force: true });
    }
  }
  await runOk('tar', ['-xf', layerTar, '-C', rootfs, '--no-same-owner', '--delay-directory-restore'], { timeoutMs: 300_000 });
  for (const w of whiteouts) rmSync(inside(w), { force: true });
}

/**
 * Imports an image archive into the store: an OCI image layout tar (`index.json` +
 * `blobs/`) or a `docker save` tar (`manifest.json`). Layers are applied in order with
 * their whiteouts; the image is tagged `ref` (else the names the archive carries).
 * The image id is the config digest, as containerd reports it.
 */
export async function importImageArchive(store: LocalImageStore, archivePath: string, ref?: string): Promise<LocalImage> {
  if (!existsSync(archivePath)) throw new CriError('NotFound', `image archive ${archivePath} not found`);
  const stage = store.stagingDir();
  const unpacked = join(stage, 'archive');
  const rootfs = join(stage, 'rootfs');
  mkdirSync(unpacked);
  mkdirSync(rootfs);
  try {
    const r = await run('tar', ['-xf', archivePath, '-C', unpacked], { timeoutMs: 300_000 });
    if (r.code !== 0) throw new CriError('InvalidArgument', `invalid image archive ${archivePath}: tar failed: ${r.stderr.trim()}`);
    let configDigest: string;
    let config: ImageRunConfig;
    let layers: string[];
    let names: string[] = [];
    if (existsSync(join(unpacked, 'index.json'))) {
      const { manifest, refName } = ociManifest(unpacked);
      configDigest = manifest.config.digest;
      config = runConfigOf(readJson(blobPath(unpacked, configDigest)));
      layers = manifest.layers.map((l) => blobPath(unpacked, l.digest));
      if (refName && !/^[\w.-]+$/.test(refName)) names = [refName];
    } else if (existsSync(join(unpacked, 'manifest.json'))) {
      const m = readJson<Array<{ Config: string; RepoTags?: string[] | null; Layers: string[] }>>(join(unpacked, 'manifest.json'))[0];
      if (!m?.Config || !Array.isArray(m.Layers)) throw new CriError('InvalidArgument', 'invalid image archive: manifest.json has no Config/Layers');
      const configPath = join(unpacked, normalize(m.Config));
      config = runConfigOf(readJson(configPath));
      configDigest = `sha256:${createHash('sha256').update(readFileSync(configPath)).digest('hex')}`;
      layers = m.Layers.map((l) => join(unpacked, normalize(l)));
      names = m.RepoTags ?? [];
    } else {
      throw new CriError('InvalidArgument', `invalid image archive ${archivePath}: neither an OCI layout (index.json) nor a docker save tar (manifest.json)`);
    }
    for (const layer of layers) {
      if (!existsSync(layer) || !layer.startsWith(unpacked)) throw new CriError('InvalidArgument', `invalid image archive: layer ${layer.slice(unpacked.length)} missing`);
      await applyLayer(rootfs, layer);
    }
    const refs = ref ? [ref] : names;
    if (!refs.length) throw new CriError('InvalidArgument', `image archive ${archivePath} names no image: pass a reference`);
    return store.add(configDigest, rootfs, config, refs);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

// ---- busybox ----

/** Options of {@link buildBusyboxImage}. */
export interface BusyboxImageOptions {
  /** Tags. Default `docker.io/library/busybox:latest`. */
  refs?: readonly string[];
  /** A statically linked busybox. Default `/bin/busybox` (Debian's busybox-static). */
  busyboxPath?: string;
}

const BUSYBOX_ETC: Record<string, string> = {
  'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  'etc/group': 'root:x:0:\nnogroup:x:65534:\n',
  'etc/hosts': '127.0.0.1\tlocalhost\n::1\tlocalhost\n',
};

/**
 * Builds a busybox image from a static busybox binary: `/bin/busybox` plus one hard link
 * per applet at the path busybox lists for it (`busybox --list-full`), `/etc/passwd`,
 * `/etc/group`, `/etc/hosts`, and empty `/proc`, `/dev`, `/sys`, `/tmp`, `/root`. Runs
 * `sh` by default, like the Docker Hub image. The id depends only on the binary, so
 * rebuilding gives the same image.
 */
export async function buildBusyboxImage(store: LocalImageStore, opts: BusyboxImageOptions = {}): Promise<LocalImage> {
  const bin = opts.busyboxPath ?? '/bin/busybox';
  if (!existsSync(bin)) throw new CriError('FailedPrecondition', `cannot build the busybox image: ${bin} not found (install busybox-static)`);
  const refs = opts.refs ?? ['docker.io/library/busybox:latest'];
  const digest = createHash('sha256').update('bosun-busybox-image/v1\0').update(readFileSync(bin)).digest('hex');
  const id = `sha256:${digest}`;
  const existing = store.get(id);
  if (existing) {
    store.add(id, store.stagingDir(), existing.config, refs);
    return store.get(id)!;
  }
  const applets = (await runOk(bin, ['--list-full'])).split('\n').map((l) => l.trim()).filter(Boolean);
  const stage = store.stagingDir();
  const rootfs = join(stage, 'rootfs');
  try {
    for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'dev', 'sys', 'root', 'tmp', 'var', 'home']) mkdirSync(join(rootfs, d), { recursive: true });
    chmodSync(join(rootfs, 'tmp'), 0o1777);
    const target = join(rootfs, 'bin/busybox');
    copyFileSync(bin, target);
    chmodSync(target, 0o755);
    for (const a of applets) {
      const p = normalize(join(rootfs, a));
      if (p === target || !p.startsWith(`${rootfs}/`) || existsSync(p)) continue;
      mkdirSync(dirname(p), { recursive: true });
      linkSync(target, p);
    }
    for (const [rel, text] of Object.entries(BUSYBOX_ETC)) writeFileSync(join(rootfs, rel), text);
    const config: ImageRunConfig = { entrypoint: [], cmd: ['sh'], env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], workingDir: '', user: '' };
    return store.add(id, rootfs, config, refs);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/**
 * An {@link ImageSource} that builds `docker.io/library/busybox:<any tag>` from a static
 * busybox on the host (every tag is the same image: the host's busybox version).
 */
export function busyboxSource(busyboxPath = '/bin/busybox'): ImageSource {
  return async (ref, store) => {
    if (!/^docker\.io\/library\/busybox(:[\w.-]+)?$/.test(ref) || !existsSync(busyboxPath) || !statSync(busyboxPath).isFile()) return undefined;
    return buildBusyboxImage(store, { refs: [ref], busyboxPath });
  };
}
