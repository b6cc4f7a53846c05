import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInProcessCniClient } from '@bosun/cni';
import { serveCri } from '@bosun/cri';
// The root tsconfig maps `@bosun/cri/conformance` to the source; vitest resolves it too.
import { describeCriConformance } from '@bosun/cri/conformance';
import { createHostLocalNetwork } from '@bosun/network-hostlocal';
import { createProcessRuntime } from './process-runtime';
import { isRoot } from './shell';

describeCriConformance(`runtime-process over a unix socket (${isRoot() ? 'isolated, bridge network' : 'raw mode: not root'})`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-process-cri-'));
  const network = isRoot() ? createInProcessCniClient(createHostLocalNetwork({ podCIDR: '10.213.1.0/24', dataDir: join(dir, 'ipam') })) : undefined;
  const runtime = createProcessRuntime({ stateDir: join(dir, 'state'), network, bridgeName: 'bosuncf0' });
  const server = await serveCri(runtime, { socketPath: join(dir, 'cri.sock'), name: 'bosun-process' });
  return {
    endpoint: server.endpoint,
    image: 'busybox:1.36',
    async teardown() {
      await server.close();
      await runtime.shutdown({ killAll: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describeCriConformance('runtime-process in raw mode (isolation off: host processes)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-process-cri-raw-'));
  const runtime = createProcessRuntime({ stateDir: join(dir, 'state'), isolation: false });
  const server = await serveCri(runtime, { socketPath: join(dir, 'cri.sock'), name: 'bosun-process' });
  return {
    endpoint: server.endpoint,
    image: 'busybox:1.36',
    async teardown() {
      await server.close();
      await runtime.shutdown({ killAll: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
