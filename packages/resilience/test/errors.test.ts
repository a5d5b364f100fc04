import { AppError, isAppError } from '@steadfast/errors';
import { describe, expect, it } from 'vitest';
import {
  BulkheadRejectedError,
  CircuitOpenError,
  isBulkheadRejectedError,
  isCircuitOpenError,
  isConnectionError,
  isDependencyFailure,
  isTransientError,
} from '../src/index.js';

describe('errors', () => {
  it('CircuitOpenError is an AppError with code CIRCUIT_OPEN, 503 and retryAfter', () => {
    const error = new CircuitOpenError(12);
    expect(error).toBeInstanceOf(AppError);
    expect(isAppError(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'CIRCUIT_OPEN',
      statusCode: 503,
      retryAfter: 12,
      name: 'CircuitOpenError',
    });
  });

  it('BulkheadRejectedError is an AppError with code BULKHEAD_REJECTED and 503', () => {
    expect(new BulkheadRejectedError('full')).toMatchObject({
      code: 'BULKHEAD_REJECTED',
      statusCode: 503,
      details: { reason: 'full' },
    });
    expect(new BulkheadRejectedError('queue-timeout').message).toContain('waited too long');
  });

  it('type guards accept copies by code and refuse everything else', () => {
    expect(isCircuitOpenError(new AppError('CIRCUIT_OPEN', 503, 'x'))).toBe(true);
    expect(isBulkheadRejectedError(new AppError('BULKHEAD_REJECTED', 503, 'x'))).toBe(true);
    for (const other of [new Error('x'), null, undefined, 'CIRCUIT_OPEN', { code: 'CIRCUIT_OPEN' }]) {
      expect(isCircuitOpenError(other)).toBe(false);
      expect(isBulkheadRejectedError(other)).toBe(false);
    }
  });

  it('classifies errors', () => {
    expect(isConnectionError({ code: 'ECONNREFUSED' })).toBe(true);
    expect(isConnectionError(null)).toBe(false);
    expect(isConnectionError(new Error('x'))).toBe(false);
    expect(isDependencyFailure(new BulkheadRejectedError('full'))).toBe(false);
    expect(isDependencyFailure(undefined)).toBe(true);
    expect(isTransientError('x')).toBe(false);
  });
});
