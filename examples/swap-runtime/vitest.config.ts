// The root config collects only packages/ and test/; this one runs the example's test
// alone, with the root's aliases and defaults:
// `npx vitest run --config examples/swap-runtime/vitest.config.ts`.
import { defineConfig } from 'vitest/config';
import root from '../../vitest.config';

export default defineConfig({ ...root, test: { ...root.test, include: ['examples/swap-runtime/**/*.test.ts'] } });
