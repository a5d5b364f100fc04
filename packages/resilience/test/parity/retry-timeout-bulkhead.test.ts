// Retry, timeout and bulkhead behaviours cockatiel, opossum and resilience4j document, checked against
// our API. `D<n>:` tests pin a deliberate difference; each matches the README table row of that number.
import { DependencyError, NotFoundError, TimeoutError } from '@steadfast/errors';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bulkhead, circuitBreaker, fallback, retry, timeout, wrap } from '../../src/index.js';
import { pending } from '../support.js';

const never = () => new Promise<never>(() => {});

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('parity: retry', () => {
  it('cockatiel, resilience4j: a call that fails and then succeeds returns the success', async () => {
    const op = vi.fn().mockRejectedValueOnce(new TimeoutError('slow')).mockResolvedValueOnce('ok');
    const running = retry({ jitter: 'none' }).execute(op);
    await vi.advanceTimersByTimeAsync(100);
    await expect(running).resolves.toBe('ok');
    expect(op).toHaveBeenCalledTimes(2);
  });

  it('cockatiel ExponentialBackoff, resilience4j IntervalFunction.ofExponentialBackoff: waits grow by the factor', async () => {
    const delays: number[] = [];
    const policy = retry({ maxAttempts: 4, initialDelay: 100, factor: 2, jitter: 'none' });
    policy.onRetry(({ delay }) => delays.push(delay));
    const running = policy.execute(() => Promise.reject(new TimeoutError('slow'))).catch(() => {});
    await vi.advanceTimersByTimeAsync(700);
    await running;
    expect(delays).toEqual([100, 200, 400]);
  });

  it('cockatiel onGiveUp, resilience4j: after the last attempt the last error is thrown', async () => {
    let n = 0;
    const running = retry({ maxAttempts: 2, jitter: 'none' })
      .execute(() => Promise.reject(new TimeoutError(`try ${++n}`)))
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(await running).toMatchObject({ message: 'try 2' });
  });

  it('cockatiel: an aborted signal ends the wait and stops further attempts', async () => {
    const caller = new AbortController();
    const op = vi.fn(() => Promise.reject(new TimeoutError('slow')));
    const running = retry({ initialDelay: 1_000, jitter: 'none' })
      .execute(op, { signal: caller.signal })
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    caller.abort(new Error('client left'));
    expect(await running).toMatchObject({ message: 'client left' });
    expect(op).toHaveBeenCalledTimes(1);
  });

  it('cockatiel: the operation is told which attempt it is', async () => {
    const attempts: number[] = [];
    const running = retry({ maxAttempts: 3, jitter: 'none' })
      .execute(({ attempt }) => {
        attempts.push(attempt);
        return Promise.reject(new TimeoutError('slow'));
      })
      .catch(() => {});
    await vi.advanceTimersByTimeAsync(300);
    await running;
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('D8: maxAttempts counts every try, the first included (cockatiel counts retries only)', async () => {
    const op = vi.fn(() => Promise.reject(new TimeoutError('slow')));
    const running = retry({ maxAttempts: 3, jitter: 'none' })
      .execute(op)
      .catch(() => {});
    await vi.advanceTimersByTimeAsync(10_000);
    await running;
    expect(op).toHaveBeenCalledTimes(3);
  });

  it('D9: client errors are never retried, whatever shouldRetry says', async () => {
    const op = vi.fn(() => Promise.reject(new NotFoundError('user', '42')));
    await expect(retry({ shouldRetry: () => true }).execute(op)).rejects.toBeInstanceOf(NotFoundError);
    expect(op).toHaveBeenCalledTimes(1);
  });
});

describe('parity: timeout', () => {
  it('cockatiel Aggressive, resilience4j cancelRunningFuture: rejects at the deadline and the abandoned work sees its signal aborted', async () => {
    const seen: boolean[] = [];
    const running = timeout(1_000)
      .execute(async ({ signal }) => {
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        seen.push(signal.aborted);
      })
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await running).toBeInstanceOf(TimeoutError);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(seen).toEqual([true]);
  });

  it('cockatiel Cooperative: aborts the signal at the deadline and returns a late result', async () => {
    let aborted = false;
    const running = timeout({ duration: 100, strategy: 'cooperative' }).execute(
      (ctx) =>
        new Promise((resolve) =>
          setTimeout(() => {
            aborted = ctx.signal.aborted;
            resolve('late');
          }, 200),
        ),
    );
    await vi.advanceTimersByTimeAsync(200);
    await expect(running).resolves.toBe('late');
    expect(aborted).toBe(true);
  });

  it('cockatiel: the caller signal is followed, also when the operation reads ctx.signal only after the abort', async () => {
    const caller = new AbortController();
    const aborted = await timeout({ duration: 1_000, strategy: 'cooperative' }).execute(
      async (ctx) => {
        caller.abort();
        return ctx.signal.aborted;
      },
      { signal: caller.signal },
    );
    expect(aborted).toBe(true);
  });

  it('cockatiel: an operation may return a plain value', async () => {
    await expect(timeout(1_000).execute(() => 'plain')).resolves.toBe('plain');
  });

  it('D10: aggressive, a caller abort rejects with the caller reason, not a timeout', async () => {
    const caller = new AbortController();
    const running = timeout(1_000).execute(never, { signal: caller.signal });
    caller.abort(new Error('client left'));
    await expect(running).rejects.toThrow('client left');
  });

  it('D11: cooperative, an operation that fails after the deadline fails with TimeoutError (its error as cause)', async () => {
    const running = timeout({ duration: 100, strategy: 'cooperative' })
      .execute(
        ({ signal }) =>
          new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('gave up')))),
      )
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    const error = await running;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).cause).toMatchObject({ message: 'gave up' });
  });
});

describe('parity: bulkhead', () => {
  it('cockatiel bulkhead(limit), resilience4j maxConcurrentCalls: beyond the limit a call is rejected at once', async () => {
    const pool = bulkhead({ maxConcurrent: 1 });
    const slot = pending();
    const running = pool.execute(slot.op);
    await expect(pool.execute(never)).rejects.toMatchObject({ code: 'BULKHEAD_REJECTED', reason: 'full' });
    slot.resolve('ok');
    await running;
  });

  it('cockatiel bulkhead(limit, queue): queued calls run in order as slots free up', async () => {
    const pool = bulkhead({ maxConcurrent: 1, maxQueue: 2 });
    const order: string[] = [];
    const first = pending();
    const running = [
      pool.execute(first.op),
      pool.execute(async () => order.push('second')),
      pool.execute(async () => order.push('third')),
    ];
    expect(pool.queued).toBe(2);
    first.resolve('first');
    await Promise.all(running);
    expect(order).toEqual(['second', 'third']);
  });

  it('resilience4j maxWaitDuration: a queued call that waits too long is rejected', async () => {
    const pool = bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 500 });
    void pool.execute(never);
    const queued = pool.execute(never).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(500);
    expect(await queued).toMatchObject({ code: 'BULKHEAD_REJECTED', reason: 'queue-timeout' });
  });

  it('cockatiel: a queued call whose signal aborts leaves the queue', async () => {
    const pool = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    void pool.execute(never);
    const caller = new AbortController();
    const queued = pool.execute(never, { signal: caller.signal });
    caller.abort(new Error('client left'));
    await expect(queued).rejects.toThrow('client left');
    expect(pool.queued).toBe(0);
  });

  it('cockatiel: an operation may return a plain value', async () => {
    await expect(bulkhead().execute(() => 'plain')).resolves.toBe('plain');
  });

  it('D12: every queue wait is bounded by queueTimeout (cockatiel queues without a time limit)', async () => {
    const pool = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    void pool.execute(never);
    const queued = pool.execute(never).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await queued).toMatchObject({ reason: 'queue-timeout' });
  });
});

describe('parity: fallback and wrap', () => {
  it('cockatiel fallback, opossum fallback: a failure is answered with the fallback value', async () => {
    await expect(fallback('cached').execute(() => Promise.reject(new DependencyError('down')))).resolves.toBe(
      'cached',
    );
  });

  it('cockatiel wrap: policies run outermost first and every one accepts a plain value', async () => {
    const policy = wrap(fallback('fallback'), retry(), circuitBreaker(), bulkhead(), timeout(1_000));
    await expect(policy.execute(() => 'plain')).resolves.toBe('plain');
  });
});
