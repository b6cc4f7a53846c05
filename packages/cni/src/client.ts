import { createServiceClients, errorMessage, invokeUnary, pluginChannelOptions, type PluginCallOptions } from '@bosun/grpc-plugin';
import { CniError, fromCniServiceError, isCniError } from './errors';
import { cniPackageDefinition, cniServiceDefinition, NETWORK_SERVICE } from './proto';
import { normalizeRuntimeConfig } from './result';
import type { CniAttachment, CniPlugin, CniResult, CniRuntimeConfigInput, CniVersionInfo } from './types';

/** Per-call options: `deadlineMs` overrides the client default; aborting `signal` cancels the call (it then rejects with `Cancelled`). */
export interface CniCallOptions extends PluginCallOptions {}

/** Options of {@link createCniClient}. */
export interface CniClientOptions {
  /** Default deadline of every call, in milliseconds. Default 10 000. */
  deadlineMs?: number;
  /**
   * Wait for the connection instead of failing fast while the plugin is down or
   * restarting (gRPC wait-for-ready; grpc-js reconnects with backoff). The deadline still
   * bounds each call. Default true.
   */
  waitForReady?: boolean;
  /** Cap of grpc-js's reconnect backoff, in milliseconds. Default 5 000. */
  maxReconnectBackoffMs?: number;
}

/**
 * A network plugin, seen from the runtime. Every method rejects with a {@link CniError}
 * whose `code` is the plugin's CNI code (or a transport code: `Unavailable`,
 * `DeadlineExceeded`, `Cancelled`, `Unimplemented`).
 */
export interface CniClient {
  /** CNI ADD: attaches the sandbox and resolves with its CNI 1.0 result. */
  add(config: CniRuntimeConfigInput, opts?: CniCallOptions): Promise<CniResult>;
  /** CNI DEL: releases what add allocated. Idempotent. */
  del(config: CniRuntimeConfigInput, prevResult?: CniResult | null, opts?: CniCallOptions): Promise<void>;
  /** CNI CHECK: resolves when the attachment is intact; `UnknownContainer` when there is none. */
  check(config: CniRuntimeConfigInput, prevResult?: CniResult | null, opts?: CniCallOptions): Promise<void>;
  /** CNI VERSION. */
  version(opts?: CniCallOptions): Promise<CniVersionInfo>;
  /** CNI STATUS: resolves when the plugin can serve add (`Unimplemented` when it does not say). */
  status(networkName?: string, opts?: CniCallOptions): Promise<void>;
  /** CNI GC: releases every attachment not in `validAttachments`. */
  gc(validAttachments: CniAttachment[], networkName?: string, opts?: CniCallOptions): Promise<void>;
  /** Closes the connection; calls in flight are cancelled. Idempotent. */
  close(): void;
}

type Invoke = (rpc: string, request: object, opts: CniCallOptions | undefined) => Promise<any>;

function build(invoke: Invoke, close: () => void): CniClient {
  const done = () => undefined;
  return {
    add: (config, opts) => invoke('Add', { config: normalizeRuntimeConfig(config) }, opts).then((x) => x.result as CniResult),
    del: (config, prevResult, opts) => invoke('Del', { config: normalizeRuntimeConfig(config), prevResult: prevResult ?? null }, opts).then(done),
    check: (config, prevResult, opts) => invoke('Check', { config: normalizeRuntimeConfig(config), prevResult: prevResult ?? null }, opts).then(done),
    version: (opts) => invoke('Version', {}, opts),
    status: (networkName = '', opts) => invoke('Status', { networkName }, opts).then(done),
    gc: (validAttachments, networkName = '', opts) => invoke('GC', { networkName, validAttachments }, opts).then(done),
    close,
  };
}

/**
 * A client for a network plugin at `endpoint` (`unix:///run/bosun/net.sock`, a socket
 * path, or `host:port`). Connects lazily; grpc-js reconnects with backoff when the plugin
 * restarts, and calls wait for the connection up to their deadline (`waitForReady`).
 */
export function createCniClient(endpoint: string, options: CniClientOptions = {}): CniClient {
  const { clients, close } = createServiceClients(
    cniPackageDefinition(),
    endpoint,
    { Network: NETWORK_SERVICE },
    pluginChannelOptions({ maxReconnectBackoffMs: options.maxReconnectBackoffMs }),
  );
  const defaultDeadline = options.deadlineMs ?? 10_000;
  const waitForReady = options.waitForReady ?? true;
  const invoke: Invoke = (rpc, request, opts) =>
    invokeUnary(clients.Network, rpc, request, {
      timeoutMs: opts?.deadlineMs ?? defaultDeadline,
      waitForReady,
      signal: opts?.signal,
      toError: (err) => fromCniServiceError(err, rpc),
      abortedError: (reason) => new CniError('Cancelled', `${rpc}: aborted`, { operation: rpc, cause: reason }),
    });
  return build(invoke, close);
}

const DOMAIN: Record<string, keyof CniPlugin> = { Add: 'add', Del: 'del', Check: 'check', Version: 'version', Status: 'status', GC: 'gc' };

/**
 * The same client over a plugin in this process, without sockets. Requests and responses
 * go through the protobuf codec, so the plugin sees exactly what it would over gRPC and
 * errors keep their codes. For tests and for runtimes that embed their network plugin.
 */
export function createInProcessCniClient(impl: CniPlugin): CniClient {
  const def = cniServiceDefinition();
  const invoke: Invoke = async (rpc, request, opts) => {
    const m = def[rpc]!;
    if (opts?.signal?.aborted) throw new CniError('Cancelled', `${rpc}: aborted`, { operation: rpc });
    const method = DOMAIN[rpc]!;
    if (typeof impl[method] !== 'function') throw new CniError('Unimplemented', `${rpc} is not implemented`, { operation: rpc });
    const req = m.requestDeserialize(m.requestSerialize(request)) as any;
    try {
      const res =
        rpc === 'Add'
          ? { result: await impl.add({ config: req.config }) }
          : rpc === 'Del' || rpc === 'Check'
            ? (await impl[method as 'del' | 'check']({ config: req.config, prevResult: req.prevResult ?? null }), {})
            : rpc === 'Version'
              ? await impl.version()
              : rpc === 'Status'
                ? (await impl.status!({ networkName: req.networkName }), {})
                : (await impl.gc!({ networkName: req.networkName, validAttachments: req.validAttachments }), {});
      return m.responseDeserialize(m.responseSerialize(res));
    } catch (err) {
      if (isCniError(err)) throw new CniError(err.code, `${rpc}: ${err.message}`, { operation: rpc, cause: err, details: err.details, cniCode: err.cniCode });
      throw new CniError('Internal', `${rpc}: ${errorMessage(err)}`, { operation: rpc, cause: err });
    }
  };
  return build(invoke, () => undefined);
}
