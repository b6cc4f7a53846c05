import { isApiError, type ApiError } from '@bosun/api';

/** The ApiError `f` throws (fails the test when it throws something else or nothing). */
export function errorOf(f: () => unknown): ApiError {
  try {
    f();
  } catch (e) {
    if (isApiError(e)) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}
