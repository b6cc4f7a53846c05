import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What the adapter remembers of one attachment, in libcni's cache file shape
 * (`kind: cniCacheV1`), plus the netns path so GC and DEL can reach the sandbox.
 */
export interface CachedAttachment {
  kind: 'cniCacheV1';
  containerId: string;
  ifName: string;
  networkName: string;
  netns: string;
  /** CNI_ARGS pairs as given at ADD. */
  cniArgs: Array<[string, string]>;
  /** The `runtimeConfig` capability args given at ADD, by capability name. */
  capabilityArgs: Record<string, unknown>;
  /** The final result of the ADD chain, as the last plugin printed it. */
  result: unknown;
}

/**
 * Results of successful ADDs, one file per `(network, container id, ifname)` under
 * `<dir>/results/` as libcni names them (`<network>-<containerId>-<ifname>`), written
 * atomically (temp file + rename). DEL and CHECK read the result back as `prevResult`.
 */
export class ResultCache {
  private readonly dir: string;

  constructor(cacheDir: string) {
    this.dir = join(cacheDir, 'results');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  private file(network: string, containerId: string, ifname: string): string {
    return join(this.dir, `${network}-${containerId}-${ifname}`);
  }

  /** The cached attachment, or undefined when there is none (or the file is unreadable JSON). */
  get(network: string, containerId: string, ifname: string): CachedAttachment | undefined {
    let text: string;
    try {
      text = readFileSync(this.file(network, containerId, ifname), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const v = JSON.parse(text) as CachedAttachment;
      return v && v.kind === 'cniCacheV1' ? v : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stores an attachment, replacing any previous one. */
  put(entry: CachedAttachment): void {
    const target = this.file(entry.networkName, entry.containerId, entry.ifName);
    const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(tmp, target);
  }

  /** Forgets an attachment; a missing entry is fine. */
  delete(network: string, containerId: string, ifname: string): void {
    rmSync(this.file(network, containerId, ifname), { force: true });
  }

  /** Every cached attachment of a network. */
  list(network: string): CachedAttachment[] {
    const prefix = `${network}-`;
    const out: CachedAttachment[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!name.startsWith(prefix) || name.includes('.tmp-')) continue;
      try {
        const v = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as CachedAttachment;
        if (v?.kind === 'cniCacheV1' && v.networkName === network) out.push(v);
      } catch {
        // an unreadable entry is not an attachment we can act on
      }
    }
    return out;
  }
}
