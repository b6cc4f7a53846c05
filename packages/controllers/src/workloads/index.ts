// Curated named exports of the workloads controllers.
export { addReplicaSetController, addReplicationController, BURST_REPLICAS } from './replicaset';
export type { ReplicaSetControllerOptions, ReplicaSetLike } from './replicaset';
export { ControllerExpectations, EXPECTATIONS_TTL_MS } from './expectations';
export { isPodReady, isPodAvailable, isPodActive, comparePodsForDeletion, pickPodsToDelete, podFromTemplate, slowStartBatch, POD_DELETION_COST_ANNOTATION } from './pod-utils';
export { makePodsReady, waitFor } from './testing';
export { addDeploymentController, rollbackDeployment, DeploymentReasons } from './deployment';
export type { DeploymentControllerOptions, RollbackResult } from './deployment';
export {
  computeHash,
  equalIgnoreHash,
  resolveFenceposts,
  resolveIntOrPercent,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
} from './deployment-util';
