import { fn as fnOption } from '@steadfast/errors';
import { contextFrom, type ExecuteOptions, type Operation, type Policy } from './policy.js';

export interface FallbackOptions {
  /** Which failures the fallback answers; others propagate. Default: every failure. */
  when?: (error: unknown) => boolean;
}

export type FallbackHandler<F> = (error: unknown) => F | Promise<F>;

export class Fallback<F> implements Policy<F> {
  declare readonly resultType?: F;
  private readonly handler: FallbackHandler<F>;
  private readonly when: ((error: unknown) => boolean) | undefined;

  constructor(valueOrHandler: F | FallbackHandler<F>, options: FallbackOptions = {}) {
    this.handler =
      typeof valueOrHandler === 'function'
        ? (valueOrHandler as FallbackHandler<F>)
        : () => valueOrHandler as F;
    this.when =
      options.when === undefined ? undefined : fnOption<(error: unknown) => boolean>('when', options.when);
  }

  async execute<T>(fn: Operation<T>, options?: ExecuteOptions): Promise<T | F> {
    try {
      return await fn(contextFrom(options));
    } catch (error) {
      if (this.when !== undefined && !this.when(error)) throw error;
      return this.handler(error);
    }
  }
}

/**
 * Answers with `value`, or with what `handler(error)` returns, when the operation fails. To fall back
 * to a function value itself, return it from a handler.
 */
export function fallback<F>(handler: FallbackHandler<F>, options?: FallbackOptions): Fallback<F>;
export function fallback<F>(value: F, options?: FallbackOptions): Fallback<F>;
export function fallback<F>(valueOrHandler: F | FallbackHandler<F>, options?: FallbackOptions): Fallback<F> {
  return new Fallback<F>(valueOrHandler, options);
}
