// The seed notes' pod lifecycle, run for real on the process runtime: readiness gating
// and graceful deletion. The lifecycle seeds that run the same on every runtime (init
// containers, postStart/preStop hooks, liveness restarts) are asserted once, in the
// scenario table (test/runtimes/scenarios.ts), which runs them on the process runtime,
// Docker and containerd.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '@bosun/api';
import type { Cluster } from '@bosun/cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceSkip, canRunProcessPods, eventually, hostDir, startCluster, WAIT } from './support';

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
