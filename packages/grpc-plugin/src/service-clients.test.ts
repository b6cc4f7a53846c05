import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { ECHO_SERVICE, echoPackageDefinition, echoServiceDefinition, MIRROR_SERVICE, tempDir } from './echo-service.fixture';
import { invokeUnary } from './invoke-unary';
import { createServiceClients, pluginChannelOptions } from './service-clients';
import { serveUnix } from './serve-unix';
import { unaryHandler } from './unary-handler';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

describe('pluginChannelOptions', () => {
  it.each<[string, Parameters<typeof pluginChannelOptions>[0], grpc.ChannelOptions]>([
    ['the defaults', undefined, { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 5000 }],
    ['a backoff cap', { maxReconnectBackoffMs: 1000 }, { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 1000 }],
    [
      'a message size limit',
      { maxReceiveMessageBytes: 64 * 1024 * 1024 },
      { 'grpc.max_receive_message_length': 64 * 1024 * 1024, 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 5000 },
    ],
  ])('sets %s', (_what, options, expected) => {
    expect(pluginChannelOptions(options)).toEqual(expected);
  });
});

describe('createServiceClients', () => {
  const services = { Echo: ECHO_SERVICE, Mirror: MIRROR_SERVICE };

  it('puts every service on one channel and closes them all', () => {
    const { clients, close } = createServiceClients(echoPackageDefinition(), join(dir, 'none.sock'), services);
    expect(clients.Mirror.getChannel()).toBe(clients.Echo.getChannel());
    close();
    expect(clients.Echo.getChannel().getConnectivityState(false)).toBe(grpc.connectivityState.SHUTDOWN);
  });

  it('throws for a name that is not a service of the package', () => {
    expect(() => createServiceClients(echoPackageDefinition(), 'localhost:1', { X: 'bosun.test.v1.Msg' })).toThrow('bosun.test.v1.Msg is not a service');
  });

  it.each([
    ['a bare socket path', (p: string) => p],
    ['a unix URL', (p: string) => `unix://${p}`],
  ])('reaches the server given %s', async (_what, endpointOf) => {
    const path = join(dir, `s${++n}.sock`);
    const toStatus = (err: unknown) => ({ code: grpc.status.INTERNAL, details: String(err) });
    const server = await serveUnix((s) => {
      s.addService(echoServiceDefinition(ECHO_SERVICE), { Echo: unaryHandler((r: object) => r, { toStatus }), Hang: unaryHandler(() => ({}), { toStatus }) });
      s.addService(echoServiceDefinition(MIRROR_SERVICE), { Reflect: unaryHandler((r: { text: string }) => ({ text: [...r.text].reverse().join('') }), { toStatus }) });
    }, { socketPath: path });
    const { clients, close } = createServiceClients(echoPackageDefinition(), endpointOf(path), services);
    const opts = { timeoutMs: 5_000, waitForReady: true, toError: (e: Error) => e, abortedError: () => new Error('aborted') };
    try {
      expect(await invokeUnary(clients.Echo, 'Echo', { text: 'abc' }, opts)).toMatchObject({ text: 'abc' });
      expect(await invokeUnary(clients.Mirror, 'Reflect', { text: 'abc' }, opts)).toMatchObject({ text: 'cba' });
    } finally {
      close();
      await server.close();
    }
  });
});
