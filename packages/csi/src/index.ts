export { CsiError, isCsiError, csiCodeToGrpc, grpcToCsiCode, csiErrorFromServiceError } from './errors';
export type { CsiErrorCode } from './errors';
export { CSI_LOADER_OPTIONS, CSI_SERVICES, CSI_SECRET_FIELDS, csiProtoPath, csiPackageDefinition, csiServiceDefinition } from './proto';
export type { CsiServiceName } from './proto';
export { createCsiClient } from './client';
export type { CsiClient, CsiClientOptions, CsiCallOptions, IdentityClient, ControllerClient, NodeClient } from './client';
export { addCsiToServer, serveCsi, redactCsiRequest, scrubCsiSecrets, REDACTED } from './server';
export type { AddCsiOptions, ServeCsiOptions, CsiServerHandle, CsiLogEntry } from './server';
export type * from './types';
