import { join } from 'node:path';
import type { StorageClass } from '@bosun/api';
import type { Client } from '@bosun/apiserver';
import { addStorageControllers, createDefaultStorageClassAdmission } from '@bosun/controllers';
import { createCsiClient, serveCsi } from '@bosun/csi';
import { createHostPathDriver, HOSTPATH_DRIVER_NAME } from '@bosun/storage-hostpath';
import { ContainerModule } from 'inversify';
import type { StorageFactory } from '../parts';
import { TOKENS } from '../tokens';

/** The default StorageClass's name. */
export const DEFAULT_STORAGE_CLASS = 'standard';

/**
 * The class created at start: the hostpath CSI driver, marked default (claims that name
 * no class get it), and WaitForFirstConsumer because a hostpath volume lives on one node:
 * the scheduler picks the node first (VolumeBinding writes `volume.kubernetes.io/selected-node`)
 * and that node's driver provisions the volume.
 */
export const defaultStorageClass: StorageClass = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: DEFAULT_STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
  provisioner: HOSTPATH_DRIVER_NAME,
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'WaitForFirstConsumer',
};

/**
 * One hostpath CSI driver per node, volumes under `<node dir>/csi`. It is served on
 * `<node dir>/csi.sock` whatever the transport: `@bosun/csi` has no in-process client.
 */
export const hostPathStorageFactory: StorageFactory = async (ctx) => {
  const driver = createHostPathDriver({ nodeId: ctx.spec.name, rootDir: join(ctx.dir, 'csi') });
  const server = await serveCsi(driver, { socketPath: join(ctx.dir, 'csi.sock') });
  const client = createCsiClient(server.endpoint);
  let closing: Promise<void> | undefined;
  return {
    driverName: HOSTPATH_DRIVER_NAME,
    driver,
    client,
    endpoint: server.endpoint,
    close: () =>
      (closing ??= (async () => {
        await driver.cleanup();
        client.close();
        await server.close();
      })()),
  };
};

/**
 * Storage: a hostpath CSI driver per node (`TOKENS.StorageFactory`; rebind it to
 * `async () => undefined` for nodes without one), the PV/PVC binder and the CSI
 * provisioner over every node's driver, the DefaultStorageClass admission plugin, and
 * the default StorageClass `standard`.
 */
export const storageModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.StorageFactory).toConstantValue(hostPathStorageFactory);
  bind(TOKENS.DefaultStorageClass).toConstantValue(defaultStorageClass);
  bind(TOKENS.ControllerInstaller).toConstantValue((manager, { nodes }) =>
    addStorageControllers(manager, { provisioner: { drivers: nodes.csiDrivers } }),
  );
  bind(TOKENS.MutatingAdmission).toDynamicValue((ctx) =>
    createDefaultStorageClassAdmission({
      // Called only once requests flow, so after the server and its client exist.
      listStorageClasses: async () => (await ctx.getAsync<Client>(TOKENS.Client)).list('storage.k8s.io/v1', 'StorageClass').then((l) => l.items),
    }),
  );
});
