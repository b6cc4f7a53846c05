// The seed notes' pod lifecycle, run for real on the process runtime: init containers,
// lifecycle hooks, liveness restarts, readiness gating and graceful deletion. Where a
// seed's image is not busybox (nginx, the book's kubia images) the container gets a
// busybox command doing the same job; each adaptation is spelled out where it is made.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '@bosun/api';
import type { Cluster } from '@bosun/cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceSkip, canRunProcessPods, containerStatus, eventually, hostDir, seed, startCluster, WAIT } from './support';

announceSkip('test/e2e/pod-lifecycle.test.ts');

describe.skipIf(!canRunProcessPods)('pod lifecycle on the process runtime', { timeout: 90_000 }, () => {
  let cluster: Cluster;
  const dirs: Array<{ remove(): void }> = [];
  beforeAll(async () => {
    cluster = await startCluster('10.201.0.0/16');
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    for (const d of dirs) d.remove();
  }, 60_000);
  const pod = (name: string) => cluster.client.get('v1', 'Pod', 'default', name);

  it('runs the init containers one at a time, in order, each waiting for its service, then the app container (seed myapp-pod)', async () => {
    const flags = hostDir('init');
    dirs.push(flags);
    const p = seed<Pod>('004_933d4accde4b7d3e-01-pod.yaml');
    // Adaptation: no cluster DNS yet, so "until nslookup myservice" becomes "until the
    // file myservice exists" in a hostPath directory the test controls; the loop, the
    // message and the sleep are the seed's (sleep 2 → 0.2 to keep the test fast).
    for (const c of p.spec!.initContainers!) {
      const svc = c.name.replace('init-', '');
      c.command = ['sh', '-c', `until [ -e /flags/${svc} ]; do echo waiting for ${svc}; sleep 0.2; done; echo ${svc} is up`];
      c.volumeMounts = [{ name: 'flags', mountPath: '/flags' }];
    }
    p.spec!.volumes = [{ name: 'flags', hostPath: { path: flags.path, type: 'Directory' } }];
    p.spec!.terminationGracePeriodSeconds = 1;
    await cluster.apply([p]);

    await cluster.waitFor('v1', 'Pod', 'default', 'myapp-pod', (x) => containerStatus(x, 'init-myservice')?.state?.running !== undefined, WAIT);
    const waiting = await pod('myapp-pod');
    expect(waiting.status?.phase).toBe('Pending');
    // Not started while the first one runs (upstream reports it waiting with reason PodInitializing).
    expect(containerStatus(waiting, 'init-mydb')?.state?.waiting).toBeDefined();
    expect(containerStatus(waiting, 'myapp-container')?.state?.waiting).toBeDefined();
    expect(await eventually('a waiting line', async () => ((await cluster.logs('default', 'myapp-pod', { container: 'init-myservice' })).includes('waiting for myservice') ? true : undefined))).toBe(true);

    writeFileSync(join(flags.path, 'myservice'), '');
    await cluster.waitFor('v1', 'Pod', 'default', 'myapp-pod', (x) => containerStatus(x, 'init-mydb')?.state?.running !== undefined, WAIT);
    const second = await pod('myapp-pod');
    expect(containerStatus(second, 'init-myservice')?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(containerStatus(second, 'myapp-container')?.state?.running).toBeUndefined();

    writeFileSync(join(flags.path, 'mydb'), '');
    const running = await cluster.waitFor('v1', 'Pod', 'default', 'myapp-pod', (x) => x.status?.phase === 'Running', WAIT);
    expect(running.status?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
    const first = containerStatus(running, 'init-myservice')!.state!.terminated!;
    const then = containerStatus(running, 'init-mydb')!.state!.terminated!;
    expect(Date.parse(then.startedAt!)).toBeGreaterThanOrEqual(Date.parse(first.finishedAt!));
    expect(await cluster.logs('default', 'myapp-pod', { container: 'init-mydb' })).toMatch(/waiting for mydb\n(.*\n)*mydb is up\n$/);
    expect(await eventually('the app output', async () => ((await cluster.logs('default', 'myapp-pod')) || undefined))).toBe('The app is running!\n');
  });

  it('runs the postStart hook that writes /usr/share/message, and the preStop hook on delete (seed lifecycle-demo)', async () => {
    const hooks = hostDir('hooks');
    dirs.push(hooks);
    const p = seed<Pod>('004_933d4accde4b7d3e-02-pod.yaml');
    const c = p.spec!.containers[0]!;
    // Adaptation: busybox instead of nginx. The app serves with busybox httpd; postStart
    // is the seed's command (mkdir -p first: the busybox image has no /usr/share); preStop
    // "nginx -s quit" becomes: record that it ran in a hostPath file. (httpd, PID 1 of its
    // namespace, ignores SIGTERM, so the SIGKILL at the end of the grace period stops it.)
    c.image = 'busybox';
    c.command = ['httpd', '-f', '-p', '8080', '-h', '/tmp'];
    c.lifecycle!.postStart!.exec!.command = ['/bin/sh', '-c', 'mkdir -p /usr/share && echo Hello from the postStart handler> /usr/share/message'];
    c.lifecycle!.preStop!.exec!.command = ['/bin/sh', '-c', 'echo preStop ran > /hooks/prestop'];
    c.volumeMounts = [{ name: 'hooks', mountPath: '/hooks' }];
    p.spec!.volumes = [{ name: 'hooks', hostPath: { path: hooks.path } }];
    p.spec!.terminationGracePeriodSeconds = 2;
    await cluster.apply([p]);
    await cluster.waitFor('v1', 'Pod', 'default', 'lifecycle-demo', (x) => x.status?.phase === 'Running', WAIT);
    const out = await cluster.exec('default', 'lifecycle-demo', 'lifecycle-demo-container', ['cat', '/usr/share/message']);
    expect(out).toEqual({ exitCode: 0, stdout: 'Hello from the postStart handler\n', stderr: '' });
    expect(existsSync(join(hooks.path, 'prestop'))).toBe(false);

    await cluster.client.delete('v1', 'Pod', 'default', 'lifecycle-demo');
    await cluster.waitForDeletion('v1', 'Pod', 'default', 'lifecycle-demo', WAIT);
    expect(readFileSync(join(hooks.path, 'prestop'), 'utf8')).toBe('preStop ran\n');
  });

  it('restarts a container whose liveness probe fails; restartCount grows and logs --previous shows the old instance (seed kubia-liveness)', async () => {
    const p = seed<Pod>('003_bea7a2b1a17eec52-03-pod.yaml');
    const c = p.spec!.containers[0]!;
    // Adaptation: kubia-unhealthy answers 500 after five requests; here busybox httpd
    // serves / until the page is removed 1.5 s after start, then answers 404. Each
    // instance prints its own id. The probe is the seed's httpGet / on 8080, with a
    // shorter initial delay and period than the seed's 11 s.
    c.image = 'busybox';
    c.command = ['sh', '-c', 'id=$(cat /proc/sys/kernel/random/uuid); echo "instance $id"; mkdir -p /www; echo ok > /www/index.html; (sleep 1.5; rm /www/index.html) & exec httpd -f -p 8080 -h /www'];
    c.livenessProbe = { ...c.livenessProbe, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1, timeoutSeconds: 1 };
    p.spec!.terminationGracePeriodSeconds = 1;
    await cluster.apply([p]);
    const restarted = await cluster.waitFor('v1', 'Pod', 'default', 'kubia-liveness', (x) => (containerStatus(x, 'kubia')?.restartCount ?? 0) >= 1 && containerStatus(x, 'kubia')?.state?.running !== undefined, WAIT);
    expect(containerStatus(restarted, 'kubia')?.lastState?.terminated).toBeDefined();
    const previous = await cluster.logs('default', 'kubia-liveness', { previous: true });
    const current = await eventually('the new instance’s output', async () => ((await cluster.logs('default', 'kubia-liveness')) || undefined));
    expect(previous).toMatch(/^instance [0-9a-f-]{36}\n$/);
    expect(current).toMatch(/^instance [0-9a-f-]{36}\n$/);
    expect(current).not.toBe(previous);
    const events = (await cluster.client.list('v1', 'Event', { namespace: 'default' })).items.filter((e) => e.involvedObject?.name === 'kubia-liveness');
    expect(events.some((e) => e.reason === 'Unhealthy' && /Liveness probe failed/.test(e.message ?? ''))).toBe(true);
    await cluster.client.delete('v1', 'Pod', 'default', 'kubia-liveness');
  });

  it('keeps a pod out of its Service’s endpoints until its readiness probe passes', async () => {
    await cluster.apply(`
apiVersion: v1
kind: Service
metadata: { name: gated }
spec:
  selector: { app: gated }
  ports: [{ port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Pod
metadata: { name: gated, labels: { app: gated } }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: busybox
      command: [sleep, "3600"]
      readinessProbe:
        exec: { command: [cat, /tmp/ready] }
        periodSeconds: 1
`);
    const notReady = await cluster.waitFor('v1', 'Pod', 'default', 'gated', (x) => x.status?.phase === 'Running', WAIT);
    expect(notReady.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    const ep = await cluster.waitFor('v1', 'Endpoints', 'default', 'gated', (e) => (e.subsets?.[0]?.notReadyAddresses?.length ?? 0) === 1, WAIT);
    expect(ep.subsets?.[0]?.addresses ?? []).toEqual([]);

    expect((await cluster.exec('default', 'gated', 'main', ['touch', '/tmp/ready'])).exitCode).toBe(0);
    const ready = await cluster.waitFor('v1', 'Pod', 'default', 'gated', (x) => x.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True', WAIT);
    const readyEp = await cluster.waitFor('v1', 'Endpoints', 'default', 'gated', (e) => (e.subsets?.[0]?.addresses?.length ?? 0) === 1, WAIT);
    expect(readyEp.subsets?.[0]?.addresses?.[0]?.ip).toBe(ready.status?.podIP);
    await cluster.client.delete('v1', 'Pod', 'default', 'gated');
  });

  it('deletes gracefully: SIGTERM first, SIGKILL once the grace period is over', async () => {
    const log = hostDir('term');
    dirs.push(log);
    const container = (name: string, script: string) => ({ name, image: 'busybox', command: ['sh', '-c', script], volumeMounts: [{ name: 'log', mountPath: '/log' }] });
    // "polite" exits on SIGTERM; "stubborn" notes the signal and carries on, so only SIGKILL ends it.
    const graceful: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'graceful', namespace: 'default' },
      spec: {
        terminationGracePeriodSeconds: 4,
        volumes: [{ name: 'log', hostPath: { path: log.path } }],
        containers: [
          container('polite', "trap 'echo polite got TERM >> /log/polite; exit 0' TERM; echo started >> /log/polite; while true; do sleep 0.1; done"),
          container('stubborn', `trap 'echo stubborn got TERM >> /log/stubborn; t=1' TERM; echo started >> /log/stubborn; while true; do if [ "$t" = 1 ]; then echo alive after TERM >> /log/stubborn; t=2; fi; sleep 0.1; done`),
        ],
      },
    };
    await cluster.apply([graceful]);
    await cluster.waitFor('v1', 'Pod', 'default', 'graceful', (x) => x.status?.phase === 'Running', WAIT);
    await cluster.client.delete('v1', 'Pod', 'default', 'graceful');
    await eventually('both containers to get SIGTERM', () => (readFileSync(join(log.path, 'stubborn'), 'utf8').includes('alive after TERM') && readFileSync(join(log.path, 'polite'), 'utf8').includes('got TERM') ? true : undefined));
    // The stubborn container is still alive inside the 4 s grace period, so the pod is too.
    const terminating = await pod('graceful');
    expect(terminating.metadata?.deletionTimestamp).toBeDefined();
    expect(terminating.metadata?.deletionGracePeriodSeconds).toBe(4);
    await cluster.waitForDeletion('v1', 'Pod', 'default', 'graceful', WAIT);
    expect(readFileSync(join(log.path, 'polite'), 'utf8')).toBe('started\npolite got TERM\n');
    // It outlived SIGTERM and never exited by itself: only SIGKILL at the end of the grace period ended it.
    expect(readFileSync(join(log.path, 'stubborn'), 'utf8')).toBe('started\nstubborn got TERM\nalive after TERM\n');
  });
});
