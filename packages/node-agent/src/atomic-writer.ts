import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { NodeAgentError } from './errors';

/** One file of a projected volume payload. */
export interface PayloadFile {
  data: Buffer;
  /** Permission bits (e.g. 0o644). */
  mode: number;
}

const DATA_LINK = '..data';

/**
 * Refuses payload paths the kubelet's AtomicWriter refuses: absolute, empty, with a `..`
 * element, or starting with `..` (the writer's own names).
 */
export function validatePayloadPath(path: string): void {
  if (!path) throw new NodeAgentError('Volume', 'invalid path: must not be empty');
  if (path.startsWith('/')) throw new NodeAgentError('Volume', `invalid path ${JSON.stringify(path)}: must be relative`);
  if (path.split('/').some((p) => p === '..')) throw new NodeAgentError('Volume', `invalid path ${JSON.stringify(path)}: must not contain '..'`);
  if (path.startsWith('..')) throw new NodeAgentError('Volume', `invalid path ${JSON.stringify(path)}: must not start with '..'`);
}

const fingerprint = (payload: ReadonlyMap<string, PayloadFile>) =>
  JSON.stringify([...payload].sort(([a], [b]) => a.localeCompare(b)).map(([p, f]) => [p, f.mode, f.data.toString('base64')]));

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes configMap/secret/downwardAPI/projected payloads the way the kubelet's
 * AtomicWriter does, so readers never see a half-updated volume: the files go into a
 * fresh hidden `..<timestamp>` directory, a `..data` symlink is swapped to it with one
 * rename, and each visible top-level name is a symlink through `..data`. Old data
 * directories and names no longer in the payload are removed afterwards. A payload
 * identical to the last one written to the same directory is not rewritten.
 */
export class AtomicWriter {
  private readonly written = new Map<string, string>();

  /** Writes `payload` to `dir`; returns true when files changed on disk. */
  async write(dir: string, payload: ReadonlyMap<string, PayloadFile>): Promise<boolean> {
    for (const p of payload.keys()) validatePayloadPath(p);
    const fp = fingerprint(payload);
    const dataLink = join(dir, DATA_LINK);
    if (this.written.get(dir) === fp && (await exists(dataLink))) return false;
    await mkdir(dir, { recursive: true });
    const oldTarget = await readlink(dataLink).catch(() => undefined);
    const tsName = `..${new Date().toISOString().replace(/[-:]/g, '_').replace(/\.\d+Z$/, '')}.${randomBytes(4).toString('hex')}`;
    const tsDir = join(dir, tsName);
    await mkdir(tsDir, { mode: 0o755 });
    for (const [path, file] of payload) {
      const full = join(tsDir, path);
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, file.data);
      await chmod(full, file.mode);
    }
    const tmpLink = join(dir, `${DATA_LINK}_tmp`);
    await rm(tmpLink, { force: true });
    await symlink(tsName, tmpLink);
    await rename(tmpLink, dataLink);
    const tops = new Set([...payload.keys()].map((p) => p.split('/')[0]!));
    for (const top of tops) {
      const link = join(dir, top);
      const target = await readlink(link).catch(() => undefined);
      if (target === join(DATA_LINK, top)) continue;
      await rm(link, { recursive: true, force: true });
      await symlink(join(DATA_LINK, top), link);
    }
    for (const entry of await readdir(dir)) {
      if (entry === DATA_LINK || entry === tsName) continue;
      if (entry.startsWith('..') ? entry === oldTarget || /^\.\.\d/.test(entry) : !tops.has(entry)) await rm(join(dir, entry), { recursive: true, force: true });
    }
    this.written.set(dir, fp);
    return true;
  }

  /** Forgets what was written under `prefix` (the volume was torn down). */
  forget(prefix: string): void {
    for (const k of [...this.written.keys()]) if (k.startsWith(prefix)) this.written.delete(k);
  }
}
