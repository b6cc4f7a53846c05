/** What went wrong in the node agent. */
export type NodeAgentErrorCode =
  | 'ImageNeverPull'
  | 'ImagePull'
  | 'CreateContainer'
  | 'StartContainer'
  | 'Sandbox'
  | 'InvalidConfig'
  /** The container's environment or mounts cannot be built (the kubelet's CreateContainerConfigError). */
  | 'CreateContainerConfig'
  /** A volume cannot be set up or torn down (the kubelet's FailedMount). */
  | 'Volume';

/** An error of the node agent; check with {@link isNodeAgentError}. */
export class NodeAgentError extends Error {
  override readonly name = 'NodeAgentError';
  constructor(
    readonly code: NodeAgentErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for a {@link NodeAgentError} (by `name`, so it works across module copies). */
export function isNodeAgentError(err: unknown): err is NodeAgentError {
  return err instanceof Error && err.name === 'NodeAgentError';
}
