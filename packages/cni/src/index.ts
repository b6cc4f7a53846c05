export { CniError, isCniError, cniCodeToGrpc, cniCodeFromNumber, toCniServiceError, fromCniServiceError, CNI_CODE_METADATA, CNI_DETAILS_METADATA } from './errors';
export type { CniErrorCode, CniErrorOptions } from './errors';
export { CNI_LOADER_OPTIONS, NETWORK_SERVICE, cniProtoPath, cniPackageDefinition, cniServiceDefinition } from './proto';
export { createCniClient, createInProcessCniClient } from './client';
export type { CniClient, CniClientOptions, CniCallOptions } from './client';
export { addCniToServer, serveCni } from './server';
export type { AddCniOptions, ServeCniOptions, CniServerHandle, CniLogEntry } from './server';
export {
  CNI_VERSION,
  emptyRuntimeConfig,
  normalizeRuntimeConfig,
  parseCniArgs,
  formatCniArgs,
  validateCniResult,
  toCniResultJson,
  parseCniResultJson,
} from './result';
export type * from './types';
