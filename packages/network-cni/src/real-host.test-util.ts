import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';

/** Where Debian's containernetworking-plugins installs the binaries. */
export const DEBIAN_CNI_BIN = '/usr/lib/cni';

/**
 * Why the real-plugin tests cannot run here, or undefined when they can: they need root
 * (network namespaces, bridges), iproute2, and the bridge, host-local, loopback and portmap
 * binaries in {@link DEBIAN_CNI_BIN}.
 */
export function realPluginsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root (network namespaces and bridges need CAP_NET_ADMIN)';
  for (const p of ['bridge', 'host-local', 'loopback', 'portmap'])
    try {
      accessSync(`${DEBIAN_CNI_BIN}/${p}`, constants.X_OK);
    } catch {
      return `${DEBIAN_CNI_BIN}/${p} is missing (apt-get install containernetworking-plugins)`;
    }
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'iproute2 (`ip`) is missing';
  }
  return undefined;
}

/**
 * In CI (`CI` set) the real-plugin tests must run, not skip (issue 6): there a missing
 * prerequisite is a failure. Returns the message to fail with, or undefined.
 */
export function mustRunButCannot(reason: string | undefined): string | undefined {
  return reason && process.env.CI ? `the real-CNI tests must run in CI but cannot: ${reason}` : undefined;
}

/** Runs `ip …` and returns its stdout. */
export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `ip netns add` with the path plugins get as CNI_NETNS. */
export function addNetns(name: string): string {
  ip('netns', 'add', name);
  return `/var/run/netns/${name}`;
}

/** `ip netns del`, ignoring a namespace already gone. */
export function delNetns(name: string): void {
  if (existsSync(`/var/run/netns/${name}`)) ip('netns', 'del', name);
}

/** Names of the links inside a namespace. */
export function linksIn(netns: string): string[] {
  return ip('-n', netns, '-o', 'link', 'show')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(':')[1]!.trim().split('@')[0]!);
}

/** True when the host has a link of that name. */
export const hostLink = (name: string): boolean => existsSync(`/sys/class/net/${name}`);

/** Deletes a host link if it exists. */
export function delHostLink(name: string): void {
  if (hostLink(name)) ip('link', 'del', 'dev', name);
}

/** The addresses host-local holds reserved in `dataDir/<network>` (one file per address). */
export function reservedIps(dataDir: string, network: string): string[] {
  const dir = `${dataDir}/${network}`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
}
