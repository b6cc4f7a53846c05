import { bosunPackage } from '../../tsup.config.base';

// serve.ts: the plugin as its own process (docs/plugin-processes.md).
export default bosunPackage({ index: 'src/index.ts', serve: 'src/serve.ts' });
