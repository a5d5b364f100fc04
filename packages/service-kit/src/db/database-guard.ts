import { DependencyError } from '@steadfast/errors';
import { isDatabaseFailure } from '@steadfast/http';
import {
  circuitBreaker,
  DEFAULT_FAILURE_THRESHOLD,
  DEFAULT_FAILURE_WINDOW_MS,
  DEFAULT_OPEN_DURATION_MS,
  isCircuitOpenError,
  type Policy,
  timeout,
  wrap,
} from '@steadfast/resilience';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { isTransactionBudgetError, withTransactionBudget } from './transaction-budget.js';

/** Tighter than a generic call's timeout: a query slower than 3 s is an outage in the making, not a slow answer. */
export const DEFAULT_QUERY_TIMEOUT_MS = 3000;
/**
 * How much longer than the database's own budget the guard waits before it gives up on the call itself: the
 * database answers a statement over its budget with an error of its own within this time, unless it
 * is not answering at all (and that is an outage the breaker must count).
 */
export const UNRESPONSIVE_GRACE_MS = 1000;
export const DEFAULT_BREAKER_FAILURES = DEFAULT_FAILURE_THRESHOLD;
export const DEFAULT_BREAKER_OPEN_MS = DEFAULT_OPEN_DURATION_MS;
export const DATABASE_POLICY = 'database';

export interface DatabasePolicyOptions {
  /**
   * The database's budget per guarded call, every statement of its transactions together (the service's
   * connections get it as statement_timeout, transactions lower it to the time left): a statement over it is
   * cancelled by the database and its transaction rolled back, 504, not counted. A call the database does not
   * answer within this plus `UNRESPONSIVE_GRACE_MS` is 504 and counts.
   */
  timeoutMs: number;
  /** How long the breaker stays open before probing the database again. */
  breakerOpenMs: number;
  /** Failures within a minute that open the breaker. */
  breakerFailures: number;
}

/**
 * The `database` policy every service runs its queries through: a breaker around a backstop timeout. The breaker
 * counts the database's failures only (`isDatabaseFailure`): a burst of 409s, bad input, a heavy read or a
 * transaction the database or its budget cut short, a client that hung up or a process out of descriptors never
 * opens it.
 */
export function databasePolicy(options: DatabasePolicyOptions) {
  return wrap(
    circuitBreaker({
      failureThreshold: options.breakerFailures,
      failureWindow: DEFAULT_FAILURE_WINDOW_MS,
      openDuration: options.breakerOpenMs,
      isFailure: (error) => isDatabaseFailure(error) && !isTransactionBudgetError(error),
    }),
    timeout({ duration: options.timeoutMs + UNRESPONSIVE_GRACE_MS, strategy: 'aggressive' }),
  );
}

type AsyncMethods<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => Promise<R> : T[K];
};

/**
 * Runs every method of a service object through the policy, each call with `budgetMs` for all the statements of
 * its transactions (transaction-budget.ts). An open breaker is reported the way a lost database is (503
 * DEPENDENCY_UNAVAILABLE, with the seconds until the next probe as `retryAfter`), so clients see one code for one
 * outage whether or not the call was attempted.
 */
export function guardRepository<T extends object>(
  policy: Policy<unknown>,
  repository: T,
  budgetMs: number,
  /** Runs inside the policy before each real call: where chaos injects a dependency fault. */
  beforeCall?: (signal: AbortSignal) => Promise<void>,
): AsyncMethods<T> {
  const guarded: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(repository)) {
    if (typeof method !== 'function') {
      guarded[name] = method;
      continue;
    }
    // `context.signal` is read only when chaos is on: the timeout makes an AbortController on its first read.
    const run = beforeCall
      ? (args: unknown[]) => (context: { signal: AbortSignal }) =>
          withTransactionBudget(budgetMs, async () => {
            await beforeCall(context.signal);
            return method.apply(repository, args);
          })
      : (args: unknown[]) => () => withTransactionBudget(budgetMs, () => method.apply(repository, args));
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

declare module 'fastify' {
  interface FastifyInstance {
    /** Runs every method of a service object through the `database` policy (breaker + timeout, chaos inside). */
    guardDatabase<T extends object>(repository: T): AsyncMethods<T>;
  }
}

/**
 * `app.guardDatabase`: the `database` policy registered with the resilience plugin, with chaos's dependency faults
 * (when chaos is on) injected inside it, so the breaker sees an injected outage as it would a real one.
 */
export const databaseGuardPlugin = fp<{ budgetMs: number }>(
  async (app: FastifyInstance, { budgetMs }) => {
    const policy = app.resilience.get(DATABASE_POLICY);
    const { chaos } = app;
    const beforeCall =
      chaos && ((signal: AbortSignal) => chaos.beforeDependencyCall(DATABASE_POLICY, signal));
    app.decorate('guardDatabase', <T extends object>(repository: T) =>
      guardRepository(policy, repository, budgetMs, beforeCall),
    );
  },
  { name: '@steadfast/service-kit/database-guard', fastify: '5.x', dependencies: ['@steadfast/resilience'] },
);
