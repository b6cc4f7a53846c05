import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { serveCni, type CniPlugin } from '@bosun/cni';
import { describeCniConformance } from '@bosun/cni/conformance';
import { describe, it } from 'vitest';
import { createCniExecPlugin } from './exec-plugin';
import { addNetns, DEBIAN_CNI_BIN, delHostLink, delNetns, mustRunButCannot, realPluginsUnavailable } from './real-host.test-util';

const unavailable = realPluginsUnavailable();

/**
 * Plays the runtime's part around the adapter: a runtime creates the sandbox's network
 * namespace before ADD and removes it after DEL. The suite names a fresh
 * `/var/run/netns/<name>` per call; this creates it on ADD (and removes it again when ADD
 * fails) and removes it after DEL, so every namespace it made is gone at the end.
 */
function withNamespaces(inner: CniPlugin): CniPlugin & { cleanup(): void } {
  const made = new Set<string>();
  const ensure = (path: string) => {
    if (!path.startsWith('/var/run/netns/') || existsSync(path)) return;
    addNetns(basename(path));
    made.add(path);
  };
  const drop = (path: string) => {
    if (made.delete(path)) delNetns(basename(path));
  };
  return {
    async add(req) {
      ensure(req.config.netns);
      try {
        return await inner.add(req);
      } catch (err) {
        drop(req.config.netns);
        throw err;
      }
    },
    async del(req) {
      await inner.del(req);
      drop(req.config.netns);
    },
    check: (req) => inner.check(req),
    version: () => inner.version(),
    cleanup() {
      for (const path of [...made]) drop(path);
    },
  };
}

const ciFailure = mustRunButCannot(unavailable);

if (unavailable) {
  describe('CNI conformance: network-cni with real plugins', () => {
    if (ciFailure)
      it('has its prerequisites in CI', () => {
        throw new Error(ciFailure);
      });
    else it.skip(`skipped: ${unavailable}`, () => undefined);
  });
} else {
  describeCniConformance('network-cni (bridge + host-local + loopback + portmap) over a unix socket', async () => {
    const id = randomBytes(3).toString('hex');
    const bridge = `bcnc${id}`;
    const dir = mkdtempSync(join(tmpdir(), 'bosun-network-cni-conf-'));
    const adapter = createCniExecPlugin({
      conflist: {
        cniVersion: '1.0.0',
        name: `bosuncni-conf-${id}`,
        plugins: [
          { type: 'bridge', bridge, isGateway: true, ipMasq: false, ipam: { type: 'host-local', ranges: [[{ subnet: '10.212.8.0/29' }]], dataDir: join(dir, 'ipam') } },
          { type: 'loopback' },
          { type: 'portmap', capabilities: { portMappings: true }, snat: false },
        ],
      },
      binDirs: [DEBIAN_CNI_BIN],
      cacheDir: join(dir, 'cache'),
    });
    const plugin = withNamespaces(adapter);
    const server = await serveCni(plugin, { socketPath: join(dir, 'net.sock'), name: 'network-cni' });
    return {
      endpoint: server.endpoint,
      subnet: '10.212.8.0/29',
      capacity: 5, // .2–.6: host-local keeps the network, gateway (.1) and broadcast addresses
      networkName: adapter.networkName,
      duplicateAdd: 'error',
      deadlineMs: 60_000,
      async teardown() {
        await server.close();
        plugin.cleanup();
        delHostLink(bridge);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}
