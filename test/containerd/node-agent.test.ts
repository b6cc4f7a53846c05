// Bosun's node agent (the kubelet) running busybox pods on a real containerd 1.6 through
// the CRI socket: init and app containers, pod IP from containerd's own CNI, logs, exec,
// restarts of a failing container, graceful deletion that leaves nothing in containerd.
//
// Clocks: the API server and the agent share the env's FakeClock, started at the wall
// clock. `until()` advances it in small steps while containerd works in real time, so the
// kubelet's 10 s CrashLoopBackOff and the relist period pass in fake time, and the fake
// clock never falls behind containerd's timestamps. BOSUN_DEBUG=1 prints the agent's log.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock, isApiError, type Pod, type core } from '@bosun/api';
import { createTestEnv, type TestEnv } from '@bosun/apiserver';
import { createCriClient, type CriClient } from '@bosun/cri';
import { createNodeAgent, POD_UID_LABEL, type NodeAgent } from '@bosun/node-agent';
import { containerdSkip, startContainerd, type ContainerdHandle } from '../support/containerd';
import { BUSYBOX_IMAGE, PAUSE_IMAGE } from '../support/images';

const skip = containerdSkip('test/containerd/node-agent.test.ts');

const NODE = 'ctrd-node';
const quiet = { warn: () => undefined, error: () => undefined };
const logger = process.env.BOSUN_DEBUG ? console : quiet;

/**
 * A pod for this node. `busybox` without a tag defaults to imagePullPolicy Always, which
 * would make containerd try Docker Hub: offline, every container here says IfNotPresent
 * (the image is imported locally) unless it sets its own policy.
 */
function busyboxPod(name: string, spec: Partial<core.PodSpec>): Pod {
  const local = (cs?: core.Container[]) => cs?.map((c) => ({ imagePullPolicy: 'IfNotPresent' as const, ...c }));
  spec = { ...spec, containers: local(spec.containers) ?? [], initContainers: local(spec.initContainers) };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName: NODE, terminationGracePeriodSeconds: 1, containers: [], ...spec },
  } as Pod;
}

function status(pod: Pod, name: string): core.ContainerStatus | undefined {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((c) => c.name === name);
}

describe.skipIf(!!skip)('node agent on a real containerd', { timeout: 120_000 }, () => {
  let ctrd: ContainerdHandle;
  let cri: CriClient;
  let env: TestEnv;
  let clock: FakeClock;
  let agent: NodeAgent;
  let root: string;

  /** Advances the fake clock in 200 ms steps (50 ms of real time each) until `pred` holds. */
  async function until<T>(what: string, pred: () => Promise<T | undefined | false>, realTimeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + realTimeoutMs;
    let last: unknown;
    for (;;) {
      try {
        const v = await pred();
        if (v !== undefined && v !== false) return v;
      } catch (err) {
        last = err;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}\n${ctrd.log().slice(-2000)}`);
      await clock.advance(200);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const get = (name: string) => env.client.get('v1', 'Pod', 'default', name) as Promise<Pod>;
  const podWhere = async (name: string, pred: (p: Pod) => boolean, what: string) => {
    let last: Pod | undefined;
    try {
      return await until(`${name}: ${what}`, async () => {
        last = await get(name);
        return pred(last) ? last : undefined;
      });
    } catch (err) {
      throw new Error(`${(err as Error).message.split('\n')[0]}; last status: ${JSON.stringify(last?.status)}`, { cause: err });
    }
  };
  const gone = (name: string) =>
    until(`${name} to be deleted`, async () => {
      const err = await get(name).then(
        () => undefined,
        (e: unknown) => e,
      );
      return isApiError(err) && err.code === 404;
    });
  const containersOf = async (uid: string) => cri.runtime.listContainers({ labelSelector: { [POD_UID_LABEL]: uid } });
  const sandboxesOf = async (uid: string) => cri.runtime.listPodSandbox({ labelSelector: { [POD_UID_LABEL]: uid } });

  beforeAll(async () => {
    ctrd = await startContainerd({ bridge: 'bosunctra0', subnet: '10.88.79.0/24' });
    cri = createCriClient(ctrd.endpoint, { deadlineMs: 20_000 });
    clock = new FakeClock(Date.now());
    env = await createTestEnv({ clock });
    root = mkdtempSync(join(tmpdir(), 'bosun-ctrd-agent-'));
    agent = createNodeAgent({
      client: env.client,
      cri,
      nodeName: NODE,
      clock,
      logger,
      logRoot: join(root, 'logs'),
      rootDir: join(root, 'kubelet'),
      relistIntervalMs: 500,
      memoryTmpfs: false,
    });
    await agent.start();
  }, 120_000);

  afterAll(async () => {
    await agent?.stop({ tearDownVolumes: true });
    cri?.close();
    await env?.stop();
    await ctrd?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('registers the node with containerd as its runtime', async () => {
    const node = (await env.client.get('v1', 'Node', '', NODE)) as core.Node;
    expect(node.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^containerd:\/\/1\.6\./);
  });

  it('runs an init container, then the app container, with an emptyDir between them, a CNI pod IP, logs and exec', async () => {
    await env.client.create(
      busyboxPod('init-app', {
        volumes: [{ name: 'work', emptyDir: {} }],
        initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'echo init ran; echo from-init > /work/flag'], volumeMounts: [{ name: 'work', mountPath: '/work' }] }],
        containers: [
          {
            name: 'app',
            image: 'busybox',
            env: [{ name: 'GREETING', value: 'hello' }],
            command: ['sh', '-c', 'echo "$GREETING from the app: $(cat /work/flag)"; exec sleep 3600'],
            volumeMounts: [{ name: 'work', mountPath: '/work' }],
          },
        ],
      }),
    );
    const running = await podWhere('init-app', (p) => p.status?.phase === 'Running' && status(p, 'app')?.ready === true, 'Running and ready');
    expect(status(running, 'init')?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(status(running, 'app')?.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(status(running, 'app')?.imageID).toMatch(/sha256:[0-9a-f]{64}$/);
    expect(running.status?.podIP?.startsWith(ctrd.subnet.replace(/0\/24$/, ''))).toBe(true);
    expect(running.status?.podIPs).toEqual([{ ip: running.status?.podIP }]);

    expect(await until('the init log', async () => (await agent.logs('default', 'init-app', { container: 'init' })) || undefined)).toBe('init ran\n');
    expect(await until('the app log', async () => (await agent.logs('default', 'init-app', { container: 'app' })) || undefined)).toBe('hello from the app: from-init\n');

    const ex = await agent.exec('default', 'init-app', 'app', ['sh', '-c', 'cat /work/flag; echo oops >&2; exit 4']);
    expect(ex).toEqual({ exitCode: 4, stdout: 'from-init\n', stderr: 'oops\n' });
    // The pod's own network namespace: eth0 carries the pod IP containerd's CNI assigned.
    const ip = await agent.exec('default', 'init-app', 'app', ['ip', '-4', '-o', 'addr', 'show', 'eth0']);
    expect(ip.stdout).toContain(`inet ${running.status!.podIP}/24`);

    const uid = running.metadata!.uid!;
    expect((await containersOf(uid)).map((c) => c.metadata?.name).sort()).toEqual(['app', 'init']);

    await env.client.delete('v1', 'Pod', 'default', 'init-app', { gracePeriodSeconds: 1 });
    await gone('init-app');
    expect(await until('the containers to be removed', async () => ((await containersOf(uid)).length === 0 ? [] : undefined))).toEqual([]);
    expect(await until('the sandbox to be removed', async () => ((await sandboxesOf(uid)).length === 0 ? [] : undefined))).toEqual([]);
  });

  it('restarts a failing container with growing restartCount and keeps the previous log', async () => {
    await env.client.create(
      busyboxPod('crasher', {
        restartPolicy: 'Always',
        containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'echo attempt at $(date +%s); exit 3'] }],
      }),
    );
    const restarted = await podWhere('crasher', (p) => (status(p, 'app')?.restartCount ?? 0) >= 2, 'restartCount ≥ 2');
    const app = status(restarted, 'app')!;
    const last = app.lastState?.terminated;
    expect(last).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(last?.containerID).toMatch(/^containerd:\/\//);
    expect(await agent.logs('default', 'crasher', { container: 'app', previous: true })).toMatch(/^attempt at \d+\n$/);
    const uid = restarted.metadata!.uid!;
    // Exited instances are kept (the kubelet keeps the last ones for `logs --previous`), all in one sandbox.
    expect((await sandboxesOf(uid)).length).toBe(1);
    expect((await containersOf(uid)).length).toBeGreaterThanOrEqual(2);

    await env.client.delete('v1', 'Pod', 'default', 'crasher', { gracePeriodSeconds: 1 });
    await gone('crasher');
    expect(await until('the containers to be removed', async () => ((await containersOf(uid)).length === 0 ? [] : undefined))).toEqual([]);
  });

  it('runs a pod to completion (restartPolicy Never) with the container exit code in the status', async () => {
    await env.client.create(busyboxPod('once', { restartPolicy: 'Never', containers: [{ name: 'job', image: 'busybox', command: ['sh', '-c', 'echo done; exit 0'] }] }));
    const done = await podWhere('once', (p) => p.status?.phase === 'Succeeded', 'Succeeded');
    expect(status(done, 'job')?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(await agent.logs('default', 'once')).toBe('done\n');
    await env.client.delete('v1', 'Pod', 'default', 'once', { gracePeriodSeconds: 0 });
    await gone('once');
  });

  it('reports a missing image as ErrImagePull / ImagePullBackOff without crashing', async () => {
    await env.client.create(busyboxPod('no-image', { containers: [{ name: 'app', image: 'bosun.local/absent:1', imagePullPolicy: 'IfNotPresent' }] }));
    const waiting = await podWhere('no-image', (p) => ['ErrImagePull', 'ImagePullBackOff'].includes(status(p, 'app')?.state?.waiting?.reason ?? ''), 'an image pull error');
    expect(waiting.status?.phase).toBe('Pending');
    expect(status(waiting, 'app')?.state?.waiting?.message).toMatch(/absent/);
    await env.client.delete('v1', 'Pod', 'default', 'no-image', { gracePeriodSeconds: 0 });
    await gone('no-image');
  });

  it('restarts a container whose exec liveness probe fails, reporting it ready while the readiness probe passes (seed liveness-exec, shortened)', async () => {
    // The seed's `touch /tmp/healthy; sleep 30; rm -rf /tmp/healthy; sleep 600`, with 2 s instead of 30.
    await env.client.create(
      busyboxPod('liveness-exec', {
        containers: [
          {
            name: 'liveness',
            image: 'busybox',
            args: ['/bin/sh', '-c', 'touch /tmp/healthy; sleep 2; rm -rf /tmp/healthy; sleep 600'],
            livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1 },
            readinessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1 },
          },
        ],
      }),
    );
    await podWhere('liveness-exec', (p) => status(p, 'liveness')?.ready === true, 'ready');
    const restarted = await podWhere('liveness-exec', (p) => (status(p, 'liveness')?.restartCount ?? 0) >= 1, 'restarted by the liveness probe');
    expect(status(restarted, 'liveness')?.lastState?.terminated?.exitCode).toBeGreaterThanOrEqual(128);
    const events = (await env.client.list('v1', 'Event', { namespace: 'default' })).items as core.Event[];
    expect(events.some((e) => e.involvedObject?.name === 'liveness-exec' && e.reason === 'Unhealthy')).toBe(true);
    await env.client.delete('v1', 'Pod', 'default', 'liveness-exec', { gracePeriodSeconds: 1 });
    await gone('liveness-exec');
  });

  it('a restarted agent adopts the running containers from containerd instead of recreating them', async () => {
    await env.client.create(busyboxPod('adopt', { containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'echo up; exec sleep 3600'] }] }));
    const before = await podWhere('adopt', (p) => status(p, 'app')?.ready === true, 'ready');
    await agent.stop();
    agent = createNodeAgent({ client: env.client, cri, nodeName: NODE, clock, logger, logRoot: join(root, 'logs'), rootDir: join(root, 'kubelet'), relistIntervalMs: 500, memoryTmpfs: false });
    await agent.start();
    await until('the new agent to settle', async () => (await agent.idle(), agent.podCount() >= 1));
    const after = await get('adopt');
    expect(status(after, 'app')).toMatchObject({ containerID: status(before, 'app')!.containerID, restartCount: 0, ready: true });
    expect(after.status?.podIP).toBe(before.status?.podIP);
    expect(await agent.logs('default', 'adopt')).toBe('up\n');
    const uid = after.metadata!.uid!;
    expect((await containersOf(uid)).length).toBe(1);
    await env.client.delete('v1', 'Pod', 'default', 'adopt', { gracePeriodSeconds: 1 });
    await gone('adopt');
    expect(await until('the containers to be removed', async () => ((await containersOf(uid)).length === 0 ? [] : undefined))).toEqual([]);
  });

  // The agent leaves PodSandboxConfig.hostname empty for hostNetwork pods, as the kubelet
  // does: runc refuses a hostname without a private UTS namespace.
  it('runs a hostNetwork pod in the node\'s network namespace', async () => {
    await env.client.create(busyboxPod('hostnet', { hostNetwork: true, containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }] }));
    const p = await podWhere('hostnet', (x) => status(x, 'app')?.ready === true, 'ready');
    expect(p.status?.podIP).toBe('127.0.0.1');
    await env.client.delete('v1', 'Pod', 'default', 'hostnet', { gracePeriodSeconds: 1 });
    await gone('hostnet');
  });

  it('sees the imported images through the CRI image service', async () => {
    const tags = (await cri.image.listImages()).flatMap((i) => i.repoTags);
    expect(tags).toEqual(expect.arrayContaining([BUSYBOX_IMAGE, PAUSE_IMAGE]));
  });
});
