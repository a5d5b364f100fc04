interface Waiter<T> {
  grant: (value: T) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  done: boolean;
}

/**
 * A bounded first-in-first-out wait: at most `maxLength` callers, each for at most `timeout` ms, each
 * leaving when its own signal aborts. The bulkhead waits here for a slot, the breaker for its probes.
 */
export class WaitQueue<T> {
  private waiting = 0;
  // A plain array with a moving head: cheap FIFO, and abandoned waiters are skipped rather than spliced.
  private queue: Waiter<T>[] = [];
  private head = 0;

  constructor(
    readonly maxLength: number,
    readonly timeout: number,
    private readonly timedOut: () => unknown,
  ) {}

  /** Callers waiting now. */
  get length(): number {
    return this.waiting;
  }

  /** True when one more caller would exceed `maxLength` (always, when it is 0). */
  get full(): boolean {
    return this.waiting >= this.maxLength;
  }

  /** Waits for `grant()`; rejects with `timedOut()` after `timeout` ms, or with the signal's reason. */
  wait(signal: AbortSignal | undefined): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((grant, reject) => {
      // The timer stays ref()ed: a caller awaits it, like any other I/O it started.
      const waiter: Waiter<T> = {
        grant,
        reject,
        timer: undefined as never,
        signal,
        onAbort: undefined,
        done: false,
      };
      waiter.timer = setTimeout(() => this.abandon(waiter, this.timedOut()), this.timeout);
      if (signal !== undefined) {
        waiter.onAbort = () => this.abandon(waiter, signal.reason);
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.waiting++;
    });
  }

  /** Hands `value` to the longest-waiting caller; false when nobody waits. */
  grant(value: T): boolean {
    while (this.head < this.queue.length) {
      const waiter = this.queue[this.head]!;
      this.queue[this.head++] = undefined as never;
      if (waiter.done) continue;
      this.finish(waiter);
      waiter.grant(value);
      this.compact();
      return true;
    }
    this.compact();
    return false;
  }

  /** Rejects every waiting caller with `error()`. */
  rejectAll(error: () => unknown): void {
    while (this.head < this.queue.length) {
      const waiter = this.queue[this.head++]!;
      if (!waiter.done) this.abandon(waiter, error());
    }
    this.queue = [];
    this.head = 0;
  }

  private abandon(waiter: Waiter<T>, error: unknown): void {
    if (waiter.done) return;
    this.finish(waiter);
    waiter.reject(error);
  }

  private finish(waiter: Waiter<T>): void {
    waiter.done = true;
    this.waiting--;
    clearTimeout(waiter.timer);
    if (waiter.onAbort !== undefined) waiter.signal!.removeEventListener('abort', waiter.onAbort);
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
  }
}
