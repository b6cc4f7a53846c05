// The offline images every real-runtime test uses, built without a registry: a busybox
// root filesystem from Debian's busybox-static (the process runtime's buildBusyboxImage),
// packed as a `docker save` archive (manifest.json + config + layer.tar) that both
// `ctr images import` and `docker load` accept. The same archive also carries the pod
// sandbox image `bosun.local/pause:1`: the busybox layer with `sleep infinity` as its
// entrypoint. Used by test/support/containerd.ts and scripts/build-images.sh; run it
// directly for the CLI (scripts/build-images.sh wraps it): `--out <dir> [--containerd <sock>] [--docker <host>]`.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildBusyboxImage, LocalImageStore } from '@bosun/runtime-process';

/** The busybox reference the tests (and the seeds) use. */
export const BUSYBOX_IMAGE = 'docker.io/library/busybox:latest';
/** The pod sandbox ("pause") image: busybox running `sleep infinity`. */
export const PAUSE_IMAGE = 'bosun.local/pause:1';
/** containerd's namespace for CRI images. */
export const CRI_NAMESPACE = 'k8s.io';

/** Thrown when an image cannot be built, packed or imported. */
export class ImageBuildError extends Error {
  override readonly name = 'ImageBuildError';
  constructor(
    readonly code: 'MissingTool' | 'BuildFailed' | 'ImportFailed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Options of {@link buildOfflineImages}. */
export interface OfflineImagesOptions {
  /** Directory the archive is written to (created if missing). */
  outDir: string;
  /** A statically linked busybox. Default `/bin/busybox` (Debian's busybox-static). */
  busyboxPath?: string;
}

/** What {@link buildOfflineImages} wrote. */
export interface OfflineImages {
  /** The `docker save` archive holding {@link BUSYBOX_IMAGE} and {@link PAUSE_IMAGE}. */
  archive: string;
  /** The references the archive carries, in manifest order. */
  refs: string[];
  /** The layer's diff id (`sha256:…`), shared by both images. */
  layerDiffId: string;
}

/** Runs a command; resolves with stdout, rejects with its stderr on a non-zero exit. */
export function runCommand(cmd: string, args: readonly string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`, { cause: err }));
      else resolvePromise(stdout);
    });
  });
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolvePromise(h.digest('hex')));
  });
}

/** An image config (the OCI/Docker image config JSON) for one layer. */
function imageConfig(diffId: string, entrypoint: string[], cmd: string[]): string {
  return JSON.stringify({
    architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
    os: 'linux',
    // A fixed date: rebuilding from the same busybox gives byte-identical configs (same image ids).
    created: '2026-01-01T00:00:00Z',
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Entrypoint: entrypoint.length ? entrypoint : null,
      Cmd: cmd,
      WorkingDir: '',
    },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created: '2026-01-01T00:00:00Z', created_by: 'bosun test/support/images.ts (busybox-static)' }],
  });
}

/**
 * Builds the busybox rootfs into a temp {@link LocalImageStore}, packs it as one layer
 * tar (numeric owner root, fixed mtimes), and writes `<outDir>/bosun-images.tar`, a
 * `docker save` archive with {@link BUSYBOX_IMAGE} (runs `sh`) and {@link PAUSE_IMAGE}
 * (entrypoint `sleep infinity`). Needs `tar` and a static busybox.
 */
export async function buildOfflineImages(opts: OfflineImagesOptions): Promise<OfflineImages> {
  const busybox = opts.busyboxPath ?? '/bin/busybox';
  if (!existsSync(busybox)) throw new ImageBuildError('MissingTool', `cannot build the offline images: ${busybox} not found (apt-get install busybox-static)`);
  mkdirSync(opts.outDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'bosun-images-'));
  try {
    const store = new LocalImageStore({ root: join(work, 'store'), sources: [] });
    const img = await buildBusyboxImage(store, { busyboxPath: busybox });
    const stage = join(work, 'archive');
    mkdirSync(stage);
    const layerTmp = join(stage, 'layer.tar');
    await runCommand('tar', ['--numeric-owner', '--owner=0', '--group=0', '--mtime=2026-01-01', '--sort=name', '-C', img.rootfs, '-cf', layerTmp, '.'], 300_000);
    const layerHex = await sha256File(layerTmp);
    const layerDiffId = `sha256:${layerHex}`;
    mkdirSync(join(stage, layerHex));
    renameSync(layerTmp, join(stage, layerHex, 'layer.tar'));
    const layerPath = `${layerHex}/layer.tar`;
    const images = [
      { ref: BUSYBOX_IMAGE, config: imageConfig(layerDiffId, [], ['sh']) },
      { ref: PAUSE_IMAGE, config: imageConfig(layerDiffId, ['/bin/sleep', 'infinity'], []) },
    ];
    const manifest = images.map(({ ref, config }) => {
      const configHex = createHash('sha256').update(config).digest('hex');
      writeFileSync(join(stage, `${configHex}.json`), config);
      return { Config: `${configHex}.json`, RepoTags: [ref], Layers: [layerPath] };
    });
    writeFileSync(join(stage, 'manifest.json'), JSON.stringify(manifest));
    const archive = join(resolve(opts.outDir), 'bosun-images.tar');
    await runCommand('tar', ['--numeric-owner', '--owner=0', '--group=0', '--mtime=2026-01-01', '--sort=name', '-C', stage, '-cf', `${archive}.tmp`, '.'], 300_000);
    renameSync(`${archive}.tmp`, archive);
    return { archive, refs: images.map((i) => i.ref), layerDiffId };
  } catch (err) {
    if (err instanceof ImageBuildError) throw err;
    throw new ImageBuildError('BuildFailed', `cannot build the offline images: ${(err as Error).message}`, { cause: err });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `unix:///run/x.sock` or `/run/x.sock` → `/run/x.sock` (what `ctr -a` takes). */
export function socketPath(endpoint: string): string {
  return endpoint.replace(/^unix:\/\//, '').replace(/^unix:/, '');
}

/**
 * Imports an archive from {@link buildOfflineImages} into containerd's `k8s.io`
 * namespace with `ctr images import` (unpacked into the default snapshotter, so CRI can
 * run it at once). Idempotent: importing again re-tags the same content.
 */
export async function importIntoContainerd(address: string, archive: string): Promise<void> {
  try {
    await runCommand('ctr', ['-a', socketPath(address), '-n', CRI_NAMESPACE, 'images', 'import', archive], 300_000);
  } catch (err) {
    throw new ImageBuildError('ImportFailed', `cannot import ${archive} into containerd at ${address}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Loads an archive from {@link buildOfflineImages} into a Docker daemon (`docker -H <host>
 * load -i`); `host` is `unix:///path/docker.sock` or `tcp://…`.
 */
export async function importIntoDocker(host: string, archive: string): Promise<void> {
  try {
    await runCommand('docker', ['-H', host.startsWith('/') ? `unix://${host}` : host, 'load', '-i', archive], 300_000);
  } catch (err) {
    throw new ImageBuildError('ImportFailed', `cannot load ${archive} into Docker at ${host}: ${(err as Error).message}`, { cause: err });
  }
}

const USAGE = 'usage: build-images --out <dir> [--containerd <socket>] [--docker <host>] [--busybox <path>]';

interface CliArgs {
  outDir: string;
  containerd?: string;
  docker?: string;
  busybox?: string;
}

function parseArgs(argv: readonly string[]): CliArgs {
  const out: Partial<CliArgs> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if (!value || !['--out', '--containerd', '--docker', '--busybox'].includes(flag ?? '')) throw new Error(`unknown or incomplete option ${JSON.stringify(flag)} (${USAGE})`);
    if (flag === '--out') out.outDir = value;
    if (flag === '--containerd') out.containerd = value;
    if (flag === '--docker') out.docker = value;
    if (flag === '--busybox') out.busybox = value;
    i++;
  }
  if (!out.outDir) throw new Error(`--out <dir> is required (${USAGE})`);
  return { ...out, outDir: out.outDir };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const built = await buildOfflineImages({ outDir: args.outDir, busyboxPath: args.busybox });
  console.log(`wrote ${built.archive}: ${built.refs.join(', ')}`);
  if (args.containerd) {
    await importIntoContainerd(args.containerd, built.archive);
    console.log(`imported into containerd at ${args.containerd} (namespace ${CRI_NAMESPACE})`);
  }
  if (args.docker) {
    await importIntoDocker(args.docker, built.archive);
    console.log(`loaded into Docker at ${args.docker}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(`build-images: ${(err as Error).message}`);
    process.exit(1);
  });
}
