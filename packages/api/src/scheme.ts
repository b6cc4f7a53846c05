import { ApiError, type FieldCause } from './errors';
import { formatApiVersion, parseApiVersion, type KubeObject } from './meta';

/** Where the scale subresource finds replicas and the selector in objects of a kind. */
export interface ScaleSubresource {
  /** Dotted path, e.g. `spec.replicas`. */
  specReplicasPath: string;
  /** Dotted path, e.g. `status.replicas`. */
  statusReplicasPath: string;
  /** Dotted path to the label selector (object form or string), e.g. `spec.selector`. */
  labelSelectorPath?: string;
}

/**
 * Everything the API machinery needs to serve one kind: its names, its scope, its
 * subresources, and its defaulting and validation. Built-in kinds and user kinds
 * (the CRD equivalent) are registered the same way.
 */
export interface KindDefinition<T extends KubeObject = KubeObject> {
  /** API group; `''` for the core group. */
  group: string;
  version: string;
  kind: string;
  /** Lower-case plural resource name, e.g. `deployments`. */
  plural: string;
  /** Lower-case singular; defaults to the lower-cased kind. */
  singular?: string;
  shortNames?: string[];
  namespaced: boolean;
  /**
   * Whether `status` is a subresource: when true, update ignores changes to status and
   * updateStatus ignores everything else. Defaults to true when unspecified.
   */
  statusSubresource?: boolean;
  scale?: ScaleSubresource;
  /**
   * Fills in defaults in place. Called on every create and update before validation.
   * Must be idempotent: defaulting an already-defaulted object changes nothing.
   */
  defaulter?: (obj: T) => void;
  /**
   * Validates the kind-specific parts of an object (metadata is validated generically).
   * `old` is set on update, for immutability checks. Returns every problem found.
   */
  validate?: (obj: T, old?: T) => FieldCause[];
  /** Cluster-scoped kinds a Namespace deletion does not touch etc.; free-form hints. */
  categories?: string[];
}

/** A version users still write, converted to a served one or refused with guidance. */
export interface LegacyVersion {
  apiVersion: string;
  kind: string;
  /** The served apiVersion to use instead. */
  use: string;
  /** Converts an object of the legacy version to `use`. Absent: objects are refused. */
  convert?: (obj: KubeObject) => KubeObject;
}

/** A registered kind with its resolved names. */
export interface KindInfo<T extends KubeObject = KubeObject> extends KindDefinition<T> {
  readonly apiVersion: string;
  readonly singular: string;
  readonly shortNames: string[];
  readonly statusSubresource: boolean;
}

const key = (apiVersion: string, kind: string) => `${apiVersion}\u0000${kind}`;

/**
 * The registry of kinds: apiVersion+kind ↔ definition, resource names (plural,
 * singular, short names) → kind, and legacy versions with their conversions.
 */
export class Scheme {
  private readonly byGvk = new Map<string, KindInfo>();
  private readonly byName = new Map<string, KindInfo[]>();
  private readonly legacy = new Map<string, LegacyVersion>();

  /** Registers a kind. Registering the same apiVersion+kind twice is an error. */
  register<T extends KubeObject>(def: KindDefinition<T>): KindInfo<T> {
    const apiVersion = formatApiVersion(def.group, def.version);
    const k = key(apiVersion, def.kind);
    if (this.byGvk.has(k)) throw new Error(`kind ${def.kind} in ${apiVersion} is already registered`);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(def.plural)) throw new Error(`invalid plural resource name ${JSON.stringify(def.plural)}`);
    const info: KindInfo<T> = {
      ...def,
      apiVersion,
      singular: def.singular ?? def.kind.toLowerCase(),
      shortNames: def.shortNames ?? [],
      statusSubresource: def.statusSubresource ?? true,
    };
    this.byGvk.set(k, info as unknown as KindInfo);
    const names = new Set([info.plural, info.singular, ...info.shortNames, info.kind.toLowerCase()]);
    for (const n of names) {
      for (const alias of def.group ? [n, `${n}.${def.group}`] : [n]) {
        const list = this.byName.get(alias) ?? [];
        list.push(info as unknown as KindInfo);
        this.byName.set(alias, list);
      }
    }
    return info;
  }

  /** Registers an older version users still write; see {@link LegacyVersion}. */
  registerLegacy(v: LegacyVersion): void {
    this.legacy.set(key(v.apiVersion, v.kind), v);
  }

  /** The kind registered for apiVersion+kind, or undefined. */
  lookup(apiVersion: string, kind: string): KindInfo | undefined {
    return this.byGvk.get(key(apiVersion, kind));
  }

  /** Like {@link lookup} but throws a 404 NotFound ApiError naming what was asked for. */
  require(apiVersion: string, kind: string): KindInfo {
    const info = this.lookup(apiVersion, kind);
    if (info) return info;
    const legacy = this.legacy.get(key(apiVersion, kind));
    const hint = legacy ? `; use ${legacy.use}` : this.suggest(kind);
    throw new ApiError('NotFound', `no matches for kind "${kind}" in version "${apiVersion}"${hint}`, { kind, group: parseApiVersion(apiVersion).group });
  }

  /**
   * Resolves a resource name as kubectl does: plural, singular, short name or kind,
   * optionally qualified by group (`deploy`, `deployments.apps`, `po`).
   */
  resolveResource(name: string): KindInfo | undefined {
    const list = this.byName.get(name.toLowerCase());
    return list?.[0];
  }

  /** Every registered kind. */
  kinds(): KindInfo[] {
    return [...this.byGvk.values()];
  }

  /** The legacy entry for apiVersion+kind, if one is registered. */
  legacyVersion(apiVersion: string, kind: string): LegacyVersion | undefined {
    return this.legacy.get(key(apiVersion, kind));
  }

  /**
   * Brings an object to a served version: returns it as is when served, converted
   * when its version is a convertible legacy one, and throws a 400 BadRequest naming
   * the version to use otherwise.
   */
  toServed(obj: KubeObject): KubeObject {
    const apiVersion = obj.apiVersion ?? '';
    const kind = obj.kind ?? '';
    if (this.lookup(apiVersion, kind)) return obj;
    const legacy = this.legacy.get(key(apiVersion, kind));
    if (legacy?.convert) {
      const out = legacy.convert(obj);
      out.apiVersion = legacy.use;
      return out;
    }
    if (legacy) throw ApiError.badRequest(`${kind} in version "${apiVersion}" is no longer served; use apiVersion: ${legacy.use}`);
    this.require(apiVersion, kind);
    return obj;
  }

  private suggest(kind: string): string {
    const served = this.kinds().filter((k) => k.kind === kind).map((k) => k.apiVersion);
    return served.length ? `; use ${served.join(' or ')}` : '';
  }
}
