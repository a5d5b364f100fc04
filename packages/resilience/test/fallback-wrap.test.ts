import { DependencyError, TimeoutError } from '@steadfast/errors';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  bulkhead,
  CircuitOpenError,
  circuitBreaker,
  fallback,
  InvalidOptionError,
  isCircuitOpenError,
  PolicyWrap,
  retry,
  timeout,
  wrap,
} from '../src/index.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('fallback', () => {
  it('answers with a value when the operation fails', async () => {
    await expect(fallback('cached').execute(() => Promise.reject(new Error('x')))).resolves.toBe('cached');
    await expect(fallback('cached').execute(async () => 'fresh')).resolves.toBe('fresh');
  });

  it('calls a handler with the error', async () => {
    const handler = vi.fn((error: unknown) => `fallback for ${(error as Error).message}`);
    await expect(fallback(handler).execute(() => Promise.reject(new Error('boom')))).resolves.toBe(
      'fallback for boom',
    );
  });

  it('only answers selected errors', async () => {
    const policy = fallback(0, { when: isCircuitOpenError });
    await expect(policy.execute(() => Promise.reject(new CircuitOpenError(3)))).resolves.toBe(0);
    await expect(policy.execute(() => Promise.reject(new Error('other')))).rejects.toThrow('other');
  });

  it('rejects a bad when option', () => {
    expect(() => fallback(1, { when: 'always' as never })).toThrow(InvalidOptionError);
    expect(() => fallback(1, { when: 'always' as never })).toThrow('Invalid option when: "always"');
  });
});

describe('wrap', () => {
  it('composes fallback(retry(breaker(timeout(op)))) with one execute', async () => {
    const breaker = circuitBreaker({ failureThreshold: 2 });
    const policy = wrap(fallback('fallback'), retry({ jitter: 'none' }), breaker, timeout(100));
    const attempts: number[] = [];
    const running = policy.execute(({ attempt }) => {
      attempts.push(attempt);
      return new Promise<string>(() => {});
    });
    await vi.advanceTimersByTimeAsync(100); // first attempt times out
    await vi.advanceTimersByTimeAsync(100); // backoff
    await vi.advanceTimersByTimeAsync(100); // second attempt times out: breaker opens
    await vi.advanceTimersByTimeAsync(200); // backoff; the third attempt meets the open circuit
    await expect(running).resolves.toBe('fallback');
    expect(attempts).toEqual([1, 2]);
    expect(breaker.state).toBe('open');
  });

  it('passes the caller signal down to the operation, and idempotent to an inner retry', async () => {
    const controller = new AbortController();
    const policy = wrap(bulkhead(), retry(), circuitBreaker());
    const seen = await policy.execute(async (ctx) => ctx.signal, { signal: controller.signal });
    expect(seen).toBe(controller.signal);
    const op = vi.fn(() => Promise.reject(new TimeoutError()));
    await expect(policy.execute(op, { idempotent: false })).rejects.toBeInstanceOf(TimeoutError);
    expect(op).toHaveBeenCalledTimes(1);
  });

  it('retries through the breaker until it opens, then stops on CircuitOpenError', async () => {
    const breaker = circuitBreaker({ failureThreshold: 2 });
    const policy = wrap(retry({ maxAttempts: 5, jitter: 'none' }), breaker);
    const op = vi.fn(() => Promise.reject(new DependencyError('down')));
    const running = policy.execute(op).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    // 503 with retryAfter 30 s is more than maxDelay allows, so the retry gives up.
    expect(await running).toBeInstanceOf(CircuitOpenError);
    expect(op).toHaveBeenCalledTimes(2);
  });

  it('keeps the list of policies, flattened by nobody', () => {
    const inner = wrap(retry(), timeout(5));
    const outer = wrap(fallback(1), inner);
    expect(outer).toBeInstanceOf(PolicyWrap);
    expect(outer.policies).toHaveLength(2);
  });

  it('rejects an empty list or a non-policy', () => {
    expect(() => wrap()).toThrow('Invalid option policies: []');
    expect(() => wrap(retry(), {} as never)).toThrow('Invalid option policies[1]');
  });
});
