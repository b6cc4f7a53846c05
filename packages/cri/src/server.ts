import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { criCodeToGrpc, isCriError } from './errors';
import { criServiceDefinition, domainMethodName, IMAGE_SERVICE, RUNTIME_SERVICE } from './proto';
import type { CriServiceImpl } from './types';

/** One line a CRI server logs about a call. Requests are redacted: registry credentials never appear. */
export interface CriLogEntry {
  level: 'debug' | 'error';
  /** `RuntimeService/RunPodSandbox`. */
  method: string;
  /** The request with secrets replaced by `[REDACTED]`. */
  request: unknown;
  /** gRPC status name on failure. */
  code?: string;
  message?: string;
  durationMs: number;
}

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

function toServiceError(err: unknown): Partial<grpc.StatusObject> {
  if (isCriError(err)) return { code: criCodeToGrpc(err.code), details: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: grpc.status.INTERNAL, details: message };
}

function bind(service: string, impl: CriServiceImpl, opts: AddCriOptions): grpc.UntypedServiceImplementation {
  const def = criServiceDefinition(service as typeof RUNTIME_SERVICE);
  const short = service.split('.').pop()!;
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const [rpc, m] of Object.entries(def)) {
    const method = `${short}/${rpc}`;
    const fn = (impl as Record<string, unknown>)[domainMethodName(rpc)];
    if (m.requestStream || m.responseStream) {
      // Streaming RPCs (GetContainerEvents) are not served by the adapter.
      handlers[rpc] = (call: grpc.ServerWritableStream<unknown, unknown>) =>
        call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: `${method} is not implemented by ${opts.name ?? 'this runtime'}` });
      continue;
    }
    handlers[rpc] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      if (typeof fn !== 'function') {
        callback({ code: grpc.status.UNIMPLEMENTED, details: `${method} is not implemented by ${opts.name ?? 'this runtime'}` });
        return;
      }
      const started = performance.now();
      let result: Promise<unknown>;
      try {
        result = Promise.resolve((fn as (req: unknown) => unknown).call(impl, call.request));
      } catch (err) {
        result = Promise.reject(err);
      }
      result.then(
        (res) => {
          opts.log?.({ level: 'debug', method, request: redactCriRequest(call.request), durationMs: performance.now() - started });
          callback(null, res ?? {});
        },
        (err: unknown) => {
          const se = toServiceError(err);
          opts.log?.({
            level: 'error',
            method,
            request: redactCriRequest(call.request),
            code: grpc.status[se.code!],
            message: se.details,
            durationMs: performance.now() - started,
          });
          callback(se);
        },
      );
    };
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

/** A running CRI server. */
export interface CriServerHandle {
  /** `unix:///path`, ready for {@link createCriClient}. */
  readonly endpoint: string;
  /**
   * Stops accepting calls, waits up to `graceMs` (default 2000) for calls in flight, then
   * cancels the rest and removes the socket file. Idempotent.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Serves a CRI impl on a unix socket readable and writable by the owner only (mode 0600,
 * set right after bind). Resolves once the socket accepts connections.
 */
export async function serveCri(impl: CriServiceImpl, opts: ServeCriOptions): Promise<CriServerHandle> {
  const { socketPath } = opts;
  try {
    if (lstatSync(socketPath).isSocket()) unlinkSync(socketPath);
  } catch {
    // nothing there
  }
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  addCriToServer(server, impl, opts);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  chmodSync(socketPath, 0o600);
  let closed: Promise<void> | undefined;
  return {
    endpoint: `unix://${socketPath}`,
    close(graceMs = 2000) {
      closed ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }).then(() => {
        try {
          unlinkSync(socketPath);
        } catch {
          // already gone
        }
      });
      return closed;
    },
  };
}
