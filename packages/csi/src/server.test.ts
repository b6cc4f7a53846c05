import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCsiClient, type CsiClient } from './client';
import { CsiError, isCsiError, type CsiErrorCode } from './errors';
import { redactCsiRequest, serveCsi, type CsiLogEntry } from './server';
import type { CsiPluginImpl } from './types';

const dir = mkdtempSync(join(tmpdir(), 'bosun-csi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function serve(impl: CsiPluginImpl, log?: (e: CsiLogEntry) => void) {
  const server = await serveCsi(impl, { socketPath: join(dir, `s${++n}.sock`), log, name: 'test-plugin' });
  const client = createCsiClient(server.endpoint, { deadlineMs: 5_000 });
  return { server, client, async [Symbol.asyncDispose]() { client.close(); await server.close(); } };
}

const SECRET = 'hunter2-very-secret-value';
const codes: [CsiErrorCode, string][] = [
  ['InvalidArgument', 'a required field is missing'],
  ['NotFound', 'the volume does not exist'],
  ['AlreadyExists', 'the name is taken with other parameters'],
  ['FailedPrecondition', 'the volume is in use'],
  ['OutOfRange', 'the capacity range is unsupported'],
  ['ResourceExhausted', 'the pool is full'],
  ['Aborted', 'an operation is pending for the volume'],
  ['Unimplemented', 'the plugin does not do that'],
  ['Internal', 'something broke'],
];

describe('addCsiToServer / createCsiClient over a unix socket', () => {
  it.each(codes)('carries a thrown CsiError %s (%s) to the client with the same code', async (code, why) => {
    await using env = await serve({ createVolume: async () => { throw new CsiError(code, why); } });
    const err = await env.client.controller.createVolume({ name: 'v', volumeCapabilities: [] }).catch((e: unknown) => e);
    expect(isCsiError(err, code)).toBe(true);
    expect((err as CsiError).message).toContain(why);
    expect((err as CsiError).method).toBe('Controller/CreateVolume');
  });

  it('maps any other thrown error to Internal', async () => {
    await using env = await serve({ probe: () => { throw new TypeError('bad state'); } });
    await expect(env.client.identity.probe()).rejects.toSatisfy((e) => isCsiError(e, 'Internal') && e.message.includes('bad state'));
  });

  it.each<[string, (c: CsiClient) => Promise<unknown>]>([
    ['Identity/GetPluginInfo', (c) => c.identity.getPluginInfo()],
    ['Controller/ControllerPublishVolume', (c) => c.controller.publishVolume({ volumeId: 'v' })],
    ['Controller/ListVolumes', (c) => c.controller.listVolumes()],
    ['Node/NodeStageVolume', (c) => c.node.stageVolume({ volumeId: 'v' })],
    ['Node/NodeExpandVolume', (c) => c.node.expandVolume({ volumeId: 'v' })],
  ])('answers %s with UNIMPLEMENTED when the plugin lacks it', async (method, call) => {
    await using env = await serve({});
    await expect(call(env.client)).rejects.toSatisfy((e) => isCsiError(e, 'Unimplemented') && e.message.includes(method));
  });

  it('creates the socket with mode 0600', async () => {
    await using env = await serve({});
    expect(statSync(env.server.endpoint.slice('unix://'.length)).mode & 0o777).toBe(0o600);
  });

  it('round-trips messages with oneofs, maps, enums and wrappers', async () => {
    await using env = await serve({
      probe: () => ({ ready: { value: false } }),
      createVolume: (req) => ({
        volume: {
          volumeId: `${req.name}-id`,
          capacityBytes: req.capacityRange!.requiredBytes,
          volumeContext: req.parameters,
          accessibleTopology: [{ segments: { zone: req.volumeCapabilities[0]!.accessType ?? '' } }],
        },
      }),
    });
    expect(await env.client.identity.probe()).toBe(false);
    const v = await env.client.controller.createVolume({
      name: 'pv-1',
      capacityRange: { requiredBytes: 5 * 2 ** 40 },
      volumeCapabilities: [{ mount: { fsType: 'ext4' }, accessMode: { mode: 'SINGLE_NODE_WRITER' } }],
      parameters: { tier: 'gold' },
    });
    expect(v).toMatchObject({ volumeId: 'pv-1-id', capacityBytes: 5 * 2 ** 40, volumeContext: { tier: 'gold' }, accessibleTopology: [{ segments: { zone: 'mount' } }] });
  });
});

describe('secret redaction', () => {
  const requests: [string, (c: CsiClient) => Promise<unknown>][] = [
    ['CreateVolume', (c) => c.controller.createVolume({ name: 'v', secrets: { password: SECRET }, volumeCapabilities: [] })],
    ['DeleteVolume', (c) => c.controller.deleteVolume('v', { token: SECRET })],
    ['ControllerPublishVolume', (c) => c.controller.publishVolume({ volumeId: 'v', secrets: { key: SECRET } })],
    ['ControllerUnpublishVolume', (c) => c.controller.unpublishVolume('v', 'n', { key: SECRET })],
    ['ValidateVolumeCapabilities', (c) => c.controller.validateVolumeCapabilities({ volumeId: 'v', secrets: { key: SECRET } })],
    ['NodeStageVolume', (c) => c.node.stageVolume({ volumeId: 'v', secrets: { key: SECRET } })],
    ['NodePublishVolume', (c) => c.node.publishVolume({ volumeId: 'v', secrets: { key: SECRET }, volumeCapability: { mount: { mountFlags: [SECRET] } } })],
    ['NodeExpandVolume', (c) => c.node.expandVolume({ volumeId: 'v', secrets: { key: SECRET } })],
  ];

  it.each(requests)('never lets a %s secret reach a log line or an error message, even when the plugin echoes it', async (_rpc, call) => {
    const lines: string[] = [];
    const echo = async (req: unknown) => { throw new CsiError('InvalidArgument', `bad request ${JSON.stringify(req)}`); };
    const impl = Object.fromEntries(
      ['createVolume', 'deleteVolume', 'controllerPublishVolume', 'controllerUnpublishVolume', 'validateVolumeCapabilities', 'nodeStageVolume', 'nodePublishVolume', 'nodeExpandVolume'].map((m) => [m, echo]),
    ) as CsiPluginImpl;
    await using env = await serve(impl, (e) => lines.push(JSON.stringify(e)));
    const err = await call(env.client).catch((e: unknown) => e);
    expect(isCsiError(err, 'InvalidArgument')).toBe(true);
    expect((err as Error).message).toContain('[REDACTED]');
    expect(lines.length).toBe(1);
    for (const text of [...lines, (err as Error).message, String((err as Error & { cause?: unknown }).cause)]) expect(text).not.toContain(SECRET);
  });

  it('keeps secret keys and other fields, and does not modify the request', () => {
    const req = { name: 'v', secrets: { password: SECRET }, volumeCapabilities: [{ mount: { mountFlags: ['ro', SECRET] } }], parameters: { a: 'b' } };
    expect(redactCsiRequest(req)).toEqual({ name: 'v', secrets: { password: '[REDACTED]' }, volumeCapabilities: [{ mount: { mountFlags: ['[REDACTED]', '[REDACTED]'] } }], parameters: { a: 'b' } });
    expect(req.secrets.password).toBe(SECRET);
  });
});
