// The facade on containerd: createCluster({ runtime: { criEndpoint } }) with a private
// containerd, running seed examples with the scheduler, controllers and node agent on
// the real clock. Adaptations for an offline host are spelled out where they are made.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAll, type KubeObject, type Pod, type core } from '@bosun/api';
import { createCluster, type Cluster } from '@bosun/cluster';
import { createCriClient, type CriClient } from '@bosun/cri';
import { containerdSkip, startContainerd, type ContainerdHandle } from '../support/containerd';

const skip = containerdSkip('test/containerd/cluster.test.ts');
const quiet = { warn: () => undefined, error: () => undefined };
const WAIT = { timeoutMs: 45_000 };

function seed<T = KubeObject>(file: string, index = 0): T {
  return decodeAll(readFileSync(new URL(`../fixtures/seeds/${file}`, import.meta.url), 'utf8'))[index] as T;
}

/** Offline there is no registry: untagged `busybox` would default to imagePullPolicy Always. */
function pullLocal(spec: core.PodSpec): void {
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) c.imagePullPolicy = 'IfNotPresent';
}

function status(pod: Pod, name: string): core.ContainerStatus | undefined {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((c) => c.name === name);
}

describe.skipIf(!!skip)('createCluster on a real containerd', { timeout: 120_000 }, () => {
  let ctrd: ContainerdHandle;
  let cluster: Cluster | undefined;
  let cri: CriClient;
  let flags: string;
  beforeAll(async () => {
    ctrd = await startContainerd({ bridge: 'bosunctrc0', subnet: '10.88.83.0/24' });
    cri = createCriClient(ctrd.endpoint);
    flags = mkdtempSync(join(tmpdir(), 'bosun-ctrd-flags-'));
    cluster = await createCluster({ nodes: 1, runtime: { criEndpoint: ctrd.endpoint }, logger: quiet, nodeAgent: { relistIntervalMs: 200 } });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    cri?.close();
    await ctrd?.stop();
    if (flags) rmSync(flags, { recursive: true, force: true });
  }, 60_000);

  it('runs the seed myapp-pod: init containers in order, then the app (nslookup → a hostPath file)', async () => {
    const p = seed<Pod>('004_933d4accde4b7d3e-01-pod.yaml');
    // Adaptation: no cluster DNS, so "until nslookup myservice" becomes "until the file
    // myservice exists" in a hostPath directory the test controls (as on the process runtime).
    for (const c of p.spec!.initContainers!) {
      const svc = c.name.replace('init-', '');
      c.command = ['sh', '-c', `until [ -e /flags/${svc} ]; do echo waiting for ${svc}; sleep 0.2; done; echo ${svc} is up`];
      c.volumeMounts = [{ name: 'flags', mountPath: '/flags' }];
    }
    p.spec!.volumes = [{ name: 'flags', hostPath: { path: flags, type: 'Directory' } }];
    p.spec!.terminationGracePeriodSeconds = 1;
    pullLocal(p.spec!);
    await cluster!.apply([p]);

    await cluster!.waitFor('v1', 'Pod', 'default', 'myapp-pod', (x) => status(x, 'init-myservice')?.state?.running !== undefined, WAIT);
    const waiting = await cluster!.client.get('v1', 'Pod', 'default', 'myapp-pod');
    expect(waiting.status?.phase).toBe('Pending');
    expect(status(waiting, 'myapp-container')?.state?.running).toBeUndefined();
    writeFileSync(join(flags, 'myservice'), '');
    await cluster!.waitFor('v1', 'Pod', 'default', 'myapp-pod', (x) => status(x, 'init-mydb')?.state?.running !== undefined, WAIT);
    writeFileSync(join(flags, 'mydb'), '');
    const running = await cluster!.waitFor('v1', 'Pod', 'default', 'myapp-pod', (x) => x.status?.phase === 'Running', WAIT);
    expect(running.status?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
    expect(running.spec?.nodeName).toBe('node-1');
    expect(running.status?.podIP?.startsWith('10.88.83.')).toBe(true);
    expect(status(running, 'myapp-container')?.containerID).toMatch(/^containerd:\/\//);
    expect(await cluster!.logs('default', 'myapp-pod', { container: 'init-mydb' })).toMatch(/mydb is up\n$/);
    const app = await waitForText(() => cluster!.logs('default', 'myapp-pod'));
    expect(app).toBe('The app is running!\n');
    // The app container mounts nothing: exec sees the pod's own UTS namespace and network.
    expect(await cluster!.exec('default', 'myapp-pod', 'myapp-container', ['hostname'])).toMatchObject({ exitCode: 0, stdout: 'myapp-pod\n' });
    expect(await cluster!.exec('default', 'myapp-pod', 'myapp-container', ['ls', '/flags'])).toMatchObject({ exitCode: 1 });

    const uid = running.metadata!.uid!;
    await cluster!.client.delete('v1', 'Pod', 'default', 'myapp-pod');
    await cluster!.waitForDeletion('v1', 'Pod', 'default', 'myapp-pod', WAIT);
    expect(await cri.runtime.listContainers({ labelSelector: { 'io.kubernetes.pod.uid': uid } })).toEqual([]);
  });

  it('runs the seed Job process-item-$ITEM to completion', async () => {
    const job = seed<KubeObject & { spec: { template: { spec: core.PodSpec } } }>('000_6def2a58bcfc55b9-01-job.yaml');
    // The seed is a template: expand $ITEM as its sed loop does; sleep 5 → 1 to keep it short.
    const text = JSON.stringify(job).replaceAll('$ITEM', 'apple').replace('sleep 5', 'sleep 1');
    const expanded = JSON.parse(text) as typeof job;
    pullLocal(expanded.spec.template.spec);
    await cluster!.apply([expanded]);
    const done = await cluster!.waitFor('batch/v1', 'Job', 'default', 'process-item-apple', (j) => (j.status?.succeeded ?? 0) === 1, WAIT);
    expect(done.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')).toBe(true);
    const pods = await cluster!.client.list('v1', 'Pod', { namespace: 'default', labelSelector: 'jobgroup=jobexample' });
    expect(pods.items).toHaveLength(1);
    expect(pods.items[0]!.status?.phase).toBe('Succeeded');
    expect(await cluster!.logs('default', pods.items[0]!.metadata!.name!)).toBe('Processing item apple\n');
  });

  it('leaves containerd without this cluster\'s sandboxes after stop()', async () => {
    expect((await cri.runtime.listPodSandbox()).length).toBeGreaterThan(0); // the Job's pod is still there
    await cluster!.stop();
    cluster = undefined;
    expect(await cri.runtime.listPodSandbox()).toEqual([]);
    expect(await cri.runtime.listContainers()).toEqual([]);
  });
});

async function waitForText(read: () => Promise<string>, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = await read().catch(() => '');
    if (t || Date.now() > deadline) return t;
    await new Promise((r) => setTimeout(r, 100));
  }
}
