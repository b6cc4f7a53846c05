/**
 * One app, every runtime: the same Job runs on the fake runtime, the process runtime,
 * Docker, containerd, and any runtime reached over its CRI socket. Only the `runtime`
 * option changes:
 *
 * ```ts
 * await runApp({ runtime: 'fake' });
 * await runApp({ runtime: 'process' });
 * await runApp({ runtime: 'docker' });                                   // DOCKER_HOST, else /var/run/docker.sock
 * await runApp({ runtime: { docker: { socketPath: '/run/docker.sock' } } });
 * await runApp({ runtime: { criEndpoint: 'unix:///run/containerd/containerd.sock' } });
 * ```
 *
 * Run with `npx tsx examples/swap-runtime/main.ts [runtime] [endpoint]`:
 * - no argument: fake, process (root only) and a stand-in CRI runtime served on a socket;
 * - `fake` | `process`;
 * - `docker [socket-or-host]`: an existing Docker daemon (default `DOCKER_HOST`, else
 *   `/var/run/docker.sock`); it needs a `busybox:latest` image (the sandbox image too);
 * - `containerd [endpoint]`: an existing containerd with its CRI plugin (default
 *   `unix:///run/containerd/containerd.sock`); it needs `docker.io/library/busybox:latest`
 *   in its `k8s.io` namespace and a CNI config (see docs/runtime-containerd.md);
 * - `cri <endpoint>`: any CRI v1 runtime.
 * `scripts/build-images.sh --out <dir> --docker <host> | --containerd <sock>` imports the
 * offline images. The example's test starts private daemons with test/support's harnesses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createCluster, type ClusterOptions } from '@bosun/cluster';
import { serveCri } from '@bosun/cri';
import { createFakeRuntime, FakeAnnotations } from '@bosun/runtime-fake';

/** The app: a Job printing a greeting. The fake runtime simulates the output it is told to (the annotations); real runtimes run the command. */
export const app = `
apiVersion: batch/v1
kind: Job
metadata: { name: greet }
spec:
  template:
    metadata:
      annotations: { ${JSON.stringify(FakeAnnotations.stdout)}: "hello from a pod", ${JSON.stringify(FakeAnnotations.exitAfter)}: "1s" }
    spec:
      restartPolicy: Never
      containers: [{ name: greet, image: busybox, imagePullPolicy: IfNotPresent, command: [sh, -c, 'echo hello from a pod'] }]
`;

/** What one run saw. */
export interface AppReport {
  /** The runtime the node agent drove (CRI Version's runtimeName). */
  runtimeName: string;
  /** The Job's `status.succeeded`. */
  succeeded: number;
  /** The Job pod's log. */
  log: string;
}

/** Runs the app on a one-node cluster with the given runtime option, then stops the cluster. */
export async function runApp(options: Pick<ClusterOptions, 'runtime'>): Promise<AppReport> {
  await using cluster = await createCluster({ nodes: 1, logger: { warn: () => {}, error: () => {} }, ...options });
  await cluster.apply(app);
  const job = await cluster.waitFor('batch/v1', 'Job', 'default', 'greet', (j) => (j.status?.succeeded ?? 0) >= 1, { timeoutMs: 30_000 });
  const pod = (await cluster.client.list('v1', 'Pod', { namespace: 'default', labelSelector: 'job-name=greet' })).items[0]!;
  const node = await cluster.client.get('v1', 'Node', '', pod.spec!.nodeName!);
  return {
    runtimeName: node.status?.nodeInfo?.containerRuntimeVersion ?? '',
    succeeded: job.status?.succeeded ?? 0,
    log: await cluster.logs('default', pod.metadata!.name!),
  };
}

/** A fake runtime served on a unix socket: a stand-in for any CRI runtime's endpoint. */
export async function serveStandInRuntime(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-cri-'));
  const runtime = createFakeRuntime({ runtimeName: 'stand-in-cri', logRoot: dir });
  const server = await serveCri(runtime, { socketPath: join(dir, 'cri.sock') });
  return {
    endpoint: server.endpoint,
    async close() {
      await server.close();
      runtime.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The runtime option named on the command line (`docker /run/docker.sock`, `containerd unix:///…`, …). */
export function runtimeFromArgv(argv: readonly string[]): ClusterOptions['runtime'] {
  const [name, where] = argv;
  if (name === 'fake' || name === 'process') return name;
  if (name === 'docker') {
    if (!where) return 'docker';
    return where.includes('://') ? { docker: { dockerHost: where } } : { docker: { socketPath: where } };
  }
  if (name === 'containerd') return { criEndpoint: where ?? 'unix:///run/containerd/containerd.sock' };
  if (name === 'cri' && where) return { criEndpoint: where };
  throw new Error(`unknown runtime ${JSON.stringify(name)}: use fake | process | docker [socket|host] | containerd [endpoint] | cri <endpoint>`);
}

const show = (label: string, r: AppReport) => console.log(`${label.padEnd(34)} runtime ${r.runtimeName.padEnd(24)} succeeded=${r.succeeded} log: ${r.log.trim()}`);

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.length > 0) {
    const runtime = runtimeFromArgv(argv);
    show(`runtime: ${JSON.stringify(runtime)}`, await runApp({ runtime }));
    return;
  }
  show("runtime: 'fake'", await runApp({ runtime: 'fake' }));
  if (process.getuid?.() === 0) show("runtime: 'process'", await runApp({ runtime: 'process' }));
  else console.log("runtime: 'process'                 skipped: needs root (namespaces, bind mounts, a bridge)");
  const standIn = await serveStandInRuntime();
  try {
    show('runtime: { criEndpoint }', await runApp({ runtime: { criEndpoint: standIn.endpoint } }));
  } finally {
    await standIn.close();
  }
  console.log('Docker: main.ts docker [socket]; containerd: main.ts containerd [endpoint]');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main().catch((err: unknown) => {
    console.error(`swap-runtime: ${(err as Error).message}`);
    process.exitCode = 1;
  });
}
