import {
  ConflictError,
  DependencyError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  TimeoutError,
  UnauthenticatedError,
  ValidationError,
} from '@steadfast/errors';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidOptionError, Retry, type RetryEvent, retry } from '../src/index.js';

const connectionError = (code: string) => Object.assign(new Error(code), { code });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Runs `promise` to completion while letting fake timers advance. */
async function settle<T>(promise: Promise<T>): Promise<T> {
  const caught = promise.catch((e: unknown) => e);
  await vi.runAllTimersAsync();
  await caught;
  return promise;
}

describe('retry', () => {
  it('retries transient errors up to maxAttempts, counting attempts from 1', async () => {
    const attempts: number[] = [];
    const op = vi.fn(async ({ attempt }: { attempt: number }) => {
      attempts.push(attempt);
      throw new TimeoutError();
    });
    await expect(settle(retry().execute(op))).rejects.toBeInstanceOf(TimeoutError);
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('returns the first success', async () => {
    let n = 0;
    const result = settle(
      retry().execute(async () => {
        n++;
        if (n < 3) throw new DependencyError('busy');
        return 'done';
      }),
    );
    await expect(result).resolves.toBe('done');
  });

  it.each([
    ['TimeoutError', new TimeoutError()],
    ['ECONNREFUSED', connectionError('ECONNREFUSED')],
    ['ECONNRESET', connectionError('ECONNRESET')],
    ['ETIMEDOUT', connectionError('ETIMEDOUT')],
    ['EPIPE', connectionError('EPIPE')],
    [
      'fetch failed with an ECONNRESET cause',
      new TypeError('fetch failed', { cause: connectionError('ECONNRESET') }),
    ],
    ['status 503', new DependencyError('unavailable')],
    ['status 429', Object.assign(new Error('slow down'), { status: 429 })],
  ])('retries %s by default', async (_label, error) => {
    const op = vi.fn(() => Promise.reject(error));
    await expect(settle(retry().execute(op))).rejects.toBe(error);
    expect(op).toHaveBeenCalledTimes(3);
  });

  it.each([
    ['ValidationError', new ValidationError('bad')],
    ['UnauthenticatedError', new UnauthenticatedError()],
    ['ForbiddenError', new ForbiddenError()],
    ['NotFoundError', new NotFoundError()],
    ['ConflictError', new ConflictError('taken')],
    ['a 500', new Error('bug')],
    ['status 502', new DependencyError('bad gateway', { status: 502 })],
  ])('does not retry %s by default', async (_label, error) => {
    const op = vi.fn(() => Promise.reject(error));
    await expect(settle(retry().execute(op))).rejects.toBe(error);
    expect(op).toHaveBeenCalledTimes(1);
  });

  it('never retries validation, auth, not-found or conflict errors even if the predicate says so', async () => {
    const policy = retry({ shouldRetry: () => true });
    for (const error of [
      new ValidationError('x'),
      new ForbiddenError(),
      new NotFoundError(),
      new ConflictError('x'),
    ]) {
      const op = vi.fn(() => Promise.reject(error));
      await expect(settle(policy.execute(op))).rejects.toBe(error);
      expect(op).toHaveBeenCalledTimes(1);
    }
    const op = vi.fn(() => Promise.reject(new Error('custom')));
    await expect(settle(policy.execute(op))).rejects.toThrow('custom');
    expect(op).toHaveBeenCalledTimes(3);
  });

  it('waits with exponential backoff (no jitter): 100, 200, 400 ms', async () => {
    const delays: number[] = [];
    const policy = retry({ maxAttempts: 4, jitter: 'none' });
    policy.onRetry((e: RetryEvent) => delays.push(e.delay));
    const op = vi.fn(() => Promise.reject(new TimeoutError()));
    const running = policy.execute(op).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    expect(op).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(op).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(op).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(200);
    expect(op).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(400);
    expect(op).toHaveBeenCalledTimes(4);
    await running;
    expect(delays).toEqual([100, 200, 400]);
  });

  it.each([
    ['none', 0.3, [100, 200, 400, 800, 1_000]],
    [0.5, 0, [100, 200, 400, 800, 1_000]],
    [0.5, 0.999_999, [50, 100, 200, 400, 500]],
    ['full', 0.5, [50, 100, 200, 400, 500]],
    ['equal', 0.5, [75, 150, 300, 600, 750]],
    ['decorrelated', 0.5, [100, 200, 350, 575, 912.5]],
  ] as const)('jitter %s with random %s gives delays %j', async (jitter, random, expected) => {
    const delays: number[] = [];
    const policy = retry({ maxAttempts: 6, jitter, maxDelay: 1_000, random: () => random });
    policy.onRetry((e) => delays.push(e.delay));
    await expect(settle(policy.execute(() => Promise.reject(new TimeoutError())))).rejects.toBeDefined();
    expect(delays.map((d) => Math.round(d * 10) / 10)).toEqual(expected.map((d) => Math.round(d * 10) / 10));
  });

  it('honours a retryAfter hint in seconds', async () => {
    const delays: number[] = [];
    const policy = retry({ maxAttempts: 2 });
    policy.onRetry((e) => delays.push(e.delay));
    await expect(settle(policy.execute(() => Promise.reject(new RateLimitedError(2))))).rejects.toBeDefined();
    expect(delays).toEqual([2_000]);
  });

  it('gives up at once when retryAfter is longer than maxDelay', async () => {
    const op = vi.fn(() => Promise.reject(new RateLimitedError(60)));
    await expect(settle(retry().execute(op))).rejects.toBeInstanceOf(RateLimitedError);
    expect(op).toHaveBeenCalledTimes(1);
  });

  it('attempts a non-idempotent operation once (policy option and per call)', async () => {
    const once = vi.fn(() => Promise.reject(new TimeoutError()));
    await expect(settle(retry({ idempotent: false }).execute(once))).rejects.toBeDefined();
    expect(once).toHaveBeenCalledTimes(1);
    const perCall = vi.fn(() => Promise.reject(new TimeoutError()));
    await expect(settle(retry().execute(perCall, { idempotent: false }))).rejects.toBeDefined();
    expect(perCall).toHaveBeenCalledTimes(1);
  });

  it('cancels a wait when the signal aborts, with the abort reason', async () => {
    const controller = new AbortController();
    const op = vi.fn(() => Promise.reject(new TimeoutError()));
    const running = retry()
      .execute(op, { signal: controller.signal })
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    controller.abort(new Error('caller gave up'));
    expect(await running).toMatchObject({ message: 'caller gave up' });
    expect(op).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not retry once the signal is aborted', async () => {
    const controller = new AbortController();
    const op = vi.fn(async () => {
      controller.abort();
      throw new TimeoutError();
    });
    await expect(retry().execute(op, { signal: controller.signal })).rejects.toBeInstanceOf(TimeoutError);
    expect(op).toHaveBeenCalledTimes(1);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('already'));
    const op = vi.fn(() => Promise.reject(new TimeoutError()));
    await expect(retry().execute(op, { signal: controller.signal })).rejects.toThrow('already');
    expect(op).not.toHaveBeenCalled();
  });

  it.each([
    ['maxAttempts', { maxAttempts: 0 }],
    ['maxAttempts', { maxAttempts: 1.5 }],
    ['initialDelay', { initialDelay: -1 }],
    ['factor', { factor: 0.5 }],
    ['maxDelay', { maxDelay: -5 }],
    ['maxDelay', { initialDelay: 500, maxDelay: 100 }],
    ['jitter', { jitter: 'lots' }],
    ['jitter', { jitter: 2 }],
    ['random', { random: 4 }],
    ['shouldRetry', { shouldRetry: true }],
    ['idempotent', { idempotent: 'no' }],
  ])('rejects a bad %s', (option, options) => {
    const create = () => new Retry(options as never);
    expect(create).toThrow(InvalidOptionError);
    expect(create).toThrow(`Invalid option ${option}: `);
  });
});
