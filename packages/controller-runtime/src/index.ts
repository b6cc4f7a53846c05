// Informers, shared caches with indexes, rate-limited work queues and backoff: the parts
// controllers are built from. The controller builder, manager and leader election come next.
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
export { createIndexer, builtinIndexers, NAMESPACE_INDEX, OWNER_UID_INDEX, NODE_NAME_INDEX, LABEL_INDEX } from './indexer';
export type { Cache, Indexer, IndexerOptions, IndexFunc, Indexers, CacheListOptions } from './indexer';
export { createInformer } from './informer';
export type { Informer, InformerOptions, InformerStats, ResourceEventHandler, DeleteInfo } from './informer';
export { createSharedInformerFactory } from './shared-informers';
export type { SharedInformerFactory, SharedInformerFactoryOptions, ForKindOptions } from './shared-informers';
export { ControllerRuntimeError, isControllerRuntimeError } from './errors';
export type { ControllerRuntimeErrorCode } from './errors';
