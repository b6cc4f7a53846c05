import { bosunPackage } from '../../tsup.config.base';

// `conformance` is its own entry so the main entry never imports vitest.
export default bosunPackage({ index: 'src/index.ts', conformance: 'src/conformance.ts' }, { external: ['vitest'] });
