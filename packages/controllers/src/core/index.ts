// Curated named exports of the core controllers.
export { addGarbageCollector, FOREGROUND_DELETION_FINALIZER, ORPHAN_FINALIZER } from './garbage-collector';
export type { GarbageCollectorOptions, GarbageCollectedKind } from './garbage-collector';
export { addNamespaceController } from './namespace-controller';
export type { NamespaceControllerOptions, FinalizeNamespace } from './namespace-controller';
export { addServiceAccountsController } from './serviceaccounts-controller';
export type { ServiceAccountsControllerOptions } from './serviceaccounts-controller';
