// The scenario table on Docker: createCluster({ runtime: { docker: { socketPath } } })
// against a private dockerd (test/support/dockerd.ts) with the busybox image imported
// offline; pods get their IPs from the real CNI bridge + host-local plugins over the
// node's pod CIDR.
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { createCluster, DOCKER_NODE_LABEL } from '@bosun/cluster';
import { dockerdUnavailable, importBusybox, startDockerd } from '../support/dockerd';
import { describeScenarios, quiet, skipUnless } from './scenarios';

const skip = skipUnless('test/runtimes/docker.test.ts', dockerdUnavailable());

describeScenarios('Docker', skip, async () => {
  const dockerd = await startDockerd();
  try {
    await importBusybox(dockerd);
    const cluster = await createCluster({ nodes: 1, runtime: { docker: { socketPath: dockerd.socketPath } }, clusterCIDR: '10.212.0.0/16', logger: quiet, nodeAgent: { relistIntervalMs: 200 } });
    const bridge = cluster.nodes()[0]!.network.plugin && JSON.stringify((cluster.nodes()[0]!.network.plugin as { confList?: unknown }).confList);
    return {
      cluster,
      podIP: /^10\.212\.1\.\d+$/,
      containerIdScheme: /^docker:\/\/[0-9a-f]{64}$/,
      async teardown() {
        await cluster.stop();
        // stop() removed every container it created (by the node label) and the node's bridge.
        const left = dockerd.docker(['ps', '-aq', '--filter', `label=${DOCKER_NODE_LABEL}`]).trim();
        const bridgeName = /"bridge":"([^"]+)"/.exec(bridge ?? '')?.[1];
        const bridgeLeft = bridgeName ? spawnSync('ip', ['link', 'show', bridgeName], { stdio: 'ignore' }).status === 0 : false;
        await dockerd.stop();
        expect(left).toBe('');
        expect(bridgeName).toBeDefined();
        expect(bridgeLeft).toBe(false);
      },
    };
  } catch (err) {
    await dockerd.stop();
    throw err;
  }
});
