import { durationMs, fn as fnOption, oneOf, TimeoutError } from '@steadfast/errors';
import {
  type Clock,
  type ExecuteContext,
  type ExecuteOptions,
  monotonicClock,
  NEVER_ABORTED,
  type Operation,
  type Policy,
} from './policy.js';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_TIMEOUT_STRATEGY: TimeoutStrategy = 'aggressive';

/**
 * `cooperative`: abort the signal at the deadline and wait for the operation to give up.
 * `aggressive`: also reject at the deadline, even if the operation ignores the signal.
 */
export type TimeoutStrategy = 'cooperative' | 'aggressive';

export interface TimeoutOptions {
  /** Deadline in ms. Default 10 000. */
  duration?: number;
  /** Default `aggressive`. */
  strategy?: TimeoutStrategy;
  /** Default `performance.now`: a wall-clock change must not stretch or cut a deadline. */
  clock?: Clock;
}

/**
 * Every call under one policy has the same duration, so deadlines arrive in call order: one FIFO and
 * one timer armed for its head replace a timer per call, which dominated the cost of a timed call.
 */
export class Timeout implements Policy {
  readonly duration: number;
  readonly strategy: TimeoutStrategy;
  private readonly clock: Clock;
  private pending: TimedCall<unknown>[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: TimeoutOptions = {}) {
    this.duration = durationMs('duration', options.duration ?? DEFAULT_TIMEOUT_MS);
    this.strategy = oneOf('strategy', options.strategy ?? DEFAULT_TIMEOUT_STRATEGY, [
      'cooperative',
      'aggressive',
    ]);
    this.clock = fnOption('clock', options.clock ?? monotonicClock);
  }

  execute<T>(fn: Operation<T>, options?: ExecuteOptions): Promise<T> {
    const outer = options?.signal;
    if (outer?.aborted) return Promise.reject(outer.reason);
    const call = new TimedCall<T>(this, this.clock() + this.duration, outer, options?.attempt ?? 1);
    this.track(call as TimedCall<unknown>);
    return call.start(fn);
  }

  /** Releases the shared timer; calls still running lose their deadline. */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.head = 0;
  }

  /** @internal */
  untrack(): void {
    // Calls mostly finish in the order they started, so dropping settled ones at the head keeps the
    // queue about as long as the number of calls in flight.
    const pending = this.pending;
    while (this.head < pending.length && pending[this.head]!.settled)
      pending[this.head++] = undefined as never;
    if (this.head === pending.length) {
      this.pending = [];
      this.head = 0;
      // Left armed, the timer is cheaper to reuse than to re-create; unref()ed, it holds nothing up.
      this.timer?.unref();
    }
  }

  private track(call: TimedCall<unknown>): void {
    this.pending.push(call);
    // A timer already armed for an earlier deadline will re-arm itself for this one when it fires.
    // While calls are pending it is ref()ed: their callers await it.
    if (this.timer === undefined) this.arm(call.deadline);
    else if (this.pending.length - this.head === 1) this.timer.ref();
  }

  private arm(at: number): void {
    this.timer = setTimeout(Timeout.onTimer, Math.max(0, at - this.clock()), this);
  }

  private static onTimer(policy: Timeout): void {
    policy.timer = undefined;
    const now = policy.clock();
    // Expiring a call can settle it, which compacts the queue, so re-read it on every step.
    while (policy.head < policy.pending.length) {
      const call = policy.pending[policy.head]!;
      if (!call.settled) {
        if (call.deadline > now) break;
        call.expire();
        if (call.settled) continue;
      }
      // Settled, or cooperative and still running: either way it has no deadline left to watch.
      policy.pending[policy.head++] = undefined as never;
    }
    if (policy.head < policy.pending.length) policy.arm(policy.pending[policy.head]!.deadline);
    else {
      policy.pending = [];
      policy.head = 0;
    }
  }
}

/** One call's state; the AbortController is only made if the operation reads `signal`. */
class TimedCall<T> implements ExecuteContext {
  settled = false;
  private timedOut = false;
  private controller: AbortController | undefined;
  private onOuterAbort: (() => void) | undefined;
  private resolve!: (value: T) => void;
  private reject!: (error: unknown) => void;

  constructor(
    private readonly policy: Timeout,
    readonly deadline: number,
    private readonly outer: AbortSignal | undefined,
    readonly attempt: number,
  ) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      // Replay what happened before this first read, so a signal handed on late to I/O still aborts.
      if (this.timedOut) this.controller.abort(this.timeoutError());
      else if (this.outer?.aborted) this.controller.abort(this.outer.reason);
    }
    return this.controller.signal;
  }

  start(fn: Operation<T>): Promise<T> {
    const outer = this.outer;
    if (outer !== undefined && outer !== NEVER_ABORTED) {
      this.onOuterAbort = () => this.abortFromOuter();
      outer.addEventListener('abort', this.onOuterAbort, { once: true });
    }
    return new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      let running: T | PromiseLike<T>;
      try {
        running = fn(this);
      } catch (error) {
        running = Promise.reject(error);
      }
      // A native promise passes through Promise.resolve as itself; a value or foreign thenable is adopted.
      Promise.resolve(running).then(
        (value) => this.settle(value, undefined, false),
        (error) => this.finishWithError(error),
      );
    });
  }

  expire(): void {
    this.timedOut = true;
    const error = this.timeoutError();
    this.controller?.abort(error);
    if (this.policy.strategy === 'aggressive') this.settle(undefined, error, true);
  }

  private abortFromOuter(): void {
    const reason = this.outer!.reason;
    this.controller?.abort(reason);
    if (this.policy.strategy === 'aggressive') this.settle(undefined, reason, true);
  }

  private finishWithError(error: unknown): void {
    // A cooperative operation that gave up because of our deadline failed by timing out, whatever it threw.
    if (this.timedOut && !this.settled && !(error instanceof TimeoutError)) {
      error = this.timeoutError(error);
    }
    this.settle(undefined, error, true);
  }

  private settle(value: T | undefined, error: unknown, failed: boolean): void {
    if (this.settled) return;
    this.settled = true;
    if (this.onOuterAbort !== undefined) this.outer!.removeEventListener('abort', this.onOuterAbort);
    this.policy.untrack();
    if (failed) this.reject(error);
    else this.resolve(value as T);
  }

  private timeoutError(cause?: unknown): TimeoutError {
    return new TimeoutError(
      `The operation timed out after ${this.policy.duration} ms`,
      cause === undefined ? undefined : { cause },
    );
  }
}

export function timeout(options?: TimeoutOptions | number): Timeout {
  return new Timeout(typeof options === 'number' ? { duration: options } : options);
}
