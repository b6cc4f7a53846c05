/** What went wrong in the cluster facade. */
export type ClusterErrorCode =
  /** An option is malformed (a bad node count, a duplicate node name, an unknown runtime). */
  | 'InvalidOptions'
  /** The option names a part Bosun does not have yet (the sqlite or etcd store, the docker runtime). */
  | 'NotBuilt'
  /** `waitFor` gave up; the message shows the last object it saw. */
  | 'Timeout'
  /** A pod, container or node the call names does not exist. */
  | 'NotFound'
  /** The cluster was stopped. */
  | 'Stopped';

/** An error of `@bosun/cluster`; check with {@link isClusterError}. */
export class ClusterError extends Error {
  override readonly name = 'ClusterError';
  constructor(
    readonly code: ClusterErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for a {@link ClusterError} (by `name`, so it works across module copies). */
export function isClusterError(err: unknown): err is ClusterError {
  return err instanceof Error && err.name === 'ClusterError';
}
