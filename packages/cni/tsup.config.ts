import { cpSync, mkdirSync } from 'node:fs';
import { bosunPackage } from '../../tsup.config.base';

// `conformance` is its own entry so the main entry never imports vitest. The proto ships
// with the package: onSuccess copies proto/cni/cni.proto to proto/cni.proto, the second
// place cniProtoPath() looks (dist/../proto/cni.proto).
export default bosunPackage(
  { index: 'src/index.ts', conformance: 'src/conformance.ts' },
  {
    external: ['vitest'],
    onSuccess: async () => {
      mkdirSync('proto', { recursive: true });
      cpSync('../../proto/cni/cni.proto', 'proto/cni.proto');
    },
  },
);
