import { existsSync } from 'node:fs';
import {
  CNI_VERSION,
  CniError,
  formatCniArgs,
  isCniError,
  parseCniResultJson,
  toCniResultJson,
  validateCniResult,
  type CniAddRequest,
  type CniCapabilityArgs,
  type CniCheckRequest,
  type CniDelRequest,
  type CniGcRequest,
  type CniPlugin,
  type CniResult,
  type CniRuntimeConfig,
  type CniStatusRequest,
  type CniVersionInfo,
} from '@bosun/cni';
import { ResultCache, type CachedAttachment } from './cache';
import { bridgeNames, loadConfList, parseConfList, type CniNetworkConfigList, type CniPluginConf } from './conflist';
import { findPlugin, invokePlugin, realExecClock, type CniCommand, type ExecClock } from './exec';
import { bridgePorts, deleteLink, linkExists } from './links';

/** Result versions the adapter hands out (the contract's; 1.1 results have the 1.0 shape). */
const RESULT_VERSIONS = ['1.0.0', '1.1.0'];

/** Options of {@link createCniExecPlugin}. Give exactly one of `conflist` and `confListPath`. */
export interface CniExecPluginOptions {
  /** The configuration list: JSON text or the parsed object (a `.conflist`, or a single `.conf`). */
  conflist?: string | object;
  /** Path of a `.conflist` or `.conf` file, read once at creation. */
  confListPath?: string;
  /** Directories searched for plugin binaries, in order; also CNI_PATH. Default `['/opt/cni/bin', '/usr/lib/cni']`. */
  binDirs?: string[];
  /**
   * Directory of the result cache (`<cacheDir>/results/<network>-<containerId>-<ifname>`,
   * libcni's layout). It must survive restarts of the adapter, or DEL loses its prevResult.
   */
  cacheDir: string;
  /** How long one plugin run may take before it is killed (`DeadlineExceeded`). Default 60 000 ms. */
  timeoutMs?: number;
  /** Timer source for the timeouts. Default Node's timers. */
  clock?: ExecClock;
  /** After a failed ADD, delete a bridge that ADD created and that has no ports left. Default true. */
  removeCreatedBridges?: boolean;
  /** The iproute2 binary used to delete such a bridge. Default `ip`. */
  ipCommand?: string;
  /** Add `IgnoreUnknown=1` to CNI_ARGS (as containerd and CRI-O do), so plugins accept keys they do not know. Default true. */
  ignoreUnknownArgs?: boolean;
}

/** The adapter: a {@link CniPlugin} running one configuration list's binaries. */
export interface CniExecPlugin extends CniPlugin {
  /** The parsed configuration list. */
  readonly confList: CniNetworkConfigList;
  /** The network name (`confList.name`). */
  readonly networkName: string;
  status(req: CniStatusRequest): Promise<void>;
  gc(req: CniGcRequest): Promise<void>;
  /** Runs VERSION on every plugin binary of the list: each plugin's type and the config versions it accepts. */
  pluginVersions(): Promise<Array<{ type: string; supportedVersions: string[] }>>;
}

const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Control characters (NUL above all) cannot travel in an environment variable. */
const CONTROL = /[\u0000-\u001f\u007f]/;

function semverLess(a: string, b: string): boolean {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! < pb[i]!;
  return false;
}

/** Why an interface name cannot be CNI_IFNAME (spec: 1–15 chars, not `.`/`..`, no `/`, `:` or whitespace). */
function ifnameProblem(ifname: string): string | undefined {
  if (ifname === '') return 'CNI_IFNAME is required';
  if (ifname.length > 15) return `CNI_IFNAME ${JSON.stringify(ifname)} is longer than 15 characters`;
  if (ifname === '.' || ifname === '..' || /[/:\s]/.test(ifname) || CONTROL.test(ifname)) return `CNI_IFNAME ${JSON.stringify(ifname)} is not a valid interface name`;
  return undefined;
}

/** The `runtimeConfig` keys libcni injects for each capability, in CNI's JSON spelling (CONVENTIONS.md). */
function capabilityJson(caps: CniCapabilityArgs | null): Record<string, unknown> {
  if (!caps) return {};
  const out: Record<string, unknown> = {};
  if (caps.portMappings.length)
    out.portMappings = caps.portMappings.map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol || 'tcp', ...(p.hostIp ? { hostIP: p.hostIp } : {}) }));
  if (caps.bandwidth) out.bandwidth = { ...caps.bandwidth };
  if (caps.ips.length) out.ips = [...caps.ips];
  if (caps.mac) out.mac = caps.mac;
  if (caps.dns) out.dns = { servers: caps.dns.nameservers, searches: caps.dns.search, options: caps.dns.options };
  if (caps.aliases.length) out.aliases = [...caps.aliases];
  return out;
}

/** A contract result as the list's config version prints it (0.3/0.4 results carry `ips[].version`). */
function resultForVersion(result: CniResult, version: string): Record<string, unknown> {
  const json = toCniResultJson(result);
  json.cniVersion = version;
  if (semverLess(version, '1.0.0') && Array.isArray(json.ips))
    json.ips = (json.ips as Array<{ address: string }>).map((ip) => ({ version: ip.address.includes(':') ? '6' : '4', ...ip }));
  return json;
}

/**
 * Creates the adapter that serves Bosun's network contract by running real CNI plugin
 * binaries (bridge, host-local, loopback, portmap, …) by the CNI exec protocol, as libcni
 * does for containerd and CRI-O:
 *
 * - **add** runs the list's plugins in order, each with CNI_COMMAND=ADD, CNI_CONTAINERID,
 *   CNI_NETNS, CNI_IFNAME, CNI_ARGS, CNI_PATH and, on stdin, its own config plus the list's
 *   `name` and `cniVersion`, `runtimeConfig` for the capabilities it declares, and the
 *   previous plugin's result as `prevResult`. The last result is cached per
 *   (network, container id, ifname) and returned as a CNI 1.0 result. When a plugin fails,
 *   DEL runs for it and every plugin before it (in reverse), a bridge the ADD created is
 *   deleted when no port is left on it, and the plugin's error is thrown. A second ADD of
 *   a cached pair fails with `AlreadyAttached` without touching it.
 * - **del** runs the plugins in reverse order with the cached result (else the request's
 *   `prevResult`) and forgets the cache entry. Idempotent: an unknown pair, a second DEL,
 *   or a netns that no longer exists (CNI_NETNS is then passed empty) succeed, as long as
 *   the plugins' own DEL does. A plugin's DEL error is thrown and the cache kept, so DEL
 *   can be retried.
 * - **check** runs the plugins in order with the cached result; `UnknownContainer` when
 *   nothing is cached for the pair; nothing runs when the list says `disableCheck`.
 * - **version** asks every binary (VERSION) and fails with `IncompatibleVersion` when one
 *   does not accept the list's `cniVersion`; it answers the result versions the adapter produces.
 * - **status** fails with `NotAvailable` when a binary is missing; with config version
 *   1.1.0 it runs STATUS on each plugin. **gc** runs DEL for every cached attachment not
 *   listed as valid, then (1.1.0) GC on each plugin.
 *
 * Operations on one (container id, ifname) pair are serialised; different pairs run in
 * parallel. Plugin errors keep their CNI code, `msg` and `details`. Throws
 * `InvalidNetworkConfig`/`IncompatibleVersion`/`DecodeFailure`/`IoFailure` for a bad or
 * unreadable configuration list.
 */
export function createCniExecPlugin(opts: CniExecPluginOptions): CniExecPlugin {
  if ((opts.conflist === undefined) === (opts.confListPath === undefined)) throw new CniError('InvalidNetworkConfig', 'createCniExecPlugin: give exactly one of conflist and confListPath');
  if (!opts.cacheDir) throw new CniError('InvalidNetworkConfig', 'createCniExecPlugin: cacheDir is required');
  const list = opts.confListPath !== undefined ? loadConfList(opts.confListPath) : parseConfList(opts.conflist);
  const binDirs = opts.binDirs ?? ['/opt/cni/bin', '/usr/lib/cni'];
  if (!Array.isArray(binDirs) || binDirs.length === 0 || binDirs.some((d) => typeof d !== 'string' || d === '' || d.includes(':')))
    throw new CniError('InvalidNetworkConfig', 'createCniExecPlugin: binDirs must be a non-empty list of directories (without ":")');
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const clock = opts.clock ?? realExecClock();
  const cache = new ResultCache(opts.cacheDir);
  const ignoreUnknown = opts.ignoreUnknownArgs ?? true;
  const bridges = bridgeNames(list);
  /** ADDs in flight per bridge, so a failed ADD never deletes a bridge another ADD is about to use. */
  const addsInFlight = new Map<string, number>();
  const locks = new Map<string, Promise<unknown>>();

  const serial = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const prev = locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    locks.set(key, tail);
    void tail.then(() => locks.get(key) === tail && locks.delete(key));
    return run;
  };

  const run = (plugin: CniPluginConf, command: CniCommand, env: { containerId?: string; netns?: string; ifname?: string; args?: string }, stdin: unknown) =>
    invokePlugin({ command, path: findPlugin(plugin.type, binDirs), type: plugin.type, ...env, binDirs, stdin, timeoutMs, clock });

  const pluginExists = (plugin: CniPluginConf): boolean => {
    try {
      findPlugin(plugin.type, binDirs);
      return true;
    } catch {
      return false;
    }
  };

  /** A plugin's stdin: its own config, the list's name and version, its capability args, prevResult. */
  const stdinFor = (plugin: CniPluginConf, caps: Record<string, unknown>, prevResult: unknown): Record<string, unknown> => {
    const conf: Record<string, unknown> = { ...plugin.raw, cniVersion: list.cniVersion, name: list.name };
    const runtimeConfig = Object.fromEntries(Object.entries(caps).filter(([k]) => plugin.capabilities[k] === true));
    if (Object.keys(runtimeConfig).length) conf.runtimeConfig = runtimeConfig;
    if (prevResult !== undefined) conf.prevResult = prevResult;
    return conf;
  };

  const cniArgs = (args: Record<string, string>): string => {
    const all = ignoreUnknown && Object.keys(args).length && !('IgnoreUnknown' in args) ? { IgnoreUnknown: '1', ...args } : args;
    try {
      return formatCniArgs(all);
    } catch (err) {
      throw new CniError('InvalidEnvironment', (err as Error).message, { cause: err });
    }
  };

  /** Checks what every operation on an attachment needs; `needsNetns` for ADD and CHECK. */
  const validate = (c: CniRuntimeConfig, op: string, needsNetns: boolean): void => {
    if (!c.containerId) throw new CniError('InvalidEnvironment', `${op}: CNI_CONTAINERID is required`);
    if (!CONTAINER_ID.test(c.containerId)) throw new CniError('InvalidEnvironment', `${op}: CNI_CONTAINERID ${JSON.stringify(c.containerId)} must start with a letter or digit and hold only letters, digits, _ . -`);
    const bad = ifnameProblem(c.ifname);
    if (bad) throw new CniError('InvalidEnvironment', `${op}: ${bad}`);
    if (CONTROL.test(c.netns) || Object.entries(c.args).some(([k, v]) => CONTROL.test(k) || CONTROL.test(v)))
      throw new CniError('InvalidEnvironment', `${op}: CNI_NETNS and CNI_ARGS must not hold control characters`);
    if (needsNetns && !c.netns) throw new CniError('InvalidEnvironment', `${op}: CNI_NETNS is required`);
    if (c.networkName && c.networkName !== list.name) throw new CniError('InvalidNetworkConfig', `${op}: this adapter serves network ${JSON.stringify(list.name)}, not ${JSON.stringify(c.networkName)}`);
    if (c.networkConfigJson) throw new CniError('UnsupportedField', `${op}: networkConfigJson is not accepted; the adapter runs the configuration list it was created with (${list.name})`);
    if (c.cniVersion && !RESULT_VERSIONS.includes(c.cniVersion))
      throw new CniError('IncompatibleVersion', `${op}: result version ${c.cniVersion} is not supported (supported: ${RESULT_VERSIONS.join(', ')})`);
  };

  /** The contract result of the chain's final output, or a `DecodeFailure` saying why it is not one. */
  const toResult = (raw: unknown, wanted: string): CniResult => {
    if (raw === undefined) throw new CniError('DecodeFailure', 'ADD: the last plugin printed no result');
    let result: CniResult;
    try {
      result = parseCniResultJson(raw);
    } catch (err) {
      throw new CniError('DecodeFailure', `ADD: ${(err as Error).message}`, { cause: err });
    }
    result.cniVersion = wanted || CNI_VERSION;
    const d = result.dns;
    if (d && !d.nameservers.length && !d.domain && !d.search.length && !d.options.length) result.dns = null;
    const problems = validateCniResult(result);
    if (problems.length) throw new CniError('DecodeFailure', `ADD: the plugins' result is not a valid CNI result: ${problems.join('; ')}`);
    return result;
  };

  /** Undoes a failed ADD: DEL for plugins[0..upTo] in reverse, then bridges it created and left empty. Returns what could not be undone. */
  const undoAdd = async (c: CniRuntimeConfig, args: string, caps: Record<string, unknown>, upTo: number, prevResult: unknown, bridgesBefore: Set<string>): Promise<string[]> => {
    const problems: string[] = [];
    const netns = c.netns && existsSync(c.netns) ? c.netns : '';
    for (let i = upTo; i >= 0; i--) {
      const plugin = list.plugins[i]!;
      if (!pluginExists(plugin)) continue; // a binary that is missing never ran
      try {
        await run(plugin, 'DEL', { containerId: c.containerId, netns, ifname: c.ifname, args }, stdinFor(plugin, caps, prevResult));
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    if (opts.removeCreatedBridges ?? true)
      for (const b of bridges) {
        if (bridgesBefore.has(b) || (addsInFlight.get(b) ?? 0) > 1) continue;
        const ports = bridgePorts(b);
        if (ports === undefined || ports.length > 0) continue;
        try {
          await deleteLink(b, opts.ipCommand);
        } catch (err) {
          problems.push((err as Error).message);
        }
      }
    return problems;
  };

  const add = async (c: CniRuntimeConfig): Promise<CniResult> => {
    validate(c, 'ADD', true);
    const args = cniArgs(c.args);
    const caps = capabilityJson(c.capabilityArgs);
    return serial(`${c.containerId}\u0000${c.ifname}`, async () => {
      if (cache.get(list.name, c.containerId, c.ifname))
        throw new CniError('AlreadyAttached', `ADD: container ${c.containerId} ifname ${c.ifname} is already attached to network ${list.name}; DEL it first`);
      for (const b of bridges) addsInFlight.set(b, (addsInFlight.get(b) ?? 0) + 1);
      const bridgesBefore = new Set(bridges.filter(linkExists));
      let reached = -1;
      let prev: unknown;
      try {
        for (const [i, plugin] of list.plugins.entries()) {
          reached = i;
          prev = await run(plugin, 'ADD', { containerId: c.containerId, netns: c.netns, ifname: c.ifname, args }, stdinFor(plugin, caps, prev));
          if (prev === undefined) throw new CniError('DecodeFailure', `${plugin.type} ADD: printed no result`);
        }
        const result = toResult(prev, c.cniVersion);
        const entry: CachedAttachment = {
          kind: 'cniCacheV1',
          containerId: c.containerId,
          ifName: c.ifname,
          networkName: list.name,
          netns: c.netns,
          cniArgs: Object.entries(c.args),
          capabilityArgs: caps,
          result: prev,
        };
        try {
          cache.put(entry);
        } catch (err) {
          throw new CniError('IoFailure', `ADD: cannot write the result cache: ${(err as Error).message}`, { cause: err });
        }
        return result;
      } catch (err) {
        const failed = isCniError(err) ? err : new CniError('Internal', `ADD: ${(err as Error).message}`, { cause: err });
        // `prev` is the last result a plugin printed: the failed plugin's predecessor's, or the whole chain's.
        const leftovers = reached >= 0 ? await undoAdd(c, args, caps, reached, prev, bridgesBefore) : [];
        if (!leftovers.length) throw failed;
        const details = [failed.details, `cleanup after the failed ADD left: ${leftovers.join('; ')}`].filter(Boolean).join('\n');
        throw new CniError(failed.code, failed.message, { cause: failed, operation: 'ADD', details, cniCode: failed.cniCode });
      } finally {
        for (const b of bridges) addsInFlight.set(b, (addsInFlight.get(b) ?? 1) - 1);
      }
    });
  };

  /** DEL of one pair: reverse order, cached (else given) prevResult; forgets the cache entry once every plugin succeeded. */
  const delAttachment = async (c: CniRuntimeConfig, given: CniResult | null): Promise<void> => {
    const cached = cache.get(list.name, c.containerId, c.ifname);
    const prevResult = cached?.result ?? (given ? resultForVersion(given, list.cniVersion) : undefined);
    const args = cniArgs(Object.keys(c.args).length || !cached ? c.args : Object.fromEntries(cached.cniArgs));
    const caps = c.capabilityArgs || !cached ? capabilityJson(c.capabilityArgs) : cached.capabilityArgs;
    const wanted = c.netns || cached?.netns || '';
    // A sandbox already gone: plugins clean up what they can without it.
    const netns = wanted && existsSync(wanted) ? wanted : '';
    for (const plugin of [...list.plugins].reverse())
      await run(plugin, 'DEL', { containerId: c.containerId, netns, ifname: c.ifname, args }, stdinFor(plugin, caps, prevResult));
    cache.delete(list.name, c.containerId, c.ifname);
  };

  const del = async ({ config: c, prevResult }: CniDelRequest): Promise<void> => {
    validate(c, 'DEL', false);
    await serial(`${c.containerId}\u0000${c.ifname}`, () => delAttachment(c, prevResult));
  };

  const check = async ({ config: c }: CniCheckRequest): Promise<void> => {
    validate(c, 'CHECK', true);
    await serial(`${c.containerId}\u0000${c.ifname}`, async () => {
      const cached = cache.get(list.name, c.containerId, c.ifname);
      if (!cached) throw new CniError('UnknownContainer', `CHECK: container ${c.containerId} ifname ${c.ifname} is not attached to network ${list.name}`);
      if (list.disableCheck) return;
      if (semverLess(list.cniVersion, '0.4.0')) throw new CniError('IncompatibleVersion', `CHECK: needs config version 0.4.0 or later; the list says ${list.cniVersion}`);
      const args = cniArgs(Object.keys(c.args).length ? c.args : Object.fromEntries(cached.cniArgs));
      const caps = c.capabilityArgs ? capabilityJson(c.capabilityArgs) : cached.capabilityArgs;
      for (const plugin of list.plugins) await run(plugin, 'CHECK', { containerId: c.containerId, netns: c.netns, ifname: c.ifname, args }, stdinFor(plugin, caps, cached.result));
    });
  };

  const pluginVersions = async () => {
    const out: Array<{ type: string; supportedVersions: string[] }> = [];
    for (const plugin of list.plugins) {
      const answer = (await run(plugin, 'VERSION', {}, { cniVersion: list.cniVersion })) as { supportedVersions?: unknown } | undefined;
      const versions = Array.isArray(answer?.supportedVersions) ? answer.supportedVersions.filter((v): v is string => typeof v === 'string') : [];
      out.push({ type: plugin.type, supportedVersions: versions });
    }
    return out;
  };

  const version = async (): Promise<CniVersionInfo> => {
    for (const p of await pluginVersions())
      if (!p.supportedVersions.includes(list.cniVersion))
        throw new CniError('IncompatibleVersion', `plugin ${p.type} does not accept config version ${list.cniVersion} (it supports ${p.supportedVersions.join(', ') || 'nothing it would say'})`);
    return { cniVersion: CNI_VERSION, supportedVersions: [...RESULT_VERSIONS] };
  };

  const checkNetworkName = (op: string, name: string) => {
    if (name && name !== list.name) throw new CniError('InvalidNetworkConfig', `${op}: this adapter serves network ${JSON.stringify(list.name)}, not ${JSON.stringify(name)}`);
  };

  const status = async ({ networkName }: CniStatusRequest): Promise<void> => {
    checkNetworkName('STATUS', networkName);
    for (const plugin of list.plugins) {
      try {
        findPlugin(plugin.type, binDirs);
      } catch (err) {
        throw new CniError('NotAvailable', `STATUS: ${(err as Error).message}`, { cause: err });
      }
    }
    if (semverLess(list.cniVersion, '1.1.0')) return;
    for (const plugin of list.plugins) await run(plugin, 'STATUS', {}, stdinFor(plugin, {}, undefined));
  };

  const gc = async ({ networkName, validAttachments }: CniGcRequest): Promise<void> => {
    checkNetworkName('GC', networkName);
    if (list.disableGC) return;
    const valid = new Set(validAttachments.map((a) => `${a.containerId}\u0000${a.ifname}`));
    const problems: string[] = [];
    for (const stale of cache.list(list.name)) {
      const key = `${stale.containerId}\u0000${stale.ifName}`;
      if (valid.has(key)) continue;
      const c: CniRuntimeConfig = {
        containerId: stale.containerId,
        ifname: stale.ifName,
        netns: stale.netns,
        args: Object.fromEntries(stale.cniArgs),
        networkName: list.name,
        capabilityArgs: null,
        cniVersion: '',
        networkConfigJson: '',
      };
      try {
        await serial(key, () => delAttachment(c, null));
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    if (!semverLess(list.cniVersion, '1.1.0')) {
      const attachments = validAttachments.map((a) => ({ containerID: a.containerId, ifname: a.ifname }));
      for (const plugin of list.plugins) {
        try {
          await run(plugin, 'GC', {}, { ...stdinFor(plugin, {}, undefined), 'cni.dev/valid-attachments': attachments });
        } catch (err) {
          problems.push((err as Error).message);
        }
      }
    }
    if (problems.length) throw new CniError('Internal', `GC: ${problems.length} cleanup step(s) failed: ${problems.join('; ')}`);
  };

  return {
    confList: list,
    networkName: list.name,
    add: ({ config }: CniAddRequest) => add(config),
    del,
    check,
    version,
    status,
    gc,
    pluginVersions,
  };
}
