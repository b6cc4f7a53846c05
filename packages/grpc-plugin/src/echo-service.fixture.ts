// A tiny proto for this package's tests: the plumbing is contract-agnostic, so it is
// tested against a service that belongs to no contract.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import { lazyPackageDefinition, PLUGIN_LOADER_OPTIONS } from './proto-loading';
import { serveUnix, type UnixServerHandle } from './serve-unix';

export const ECHO_PROTO = `
syntax = "proto3";
package bosun.test.v1;
enum Mood { MOOD_UNSPECIFIED = 0; HAPPY = 1; }
message Inner { string value = 1; }
message Msg {
  string text = 1;
  int64 size = 2;
  Mood mood = 3;
  Inner inner = 4;
  oneof pick { string left = 5; string right = 6; }
  bytes blob = 7;
}
service Echo { rpc Echo(Msg) returns (Msg); rpc Hang(Msg) returns (Msg); }
service Mirror { rpc Reflect(Msg) returns (Msg); }
`;

export const ECHO_SERVICE = 'bosun.test.v1.Echo';
export const MIRROR_SERVICE = 'bosun.test.v1.Mirror';

/** A fresh temporary directory (short enough for unix socket paths). */
export function tempDir(prefix = 'bosun-grpc-plugin-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

const protoFile = (() => {
  let path: string | undefined;
  return () => {
    if (!path) {
      path = join(tempDir(), 'echo.proto');
      writeFileSync(path, ECHO_PROTO);
    }
    return path;
  };
})();

export const echoPackageDefinition = lazyPackageDefinition(protoFile, PLUGIN_LOADER_OPTIONS);

export function echoServiceDefinition(name: string = ECHO_SERVICE): grpc.ServiceDefinition {
  return (echoPackageDefinition() as protoLoader.PackageDefinition)[name] as unknown as grpc.ServiceDefinition;
}

/** Serves the Echo service with `handlers` (RPC name → grpc-js handler) on `socketPath`. */
export function serveEcho(socketPath: string, handlers: grpc.UntypedServiceImplementation, serverOptions?: grpc.ServerOptions): Promise<UnixServerHandle> {
  return serveUnix((server) => server.addService(echoServiceDefinition(), handlers), { socketPath, serverOptions });
}
