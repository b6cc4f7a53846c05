import { cpSync, mkdirSync } from 'node:fs';
import { bosunPackage } from '../../tsup.config.base';

// `conformance` is its own entry so the main entry never imports vitest. The proto ships
// with the package: onSuccess copies the repository's proto/cri/api.proto to proto/api.proto,
// which is where criProtoPath() looks first (dist/../proto/api.proto).
export default bosunPackage(
  { index: 'src/index.ts', conformance: 'src/conformance.ts' },
  {
    external: ['vitest'],
    onSuccess: async () => {
      mkdirSync('proto', { recursive: true });
      cpSync('../../proto/cri/api.proto', 'proto/api.proto');
    },
  },
);
