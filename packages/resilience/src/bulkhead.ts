import { durationMs, integerAtLeast } from '@steadfast/errors';
import { BulkheadRejectedError } from './errors.js';
import { contextFrom, type ExecuteOptions, type Operation, type Policy } from './policy.js';
import { WaitQueue } from './wait-queue.js';

export const DEFAULT_MAX_CONCURRENT = 10;
export const DEFAULT_MAX_QUEUE = 0;
export const DEFAULT_QUEUE_TIMEOUT_MS = 1_000;

export interface BulkheadOptions {
  /** Calls running at once. Default 10. */
  maxConcurrent?: number;
  /** Calls waiting for a slot; beyond this a call is rejected at once. Default 0 (no queue). */
  maxQueue?: number;
  /** Longest wait in the queue, in ms, before the call is rejected. Default 1 000. */
  queueTimeout?: number;
}

export class Bulkhead implements Policy {
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  readonly queueTimeout: number;
  private running = 0;
  private readonly queue: WaitQueue<void>;

  constructor(options: BulkheadOptions = {}) {
    this.maxConcurrent = integerAtLeast('maxConcurrent', options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT, 1);
    this.maxQueue = integerAtLeast('maxQueue', options.maxQueue ?? DEFAULT_MAX_QUEUE, 0);
    this.queueTimeout = durationMs('queueTimeout', options.queueTimeout ?? DEFAULT_QUEUE_TIMEOUT_MS);
    this.queue = new WaitQueue(
      this.maxQueue,
      this.queueTimeout,
      () => new BulkheadRejectedError('queue-timeout'),
    );
  }

  /** Calls running now. */
  get active(): number {
    return this.running;
  }

  /** Calls waiting for a slot now. */
  get queued(): number {
    return this.queue.length;
  }

  async execute<T>(fn: Operation<T>, options?: ExecuteOptions): Promise<T> {
    const signal = options?.signal;
    if (signal?.aborted) throw signal.reason;
    if (this.running < this.maxConcurrent) {
      this.running++;
    } else if (!this.queue.full) {
      // A granted waiter takes the releasing call's slot, so `running` stays the same.
      await this.queue.wait(signal);
    } else {
      throw new BulkheadRejectedError('full');
    }
    try {
      return await fn(contextFrom(options));
    } finally {
      this.release();
    }
  }

  /** Rejects every waiting call; used when the owner shuts down. */
  dispose(): void {
    this.queue.rejectAll(() => new BulkheadRejectedError('full'));
  }

  private release(): void {
    if (!this.queue.grant()) this.running--;
  }
}

export function bulkhead(options?: BulkheadOptions): Bulkhead {
  return new Bulkhead(options);
}
