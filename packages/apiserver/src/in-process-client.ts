import type { KubeObject, Scale, TypeOf } from '@bosun/api';
import type {
  ApiObject,
  ApplyOptions,
  ApplyResult,
  Client,
  ClientListOptions,
  ClientWatchOptions,
  DeleteCollectionOptions,
  DeleteOptions,
  ObjectList,
  PatchOptions,
  WatchEvent,
  WriteOptions,
} from './client';
import type { ApiServer, ServerWriteOptions } from './server';

const NO_WRITE_OPTIONS: ServerWriteOptions = Object.freeze({ dryRun: false });

function writeOpts(opts: WriteOptions | undefined): ServerWriteOptions {
  if (!opts) return NO_WRITE_OPTIONS; // the common call, on every write: nothing to allocate
  opts.signal?.throwIfAborted();
  return { dryRun: opts.dryRun?.[0] === 'All', fieldManager: opts.fieldManager };
}

/**
 * The in-process {@link Client}: calls the server core directly, with the same
 * semantics a remote client will have. Every result is the caller's own copy (watch
 * event objects excepted: shared and frozen). Every failure is an ApiError; an aborted
 * `signal` rejects with its reason before the call starts.
 */
export function createClient(server: ApiServer): Client {
  const client: Client = {
    async create<T extends ApiObject>(obj: T, opts?: WriteOptions): Promise<T> {
      return (await server.create(obj, writeOpts(opts))) as unknown as T;
    },
    async get<A extends string, K extends string>(apiVersion: A, kind: K, namespace: string, name: string, opts?: { signal?: AbortSignal }): Promise<TypeOf<A, K>> {
      opts?.signal?.throwIfAborted();
      return (await server.get(apiVersion, kind, namespace, name)) as TypeOf<A, K>;
    },
    async list<A extends string, K extends string>(apiVersion: A, kind: K, opts: ClientListOptions = {}): Promise<ObjectList<TypeOf<A, K>>> {
      opts.signal?.throwIfAborted();
      return (await server.list(apiVersion, kind, opts)) as ObjectList<TypeOf<A, K>>;
    },
    async update<T extends ApiObject>(obj: T, opts?: WriteOptions): Promise<T> {
      return (await server.update(obj, writeOpts(opts))) as unknown as T;
    },
    async updateStatus<T extends ApiObject>(obj: T, opts?: WriteOptions): Promise<T> {
      return (await server.updateStatus(obj, writeOpts(opts))) as unknown as T;
    },
    async patch<A extends string, K extends string>(apiVersion: A, kind: K, namespace: string, name: string, patch: unknown, opts: PatchOptions = {}): Promise<TypeOf<A, K>> {
      return (await server.patch(apiVersion, kind, namespace, name, patch, { ...writeOpts(opts), type: opts.type, subresource: opts.subresource })) as TypeOf<A, K>;
    },
    async delete<A extends string, K extends string>(apiVersion: A, kind: K, namespace: string, name: string, opts: DeleteOptions = {}): Promise<TypeOf<A, K>> {
      const res = await server.delete(apiVersion, kind, namespace, name, { ...writeOpts(opts), propagationPolicy: opts.propagationPolicy, gracePeriodSeconds: opts.gracePeriodSeconds, preconditions: opts.preconditions });
      return res.object as TypeOf<A, K>;
    },
    async deleteCollection<A extends string, K extends string>(apiVersion: A, kind: K, opts: DeleteCollectionOptions = {}): Promise<ObjectList<TypeOf<A, K>>> {
      const { signal: _s, dryRun: _d, fieldManager: _f, ...rest } = opts;
      return (await server.deleteCollection(apiVersion, kind, { ...rest, ...writeOpts(opts) })) as ObjectList<TypeOf<A, K>>;
    },
    watch<A extends string, K extends string>(apiVersion: A, kind: K, opts: ClientWatchOptions = {}): AsyncIterable<WatchEvent<TypeOf<A, K>>> {
      return server.watch(apiVersion, kind, opts) as unknown as AsyncIterable<WatchEvent<TypeOf<A, K>>>;
    },
    async apply<T extends ApiObject>(obj: T, opts: ApplyOptions = {}): Promise<ApplyResult<T>> {
      const res = await server.apply(obj, { ...writeOpts(opts), namespace: opts.namespace });
      return res as unknown as ApplyResult<T>;
    },
    async getScale(apiVersion: string, kind: string, namespace: string, name: string): Promise<Scale> {
      return server.getScale(apiVersion, kind, namespace, name);
    },
    async updateScale(apiVersion: string, kind: string, namespace: string, name: string, scale: Scale, opts?: WriteOptions): Promise<Scale> {
      return server.updateScale(apiVersion, kind, namespace, name, scale, writeOpts(opts));
    },
    async bind(namespace: string, podName: string, nodeName: string, opts?: WriteOptions): Promise<TypeOf<'v1', 'Pod'>> {
      return (await server.bind(namespace, podName, nodeName, writeOpts(opts))) as TypeOf<'v1', 'Pod'>;
    },
  };
  return client;
}
