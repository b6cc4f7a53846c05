// Test helpers for the storage controllers: a real API server on a fake clock, a manager
// running the controllers under test, and real hostpath CSI drivers served on unix
// sockets in a temp dir. Not exported from the barrel.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Event, KubeObject, PersistentVolume, PersistentVolumeClaim, StorageClass } from '@bosun/api';
import { createTestEnv, type Client, type Logger, type TestEnv, type TestEnvOptions } from '@bosun/apiserver';
import { createManager, type Manager } from '@bosun/controller-runtime';
import { createCsiClient, serveCsi, type CsiClient, type CsiServerHandle } from '@bosun/csi';
import { createHostPathDriver, type HostPathDriver, type HostPathDriverOptions } from '@bosun/storage-hostpath';
import type { StoredClaim, StoredVolume } from './helpers';

const quiet: Logger = { warn: () => {}, error: () => {} };

/** One hostpath driver instance, served on a unix socket, with a client to it. */
export interface ServedDriver {
  driver: HostPathDriver;
  client: CsiClient;
  server: CsiServerHandle;
  rootDir: string;
}

/** A test env, a started manager and the drivers the test asked for; dispose with `await using`. */
export interface StorageHarness extends AsyncDisposable {
  env: TestEnv;
  client: Client;
  manager: Manager;
  /** Node name → its hostpath driver. */
  drivers: Record<string, ServedDriver>;
  /** Errors the controllers logged. */
  errors: unknown[];
}

/** Options of {@link startStorageHarness}. */
export interface StorageHarnessOptions {
  /** Nodes with a hostpath driver each (created as Node objects too). Default none. */
  driverNodes?: string[];
  /** Options of every driver. */
  driverOptions?: Partial<HostPathDriverOptions>;
  /** Options of the test env (admission plugins). */
  env?: TestEnvOptions;
  /** Registers the controllers under test; gets the served drivers. */
  add(manager: Manager, drivers: Record<string, ServedDriver>, client: Client): void;
}

/** Starts the env, serves the drivers, registers the controllers and starts the manager. */
export async function startStorageHarness(opts: StorageHarnessOptions): Promise<StorageHarness> {
  const env = await createTestEnv(opts.env);
  const dir = mkdtempSync(join(tmpdir(), 'bosun-pv-'));
  const drivers: Record<string, ServedDriver> = {};
  for (const node of opts.driverNodes ?? []) {
    const rootDir = join(dir, node);
    const driver = createHostPathDriver({ nodeId: node, rootDir, publishMode: 'symlink', ...opts.driverOptions });
    const server = await serveCsi(driver, { socketPath: join(dir, `${node}.sock`), name: 'hostpath' });
    drivers[node] = { driver, client: createCsiClient(server.endpoint, { deadlineMs: 10_000 }), server, rootDir };
  }
  const errors: unknown[] = [];
  const manager = createManager({ client: env.client, clock: env.clock, logger: { ...quiet, error: (m, ...a) => errors.push([m, ...a]) } });
  opts.add(manager, drivers, env.client);
  await manager.start();
  return {
    env,
    client: env.client,
    manager,
    drivers,
    errors,
    async [Symbol.asyncDispose]() {
      await manager.stop();
      await env.stop();
      for (const d of Object.values(drivers)) {
        d.client.close();
        await d.server.close();
      }
      rmSync(dir, { recursive: true, force: true });
      if (errors.length) throw new Error(`controllers logged errors: ${errors.map((e) => String((e as unknown[])[0])).join('; ')}`);
    },
  };
}

/**
 * Waits until `cond` holds: event-loop turns, and now and then a step of the fake clock
 * (so rate-limited requeues after a Conflict or a driver failure come due). Asserts
 * nothing about time.
 */
export async function until(env: TestEnv, cond: () => boolean | Promise<boolean>, what = 'condition', turns = 4000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (await cond()) return;
    await new Promise<void>((r) => setImmediate(r));
    if (i % 50 === 49) await env.clock.advance(1000);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Lets promise chains, watches and queued work run (no clock time passes). */
export async function settle(rounds = 100): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** A hostPath PersistentVolume. */
export function pv(name: string, size: string, spec: Partial<NonNullable<PersistentVolume['spec']>> = {}, labels?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, labels },
    spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], hostPath: { path: `/tmp/${name}` }, storageClassName: '', ...spec },
  };
}

/** A PersistentVolumeClaim in `default`. */
export function pvc(name: string, size: string, spec: Partial<NonNullable<PersistentVolumeClaim['spec']>> = {}, annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'default', annotations },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, storageClassName: '', ...spec },
  };
}

/** A StorageClass. */
export function storageClass(name: string, provisioner: string, extra: Partial<StorageClass> = {}): KubeObject {
  return { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner, ...extra } as KubeObject;
}

/** The claim `default/name`. */
export const getClaim = (client: Client, name: string): Promise<StoredClaim> => client.get('v1', 'PersistentVolumeClaim', 'default', name);
/** The volume `name`. */
export const getVolume = (client: Client, name: string): Promise<StoredVolume> => client.get('v1', 'PersistentVolume', '', name);

/** The volume `name`, or undefined once deleted. */
export async function findVolume(client: Client, name: string): Promise<PersistentVolume | undefined> {
  return (await client.list('v1', 'PersistentVolume')).items.find((v) => v.metadata?.name === name);
}

/** The claim's phase; undefined while the claim does not exist. */
export async function claimPhase(client: Client, name: string): Promise<string | undefined> {
  const c = (await client.list('v1', 'PersistentVolumeClaim', { namespace: 'default' })).items.find((x) => x.metadata?.name === name);
  return c?.status?.phase;
}

/** The volume's phase. */
export async function volumePhase(client: Client, name: string): Promise<string | undefined> {
  return (await getVolume(client, name)).status?.phase;
}

/** Events with this reason (all when omitted) about the object named `about`, across `default`. */
export async function eventsFor(client: Client, about: string, reason?: string): Promise<Event[]> {
  const items = (await client.list('v1', 'Event', { namespace: 'default' })).items;
  return items.filter((e) => e.involvedObject?.name === about && (!reason || e.reason === reason));
}

/** The text of a seed fixture (test/fixtures/seeds). */
export function seed(file: string): string {
  return readFileSync(fileURLToPath(new URL(`../../../../test/fixtures/seeds/${file}`, import.meta.url)), 'utf8');
}
