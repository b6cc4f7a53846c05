// The scenario table on containerd through the real CRI: createCluster({ runtime:
// { criEndpoint } }) against a private containerd (test/support/containerd.ts). Pod IPs
// come from containerd's own CNI config (its bridge and subnet), not from the node's
// spec.podCIDR: containerd decides, as with a real kubelet.
import { createCluster } from '@bosun/cluster';
import { containerdUnavailable, startContainerd } from '../support/containerd';
import { describeScenarios, quiet, skipUnless } from './scenarios';

const skip = skipUnless('test/runtimes/containerd.test.ts', containerdUnavailable());

describeScenarios('containerd', skip, async () => {
  const ctrd = await startContainerd({ bridge: 'bosunrtc0', subnet: '10.88.84.0/24' });
  try {
    const cluster = await createCluster({ nodes: 1, runtime: { criEndpoint: ctrd.endpoint }, clusterCIDR: '10.213.0.0/16', logger: quiet, nodeAgent: { relistIntervalMs: 200 } });
    return {
      cluster,
      podIP: /^10\.88\.84\.\d+$/,
      containerIdScheme: /^containerd:\/\/[0-9a-f]{64}$/,
      async teardown() {
        await cluster.stop();
        await ctrd.stop();
      },
    };
  } catch (err) {
    await ctrd.stop();
    throw err;
  }
});
