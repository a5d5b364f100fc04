import { DependencyError } from '@steadfast/errors';
import { circuitBreaker, isCircuitOpenError, type Policy, timeout, wrap } from '@steadfast/resilience';
import { toAppError } from '../error-handler.js';

export interface DatabasePolicyOptions {
  /** A database call slower than this fails with 504 and counts against the breaker. */
  timeoutMs: number;
  /** How long the breaker stays open before probing the database again. */
  breakerOpenMs: number;
  /** Failures within a minute that open the breaker. */
  breakerFailures: number;
}

/**
 * The `database` policy every service runs its queries through: a breaker around a timeout. Only server-side
 * failures count against the breaker (the same classification the error handler uses), so a burst of
 * duplicate-email 409s never opens it.
 */
export function databasePolicy(options: DatabasePolicyOptions) {
  return wrap(
    circuitBreaker({
      failureThreshold: options.breakerFailures,
      failureWindow: 60_000,
      openDuration: options.breakerOpenMs,
      isFailure: (error) => toAppError(error).statusCode >= 500,
    }),
    timeout({ duration: options.timeoutMs, strategy: 'aggressive' }),
  );
}

type AsyncMethods<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => Promise<R> : T[K];
};

/**
 * Runs every method of a repository through the policy. An open breaker is reported the way a lost database is
 * (503 DEPENDENCY_UNAVAILABLE, with the seconds until the next probe as `retryAfter`), so clients see one code
 * for one outage whether or not the call was attempted.
 */
export function guardRepository<T extends object>(
  policy: Policy<unknown>,
  repository: T,
  /** Runs inside the policy before each real call: where chaos injects a dependency fault. */
  beforeCall?: (signal: AbortSignal) => Promise<void>,
): AsyncMethods<T> {
  const guarded: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(repository)) {
    if (typeof method !== 'function') {
      guarded[name] = method;
      continue;
    }
    const run =
      (args: unknown[]) =>
      async ({ signal }: { signal: AbortSignal }) => {
        if (beforeCall) await beforeCall(signal);
        return method.apply(repository, args);
      };
    guarded[name] = (...args: unknown[]) =>
      policy.execute(run(args)).catch((error: unknown) => {
        if (!isCircuitOpenError(error)) throw error;
        throw new DependencyError('The database is unavailable', {
          retryAfter: error.retryAfter,
          cause: error,
        });
      });
  }
  return guarded as AsyncMethods<T>;
}
