export { CriError, isCriError, criCodeToGrpc, grpcToCriCode, fromServiceError } from './errors';
export type { CriErrorCode } from './errors';
export { CRI_LOADER_OPTIONS, criProtoPath, criPackageDefinition, criServiceDefinition, RUNTIME_SERVICE, IMAGE_SERVICE } from './proto';
export { createCriClient, createInProcessCriClient, normalizeCriEndpoint } from './client';
export type { CriClient, CriClientOptions, CriCallOptions, RuntimeClient, ImageClient, InProcessCriClientOptions } from './client';
export { addCriToServer, serveCri, redactCriRequest } from './server';
export type { AddCriOptions, ServeCriOptions, CriServerHandle, CriLogEntry } from './server';
export type * from './types';
export { criIdMatches, criLabelsMatch } from './filters';
