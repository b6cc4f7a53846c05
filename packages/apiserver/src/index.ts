// The API server core and the typed Client.
export { ApiServer, createApiServer } from './server';
export type {
  ApiServerOptions,
  Logger,
  ServerWriteOptions,
  ServerCreateOptions,
  ServerListOptions,
  ServerPatchOptions,
  ServerDeleteOptions,
  DeleteResult,
  ServerApplyResult,
} from './server';
export { ServerWatch } from './watch';
export type { ServerWatchOptions } from './watch';
export type {
  AdmissionOperation,
  AdmissionAttributes,
  AdmissionDecision,
  AdmissionResult,
  MutatingAdmissionPlugin,
  ValidatingAdmissionPlugin,
  AdmissionConfig,
} from './admission';
export { createClient } from './in-process-client';
export type {
  Client,
  ApiObject,
  WriteOptions,
  ClientListOptions,
  ObjectList,
  ClientWatchOptions,
  WatchEventType,
  WatchEvent,
  PatchType,
  PatchOptions,
  PropagationPolicy,
  DeleteOptions,
  DeleteCollectionOptions,
  ApplyOptions,
  ApplyResult,
} from './client';
export { applyManifests, deleteManifests } from './manifests';
export type { ApplyManifestsOptions, ManifestResult, DeleteManifestsOptions, DeleteManifestResult } from './manifests';
export { createEventRecorder, formatMessage } from './events';
export type { EventRecorder, EventRecorderOptions, EventType } from './events';
export { createTestEnv } from './test-env';
export type { TestEnv, TestEnvOptions } from './test-env';
export { toApiError } from './errors';
export { podQOSClass, NAMESPACE_FINALIZER, NAMESPACE_NAME_LABEL } from './strategy';
export { SYSTEM_NAMESPACES, IMMORTAL_NAMESPACES } from './namespaces';
export { LAST_APPLIED_ANNOTATION } from './patching';
