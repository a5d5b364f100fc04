export { InvalidOptionError } from '@steadfast/errors';
export {
  type BackoffOptions,
  DEFAULT_BACKOFF_FACTOR,
  DEFAULT_INITIAL_DELAY_MS,
  DEFAULT_JITTER,
  DEFAULT_MAX_DELAY_MS,
  type Jitter,
} from './backoff.js';
export {
  Bulkhead,
  type BulkheadOptions,
  bulkhead,
  DEFAULT_MAX_CONCURRENT,
  DEFAULT_MAX_QUEUE,
  DEFAULT_QUEUE_TIMEOUT_MS,
} from './bulkhead.js';
export {
  type BreakerState,
  type BreakerStateChange,
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitBreakerSnapshot,
  type CircuitState,
  circuitBreaker,
  DEFAULT_FAILURE_COUNTING,
  DEFAULT_FAILURE_THRESHOLD,
  DEFAULT_FAILURE_WINDOW_MS,
  DEFAULT_HALF_OPEN_MAX_CALLS,
  DEFAULT_HALF_OPEN_MAX_QUEUE,
  DEFAULT_HALF_OPEN_QUEUE_TIMEOUT_MS,
  DEFAULT_MAX_OPEN_DURATION_MS,
  DEFAULT_MINIMUM_CALLS,
  DEFAULT_OPEN_DURATION_MS,
  DEFAULT_OPEN_DURATION_MULTIPLIER,
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_SUCCESS_THRESHOLD,
  type FailureCounting,
  type TransitionReason,
} from './circuit-breaker.js';
export { isConnectionError, isDependencyFailure, isNeverRetryable, isTransientError } from './classify.js';
export {
  BulkheadRejectedError,
  type BulkheadRejectReason,
  CircuitOpenError,
  isBulkheadRejectedError,
  isCircuitOpenError,
  isTimeoutError,
  TimeoutError,
} from './errors.js';
export { Fallback, type FallbackHandler, type FallbackOptions, fallback } from './fallback.js';
export type { CallOutcome } from './metrics.js';
export {
  type BreakerStateSource,
  type BreakerStatus,
  type ResiliencePluginOptions,
  type ResilienceRegistry,
  type ResilienceRouteConfig,
  resilience,
} from './plugin.js';
export {
  type Clock,
  type Dispose,
  type ExecuteContext,
  type ExecuteOptions,
  NEVER_ABORTED,
  type Operation,
  type Policy,
  type PolicyResult,
} from './policy.js';
export { DEFAULT_MAX_ATTEMPTS, Retry, type RetryEvent, type RetryOptions, retry } from './retry.js';
export {
  DEFAULT_TIMEOUT_MS,
  DEFAULT_TIMEOUT_STRATEGY,
  Timeout,
  type TimeoutOptions,
  type TimeoutStrategy,
  timeout,
} from './timeout.js';
export { PolicyWrap, wrap } from './wrap.js';
