// The seed notes' configuration and volume examples, run for real on the process
// runtime: a configMap volume mounted by items and subPath with defaultMode next to an
// emptyDir two containers share (seed fortune-configmap-volume). The book images
// (yinzige/fortuneloop, nginx) are replaced by busybox with a command doing the same
// job; each adaptation is written where it is made. The other configuration seeds (env
// from a ConfigMap with a prefix and `$(VAR)` expansion, a Secret by subPath and as files,
// the downward API as env and as a volume that follows a relabel, the fortune emptyDir)
// are asserted once, in the scenario table (test/runtimes/scenarios.ts), which runs them
// on the process runtime, Docker and containerd.
import type { Pod } from '@bosun/api';
import type { Cluster } from '@bosun/cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceSkip, canRunProcessPods, eventually, seed, startCluster, WAIT } from './support';

announceSkip('test/e2e/config-and-volumes.test.ts');

describe.skipIf(!canRunProcessPods)('configuration and volumes on the process runtime', { timeout: 90_000 }, () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster('10.202.0.0/16');
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);
  const exec = (pod: string, container: string, argv: string[]) => cluster.exec('default', pod, container, argv);
  const running = (name: string) => cluster.waitFor('v1', 'Pod', 'default', name, (p) => p.status?.phase === 'Running', WAIT);

  it('mounts one ConfigMap key through items and subPath with defaultMode 0666, next to an emptyDir the two containers share (seed fortune-configmap-volume)', async () => {
    await cluster.apply(`
apiVersion: v1
kind: ConfigMap
metadata: { name: fortune-config }
data:
  sleep-interval: "1"
  my-nginx-config.conf: |
    server { gzip on; }
`);
    const p = seed<Pod>('003_bea7a2b1a17eec52-25-pod.yaml');
    const [generator, web] = p.spec!.containers;
    // Adaptation: the generator writes the date every $INTERVAL seconds (fortuneloop's job);
    // the web server is busybox httpd instead of nginx:alpine, serving the shared html dir.
    generator!.image = 'busybox';
    generator!.command = ['sh', '-c', 'while true; do echo "fortune at $(date +%s)" > /var/htdocs/index.html; sleep $INTERVAL; done'];
    web!.image = 'busybox';
    web!.command = ['httpd', '-f', '-p', '80', '-h', '/usr/share/nginx/html'];
    p.spec!.terminationGracePeriodSeconds = 1;
    await cluster.apply([p]);
    const pod = await running('fortune-configmap-volume');

    const conf = await exec('fortune-configmap-volume', 'web-server', ['cat', '/etc/nginx/conf.d/gzip_in.conf']);
    expect(conf).toEqual({ exitCode: 0, stdout: 'server { gzip on; }\n', stderr: '' });
    expect((await exec('fortune-configmap-volume', 'web-server', ['stat', '-L', '-c', '%a', '/etc/nginx/conf.d/gzip_in.conf'])).stdout).toBe('666\n');
    // Only the subPath file is mounted: the directory holds nothing else from the volume.
    expect((await exec('fortune-configmap-volume', 'web-server', ['ls', '/etc/nginx/conf.d'])).stdout).toBe('gzip_in.conf\n');

    const page = await eventually('the shared page over HTTP', async () => {
      const res = await fetch(`http://${pod.status!.podIP}:80/index.html`);
      return res.ok ? await res.text() : undefined;
    });
    expect(page).toMatch(/^fortune at \d+\n$/);
    const readOnly = await exec('fortune-configmap-volume', 'web-server', ['touch', '/usr/share/nginx/html/x']);
    expect(readOnly.exitCode).not.toBe(0);
  });
});
