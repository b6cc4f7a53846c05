// The swap-runtime example runs the same app on each runtime; only the option differs.
// Docker and containerd run on private daemons started by the test harnesses; locally
// without root they are skipped with a message, in CI (CI=true or
// BOSUN_REQUIRE_REAL_RUNTIMES=1) a missing daemon fails.
import { describe, expect, it } from 'vitest';
import { containerdUnavailable, startContainerd } from '../../test/support/containerd';
import { dockerdUnavailable, importBusybox, startDockerd } from '../../test/support/dockerd';
import { skipUnless } from '../../test/runtimes/scenarios';
import { runApp, runtimeFromArgv, serveStandInRuntime } from './main';

const noDocker = skipUnless('examples/swap-runtime (Docker)', dockerdUnavailable());
const noContainerd = skipUnless('examples/swap-runtime (containerd)', containerdUnavailable());

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

  it.skipIf(!!noDocker)('runs the app on Docker (a private dockerd)', { timeout: 120_000 }, async () => {
    const dockerd = await startDockerd();
    try {
      await importBusybox(dockerd);
      const report = await runApp({ runtime: runtimeFromArgv(['docker', dockerd.socketPath]) });
      expect(report).toMatchObject({ succeeded: 1, log: 'hello from a pod\n' });
      expect(report.runtimeName).toMatch(/^docker:\/\/\d+\./);
    } finally {
      await dockerd.stop();
    }
  });

  it.skipIf(!!noContainerd)('runs the app on containerd through the real CRI', { timeout: 120_000 }, async () => {
    const ctrd = await startContainerd({ bridge: 'bosunswap0', subnet: '10.88.85.0/24' });
    try {
      const report = await runApp({ runtime: runtimeFromArgv(['containerd', ctrd.endpoint]) });
      expect(report).toMatchObject({ succeeded: 1, log: 'hello from a pod\n' });
      expect(report.runtimeName).toMatch(/^containerd:\/\/1\./);
    } finally {
      await ctrd.stop();
    }
  });

  it('refuses an unknown runtime name with the choices', () => {
    expect(() => runtimeFromArgv(['vm'])).toThrow(/unknown runtime "vm": use fake \| process \| docker/);
    expect(runtimeFromArgv(['docker', 'tcp://10.0.0.5:2375'])).toEqual({ docker: { dockerHost: 'tcp://10.0.0.5:2375' } });
  });
});
