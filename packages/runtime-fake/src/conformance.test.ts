import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveCri } from '@bosun/cri';
// `@bosun/cri/conformance` resolves under vitest, but the root tsconfig maps only
// `@bosun/*` to src/index.ts; until it maps the subpath too, import the source directly.
import { describeCriConformance } from '@bosun/cri/conformance';
import { FakeAnnotations } from './annotations';
import { createFakeRuntime } from './fake-runtime';

describeCriConformance('runtime-fake over a unix socket', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-fake-cri-'));
  const runtime = createFakeRuntime();
  const server = await serveCri(runtime, { socketPath: join(dir, 'cri.sock'), name: 'bosun-fake' });
  return {
    endpoint: server.endpoint,
    image: 'busybox:1.36',
    scripts: {
      ignoreSigterm: { [FakeAnnotations.ignoreSigterm]: 'true' },
      exec: { [`${FakeAnnotations.execPrefix}sh`]: JSON.stringify({ stdout: 'out\n', stderr: 'err\n', exitCode: 3 }) },
    },
    async teardown() {
      await server.close();
      runtime.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
