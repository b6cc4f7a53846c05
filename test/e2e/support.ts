// Shared by the end-to-end tests: a cluster on the process runtime, the seed fixtures,
// and the skip rule (the process runtime's namespaces, bind mounts and bridge need root).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeAll, type KubeObject, type Pod, type core } from '@bosun/api';
import { createCluster, type Cluster } from '@bosun/cluster';

/** True when the process runtime can isolate pods (namespaces, mounts, a bridge): root with `unshare`. */
export const canRunProcessPods = process.getuid?.() === 0;

/** Why the suite is skipped, printed once per file. */
export function announceSkip(file: string): void {
  if (!canRunProcessPods) console.warn(`${file}: skipped — the end-to-end tests run pods on the process runtime, which needs root (CI runs them as root)`);
}

/** One seed fixture (test/fixtures/seeds) decoded; the first object unless `index` says otherwise. */
export function seed<T = KubeObject>(file: string, index = 0): T {
  const text = readFileSync(new URL(`../fixtures/seeds/${file}`, import.meta.url), 'utf8');
  return decodeAll(text)[index] as T;
}

/** Quiet logs: the tests assert on behaviour; components' warnings would only be noise. */
const quiet = { warn: () => undefined, error: () => undefined };

/** A fresh host directory for hostPath volumes (files the test and the pod both see). */
export function hostDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `bosun-e2e-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * A process-runtime cluster for one test file. Each file names its own /16 so files
 * running side by side never route the same pod CIDR through two bridges. Short node
 * agent periods keep convergence fast on the real clock.
 */
export function startCluster(clusterCIDR: string, nodes = 2): Promise<Cluster> {
  return createCluster({ nodes, runtime: 'process', clusterCIDR, logger: quiet, nodeAgent: { relistIntervalMs: 200 } });
}

/** Generous wall-clock bound for waiting on pods that start real processes. */
export const WAIT = { timeoutMs: 30_000 };

/** The pod's status of one container (app or init). */
export function containerStatus(pod: Pod, name: string): core.ContainerStatus | undefined {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((c) => c.name === name);
}

/** Polls `fn` until it returns a value that is not undefined (for state outside the API, such as files). */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
