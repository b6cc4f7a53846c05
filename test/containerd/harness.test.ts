// The test harness itself: the offline image archive is a well-formed `docker save` tar
// (read back by the process runtime's importer), and a stopped containerd leaves nothing
// behind — no process, no mount, no bridge, no temp dir — even with a pod still running.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCriClient } from '@bosun/cri';
import { importImageArchive, LocalImageStore } from '@bosun/runtime-process';
import { cniConflist, containerdConfig, containerdSkip, isContainerdHarnessError, reapOrphanedContainerds, startContainerd } from '../support/containerd';
import { dockerdUnavailable, startDockerd } from '../support/dockerd';
import { BUSYBOX_IMAGE, buildOfflineImages, ImageBuildError, importIntoDocker, PAUSE_IMAGE, runCommand } from '../support/images';

const skip = containerdSkip('test/containerd/harness.test.ts (containerd part)');
const noBusybox = !existsSync('/bin/busybox');
if (noBusybox) console.warn('test/containerd/harness.test.ts: image part skipped — /bin/busybox missing (apt-get install busybox-static)');

describe.skipIf(noBusybox)('offline images', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'bosun-images-test-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('packs busybox and the pause image as one docker-save archive sharing a layer', async () => {
    const out = tmp();
    const built = await buildOfflineImages({ outDir: out });
    expect(built.refs).toEqual([BUSYBOX_IMAGE, PAUSE_IMAGE]);
    const listing = (await runCommand('tar', ['-tf', built.archive])).split('\n').filter(Boolean);
    const layerHex = built.layerDiffId.replace('sha256:', '');
    expect(listing).toEqual(expect.arrayContaining(['./manifest.json', `./${layerHex}/layer.tar`]));
    const manifest = JSON.parse(await runCommand('tar', ['-xOf', built.archive, './manifest.json'])) as Array<{ Config: string; RepoTags: string[]; Layers: string[] }>;
    expect(manifest.map((m) => m.RepoTags)).toEqual([[BUSYBOX_IMAGE], [PAUSE_IMAGE]]);
    expect(manifest.every((m) => m.Layers.length === 1 && m.Layers[0] === `${layerHex}/layer.tar`)).toBe(true);

    // Read back by an independent importer, each image with its own run config.
    const store = new LocalImageStore({ root: join(tmp(), 'store'), sources: [] });
    const busybox = await importImageArchive(store, built.archive, 'check/busybox:1');
    expect(busybox.config).toMatchObject({ entrypoint: [], cmd: ['sh'] });
    expect(existsSync(join(busybox.rootfs, 'bin/sh'))).toBe(true);
    expect(readFileSync(join(busybox.rootfs, 'etc/passwd'), 'utf8')).toMatch(/^root:x:0:0:/);
  });

  it('rebuilds byte-identical archives (stable image ids)', async () => {
    const a = await buildOfflineImages({ outDir: tmp() });
    const b = await buildOfflineImages({ outDir: tmp() });
    expect(readFileSync(a.archive).equals(readFileSync(b.archive))).toBe(true);
  });

  it('fails clearly without a busybox binary', async () => {
    const err = await buildOfflineImages({ outDir: tmp(), busyboxPath: '/nonexistent/busybox' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageBuildError);
    expect(err).toMatchObject({ code: 'MissingTool', message: expect.stringContaining('busybox-static') });
  });
});

describe('containerd config', () => {
  it('writes the settings containerd 1.6 needs on these hosts', () => {
    const toml = containerdConfig('/tmp/x');
    for (const line of ['version = 2', 'root = "/tmp/x/root"', 'address = "/tmp/x/containerd.sock"', 'restrict_oom_score_adj = true', `sandbox_image = "${PAUSE_IMAGE}"`, 'bin_dir = "/usr/lib/cni"', 'conf_dir = "/tmp/x/cni"', 'SystemdCgroup = false']) {
      expect(toml).toContain(line);
    }
    const conflist = JSON.parse(cniConflist('bosunctr9', '10.88.9.0/24', '/tmp/x/ipam'));
    expect(conflist.plugins.map((p: { type: string }) => p.type)).toEqual(['bridge', 'portmap']);
    expect(conflist.plugins[0]).toMatchObject({ bridge: 'bosunctr9', ipam: { type: 'host-local', ranges: [[{ subnet: '10.88.9.0/24' }]], dataDir: '/tmp/x/ipam' } });
  });

  it('refuses a bridge name Linux cannot hold', async () => {
    const err = await startContainerd({ bridge: 'a-very-long-bridge-name' }).catch((e: unknown) => e);
    expect(isContainerdHarnessError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'InvalidOption', message: expect.stringContaining('longer than 15') });
  });
});

/** True if `pid` exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

describe.skipIf(!!skip)('startContainerd / stop', { timeout: 90_000 }, () => {
  it('leaves no process, mount, bridge or directory behind, even with a pod still running', async () => {
    const ctrd = await startContainerd({ bridge: 'bosunctrh0', subnet: '10.88.80.0/24' });
    let stopped = false;
    try {
      const cri = createCriClient(ctrd.endpoint);
      const sandboxConfig = { metadata: { name: 'left', namespace: 'default', uid: 'uid-left', attempt: 0 }, logDirectory: join(ctrd.dir, 'logs') };
      const sandboxId = await cri.runtime.runPodSandbox(sandboxConfig);
      const id = await cri.runtime.createContainer(sandboxId, { metadata: { name: 'c', attempt: 0 }, image: { image: BUSYBOX_IMAGE }, command: ['sleep', '3600'], logPath: 'c.log' }, sandboxConfig);
      await cri.runtime.startContainer(id);
      const info = JSON.parse((await cri.runtime.containerStatus(id, true)).info.info ?? '{}') as { pid?: number };
      expect(info.pid).toBeGreaterThan(1);
      cri.close();
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).toContain(ctrd.dir);
      expect(await runCommand('ip', ['link', 'show', ctrd.bridge])).toContain(ctrd.bridge);

      await ctrd.stop();
      stopped = true;
      await ctrd.stop(); // idempotent
      expect(existsSync(`/proc/${ctrd.pid}`)).toBe(false);
      expect(alive(info.pid!)).toBe(false); // the container's own process, which does not name the dir
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(ctrd.dir);
      expect(existsSync(ctrd.dir)).toBe(false);
      expect(existsSync(`/sys/fs/cgroup/memory/k8s.io/${sandboxId}`)).toBe(false);
      expect(existsSync(`/sys/fs/cgroup/memory/k8s.io/${id}`)).toBe(false);
      expect(await runCommand('ip', ['link', 'show', ctrd.bridge]).catch((e: Error) => e.message)).toMatch(/does not exist/);
      const ps = await runCommand('ps', ['-eo', 'stat=,args=']);
      expect(ps.split('\n').filter((l) => l.includes(ctrd.dir) && !l.startsWith('Z'))).toEqual([]);
    } finally {
      if (!stopped) await ctrd.stop();
    }
  });

  it('reaps a harness containerd orphaned by a killed test run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-containerd-'));
    mkdirSync(join(dir, 'cni'));
    writeFileSync(join(dir, 'config.toml'), containerdConfig(dir));
    writeFileSync(join(dir, 'cni', '10-bosun.conflist'), cniConflist('bosunctro0', '10.88.81.0/24', join(dir, 'ipam')));
    // Started through a shell that exits at once: containerd's parent becomes PID 1, as after a killed run.
    await runCommand('sh', ['-c', `/usr/bin/containerd --config ${dir}/config.toml >${dir}/log 2>&1 & echo $! > ${dir}/pid`]);
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    expect(alive(pid)).toBe(true);
    // (A concurrently starting test file may reap it first: either way it must be gone.)
    await reapOrphanedContainerds();
    expect(alive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });
});

const noDocker = dockerdUnavailable() ?? (noBusybox ? 'no busybox' : undefined);
if (noDocker) console.warn(`test/containerd/harness.test.ts: Docker load check skipped — ${noDocker}`);

describe.skipIf(!!noDocker)('the same archive in Docker', { timeout: 120_000 }, () => {
  it('loads with `docker load` and runs busybox', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bosun-images-docker-'));
    const dockerd = await startDockerd();
    try {
      const built = await buildOfflineImages({ outDir: out });
      await importIntoDocker(dockerd.host, built.archive);
      const tags = dockerd.docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}']).split('\n');
      expect(tags).toEqual(expect.arrayContaining(['busybox:latest', 'bosun.local/pause:1']));
      expect(dockerd.docker(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'echo hi from $(busybox | head -1 | cut -d" " -f1)'])).toBe('hi from BusyBox\n');
    } finally {
      await dockerd.stop();
      rmSync(out, { recursive: true, force: true });
    }
  });
});
