import { bool, fn, integerAtLeast } from '@steadfast/errors';
import { Backoff, type BackoffOptions } from './backoff.js';
import { isNeverRetryable, isTransientError } from './classify.js';
import { Emitter } from './events.js';
import { type Dispose, type ExecuteOptions, NEVER_ABORTED, type Operation, type Policy } from './policy.js';
import { sleep } from './sleep.js';

export const DEFAULT_MAX_ATTEMPTS = 3;

export interface RetryOptions extends BackoffOptions {
  /** Tries in all, the first included. Default 3. */
  maxAttempts?: number;
  /**
   * Which errors may be retried. Default: timeouts, connection errors, 503 and 429. Validation, auth,
   * not-found and conflict errors are never retried whatever this says.
   */
  shouldRetry?: (error: unknown) => boolean;
  /** `false` when repeating the operation could do its side effect twice; it then runs once. Default true. */
  idempotent?: boolean;
}

export interface RetryEvent {
  /** The attempt about to start (2 for the first retry). */
  attempt: number;
  /** How long we wait before it, in ms. */
  delay: number;
  error: unknown;
}

export class Retry implements Policy {
  readonly maxAttempts: number;
  readonly backoff: Backoff;
  private readonly shouldRetry: (error: unknown) => boolean;
  private readonly idempotent: boolean;
  private readonly events = new Emitter<RetryEvent>();

  constructor(options: RetryOptions = {}) {
    this.maxAttempts = integerAtLeast('maxAttempts', options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, 1);
    this.backoff = new Backoff(options);
    this.shouldRetry = fn('shouldRetry', options.shouldRetry ?? isTransientError);
    this.idempotent = bool('idempotent', options.idempotent ?? true);
  }

  /** Called before each wait; use it for metrics or logs. */
  onRetry(listener: (event: RetryEvent) => void): Dispose {
    return this.events.on(listener);
  }

  async execute<T>(fn: Operation<T>, options?: ExecuteOptions): Promise<T> {
    const signal = options?.signal ?? NEVER_ABORTED;
    if (signal.aborted) throw signal.reason;
    const maxAttempts = this.idempotent && options?.idempotent !== false ? this.maxAttempts : 1;
    let previousDelay = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn({ signal, attempt });
      } catch (error) {
        if (attempt >= maxAttempts || signal.aborted || isNeverRetryable(error) || !this.shouldRetry(error)) {
          throw error;
        }
        const delay = this.delayAfter(error, attempt, previousDelay);
        if (delay === undefined) throw error;
        previousDelay = delay;
        if (this.events.size > 0) this.events.emit({ attempt: attempt + 1, delay, error });
        await sleep(delay, signal);
      }
    }
  }

  /** The wait before the next attempt, or undefined when the error asks for more than we may wait. */
  private delayAfter(error: unknown, attempt: number, previous: number): number | undefined {
    const hint = (error as { retryAfter?: unknown } | null)?.retryAfter;
    if (typeof hint === 'number' && Number.isFinite(hint) && hint >= 0) {
      const ms = hint * 1000;
      // Waiting past maxDelay would break the caller's latency budget; better to fail now.
      return ms <= this.backoff.maxDelay ? ms : undefined;
    }
    return this.backoff.delay(attempt, previous);
  }
}

export function retry(options?: RetryOptions): Retry {
  return new Retry(options);
}
