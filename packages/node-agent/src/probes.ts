import { connect } from 'node:net';
import type { Clock, TimerHandle, core } from '@bosun/api';
import type { RuntimeClient } from '@bosun/cri';
import { httpGet, resolvePort } from './handlers';

export { resolvePort };

/** The three probe kinds. */
export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/** Outcome of one probe run. */
export type ProbeResult = 'success' | 'failure';

/** Where a probe runs: the container and the pod's address. */
export interface ProbeTarget {
  podUID: string;
  containerId: string;
  container: core.Container;
  podIP: string;
  /** When the container started (ms); initialDelaySeconds counts from here. */
  startedAtMs: number;
}

interface ProbeState {
  kind: ProbeKind;
  probe: core.Probe;
  result: ProbeResult | undefined;
  successes: number;
  failures: number;
  timer?: TimerHandle;
}

interface ContainerProbes {
  target: ProbeTarget;
  probes: ProbeState[];
  stopped: boolean;
}

/**
 * Runs a container's liveness, readiness and startup probes on the clock, as the
 * kubelet's prober does: each probe first runs `initialDelaySeconds` after the container
 * started, then every `periodSeconds`; its result flips after `failureThreshold`
 * consecutive failures or `successThreshold` consecutive successes. Liveness and
 * readiness wait until the startup probe has succeeded. `onChange(podUID)` is called
 * whenever a result flips, so the pod worker syncs.
 */
export interface ProbeManager {
  /** Starts probing a running container (idempotent per container id). */
  ensure(target: ProbeTarget): void;
  /** Stops the probes of every container of `podUID` not in `keep`. */
  retain(podUID: string, keep: ReadonlySet<string>): void;
  /** Ready per the readiness probe (true without one). */
  isReady(containerId: string, hasProbe: boolean): boolean;
  /** Started per the startup probe (true without one). */
  isStarted(containerId: string, hasProbe: boolean): boolean;
  /** `liveness` or `startup` when that probe has failed and the container must be restarted. */
  failed(containerId: string): 'liveness' | 'startup' | undefined;
  /** Stops every probe. */
  stop(): void;
}

/** How one probe action is run; exposed so tests and runtimes can reuse it. */
export async function runProbeAction(runtime: RuntimeClient, target: ProbeTarget, probe: core.Probe): Promise<ProbeResult> {
  return (await probeWithOutput(runtime, target, probe)).result;
}

/**
 * Runs one probe and says why it failed, in the kubelet's words (`HTTP probe failed with
 * statuscode: 503`, `dial tcp 127.0.0.1:81: connect ECONNREFUSED`, the exec output).
 */
export async function probeWithOutput(runtime: RuntimeClient, target: ProbeTarget, probe: core.Probe): Promise<{ result: ProbeResult; output: string }> {
  const timeoutSeconds = probe.timeoutSeconds ?? 1;
  const fail = (output: string) => ({ result: 'failure' as const, output });
  if (probe.exec) {
    try {
      const res = await runtime.execSync(target.containerId, probe.exec.command ?? [], timeoutSeconds);
      const output = Buffer.from(res.stdout ?? []).toString() + Buffer.from(res.stderr ?? []).toString();
      return res.exitCode === 0 ? { result: 'success', output } : fail(output || `command ${JSON.stringify((probe.exec.command ?? []).join(' '))} exited with ${res.exitCode}`);
    } catch (err) {
      return fail(err instanceof Error ? err.message : String(err));
    }
  }
  if (probe.tcpSocket) {
    let host = '';
    let port = 0;
    try {
      port = resolvePort(probe.tcpSocket.port, target.container);
      host = probe.tcpSocket.host || target.podIP;
      const why = await tcpCheck(host, port, timeoutSeconds * 1000);
      return why === undefined ? { result: 'success', output: '' } : fail(why);
    } catch (err) {
      return fail(err instanceof Error ? err.message : String(err));
    }
  }
  if (probe.httpGet) {
    try {
      const status = await httpGet(probe.httpGet, target.container, target.podIP, timeoutSeconds * 1000);
      return status >= 200 && status < 400 ? { result: 'success', output: '' } : fail(`HTTP probe failed with statuscode: ${status}`);
    } catch (err) {
      const g = probe.httpGet;
      return fail(`Get "${(g.scheme ?? 'HTTP').toLowerCase()}://${g.host || target.podIP}:${g.port}${g.path ?? '/'}": ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return fail('probe has no action (exec, httpGet, tcpSocket)');
}

/** Connects to host:port; resolves undefined on success, else why it failed. */
function tcpCheck(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (r: string | undefined) => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done(`dial tcp ${host}:${port}: i/o timeout`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err) => done(`dial tcp ${host}:${port}: ${err.message}`));
  });
}

/** A {@link ProbeManager} running probes through `runtime` on `clock`. */
export function createProbeManager(
  runtime: RuntimeClient,
  clock: Clock,
  onChange: (podUID: string) => void,
  /** Called on every failed probe run (the kubelet's `Unhealthy` Event). */
  onFailure?: (target: ProbeTarget, kind: ProbeKind, output: string) => void,
): ProbeManager {
  const byId = new Map<string, ContainerProbes>();

  const stopOne = (cp: ContainerProbes) => {
    cp.stopped = true;
    for (const p of cp.probes) if (p.timer) clock.clearTimeout(p.timer);
    byId.delete(cp.target.containerId);
  };
  const startupDone = (cp: ContainerProbes) => {
    const s = cp.probes.find((p) => p.kind === 'startup');
    return !s || s.result === 'success';
  };

  function schedule(cp: ContainerProbes, p: ProbeState, delayMs: number): void {
    if (cp.stopped) return;
    p.timer = clock.setTimeout(() => void tick(cp, p), Math.max(0, delayMs));
  }

  async function tick(cp: ContainerProbes, p: ProbeState): Promise<void> {
    p.timer = undefined;
    if (cp.stopped) return;
    const period = (p.probe.periodSeconds ?? 10) * 1000;
    if (p.kind !== 'startup' && !startupDone(cp)) return schedule(cp, p, period);
    const { result: r, output } = await probeWithOutput(runtime, cp.target, p.probe);
    if (cp.stopped) return;
    if (r === 'failure') onFailure?.(cp.target, p.kind, output);
    if (r === 'success') {
      p.successes++;
      p.failures = 0;
    } else {
      p.failures++;
      p.successes = 0;
    }
    const before = p.result;
    if (r === 'success' && p.successes >= (p.kind === 'readiness' ? (p.probe.successThreshold ?? 1) : 1)) p.result = 'success';
    if (r === 'failure' && p.failures >= (p.probe.failureThreshold ?? 3)) p.result = 'failure';
    if (p.result !== before) onChange(cp.target.podUID);
    // A started container is never startup-probed again; a failed liveness/startup probe ends with the container.
    if (p.kind === 'startup' && p.result === 'success') return;
    if (p.kind !== 'readiness' && p.result === 'failure') return;
    schedule(cp, p, period);
  }

  return {
    ensure(target) {
      if (byId.has(target.containerId)) return;
      const c = target.container;
      const probes: ProbeState[] = [];
      const add = (kind: ProbeKind, probe: core.Probe | undefined) => probe && probes.push({ kind, probe, result: undefined, successes: 0, failures: 0 });
      add('startup', c.startupProbe);
      add('liveness', c.livenessProbe);
      add('readiness', c.readinessProbe);
      const cp: ContainerProbes = { target, probes, stopped: false };
      byId.set(target.containerId, cp);
      for (const p of probes) schedule(cp, p, target.startedAtMs + (p.probe.initialDelaySeconds ?? 0) * 1000 - clock.now());
    },
    retain(podUID, keep) {
      for (const cp of [...byId.values()]) if (cp.target.podUID === podUID && !keep.has(cp.target.containerId)) stopOne(cp);
    },
    isReady(id, hasProbe) {
      if (!hasProbe) return true;
      return byId.get(id)?.probes.find((p) => p.kind === 'readiness')?.result === 'success';
    },
    isStarted(id, hasProbe) {
      if (!hasProbe) return true;
      return byId.get(id)?.probes.find((p) => p.kind === 'startup')?.result === 'success';
    },
    failed(id) {
      const cp = byId.get(id);
      if (!cp) return undefined;
      if (cp.probes.find((p) => p.kind === 'startup')?.result === 'failure') return 'startup';
      if (cp.probes.find((p) => p.kind === 'liveness')?.result === 'failure') return 'liveness';
      return undefined;
    },
    stop() {
      for (const cp of [...byId.values()]) stopOne(cp);
    },
  };
}
