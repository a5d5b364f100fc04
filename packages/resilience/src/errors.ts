import { AppError, isAppError } from '@steadfast/errors';

export { isTimeoutError, TimeoutError } from '@steadfast/errors';

/** A circuit breaker refused the call without running it because the dependency is considered down. */
export class CircuitOpenError extends AppError {
  constructor(retryAfterSeconds: number, message = 'The circuit is open; the call was not attempted') {
    super('CIRCUIT_OPEN', 503, message, { retryAfter: retryAfterSeconds });
  }
}

export type BulkheadRejectReason = 'full' | 'queue-timeout';

/** A bulkhead refused the call because every slot and queue place was taken, or the queue wait ran out. */
export class BulkheadRejectedError extends AppError {
  readonly reason: BulkheadRejectReason;

  constructor(reason: BulkheadRejectReason) {
    super(
      'BULKHEAD_REJECTED',
      503,
      reason === 'full'
        ? 'Too many concurrent calls; the call was rejected'
        : 'The call waited too long for a free slot',
      { details: { reason } },
    );
    this.reason = reason;
  }
}

// Checking the code as well as the class keeps the guards true across two copies of this package.
export function isCircuitOpenError(error: unknown): error is CircuitOpenError {
  return error instanceof CircuitOpenError || (isAppError(error) && error.code === 'CIRCUIT_OPEN');
}

export function isBulkheadRejectedError(error: unknown): error is BulkheadRejectedError {
  return error instanceof BulkheadRejectedError || (isAppError(error) && error.code === 'BULKHEAD_REJECTED');
}
