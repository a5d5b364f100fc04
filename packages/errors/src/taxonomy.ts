import { AppError, type AppErrorOptions } from './app-error.js';

/** One field that failed validation: where it is (`body.email`) and what is wrong with it. */
export interface FieldError {
  field: string;
  message: string;
}

export class ValidationError extends AppError {
  constructor(message: string, fields: FieldError[] = [], code = 'VALIDATION_FAILED') {
    super(code, 400, message, { details: fields });
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication is required') {
    super('UNAUTHENTICATED', 401, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Not allowed') {
    super('FORBIDDEN', 403, message);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found', code = 'NOT_FOUND') {
    super(code, 404, message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, code = 'CONFLICT', options?: AppErrorOptions) {
    super(code, 409, message, options);
  }
}

export class InvalidStateError extends AppError {
  constructor(message: string, code = 'INVALID_STATE', options?: AppErrorOptions) {
    super(code, 422, message, options);
  }
}

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    super('RATE_LIMITED', 429, `Too many requests; retry in ${retryAfterSeconds} s`, {
      retryAfter: retryAfterSeconds,
    });
  }
}

/** A conditional request (`If-Match`) named a version the resource is no longer at, or no version at all. */
export class PreconditionFailedError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super('PRECONDITION_FAILED', 412, message, options);
  }
}

export class InternalError extends AppError {
  constructor(message = 'Internal error', options?: AppErrorOptions) {
    super('INTERNAL_ERROR', 500, message, options);
  }
}

/** A dependency answered badly (502) or could not be reached (503, the default). */
export class DependencyError extends AppError {
  constructor(message: string, options: AppErrorOptions & { status?: 502 | 503; code?: string } = {}) {
    const status = options.status ?? 503;
    super(
      options.code ?? (status === 502 ? 'DEPENDENCY_FAILED' : 'DEPENDENCY_UNAVAILABLE'),
      status,
      message,
      options,
    );
  }
}

/** The process sheds load to stay responsive (event loop, heap or RSS above its limit). */
export class OverloadedError extends AppError {
  constructor(retryAfterSeconds: number, message = 'The service is overloaded; retry later') {
    super('OVERLOADED', 503, message, { retryAfter: retryAfterSeconds });
  }
}

/** A feature that needs configuration the operator has not given (a missing token, say): 503 until it is set. */
export class FeatureDisabledError extends AppError {
  constructor(message: string, code = 'FEATURE_DISABLED') {
    super(code, 503, message);
  }
}

/** A failure a chaos experiment injected on purpose, with the status the experiment asked for. */
export class ChaosInjectedError extends AppError {
  constructor(faultId: string, statusCode: number) {
    super('CHAOS_INJECTED', statusCode, `Injected by chaos experiment ${faultId}`, { details: { faultId } });
  }
}

export class TimeoutError extends AppError {
  constructor(message = 'The operation timed out', options?: AppErrorOptions) {
    super('TIMEOUT', 504, message, options);
  }
}

export const isValidationError = (e: unknown): e is ValidationError => e instanceof ValidationError;
export const isNotFoundError = (e: unknown): e is NotFoundError => e instanceof NotFoundError;
export const isConflictError = (e: unknown): e is ConflictError => e instanceof ConflictError;
export const isDependencyError = (e: unknown): e is DependencyError => e instanceof DependencyError;
export const isTimeoutError = (e: unknown): e is TimeoutError => e instanceof TimeoutError;
export const isChaosInjectedError = (e: unknown): e is ChaosInjectedError => e instanceof ChaosInjectedError;
