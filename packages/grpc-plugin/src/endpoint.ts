/**
 * The grpc-js target for a plugin endpoint. A bare socket path (`/run/x.sock`) becomes
 * `unix:///run/x.sock`; anything else (`unix:///p`, `unix:/p`, `unix:p`, `host:port`,
 * `dns:…`) is already a target grpc-js understands and is returned unchanged. Idempotent.
 */
export function normalizeEndpoint(endpoint: string): string {
  return endpoint.startsWith('/') ? `unix://${endpoint}` : endpoint;
}
