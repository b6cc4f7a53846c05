// Workloads from the seed notes on the process runtime, through the whole stack
// (controllers, scheduler, node agents): a Deployment serving HTTP on its pod IPs across
// two nodes. The seed Job (completions and parallelism) and the seed StatefulSet (claims
// provisioned by the hostpath CSI driver that outlive their pods) are asserted once, in
// the scenario table (test/runtimes/scenarios.ts), which runs them on the process
// runtime, Docker and containerd.
import type { Cluster } from '@bosun/cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceSkip, canRunProcessPods, startCluster, WAIT } from './support';

announceSkip('test/e2e/workloads.test.ts');

describe.skipIf(!canRunProcessPods)('workloads on the process runtime', { timeout: 90_000 }, () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster('10.203.0.0/16');
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

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
});
