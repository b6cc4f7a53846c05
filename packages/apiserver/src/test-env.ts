import { FakeClock, createScheme, type Scheme } from '@bosun/api';
import { createMemoryStore, type MemoryStoreOptions, type ObjectStore } from '@bosun/store';
import type { AdmissionConfig } from './admission';
import type { Client } from './client';
import { createEventRecorder, type EventRecorder } from './events';
import { createClient } from './in-process-client';
import { createApiServer, type ApiServer, type Logger } from './server';

/** Options of {@link createTestEnv}. */
export interface TestEnvOptions {
  /** The clock, or its start time; `new FakeClock('2026-01-01T00:00:00Z')` by default. */
  clock?: FakeClock | string | number | Date;
  /** A scheme with custom kinds registered; `createScheme()` by default. */
  scheme?: Scheme;
  admission?: AdmissionConfig;
  /** Options of the memory store the env creates (history size, watch buffer). */
  storeOptions?: MemoryStoreOptions;
  /** Random source for generated names (inject to force collisions). */
  random?: () => number;
  watchBookmarkIntervalMs?: number;
  logger?: Logger;
}

/** A real in-memory API server for tests; see {@link createTestEnv}. */
export interface TestEnv extends AsyncDisposable {
  server: ApiServer;
  client: Client;
  store: ObjectStore;
  scheme: Scheme;
  /** Moves only on `await clock.advance(ms)`: grace periods, bookmarks and timestamps follow it. */
  clock: FakeClock;
  /** An event recorder for `component` on this env's client and clock. */
  recorder(component: string, host?: string): EventRecorder;
  /** Stops the server and closes the store. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A fresh API server over a fresh memory store, with a fake clock:
 *
 * ```ts
 * await using env = await createTestEnv();
 * await env.client.create(pod);
 * await env.clock.advance(30_000);
 * ```
 *
 * Everything stops when the `await using` block ends (or on `await env.stop()`).
 */
export async function createTestEnv(opts: TestEnvOptions = {}): Promise<TestEnv> {
  const clock = opts.clock instanceof FakeClock ? opts.clock : new FakeClock(opts.clock ?? '2026-01-01T00:00:00Z');
  const scheme = opts.scheme ?? createScheme();
  const store = createMemoryStore({ clock, ...opts.storeOptions });
  const server = await createApiServer({
    store,
    scheme,
    clock,
    admission: opts.admission,
    random: opts.random,
    watchBookmarkIntervalMs: opts.watchBookmarkIntervalMs,
    logger: opts.logger,
  });
  const client = createClient(server);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await server.stop();
      await store.close();
    })());
  return {
    server,
    client,
    store,
    scheme,
    clock,
    recorder: (component, host) => createEventRecorder(client, { component, host }, clock),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
