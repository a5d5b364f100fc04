import { InvalidOptionError } from '@steadfast/errors';
import type { ExecuteContext, ExecuteOptions, Operation, Policy, PolicyResult } from './policy.js';

/**
 * Policies run outermost first: `wrap(fallback, retry, breaker, timeout)` is
 * fallback(retry(breaker(timeout(fn)))). Each policy hands its context (signal, attempt) to the next.
 */
export class PolicyWrap<R = never> implements Policy<R> {
  declare readonly resultType?: R;
  readonly policies: readonly Policy<unknown>[];

  constructor(policies: readonly Policy<unknown>[]) {
    if (policies.length === 0) throw new InvalidOptionError('policies', [], 'at least one policy');
    for (const [i, p] of policies.entries()) {
      if (typeof (p as Partial<Policy>)?.execute !== 'function') {
        throw new InvalidOptionError(`policies[${i}]`, p, 'a policy with execute()');
      }
    }
    this.policies = [...policies];
  }

  execute<T>(fn: Operation<T>, options?: ExecuteOptions): Promise<T | R> {
    return this.run(0, fn, options) as Promise<T | R>;
  }

  private run<T>(index: number, fn: Operation<T>, options: ExecuteOptions | undefined): Promise<unknown> {
    const policy = this.policies[index]!;
    if (index === this.policies.length - 1) return policy.execute(fn, options);
    const idempotent = options?.idempotent;
    return policy.execute(
      (ctx: ExecuteContext) =>
        this.run(
          index + 1,
          fn,
          idempotent === undefined ? ctx : { signal: ctx.signal, attempt: ctx.attempt, idempotent },
        ),
      options,
    );
  }
}

export function wrap<const P extends readonly Policy<unknown>[]>(
  ...policies: P
): PolicyWrap<PolicyResult<P[number]>> {
  return new PolicyWrap(policies);
}
