import { CriError, isCriError, type CriErrorCode } from '@bosun/cri';

/** Node socket errors that mean the daemon is not there (as opposed to refusing a request). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN', 'ECONNABORTED']);

/** True when `err` says the Docker daemon could not be reached at all. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECTION_CODES.has(code);
}

/** The HTTP status of a Docker Engine API error (dockerode puts it on `statusCode`), if any. */
export function dockerStatus(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** The daemon's own message of a Docker Engine API error, without dockerode's prefix. */
export function dockerMessage(err: unknown): string {
  const json = (err as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === 'string') return json.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Turns what dockerode threw into a {@link CriError}: 404 → NotFound, 409 → AlreadyExists
 * when a name is taken and FailedPrecondition otherwise (container not running, image in
 * use), 400 → InvalidArgument, an unreachable daemon → Unavailable, the rest → Internal.
 * `what` starts the message (`create container "web"`). CriErrors pass through.
 */
export function toCriError(err: unknown, what: string): CriError {
  if (isCriError(err)) return err;
  const status = dockerStatus(err);
  const msg = dockerMessage(err);
  let code: CriErrorCode = 'Internal';
  if (isConnectionError(err)) code = 'Unavailable';
  else if (status === 404) code = 'NotFound';
  else if (status === 409) code = /already in use|already exists/i.test(msg) ? 'AlreadyExists' : 'FailedPrecondition';
  else if (status === 400) code = 'InvalidArgument';
  return new CriError(code, `${what}: ${msg}`, { cause: err });
}
