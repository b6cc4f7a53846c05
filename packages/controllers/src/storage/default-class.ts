// The DefaultStorageClass admission plugin: a new claim that names no class gets the
// default one, as upstream's admission plugin of the same name.
import type { PersistentVolumeClaim, StorageClass } from '@bosun/api';
import type { MutatingAdmissionPlugin } from '@bosun/apiserver';
import { claimClassUnset, defaultClassOf } from './helpers';

/** Options of {@link createDefaultStorageClassAdmission}. */
export interface DefaultStorageClassAdmissionOptions {
  /**
   * Lists the StorageClasses (e.g. `async () => (await client.list('storage.k8s.io/v1', 'StorageClass')).items`,
   * or an informer cache's `list()`). Called on each claim creation that names no class.
   * The client may be created after the server: the function is only called once requests flow.
   */
  listStorageClasses(): readonly StorageClass[] | Promise<readonly StorageClass[]>;
}

/**
 * A mutating admission plugin (name `DefaultStorageClass`) for the API server: on CREATE
 * of a PersistentVolumeClaim with neither `spec.storageClassName` nor the
 * `volume.beta.kubernetes.io/storage-class` annotation, sets `spec.storageClassName` to
 * the default class (annotation `storageclass.kubernetes.io/is-default-class: "true"`;
 * the newest when several are marked). A claim with `storageClassName: ""` is left alone
 * (it asks for a volume without a class). With no default class the claim is unchanged.
 * Idempotent, no side effects. Register it with `createApiServer({ admission: { mutating: [plugin] } })`.
 */
export function createDefaultStorageClassAdmission(opts: DefaultStorageClassAdmissionOptions): MutatingAdmissionPlugin {
  return {
    name: 'DefaultStorageClass',
    handles: (operation, kind) => operation === 'CREATE' && kind.group === '' && kind.kind === 'PersistentVolumeClaim',
    async admit(attrs) {
      if (attrs.subresource) return;
      const claim = attrs.object as PersistentVolumeClaim;
      if (!claimClassUnset(claim)) return;
      const def = defaultClassOf(await opts.listStorageClasses());
      const name = def?.metadata?.name;
      if (!name) return;
      claim.spec = { ...claim.spec, storageClassName: name };
    },
  };
}
