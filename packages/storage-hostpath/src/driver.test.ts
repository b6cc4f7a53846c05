import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isCsiError, type CreateVolumeRequest, type CsiErrorCode, type CsiInput } from '@bosun/csi';
import { createHostPathDriver, HOSTPATH_TOPOLOGY_KEY, type HostPathDriver, type HostPathDriverOptions, type HostPathLogEntry } from './driver';

const MiB = 1024 * 1024;
const dirs: string[] = [];
const drivers: HostPathDriver[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.cleanup();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(extra: Partial<HostPathDriverOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-hostpath-unit-'));
  dirs.push(dir);
  const opts = { nodeId: 'node-1', rootDir: join(dir, 'root'), capacityBytes: 10 * MiB, publishMode: 'symlink' as const, ...extra };
  const driver = createHostPathDriver(opts);
  drivers.push(driver);
  return { dir, driver, opts };
}

const cap = (mode = 'SINGLE_NODE_WRITER') => ({ mount: { fsType: '', mountFlags: [], volumeMountGroup: '' }, block: null, accessMode: { mode } }) as any;
const req = (name: string, requiredBytes: number, limitBytes = 0, extra: Partial<CreateVolumeRequest> = {}): CreateVolumeRequest => ({
  name,
  capacityRange: { requiredBytes, limitBytes },
  volumeCapabilities: [cap()],
  parameters: {},
  secrets: {},
  volumeContentSource: null,
  accessibilityRequirements: null,
  ...extra,
});
async function code(p: unknown): Promise<CsiErrorCode | 'OK'> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    if (isCsiError(err)) return err.code;
    throw err;
  }
}
const create = async (d: HostPathDriver, r: CreateVolumeRequest) => (await d.createVolume!(r)) as { volume: { volumeId: string; capacityBytes: number; accessibleTopology: unknown[] } };

describe('capacity accounting', () => {
  it.each<[string, [number, number][], CsiErrorCode | 'OK', number]>([
    ['fills the pool exactly', [[4 * MiB, 0], [6 * MiB, 0]], 'OK', 10 * MiB],
    ['refuses a volume that no longer fits with RESOURCE_EXHAUSTED', [[6 * MiB, 0], [6 * MiB, 0]], 'ResourceExhausted', 6 * MiB],
    ['refuses a volume larger than the pool with OUT_OF_RANGE', [[11 * MiB, 0]], 'OutOfRange', 0],
    ['refuses required above limit with OUT_OF_RANGE', [[2 * MiB, 1 * MiB]], 'OutOfRange', 0],
    ['sizes a limit-only request at the limit', [[0, 3 * MiB]], 'OK', 3 * MiB],
  ])('%s', async (_name, requests, last, usedAfter) => {
    const { driver } = setup();
    let result: CsiErrorCode | 'OK' = 'OK';
    for (const [i, [r, l]] of requests.entries()) result = await code(create(driver, req(`v${i}`, r, l)));
    expect(result).toBe(last);
    expect(driver.usedBytes()).toBe(usedAfter);
  });

  it('gives capacity back on DeleteVolume and reports it through GetCapacity', async () => {
    const { driver } = setup();
    const { volume } = await create(driver, req('a', 7 * MiB));
    expect(((await driver.getCapacity!({} as any)) as any).availableCapacity).toBe(3 * MiB);
    await driver.deleteVolume!({ volumeId: volume.volumeId, secrets: {} });
    expect(((await driver.getCapacity!({} as any)) as any).availableCapacity).toBe(10 * MiB);
  });
});

describe('CreateVolume', () => {
  it.each<[string, CsiErrorCode | 'OK', CsiInput<CreateVolumeRequest>]>([
    ['single node writer', 'OK', req('a', MiB)],
    ['single node reader only', 'OK', req('a', MiB, 0, { volumeCapabilities: [cap('SINGLE_NODE_READER_ONLY')] })],
    ['multi node reader only', 'InvalidArgument', req('a', MiB, 0, { volumeCapabilities: [cap('MULTI_NODE_READER_ONLY')] })],
    ['multi node multi writer', 'InvalidArgument', req('a', MiB, 0, { volumeCapabilities: [cap('MULTI_NODE_MULTI_WRITER')] })],
    ['block access', 'InvalidArgument', req('a', MiB, 0, { volumeCapabilities: [{ block: {}, mount: null, accessMode: { mode: 'SINGLE_NODE_WRITER' } }] })],
    ['a requisite topology naming another node', 'ResourceExhausted', req('a', MiB, 0, { accessibilityRequirements: { requisite: [{ segments: { [HOSTPATH_TOPOLOGY_KEY]: 'node-2' } }], preferred: [] } })],
    ['a requisite topology naming this node', 'OK', req('a', MiB, 0, { accessibilityRequirements: { requisite: [{ segments: { [HOSTPATH_TOPOLOGY_KEY]: 'node-1' } }], preferred: [] } })],
  ])('with %s answers %s', async (_name, expected, r) => {
    const { driver } = setup();
    expect(await code(driver.createVolume!(r as CreateVolumeRequest))).toBe(expected);
  });

  it('puts each volume in its own directory and advertises this node as its topology', async () => {
    const { driver, opts } = setup();
    const { volume } = await create(driver, req('a', MiB));
    expect(lstatSync(join(opts.rootDir, 'volumes', volume.volumeId)).isDirectory()).toBe(true);
    expect(volume.accessibleTopology).toEqual([{ segments: { [HOSTPATH_TOPOLOGY_KEY]: 'node-1' } }]);
  });

  it('is idempotent for the same name and parameters, and ALREADY_EXISTS for other parameters', async () => {
    const { driver } = setup();
    const a = await create(driver, req('a', MiB, 0, { parameters: { tier: 'x' } }));
    const b = await create(driver, req('a', MiB, 0, { parameters: { tier: 'x' } }));
    expect(b.volume.volumeId).toBe(a.volume.volumeId);
    expect(driver.usedBytes()).toBe(MiB);
    expect(await code(create(driver, req('a', MiB, 0, { parameters: { tier: 'y' } })))).toBe('AlreadyExists');
  });

  it('answers ABORTED while an operation for the same volume is pending', async () => {
    const { driver, dir } = setup();
    const { volume } = await create(driver, req('a', MiB));
    const first = driver.nodePublishVolume!({ volumeId: volume.volumeId, targetPath: join(dir, 't1'), volumeCapability: cap(), readonly: false } as any);
    const second = driver.nodePublishVolume!({ volumeId: volume.volumeId, targetPath: join(dir, 't2'), volumeCapability: cap(), readonly: false } as any);
    expect(await code(second)).toBe('Aborted');
    expect(await code(first)).toBe('OK');
  });
});

describe('restart persistence', () => {
  it('keeps volumes, capacity accounting and publications across a restart', async () => {
    const { driver, dir, opts } = setup();
    const { volume } = await create(driver, req('a', 4 * MiB));
    const target = join(dir, 'target');
    await driver.nodePublishVolume!({ volumeId: volume.volumeId, targetPath: target, volumeCapability: cap(), readonly: false } as any);
    writeFileSync(join(target, 'data'), 'kept');

    const restarted = createHostPathDriver(opts);
    drivers.push(restarted);
    expect(restarted.usedBytes()).toBe(4 * MiB);
    expect((await create(restarted, req('a', 4 * MiB))).volume.volumeId).toBe(volume.volumeId);
    expect(restarted.publications()).toEqual([{ volumeId: volume.volumeId, path: target, kind: 'publish', mode: 'symlink', readonly: false }]);
    expect(await code(restarted.deleteVolume!({ volumeId: volume.volumeId, secrets: {} }))).toBe('FailedPrecondition');
    await restarted.nodeUnpublishVolume!({ volumeId: volume.volumeId, targetPath: target });
    expect(existsSync(target)).toBe(false);
    expect(readFileSync(join(opts.rootDir, 'volumes', volume.volumeId, 'data'), 'utf8')).toBe('kept');
    await restarted.deleteVolume!({ volumeId: volume.volumeId, secrets: {} });
    expect(JSON.parse(readFileSync(join(opts.rootDir, 'state.json'), 'utf8')).volumes).toEqual({});
  });
});

type ModeCase = [string, HostPathDriverOptions['publishMode'], 'bind' | 'symlink'];
const modeCases: ModeCase[] = [['symlink mode publishes a symlink', 'symlink', 'symlink']];
if (process.getuid?.() === 0) modeCases.push(['bind mode publishes a bind mount', 'bind', 'bind'], ['auto mode prefers a bind mount as root', 'auto', 'bind']);

describe('NodePublishVolume modes', () => {
  it.each<ModeCase>(modeCases)('%s and logs the mode', async (_name, publishMode, expected) => {
    const log: HostPathLogEntry[] = [];
    const { driver, dir } = setup({ publishMode, log: (e) => log.push(e) });
    const { volume } = await create(driver, req('a', MiB));
    const targetPath = join(dir, 'pods', 'p1', 'vol');
    await driver.nodePublishVolume!({ volumeId: volume.volumeId, targetPath, volumeCapability: cap(), readonly: false } as any);
    expect(driver.publications()[0]?.mode).toBe(expected);
    expect(log).toContainEqual(expect.objectContaining({ msg: 'published', mode: expected, path: targetPath }));
    expect(lstatSync(targetPath).isSymbolicLink()).toBe(expected === 'symlink');
    await driver.nodeUnpublishVolume!({ volumeId: volume.volumeId, targetPath });
    expect(existsSync(targetPath)).toBe(false);
  });

  it('refuses to reuse a target path for another volume with ALREADY_EXISTS', async () => {
    const { driver, dir } = setup();
    const a = await create(driver, req('a', MiB));
    const b = await create(driver, req('b', MiB));
    const targetPath = join(dir, 't');
    await driver.nodePublishVolume!({ volumeId: a.volume.volumeId, targetPath, volumeCapability: cap(), readonly: false } as any);
    expect(await code(driver.nodePublishVolume!({ volumeId: b.volume.volumeId, targetPath, volumeCapability: cap(), readonly: false } as any))).toBe('AlreadyExists');
  });
});
