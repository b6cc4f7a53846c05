import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Pod, core } from '@bosun/api';
import { createTestEnv, type TestEnv } from '@bosun/apiserver';
import { createCsiClient, serveCsi, type CsiClient, type CsiServerHandle } from '@bosun/csi';
import { createHostPathDriver, type HostPathDriver } from '@bosun/storage-hostpath';
import { AtomicWriter } from './atomic-writer';
import { isNodeAgentError } from './errors';
import { checkHostPath, VolumeManager, type MountedVolume } from './volumes';

const quiet = { warn: () => undefined };
const ALLOCATABLE = { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' };

let env: TestEnv;
let dir: string;
let root: string;
let vm: VolumeManager;

beforeEach(async () => {
  env = await createTestEnv();
  dir = await mkdtemp(join(tmpdir(), 'bosun-vol-'));
  root = join(dir, 'kubelet');
  vm = new VolumeManager({ client: env.client, clock: env.clock, nodeName: 'node-1', rootDir: root, allocatable: ALLOCATABLE, logger: quiet, memoryTmpfs: false });
});
afterEach(async () => {
  await env.stop();
  await rm(dir, { recursive: true, force: true });
});

function pod(volumes: core.Volume[], containers: core.Container[] = [{ name: 'app' }], uid = 'pod-uid-1'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid, labels: { app: 'web', zone: 'a' }, annotations: { build: '7' } },
    spec: { nodeName: 'node-1', containers, volumes },
  };
}

const read = (...p: string[]) => readFile(join(...p), 'utf8');
const modeOf = async (p: string) => (await stat(p)).mode & 0o777;
async function setUpError(p: Pod): Promise<string> {
  const err = await vm.setUp(p).then(() => undefined, (e: unknown) => e);
  expect(isNodeAgentError(err) && err.code).toBe('Volume');
  return (err as Error).message;
}

describe('emptyDir', () => {
  it('creates a world-writable directory under pods/<uid>/volumes/kubernetes.io~empty-dir and removes it on teardown', async () => {
    const vols = await vm.setUp(pod([{ name: 'cache', emptyDir: {} }, { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }]));
    const cache = vols.get('cache')!;
    expect(cache).toEqual({ name: 'cache', path: join(root, 'pods/pod-uid-1/volumes/kubernetes.io~empty-dir/cache'), readOnly: false });
    expect((await stat(cache.path)).isDirectory()).toBe(true);
    expect((await stat(vols.get('shm')!.path)).isDirectory()).toBe(true); // memoryTmpfs off: a directory
    await writeFile(join(cache.path, 'data'), 'x');
    await vm.setUp(pod([{ name: 'cache', emptyDir: {} }]));
    expect(await read(cache.path, 'data')).toBe('x'); // a re-sync keeps the content
    await vm.tearDown('pod-uid-1');
    await expect(stat(join(root, 'pods/pod-uid-1'))).rejects.toThrow();
  });

  it('mounts medium Memory on a size-limited tmpfs where permitted (else logs that it is a directory) and unmounts it on teardown', async () => {
    const warnings: string[] = [];
    const mem = new VolumeManager({ client: env.client, clock: env.clock, nodeName: 'node-1', rootDir: root, allocatable: ALLOCATABLE, logger: { warn: (m) => warnings.push(m) } });
    const path = (await mem.setUp(pod([{ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }], undefined, 'mem-uid'))).get('shm')!.path;
    const mountLine = async () => (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').find((l) => l.split(' ')[4] === path);
    const line = await mountLine();
    if (line) {
      expect(line).toMatch(/ - tmpfs tmpfs .*size=1024k/);
      await mem.setUp(pod([{ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }], undefined, 'mem-uid')); // no second mount
      expect((await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.split(' ')[4] === path)).toHaveLength(1);
    } else {
      expect(warnings.join('\n')).toMatch(/emptyDir medium Memory (is a plain directory|falls back to a directory)/);
    }
    await mem.tearDown('mem-uid');
    expect(await mountLine()).toBeUndefined();
    await expect(stat(join(root, 'pods/mem-uid'))).rejects.toThrow();
  });

  it('refuses an unknown medium', async () => {
    expect(await setUpError(pod([{ name: 'h', emptyDir: { medium: 'HugePages' } }]))).toBe('MountVolume.SetUp failed for volume "h" : emptyDir medium "HugePages" is not supported (use "" or "Memory")');
  });
});

describe('hostPath', () => {
  it('creates DirectoryOrCreate and FileOrCreate paths', async () => {
    const d = join(dir, 'host', 'made');
    const f = join(dir, 'log.txt');
    const vols = await vm.setUp(pod([{ name: 'd', hostPath: { path: d, type: 'DirectoryOrCreate' } }, { name: 'f', hostPath: { path: f, type: 'FileOrCreate' } }]));
    expect(vols.get('d')).toEqual({ name: 'd', path: d, readOnly: false });
    expect((await stat(d)).isDirectory()).toBe(true);
    expect((await stat(f)).isFile()).toBe(true);
  });

  it.each([
    ['Directory on a file', 'file', 'Directory', 'is not a directory'],
    ['Directory that does not exist', 'missing', 'Directory', 'is not a directory'],
    ['File on a directory', 'sub', 'File', 'is not a file'],
    ['Socket on a file', 'file', 'Socket', 'is not a socket file'],
    ['CharDevice on a file', 'file', 'CharDevice', 'is not a character device'],
    ['BlockDevice on a directory', 'sub', 'BlockDevice', 'is not a block device'],
    ['DirectoryOrCreate on a file', 'file', 'DirectoryOrCreate', 'is not a directory'],
  ])('refuses %s with a type-check error', async (_n, name, type, what) => {
    await writeFile(join(dir, 'file'), '');
    await mkdir(join(dir, 'sub'));
    const path = join(dir, name);
    expect(await setUpError(pod([{ name: 'hp', hostPath: { path, type } }]))).toBe(`MountVolume.SetUp failed for volume "hp" : hostPath type check failed: ${path} ${what}`);
  });

  it('accepts a socket, a character device, an unchecked path, and refuses FileOrCreate without a parent', async () => {
    const sock = join(dir, 's.sock');
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      await expect(checkHostPath(sock, 'Socket')).resolves.toBe(sock);
    } finally {
      server.close();
    }
    await expect(checkHostPath('/dev/null', 'CharDevice')).resolves.toBe('/dev/null');
    await expect(checkHostPath(join(dir, 'nothing'), '')).resolves.toBe(join(dir, 'nothing'));
    await expect(checkHostPath(join(dir, 'no', 'f'), 'FileOrCreate')).rejects.toThrow('parent directory does not exist');
    await expect(checkHostPath(dir, 'Weird')).rejects.toThrow('hostPath type "Weird" is not one of');
  });
});

describe('configMap and secret volumes', () => {
  beforeEach(async () => {
    await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'game', namespace: 'default' }, data: { 'game.properties': 'lives=3', 'ui.properties': 'color=red' } });
    await env.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: 'default' }, data: { username: Buffer.from('admin').toString('base64'), password: Buffer.from('pw').toString('base64') } });
  });

  it('projects every key through the ..data symlink, read-only, mode 0644 by default', async () => {
    const vols = await vm.setUp(pod([{ name: 'cfg', configMap: { name: 'game' } }]));
    const v = vols.get('cfg')!;
    expect(v).toMatchObject({ path: join(root, 'pods/pod-uid-1/volumes/kubernetes.io~configmap/cfg'), readOnly: true });
    expect(await read(v.path, 'game.properties')).toBe('lives=3');
    expect(await readlink(join(v.path, 'game.properties'))).toBe('..data/game.properties');
    expect(await readlink(join(v.path, '..data'))).toMatch(/^\.\.\d{4}_/);
    expect(await modeOf(join(v.path, 'game.properties'))).toBe(0o644);
    const entries = await readdir(v.path);
    expect(entries.filter((e) => !e.startsWith('..')).sort()).toEqual(['game.properties', 'ui.properties']);
    const hidden = entries.filter((e) => e.startsWith('..')).sort();
    expect(hidden).toHaveLength(2);
    expect(hidden[0]).toMatch(/^\.\.\d{4}_/);
    expect(hidden[1]).toBe('..data');
  });

  it('projects items to paths with their modes, and defaultMode for the rest', async () => {
    const vols = await vm.setUp(pod([{ name: 's', secret: { secretName: 'creds', defaultMode: 0o400, items: [{ key: 'username', path: 'my-group/my-username', mode: 0o600 }, { key: 'password', path: 'pw' }] } }]));
    const p = vols.get('s')!.path;
    expect(p).toBe(join(root, 'pods/pod-uid-1/volumes/kubernetes.io~secret/s'));
    expect(await read(p, 'my-group/my-username')).toBe('admin');
    expect(await modeOf(join(p, 'my-group/my-username'))).toBe(0o600);
    expect(await read(p, 'pw')).toBe('pw');
    expect(await modeOf(join(p, 'pw'))).toBe(0o400);
    await expect(lstat(join(p, 'username'))).rejects.toThrow();
  });

  it('propagates updates by swapping ..data atomically and removes the old data directory and dropped keys', async () => {
    const p = (await vm.setUp(pod([{ name: 'cfg', configMap: { name: 'game' } }]))).get('cfg')!.path;
    const firstData = await readlink(join(p, '..data'));
    const heldOpen = await realpath(join(p, 'game.properties'));
    const cm = await env.client.get('v1', 'ConfigMap', 'default', 'game');
    await env.client.update({ ...cm, data: { 'game.properties': 'lives=5', 'new.properties': 'n=1' } });
    await vm.setUp(pod([{ name: 'cfg', configMap: { name: 'game' } }]));
    expect(await readlink(join(p, '..data'))).not.toBe(firstData);
    expect(await read(p, 'game.properties')).toBe('lives=5');
    expect(await read(p, 'new.properties')).toBe('n=1');
    await expect(lstat(join(p, 'ui.properties'))).rejects.toThrow();
    await expect(stat(heldOpen)).rejects.toThrow(); // the old timestamped directory is gone
    expect((await readdir(p)).filter((e) => e.startsWith('..') && e !== '..data')).toHaveLength(1);
  });

  it('does not rewrite an unchanged payload', async () => {
    const p = (await vm.setUp(pod([{ name: 'cfg', configMap: { name: 'game' } }]))).get('cfg')!.path;
    const before = await readlink(join(p, '..data'));
    await vm.setUp(pod([{ name: 'cfg', configMap: { name: 'game' } }]));
    expect(await readlink(join(p, '..data'))).toBe(before);
  });

  it.each([
    ['a missing ConfigMap', { name: 'c', configMap: { name: 'nope' } }, 'configmap "nope" not found'],
    ['a missing Secret', { name: 'c', secret: { secretName: 'nope' } }, 'secret "nope" not found'],
    ['a missing ConfigMap key', { name: 'c', configMap: { name: 'game', items: [{ key: 'x', path: 'x' }] } }, 'configmap references non-existent config key: x'],
    ['a missing Secret key', { name: 'c', secret: { secretName: 'creds', items: [{ key: 'token', path: 't' }] } }, 'secret references non-existent secret key: token'],
    ['an item path with ..', { name: 'c', configMap: { name: 'game', items: [{ key: 'ui.properties', path: '../escape' }] } }, `invalid path "../escape": must not contain '..'`],
    ['an absolute item path', { name: 'c', configMap: { name: 'game', items: [{ key: 'ui.properties', path: '/etc/x' }] } }, 'invalid path "/etc/x": must be relative'],
  ] as const)('fails on %s with a FailedMount message', async (_n, volume, message) => {
    expect(await setUpError(pod([structuredClone(volume) as core.Volume]))).toBe(`MountVolume.SetUp failed for volume "c" : ${message}`);
  });

  it('mounts an empty volume for a missing optional ConfigMap and skips missing optional keys', async () => {
    const vols = await vm.setUp(pod([{ name: 'a', configMap: { name: 'nope', optional: true } }, { name: 'b', configMap: { name: 'game', optional: true, items: [{ key: 'x', path: 'x' }, { key: 'ui.properties', path: 'ui' }] } }]));
    expect((await readdir(vols.get('a')!.path)).filter((e) => !e.startsWith('..'))).toEqual([]);
    expect((await readdir(vols.get('b')!.path)).filter((e) => !e.startsWith('..'))).toEqual(['ui']);
  });

  it('fails without a rootDir, saying so', async () => {
    const bare = new VolumeManager({ client: env.client, clock: env.clock, nodeName: 'node-1', allocatable: ALLOCATABLE, logger: quiet });
    const err = await bare.setUp(pod([{ name: 'cfg', configMap: { name: 'game' } }])).catch((e: Error) => e);
    expect((err as Error).message).toBe('MountVolume.SetUp failed for volume "cfg" : the node agent has no rootDir, so it cannot hold volume data (set the rootDir option)');
    await expect(bare.setUp(pod([{ name: 'h', hostPath: { path: dir } }]))).resolves.toBeTruthy();
  });
});

describe('downwardAPI and projected volumes', () => {
  it('writes labels, annotations, fields and resources, and rewrites labels when they change', async () => {
    const containers: core.Container[] = [{ name: 'app', resources: { limits: { memory: '64Mi' }, requests: { cpu: '250m' } } }];
    const items: core.DownwardAPIVolumeFile[] = [
      { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
      { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
      { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
      { path: 'cpu_request', resourceFieldRef: { containerName: 'app', resource: 'requests.cpu', divisor: '1m' } },
      { path: 'mem_limit', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
    ];
    const p1 = pod([{ name: 'podinfo', downwardAPI: { items } }], containers);
    const v = (await vm.setUp(p1)).get('podinfo')!;
    expect(v.path).toBe(join(root, 'pods/pod-uid-1/volumes/kubernetes.io~downward-api/podinfo'));
    expect(await read(v.path, 'labels')).toBe('app="web"\nzone="a"');
    expect(await read(v.path, 'annotations')).toBe('build="7"');
    expect(await read(v.path, 'name')).toBe('web');
    expect(await read(v.path, 'cpu_request')).toBe('250');
    expect(await read(v.path, 'mem_limit')).toBe('64');
    const relabelled = { ...p1, metadata: { ...p1.metadata, labels: { app: 'web', zone: 'b', extra: 'yes' } } };
    await vm.setUp(relabelled);
    expect(await read(v.path, 'labels')).toBe('app="web"\nextra="yes"\nzone="b"');
    expect(await setUpError(pod([{ name: 'd', downwardAPI: { items: [{ path: 'ip', fieldRef: { fieldPath: 'status.podIP' } }] } }]))).toContain('unsupported downward API volume fieldPath: status.podIP');
  });

  it('combines configMap, secret, downwardAPI and a placeholder service-account token in one directory', async () => {
    await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ca', namespace: 'default' }, data: { 'ca.crt': 'CERT' } });
    await env.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tok', namespace: 'default' }, stringData: { key: 'K' } } as never);
    const p = pod([
      {
        name: 'all',
        projected: {
          sources: [
            { configMap: { name: 'ca' } },
            { secret: { name: 'tok', items: [{ key: 'key', path: 'secret/key' }] } },
            { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
            { serviceAccountToken: { path: 'token', audience: 'vault', expirationSeconds: 3600 } },
          ],
        },
      },
    ]);
    const v = (await vm.setUp(p)).get('all')!;
    expect(v).toMatchObject({ path: join(root, 'pods/pod-uid-1/volumes/kubernetes.io~projected/all'), readOnly: true });
    expect(await read(v.path, 'ca.crt')).toBe('CERT');
    expect(await read(v.path, 'ns')).toBe('default');
    const secret = await env.client.get('v1', 'Secret', 'default', 'tok');
    if (secret.data?.key || (secret as { stringData?: unknown }).stringData) expect(await read(v.path, 'secret/key')).toBe('K');
    const token = await read(v.path, 'token');
    const [header, claims, signature] = token.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'none', typ: 'JWT' });
    expect(JSON.parse(Buffer.from(claims!, 'base64url').toString())).toMatchObject({ sub: 'system:serviceaccount:default:default', aud: ['vault'], 'kubernetes.io': { namespace: 'default', pod: { name: 'web', uid: 'pod-uid-1' } } });
    expect(signature).toBe('');
    await vm.setUp(p);
    expect(await read(v.path, 'token')).toBe(token); // stable until 80 % of its lifetime
    await env.clock.advance(2900_000);
    await vm.setUp(p);
    expect(await read(v.path, 'token')).not.toBe(token);
  });
});

describe('container mounts', () => {
  const mounted = (path: string, readOnly = false): Map<string, MountedVolume> => new Map([['v', { name: 'v', path, readOnly }]]);

  it('maps volumeMounts to CRI mounts with readonly and propagation', async () => {
    const mounts = await vm.containerMounts(
      { name: 'app', volumeMounts: [{ name: 'v', mountPath: '/data' }, { name: 'v', mountPath: '/ro', readOnly: true, mountPropagation: 'HostToContainer' }] },
      mounted(dir),
      [],
    );
    expect(mounts).toEqual([
      { containerPath: '/data', hostPath: dir, readonly: false, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' },
      { containerPath: '/ro', hostPath: dir, readonly: true, selinuxRelabel: false, propagation: 'PROPAGATION_HOST_TO_CONTAINER' },
    ]);
    const ro = await vm.containerMounts({ name: 'app', volumeMounts: [{ name: 'v', mountPath: '/cfg' }] }, mounted(dir, true), []);
    expect(ro[0]!.readonly).toBe(true);
  });

  it('resolves subPath inside the volume (creating a missing directory) and subPathExpr from the environment', async () => {
    const real = await realpath(dir);
    const [a, b] = await vm.containerMounts(
      { name: 'app', volumeMounts: [{ name: 'v', mountPath: '/a', subPath: 'site/html' }, { name: 'v', mountPath: '/b', subPathExpr: 'logs/$(POD_NAME)' }] },
      mounted(dir),
      [{ key: 'POD_NAME', value: 'web-0' }],
    );
    expect(a!.hostPath).toBe(join(real, 'site/html'));
    expect(b!.hostPath).toBe(join(real, 'logs/web-0'));
    expect((await stat(join(dir, 'logs/web-0'))).isDirectory()).toBe(true);
  });

  it('mounts a configMap key file through subPath (resolved to the data file)', async () => {
    await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'game', namespace: 'default' }, data: { 'game.properties': 'lives=3' } });
    const vols = await vm.setUp(pod([{ name: 'v', configMap: { name: 'game' } }]));
    const [m] = await vm.containerMounts({ name: 'app', volumeMounts: [{ name: 'v', mountPath: '/etc/game.properties', subPath: 'game.properties' }] }, vols, []);
    expect(m!.readonly).toBe(true);
    expect(m!.hostPath).toMatch(/kubernetes\.io~configmap\/v\/\.\.\d[^/]*\/game\.properties$/);
    expect(await readFile(m!.hostPath!, 'utf8')).toBe('lives=3');
  });

  it.each([
    ['..', { name: 'v', mountPath: '/x', subPath: '../etc' }, "unable to provision SubPath `../etc`: must not contain '..'"],
    ['an absolute subPath', { name: 'v', mountPath: '/x', subPath: '/etc' }, 'unable to provision SubPath `/etc`: abs paths are not allowed'],
    ['an unknown volume', { name: 'other', mountPath: '/x' }, 'cannot find volume "other" to mount into container "app"'],
  ])('refuses %s', async (_n, volumeMount, message) => {
    const err = await vm.containerMounts({ name: 'app', volumeMounts: [volumeMount] }, mounted(dir), []).catch((e: unknown) => e);
    expect(isNodeAgentError(err) && err.code).toBe('CreateContainerConfig');
    expect((err as Error).message).toBe(message);
  });

  it('refuses a subPath that escapes the volume through a symlink', async () => {
    const vol = join(dir, 'vol');
    await mkdir(vol);
    await symlink('/etc', join(vol, 'link'));
    const err = await vm.containerMounts({ name: 'app', volumeMounts: [{ name: 'v', mountPath: '/x', subPath: 'link' }] }, mounted(vol), []).catch((e: Error) => e);
    expect((err as Error).message).toBe(`subpath "/etc" not within volume path "${await realpath(vol)}"`);
  });
});

describe('persistentVolumeClaim', () => {
  async function claim(name: string, pv: Record<string, unknown>, phase = 'Bound') {
    await env.client.create({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: `pv-${name}` }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], ...pv } } as never);
    const pvc = await env.client.create({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeName: `pv-${name}` } } as never);
    await env.client.updateStatus({ ...(pvc as object), status: { phase } } as never);
  }

  it('mounts the path of a hostPath PV (manual binding, as the seeds do)', async () => {
    const data = join(dir, 'mnt-data');
    await claim('task-pv-claim', { hostPath: { path: data, type: 'DirectoryOrCreate' } });
    const v = (await vm.setUp(pod([{ name: 'storage', persistentVolumeClaim: { claimName: 'task-pv-claim' } }]))).get('storage')!;
    expect(v).toEqual({ name: 'storage', path: data, readOnly: false });
    expect((await stat(data)).isDirectory()).toBe(true);
  });

  it('waits for an unbound claim and reports a missing one', async () => {
    await claim('pending', { hostPath: { path: dir } }, 'Pending');
    expect(await setUpError(pod([{ name: 's', persistentVolumeClaim: { claimName: 'pending' } }]))).toBe('MountVolume.SetUp failed for volume "s" : PVC default/pending has non-bound phase ("Pending") or empty pvc.Spec.VolumeName ("pv-pending")');
    expect(await setUpError(pod([{ name: 's', persistentVolumeClaim: { claimName: 'ghost' } }]))).toBe('MountVolume.SetUp failed for volume "s" : persistentvolumeclaim "ghost" not found');
  });

  describe('through CSI (the hostpath driver on a unix socket)', () => {
    let driver: HostPathDriver;
    let server: CsiServerHandle;
    let client: CsiClient;
    beforeEach(async () => {
      driver = createHostPathDriver({ nodeId: 'node-1', rootDir: join(dir, 'csi'), stageUnstage: true, publishMode: 'symlink' });
      server = await serveCsi(driver, { socketPath: join(dir, 'csi.sock'), name: 'hostpath' });
      client = createCsiClient(join(dir, 'csi.sock'));
      vm = new VolumeManager({ client: env.client, clock: env.clock, nodeName: 'node-1', rootDir: root, allocatable: ALLOCATABLE, logger: quiet, csiDrivers: { 'hostpath.csi.bosun.dev': client } });
    });
    afterEach(async () => {
      client.close();
      await server.close();
    });

    it('stages, publishes into the pod volume dir, and unpublishes/unstages on teardown', async () => {
      const vol = await driver.createVolume!({ name: 'pvc-1', capacityRange: { requiredBytes: 1024, limitBytes: 0 }, volumeCapabilities: [{ mount: { fsType: '', mountFlags: [], volumeMountGroup: '' }, block: null, accessMode: { mode: 'SINGLE_NODE_WRITER' } }], parameters: {}, secrets: {}, volumeContentSource: null, accessibilityRequirements: null, mutableParameters: {} } as never);
      const handle = (vol as { volume: { volumeId: string } }).volume.volumeId;
      await claim('data', { csi: { driver: 'hostpath.csi.bosun.dev', volumeHandle: handle } });
      const v = (await vm.setUp(pod([{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }]))).get('data')!;
      expect(v.path).toBe(join(root, 'pods/pod-uid-1/volumes/kubernetes.io~csi/pv-data/mount'));
      const pubs = driver.publications();
      expect(pubs.map((p) => p.kind).sort()).toEqual(['publish', 'stage']);
      expect(pubs.find((p) => p.kind === 'stage')!.path).toMatch(new RegExp(`${root}/plugins/kubernetes.io/csi/hostpath.csi.bosun.dev/[0-9a-f]{64}/globalmount$`));
      await writeFile(join(v.path, 'hello'), 'world');
      expect(JSON.parse(await read(root, 'pods/pod-uid-1/volumes/kubernetes.io~csi/pv-data/vol_data.json'))).toMatchObject({ driverName: 'hostpath.csi.bosun.dev', volumeHandle: handle });
      await vm.setUp(pod([{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }]));
      expect(driver.publications()).toHaveLength(2); // idempotent
      await vm.tearDown('pod-uid-1');
      expect(driver.publications()).toEqual([]);
      await expect(stat(join(root, 'pods/pod-uid-1'))).rejects.toThrow();
    });

    it('reports an unknown driver', async () => {
      await claim('other', { csi: { driver: 'ebs.csi.aws.com', volumeHandle: 'vol-1' } });
      expect(await setUpError(pod([{ name: 'o', persistentVolumeClaim: { claimName: 'other' } }]))).toContain('driver name ebs.csi.aws.com not found in the list of registered CSI drivers');
    });
  });
});

describe('AtomicWriter', () => {
  it('replaces a nested payload and removes top-level names no longer present', async () => {
    const w = new AtomicWriter();
    const target = join(dir, 'aw');
    await w.write(target, new Map([['a/b', { data: Buffer.from('1'), mode: 0o644 }], ['c', { data: Buffer.from('2'), mode: 0o644 }]]));
    await w.write(target, new Map([['c', { data: Buffer.from('3'), mode: 0o644 }]]));
    expect((await readdir(target)).filter((e) => !e.startsWith('..'))).toEqual(['c']);
    expect(await read(target, 'c')).toBe('3');
  });
});
