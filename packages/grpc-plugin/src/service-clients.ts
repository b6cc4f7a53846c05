import * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { normalizeEndpoint } from './endpoint';

/** Options of {@link pluginChannelOptions}. */
export interface PluginChannelOptions {
  /** Cap of grpc-js's reconnect backoff, in milliseconds. Default 5 000. */
  maxReconnectBackoffMs?: number;
  /** Largest message the client accepts, in bytes. Default: grpc-js's (4 MiB). */
  maxReceiveMessageBytes?: number;
}

/**
 * Channel options of a plugin client: reconnect quickly (first retry after 100 ms) and back
 * off to at most `maxReconnectBackoffMs`, so a restarted plugin is found again within
 * seconds while calls wait for it (wait-for-ready).
 */
export function pluginChannelOptions(options: PluginChannelOptions = {}): grpc.ChannelOptions {
  return {
    ...(options.maxReceiveMessageBytes !== undefined ? { 'grpc.max_receive_message_length': options.maxReceiveMessageBytes } : {}),
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': options.maxReconnectBackoffMs ?? 5000,
  };
}

/** Stubs for several services of one package, over one connection. */
export interface ServiceClients<K extends string> {
  /** One grpc-js client per service, by the key it was asked for under. */
  readonly clients: Readonly<Record<K, grpc.Client>>;
  /** Closes every stub (the channel's owner last); calls in flight are cancelled. */
  close(): void;
}

/**
 * Insecure stubs for `services` (key → fully qualified name, e.g.
 * `{ Runtime: 'runtime.v1.RuntimeService' }`) at `endpoint` (normalised with
 * {@link normalizeEndpoint}). The first service's stub owns the channel and the others
 * share it, so all calls go over one connection. Connects lazily, on the first call.
 * Throws when a name is not a service of `packageDefinition`.
 */
export function createServiceClients<K extends string>(
  packageDefinition: PackageDefinition,
  endpoint: string,
  services: Readonly<Record<K, string>>,
  channelOptions: grpc.ChannelOptions = pluginChannelOptions(),
): ServiceClients<K> {
  const target = normalizeEndpoint(endpoint);
  const pkg = grpc.loadPackageDefinition(packageDefinition);
  const clients = {} as Record<K, grpc.Client>;
  const created: grpc.Client[] = [];
  for (const [key, name] of Object.entries(services) as [K, string][]) {
    const Stub = name.split('.').reduce<unknown>((o, part) => (o as Record<string, unknown> | undefined)?.[part], pkg);
    if (typeof Stub !== 'function') throw new Error(`${name} is not a service of this package definition`);
    const options = created.length === 0 ? channelOptions : { ...channelOptions, channelOverride: created[0]!.getChannel() };
    const stub = new (Stub as grpc.ServiceClientConstructor)(target, grpc.credentials.createInsecure(), options);
    clients[key] = stub;
    created.push(stub);
  }
  return {
    clients,
    close() {
      for (const stub of [...created].reverse()) stub.close();
    },
  };
}
