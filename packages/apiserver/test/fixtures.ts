import { expect } from 'vitest';
import { isApiError, type ApiError, type ApiErrorReason, type ConfigMap, type Deployment, type KubeObject, type Namespace, type Pod } from '@bosun/api';
import type { ApiObject, WatchEvent } from '../src/index';

/** A small pod in `default`, labelled `app: web` unless told otherwise. */
export function pod(name: string, extra: { labels?: Record<string, string>; namespace?: string; nodeName?: string; finalizers?: string[]; spec?: Record<string, unknown> } = {}): Pod & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: extra.namespace ?? 'default', labels: extra.labels ?? { app: 'web' }, ...(extra.finalizers ? { finalizers: extra.finalizers } : {}) },
    spec: { containers: [{ name: 'app', image: 'nginx:1.25' }], ...(extra.nodeName ? { nodeName: extra.nodeName } : {}), ...extra.spec },
  };
}

/** An apps/v1 Deployment whose selector matches its template. */
export function deployment(name: string, replicas = 3, namespace = 'default'): Deployment & KubeObject & { spec: NonNullable<Deployment['spec']> & { template: { metadata: { labels: Record<string, string> }; spec: NonNullable<NonNullable<Deployment['spec']>['template']['spec']> } } } {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] } },
    },
  };
}

export function configMap(name: string, data: Record<string, string> = {}, namespace = 'default'): ConfigMap & KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

export function namespace(name: string): Namespace & KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

/** Awaits `p`, expecting it to fail with an ApiError of `reason` (and `code`); returns the error. */
export async function expectApiError(p: Promise<unknown>, reason: ApiErrorReason, code?: number): Promise<ApiError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, 'expected the call to fail').toBeDefined();
  expect(isApiError(err), `expected an ApiError, got ${String(err)}`).toBe(true);
  const e = err as ApiError;
  expect(e.reason, e.message).toBe(reason);
  if (code !== undefined) expect(e.code).toBe(code);
  return e;
}

/**
 * Reads a watch without losing events to timeouts: a `next()` that did not resolve in
 * time is kept and awaited by the following read.
 */
export class WatchReader<T extends ApiObject = KubeObject> {
  private readonly it: AsyncIterator<WatchEvent<T>>;
  private pending: Promise<IteratorResult<WatchEvent<T>>> | undefined;
  done = false;
  error: unknown;

  constructor(iterable: AsyncIterable<WatchEvent<T>>) {
    this.it = iterable[Symbol.asyncIterator]();
  }

  /** The next event, `'done'` when the watch ended, or `'timeout'` after `ms` of real time. Rejects with the watch's error. */
  async next(ms = 2000): Promise<WatchEvent<T> | 'done' | 'timeout'> {
    if (this.done) return 'done';
    this.pending ??= this.it.next();
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([this.pending, new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), ms)))]).finally(() => clearTimeout(timer));
    if (r === 'timeout') return 'timeout';
    this.pending = undefined;
    if (r.done) {
      this.done = true;
      return 'done';
    }
    return r.value;
  }

  /** Exactly `n` events (fails the test listing what came otherwise). */
  async take(n: number, ms = 2000): Promise<WatchEvent<T>[]> {
    const out: WatchEvent<T>[] = [];
    const deadline = Date.now() + ms;
    while (out.length < n) {
      const r = await this.next(Math.max(1, deadline - Date.now()));
      if (r === 'timeout' || r === 'done') break;
      out.push(r);
    }
    expect(out.map(describe), `expected ${n} events`).toHaveLength(n);
    return out;
  }

  /** Expects no event for `ms` of real time. */
  async expectQuiet(ms = 50): Promise<void> {
    const r = await this.next(ms);
    expect(typeof r === 'string' ? r : describe(r)).toBe('timeout');
  }

  /** Expects the watch to end without error. */
  async expectEnd(ms = 2000): Promise<void> {
    for (;;) {
      const r = await this.next(ms);
      if (r === 'done') return;
      if (r === 'timeout') expect.fail('the watch did not end');
      if (r.type !== 'BOOKMARK') expect.fail(`unexpected event before the end: ${describe(r)}`);
    }
  }

  async return(): Promise<void> {
    await this.it.return?.();
  }
}

export function describe(e: WatchEvent<ApiObject>): string {
  return `${e.type} ${e.object.metadata?.name ?? ''}`;
}

/** Lets pending promise callbacks run. */
export const settle = () => new Promise<void>((r) => setImmediate(r));
