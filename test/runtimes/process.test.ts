// The scenario table on the process runtime (@bosun/runtime-process): pods are host
// processes in namespaces, networked by each node's bridge over its pod CIDR. Two nodes,
// as in the end-to-end tests, so placement follows from the scenarios (a hostpath
// volume pins its pod to one node) rather than from there being only one.
import { createCluster } from '@bosun/cluster';
import { describeScenarios, quiet, skipUnless } from './scenarios';

const skip = skipUnless('test/runtimes/process.test.ts', process.getuid?.() === 0 ? undefined : 'not root: the process runtime needs namespaces, bind mounts and a bridge (CI runs as root)');

describeScenarios('the process runtime', skip, async () => {
  const cluster = await createCluster({ nodes: 2, runtime: 'process', clusterCIDR: '10.211.0.0/16', logger: quiet, nodeAgent: { relistIntervalMs: 200 } });
  return { cluster, podIP: /^10\.211\.[12]\.\d+$/, containerIdScheme: /^[a-z-]+:\/\/[0-9a-f]+/, teardown: () => cluster.stop() };
});
