import { isApiError, type KubeObject } from '@bosun/api';
import type { Client } from '@bosun/apiserver';
import { ClusterError } from './errors';

/** Options of `cluster.waitFor`. */
export interface WaitForOptions {
  /** Wall-clock milliseconds before giving up (even on a FakeClock cluster: it bounds the caller's wait). Default 30 000. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const describeLast = (last: KubeObject | undefined, seen: boolean): string => {
  if (!seen || !last) return 'it does not exist';
  const shown = JSON.stringify({ metadata: { resourceVersion: last.metadata?.resourceVersion, deletionTimestamp: last.metadata?.deletionTimestamp }, spec: (last as { spec?: unknown }).spec === undefined ? undefined : '…', status: (last as { status?: unknown }).status });
  return `last seen: ${shown.length > 2000 ? `${shown.slice(0, 2000)}…` : shown}`;
};

/**
 * Watches one object until `test` holds for it (`undefined` when it does not exist) and
 * resolves with it. Level-based: the current state is checked first (the watch starts
 * with the object as it is), then every change. A broken watch is restarted. Rejects
 * with a `Timeout` {@link ClusterError} naming the object and showing its last status.
 */
export async function waitForObject<T extends KubeObject>(
  client: Client,
  ref: { apiVersion: string; kind: string; namespace: string; name: string },
  test: (obj: T | undefined) => boolean,
  what: string,
  opts: WaitForOptions = {},
): Promise<T | undefined> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => ((timedOut = true), ac.abort(new Error('timeout'))), timeoutMs);
  const onAbort = () => ac.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let last: T | undefined;
  let seen = false;
  const label = `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
  try {
    while (!ac.signal.aborted) {
      // A fresh list each round gives the state now (and a revision to watch from).
      try {
        const list = await client.list(ref.apiVersion, ref.kind, { namespace: ref.namespace, fieldSelector: `metadata.name=${ref.name}`, signal: ac.signal });
        last = list.items[0] as T | undefined;
        seen = true;
        if (test(last)) return last;
        for await (const ev of client.watch(ref.apiVersion, ref.kind, { namespace: ref.namespace, fieldSelector: `metadata.name=${ref.name}`, resourceVersion: list.metadata.resourceVersion, signal: ac.signal })) {
          if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') continue;
          last = ev.type === 'DELETED' ? undefined : (ev.object as T);
          if (test(last)) return last;
        }
      } catch (err) {
        if (ac.signal.aborted) break;
        // 410 Gone and other watch breaks: list again. Anything else is the caller's problem.
        if (!isApiError(err) || (err.code !== 410 && err.code !== 500 && err.code !== 504)) throw err;
      }
    }
    if (timedOut) throw new ClusterError('Timeout', `timed out after ${timeoutMs} ms waiting for ${label} ${what}; ${describeLast(last, seen)}`);
    throw opts.signal?.reason ?? new ClusterError('Stopped', `waiting for ${label} was aborted`);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    ac.abort();
  }
}
