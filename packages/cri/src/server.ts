import { callLogEntry, errorMessage, findDomainMethod, serveUnix, unaryHandler, type CallLogEntry, type CallStatus, type UnixServerHandle } from '@bosun/grpc-plugin';
import * as grpc from '@grpc/grpc-js';
import { criCodeToGrpc, isCriError } from './errors';
import { criServiceDefinition, IMAGE_SERVICE, RUNTIME_SERVICE } from './proto';
import type { CriServiceImpl } from './types';

/**
 * One line a CRI server logs about a call (`method` is e.g. `RuntimeService/RunPodSandbox`).
 * Requests are redacted with {@link redactCriRequest}: registry credentials never appear.
 */
export interface CriLogEntry extends CallLogEntry {}

/** Options of {@link addCriToServer}. */
export interface AddCriOptions {
  /** Receives one entry per call (debug) and per failed call (error). Default: none. */
  log?: (entry: CriLogEntry) => void;
  /** Shown in UNIMPLEMENTED messages, e.g. `bosun-fake`. */
  name?: string;
}

const SECRET_KEYS = new Set(['auth', 'password', 'identityToken', 'registryToken']);

/**
 * A deep copy of a request with every registry secret (`auth`, `password`, `identityToken`,
 * `registryToken`) replaced by `[REDACTED]`, for logs and error messages.
 */
export function redactCriRequest(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactCriRequest);
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (SECRET_KEYS.has(k) && v !== null && v !== '' && v !== undefined) out[k] = '[REDACTED]';
      else out[k] = redactCriRequest(v);
    }
    return out;
  }
  return value;
}

function toServiceError(err: unknown): CallStatus {
  if (isCriError(err)) return { code: criCodeToGrpc(err.code), details: err.message };
  return { code: grpc.status.INTERNAL, details: errorMessage(err) };
}

function bind(service: string, impl: CriServiceImpl, opts: AddCriOptions): grpc.UntypedServiceImplementation {
  const def = criServiceDefinition(service as typeof RUNTIME_SERVICE);
  const short = service.split('.').pop()!;
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const [rpc, m] of Object.entries(def)) {
    const method = `${short}/${rpc}`;
    const fn = findDomainMethod(impl, rpc);
    const unimplemented = () => ({ code: grpc.status.UNIMPLEMENTED, details: `${method} is not implemented by ${opts.name ?? 'this runtime'}` });
    if (m.requestStream || m.responseStream) {
      // Streaming RPCs (GetContainerEvents) are not served by the adapter.
      handlers[rpc] = (call: grpc.ServerWritableStream<unknown, unknown>) => call.emit('error', unimplemented());
    } else if (!fn) {
      handlers[rpc] = (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => callback(unimplemented());
    } else {
      handlers[rpc] = unaryHandler(fn, { toStatus: toServiceError, onDone: (o) => opts.log?.(callLogEntry(method, o, redactCriRequest)) });
    }
  }
  return handlers;
}

/**
 * Registers RuntimeService and ImageService on a server the host owns. Each RPC calls the
 * impl method of the same domain name (`RunPodSandbox` → `runPodSandbox`); RPCs the impl
 * lacks answer UNIMPLEMENTED; a thrown {@link CriError} becomes its gRPC status, anything
 * else INTERNAL. Call before the server starts.
 */
export function addCriToServer(server: grpc.Server, impl: CriServiceImpl, opts: AddCriOptions = {}): void {
  server.addService(criServiceDefinition(RUNTIME_SERVICE) as unknown as grpc.ServiceDefinition, bind(RUNTIME_SERVICE, impl, opts));
  server.addService(criServiceDefinition(IMAGE_SERVICE) as unknown as grpc.ServiceDefinition, bind(IMAGE_SERVICE, impl, opts));
}

/** Options of {@link serveCri}. */
export interface ServeCriOptions extends AddCriOptions {
  /** Absolute path of the unix socket to create. A stale socket there is replaced. */
  socketPath: string;
}

/**
 * A running CRI server. `endpoint` is `unix:///path`, ready for {@link createCriClient};
 * `close(graceMs = 2000)` stops accepting calls, waits up to `graceMs` for calls in flight,
 * then cancels the rest and removes the socket file. Idempotent.
 */
export interface CriServerHandle extends UnixServerHandle {}

/**
 * Serves a CRI impl on a unix socket readable and writable by the owner only (mode 0600,
 * set right after bind). Resolves once the socket accepts connections.
 */
export function serveCri(impl: CriServiceImpl, opts: ServeCriOptions): Promise<CriServerHandle> {
  return serveUnix((server) => addCriToServer(server, impl, opts), {
    socketPath: opts.socketPath,
    serverOptions: { 'grpc.max_receive_message_length': 64 * 1024 * 1024 },
  });
}
