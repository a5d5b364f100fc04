import { durationMs, integerAtLeast } from '@steadfast/errors';
import { BulkheadRejectedError } from './errors.js';
import { contextFrom, type ExecuteOptions, type Operation, type Policy } from './policy.js';

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

interface Waiter {
  grant: () => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  done: boolean;
}

export class Bulkhead implements Policy {
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  readonly queueTimeout: number;
  private running = 0;
  private waiting = 0;
  // A plain array with a moving head: cheap FIFO, and abandoned waiters are skipped rather than spliced.
  private queue: Waiter[] = [];
  private head = 0;

  constructor(options: BulkheadOptions = {}) {
    this.maxConcurrent = integerAtLeast('maxConcurrent', options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT, 1);
    this.maxQueue = integerAtLeast('maxQueue', options.maxQueue ?? DEFAULT_MAX_QUEUE, 0);
    this.queueTimeout = durationMs('queueTimeout', options.queueTimeout ?? DEFAULT_QUEUE_TIMEOUT_MS);
  }

  /** Calls running now. */
  get active(): number {
    return this.running;
  }

  /** Calls waiting for a slot now. */
  get queued(): number {
    return this.waiting;
  }

  async execute<T>(fn: Operation<T>, options?: ExecuteOptions): Promise<T> {
    const signal = options?.signal;
    if (signal?.aborted) throw signal.reason;
    if (this.running < this.maxConcurrent) {
      this.running++;
    } else if (this.waiting < this.maxQueue) {
      await this.enqueue(signal);
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
    while (this.head < this.queue.length) {
      const waiter = this.queue[this.head++]!;
      if (!waiter.done) this.abandon(waiter, new BulkheadRejectedError('full'));
    }
    this.queue = [];
    this.head = 0;
  }

  private enqueue(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((grant, reject) => {
      // The queue timer stays ref()ed: a caller awaits it, like any other I/O it started.
      const waiter: Waiter = {
        grant,
        reject,
        timer: undefined as never,
        signal,
        onAbort: undefined,
        done: false,
      };
      waiter.timer = setTimeout(
        () => this.abandon(waiter, new BulkheadRejectedError('queue-timeout')),
        this.queueTimeout,
      );
      if (signal !== undefined) {
        waiter.onAbort = () => this.abandon(waiter, signal.reason);
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.waiting++;
    });
  }

  private abandon(waiter: Waiter, error: unknown): void {
    if (waiter.done) return;
    this.finishWaiting(waiter);
    waiter.reject(error);
  }

  private finishWaiting(waiter: Waiter): void {
    waiter.done = true;
    this.waiting--;
    clearTimeout(waiter.timer);
    if (waiter.onAbort !== undefined) waiter.signal!.removeEventListener('abort', waiter.onAbort);
  }

  private release(): void {
    while (this.head < this.queue.length) {
      const waiter = this.queue[this.head]!;
      this.queue[this.head++] = undefined as never;
      if (waiter.done) continue;
      // The slot passes straight to the waiter, so `running` stays the same.
      this.finishWaiting(waiter);
      waiter.grant();
      this.compact();
      return;
    }
    this.running--;
    this.compact();
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
  }
}

export function bulkhead(options?: BulkheadOptions): Bulkhead {
  return new Bulkhead(options);
}
