export { createDockerRuntime } from './docker-runtime';
export type { DockerRuntime, DockerRuntimeOptions } from './docker-runtime';
export { DockerConnection, dockerodeOptions } from './connection';
export type { DockerEndpointOptions, ReconnectBackoff, ConnectionState } from './connection';
export { toCriError, isConnectionError } from './errors';
export { LABELS, MANAGED_BY, ANNOTATION_PREFIX, CRI_LABEL_KEYS, sandboxName, containerName } from './labels';
export { FrameDemuxer, CriLogFile, criLineFromDockerMessage, padTimestamp, lastLogTimestamp, lastLogTimestamps } from './log-pump';
export type { LogStream } from './log-pump';
export { entrypointAndCmd, hostResources, exitReason, dockerTimeToNs } from './convert';
