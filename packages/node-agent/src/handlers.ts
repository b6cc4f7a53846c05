import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Clock, core } from '@bosun/api';
import type { RuntimeClient } from '@bosun/cri';

/** The kubelet's probe/hook User-Agent. */
export const PROBE_USER_AGENT = 'kube-probe/1.32';

/** A probe port: a number, a numeric string, or the name of one of the container's ports. */
export function resolvePort(port: number | string, container: core.Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const p = container.ports?.find((x) => x.name === port);
  if (!p) throw new Error(`port ${JSON.stringify(port)} not found in container ${container.name}`);
  return p.containerPort;
}

/**
 * One HTTP GET as the kubelet's prober and hook runner do it: `scheme` HTTP or HTTPS
 * (certificates are not verified, as upstream), host defaulting to `podIP`, the port by
 * number or name, the given headers plus `User-Agent: kube-probe/…`. Redirects are not
 * followed. Resolves with the status code; rejects on connection errors and timeouts.
 */
export function httpGet(action: core.HTTPGetAction, container: core.Container, podIP: string, timeoutMs: number): Promise<number> {
  const port = resolvePort(action.port, container);
  const https = (action.scheme ?? 'HTTP').toUpperCase() === 'HTTPS';
  const headers: Record<string, string> = { 'User-Agent': PROBE_USER_AGENT, Accept: '*/*' };
  for (const h of action.httpHeaders ?? []) headers[h.name] = h.value;
  const path = action.path ? (action.path.startsWith('/') ? action.path : `/${action.path}`) : '/';
  const host = action.host || podIP;
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)({ host, port, path, method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs}ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Where a lifecycle hook runs. */
export interface HookTarget {
  containerId: string;
  container: core.Container;
  podIP: string;
}

/** The outcome of a lifecycle hook: `undefined` when it succeeded, else why it failed. */
export type HookFailure = string | undefined;

/**
 * Runs a lifecycle handler (postStart or preStop) as the kubelet does: `exec` through
 * ExecSync (success = exit code 0), `httpGet` (success = 200..399), `sleep` (waits on
 * the clock). `timeoutSeconds` bounds exec and HTTP (the remaining grace period for
 * preStop). Never throws.
 */
export async function runLifecycleHandler(runtime: RuntimeClient, clock: Clock, handler: core.LifecycleHandler, target: HookTarget, timeoutSeconds: number): Promise<HookFailure> {
  try {
    if (handler.exec?.command?.length) {
      const res = await runtime.execSync(target.containerId, handler.exec.command, timeoutSeconds);
      if (res.exitCode === 0) return undefined;
      const out = Buffer.from(res.stdout ?? []).toString() + Buffer.from(res.stderr ?? []).toString();
      return `command '${handler.exec.command.join(' ')}' exited with ${res.exitCode}: ${out}`;
    }
    if (handler.httpGet) {
      const status = await httpGet(handler.httpGet, target.container, target.podIP, Math.max(1, timeoutSeconds) * 1000);
      return status >= 200 && status < 400 ? undefined : `HTTP lifecycle hook (${handler.httpGet.path ?? '/'}) for Container "${target.container.name}" failed - status ${status}`;
    }
    if (handler.sleep) {
      await clock.sleep(Math.min(handler.sleep.seconds, timeoutSeconds) * 1000);
      return undefined;
    }
    if (handler.tcpSocket) return 'tcpSocket lifecycle handlers are deprecated and not supported';
    return 'lifecycle handler has no action';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
