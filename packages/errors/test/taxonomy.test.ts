import { describe, expect, it } from 'vitest';
import {
  AppError,
  ConflictError,
  DependencyError,
  ForbiddenError,
  InternalError,
  InvalidStateError,
  isAppError,
  NotFoundError,
  RateLimitedError,
  TimeoutError,
  UnauthenticatedError,
  ValidationError,
} from '../src/index.js';

describe('the error taxonomy', () => {
  it.each([
    [new ValidationError('bad'), 400, 'VALIDATION_FAILED', 'client'],
    [new UnauthenticatedError(), 401, 'UNAUTHENTICATED', 'client'],
    [new ForbiddenError(), 403, 'FORBIDDEN', 'client'],
    [new NotFoundError(), 404, 'NOT_FOUND', 'client'],
    [new ConflictError('taken', 'EMAIL_TAKEN'), 409, 'EMAIL_TAKEN', 'client'],
    [new InvalidStateError('no'), 422, 'INVALID_STATE', 'client'],
    [new RateLimitedError(7), 429, 'RATE_LIMITED', 'client'],
    [new InternalError(), 500, 'INTERNAL_ERROR', 'server'],
    [new DependencyError('db down', { status: 502 }), 502, 'DEPENDENCY_FAILED', 'server'],
    [new DependencyError('db down'), 503, 'DEPENDENCY_UNAVAILABLE', 'server'],
    [new TimeoutError(), 504, 'TIMEOUT', 'server'],
  ])('%s has status %i, code %s and type %s', (error, status, code, type) => {
    expect(error.statusCode).toBe(status);
    expect(error.code).toBe(code);
    expect(error.type).toBe(type);
    expect(isAppError(error)).toBe(true);
    expect(error).toBeInstanceOf(Error);
  });

  it('names each error after its class', () => {
    expect(new NotFoundError().name).toBe('NotFoundError');
  });

  it('carries details, retryAfter and cause', () => {
    const cause = new Error('root');
    const error = new AppError('X', 503, 'm', { details: { a: 1 }, retryAfter: 3, cause });
    expect(error.details).toEqual({ a: 1 });
    expect(error.retryAfter).toBe(3);
    expect(error.cause).toBe(cause);
    expect(new RateLimitedError(9).retryAfter).toBe(9);
  });

  it('lists the fields of a validation failure', () => {
    const error = new ValidationError('bad', [{ field: 'body.email', message: 'must be an email' }]);
    expect(error.details).toEqual([{ field: 'body.email', message: 'must be an email' }]);
  });

  it('recognises only app errors', () => {
    expect(isAppError(new Error('x'))).toBe(false);
    expect(isAppError(null)).toBe(false);
    expect(isAppError('NOT_FOUND')).toBe(false);
    expect(isAppError({ code: 'NOT_FOUND', statusCode: 404 })).toBe(false);
  });
});
