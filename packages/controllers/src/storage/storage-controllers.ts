// One call for the whole control-plane storage stack.
import type { Manager } from '@bosun/controller-runtime';
import { addPersistentVolumeBinder, type PersistentVolumeBinderOptions } from './binder';
import { addCsiProvisioner, type CsiProvisionerOptions } from './provisioner';

/** Options of {@link addStorageControllers}. */
export interface StorageControllersOptions {
  /** The binder's options. */
  binder?: PersistentVolumeBinderOptions;
  /** The CSI provisioner's options; without it (or with no drivers) only static binding runs. */
  provisioner?: CsiProvisionerOptions;
}

/**
 * Adds the PV/PVC binder ({@link addPersistentVolumeBinder}) and, when drivers are given,
 * the CSI provisioner ({@link addCsiProvisioner}) to `manager`. Call before the manager starts.
 */
export function addStorageControllers(manager: Manager, opts: StorageControllersOptions = {}): void {
  addPersistentVolumeBinder(manager, opts.binder);
  if (opts.provisioner) addCsiProvisioner(manager, opts.provisioner);
}
