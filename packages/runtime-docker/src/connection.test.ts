import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '@bosun/api';
import { isCriError } from '@bosun/cri';
import { DockerConnection } from './connection';

/** A stand-in for the daemon's `/_ping` on a unix socket (the only call the reconnect loop makes). */
function pingServer(socketPath: string): Promise<Server> {
  const server = createServer((req, res) => {
    res.writeHead(req.url?.endsWith('/_ping') ? 200 : 404, { 'content-type': 'text/plain' });
    res.end('OK');
  });
  return new Promise((resolve) => server.listen(socketPath, () => resolve(server)));
}

/** Lets socket I/O started by fired timers finish (real I/O, not time). */
async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !until(); i++) await new Promise((r) => setTimeout(r, 5));
}

describe('DockerConnection', () => {
  let dir: string;
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails fast while the daemon is down and reconnects with doubling backoff on its clock', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bosun-docker-conn-'));
    const socketPath = join(dir, 'docker.sock');
    const clock = new FakeClock();
    const conn = new DockerConnection({ socketPath }, { clock, initialMs: 100, maxMs: 400, jitter: 0 });
    let ups = 0;
    conn.onUp(() => ups++);

    await expect(conn.call((d) => d.ping())).rejects.toSatisfy((e) => isCriError(e, 'Unavailable'));
    expect(conn.current.up).toBe(false);
    await expect(conn.call(async () => 'never runs')).rejects.toSatisfy((e) => isCriError(e, 'Unavailable') && /reconnecting/.test((e as Error).message));

    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = clock.now();
      const next = clock.nextTimerAt()!;
      delays.push(next - before);
      await clock.advance(next - before);
      await settle(() => conn.reconnectAttempts > i && clock.pendingTimers > 0);
    }
    expect(delays).toEqual([100, 200, 400, 400]);

    server = await pingServer(socketPath);
    await clock.advance(clock.nextTimerAt()! - clock.now());
    await settle(() => conn.current.up);
    expect([conn.current.up, ups, clock.pendingTimers]).toEqual([true, 1, 0]);
    await expect(conn.call((d) => d.ping())).resolves.toBeDefined();
    conn.close();
  });

  it('stops reconnecting once closed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bosun-docker-conn-'));
    const clock = new FakeClock();
    const conn = new DockerConnection({ socketPath: join(dir, 'none.sock') }, { clock, initialMs: 100 });
    await conn.ping();
    expect(clock.pendingTimers).toBe(1);
    conn.close();
    expect(clock.pendingTimers).toBe(0);
  });
});
