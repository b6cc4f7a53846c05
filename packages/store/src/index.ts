export { createMemoryStore, MemoryStore } from './memory-store';
export type { MemoryStoreOptions } from './memory-store';
export { StoreError, isStoreError, tooOldResourceVersion, CONFLICT_MESSAGE, CONTINUE_EXPIRED_MESSAGE } from './errors';
export type { StoreErrorCode, StoreErrorOptions } from './errors';
export type {
  ObjectStore,
  StoreKey,
  StorePrefix,
  StoreFilter,
  Preconditions,
  ListOptions,
  WriteOptions,
  ListResult,
  WatchOptions,
  Watch,
  WatchEvent,
  WatchEventType,
} from './types';
