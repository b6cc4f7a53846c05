// Informers, shared caches with indexes, rate-limited work queues and backoff: the parts
// controllers are built from; the controller builder, the manager, leader election, and
// finalizer and owner-reference helpers.
export { createExponentialBackoff, informerBackoff, jitter, INFORMER_BACKOFF } from './backoff';
export type { Backoff, ExponentialBackoffOptions } from './backoff';
export {
  createItemExponentialFailureRateLimiter,
  createItemFastSlowRateLimiter,
  createBucketRateLimiter,
  createMaxOfRateLimiter,
  defaultControllerRateLimiter,
} from './rate-limiter';
export type { RateLimiter, ItemExponentialFailureOptions, ItemFastSlowOptions, BucketRateLimiterOptions } from './rate-limiter';
export { createWorkQueue } from './work-queue';
export type { WorkQueue, WorkQueueItem, WorkQueueOptions, WorkQueueMetrics, WorkQueueMetricsHooks, DurationSummary } from './work-queue';
export { createIndexer, builtinIndexers, NAMESPACE_INDEX, OWNER_UID_INDEX, NODE_NAME_INDEX, LABEL_INDEX, ORPHAN_INDEX, orphanIndexers, addOrphanIndex } from './indexer';
export type { Cache, Indexer, IndexerOptions, IndexFunc, Indexers, CacheListOptions } from './indexer';
export { createInformer } from './informer';
export type { Informer, InformerOptions, InformerStats, ResourceEventHandler, DeleteInfo } from './informer';
export { createSharedInformerFactory } from './shared-informers';
export type { SharedInformerFactory, SharedInformerFactoryOptions, ForKindOptions } from './shared-informers';
export { ControllerRuntimeError, isControllerRuntimeError } from './errors';
export type { ControllerRuntimeErrorCode } from './errors';
export { Action, TerminalError, isTerminalError, defaultErrorPolicy, retryOnConflict, updateWithRetry } from './reconcile';
export type { Reconcile, ReconcileContext, ErrorPolicy, RetryOnConflictOptions } from './reconcile';
export { Controller, ControllerBuilder } from './controller';
export type { KindRef, ReconcileRequest, MapFunc, WatchOptions, ForOptions, ControllerConfig, ControllerEnv, RunOptions } from './controller';
export { predicate, evaluatePredicate, generationChanged, labelsChanged, annotationsChanged, resourceVersionChanged, and, or, not } from './predicates';
export type { Predicate, PredicateEvent } from './predicates';
export { createManager } from './manager';
export type { Manager, ManagerOptions, ManagerHealth, ManagerLeaderElectionOptions } from './manager';
export { createLeaderElector, LEADER_ELECTION_DEFAULTS } from './leader-election';
export type { LeaderElector, LeaderElectorOptions, LeaseLock } from './leader-election';
export { createControllerMetrics } from './metrics';
export type { ControllerMetrics, ControllerMetricsOptions, ReconcileResult } from './metrics';
export { ensureFinalizer, removeFinalizer, hasFinalizer, finalizer } from './finalizers';
export type { FinalizerHandlers } from './finalizers';
export { setControllerReference, setOwnerReference, removeOwnerReference, isControlledBy, adopt, release, AlreadyOwnedError, isAlreadyOwnedError } from './owner-refs';
