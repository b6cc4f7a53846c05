export { createFakeRuntime, DEFAULT_FAKE_IMAGES } from './fake-runtime';
export type { FakeRuntime, FakeRuntimeOptions, FakeRuntimeCounts } from './fake-runtime';
export { FakeAnnotations, FAKE_ANNOTATION_PREFIX, parseBehaviour, parseDuration } from './annotations';
export type { Behaviour, ExecScript } from './annotations';
export { ImageStore, normalizeImageRef } from './image-store';
export type { ImageStoreOptions } from './image-store';
export { IpPool } from './ip-pool';
export { EventScheduler } from './scheduler';
export type { ScheduledEvent } from './scheduler';
