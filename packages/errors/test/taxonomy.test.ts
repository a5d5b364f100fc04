import { describe, expect, it } from 'vitest';
import {
  AppError,
  ChaosInjectedError,
  ConflictError,
  DependencyError,
  FeatureDisabledError,
  ForbiddenError,
  InternalError,
  InvalidStateError,
  isAppError,
  isChaosInjectedError,
  NotFoundError,
  OverloadedError,
  PreconditionFailedError,
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
    [new PreconditionFailedError('stale'), 412, 'PRECONDITION_FAILED', 'client'],
    [new RateLimitedError(7), 429, 'RATE_LIMITED', 'client'],
    [new ChaosInjectedError('f-1', 418), 418, 'CHAOS_INJECTED', 'client'],
    [new InternalError(), 500, 'INTERNAL_ERROR', 'server'],
    [new DependencyError('db down', { status: 502 }), 502, 'DEPENDENCY_FAILED', 'server'],
    [new DependencyError('db down'), 503, 'DEPENDENCY_UNAVAILABLE', 'server'],
    [new OverloadedError(5), 503, 'OVERLOADED', 'server'],
    [new FeatureDisabledError('off'), 503, 'FEATURE_DISABLED', 'server'],
    [new FeatureDisabledError('off', 'INTEGRATION_DISABLED'), 503, 'INTEGRATION_DISABLED', 'server'],
    [new ChaosInjectedError('f-1', 500), 500, 'CHAOS_INJECTED', 'server'],
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
    expect(new OverloadedError(4).retryAfter).toBe(4);
    expect(new ChaosInjectedError('f-9', 503).details).toEqual({ faultId: 'f-9' });
    expect(isChaosInjectedError(new ChaosInjectedError('f-9', 503))).toBe(true);
    expect(isChaosInjectedError(new AppError('CHAOS_INJECTED', 503, 'forged'))).toBe(false);
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
