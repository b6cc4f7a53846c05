import { ApiError, isApiError, type FieldCause, type KindInfo, type KubeObject } from '@bosun/api';

/** The operation an admission plugin is asked about. */
export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE';

/** What an admission plugin sees about one request. */
export interface AdmissionAttributes {
  operation: AdmissionOperation;
  /** The kind of the object (with its names, scope and subresources). */
  kind: KindInfo;
  /** `''` for the main resource, else `status`, `scale` or `binding`. */
  subresource: string;
  /** `''` for cluster-scoped objects. */
  namespace: string;
  name: string;
  /**
   * The object being written. Mutating plugins may change it in place (or return a
   * replacement); for DELETE it is the object as stored.
   */
  object: KubeObject;
  /** The stored object before an UPDATE (read-only); undefined on CREATE. */
  oldObject?: Readonly<KubeObject>;
  /** True for dry-run requests: plugins must not have side effects. */
  dryRun: boolean;
}

/**
 * A plugin's verdict. `allowed: false` rejects the request: with `causes` as 422 Invalid,
 * otherwise as 403 Forbidden `<plugin name> denied the request: <message>`.
 */
export interface AdmissionDecision {
  allowed: boolean;
  message?: string;
  causes?: readonly FieldCause[];
}

/** A plugin's answer: nothing (allowed), a decision, or (mutating only) a replacement object. */
export type AdmissionResult = void | undefined | AdmissionDecision;

interface AdmissionPluginBase {
  /** Shown in rejection messages; unique within a server. */
  readonly name: string;
  /** Which requests the plugin wants; all when absent. Must be cheap and side-effect free. */
  handles?(operation: AdmissionOperation, kind: KindInfo): boolean;
}

/**
 * Runs after defaulting and before validation on CREATE and UPDATE, in registration
 * order, and may change `attrs.object` in place. May run more than once for one request
 * (the update is retried when another write lands meanwhile), so it must be idempotent
 * and free of side effects it cannot repeat. Rejects by returning `{ allowed: false }`
 * or throwing an ApiError; any other thrown error is a 500.
 */
export interface MutatingAdmissionPlugin extends AdmissionPluginBase {
  admit(attrs: AdmissionAttributes): AdmissionResult | Promise<AdmissionResult>;
}

/**
 * Runs after validation on CREATE, UPDATE and DELETE, in registration order; sees the
 * final object and must not change it. Same retry and rejection rules as
 * {@link MutatingAdmissionPlugin}.
 */
export interface ValidatingAdmissionPlugin extends AdmissionPluginBase {
  validate(attrs: AdmissionAttributes): AdmissionResult | Promise<AdmissionResult>;
}

/** The user-registered admission plugins of a server. */
export interface AdmissionConfig {
  mutating?: MutatingAdmissionPlugin[];
  validating?: ValidatingAdmissionPlugin[];
}

/** Runs the chain's plugins that handle this request; throws the first rejection as an ApiError. */
export async function runMutating(plugins: readonly MutatingAdmissionPlugin[], attrs: AdmissionAttributes): Promise<void> {
  for (const p of plugins) {
    if (p.handles && !p.handles(attrs.operation, attrs.kind)) continue;
    let res: AdmissionResult;
    try {
      res = await p.admit(attrs);
    } catch (e) {
      throw pluginFailure(p.name, e);
    }
    if (res && res.allowed === false) throw denial(p.name, res, attrs);
  }
}

/** Like {@link runMutating} for validating plugins. */
export async function runValidating(plugins: readonly ValidatingAdmissionPlugin[], attrs: AdmissionAttributes): Promise<void> {
  for (const p of plugins) {
    if (p.handles && !p.handles(attrs.operation, attrs.kind)) continue;
    let res: AdmissionResult;
    try {
      res = await p.validate(attrs);
    } catch (e) {
      throw pluginFailure(p.name, e);
    }
    if (res && res.allowed === false) throw denial(p.name, res, attrs);
  }
}

function denial(plugin: string, d: AdmissionDecision, attrs: AdmissionAttributes): ApiError {
  const { kind } = attrs;
  if (d.causes?.length) return ApiError.invalid(kind.kind, attrs.name, [...d.causes], kind.group);
  const message = `${plugin} denied the request: ${d.message ?? 'no reason given'}`;
  return new ApiError('Forbidden', message, { group: kind.group, kind: kind.plural, name: attrs.name });
}

function pluginFailure(plugin: string, e: unknown): ApiError {
  if (isApiError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return ApiError.internal(`admission plugin "${plugin}" failed: ${message}`, e);
}
