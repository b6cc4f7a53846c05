import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCsiClient, type CsiClient } from './client';
import { isCsiError, type CsiErrorCode } from './errors';
import type { AccessModeName, ControllerCapabilityName, CsiInput, NodeCapabilityName, PluginCapability, VolumeCapability } from './types';

/** What a plugin under test provides to {@link describeCsiConformance}. */
export interface CsiConformanceTarget {
  /** CSI endpoint, e.g. `unix:///tmp/x/csi.sock`. */
  endpoint: string;
  /** Stops the plugin and removes what setup created (including mounts left behind). */
  teardown(): Promise<void>;
  /** Size the suite asks for. Default 1 MiB. */
  volumeSizeBytes?: number;
  /** Parameters passed to CreateVolume. Default none. */
  parameters?: Record<string, string>;
  /**
   * Whether the plugin enforces readonly publishing. When false (e.g. a mode that
   * cannot make a read-only view) the suite expects readonly publishes to be refused
   * with FAILED_PRECONDITION rather than silently writable. Default true.
   */
  readonlyPublish?: boolean;
  /** Per-call deadline of the suite's client. Default 10 000 ms. */
  deadlineMs?: number;
}

const MiB = 1024 * 1024;
const mountCap = (mode: AccessModeName = 'SINGLE_NODE_WRITER'): CsiInput<VolumeCapability> => ({ mount: {}, accessMode: { mode } });

async function code(p: Promise<unknown>): Promise<CsiErrorCode | 'OK'> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    if (isCsiError(err)) return err.code;
    throw err;
  }
}

/**
 * The CSI conformance suite (a small, Bosun-sized csi-sanity): plugin info and
 * capabilities, Probe, CreateVolume validation, idempotence, ALREADY_EXISTS and capacity
 * ranges, DeleteVolume idempotence, ValidateVolumeCapabilities, ControllerPublish when
 * advertised, NodeStage/NodePublish with upstream idempotence (including unpublishing
 * what was never published) under a fresh temp dir, readonly publishing, NodeGetInfo and
 * topology. Every CSI plugin in this repository runs it; third-party plugins can too:
 * `describeCsiConformance('my driver', async () => ({ endpoint, teardown }))`.
 * Needs vitest (it registers `describe`/`it` blocks).
 */
export function describeCsiConformance(name: string, setup: () => Promise<CsiConformanceTarget>): void {
  describe(`CSI conformance: ${name}`, () => {
    let target: CsiConformanceTarget;
    let csi: CsiClient;
    let dir: string;
    let pluginCaps: PluginCapability[] = [];
    let controllerCaps: ControllerCapabilityName[] = [];
    let nodeCaps: NodeCapabilityName[] = [];
    const run = randomUUID().slice(0, 8);
    let seq = 0;
    const created: string[] = [];
    const size = () => target.volumeSizeBytes ?? MiB;
    const hasController = () => pluginCaps.some((c) => c.service?.type === 'CONTROLLER_SERVICE');
    const topologyConstrained = () => pluginCaps.some((c) => c.service?.type === 'VOLUME_ACCESSIBILITY_CONSTRAINTS');
    const staging = () => nodeCaps.includes('STAGE_UNSTAGE_VOLUME');

    beforeAll(async () => {
      target = await setup();
      csi = createCsiClient(target.endpoint, { deadlineMs: target.deadlineMs ?? 10_000 });
      dir = mkdtempSync(join(tmpdir(), 'bosun-csi-conformance-'));
      pluginCaps = await csi.identity.getPluginCapabilities();
      controllerCaps = hasController() ? await csi.controller.getCapabilities() : [];
      nodeCaps = await csi.node.getCapabilities();
    }, 60_000);

    afterAll(async () => {
      for (const id of created) await csi.controller.deleteVolume(id).catch(() => undefined);
      csi?.close();
      await target?.teardown();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const create = async (extra: Record<string, unknown> = {}) => {
      const v = await csi.controller.createVolume({
        name: `conf-${run}-${++seq}`,
        capacityRange: { requiredBytes: size() },
        volumeCapabilities: [mountCap()],
        parameters: target.parameters ?? {},
        ...extra,
      });
      created.push(v.volumeId);
      return v;
    };

    describe('Identity', () => {
      it('names itself in domain notation (63 characters at most) with a vendor version', async () => {
        const info = await csi.identity.getPluginInfo();
        expect(info.name.length).toBeLessThanOrEqual(63);
        expect(info.name).toMatch(/^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/);
        expect(info.vendorVersion).not.toBe('');
      });

      it('lists only known plugin capabilities', () => {
        for (const c of pluginCaps) {
          if (c.service) expect(['CONTROLLER_SERVICE', 'VOLUME_ACCESSIBILITY_CONSTRAINTS']).toContain(c.service.type);
        }
      });

      it('answers Probe with ready', async () => {
        expect(await csi.identity.probe()).toBe(true);
      });
    });

    describe('Controller', () => {
      it.for<[string, Record<string, unknown>]>([
        ['without a name', { name: '', volumeCapabilities: [mountCap()] }],
        ['without volume capabilities', { name: `conf-${run}-nocaps`, volumeCapabilities: [] }],
        ['with a capability without access mode', { name: `conf-${run}-nomode`, volumeCapabilities: [{ mount: {} }] }],
      ])('refuses CreateVolume %s with INVALID_ARGUMENT', async ([, req], { skip }) => {
        if (!controllerCaps.includes('CREATE_DELETE_VOLUME')) skip();
        expect(await code(csi.controller.createVolume(req))).toBe('InvalidArgument');
      });

      it('creates a volume whose capacity honours the requested range', async ({ skip }) => {
        if (!controllerCaps.includes('CREATE_DELETE_VOLUME')) skip();
        const v = await create({ capacityRange: { requiredBytes: size(), limitBytes: 2 * size() } });
        expect(v.volumeId).not.toBe('');
        if (v.capacityBytes !== 0) {
          expect(v.capacityBytes).toBeGreaterThanOrEqual(size());
          expect(v.capacityBytes).toBeLessThanOrEqual(2 * size());
        }
      });

      it('returns the same volume for the same name and parameters (idempotent)', async ({ skip }) => {
        if (!controllerCaps.includes('CREATE_DELETE_VOLUME')) skip();
        const req = { name: `conf-${run}-idem`, capacityRange: { requiredBytes: size() }, volumeCapabilities: [mountCap()], parameters: target.parameters ?? {} };
        const a = await csi.controller.createVolume(req);
        created.push(a.volumeId);
        const b = await csi.controller.createVolume(req);
        expect(b.volumeId).toBe(a.volumeId);
        expect(b.capacityBytes).toBe(a.capacityBytes);
      });

      it('answers ALREADY_EXISTS for the same name with an incompatible capacity', async ({ skip }) => {
        if (!controllerCaps.includes('CREATE_DELETE_VOLUME')) skip();
        const name = `conf-${run}-clash`;
        const a = await csi.controller.createVolume({ name, capacityRange: { requiredBytes: size(), limitBytes: size() }, volumeCapabilities: [mountCap()], parameters: target.parameters ?? {} });
        created.push(a.volumeId);
        const other = csi.controller.createVolume({ name, capacityRange: { requiredBytes: 2 * size(), limitBytes: 2 * size() }, volumeCapabilities: [mountCap()], parameters: target.parameters ?? {} });
        expect(await code(other)).toBe('AlreadyExists');
      });

      it('refuses a capacity it cannot provide with OUT_OF_RANGE (or RESOURCE_EXHAUSTED)', async ({ skip }) => {
        if (!controllerCaps.includes('CREATE_DELETE_VOLUME')) skip();
        const huge = csi.controller.createVolume({ name: `conf-${run}-huge`, capacityRange: { requiredBytes: 2 ** 52 }, volumeCapabilities: [mountCap()] });
        expect(['OutOfRange', 'ResourceExhausted']).toContain(await code(huge));
      });

      it.for<[string, string, CsiErrorCode | 'OK']>([
        ['an empty id', '', 'InvalidArgument'],
        ['an unknown id', 'bosun-conformance-no-such-volume', 'OK'],
      ])('answers DeleteVolume of %s with %s', async ([, volumeId, expected], { skip }) => {
        if (!controllerCaps.includes('CREATE_DELETE_VOLUME')) skip();
        expect(await code(csi.controller.deleteVolume(volumeId))).toBe(expected);
      });

      it('deletes a volume, and deleting it again succeeds', async ({ skip }) => {
        if (!controllerCaps.includes('CREATE_DELETE_VOLUME')) skip();
        const v = await create();
        await csi.controller.deleteVolume(v.volumeId);
        await csi.controller.deleteVolume(v.volumeId);
        expect(await code(csi.controller.validateVolumeCapabilities({ volumeId: v.volumeId, volumeCapabilities: [mountCap()] }))).toBe('NotFound');
      });

      it.for<[string, (id: string) => Record<string, unknown>, CsiErrorCode]>([
        ['without a volume id', () => ({ volumeId: '', volumeCapabilities: [mountCap()] }), 'InvalidArgument'],
        ['without capabilities', (id) => ({ volumeId: id, volumeCapabilities: [] }), 'InvalidArgument'],
        ['for an unknown volume', () => ({ volumeId: 'bosun-conformance-no-such-volume', volumeCapabilities: [mountCap()] }), 'NotFound'],
      ])('refuses ValidateVolumeCapabilities %s', async ([, req, expected], { skip }) => {
        if (!controllerCaps.includes('CREATE_DELETE_VOLUME')) skip();
        const v = await create();
        expect(await code(csi.controller.validateVolumeCapabilities(req(v.volumeId)))).toBe(expected);
      });

      it('confirms the capabilities a volume was created with', async ({ skip }) => {
        if (!controllerCaps.includes('CREATE_DELETE_VOLUME')) skip();
        const v = await create();
        const res = await csi.controller.validateVolumeCapabilities({ volumeId: v.volumeId, volumeContext: v.volumeContext, volumeCapabilities: [mountCap()] });
        expect(res.confirmed?.volumeCapabilities[0]?.accessMode?.mode).toBe('SINGLE_NODE_WRITER');
      });

      it('publishes to and unpublishes from the node, idempotently, when PUBLISH_UNPUBLISH_VOLUME is advertised', async ({ skip }) => {
        if (!controllerCaps.includes('PUBLISH_UNPUBLISH_VOLUME')) skip();
        const v = await create();
        const { nodeId } = await csi.node.getInfo();
        const req = { volumeId: v.volumeId, nodeId, volumeCapability: mountCap(), volumeContext: v.volumeContext };
        const a = await csi.controller.publishVolume(req);
        expect(await csi.controller.publishVolume(req)).toEqual(a);
        await csi.controller.unpublishVolume(v.volumeId, nodeId);
        await csi.controller.unpublishVolume(v.volumeId, nodeId);
      });
    });

    describe('Node', () => {
      it('names the node and, when topology-constrained, its topology', async () => {
        const info = await csi.node.getInfo();
        expect(info.nodeId).not.toBe('');
        if (topologyConstrained()) expect(Object.keys(info.accessibleTopology?.segments ?? {}).length).toBeGreaterThan(0);
      });

      it('creates volumes reachable from this node when topology-constrained', async ({ skip }) => {
        if (!topologyConstrained() || !controllerCaps.includes('CREATE_DELETE_VOLUME')) skip();
        const v = await create();
        const info = await csi.node.getInfo();
        expect(v.accessibleTopology).toContainEqual(info.accessibleTopology);
      });

      it.each<[string, Record<string, unknown>]>([
        ['without a volume id', { volumeId: '', targetPath: '/tmp/x', volumeCapability: mountCap() }],
        ['without a target path', { volumeId: 'v', targetPath: '', volumeCapability: mountCap() }],
        ['without a volume capability', { volumeId: 'v', targetPath: '/tmp/x' }],
      ])('refuses NodePublishVolume %s with INVALID_ARGUMENT', async (_label, req) => {
        expect(await code(csi.node.publishVolume(req))).toBe('InvalidArgument');
      });

      it.each<[string, string, string]>([
        ['without a volume id', '', '/tmp/x'],
        ['without a target path', 'v', ''],
      ])('refuses NodeUnpublishVolume %s with INVALID_ARGUMENT', async (_label, volumeId, targetPath) => {
        expect(await code(csi.node.unpublishVolume(volumeId, targetPath))).toBe('InvalidArgument');
      });

      it('succeeds unpublishing a volume that was never published', async () => {
        await csi.node.unpublishVolume('bosun-conformance-no-such-volume', join(dir, `never-${++seq}`));
      });

      it('stages, publishes, shares data through the target, and tears down idempotently', async ({ skip }) => {
        if (!controllerCaps.includes('CREATE_DELETE_VOLUME')) skip();
        const v = await create();
        const stagingTargetPath = join(dir, `staging-${seq}`);
        const targetPath = join(dir, `target-${seq}`);
        const second = join(dir, `target-${seq}-b`);
        if (staging()) {
          const stage = { volumeId: v.volumeId, stagingTargetPath, volumeCapability: mountCap(), volumeContext: v.volumeContext };
          await csi.node.stageVolume(stage);
          await csi.node.stageVolume(stage);
        }
        const publish = { volumeId: v.volumeId, targetPath, stagingTargetPath: staging() ? stagingTargetPath : '', volumeCapability: mountCap(), volumeContext: v.volumeContext };
        try {
          await csi.node.publishVolume(publish);
          await csi.node.publishVolume(publish);
          writeFileSync(join(targetPath, 'hello.txt'), run);
          await csi.node.publishVolume({ ...publish, targetPath: second });
          expect(readFileSync(join(second, 'hello.txt'), 'utf8')).toBe(run);
        } finally {
          await csi.node.unpublishVolume(v.volumeId, second);
          await csi.node.unpublishVolume(v.volumeId, targetPath);
        }
        await csi.node.unpublishVolume(v.volumeId, targetPath);
        expect(existsSync(join(targetPath, 'hello.txt'))).toBe(false);
        if (staging()) {
          await csi.node.unstageVolume(v.volumeId, stagingTargetPath);
          await csi.node.unstageVolume(v.volumeId, stagingTargetPath);
        }
      });

      it('publishes readonly so that writes through the target fail', async ({ skip }) => {
        if (!controllerCaps.includes('CREATE_DELETE_VOLUME')) skip();
        const v = await create();
        const stagingTargetPath = join(dir, `staging-ro-${seq}`);
        const targetPath = join(dir, `target-ro-${seq}`);
        if (staging()) await csi.node.stageVolume({ volumeId: v.volumeId, stagingTargetPath, volumeCapability: mountCap() });
        const publish = { volumeId: v.volumeId, targetPath, stagingTargetPath: staging() ? stagingTargetPath : '', volumeCapability: mountCap(), readonly: true };
        try {
          if (target.readonlyPublish === false) {
            expect(await code(csi.node.publishVolume(publish))).toBe('FailedPrecondition');
            return;
          }
          await csi.node.publishVolume(publish);
          await csi.node.publishVolume(publish);
          expect(() => writeFileSync(join(targetPath, 'nope.txt'), 'x')).toThrow(/EROFS|EACCES|EPERM/);
        } finally {
          await csi.node.unpublishVolume(v.volumeId, targetPath);
          if (staging()) await csi.node.unstageVolume(v.volumeId, stagingTargetPath);
        }
      });

      it('answers NodeStageVolume with INVALID_ARGUMENT without a staging path, when STAGE_UNSTAGE_VOLUME is advertised', async ({ skip }) => {
        if (!staging()) skip();
        expect(await code(csi.node.stageVolume({ volumeId: 'v', stagingTargetPath: '', volumeCapability: mountCap() }))).toBe('InvalidArgument');
      });
    });
  });
}
