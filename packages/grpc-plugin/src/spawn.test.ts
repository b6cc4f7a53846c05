import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPluginSpawnError, pluginNodeArgs, spawnPlugin } from './spawn';

let dir: string;

/** Child scripts standing in for plugins: each reads `--socket` like a real serve entry. */
const SOCKET_ARG = `const socket = process.argv[process.argv.indexOf('--socket') + 1];`;
const SERVES = `
import { createServer } from 'node:net';
import { unlinkSync } from 'node:fs';
${SOCKET_ARG}
const server = createServer().listen(socket, () => console.log('ready ' + socket));
process.on('SIGTERM', () => server.close(() => { try { unlinkSync(socket); } catch {} process.exit(0); }));
`;
const fixtures: Record<string, string> = {
  'serves.mjs': SERVES,
  'typed.ts': `${SOCKET_ARG}\nconst line: string = 'ready ' + socket;\nconsole.log('starting');\nconsole.log(line);\nsetInterval(() => undefined, 1000);\n`,
  'crashes.mjs': `console.error('loading config'); console.error('fatal: no such device'); process.exit(3);`,
  'silent.mjs': `setInterval(() => undefined, 1000);`,
  'stubborn.mjs': `${SOCKET_ARG}\nprocess.on('SIGTERM', () => console.error('ignoring SIGTERM'));\nconsole.log('ready ' + socket);\nsetInterval(() => undefined, 1000);`,
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bosun-spawn-'));
  for (const [name, text] of Object.entries(fixtures)) writeFileSync(join(dir, name), text);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fixture = (name: string) => join(dir, name);

describe('spawnPlugin', () => {
  it('resolves once the child prints its ready line, and stop() ends it by PID', async () => {
    const socketPath = join(dir, 'serves.sock');
    const plugin = await spawnPlugin({ module: fixture('serves.mjs'), socketPath });
    expect(plugin.endpoint).toBe(`unix://${socketPath}`);
    expect(existsSync(socketPath)).toBe(true);
    expect(() => process.kill(plugin.pid, 0)).not.toThrow();
    expect(await plugin.stop()).toBe(0);
    expect(existsSync(socketPath)).toBe(false);
    expect(await plugin.stop()).toBe(0); // idempotent
  });

  it('runs a TypeScript module under the tsx loader and ignores other stdout lines', async () => {
    const plugin = await spawnPlugin({ module: fixture('typed.ts'), socketPath: join(dir, 'typed.sock') });
    expect(await plugin.stop('SIGINT')).toBe('SIGINT');
  });

  it('reports a child that exits before ready with its exit code and stderr tail', async () => {
    const err = await spawnPlugin({ module: fixture('crashes.mjs'), socketPath: join(dir, 'crash.sock') }).catch((e: unknown) => e);
    expect(isPluginSpawnError(err)).toBe(true);
    if (!isPluginSpawnError(err)) return;
    expect(err.code).toBe('ExitedBeforeReady');
    expect(err.exitCode).toBe(3);
    expect(err.stderr).toContain('fatal: no such device');
    expect(err.message).toContain('exited (3) before it was ready');
    expect(err.message).toContain('fatal: no such device');
  });

  it('reports a module that does not exist', async () => {
    const err = await spawnPlugin({ module: fixture('missing.mjs'), socketPath: join(dir, 'missing.sock') }).catch((e: unknown) => e);
    expect(isPluginSpawnError(err) && err.code).toBe('ExitedBeforeReady');
    expect(isPluginSpawnError(err) && err.stderr).toContain('Cannot find module');
  });

  it('kills a child that never gets ready and reports the timeout', async () => {
    const err = await spawnPlugin({ module: fixture('silent.mjs'), socketPath: join(dir, 'silent.sock'), readyTimeoutMs: 300 }).catch((e: unknown) => e);
    expect(isPluginSpawnError(err) && err.code).toBe('ReadyTimeout');
    expect((err as Error).message).toContain(`did not print "ready ${join(dir, 'silent.sock')}"`);
  });

  it('sends SIGKILL when the child outlives the stop timeout', async () => {
    const plugin = await spawnPlugin({ module: fixture('stubborn.mjs'), socketPath: join(dir, 'stubborn.sock') });
    expect(await plugin.stop('SIGTERM', 200)).toBe('SIGKILL');
    expect(plugin.stderrTail()).toContain('ignoring SIGTERM');
  });
});

describe('pluginNodeArgs', () => {
  it.each([
    ['a built .js module runs as is', '/opt/bosun/dist/serve.js', ['/opt/bosun/dist/serve.js']],
    ['a .mjs module runs as is', '/opt/bosun/serve.mjs', ['/opt/bosun/serve.mjs']],
  ])('%s', (_name, file, argv) => {
    expect(pluginNodeArgs(file)).toEqual(argv);
  });

  it('runs a .ts module with --import of the tsx loader', () => {
    const [flag, loader, file] = pluginNodeArgs('/work/x/serve.ts');
    expect(flag).toBe('--import');
    expect(loader).toMatch(/^file:\/\/.*\/tsx\/dist\/loader\.mjs$/);
    expect(file).toBe('/work/x/serve.ts');
  });
});
