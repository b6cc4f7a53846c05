// Curated named exports of the node controllers: node lifecycle (heartbeats, condition
// taints) and taint eviction (the NoExecute taint manager).
export {
  addNodeLifecycleController,
  createNodeLifecycleReconcile,
  nodeHeartbeat,
  markConditionsUnknown,
  desiredConditionTaints,
  reconcileTaints,
  NODE_LEASE_NAMESPACE,
  TAINT_NODE_NOT_READY,
  TAINT_NODE_UNREACHABLE,
  TAINT_NODE_UNSCHEDULABLE,
  TAINT_NODE_MEMORY_PRESSURE,
  TAINT_NODE_DISK_PRESSURE,
  TAINT_NODE_PID_PRESSURE,
  TAINT_NODE_NETWORK_UNAVAILABLE,
  NODE_STATUS_UNKNOWN_REASON,
  NODE_STATUS_NEVER_UPDATED_REASON,
  DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS,
  DEFAULT_NODE_MONITOR_PERIOD_MS,
} from './node-lifecycle';
export type { NodeLifecycleControllerOptions } from './node-lifecycle';
export {
  addTaintEvictionController,
  createTaintEvictionReconcile,
  evictionDeadline,
  withDefaultNotReadyTolerations,
  DISRUPTION_TARGET_CONDITION,
  DELETION_BY_TAINT_MANAGER_REASON,
  TAINT_MANAGER_EVICTION_REASON,
} from './taint-eviction';
export type { TaintEvictionControllerOptions } from './taint-eviction';
