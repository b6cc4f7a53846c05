import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveCsi } from '@bosun/csi';
import { describeCsiConformance } from '@bosun/csi/conformance';
import { createHostPathDriver, type HostPathDriverOptions } from './driver';

const canBind = process.getuid?.() === 0;

function target(extra: Partial<HostPathDriverOptions>) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosun-hostpath-'));
    const driver = createHostPathDriver({ nodeId: 'node-1', rootDir: join(dir, 'root'), capacityBytes: 64 * 1024 * 1024, ...extra });
    const server = await serveCsi(driver, { socketPath: join(dir, 'csi.sock'), name: 'hostpath' });
    return {
      endpoint: server.endpoint,
      readonlyPublish: extra.publishMode !== 'symlink',
      async teardown() {
        await server.close();
        await driver.cleanup(); // unmounts any bind mount a failed test left behind
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}

describeCsiConformance('storage-hostpath (symlink mode)', target({ publishMode: 'symlink' }));
describeCsiConformance('storage-hostpath (symlink mode, staged)', target({ publishMode: 'symlink', stageUnstage: true }));
if (canBind) {
  describeCsiConformance('storage-hostpath (bind mounts)', target({ publishMode: 'bind' }));
  describeCsiConformance('storage-hostpath (bind mounts, staged)', target({ publishMode: 'bind', stageUnstage: true }));
}
