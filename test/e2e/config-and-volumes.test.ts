// The seed notes' configuration and volume examples, run for real on the process
// runtime: env from a ConfigMap (prefix, `$(VAR)` expansion), configMap and secret
// volumes (items, subPath, defaultMode), the downward API (env and a volume whose
// labels file follows relabelling) and two containers sharing an emptyDir. The seeds'
// book images (luksa/fortune, yinzige/fortuneloop, nginx) are replaced by busybox with a
// command doing the same job; each adaptation is written where it is made.
import type { Pod } from '@bosun/api';
import type { Cluster } from '@bosun/cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceSkip, canRunProcessPods, eventually, seed, startCluster, WAIT } from './support';

announceSkip('test/e2e/config-and-volumes.test.ts');

/** The `env` output of a container as a map. */
const envOf = (text: string) => new Map(text.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

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

  it('expands $(INTERVAL)_1 (seed fortune3s) and imports a ConfigMap with a prefix (seed fortune-env-from-configmap)', async () => {
    await cluster.apply(`
apiVersion: v1
kind: ConfigMap
metadata: { name: fortune-config-cm }
data:
  sleep-interval: "25"
  mode: fast
`);
    const expanded = seed<Pod>('003_bea7a2b1a17eec52-23-pod.yaml');
    const fromCm = seed<Pod>('003_bea7a2b1a17eec52-24-pod.yaml');
    // Adaptation: luksa/fortune:env → busybox printing its environment and sleeping.
    for (const p of [expanded, fromCm]) {
      p.spec!.containers[0]!.image = 'busybox';
      p.spec!.containers[0]!.command = ['sh', '-c', 'env; sleep 3600'];
      p.spec!.terminationGracePeriodSeconds = 1;
    }
    await cluster.apply([expanded, fromCm]);
    await running('fortune3s');
    await running('fortune-env-from-configmap');

    const env1 = envOf(await eventually('env output', async () => (await cluster.logs('default', 'fortune3s')) || undefined));
    expect(env1.get('INTERVAL')).toBe('5');
    expect(env1.get('NESTED_VAR')).toBe('5_1');

    const env2 = envOf(await eventually('env output', async () => (await cluster.logs('default', 'fortune-env-from-configmap')) || undefined));
    expect(env2.get('INTERVAL')).toBe('25');
    expect(env2.get('CONF_mode')).toBe('fast');
  });

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

  it('shares an emptyDir between a writer and a read-only reader (seed fortune)', async () => {
    const p = seed<Pod>('003_bea7a2b1a17eec52-18-pod.yaml');
    const [generator, web] = p.spec!.containers;
    // Adaptation: yinzige/fortuneloop → a busybox loop writing the page; nginx:alpine → busybox httpd.
    generator!.image = 'busybox';
    generator!.command = ['sh', '-c', 'while true; do echo "fortune $(cat /proc/sys/kernel/random/uuid)" > /var/htdocs/index.html; sleep 1; done'];
    web!.image = 'busybox';
    web!.command = ['httpd', '-f', '-p', '80', '-h', '/usr/share/nginx/html'];
    p.spec!.terminationGracePeriodSeconds = 1;
    await cluster.apply([p]);
    await running('fortune');
    const written = await eventually('the first page', async () => {
      const r = await exec('fortune', 'html-generator', ['cat', '/var/htdocs/index.html']);
      return r.exitCode === 0 ? r.stdout : undefined;
    });
    expect(written).toMatch(/^fortune [0-9a-f-]{36}\n$/);
    const seen = (await exec('fortune', 'web-server', ['cat', '/usr/share/nginx/html/index.html'])).stdout;
    expect(seen).toMatch(/^fortune [0-9a-f-]{36}\n$/);
    expect((await exec('fortune', 'web-server', ['sh', '-c', 'echo x > /usr/share/nginx/html/index.html'])).exitCode).not.toBe(0);
  });

  it('mounts a Secret key with subPath (seed fortune-with-serect) and a whole Secret as files', async () => {
    await cluster.apply(`
apiVersion: v1
kind: Secret
metadata: { name: fortune-auth }
stringData:
  password.txt: s3cr3t
  user.txt: admin
`);
    const p = seed<Pod>('003_bea7a2b1a17eec52-26-pod.yaml');
    const c = p.spec!.containers[0]!;
    // Adaptation: yinzige/fortuneloop → busybox sleeping; a second mount of the whole secret added.
    c.image = 'busybox';
    c.command = ['sleep', '3600'];
    c.volumeMounts!.push({ name: 'auth', mountPath: '/etc/auth', readOnly: true });
    p.spec!.terminationGracePeriodSeconds = 1;
    await cluster.apply([p]);
    await running('fortune-with-serect');
    expect((await exec('fortune-with-serect', 'fortune-auth-main', ['cat', '/tmp/no_password.txt'])).stdout).toBe('s3cr3t');
    expect((await exec('fortune-with-serect', 'fortune-auth-main', ['cat', '/etc/auth/user.txt'])).stdout).toBe('admin');
    expect((await exec('fortune-with-serect', 'fortune-auth-main', ['stat', '-L', '-c', '%a', '/etc/auth/user.txt'])).stdout).toBe('644\n');
  });

  it('passes the downward API as env (seed downward) and as a volume whose labels file follows a relabel', async () => {
    const p = seed<Pod>('003_bea7a2b1a17eec52-27-pod.yaml');
    const c = p.spec!.containers[0]!;
    // Additions (the notes' §8.1.2 volume example): labels, requests/limits for the
    // resourceFieldRefs to read, and a downwardAPI volume with the labels and the cpu request.
    c.command = ['sh', '-c', 'env; sleep 1000'];
    c.resources = { requests: { cpu: '15m', memory: '100Ki' }, limits: { cpu: '100m', memory: '4Mi' } };
    c.volumeMounts = [{ name: 'downward', mountPath: '/etc/downward' }];
    p.metadata!.labels = { foo: 'bar' };
    p.spec!.terminationGracePeriodSeconds = 1;
    p.spec!.volumes = [
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
    await cluster.apply([p]);
    const pod = await running('downward');
    const env = envOf(await eventually('env output', async () => (await cluster.logs('default', 'downward')) || undefined));
    expect(env.get('E_POD_NAMESPACE')).toBe('default');
    expect(env.get('E_POD_IP')).toBe(pod.status?.podIP);
    expect(env.get('E_REQ_CPU')).toBe('15');
    expect(env.get('E_LIMIT_MEM')).toBe('4096');

    expect((await exec('downward', 'main', ['cat', '/etc/downward/labels'])).stdout).toBe('foo="bar"');
    expect((await exec('downward', 'main', ['cat', '/etc/downward/container_request_cpu'])).stdout).toBe('15');
    await cluster.client.patch('v1', 'Pod', 'default', 'downward', { metadata: { labels: { foo: 'baz', tier: 'web' } } }, { type: 'merge' });
    const relabelled = await eventually('the labels file to change', async () => {
      const out = (await exec('downward', 'main', ['cat', '/etc/downward/labels'])).stdout;
      return out.includes('baz') ? out : undefined;
    });
    expect(relabelled).toBe('foo="baz"\ntier="web"');
  });
});
