import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffFileShapes, findEmbeddedDescriptor, shapeFile, shapeOfProtoFile } from './descriptor-diff';
import { fileURLToPath } from 'node:url';

const CONTAINERD = process.env.BOSUN_CONTAINERD_BINARY ?? '/usr/bin/containerd';
const present = existsSync(CONTAINERD);
/** The source of truth, never a packaged copy. */
const REPO_PROTO = fileURLToPath(new URL('../../../proto/cri/api.proto', import.meta.url));

/**
 * Fields containerd 1.6 declares that Bosun leaves out on purpose. Upstream later reused
 * field 4 of ContainerEventResponse with another type (PodSandboxStatus), so declaring
 * either would break one side.
 */
const ALLOWED_MISSING = ['ContainerEventResponse.pod_sandbox_metadata'];

describe('proto/cri/api.proto against the runtime.v1 descriptor embedded in containerd', () => {
  if (!present && process.env.CI) {
    it('finds the containerd binary (the test script installs Debian\'s containerd in CI)', () => {
      expect.fail(`${CONTAINERD} is missing: install Debian's containerd package (apt-get install containerd)`);
    });
    return;
  }

  it.skipIf(!present)(present ? `matches ${CONTAINERD}'s descriptor field by field` : `matches field by field (skipped: ${CONTAINERD} not installed)`, () => {
    const embedded = findEmbeddedDescriptor(readFileSync(CONTAINERD), 'runtime.v1', 'api.proto');
    expect(embedded, `no gzipped runtime.v1 FileDescriptorProto found in ${CONTAINERD}`).toBeDefined();
    const ours = shapeOfProtoFile(REPO_PROTO, 'runtime.v1');
    const diff = diffFileShapes(ours, shapeFile(embedded), ALLOWED_MISSING);
    expect(diff.differences, diff.differences.join('\n')).toEqual([]);
    expect(diff.comparedMessages.length).toBeGreaterThan(100);
    expect(diff.comparedRpcs).toContain('RuntimeService/StopContainer');
    expect(diff.comparedRpcs).toContain('ImageService/PullImage');
  });
});
