// The swap-runtime example runs the same app on each runtime; only the option differs.
import { describe, expect, it } from 'vitest';
import { runApp, serveStandInRuntime } from './main';

describe('swap-runtime example', () => {
  it("runs the app on runtime 'fake'", async () => {
    expect(await runApp({ runtime: 'fake' })).toEqual({ runtimeName: 'bosun-fake://0.1.0', succeeded: 1, log: 'hello from a pod\n' });
  });

  it.skipIf(process.getuid?.() !== 0)("runs the app on runtime 'process' (root only)", async () => {
    const report = await runApp({ runtime: 'process' });
    expect(report).toMatchObject({ succeeded: 1, log: 'hello from a pod\n' });
    expect(report.runtimeName).toMatch(/^bosun-process:\/\//);
  });

  it('runs the app on a runtime given by its CRI endpoint', async () => {
    const standIn = await serveStandInRuntime();
    try {
      expect(await runApp({ runtime: { criEndpoint: standIn.endpoint } })).toEqual({ runtimeName: 'stand-in-cri://0.1.0', succeeded: 1, log: 'hello from a pod\n' });
    } finally {
      await standIn.close();
    }
  });
});
