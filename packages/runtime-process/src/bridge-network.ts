import { createHash } from 'node:crypto';
import type { CniResult } from '@bosun/cni';
import { run, runOk } from './shell';

/** What {@link BridgeNetwork.attach} set up for one sandbox. */
export interface BridgeAttachment {
  /** Pod IP (no prefix). */
  ip: string;
  /** Prefix length of the pod network. */
  prefix: number;
  gateway: string;
  /** Host end of the veth pair (on the bridge). */
  hostVeth: string;
}

/** Paths of the host tools the bridge network runs. */
export interface BridgeTools {
  ip: string;
  nsenter: string;
}

/** Default bridge name: `bosun0`, or `bosun-<node>` (15 characters at most) for a named node. */
export function defaultBridgeName(nodeName?: string): string {
  if (!nodeName) return 'bosun0';
  const clean = nodeName.replace(/[^a-zA-Z0-9-]/g, '');
  const name = `bosun-${clean}`;
  return name.length <= 15 && clean ? name : `bosun-${createHash('sha256').update(nodeName).digest('hex').slice(0, 9)}`;
}

/** The host veth name of a sandbox: `bv` + 11 hex characters of its id (15 characters at most). */
export function hostVethName(sandboxId: string): string {
  return `bv${sandboxId.slice(0, 11)}`;
}

/** The first IPv4 address of a CNI result with its prefix and gateway. */
export function firstIpv4(result: CniResult): { ip: string; prefix: number; gateway: string } | undefined {
  for (const c of result.ips) {
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(c.address);
    if (m) return { ip: m[1]!, prefix: Number(m[2]), gateway: c.gateway };
  }
  return undefined;
}

/**
 * Realises CNI results the way the `bridge` CNI plugin does: one Linux bridge per runtime
 * carrying each network's gateway address, and per sandbox a veth pair whose inner end
 * becomes `eth0` in the sandbox's network namespace with the pod IP, `lo` up and a default
 * route via the gateway. Pod IPs are then reachable from the host (the bridge address is
 * on the same subnet) and from the node's other pods (same bridge). Runs iproute2.
 */
export class BridgeNetwork {
  /** True once this instance created the bridge (so {@link removeBridge} deletes it). */
  createdBridge = false;

  constructor(
    readonly bridge: string,
    private readonly tools: BridgeTools,
  ) {}

  private async ensureBridge(gateway: string, prefix: number): Promise<void> {
    const exists = (await run(this.tools.ip, ['link', 'show', 'dev', this.bridge])).code === 0;
    if (!exists) {
      const r = await run(this.tools.ip, ['link', 'add', 'name', this.bridge, 'type', 'bridge']);
      if (r.code !== 0 && !/File exists/.test(r.stderr)) throw new Error(`cannot create bridge ${this.bridge}: ${r.stderr.trim()}`);
      if (r.code === 0) this.createdBridge = true;
    }
    if (gateway) {
      const r = await run(this.tools.ip, ['addr', 'replace', `${gateway}/${prefix}`, 'dev', this.bridge]);
      if (r.code !== 0) throw new Error(`cannot add ${gateway}/${prefix} to bridge ${this.bridge}: ${r.stderr.trim()}`);
    }
    await runOk(this.tools.ip, ['link', 'set', 'dev', this.bridge, 'up']);
  }

  private inNetns(holderPid: number, args: string[]): Promise<string> {
    return runOk(this.tools.nsenter, ['--target', String(holderPid), '--net', '--', this.tools.ip, ...args]);
  }

  /**
   * Attaches the sandbox whose namespace holder is `holderPid` with the address in `result`.
   * On failure everything created here is removed again and the error is rethrown.
   */
  async attach(sandboxId: string, holderPid: number, result: CniResult): Promise<BridgeAttachment> {
    const addr = firstIpv4(result);
    if (!addr) throw new Error(`network plugin returned no IPv4 address (ips: ${JSON.stringify(result.ips)})`);
    const hostVeth = hostVethName(sandboxId);
    const peer = `bp${sandboxId.slice(0, 11)}`;
    await this.ensureBridge(addr.gateway, addr.prefix);
    await run(this.tools.ip, ['link', 'del', hostVeth]); // a leftover of a crashed attempt
    try {
      await runOk(this.tools.ip, ['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', peer]);
      await runOk(this.tools.ip, ['link', 'set', peer, 'netns', String(holderPid)]);
      await runOk(this.tools.ip, ['link', 'set', hostVeth, 'master', this.bridge, 'up']);
      await this.inNetns(holderPid, ['link', 'set', 'lo', 'up']);
      await this.inNetns(holderPid, ['link', 'set', peer, 'name', 'eth0']);
      await this.inNetns(holderPid, ['addr', 'add', `${addr.ip}/${addr.prefix}`, 'dev', 'eth0']);
      await this.inNetns(holderPid, ['link', 'set', 'eth0', 'up']);
      let hasDefault = false;
      for (const r of result.routes) {
        const gw = r.gw || addr.gateway;
        if (r.dst === '0.0.0.0/0') hasDefault = true;
        if (r.dst.includes(':')) continue;
        await this.inNetns(holderPid, ['route', 'replace', r.dst, ...(gw ? ['via', gw] : []), 'dev', 'eth0']);
      }
      if (!hasDefault && addr.gateway) await this.inNetns(holderPid, ['route', 'replace', 'default', 'via', addr.gateway, 'dev', 'eth0']);
      return { ...addr, hostVeth };
    } catch (err) {
      await this.detach(hostVeth);
      throw err;
    }
  }

  /** Deletes a sandbox's veth pair (both ends). Idempotent. */
  async detach(hostVeth: string): Promise<void> {
    await run(this.tools.ip, ['link', 'del', hostVeth]);
  }

  /** Deletes the bridge if this instance (or the persisted state it adopted) created it. Idempotent. */
  async removeBridge(): Promise<void> {
    if (!this.createdBridge) return;
    await run(this.tools.ip, ['link', 'del', this.bridge]);
    this.createdBridge = false;
  }
}
