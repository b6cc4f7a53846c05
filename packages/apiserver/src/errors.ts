import { ApiError, isApiError } from '@bosun/api';
import { isStoreError } from '@bosun/store';

/** What a store error is about, so it can be worded as Kubernetes words it. */
export interface ErrorSubject {
  /** Plural resource name, e.g. `deployments`. */
  resource: string;
  /** API group, `''` for core. */
  group: string;
  /** Object name, when the operation concerns one object. */
  name?: string;
}

/** The Conflict detail Kubernetes gives for a stale resourceVersion. */
export const OBJECT_MODIFIED = 'the object has been modified; please apply your changes to the latest version and try again';

/**
 * Turns any failure into the ApiError a user sees. ApiErrors pass through; store errors
 * become their Kubernetes statuses (`pods "x" not found`, `Operation cannot be fulfilled
 * on deployments.apps "x": …`, 410 Expired, …); anything else is a 500 InternalError
 * that keeps the original as `cause`. The store's own error objects never escape.
 */
export function toApiError(e: unknown, subject?: ErrorSubject): ApiError {
  if (isApiError(e)) return e;
  if (isStoreError(e)) {
    const resource = subject?.resource ?? '';
    const group = subject?.group ?? '';
    const name = subject?.name ?? '';
    switch (e.code) {
      case 'NotFound':
        return ApiError.notFound(resource, name, group);
      case 'AlreadyExists':
        return ApiError.alreadyExists(resource, name, group);
      case 'Conflict':
        return ApiError.conflict(resource, name, conflictDetail(e.message), group);
      case 'Expired':
        return ApiError.expired(e.message.startsWith('too old resource version') ? e.message : `too old resource version: ${e.message}`);
      case 'TooLargeResourceVersion':
        return new ApiError('Timeout', `Too large resource version: ${e.message}`, { retryAfterSeconds: 1 });
      case 'InvalidContinue':
      case 'BadRequest':
        return ApiError.badRequest(e.message);
      case 'Closed':
        return new ApiError('ServiceUnavailable', 'the server is shutting down', {});
      default:
        return ApiError.internal(e.message, e);
    }
  }
  const message = e instanceof Error ? e.message : String(e);
  return ApiError.internal(message, e);
}

/**
 * Precondition failures keep the store's wording when it names the precondition
 * (`Precondition failed: UID in precondition: …`); a stale resourceVersion gets the
 * message every Kubernetes client knows.
 */
function conflictDetail(storeMessage: string): string {
  return /precondition failed/i.test(storeMessage) && /uid/i.test(storeMessage) ? storeMessage : OBJECT_MODIFIED;
}

/** 404 for a kind or subresource the server does not serve. */
export function resourceNotFound(): ApiError {
  return new ApiError('NotFound', 'the server could not find the requested resource', {});
}
