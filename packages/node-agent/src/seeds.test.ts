// The seed examples (test/fixtures/seeds) that exercise environment and volumes, run by
// the node agent on the fake runtime: what each container would get from a real kubelet.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decode, type Pod } from '@bosun/api';
import { createTestEnv, type TestEnv } from '@bosun/apiserver';
import { createInProcessCriClient } from '@bosun/cri';
import { createFakeRuntime, type FakeRuntime } from '@bosun/runtime-fake';
import { createNodeAgent } from './index';

const seeds = fileURLToPath(new URL('../../../test/fixtures/seeds/', import.meta.url));
const seedPod = (file: string): Pod => {
  const p = decode(readFileSync(join(seeds, file), 'utf8')) as Pod;
  return { ...p, metadata: { ...p.metadata, namespace: 'default' }, spec: { ...p.spec!, nodeName: 'node-1' } };
};

async function run(file: string, prepare: (env: TestEnv) => Promise<void>, check: (ctx: { env: TestEnv; runtime: FakeRuntime; pod: Pod; root: string }) => Promise<void>) {
  const env = await createTestEnv();
  const root = await mkdtemp(join(tmpdir(), 'bosun-seed-'));
  const runtime = createFakeRuntime({ clock: env.clock, podCidr: '10.244.1.0/24' });
  const agent = createNodeAgent({ client: env.client, cri: createInProcessCriClient(runtime), nodeName: 'node-1', clock: env.clock, logger: { warn: () => undefined, error: () => undefined }, rootDir: root, memoryTmpfs: false });
  try {
    await agent.start();
    await prepare(env);
    const created = await env.client.create(seedPod(file));
    let pod = created;
    for (let i = 0; i < 200 && pod.status?.phase !== 'Running'; i++) {
      await env.clock.advance(250);
      await new Promise((r) => setTimeout(r, 2));
      pod = await env.client.get('v1', 'Pod', 'default', created.metadata!.name!);
    }
    expect(pod.status?.phase).toBe('Running');
    await check({ env, runtime, pod, root });
  } finally {
    await agent.stop();
    runtime.dispose();
    await env.stop();
    await rm(root, { recursive: true, force: true });
  }
}

const configOf = (runtime: FakeRuntime, pod: Pod, name: string) => runtime.containerConfig(pod.status!.containerStatuses!.find((c) => c.name === name)!.containerID!.split('://')[1]!)!;
const envMap = (cfg: { envs: { key: string; value: string }[] }) => Object.fromEntries(cfg.envs.map((e) => [e.key, e.value]));

describe('seed examples on the node agent', () => {
  it('fortune: two containers share an emptyDir, one read-only', () =>
    run('003_bea7a2b1a17eec52-18-pod.yaml', async () => undefined, async ({ runtime, pod, root }) => {
      const dir = join(root, 'pods', pod.metadata!.uid!, 'volumes/kubernetes.io~empty-dir/html');
      expect(configOf(runtime, pod, 'html-generator').mounts).toEqual([expect.objectContaining({ containerPath: '/var/htdocs', hostPath: dir, readonly: false })]);
      expect(configOf(runtime, pod, 'web-server').mounts).toEqual([expect.objectContaining({ containerPath: '/usr/share/nginx/html', hostPath: dir, readonly: true })]);
    }));

  it('fortune-env-from-configmap: configMapKeyRef and envFrom with prefix CONF_', () =>
    run(
      '003_bea7a2b1a17eec52-24-pod.yaml',
      async (env) => void (await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fortune-config-cm', namespace: 'default' }, data: { 'sleep-interval': '25', 'my-nginx-config.conf': 'gzip on;' } })),
      async ({ runtime, pod }) => {
        expect(envMap(configOf(runtime, pod, 'html-generator'))).toMatchObject({ INTERVAL: '25', 'CONF_sleep-interval': '25', 'CONF_my-nginx-config.conf': 'gzip on;' });
      },
    ));

  it('fortune-configmap-volume: items with defaultMode 0666 and a subPath file', () =>
    run(
      '003_bea7a2b1a17eec52-25-pod.yaml',
      async (env) => void (await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fortune-config', namespace: 'default' }, data: { 'sleep-interval': '25', 'my-nginx-config.conf': 'gzip on;' } })),
      async ({ runtime, pod }) => {
        expect(envMap(configOf(runtime, pod, 'html-generator')).INTERVAL).toBe('25');
        const gzip = configOf(runtime, pod, 'web-server').mounts.find((m) => m.containerPath === '/etc/nginx/conf.d/gzip_in.conf')!;
        expect(gzip.readonly).toBe(true);
        expect(await readFile(gzip.hostPath, 'utf8')).toBe('gzip on;');
        expect((await stat(gzip.hostPath)).mode & 0o777).toBe(0o666);
      },
    ));

  it('fortune-with-serect: a secret key mounted as a file through subPath', () =>
    run(
      '003_bea7a2b1a17eec52-26-pod.yaml',
      async (env) => void (await env.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'fortune-auth', namespace: 'default' }, data: { 'password.txt': Buffer.from('hunter2').toString('base64') } })),
      async ({ runtime, pod }) => {
        const m = configOf(runtime, pod, 'fortune-auth-main').mounts[0]!;
        expect(m).toMatchObject({ containerPath: '/tmp/no_password.txt', readonly: true });
        expect(await readFile(m.hostPath, 'utf8')).toBe('hunter2');
      },
    ));

  it('downward: namespace, pod IP, cpu request in millicores and memory limit in Ki (node allocatable when unset)', () =>
    run('003_bea7a2b1a17eec52-27-pod.yaml', async () => undefined, async ({ runtime, pod }) => {
      expect(envMap(configOf(runtime, pod, 'main'))).toMatchObject({ E_POD_NAMESPACE: 'default', E_POD_IP: pod.status!.podIP!, E_REQ_CPU: '0', E_LIMIT_MEM: String(8 * 1024 * 1024) });
    }));
});
