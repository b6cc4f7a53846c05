import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

/** Options of {@link serveUnix}. */
export interface ServeUnixOptions {
  /** Absolute path of the unix socket to create. A stale socket there is replaced; any other kind of file makes the bind fail. */
  socketPath: string;
  /** Passed to `new grpc.Server()` (e.g. `grpc.max_receive_message_length`). Default: grpc-js defaults. */
  serverOptions?: grpc.ServerOptions;
}

/** A gRPC server listening on a unix socket. */
export interface UnixServerHandle {
  /** `unix:///path`, ready for a client. */
  readonly endpoint: string;
  /**
   * Stops accepting calls, waits up to `graceMs` (default 2000) for calls in flight, then
   * cancels the rest and removes the socket file. Idempotent: later calls return the same
   * promise.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Creates a server, lets `setup` add services to it, binds `socketPath` (replacing a stale
 * socket left by a crashed server, never another kind of file) and makes the socket
 * readable and writable by its owner only (mode 0600) before resolving. Resolves once the
 * socket accepts connections; rejects when the bind fails.
 */
export async function serveUnix(setup: (server: grpc.Server) => void, options: ServeUnixOptions): Promise<UnixServerHandle> {
  const { socketPath } = options;
  try {
    if (lstatSync(socketPath).isSocket()) unlinkSync(socketPath);
  } catch {
    // nothing there
  }
  const server = new grpc.Server(options.serverOptions);
  setup(server);
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
