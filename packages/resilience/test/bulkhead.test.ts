import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  Bulkhead,
  BulkheadRejectedError,
  bulkhead,
  InvalidOptionError,
  isBulkheadRejectedError,
} from '../src/index.js';

function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { op: () => promise.then(() => 'done'), open };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('bulkhead', () => {
  it('runs up to maxConcurrent, queues up to maxQueue, and rejects the rest at once', async () => {
    const policy = bulkhead({ maxConcurrent: 2, maxQueue: 1 });
    const g = gate();
    const running = [policy.execute(g.op), policy.execute(g.op)];
    const queuedOp = vi.fn(async () => 'queued');
    const queued = policy.execute(queuedOp);
    expect(policy.active).toBe(2);
    expect(policy.queued).toBe(1);
    const error = await policy.execute(async () => 'x').catch((e: unknown) => e);
    expect(isBulkheadRejectedError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'BULKHEAD_REJECTED', statusCode: 503, reason: 'full' });
    expect(queuedOp).not.toHaveBeenCalled();
    g.open();
    await Promise.all(running);
    await expect(queued).resolves.toBe('queued');
    expect(policy.active).toBe(0);
    expect(policy.queued).toBe(0);
  });

  it('releases the slot when the operation fails', async () => {
    const policy = bulkhead({ maxConcurrent: 1 });
    await expect(policy.execute(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(policy.execute(async () => 1)).resolves.toBe(1);
    expect(policy.active).toBe(0);
  });

  it('rejects a call that waits longer than queueTimeout', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 500 });
    const g = gate();
    const first = policy.execute(g.op);
    const waiting = policy.execute(async () => 'late').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(500);
    const error = await waiting;
    expect(error).toBeInstanceOf(BulkheadRejectedError);
    expect(error).toMatchObject({ reason: 'queue-timeout' });
    expect(policy.queued).toBe(0);
    g.open();
    await first;
    expect(policy.active).toBe(0);
  });

  it('removes a queued call when its signal aborts, and skips it when a slot frees', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 2 });
    const g = gate();
    const first = policy.execute(g.op);
    const controller = new AbortController();
    const abandoned = vi.fn(async () => 'no');
    const aborted = policy.execute(abandoned, { signal: controller.signal }).catch((e: unknown) => e);
    const next = policy.execute(async () => 'next');
    controller.abort(new Error('bye'));
    expect(await aborted).toMatchObject({ message: 'bye' });
    expect(policy.queued).toBe(1);
    g.open();
    await first;
    await expect(next).resolves.toBe('next');
    expect(abandoned).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(bulkhead().execute(async () => 1, { signal: controller.signal })).rejects.toThrow('gone');
  });

  it('dispose() rejects queued calls and clears their timers', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 2 });
    const g = gate();
    const first = policy.execute(g.op);
    const queued = policy.execute(async () => 1).catch((e: unknown) => e);
    policy.dispose();
    expect(await queued).toBeInstanceOf(BulkheadRejectedError);
    expect(vi.getTimerCount()).toBe(0);
    g.open();
    await first;
  });

  it.each([
    ['maxConcurrent', { maxConcurrent: 0 }],
    ['maxConcurrent', { maxConcurrent: 1.5 }],
    ['maxQueue', { maxQueue: -1 }],
    ['queueTimeout', { queueTimeout: 0 }],
  ])('rejects a bad %s', (option, options) => {
    const create = () => new Bulkhead(options);
    expect(create).toThrow(InvalidOptionError);
    expect(create).toThrow(`Invalid option ${option}: `);
  });
});
