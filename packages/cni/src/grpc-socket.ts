import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

// Generic gRPC plumbing with nothing CNI-specific in it. @bosun/cri has the same logic
// inlined in serveCri; both should import it from one shared place once there is one.

/** A gRPC server listening on a unix socket. */
export interface UnixSocketServerHandle {
  /** `unix:///path`. */
  readonly endpoint: string;
  /**
   * Stops accepting calls, waits up to `graceMs` (default 2000) for calls in flight, then
   * cancels the rest and removes the socket file. Idempotent.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Creates a server, lets `register` add services, binds `socketPath` (replacing a stale
 * socket, never another kind of file) and makes it owner-only (0600) before resolving.
 */
export async function serveOnUnixSocket(register: (server: grpc.Server) => void, socketPath: string): Promise<UnixSocketServerHandle> {
  try {
    if (lstatSync(socketPath).isSocket()) unlinkSync(socketPath);
  } catch {
    // nothing there
  }
  const server = new grpc.Server();
  register(server);
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

/** `/p` (a socket path) → `unix:///p`; anything else (`unix:…`, `host:port`) unchanged. */
export function normalizeEndpoint(endpoint: string): string {
  return endpoint.startsWith('/') ? `unix://${endpoint}` : endpoint;
}
