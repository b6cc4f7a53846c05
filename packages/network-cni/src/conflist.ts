import { readFileSync } from 'node:fs';
import { CniError } from '@bosun/cni';

/**
 * Config versions whose results this adapter reads: 0.3.0 onwards share the `interfaces`/
 * `ips`/`routes`/`dns` result shape that CNI 1.0 kept. The 0.1/0.2 shape (`ip4`/`ip6`) is
 * not read.
 */
export const CONFIG_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;

/** One plugin of a configuration list, as written in `plugins[]`. */
export interface CniPluginConf {
  /** The binary to run (`bridge`, `portmap`, …), looked up in the bin dirs. */
  type: string;
  /** Capabilities the plugin declares (`portMappings: true`, …): only those get `runtimeConfig`. */
  capabilities: Record<string, boolean>;
  /** The plugin's own JSON object, every field kept (the runtime adds `name`, `cniVersion`, `runtimeConfig`, `prevResult`). */
  raw: Record<string, unknown>;
}

/** A parsed CNI network configuration list (a `.conflist`, or a single `.conf` wrapped as one). */
export interface CniNetworkConfigList {
  /** The config version every plugin is called with (the highest supported one of `cniVersions` when given). */
  cniVersion: string;
  /** The network name: part of every cache key and host-local's data directory. */
  name: string;
  /** `disableCheck: true`: CHECK succeeds without running any plugin. */
  disableCheck: boolean;
  /** `disableGC: true`: GC releases nothing. */
  disableGC: boolean;
  plugins: CniPluginConf[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const TYPE = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

const invalid = (message: string): CniError => new CniError('InvalidNetworkConfig', `conflist: ${message}`);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

function pickVersion(obj: Record<string, unknown>): string {
  if (obj.cniVersions !== undefined) {
    if (!Array.isArray(obj.cniVersions) || !obj.cniVersions.every((v) => typeof v === 'string')) throw invalid('cniVersions: must be a list of versions');
    const usable = (obj.cniVersions as string[]).filter((v) => (CONFIG_VERSIONS as readonly string[]).includes(v)).sort(compareVersions);
    if (usable.length) return usable[usable.length - 1]!;
    if (obj.cniVersion === undefined)
      throw new CniError('IncompatibleVersion', `conflist: none of cniVersions ${JSON.stringify(obj.cniVersions)} is supported (want one of ${CONFIG_VERSIONS.join(', ')})`);
  }
  if (typeof obj.cniVersion !== 'string' || obj.cniVersion === '') throw invalid('cniVersion: required');
  if (!(CONFIG_VERSIONS as readonly string[]).includes(obj.cniVersion))
    throw new CniError('IncompatibleVersion', `conflist: cniVersion ${JSON.stringify(obj.cniVersion)} is not supported (want one of ${CONFIG_VERSIONS.join(', ')})`);
  return obj.cniVersion;
}

function parsePlugin(p: unknown, i: number): CniPluginConf {
  const at = `plugins[${i}]`;
  if (!isObject(p)) throw invalid(`${at}: must be an object`);
  if (typeof p.type !== 'string' || !TYPE.test(p.type)) throw invalid(`${at}.type: ${JSON.stringify(p.type)} is not a plugin binary name`);
  const caps = p.capabilities ?? {};
  if (!isObject(caps) || !Object.values(caps).every((v) => typeof v === 'boolean')) throw invalid(`${at}.capabilities: must map capability names to true/false`);
  return { type: p.type, capabilities: caps as Record<string, boolean>, raw: p };
}

/**
 * Parses and validates a configuration list: a `.conflist` object (`name`, `cniVersion`
 * or `cniVersions`, `plugins`), or a single network configuration (a `.conf`, with `type`
 * at the top), which is wrapped as a one-plugin list as libcni does. Accepts the JSON text
 * or the parsed value. Throws `InvalidNetworkConfig` (or `IncompatibleVersion` for a
 * config version this adapter cannot read) with the offending field in the message.
 */
export function parseConfList(input: string | unknown): CniNetworkConfigList {
  let obj: unknown = input;
  if (typeof input === 'string') {
    try {
      obj = JSON.parse(input);
    } catch (err) {
      throw new CniError('DecodeFailure', `conflist: not JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  if (!isObject(obj)) throw invalid('must be a JSON object');
  if (typeof obj.name !== 'string' || !NAME.test(obj.name)) throw invalid(`name: ${JSON.stringify(obj.name)} is not a network name (letters, digits, _ . -)`);
  const cniVersion = pickVersion(obj);
  const flag = (k: string): boolean => {
    if (obj[k] === undefined) return false;
    if (typeof obj[k] !== 'boolean') throw invalid(`${k}: must be true or false`);
    return obj[k] as boolean;
  };
  let plugins: CniPluginConf[];
  if (obj.plugins === undefined && typeof obj.type === 'string') {
    const { cniVersion: _v, cniVersions: _vs, ...single } = obj;
    plugins = [parsePlugin(single, 0)];
  } else {
    if (!Array.isArray(obj.plugins) || obj.plugins.length === 0) throw invalid('plugins: at least one plugin is required');
    plugins = obj.plugins.map(parsePlugin);
  }
  return { cniVersion, name: obj.name, disableCheck: flag('disableCheck'), disableGC: flag('disableGC'), plugins };
}

/** Reads and parses a `.conflist` or `.conf` file (see {@link parseConfList}). Throws `IoFailure` when it cannot be read. */
export function loadConfList(path: string): CniNetworkConfigList {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CniError('IoFailure', `conflist: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseConfList(text);
}

/** The bridges a list's `bridge` plugins attach to (`bridge` field, default `cni0` as in the bridge plugin). */
export function bridgeNames(list: CniNetworkConfigList): string[] {
  return list.plugins.filter((p) => p.type === 'bridge').map((p) => (typeof p.raw.bridge === 'string' && p.raw.bridge ? p.raw.bridge : 'cni0'));
}
