import { cpSync, mkdirSync } from 'node:fs';
import { bosunPackage } from '../../tsup.config.base';

// `conformance` is its own entry so the main entry never imports vitest. The proto ships
// with the package: onSuccess copies the repository's proto/csi/csi.proto to proto/csi.proto,
// which is where csiProtoPath() looks when the repository copy is absent.
export default bosunPackage(
  { index: 'src/index.ts', conformance: 'src/conformance.ts' },
  {
    external: ['vitest'],
    onSuccess: async () => {
      mkdirSync('proto', { recursive: true });
      cpSync('../../proto/csi/csi.proto', 'proto/csi.proto');
    },
  },
);
