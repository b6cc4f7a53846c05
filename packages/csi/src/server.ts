import { callLogEntry, errorMessage, findDomainMethod, serveUnix, unaryHandler, type CallLogEntry, type CallStatus, type UnixServerHandle } from '@bosun/grpc-plugin';
import * as grpc from '@grpc/grpc-js';
import { csiCodeToGrpc, isCsiError } from './errors';
import { csiServiceDefinition, type CsiServiceName } from './proto';
import type { CsiPluginImpl } from './types';

/**
 * One line a CSI server logs about a call (`method` is e.g. `Node/NodePublishVolume`).
 * Requests are redacted with {@link redactCsiRequest} and messages scrubbed with
 * {@link scrubCsiSecrets}: secrets never appear.
 */
export interface CsiLogEntry extends CallLogEntry {}

/** Options of {@link addCsiToServer}. */
export interface AddCsiOptions {
  /** Receives one entry per call (debug) and per failed call (error). Default: none. */
  log?: (entry: CsiLogEntry) => void;
  /** Shown in UNIMPLEMENTED messages, e.g. `hostpath.csi.bosun.dev`. */
  name?: string;
  /** Which services to register. Default all three (a node-only plugin still answers Controller calls with UNIMPLEMENTED). */
  services?: readonly CsiServiceName[];
}

/** What secret values are replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * A deep copy of a CSI request fit for logs and error messages: every value of every
 * `secrets` map (the fields upstream marks `csi_secret`) and every `mountFlags` entry
 * (which the spec says may be sensitive) is replaced by `[REDACTED]`; map keys are kept
 * so a log still says which secrets were passed. Buffers become `<n bytes>`.
 */
export function redactCsiRequest(value: unknown): unknown {
  return redact(value);
}

function redact(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return key === 'mountFlags' ? value.map(() => REDACTED) : value.map((v) => redact(v));
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'secrets' && v && typeof v === 'object') out[k] = Object.fromEntries(Object.keys(v).map((sk) => [sk, REDACTED]));
      else out[k] = redact(v, k);
    }
    return out;
  }
  return value;
}

/** Every secret value in a request (values of `secrets` maps, `mountFlags` entries), longest first. */
function secretValues(value: unknown, out: string[] = [], key?: string): string[] {
  if (Array.isArray(value)) {
    for (const v of value) {
      if (key === 'mountFlags' && typeof v === 'string' && v) out.push(v);
      else secretValues(v, out);
    }
  } else if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'secrets' && v && typeof v === 'object') {
        for (const s of Object.values(v)) if (typeof s === 'string' && s) out.push(s);
      } else secretValues(v, out, k);
    }
  }
  return out.sort((a, b) => b.length - a.length);
}

/**
 * `text` with every secret value of `request` replaced by `[REDACTED]`: the last line of
 * defence for error messages a plugin built from its inputs.
 */
export function scrubCsiSecrets(text: string, request: unknown): string {
  let out = text;
  for (const s of secretValues(request)) out = out.split(s).join(REDACTED);
  return out;
}

function toServiceError(err: unknown, request: unknown): CallStatus {
  if (isCsiError(err)) return { code: csiCodeToGrpc(err.code), details: scrubCsiSecrets(err.message, request) };
  return { code: grpc.status.INTERNAL, details: scrubCsiSecrets(errorMessage(err), request) };
}

function bind(service: CsiServiceName, impl: CsiPluginImpl, opts: AddCsiOptions): grpc.UntypedServiceImplementation {
  const def = csiServiceDefinition(service);
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const rpc of Object.keys(def)) {
    const method = `${service}/${rpc}`;
    const fn = findDomainMethod(impl, rpc);
    if (!fn) {
      handlers[rpc] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const details = `${method} is not implemented by ${opts.name ?? 'this plugin'}`;
        opts.log?.({ level: 'error', method, request: redactCsiRequest(call.request), code: 'UNIMPLEMENTED', message: details, durationMs: 0 });
        callback({ code: grpc.status.UNIMPLEMENTED, details });
      };
      continue;
    }
    handlers[rpc] = unaryHandler(fn, { toStatus: toServiceError, onDone: (o) => opts.log?.(callLogEntry(method, o, redactCsiRequest)) });
  }
  return handlers;
}

/**
 * Registers the CSI services (Identity, Controller, Node; or `opts.services`) on a server
 * the host owns. Each RPC calls the impl method of the same domain name
 * (`NodePublishVolume` → `nodePublishVolume`); RPCs the impl lacks answer UNIMPLEMENTED;
 * a thrown {@link CsiError} becomes its gRPC status, anything else INTERNAL; secret values
 * are scrubbed from every status message and log entry. Call before the server starts.
 */
export function addCsiToServer(server: grpc.Server, impl: CsiPluginImpl, opts: AddCsiOptions = {}): void {
  for (const service of opts.services ?? (['Identity', 'Controller', 'Node'] as const)) {
    server.addService(csiServiceDefinition(service) as unknown as grpc.ServiceDefinition, bind(service, impl, opts));
  }
}

/** Options of {@link serveCsi}. */
export interface ServeCsiOptions extends AddCsiOptions {
  /** Absolute path of the unix socket to create. A stale socket there is replaced. */
  socketPath: string;
}

/**
 * A running CSI server. `endpoint` is `unix:///path`, ready for `createCsiClient`;
 * `close(graceMs = 2000)` stops accepting calls, waits up to `graceMs` for calls in flight,
 * then cancels the rest and removes the socket file. Idempotent.
 */
export interface CsiServerHandle extends UnixServerHandle {}

/**
 * Serves a CSI plugin on a unix socket readable and writable by the owner only (mode
 * 0600, set right after bind). Resolves once the socket accepts connections.
 */
export function serveCsi(impl: CsiPluginImpl, opts: ServeCsiOptions): Promise<CsiServerHandle> {
  return serveUnix((server) => addCsiToServer(server, impl, opts), { socketPath: opts.socketPath });
}
