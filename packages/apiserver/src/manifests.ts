import { ApiError, createScheme, decodeAll, isApiError, refOf, type KubeObject, type ObjectRef, type Scheme } from '@bosun/api';
import type { ApplyResult, Client, DeleteOptions } from './client';

/** Options of {@link applyManifests}. */
export interface ApplyManifestsOptions {
  /** Namespace for namespaced objects that name none (default `default`). */
  namespace?: string;
  /** Decodes YAML and tells namespaced from cluster-scoped kinds; `createScheme()` by default. Pass the server's scheme for custom kinds. */
  scheme?: Scheme;
  /** Keep going after a failed object (its result carries the error) instead of throwing it. Default false. */
  continueOnError?: boolean;
  dryRun?: ['All'] | [];
  fieldManager?: string;
  signal?: AbortSignal;
}

/** The outcome for one manifest object. */
export interface ManifestResult {
  ref: ObjectRef;
  /** What apply did; absent when it failed. */
  action?: ApplyResult['action'];
  object?: KubeObject;
  /** With `continueOnError`: why this object failed. */
  error?: ApiError;
}

let defaultScheme: Scheme | undefined;
const schemeOf = (s: Scheme | undefined) => s ?? (defaultScheme ??= createScheme());

function toObjects(input: string | readonly KubeObject[], scheme: Scheme): KubeObject[] {
  return typeof input === 'string' ? decodeAll(input, { scheme }) : [...input];
}

function withNamespace(obj: KubeObject, scheme: Scheme, namespace: string | undefined): ObjectRef {
  const ref = refOf(obj);
  const info = scheme.lookup(obj.apiVersion ?? '', obj.kind ?? '');
  if (info?.namespaced !== false && !ref.namespace) ref.namespace = namespace ?? 'default';
  if (info?.namespaced === false) delete ref.namespace;
  return ref;
}

/**
 * `kubectl apply -f` for YAML text (multi-document, Lists expanded) or objects:
 * Namespaces first, then everything else in document order, each through
 * {@link Client.apply}. Returns one result per object in the order applied. A decode
 * error throws before anything is applied; an apply error throws at once unless
 * `continueOnError`.
 */
export async function applyManifests(client: Client, input: string | readonly KubeObject[], opts: ApplyManifestsOptions = {}): Promise<ManifestResult[]> {
  const scheme = schemeOf(opts.scheme);
  const objs = toObjects(input, scheme);
  const ordered = [...objs.filter(isNamespace), ...objs.filter((o) => !isNamespace(o))];
  const results: ManifestResult[] = [];
  for (const obj of ordered) {
    opts.signal?.throwIfAborted();
    const ref = withNamespace(obj, scheme, opts.namespace);
    try {
      const res = await client.apply(obj, { namespace: opts.namespace, dryRun: opts.dryRun, fieldManager: opts.fieldManager });
      results.push({ ref, action: res.action, object: res.object });
    } catch (e) {
      const error = isApiError(e) ? e : ApiError.internal(e instanceof Error ? e.message : String(e), e);
      if (!opts.continueOnError) throw error;
      results.push({ ref, error });
    }
  }
  return results;
}

/** Options of {@link deleteManifests}. */
export interface DeleteManifestsOptions extends Pick<DeleteOptions, 'propagationPolicy' | 'gracePeriodSeconds' | 'dryRun' | 'signal'> {
  namespace?: string;
  scheme?: Scheme;
}

/** The outcome of deleting one manifest object. */
export interface DeleteManifestResult {
  ref: ObjectRef;
  /** `deleted`: gone or being deleted; `notFound`: there was nothing to delete. */
  status: 'deleted' | 'notFound';
  object?: KubeObject;
}

/**
 * `kubectl delete -f`: deletes every object named in the manifests, in document order.
 * Objects that do not exist are reported as `notFound`, not errors; any other failure
 * throws.
 */
export async function deleteManifests(client: Client, input: string | readonly KubeObject[], opts: DeleteManifestsOptions = {}): Promise<DeleteManifestResult[]> {
  const scheme = schemeOf(opts.scheme);
  const results: DeleteManifestResult[] = [];
  for (const raw of toObjects(input, scheme)) {
    opts.signal?.throwIfAborted();
    const obj = scheme.lookup(raw.apiVersion ?? '', raw.kind ?? '') ? raw : scheme.toServed(raw);
    const ref = withNamespace(obj, scheme, opts.namespace);
    try {
      const object = await client.delete(ref.apiVersion, ref.kind, ref.namespace ?? '', ref.name, { propagationPolicy: opts.propagationPolicy, gracePeriodSeconds: opts.gracePeriodSeconds, dryRun: opts.dryRun });
      results.push({ ref, status: 'deleted', object });
    } catch (e) {
      if (isApiError(e) && e.reason === 'NotFound' && !/no matches for kind/.test(e.message)) {
        results.push({ ref, status: 'notFound' });
        continue;
      }
      throw isApiError(e) ? e : ApiError.internal(e instanceof Error ? e.message : String(e), e);
    }
  }
  return results;
}

function isNamespace(o: KubeObject): boolean {
  return o.kind === 'Namespace' && (o.apiVersion === 'v1' || o.apiVersion === undefined);
}
