import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';


export default defineConfig({
  resolve: {
    alias: [
      { find: /^@bosun\/([a-z0-9-]+)\/([a-z0-9-]+)$/, replacement: fileURLToPath(new URL('./packages/$1/src/$2.ts', import.meta.url)) },
      { find: /^@bosun\/([a-z0-9-]+)$/, replacement: fileURLToPath(new URL('./packages/$1/src/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 20_000,
    pool: 'threads',
  },
});
