import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveCni } from '@bosun/cni';
import { describeCniConformance } from '@bosun/cni/conformance';
import { createHostLocalNetwork } from './network';

describeCniConformance('network-hostlocal over a unix socket', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-hostlocal-conf-'));
  const network = createHostLocalNetwork({ podCIDR: '10.99.0.0/29', dataDir: join(dir, 'data') });
  const server = await serveCni(network, { socketPath: join(dir, 'net.sock'), name: 'hostlocal' });
  return {
    endpoint: server.endpoint,
    subnet: '10.99.0.0/29',
    capacity: network.capacity,
    networkName: 'bosun',
    duplicateAdd: 'error',
    async teardown() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describeCniConformance('network-hostlocal in-process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-hostlocal-conf-'));
  return {
    plugin: createHostLocalNetwork({ podCIDR: '10.244.7.0/24', dataDir: dir }),
    subnet: '10.244.7.0/24',
    async teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
