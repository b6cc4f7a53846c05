// Test helpers for the batch-folder controllers: a real API server on a fake clock with
// a manager running the controllers under test, and kwok-style pod status fakes.
// Not exported from the barrel.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isConflict, type Event, type KubeObject, type Pod } from '@bosun/api';
import { createTestEnv, type AdmissionConfig, type AdmissionDecision, type Client, type Logger, type TestEnv, type TestEnvOptions } from '@bosun/apiserver';
import { createManager, type Manager } from '@bosun/controller-runtime';

const quiet: Logger = { warn: () => {}, error: () => {} };

/** A test env with a started manager; dispose with `await using`. */
export interface Harness extends AsyncDisposable {
  env: TestEnv;
  client: Client;
  clock: TestEnv['clock'];
  manager: Manager;
  /** Errors the controllers logged (a test can assert there were none). */
  errors: unknown[];
}

/** Starts a test env (with `envOpts`, e.g. admission plugins) and a manager with the controllers `add` registers. */
export async function startHarness(add: (m: Manager) => void, envOpts: TestEnvOptions = {}): Promise<Harness> {
  const env = await createTestEnv(envOpts);
  const errors: unknown[] = [];
  const manager = createManager({ client: env.client, clock: env.clock, logger: { ...quiet, error: (m, ...a) => errors.push([m, ...a]) } });
  add(manager);
  await manager.start();
  return {
    env,
    client: env.client,
    clock: env.clock,
    manager,
    errors,
    async [Symbol.asyncDispose]() {
      await manager.stop();
      await env.stop();
      // A reconcile that threw is a bug these tests should see, even when they converged.
      if (errors.length) throw new Error(`controllers logged errors: ${errors.map((e) => String((e as unknown[])[0])).join('; ')}`);
    },
  };
}

/** Lets promise chains and in-process watches run. */
export async function settle(rounds = 50): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/**
 * Waits (real event-loop turns, never clock time) until `cond` holds. The controllers
 * yield to the event loop after 5 ms of continuous work (see `EVENT_LOOP_BUDGET_MS`), so
 * on a loaded machine the same work takes more turns: the bound is generous.
 */
export async function until(cond: () => boolean | Promise<boolean>, what = 'condition', turns = 20_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (await cond()) return;
    await new Promise<void>((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The seed fixture's text. */
export function seed(file: string): string {
  return readFileSync(fileURLToPath(new URL(`../../../../test/fixtures/seeds/${file}`, import.meta.url)), 'utf8');
}

/** Pods in `namespace`, optionally only those whose labels match `labelSelector`. */
export async function listPods(client: Client, labelSelector?: string, namespace = 'default'): Promise<Pod[]> {
  return (await client.list('v1', 'Pod', { namespace, labelSelector })).items;
}

/** Events with this reason (all reasons when omitted), oldest first. */
export async function events(client: Client, reason?: string, namespace = 'default'): Promise<Event[]> {
  const items = (await client.list('v1', 'Event', { namespace })).items;
  return items.filter((e) => !reason || e.reason === reason);
}

/** What {@link setPodStatus} fakes. */
export interface FakePodStatus {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  ready?: boolean;
  restartCount?: number;
  podIP?: string;
}

/**
 * Sets a pod's status the way a node agent would (kwok style): phase, the Ready
 * condition, a restart count and a pod IP. Retries on conflict.
 */
export async function setPodStatus(client: Client, pod: Pod | string, s: FakePodStatus, namespace = 'default'): Promise<Pod> {
  const name = typeof pod === 'string' ? pod : (pod.metadata?.name ?? '');
  const ns = typeof pod === 'string' ? namespace : (pod.metadata?.namespace ?? namespace);
  for (let attempt = 0; ; attempt++) {
    const cur = await client.get('v1', 'Pod', ns, name);
    const phase = s.phase ?? cur.status?.phase ?? 'Running';
    const ready = s.ready ?? (phase === 'Running');
    const status = {
      ...cur.status,
      phase,
      podIP: s.podIP ?? cur.status?.podIP,
      podIPs: (s.podIP ?? cur.status?.podIP) ? [{ ip: s.podIP ?? cur.status?.podIP ?? '' }] : undefined,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: (cur.spec?.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        ready,
        restartCount: s.restartCount ?? 0,
        state: phase === 'Running' ? { running: {} } : phase === 'Pending' ? { waiting: {} } : { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1 } },
      })),
    };
    try {
      return await client.updateStatus({ ...cur, status } as Pod);
    } catch (e) {
      if (!isConflict(e) || attempt > 5) throw e;
    }
  }
}

/** A plain Node object. */
export function node(name: string, labels: Record<string, string> = {}, taints: { key: string; value?: string; effect: string }[] = []): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: { taints: taints.length ? taints : undefined } };
}

/** A refusal the admission chain can give pod creations, as {@link podCreateRefusal} builds it. */
export interface PodCreateRefusal {
  /** The admission config to give {@link startHarness}. */
  admission: AdmissionConfig;
  /** Refuse pod creations from now on (`true`) or let them through (`false`). */
  refuse(on: boolean): void;
}

/**
 * A validating admission plugin that refuses pod creations while switched on: as a
 * quota does (403 Forbidden, `exceeded quota: …`) or as an invalid pod is (422 Invalid
 * with a field cause). Starts switched on.
 */
export function podCreateRefusal(kind: 'quota' | 'invalid'): PodCreateRefusal {
  let on = true;
  return {
    refuse: (v) => {
      on = v;
    },
    admission: {
      validating: [
        {
          name: kind === 'quota' ? 'FakeQuota' : 'FakePodPolicy',
          handles: (op, k) => op === 'CREATE' && k.kind === 'Pod',
          validate: (): AdmissionDecision | undefined => {
            if (!on) return undefined;
            if (kind === 'quota') return { allowed: false, message: 'exceeded quota: compute-resources, requested: pods=1, used: pods=0, limited: pods=0' };
            return { allowed: false, causes: [{ reason: 'FieldValueRequired', field: 'spec.containers[0].image', message: 'Required value' }] };
          },
        },
      ],
    },
  };
}
