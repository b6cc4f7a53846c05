// Workloads from the seed notes on the process runtime, through the whole stack
// (controllers, scheduler, node agents): a Job with completions and parallelism, a
// Deployment serving HTTP on its pod IPs, and a StatefulSet whose volumeClaimTemplates
// are provisioned by the hostpath CSI driver and outlive their pods.
import type { Job, Pod, StatefulSet } from '@bosun/api';
import type { Cluster } from '@bosun/cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceSkip, canRunProcessPods, eventually, seed, startCluster, WAIT } from './support';

announceSkip('test/e2e/workloads.test.ts');

describe.skipIf(!canRunProcessPods)('workloads on the process runtime', { timeout: 90_000 }, () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster('10.203.0.0/16');
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it('runs the seed batch-job to 5 completions, never more than 2 pods at once', async () => {
    const job = seed<Job>('003_bea7a2b1a17eec52-07-job.yaml');
    // Adaptation: yinzige/batch-job (prints, sleeps 120 s, prints) → the same in busybox, sleeping 0.5 s.
    const c = job.spec!.template.spec!.containers[0]!;
    c.image = 'busybox';
    c.command = ['sh', '-c', 'echo "$(date) Batch job starting"; sleep 0.5; echo "$(date) Finished succesfully"'];
    const ac = new AbortController();
    let maxActive = 0;
    const active = new Map<string, boolean>();
    const watching = (async () => {
      for await (const ev of cluster.client.watch('v1', 'Pod', { namespace: 'default', labelSelector: 'app=batch-job', signal: ac.signal })) {
        const p = ev.object as Pod;
        const live = ev.type !== 'DELETED' && (p.status?.phase === 'Running' || p.status?.phase === 'Pending');
        active.set(p.metadata!.name!, live);
        maxActive = Math.max(maxActive, [...active.values()].filter(Boolean).length);
      }
    })().catch(() => undefined);
    await cluster.apply([job]);
    const done = await cluster.waitFor('batch/v1', 'Job', 'default', 'batch-job', (j) => j.status?.succeeded === 5, { timeoutMs: 60_000 });
    ac.abort();
    await watching;
    expect(done.status?.conditions?.find((x) => x.type === 'Complete')?.status).toBe('True');
    expect(maxActive).toBeGreaterThan(0);
    expect(maxActive).toBeLessThanOrEqual(2);
    const pods = (await cluster.client.list('v1', 'Pod', { namespace: 'default', labelSelector: 'app=batch-job' })).items;
    expect(pods.filter((p) => p.status?.phase === 'Succeeded')).toHaveLength(5);
    expect(await cluster.logs('default', pods[0]!.metadata!.name!)).toMatch(/Batch job starting\n.*Finished succesfully\n$/);
  });

  it('serves HTTP from every replica of a Deployment on its pod IP', async () => {
    await cluster.apply(`
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: httpd
          image: busybox
          command: [sh, -c, 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www']
          readinessProbe: { httpGet: { path: /, port: 8080 }, periodSeconds: 1 }
`);
    await cluster.waitFor('apps/v1', 'Deployment', 'default', 'web', (d) => d.status?.readyReplicas === 3, WAIT);
    const pods = (await cluster.client.list('v1', 'Pod', { namespace: 'default', labelSelector: 'app=web' })).items;
    expect(new Set(pods.map((p) => p.spec?.nodeName)).size).toBe(2);
    for (const p of pods) {
      const body = await (await fetch(`http://${p.status!.podIP}:8080/`)).text();
      expect(body).toBe(`${p.metadata!.name}\n`);
    }
  });

  it('provisions the seed StatefulSet’s claims on the hostpath CSI driver; data outlives the pod', async () => {
    const sts = seed<StatefulSet>('002_8cc7607eac0f66d5-06-statefulset.yaml');
    // Adaptation: storageClassName longhorn → standard (the cluster's hostpath class).
    sts.spec!.volumeClaimTemplates![0]!.spec!.storageClassName = 'standard';
    sts.spec!.template.spec!.terminationGracePeriodSeconds = 1;
    await cluster.apply([sts]);
    await cluster.waitFor('apps/v1', 'StatefulSet', 'default', 'sleep', (s) => s.status?.readyReplicas === 2, { timeoutMs: 60_000 });
    const claim = await cluster.client.get('v1', 'PersistentVolumeClaim', 'default', 'sleep-volume-sleep-0');
    expect(claim.status?.phase).toBe('Bound');

    const write = await cluster.exec('default', 'sleep-0', 'sleep', ['sh', '-c', 'hostname > /storagedir/myhost']);
    expect(write.exitCode).toBe(0);
    const before = await cluster.client.get('v1', 'Pod', 'default', 'sleep-0');
    await cluster.client.delete('v1', 'Pod', 'default', 'sleep-0');
    await cluster.waitFor('v1', 'Pod', 'default', 'sleep-0', (p) => p.metadata?.uid !== before.metadata?.uid && p.status?.phase === 'Running', { timeoutMs: 60_000 });
    const after = await cluster.client.get('v1', 'Pod', 'default', 'sleep-0');
    // The volume lives on one node, so the new pod is placed there.
    expect(after.spec?.nodeName).toBe(before.spec?.nodeName);
    const read = await eventually('the file written by the old pod', async () => {
      const r = await cluster.exec('default', 'sleep-0', 'sleep', ['/bin/cat', '/storagedir/myhost']);
      return r.exitCode === 0 ? r.stdout : undefined;
    });
    expect(read).toBe('sleep-0\n');
  });
});
