/** Who is at fault: the caller (4xx, safe to explain) or the service and its dependencies (5xx, explained generically). */
export type ErrorType = 'client' | 'server';

export interface AppErrorOptions {
  /** Machine-readable detail for the caller, such as the fields that failed validation. */
  details?: unknown;
  /** Seconds the caller should wait before trying again; rendered as `retryAfter` and a `Retry-After` header. */
  retryAfter?: number;
  cause?: unknown;
}

const APP_ERROR = Symbol.for('@steadfast/errors.AppError');

/**
 * The base of the taxonomy. `code` is stable and machine-readable; `statusCode` is the HTTP status a
 * service answers with. The message of a client error is shown to the caller; the message of a server
 * error is logged, and the caller gets a generic one.
 */
export class AppError extends Error {
  readonly [APP_ERROR] = true;
  readonly code: string;
  readonly statusCode: number;
  readonly details: unknown;
  readonly retryAfter: number | undefined;

  constructor(code: string, statusCode: number, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.statusCode = statusCode;
    this.details = options.details;
    this.retryAfter = options.retryAfter;
  }

  get type(): ErrorType {
    return this.statusCode < 500 ? 'client' : 'server';
  }
}

/** True for any AppError, including ones from another copy of this package in the same process. */
export function isAppError(value: unknown): value is AppError {
  return (
    typeof value === 'object' && value !== null && (value as { [APP_ERROR]?: unknown })[APP_ERROR] === true
  );
}
