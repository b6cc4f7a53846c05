// ONE list of the seed notes' scenarios, run with the same assertions on every runtime
// (process, Docker, containerd): init containers with busybox `sh -c`, lifecycle hooks,
// env / ConfigMap / Secret / downward API, an emptyDir shared by two containers, a Job's
// completions and parallelism, a liveness restart, and the StatefulSet walkthrough with
// claims provisioned by the hostpath CSI driver. Each runtime's file starts its daemon
// and cluster and calls {@link describeScenarios}. Images are pulled IfNotPresent: the
// hosts are offline, the busybox image is imported beforehand. This is the one place
// these seeds are asserted: test/e2e keeps only what is not here.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Job, Pod, StatefulSet, core } from '@bosun/api';
import type { Cluster } from '@bosun/cluster';
import { HOSTPATH_DRIVER_NAME, HOSTPATH_TOPOLOGY_KEY } from '@bosun/storage-hostpath';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerStatus, eventually, hostDir, seed } from '../e2e/support';

/** What a runtime's file provides to the scenarios. */
export interface RuntimeTarget {
  cluster: Cluster;
  /** Pod IPs on this runtime match it (the nodes' pod CIDRs, or containerd's own CNI subnet). */
  podIP: RegExp;
  /** The container ID scheme the runtime reports (`docker://`, `containerd://`, …). */
  containerIdScheme: RegExp;
  /** Stops the cluster and the daemon. */
  teardown(): Promise<void>;
}

/** Wall-clock bound for waits on real containers. */
export const WAIT = { timeoutMs: 45_000 };

/** Offline: untagged `busybox` would default to imagePullPolicy Always. */
export function pullLocal(spec: core.PodSpec): void {
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) c.imagePullPolicy = 'IfNotPresent';
}

/** The `env` output of a container as a map. */
const envOf = (text: string) => new Map(text.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

type Scenario = [title: string, run: (t: RuntimeTarget, dirs: Array<{ remove(): void }>) => Promise<void>];

const running = (c: Cluster, name: string) => c.waitFor('v1', 'Pod', 'default', name, (p) => p.status?.phase === 'Running', WAIT);
const logsOf = (c: Cluster, pod: string, container?: string) => eventually(`${pod} logs`, async () => (await c.logs('default', pod, { container })) || undefined);

/** The scenarios, in the order they run. */
export const SCENARIOS: Scenario[] = [
  [
    'runs init containers (busybox sh -c) one at a time, in order, then the app (seed myapp-pod)',
    async ({ cluster, podIP, containerIdScheme }, dirs) => {
      const flags = hostDir('init');
      dirs.push(flags);
      const p = seed<Pod>('004_933d4accde4b7d3e-01-pod.yaml');
      // Adaptation (no cluster DNS): "until nslookup myservice" → "until the file myservice exists" in a hostPath dir.
      for (const c of p.spec!.initContainers!) {
        const svc = c.name.replace('init-', '');
        c.command = ['sh', '-c', `until [ -e /flags/${svc} ]; do echo waiting for ${svc}; sleep 0.2; done; echo ${svc} is up`];
        c.volumeMounts = [{ name: 'flags', mountPath: '/flags' }];
      }
      p.spec!.volumes = [{ name: 'flags', hostPath: { path: flags.path, type: 'Directory' } }];
      p.spec!.terminationGracePeriodSeconds = 1;
      pullLocal(p.spec!);
      await cluster.apply([p]);
      await cluster.waitFor('v1', 'Pod', 'default', 'myapp-pod', (x) => containerStatus(x, 'init-myservice')?.state?.running !== undefined, WAIT);
      await eventually('init-myservice waiting', async () => ((await cluster.logs('default', 'myapp-pod', { container: 'init-myservice' })).includes('waiting for myservice') ? true : undefined));
      const waiting = await cluster.client.get('v1', 'Pod', 'default', 'myapp-pod');
      expect(waiting.status?.phase).toBe('Pending');
      // Not started while the first one runs (upstream reports them waiting with reason PodInitializing).
      expect(containerStatus(waiting, 'init-mydb')?.state?.waiting).toBeDefined();
      expect(containerStatus(waiting, 'myapp-container')?.state?.waiting).toBeDefined();
      expect(containerStatus(waiting, 'myapp-container')?.state?.running).toBeUndefined();
      writeFileSync(join(flags.path, 'myservice'), '');
      await cluster.waitFor('v1', 'Pod', 'default', 'myapp-pod', (x) => containerStatus(x, 'init-mydb')?.state?.running !== undefined, WAIT);
      const second = await cluster.client.get('v1', 'Pod', 'default', 'myapp-pod');
      expect(containerStatus(second, 'init-myservice')?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
      expect(containerStatus(second, 'myapp-container')?.state?.running).toBeUndefined();
      // Running is reported before the shell's first check: wait until it has looked once.
      await eventually('init-mydb waiting', async () => ((await cluster.logs('default', 'myapp-pod', { container: 'init-mydb' })).includes('waiting for mydb') ? true : undefined));
      writeFileSync(join(flags.path, 'mydb'), '');
      const up = await running(cluster, 'myapp-pod');
      expect(up.status?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
      expect(up.status?.podIP).toMatch(podIP);
      expect(containerStatus(up, 'myapp-container')?.containerID).toMatch(containerIdScheme);
      const first = containerStatus(up, 'init-myservice')!.state!.terminated!;
      const then = containerStatus(up, 'init-mydb')!.state!.terminated!;
      expect(Date.parse(then.startedAt!)).toBeGreaterThanOrEqual(Date.parse(first.finishedAt!));
      expect(await cluster.logs('default', 'myapp-pod', { container: 'init-mydb' })).toMatch(/waiting for mydb\n(.*\n)*mydb is up\n$/);
      expect(await logsOf(cluster, 'myapp-pod')).toBe('The app is running!\n');
      expect(await cluster.exec('default', 'myapp-pod', 'myapp-container', ['hostname'])).toMatchObject({ exitCode: 0, stdout: 'myapp-pod\n' });
    },
  ],
  [
    'runs the postStart hook, and the preStop hook on delete (seed lifecycle-demo)',
    async ({ cluster }, dirs) => {
      const hooks = hostDir('hooks');
      dirs.push(hooks);
      const p = seed<Pod>('004_933d4accde4b7d3e-02-pod.yaml');
      const c = p.spec!.containers[0]!;
      // Adaptation: busybox httpd instead of nginx; preStop records that it ran in a hostPath file.
      c.image = 'busybox';
      c.command = ['httpd', '-f', '-p', '8080', '-h', '/tmp'];
      c.lifecycle!.postStart!.exec!.command = ['/bin/sh', '-c', 'mkdir -p /usr/share && echo Hello from the postStart handler> /usr/share/message'];
      c.lifecycle!.preStop!.exec!.command = ['/bin/sh', '-c', 'echo preStop ran > /hooks/prestop'];
      c.volumeMounts = [{ name: 'hooks', mountPath: '/hooks' }];
      p.spec!.volumes = [{ name: 'hooks', hostPath: { path: hooks.path } }];
      p.spec!.terminationGracePeriodSeconds = 2;
      pullLocal(p.spec!);
      await cluster.apply([p]);
      await running(cluster, 'lifecycle-demo');
      expect(await cluster.exec('default', 'lifecycle-demo', 'lifecycle-demo-container', ['cat', '/usr/share/message'])).toEqual({ exitCode: 0, stdout: 'Hello from the postStart handler\n', stderr: '' });
      expect(existsSync(join(hooks.path, 'prestop'))).toBe(false);
      await cluster.client.delete('v1', 'Pod', 'default', 'lifecycle-demo');
      await cluster.waitForDeletion('v1', 'Pod', 'default', 'lifecycle-demo', WAIT);
      expect(readFileSync(join(hooks.path, 'prestop'), 'utf8')).toBe('preStop ran\n');
    },
  ],
  [
    'passes env with $(VAR) expansion, a ConfigMap with a prefix, a Secret key by subPath and the downward API (seeds fortune3s, fortune-env-from-configmap, fortune-with-serect, downward)',
    async ({ cluster }) => {
      await cluster.apply(`
apiVersion: v1
kind: ConfigMap
metadata: { name: fortune-config-cm }
data: { sleep-interval: "25", mode: fast }
---
apiVersion: v1
kind: Secret
metadata: { name: fortune-auth }
stringData: { password.txt: s3cr3t, user.txt: admin }
`);
      const expanded = seed<Pod>('003_bea7a2b1a17eec52-23-pod.yaml');
      const fromCm = seed<Pod>('003_bea7a2b1a17eec52-24-pod.yaml');
      const secret = seed<Pod>('003_bea7a2b1a17eec52-26-pod.yaml');
      const downward = seed<Pod>('003_bea7a2b1a17eec52-27-pod.yaml');
      for (const p of [expanded, fromCm, secret]) {
        p.spec!.containers[0]!.image = 'busybox';
        p.spec!.containers[0]!.command = ['sh', '-c', 'env; sleep 3600'];
      }
      secret.spec!.containers[0]!.volumeMounts!.push({ name: 'auth', mountPath: '/etc/auth', readOnly: true });
      const d = downward.spec!.containers[0]!;
      d.command = ['sh', '-c', 'env; sleep 1000'];
      d.resources = { requests: { cpu: '15m', memory: '100Ki' }, limits: { cpu: '100m', memory: '16Mi' } };
      d.volumeMounts = [{ name: 'downward', mountPath: '/etc/downward' }];
      downward.metadata!.labels = { foo: 'bar' };
      // Additions (the notes' §8.1.2 volume example): labels, requests/limits for the
      // resourceFieldRefs to read (16Mi: Docker refuses limits under 6 MB), and a
      // downwardAPI volume with the labels and the cpu request.
      downward.spec!.volumes = [
        {
          name: 'downward',
          downwardAPI: {
            items: [
              { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
              { path: 'container_request_cpu', resourceFieldRef: { containerName: 'main', resource: 'requests.cpu', divisor: '1m' } },
            ],
          },
        },
      ];
      for (const p of [expanded, fromCm, secret, downward]) {
        p.spec!.terminationGracePeriodSeconds = 1;
        pullLocal(p.spec!);
      }
      await cluster.apply([expanded, fromCm, secret, downward]);
      for (const name of ['fortune3s', 'fortune-env-from-configmap', 'fortune-with-serect']) await running(cluster, name);
      const dPod = await running(cluster, 'downward');

      const env1 = envOf(await logsOf(cluster, 'fortune3s'));
      expect(env1.get('INTERVAL')).toBe('5');
      expect(env1.get('NESTED_VAR')).toBe('5_1');
      const env2 = envOf(await logsOf(cluster, 'fortune-env-from-configmap'));
      expect(env2.get('INTERVAL')).toBe('25');
      expect(env2.get('CONF_mode')).toBe('fast');
      const exec = (argv: string[]) => cluster.exec('default', 'fortune-with-serect', 'fortune-auth-main', argv);
      expect((await exec(['cat', '/tmp/no_password.txt'])).stdout).toBe('s3cr3t');
      expect((await exec(['cat', '/etc/auth/user.txt'])).stdout).toBe('admin');
      expect((await exec(['stat', '-L', '-c', '%a', '/etc/auth/user.txt'])).stdout).toBe('644\n');
      expect((await exec(['sh', '-c', 'echo x > /etc/auth/user.txt'])).exitCode).not.toBe(0);
      const env3 = envOf(await logsOf(cluster, 'downward'));
      expect(env3.get('E_POD_NAMESPACE')).toBe('default');
      expect(env3.get('E_POD_IP')).toBe(dPod.status?.podIP);
      expect(env3.get('E_REQ_CPU')).toBe('15');
      expect(env3.get('E_LIMIT_MEM')).toBe('16384');
      const dExec = (argv: string[]) => cluster.exec('default', 'downward', 'main', argv);
      expect((await dExec(['cat', '/etc/downward/labels'])).stdout).toBe('foo="bar"');
      expect((await dExec(['cat', '/etc/downward/container_request_cpu'])).stdout).toBe('15');
      // The volume follows a relabel (the agent rewrites it atomically, so the bind mount sees it).
      await cluster.client.patch('v1', 'Pod', 'default', 'downward', { metadata: { labels: { foo: 'baz', tier: 'web' } } }, { type: 'merge' });
      const relabelled = await eventually('the labels file to change', async () => {
        const out = (await dExec(['cat', '/etc/downward/labels'])).stdout;
        return out.includes('baz') ? out : undefined;
      });
      expect(relabelled).toBe('foo="baz"\ntier="web"');
    },
  ],
  [
    'shares an emptyDir between a writer and a read-only reader (seed fortune)',
    async ({ cluster }) => {
      const p = seed<Pod>('003_bea7a2b1a17eec52-18-pod.yaml');
      const [generator, web] = p.spec!.containers;
      generator!.image = 'busybox';
      generator!.command = ['sh', '-c', 'while true; do echo "fortune $(cat /proc/sys/kernel/random/uuid)" > /var/htdocs/index.html; sleep 1; done'];
      web!.image = 'busybox';
      web!.command = ['httpd', '-f', '-p', '80', '-h', '/usr/share/nginx/html'];
      p.spec!.terminationGracePeriodSeconds = 1;
      pullLocal(p.spec!);
      await cluster.apply([p]);
      await running(cluster, 'fortune');
      const written = await eventually('the first page', async () => {
        const r = await cluster.exec('default', 'fortune', 'html-generator', ['cat', '/var/htdocs/index.html']);
        return r.exitCode === 0 ? r.stdout : undefined;
      });
      expect(written).toMatch(/^fortune [0-9a-f-]{36}\n$/);
      expect((await cluster.exec('default', 'fortune', 'web-server', ['cat', '/usr/share/nginx/html/index.html'])).stdout).toMatch(/^fortune [0-9a-f-]{36}\n$/);
      // The containers share localhost: the writer fetches the reader's page over 127.0.0.1.
      const local = await eventually('the page over localhost', async () => {
        const r = await cluster.exec('default', 'fortune', 'html-generator', ['wget', '-q', '-O', '-', 'http://127.0.0.1:80/index.html']);
        return r.exitCode === 0 ? r.stdout : undefined;
      });
      expect(local).toMatch(/^fortune [0-9a-f-]{36}\n$/);
      expect((await cluster.exec('default', 'fortune', 'web-server', ['sh', '-c', 'echo x > /usr/share/nginx/html/index.html'])).exitCode).not.toBe(0);
    },
  ],
  [
    'runs the seed batch-job to 5 completions, never more than 2 pods at once',
    async ({ cluster }) => {
      const job = seed<Job>('003_bea7a2b1a17eec52-07-job.yaml');
      const c = job.spec!.template.spec!.containers[0]!;
      c.image = 'busybox';
      c.command = ['sh', '-c', 'echo "$(date) Batch job starting"; sleep 0.5; echo "$(date) Finished succesfully"'];
      pullLocal(job.spec!.template.spec!);
      const ac = new AbortController();
      let maxActive = 0;
      const active = new Map<string, boolean>();
      const watching = (async () => {
        for await (const ev of cluster.client.watch('v1', 'Pod', { namespace: 'default', labelSelector: 'app=batch-job', signal: ac.signal })) {
          const p = ev.object as Pod;
          active.set(p.metadata!.name!, ev.type !== 'DELETED' && (p.status?.phase === 'Running' || p.status?.phase === 'Pending'));
          maxActive = Math.max(maxActive, [...active.values()].filter(Boolean).length);
        }
      })().catch(() => undefined);
      await cluster.apply([job]);
      const done = await cluster.waitFor('batch/v1', 'Job', 'default', 'batch-job', (j) => j.status?.succeeded === 5, { timeoutMs: 90_000 });
      ac.abort();
      await watching;
      expect(done.status?.conditions?.find((x) => x.type === 'Complete')?.status).toBe('True');
      expect(maxActive).toBeGreaterThan(0);
      expect(maxActive).toBeLessThanOrEqual(2);
      const pods = (await cluster.client.list('v1', 'Pod', { namespace: 'default', labelSelector: 'app=batch-job' })).items;
      expect(pods.filter((p) => p.status?.phase === 'Succeeded')).toHaveLength(5);
      expect(await cluster.logs('default', pods[0]!.metadata!.name!)).toMatch(/Batch job starting\n.*Finished succesfully\n$/);
    },
  ],
  [
    'restarts a container whose liveness probe fails; logs --previous shows the old instance (seed kubia-liveness)',
    async ({ cluster }) => {
      const p = seed<Pod>('003_bea7a2b1a17eec52-03-pod.yaml');
      const c = p.spec!.containers[0]!;
      // Adaptation: busybox httpd serves / until the page is removed 1.5 s after start; the probe is the seed's httpGet / on 8080, faster.
      c.image = 'busybox';
      c.command = ['sh', '-c', 'id=$(cat /proc/sys/kernel/random/uuid); echo "instance $id"; mkdir -p /www; echo ok > /www/index.html; (sleep 1.5; rm /www/index.html) & exec httpd -f -p 8080 -h /www'];
      c.livenessProbe = { ...c.livenessProbe, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1, timeoutSeconds: 1 };
      p.spec!.terminationGracePeriodSeconds = 1;
      pullLocal(p.spec!);
      await cluster.apply([p]);
      const restarted = await cluster.waitFor('v1', 'Pod', 'default', 'kubia-liveness', (x) => (containerStatus(x, 'kubia')?.restartCount ?? 0) >= 1 && containerStatus(x, 'kubia')?.state?.running !== undefined, WAIT);
      expect(containerStatus(restarted, 'kubia')?.lastState?.terminated).toBeDefined();
      const previous = await cluster.logs('default', 'kubia-liveness', { previous: true });
      const current = await logsOf(cluster, 'kubia-liveness');
      expect(previous).toMatch(/^instance [0-9a-f-]{36}\n$/);
      expect(current).toMatch(/^instance [0-9a-f-]{36}\n$/);
      expect(current).not.toBe(previous);
      const events = (await cluster.client.list('v1', 'Event', { namespace: 'default' })).items.filter((e) => e.involvedObject?.name === 'kubia-liveness');
      expect(events.some((e) => e.reason === 'Unhealthy' && /Liveness probe failed/.test(e.message ?? ''))).toBe(true);
    },
  ],
  [
    'provisions the seed StatefulSet’s claims on the hostpath CSI driver; each pod keeps its own data across a restart and the claims outlive the pods (seed sleep)',
    async ({ cluster }) => {
      const sts = seed<StatefulSet>('002_8cc7607eac0f66d5-06-statefulset.yaml');
      // Adaptation: storageClassName longhorn → standard (the cluster's hostpath CSI class).
      sts.spec!.volumeClaimTemplates![0]!.spec!.storageClassName = 'standard';
      sts.spec!.template.spec!.terminationGracePeriodSeconds = 1;
      pullLocal(sts.spec!.template.spec!);
      await cluster.apply([sts]);
      await cluster.waitFor('apps/v1', 'StatefulSet', 'default', 'sleep', (s) => s.status?.readyReplicas === 2, { timeoutMs: 90_000 });
      const claims = ['sleep-volume-sleep-0', 'sleep-volume-sleep-1'];
      const bound = await Promise.all(claims.map((c) => cluster.client.get('v1', 'PersistentVolumeClaim', 'default', c)));
      for (const c of bound) {
        expect(c.status?.phase).toBe('Bound');
        expect(c.spec?.volumeName).toBeTruthy();
        const pv = await cluster.client.get('v1', 'PersistentVolume', '', c.spec!.volumeName!);
        expect(pv.spec?.csi?.driver).toBe(HOSTPATH_DRIVER_NAME);
        expect(pv.spec?.claimRef?.name).toBe(c.metadata!.name);
      }
      expect(new Set(bound.map((c) => c.spec!.volumeName)).size).toBe(2);

      for (const pod of ['sleep-0', 'sleep-1']) {
        expect((await cluster.client.get('v1', 'Pod', 'default', pod)).status?.phase).toBe('Running');
        expect(await cluster.exec('default', pod, 'sleep', ['sh', '-c', 'hostname > /storagedir/myhost'])).toMatchObject({ exitCode: 0 });
        expect(await cluster.exec('default', pod, 'sleep', ['/bin/cat', '/storagedir/myhost'])).toMatchObject({ exitCode: 0, stdout: `${pod}\n` });
      }
      // The file is in the CSI volume on the host (the driver keeps `<node dir>/csi/volumes/<id>`), not in the container.
      const onHost = async (claim: string) => {
        const c = await cluster.client.get('v1', 'PersistentVolumeClaim', 'default', claim);
        const pv = await cluster.client.get('v1', 'PersistentVolume', '', c.spec!.volumeName!);
        // The PV's node affinity (from the driver's topology) names the one node holding it.
        const nodeName = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.find((e) => e.key === HOSTPATH_TOPOLOGY_KEY)?.values?.[0];
        const node = cluster.nodes().find((n) => n.name === nodeName);
        if (!node) throw new Error(`persistentvolume ${pv.metadata!.name}: no node of this cluster in its node affinity (${JSON.stringify(pv.spec?.nodeAffinity)})`);
        return readFileSync(join(node.dir, 'csi', 'volumes', pv.spec!.csi!.volumeHandle, 'myhost'), 'utf8');
      };
      expect(await onHost('sleep-volume-sleep-0')).toBe('sleep-0\n');
      expect(await onHost('sleep-volume-sleep-1')).toBe('sleep-1\n');

      const before = await cluster.client.get('v1', 'Pod', 'default', 'sleep-0');
      await cluster.client.delete('v1', 'Pod', 'default', 'sleep-0');
      const after = await cluster.waitFor('v1', 'Pod', 'default', 'sleep-0', (p) => p.metadata?.uid !== before.metadata?.uid && p.status?.phase === 'Running', { timeoutMs: 60_000 });
      // The volume lives on one node (the PV's node affinity), so the new pod is placed there.
      expect(after.spec?.nodeName).toBe(before.spec?.nodeName);
      // The new pod reuses the claim by name: the same claim, bound to the same volume.
      const reused = await cluster.client.get('v1', 'PersistentVolumeClaim', 'default', 'sleep-volume-sleep-0');
      expect(reused).toMatchObject({ metadata: { uid: bound[0]!.metadata!.uid }, spec: { volumeName: bound[0]!.spec!.volumeName }, status: { phase: 'Bound' } });
      const read = await eventually('the file written by the old pod', async () => {
        const r = await cluster.exec('default', 'sleep-0', 'sleep', ['/bin/cat', '/storagedir/myhost']);
        return r.exitCode === 0 ? r.stdout : undefined;
      });
      expect(read).toBe('sleep-0\n');
      expect((await cluster.exec('default', 'sleep-1', 'sleep', ['/bin/cat', '/storagedir/myhost'])).stdout).toBe('sleep-1\n');

      // Deleting the StatefulSet deletes its pods (garbage collector) and keeps the claims
      // (PVC retention Retain, the default), still Bound to the same volumes.
      await cluster.client.delete('apps/v1', 'StatefulSet', 'default', 'sleep');
      await Promise.all(['sleep-0', 'sleep-1'].map((p) => cluster.waitForDeletion('v1', 'Pod', 'default', p, WAIT)));
      for (const c of bound) {
        const now = await cluster.client.get('v1', 'PersistentVolumeClaim', 'default', c.metadata!.name!);
        expect(now.metadata?.uid).toBe(c.metadata?.uid);
        expect(now.status?.phase).toBe('Bound');
        expect(now.spec?.volumeName).toBe(c.spec!.volumeName);
        expect((await cluster.client.get('v1', 'PersistentVolume', '', c.spec!.volumeName!)).status?.phase).toBe('Bound');
      }
      expect(await onHost('sleep-volume-sleep-0')).toBe('sleep-0\n');

      // Clean-up through the reclaim policy: deleting the claims deletes their volumes (Delete).
      for (const c of bound) await cluster.client.delete('v1', 'PersistentVolumeClaim', 'default', c.metadata!.name!);
      await Promise.all(bound.map((c) => cluster.waitForDeletion('v1', 'PersistentVolume', '', c.spec!.volumeName!, WAIT)));
    },
  ],
];

/**
 * Registers the scenario table for one runtime: `setup` starts its daemon and cluster
 * (once per file), every scenario runs against it in order, `teardown` runs at the end.
 */
export function describeScenarios(runtime: string, skip: string | undefined, setup: () => Promise<RuntimeTarget>): void {
  describe.skipIf(!!skip)(`the seed scenarios on ${runtime}`, { timeout: 120_000 }, () => {
    let target: RuntimeTarget | undefined;
    const dirs: Array<{ remove(): void }> = [];
    beforeAll(async () => {
      target = await setup();
    }, 180_000);
    afterAll(async () => {
      await target?.teardown();
      for (const d of dirs) d.remove();
    }, 120_000);
    for (const [title, run] of SCENARIOS) it(title, () => run(target!, dirs));
  });
}

/** Quiet component logs: the scenarios assert on behaviour. */
export const quiet = { warn: () => undefined, error: () => undefined };

/**
 * Why a runtime's file is skipped, or undefined when it runs. In CI (CI=true or
 * BOSUN_REQUIRE_REAL_RUNTIMES=1) a missing daemon is an error, not a skip.
 */
export function skipUnless(file: string, reason: string | undefined): string | undefined {
  if (!reason) return undefined;
  if (process.env.CI === 'true' || process.env.BOSUN_REQUIRE_REAL_RUNTIMES === '1') throw new Error(`${file}: these tests must run here (CI / BOSUN_REQUIRE_REAL_RUNTIMES) but cannot: ${reason}`);
  console.warn(`${file}: skipped — ${reason}`);
  return reason;
}
