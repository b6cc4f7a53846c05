import { serveUnix, unaryHandler, type UnixServerHandle } from '@bosun/grpc-plugin';
import type * as grpc from '@grpc/grpc-js';
import { CniError, isCniError, toCniServiceError } from './errors';
import { cniServiceDefinition } from './proto';
import { emptyRuntimeConfig } from './result';
import type { CniPlugin, CniRuntimeConfig } from './types';

/** One line a network server logs about a call. */
export interface CniLogEntry {
  level: 'debug' | 'error';
  /** `Add`, `Del`, … */
  operation: string;
  containerId?: string;
  ifname?: string;
  /** Numeric CNI error code on failure. */
  cniCode?: number;
  message?: string;
  durationMs: number;
}

/** Options of {@link addCniToServer}. */
export interface AddCniOptions {
  /** Receives one entry per call (debug) and per failed call (error). Default: none. */
  log?: (entry: CniLogEntry) => void;
  /** Shown in UNIMPLEMENTED messages, e.g. `bosun-hostlocal`. */
  name?: string;
}

type Wire = Record<string, any>;

const config = (req: Wire): CniRuntimeConfig => ({ ...emptyRuntimeConfig(), ...(req.config ?? {}) });

/** RPC → how to call the plugin and shape its answer. The only place proto RPC names appear. */
const ROUTES: Record<string, { method: keyof CniPlugin; call: (impl: CniPlugin, req: Wire) => Promise<unknown> }> = {
  Add: { method: 'add', call: async (impl, req) => ({ result: await impl.add({ config: config(req) }) }) },
  Del: { method: 'del', call: async (impl, req) => (await impl.del({ config: config(req), prevResult: req.prevResult ?? null }), {}) },
  Check: { method: 'check', call: async (impl, req) => (await impl.check({ config: config(req), prevResult: req.prevResult ?? null }), {}) },
  Version: { method: 'version', call: (impl) => impl.version() },
  Status: { method: 'status', call: async (impl, req) => (await impl.status!({ networkName: req.networkName ?? '' }), {}) },
  GC: { method: 'gc', call: async (impl, req) => (await impl.gc!({ networkName: req.networkName ?? '', validAttachments: req.validAttachments ?? [] }), {}) },
};

/**
 * Registers the Network service (`bosun.cni.v1.Network`) on a server the host owns: each
 * RPC calls the plugin method of the same domain name; optional methods the plugin lacks
 * (status, gc) answer UNIMPLEMENTED; a thrown {@link CniError} becomes its gRPC status with
 * the CNI code in the trailing metadata, anything else INTERNAL (CNI 999). Call before the
 * server starts.
 */
export function addCniToServer(server: grpc.Server, impl: CniPlugin, opts: AddCniOptions = {}): void {
  const def = cniServiceDefinition();
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const rpc of Object.keys(def)) {
    const route = ROUTES[rpc];
    handlers[rpc] = unaryHandler(
      (request: Wire | null) => {
        if (!route || typeof impl[route.method] !== 'function') throw new CniError('Unimplemented', `${rpc} is not implemented by ${opts.name ?? 'this network plugin'}`);
        return route.call(impl, request ?? {});
      },
      {
        toStatus: toCniServiceError,
        onDone: (o) => {
          const cfg = o.request?.config as Partial<CniRuntimeConfig> | null | undefined;
          const who = { operation: rpc, containerId: cfg?.containerId, ifname: cfg?.ifname };
          opts.log?.(
            o.ok
              ? { level: 'debug', ...who, durationMs: o.durationMs }
              : { level: 'error', ...who, cniCode: isCniError(o.error) ? o.error.cniCode : 999, message: o.status.details, durationMs: o.durationMs },
          );
        },
      },
    );
  }
  server.addService(def as unknown as grpc.ServiceDefinition, handlers);
}

/** Options of {@link serveCni}. */
export interface ServeCniOptions extends AddCniOptions {
  /** Absolute path of the unix socket to create. A stale socket there is replaced. */
  socketPath: string;
}

/** A running network plugin server. */
export type CniServerHandle = UnixServerHandle;

/**
 * Serves a network plugin on a unix socket readable and writable by the owner only (0600,
 * set before this resolves). Resolves once the socket accepts connections; `endpoint` is
 * ready for {@link createCniClient}.
 */
export function serveCni(impl: CniPlugin, opts: ServeCniOptions): Promise<CniServerHandle> {
  return serveUnix((server) => addCniToServer(server, impl, opts), { socketPath: opts.socketPath });
}
