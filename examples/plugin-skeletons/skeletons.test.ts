// Runs each plugin skeleton against its interface's conformance suite over a unix socket,
// exactly as the plugins of this repository are run: if a skeleton rots, this fails.
// Part of `pnpm test`; alone: `npx vitest run examples/plugin-skeletons`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCniClient } from '@bosun/cni';
import { describeCniConformance } from '@bosun/cni/conformance';
import { createCriClient } from '@bosun/cri';
import { describeCriConformance } from '@bosun/cri/conformance';
import { describeCsiConformance } from '@bosun/csi/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveSkeletonNetwork } from './network-plugin';
import { serveSkeletonRuntime } from './runtime-plugin';
import { serveSkeletonStorage } from './storage-plugin';

const tempDir = (what: string) => mkdtempSync(join(tmpdir(), `bosun-skeleton-${what}-`));

/** The runtime skeleton with the network skeleton attached, each on its own socket. */
async function runtimeWithNetwork() {
  const dir = tempDir('cri');
  const net = await serveSkeletonNetwork({ subnet: '10.98.0.0/24', socketPath: join(dir, 'net.sock') });
  const network = createCniClient(net.server.endpoint);
  const { server, runtime } = await serveSkeletonRuntime({ socketPath: join(dir, 'cri.sock'), network });
  return {
    endpoint: server.endpoint,
    async teardown() {
      await server.close();
      runtime.killAll();
      network.close();
      await net.server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeCriConformance('runtime skeleton (host processes) over a unix socket', async () => ({ ...(await runtimeWithNetwork()), image: 'busybox:1.36' }));

describe('runtime skeleton attaches the network skeleton', () => {
  let target: Awaited<ReturnType<typeof runtimeWithNetwork>>;
  beforeAll(async () => {
    target = await runtimeWithNetwork();
  });
  afterAll(() => target.teardown());

  it('reports the address the network plugin gave the sandbox, and gives it back on stop', async () => {
    const cri = createCriClient(target.endpoint);
    try {
      const config = { metadata: { name: 'web', namespace: 'default', uid: 'u-web' } };
      const a = await cri.runtime.runPodSandbox(config);
      const ipA = (await cri.runtime.podSandboxStatus(a)).status?.network?.ip;
      expect(ipA).toMatch(/^10\.98\.0\.\d+$/);
      await cri.runtime.stopPodSandbox(a);
      const b = await cri.runtime.runPodSandbox({ ...config, metadata: { ...config.metadata, uid: 'u-web-2' } });
      expect((await cri.runtime.podSandboxStatus(b)).status?.network?.ip).toBe(ipA);
      await cri.runtime.removePodSandbox(a);
      await cri.runtime.removePodSandbox(b);
    } finally {
      cri.close();
    }
  });
});

describeCniConformance('network skeleton over a unix socket', async () => {
  const dir = tempDir('cni');
  const { server, network } = await serveSkeletonNetwork({ subnet: '10.99.0.0/29', socketPath: join(dir, 'net.sock') });
  return {
    endpoint: server.endpoint,
    subnet: '10.99.0.0/29',
    capacity: network.capacity,
    duplicateAdd: 'error',
    async teardown() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describeCsiConformance('storage skeleton over a unix socket', async () => {
  const dir = tempDir('csi');
  const server = await serveSkeletonStorage({ rootDir: join(dir, 'volumes'), nodeId: 'node-1', maxVolumeBytes: 64 * 1024 * 1024, socketPath: join(dir, 'csi.sock') });
  return {
    endpoint: server.endpoint,
    readonlyPublish: false, // symlinks cannot be read-only: the skeleton refuses with FAILED_PRECONDITION
    async teardown() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
