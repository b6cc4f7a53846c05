import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { serveCri } from '@bosun/cri';
// The root tsconfig maps `@bosun/cri/conformance` to the source; vitest resolves it too.
import { describeCriConformance } from '@bosun/cri/conformance';
import { dockerdUnavailable, importBusybox, startDockerd, type TestDockerd } from '../../../test/support/dockerd';
import { createDockerRuntime } from './docker-runtime';

const unavailable = dockerdUnavailable();

if (unavailable) {
  describe('CRI conformance: runtime-docker', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
} else {
  let dockerd: TestDockerd | undefined;
  afterAll(async () => dockerd?.stop());

  describeCriConformance('runtime-docker over a unix socket (private dockerd, network mode none)', async () => {
    dockerd = await startDockerd();
    const { archive } = await importBusybox(dockerd);
    const dir = mkdtempSync(join(tmpdir(), 'bosun-docker-cri-'));
    const runtime = createDockerRuntime({
      socketPath: dockerd.socketPath,
      networkMode: 'none',
      offlineImages: { 'busybox:1.36': archive, 'busybox:latest': archive },
      stateDir: join(dir, 'state'),
    });
    const server = await serveCri(runtime, { socketPath: join(dir, 'cri.sock'), name: 'bosun-docker' });
    return {
      endpoint: server.endpoint,
      image: 'busybox:1.36',
      async teardown() {
        await server.close();
        await runtime.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}
