import { isAppError, isTimeoutError } from '@steadfast/errors';
import { isBulkheadRejectedError, isCircuitOpenError } from './errors.js';

/** Socket-level codes that mean the peer could not be reached, as opposed to answering badly. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** Validation (400, 422), auth (401, 403), not found (404) and conflict (409): repeating cannot help. */
const NEVER_RETRIED_STATUSES = new Set([400, 401, 403, 404, 409, 422]);

/** The HTTP status an error carries, from our taxonomy or from HTTP clients that set `status`. */
function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { statusCode, status } = error as { statusCode?: unknown; status?: unknown };
  if (typeof statusCode === 'number') return statusCode;
  if (typeof status === 'number') return status;
  return undefined;
}

export function isConnectionError(error: unknown): boolean {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
    // fetch() wraps the socket error in a TypeError('fetch failed') with the real one as the cause.
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The caller gave up (an aborted signal's default reason); that says nothing about the dependency. */
function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

/**
 * The circuit breaker's default: the dependency misbehaved (5xx, timeouts, unreachable, anything
 * unknown). Client errors are the caller's fault; our own rejections and aborts say nothing about it.
 */
export function isDependencyFailure(error: unknown): boolean {
  if (isCircuitOpenError(error) || isBulkheadRejectedError(error) || isAbortError(error)) return false;
  if (isAppError(error)) return error.statusCode >= 500;
  const status = statusOf(error);
  return !(status !== undefined && status >= 400 && status < 500);
}

/** The retry policy's default: failures that a later attempt may not hit. */
export function isTransientError(error: unknown): boolean {
  if (isTimeoutError(error) || isConnectionError(error)) return true;
  const status = statusOf(error);
  return status === 503 || status === 429;
}

/** Errors no predicate may turn into a retry. */
export function isNeverRetryable(error: unknown): boolean {
  const status = statusOf(error);
  return status !== undefined && NEVER_RETRIED_STATUSES.has(status);
}
