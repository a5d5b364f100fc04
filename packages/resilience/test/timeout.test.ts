import { TimeoutError as BaseTimeoutError } from '@steadfast/errors';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidOptionError, isTimeoutError, Timeout, TimeoutError, timeout } from '../src/index.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const never = () => new Promise<never>(() => {});

describe('timeout', () => {
  it('re-exports the taxonomy TimeoutError', () => {
    expect(TimeoutError).toBe(BaseTimeoutError);
  });

  it('aggressive: rejects with TimeoutError (504) at the deadline even if the operation ignores the signal', async () => {
    let signal: AbortSignal | undefined;
    const running = timeout(1_000)
      .execute((ctx) => {
        signal = ctx.signal;
        return never();
      })
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(999);
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await running;
    expect(isTimeoutError(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'TIMEOUT',
      statusCode: 504,
      message: expect.stringContaining('1000 ms'),
    });
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(TimeoutError);
  });

  it('resolves with the result before the deadline and clears its timer', async () => {
    const policy = timeout(1_000);
    await expect(policy.execute(async () => 7)).resolves.toBe(7);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('passes operation errors through', async () => {
    const error = new Error('boom');
    await expect(timeout(1_000).execute(() => Promise.reject(error))).rejects.toBe(error);
    await expect(
      timeout(1_000).execute(() => {
        throw error;
      }),
    ).rejects.toBe(error);
  });

  it('cooperative: aborts the signal and waits for the operation; its rejection becomes TimeoutError', async () => {
    const policy = timeout({ duration: 500, strategy: 'cooperative' });
    const running = policy
      .execute(
        ({ signal }) =>
          new Promise((_, reject) => {
            signal.addEventListener('abort', () => setTimeout(() => reject(new Error('aborted')), 100));
          }),
      )
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(500);
    await vi.advanceTimersByTimeAsync(99);
    let settled = false;
    void running.then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await running;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).cause).toMatchObject({ message: 'aborted' });
  });

  it('cooperative: an operation that rejects with the abort reason gives that TimeoutError', async () => {
    const policy = timeout({ duration: 500, strategy: 'cooperative' });
    const running = policy
      .execute(
        ({ signal }) =>
          new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      )
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(500);
    const error = await running;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).cause).toBeUndefined();
  });

  it('cooperative: a late result is still returned', async () => {
    const policy = timeout({ duration: 100, strategy: 'cooperative' });
    const running = policy.execute(() => new Promise((resolve) => setTimeout(() => resolve('late'), 200)));
    await vi.advanceTimersByTimeAsync(200);
    await expect(running).resolves.toBe('late');
  });

  it('follows the caller signal: aggressive rejects at once with its reason and aborts the inner signal', async () => {
    const controller = new AbortController();
    let inner: AbortSignal | undefined;
    const running = timeout(1_000)
      .execute(
        (ctx) => {
          inner = ctx.signal;
          return never();
        },
        { signal: controller.signal },
      )
      .catch((e: unknown) => e);
    controller.abort(new Error('client left'));
    expect(await running).toMatchObject({ message: 'client left' });
    expect(inner?.aborted).toBe(true);
  });

  it('cooperative: follows the caller signal and waits for the operation to give up', async () => {
    const controller = new AbortController();
    const policy = timeout({ duration: 1_000, strategy: 'cooperative' });
    const running = policy
      .execute(
        ({ signal }) =>
          new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
        { signal: controller.signal },
      )
      .catch((e: unknown) => e);
    controller.abort(new Error('client left'));
    expect(await running).toMatchObject({ message: 'client left' });
  });

  it('makes the signal aborted for an operation that reads it only after the deadline', async () => {
    const policy = timeout({ duration: 100, strategy: 'cooperative' });
    const running = policy.execute(async (ctx) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return ctx.signal.aborted;
    });
    await vi.advanceTimersByTimeAsync(150);
    await expect(running).resolves.toBe(true);
  });

  it('cooperative: the signal is aborted for an operation that reads it only after the caller aborted', async () => {
    const caller = new AbortController();
    const running = timeout({ duration: 1_000, strategy: 'cooperative' }).execute(
      async (ctx) => {
        caller.abort(new Error('client left'));
        await Promise.resolve();
        return { aborted: ctx.signal.aborted, reason: ctx.signal.reason };
      },
      { signal: caller.signal },
    );
    await expect(running).resolves.toEqual({ aborted: true, reason: new Error('client left') });
  });

  it('aggressive: work abandoned after the caller aborted sees its signal aborted when it reads it', async () => {
    const caller = new AbortController();
    let seen: boolean | undefined;
    const running = timeout(1_000).execute(
      async (ctx) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        seen = ctx.signal.aborted;
      },
      { signal: caller.signal },
    );
    caller.abort(new Error('client left'));
    await expect(running).rejects.toThrow('client left');
    await vi.advanceTimersByTimeAsync(50);
    expect(seen).toBe(true);
  });

  it('accepts an operation that returns a plain value or a foreign thenable, as the other policies do', async () => {
    const policy = timeout(1_000);
    await expect(policy.execute(() => 7)).resolves.toBe(7);
    const thenable: PromiseLike<string> = {
      // biome-ignore lint/suspicious/noThenProperty: a foreign thenable, not a native promise, is the case under test
      then: (resolve) => Promise.resolve('then').then(resolve),
    };
    await expect(policy.execute(() => thenable)).resolves.toBe('then');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects at once when the caller signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    const op = vi.fn(never);
    await expect(timeout(1_000).execute(op, { signal: controller.signal })).rejects.toThrow('gone');
    expect(op).not.toHaveBeenCalled();
  });

  it('times out many overlapping calls each at its own deadline with one timer', async () => {
    const policy = timeout(1_000);
    const first = policy.execute(never).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(300);
    const second = policy.execute(never).catch((e: unknown) => e);
    const done = policy.execute(async () => 'quick');
    expect(vi.getTimerCount()).toBe(1);
    await expect(done).resolves.toBe('quick');
    await vi.advanceTimersByTimeAsync(700);
    expect(await first).toBeInstanceOf(TimeoutError);
    let secondDone = false;
    void second.then(() => {
      secondDone = true;
    });
    await vi.advanceTimersByTimeAsync(299);
    expect(secondDone).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await second).toBeInstanceOf(TimeoutError);
  });

  it('dispose() releases the shared timer', async () => {
    const policy = timeout(1_000);
    void policy.execute(never);
    expect(vi.getTimerCount()).toBe(1);
    policy.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });

  it.each([
    ['duration', { duration: 0 }],
    ['duration', { duration: -1 }],
    ['duration', { duration: Number.POSITIVE_INFINITY }],
    ['strategy', { strategy: 'polite' }],
    ['clock', { clock: 'now' }],
  ])('rejects a bad %s', (option, options) => {
    const create = () => new Timeout(options as never);
    expect(create).toThrow(InvalidOptionError);
    expect(create).toThrow(`Invalid option ${option}: `);
  });
});
