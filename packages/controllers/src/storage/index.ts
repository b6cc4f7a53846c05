// Storage controllers: the PV/PVC binder, the CSI dynamic provisioner, and the
// DefaultStorageClass admission plugin.
export { addPersistentVolumeBinder, BinderEvents, VOLUME_CLAIM_INDEX } from './binder';
export type { PersistentVolumeBinderOptions } from './binder';
export { addCsiProvisioner, ProvisionerEvents, provisionedVolumeName, persistentVolumeFor, volumeCapabilities } from './provisioner';
export type { CsiProvisionerOptions, CsiProvisionerClient, NodeLocalCsiDriver, CsiDriverRegistration } from './provisioner';
export { addStorageControllers } from './storage-controllers';
export type { StorageControllersOptions } from './storage-controllers';
export { createDefaultStorageClassAdmission } from './default-class';
export type { DefaultStorageClassAdmissionOptions } from './default-class';
export {
  findMatchingVolume,
  volumeMismatch,
  claimClass,
  volumeClass,
  defaultClassOf,
  isDefaultClass,
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  ANN_DYNAMICALLY_PROVISIONED,
  ANN_STORAGE_PROVISIONER,
  ANN_BETA_STORAGE_PROVISIONER,
  ANN_BETA_STORAGE_CLASS,
  ANN_SELECTED_NODE,
  ANN_DEFAULT_STORAGE_CLASS,
  ANN_BETA_DEFAULT_STORAGE_CLASS,
  ANN_PROVISIONED_ON_NODE,
  NO_PROVISIONER,
} from './helpers';
