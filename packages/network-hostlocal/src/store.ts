import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One reserved address: whose it is. */
export interface Allocation {
  ip: string;
  containerId: string;
  ifname: string;
}

const LAST_RESERVED = 'last_reserved_ip.0';
// host-local's file format: container id, CRLF, ifname.
const SEP = '\r\n';
const TMP = '.tmp-';

const key = (containerId: string, ifname: string) => `${containerId}\u0000${ifname}`;

/**
 * Address reservations of one network on disk, in the layout of the real host-local IPAM
 * plugin: one file per address, named by the address, holding `containerId\r\nifname`,
 * plus `last_reserved_ip.0`. A reservation is written to a temporary file and then
 * hard-linked into place: link is atomic and fails when the name exists, so a file is
 * never seen half-written and two writers (even two processes) can never both reserve
 * one address. Only this class writes the directory; it keeps an index in memory,
 * loaded from disk on open.
 */
export class AllocationStore {
  private readonly byIp = new Map<string, Allocation>();
  private readonly byOwner = new Map<string, Allocation>();

  private constructor(readonly dir: string) {}

  /** Opens (creating) `dir` and loads every reservation; removes temporaries a crash left behind. */
  static open(dir: string): AllocationStore {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const store = new AllocationStore(dir);
    for (const name of readdirSync(dir)) {
      if (name === LAST_RESERVED) continue;
      const path = join(dir, name);
      if (name.startsWith(TMP)) {
        void unlink(path).catch(() => undefined);
        continue;
      }
      const [containerId = '', ifname = ''] = readFileSync(path, 'utf8').split(SEP);
      store.remember({ ip: name, containerId: containerId.trim(), ifname: ifname.trim() });
    }
    return store;
  }

  private remember(a: Allocation): void {
    this.byIp.set(a.ip, a);
    this.byOwner.set(key(a.containerId, a.ifname), a);
  }

  /** Every reservation. */
  list(): Allocation[] {
    return [...this.byIp.values()];
  }

  /** Number of reserved addresses. */
  get size(): number {
    return this.byIp.size;
  }

  /** Whether `ip` is reserved. */
  has(ip: string): boolean {
    return this.byIp.has(ip);
  }

  /** The reservation of a container id + ifname, if any. */
  byAttachment(containerId: string, ifname: string): Allocation | undefined {
    return this.byOwner.get(key(containerId, ifname));
  }

  /**
   * Reserves `ip` for the pair. Resolves false (and learns the owner) when the address's
   * file already exists — another writer got there first.
   */
  async reserve(ip: string, containerId: string, ifname: string): Promise<boolean> {
    const tmp = join(this.dir, `${TMP}${ip}-${randomBytes(6).toString('hex')}`);
    await writeFile(tmp, `${containerId}${SEP}${ifname}`, { mode: 0o600, flag: 'wx' });
    try {
      await link(tmp, join(this.dir, ip));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const [owner = '', ownerIf = ''] = (await readFile(join(this.dir, ip), 'utf8')).split(SEP);
      this.remember({ ip, containerId: owner, ifname: ownerIf });
      return false;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
    this.remember({ ip, containerId, ifname });
    return true;
  }

  /** Releases `ip`. Idempotent. */
  async release(ip: string): Promise<void> {
    const a = this.byIp.get(ip);
    await unlink(join(this.dir, ip)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    this.byIp.delete(ip);
    if (a) this.byOwner.delete(key(a.containerId, a.ifname));
  }

  /** The address reserved last, so allocation can continue after it (as host-local does). */
  lastReserved(): string | undefined {
    try {
      return readFileSync(join(this.dir, LAST_RESERVED), 'utf8').trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** Records the address reserved last (write to a temporary, then rename over). */
  async setLastReserved(ip: string): Promise<void> {
    const tmp = join(this.dir, `${TMP}last-${randomBytes(6).toString('hex')}`);
    await writeFile(tmp, ip, { mode: 0o600 });
    await rename(tmp, join(this.dir, LAST_RESERVED));
  }
}
