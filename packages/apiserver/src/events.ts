import { RealClock, isApiError, rfc3339, type Clock, type KubeObject } from '@bosun/api';
import type { ApiObject } from './client';
import type { Client } from './client';
import type { Logger } from './server';

/** `Normal` for routine happenings, `Warning` for ones a user should look at. */
export type EventType = 'Normal' | 'Warning';

/** Options of {@link createEventRecorder}. */
export interface EventRecorderOptions {
  /** `source.component` and `reportingComponent`, e.g. `deployment-controller`. */
  component: string;
  /** `source.host` and `reportingInstance`, e.g. the node name. */
  host?: string;
  /** Where write failures go; they never reach the caller. Silent by default. */
  logger?: Pick<Logger, 'warn'>;
  /** Identical events within this span update one Event (count, lastTimestamp). Default 10 minutes. */
  aggregationWindowMs?: number;
  /** Events waiting to be written beyond this are dropped (and logged). Default 1,000. */
  maxPending?: number;
}

/**
 * Records Events about objects, as client-go's recorder does. `event` returns at once;
 * writes happen in the background, in order. An event identical to an earlier one
 * (same involved object, type, reason, message and source) within the aggregation
 * window increments that Event's `count` and moves its `lastTimestamp` instead of
 * creating another. Recording never throws and never waits on the API.
 */
export interface EventRecorder {
  event(obj: ApiObject, type: EventType, reason: string, message: string): void;
  /** Like {@link event} with a printf-style message: `%s`/`%v` (string), `%d` (integer), `%q` (quoted), `%%`. */
  eventf(obj: ApiObject, type: EventType, reason: string, format: string, ...args: unknown[]): void;
  /** Resolves when every event recorded so far has been written (or given up). For tests and shutdown. */
  flush(): Promise<void>;
}

interface Aggregate {
  namespace: string;
  name: string;
  count: number;
  firstTimestamp: string;
  lastSeen: number;
}

const MAX_AGGREGATES = 4096;

/**
 * A recorder writing core/v1 Events through `client`, named `<involved name>.<hex>` in
 * the involved object's namespace (`default` for cluster-scoped objects).
 */
export function createEventRecorder(client: Client, opts: EventRecorderOptions, clock: Clock = new RealClock()): EventRecorder {
  const window = opts.aggregationWindowMs ?? 10 * 60_000;
  const maxPending = opts.maxPending ?? 1000;
  const aggregates = new Map<string, Aggregate>();
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;
  let seq = 0;

  const warn = (message: string, e?: unknown) => {
    try {
      opts.logger?.warn(message, e);
    } catch {
      // a failing logger must not break the caller either
    }
  };

  const uniqueSuffix = (now: number): string => {
    // Upstream uses the time in nanoseconds; a counter keeps names unique under a fake clock.
    const nanos = BigInt(now) * 1_000_000n + BigInt(seq++ % 1_000_000);
    return nanos.toString(16);
  };

  async function write(obj: ApiObject, type: EventType, reason: string, message: string, now: number): Promise<void> {
    const m = obj.metadata ?? {};
    const involvedObject = {
      kind: obj.kind,
      namespace: m.namespace,
      name: m.name,
      uid: m.uid,
      apiVersion: obj.apiVersion,
      resourceVersion: m.resourceVersion,
    };
    const namespace = m.namespace || 'default';
    const source = { component: opts.component, ...(opts.host ? { host: opts.host } : {}) };
    const key = JSON.stringify([involvedObject.kind, involvedObject.namespace, involvedObject.name, involvedObject.uid, involvedObject.apiVersion, type, reason, message, opts.component, opts.host ?? '']);
    const timestamp = rfc3339(now);
    const agg = aggregates.get(key);
    if (agg && now - agg.lastSeen <= window) {
      try {
        await client.patch('v1', 'Event', agg.namespace, agg.name, { count: agg.count + 1, lastTimestamp: timestamp }, { type: 'merge' });
        agg.count++;
        agg.lastSeen = now;
        aggregates.delete(key);
        aggregates.set(key, agg);
        return;
      } catch (e) {
        if (!(isApiError(e) && e.reason === 'NotFound')) throw e;
        aggregates.delete(key); // the Event was deleted: start a new one
      }
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const name = `${m.name ?? 'unknown'}.${uniqueSuffix(now)}`;
      const event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject,
        reason,
        message,
        source,
        firstTimestamp: timestamp,
        lastTimestamp: timestamp,
        count: 1,
        type,
        reportingComponent: opts.component,
        reportingInstance: opts.host ?? '',
      };
      try {
        await client.create(event);
        aggregates.set(key, { namespace, name, count: 1, firstTimestamp: timestamp, lastSeen: now });
        if (aggregates.size > MAX_AGGREGATES) aggregates.delete(aggregates.keys().next().value!);
        return;
      } catch (e) {
        if (isApiError(e) && e.reason === 'AlreadyExists') continue;
        throw e;
      }
    }
  }

  function record(obj: ApiObject, type: EventType, reason: string, message: string): void {
    try {
      if (pending >= maxPending) {
        warn(`event dropped (${pending} pending): ${reason}: ${message}`);
        return;
      }
      const now = clock.now();
      pending++;
      chain = chain
        .then(() => write(obj, type, reason, message, now))
        .catch((e: unknown) => warn(`unable to record event ${reason} for ${obj?.kind ?? '?'} ${obj?.metadata?.name ?? '?'}: ${e instanceof Error ? e.message : String(e)}`, e))
        .finally(() => {
          pending--;
        });
    } catch (e) {
      warn('unable to record event', e);
    }
  }

  return {
    event: record,
    eventf(obj, type, reason, format, ...args) {
      let message: string;
      try {
        message = formatMessage(format, args);
      } catch {
        message = String(format);
      }
      record(obj, type, reason, message);
    },
    flush() {
      return chain;
    },
  };
}

/** Go-style `%s %v %d %q %%` formatting, enough for event messages. */
export function formatMessage(format: string, args: readonly unknown[]): string {
  let i = 0;
  return format.replace(/%([%svdqt])/g, (whole, verb: string) => {
    if (verb === '%') return '%';
    if (i >= args.length) return `%!${verb}(MISSING)`;
    const v = args[i++];
    switch (verb) {
      case 'd':
        return typeof v === 'number' ? String(Math.trunc(v)) : typeof v === 'bigint' ? v.toString() : `%!d(${String(v)})`;
      case 'q':
        return JSON.stringify(String(v));
      default:
        return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
    }
  });
}
