import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCriClient, type CriClient } from './client';
import { isCriError } from './errors';
import type { ContainerConfig, CriInput, PodSandboxConfig } from './types';

/** What a runtime under test provides to {@link describeCriConformance}. */
export interface CriConformanceTarget {
  /** CRI endpoint, e.g. `unix:///tmp/x/cri.sock`. */
  endpoint: string;
  /** Stops the runtime and removes what setup created. */
  teardown(): Promise<void>;
  /** An image present or pullable, with `sh`, `sleep` and `echo`. Default `busybox:1.36`. */
  image?: string;
  /** A reference that cannot be pulled. Default `registry.invalid/bosun/does-not-exist:0`. */
  missingImage?: string;
  /**
   * Annotations added to the containers that run the suite's scripts, for simulated
   * runtimes that do not run commands: `ignoreSigterm` for the container running
   * `sh -c "trap '' TERM; while true; do sleep 1; done"`, `exec` for the one that receives
   * `sh -c "echo out; echo err >&2; exit 3"` through ExecSync.
   */
  scripts?: { ignoreSigterm?: Record<string, string>; exec?: Record<string, string> };
  /** Per-call deadline of the suite's client. Default 20 000 ms. */
  deadlineMs?: number;
}

const LONG_RUNNING = ['sh', '-c', 'sleep 3600'];
const IGNORES_SIGTERM = ['sh', '-c', "trap '' TERM; while true; do sleep 1; done"];
const EXEC_CMD = ['sh', '-c', 'echo out; echo err >&2; exit 3'];

/**
 * The CRI conformance suite (a small, Bosun-sized critest): Version, Status, the sandbox
 * and container lifecycles with upstream idempotence, list filters, ExecSync, stats,
 * images, and NOT_FOUND for unknown ids. Every CRI runtime in this repository runs it;
 * third-party runtimes can too: `describeCriConformance('my runtime', async () => ({ endpoint, teardown }))`.
 * Needs vitest (it registers `describe`/`it` blocks).
 */
export function describeCriConformance(name: string, setup: () => Promise<CriConformanceTarget>): void {
  describe(`CRI conformance: ${name}`, () => {
    let target: CriConformanceTarget;
    let cri: CriClient;
    let image: string;
    const run = randomUUID().slice(0, 8);
    let seq = 0;

    beforeAll(async () => {
      target = await setup();
      cri = createCriClient(target.endpoint, { deadlineMs: target.deadlineMs ?? 20_000 });
      image = target.image ?? 'busybox:1.36';
      if (!(await cri.image.imageStatus(image)).image) await cri.image.pullImage(image);
    }, 120_000);

    afterAll(async () => {
      cri?.close();
      await target?.teardown();
    });

    const sandboxConfig = (labels: Record<string, string> = {}): CriInput<PodSandboxConfig> => {
      const n = `conf-${run}-${++seq}`;
      return {
        metadata: { name: n, namespace: 'bosun-conformance', uid: `${run}-${seq}`, attempt: 0 },
        hostname: n,
        labels: { 'bosun.dev/conformance': run, ...labels },
        annotations: { 'bosun.dev/suite': 'cri' },
        linux: {},
      };
    };
    const containerConfig = (cname: string, command: string[], annotations: Record<string, string> = {}, labels: Record<string, string> = {}): CriInput<ContainerConfig> => ({
      metadata: { name: cname, attempt: 0 },
      image: { image },
      command,
      labels: { 'bosun.dev/conformance': run, ...labels },
      annotations,
    });
    const withSandbox = async <T>(fn: (id: string, config: CriInput<PodSandboxConfig>) => Promise<T>, labels?: Record<string, string>): Promise<T> => {
      const config = sandboxConfig(labels);
      const id = await cri.runtime.runPodSandbox(config);
      try {
        return await fn(id, config);
      } finally {
        await cri.runtime.stopPodSandbox(id).catch(() => undefined);
        await cri.runtime.removePodSandbox(id).catch(() => undefined);
      }
    };
    const running = async (sandboxId: string, config: CriInput<PodSandboxConfig>, c: CriInput<ContainerConfig>) => {
      const id = await cri.runtime.createContainer(sandboxId, c, config);
      await cri.runtime.startContainer(id);
      return id;
    };

    it('answers Version with the runtime.v1 API version', async () => {
      const v = await cri.runtime.version();
      expect(v.runtimeApiVersion).toBe('v1');
      expect(v.runtimeName).not.toBe('');
    });

    it('reports RuntimeReady in Status', async () => {
      const s = await cri.runtime.status();
      const ready = s.status?.conditions.find((c) => c.type === 'RuntimeReady');
      expect(ready?.status).toBe(true);
      expect(s.status?.conditions.map((c) => c.type)).toContain('NetworkReady');
    });

    it('runs a sandbox READY, stops it NOTREADY and removes it', async () => {
      const config = sandboxConfig();
      const id = await cri.runtime.runPodSandbox(config);
      const st = (await cri.runtime.podSandboxStatus(id)).status!;
      expect(st.state).toBe('SANDBOX_READY');
      expect(st.metadata?.name).toBe(config.metadata!.name);
      expect(st.createdAt).toBeGreaterThan(0);
      expect(st.labels['bosun.dev/conformance']).toBe(run);
      expect(st.annotations['bosun.dev/suite']).toBe('cri');
      await cri.runtime.stopPodSandbox(id);
      expect((await cri.runtime.podSandboxStatus(id)).status!.state).toBe('SANDBOX_NOTREADY');
      await cri.runtime.removePodSandbox(id);
      await expect(cri.runtime.podSandboxStatus(id)).rejects.toSatisfy((e) => isCriError(e, 'NotFound'));
      expect((await cri.runtime.listPodSandbox({ id })).length).toBe(0);
    });

    it.each<[string, (id: string) => Promise<void>]>([
      ['stopping a sandbox twice succeeds', async (id) => (await cri.runtime.stopPodSandbox(id), await cri.runtime.stopPodSandbox(id))],
      ['removing a sandbox twice succeeds', async (id) => (await cri.runtime.removePodSandbox(id), await cri.runtime.removePodSandbox(id))],
      ['stopping an unknown sandbox succeeds', async () => cri.runtime.stopPodSandbox(`missing-${run}`)],
      ['removing an unknown sandbox succeeds', async () => cri.runtime.removePodSandbox(`missing-${run}`)],
      ['removing an unknown container succeeds', async () => cri.runtime.removeContainer(`missing-${run}`)],
    ])('is idempotent: %s', async (_n, fn) => {
      await withSandbox(async (id) => expect(fn(id)).resolves.toBeUndefined());
    });

    it.each<[string, (id: string) => Record<string, unknown>, boolean]>([
      ['by id', (id) => ({ id }), true],
      ['by state READY', () => ({ state: { state: 'SANDBOX_READY' } }), true],
      ['by state NOTREADY (excluded)', () => ({ state: { state: 'SANDBOX_NOTREADY' } }), false],
      ['by label', () => ({ labelSelector: { tier: `t-${run}` } }), true],
      ['by a label it lacks (excluded)', () => ({ labelSelector: { tier: 'nope' } }), false],
    ])('lists sandboxes filtered %s', async (_n, filter, included) => {
      await withSandbox(
        async (id) => {
          const ids = (await cri.runtime.listPodSandbox(filter(id))).map((s) => s.id);
          expect(ids.includes(id)).toBe(included);
        },
        { tier: `t-${run}` },
      );
    });

    it('runs a container through created → running → exited → removed', async () => {
      await withSandbox(async (sid, sconfig) => {
        const id = await cri.runtime.createContainer(sid, containerConfig('main', LONG_RUNNING), sconfig);
        expect((await cri.runtime.containerStatus(id)).status!.state).toBe('CONTAINER_CREATED');
        await cri.runtime.startContainer(id);
        const st = (await cri.runtime.containerStatus(id)).status!;
        expect(st.state).toBe('CONTAINER_RUNNING');
        expect(st.startedAt).toBeGreaterThan(0);
        expect(st.metadata?.name).toBe('main');
        await cri.runtime.stopContainer(id, 1);
        const ex = (await cri.runtime.containerStatus(id)).status!;
        expect(ex.state).toBe('CONTAINER_EXITED');
        expect(ex.finishedAt).toBeGreaterThanOrEqual(ex.startedAt);
        expect([137, 143]).toContain(ex.exitCode);
        await cri.runtime.stopContainer(id, 1); // idempotent once exited
        await cri.runtime.removeContainer(id);
        await expect(cri.runtime.containerStatus(id)).rejects.toSatisfy((e) => isCriError(e, 'NotFound'));
      });
    });

    it('kills a container that ignores SIGTERM once the stop timeout passes', async () => {
      await withSandbox(async (sid, sconfig) => {
        const id = await running(sid, sconfig, containerConfig('stubborn', IGNORES_SIGTERM, target.scripts?.ignoreSigterm));
        const t0 = Date.now();
        await cri.runtime.stopContainer(id, 1);
        expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
        const st = (await cri.runtime.containerStatus(id)).status!;
        expect(st.state).toBe('CONTAINER_EXITED');
        expect(st.exitCode).toBe(137);
      });
    });

    it.each<[string, (sid: string, a: string) => Record<string, unknown>, 'a' | 'b' | 'both']>([
      ['by pod sandbox id', (sid) => ({ podSandboxId: sid }), 'both'],
      ['by id', (_s, a) => ({ id: a }), 'a'],
      ['by state RUNNING', (sid) => ({ podSandboxId: sid, state: { state: 'CONTAINER_RUNNING' } }), 'a'],
      ['by state CREATED', (sid) => ({ podSandboxId: sid, state: { state: 'CONTAINER_CREATED' } }), 'b'],
      ['by label', (sid) => ({ podSandboxId: sid, labelSelector: { role: 'b' } }), 'b'],
    ])('lists containers filtered %s', async (_n, filter, expected) => {
      await withSandbox(async (sid, sconfig) => {
        const a = await running(sid, sconfig, containerConfig('a', LONG_RUNNING, {}, { role: 'a' }));
        const b = await cri.runtime.createContainer(sid, containerConfig('b', LONG_RUNNING, {}, { role: 'b' }), sconfig);
        const ids = (await cri.runtime.listContainers(filter(sid, a))).map((c) => c.id).sort();
        const want = { a: [a], b: [b], both: [a, b] }[expected].sort();
        expect(ids).toEqual(want);
      });
    });

    it('returns stdout, stderr and the exit code from ExecSync', async () => {
      await withSandbox(async (sid, sconfig) => {
        const id = await running(sid, sconfig, containerConfig('exec', LONG_RUNNING, target.scripts?.exec));
        const r = await cri.runtime.execSync(id, EXEC_CMD, 10);
        expect({ stdout: r.stdout.toString(), stderr: r.stderr.toString(), exitCode: r.exitCode }).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 3 });
      });
    });

    it('answers ContainerStats and ListContainerStats', async () => {
      await withSandbox(async (sid, sconfig) => {
        const id = await running(sid, sconfig, containerConfig('stats', LONG_RUNNING));
        const one = await cri.runtime.containerStats(id);
        expect(one.attributes?.id).toBe(id);
        const all = await cri.runtime.listContainerStats({ podSandboxId: sid });
        expect(all.map((s) => s.attributes?.id)).toContain(id);
      });
    });

    it.each<[string, () => Promise<unknown>]>([
      ['PodSandboxStatus', () => cri.runtime.podSandboxStatus(`missing-${run}`)],
      ['ContainerStatus', () => cri.runtime.containerStatus(`missing-${run}`)],
      ['StartContainer', () => cri.runtime.startContainer(`missing-${run}`)],
      ['ExecSync', () => cri.runtime.execSync(`missing-${run}`, ['true'])],
      ['CreateContainer in an unknown sandbox', () => cri.runtime.createContainer(`missing-${run}`, containerConfig('x', LONG_RUNNING), sandboxConfig())],
    ])('answers NOT_FOUND for an unknown id: %s', async (_n, call) => {
      await expect(call()).rejects.toSatisfy((e) => isCriError(e, 'NotFound'));
    });

    it('lists, inspects, removes and pulls images', async () => {
      const ref = await cri.image.pullImage(image);
      expect(ref).not.toBe('');
      const st = (await cri.image.imageStatus(image)).image!;
      expect(st.id).not.toBe('');
      expect((await cri.image.listImages()).map((i) => i.id)).toContain(st.id);
      expect((await cri.image.imageFsInfo()).length).toBeGreaterThan(0);
      await cri.image.removeImage(image);
      expect((await cri.image.imageStatus(image)).image).toBeNull();
      await cri.image.removeImage(image); // idempotent
      await cri.image.pullImage(image);
      expect((await cri.image.imageStatus(image)).image).not.toBeNull();
    });

    it('fails clearly when pulling an image that does not exist', async () => {
      const missing = target.missingImage ?? 'registry.invalid/bosun/does-not-exist:0';
      await expect(cri.image.pullImage(missing)).rejects.toSatisfy((e) => isCriError(e) && e.message.includes('does-not-exist'));
    });
  });
}
