import { durationMs, fn, InvalidOptionError, numberInRange } from '@steadfast/errors';

export const DEFAULT_INITIAL_DELAY_MS = 100;
export const DEFAULT_BACKOFF_FACTOR = 2;
export const DEFAULT_MAX_DELAY_MS = 5_000;
/** Waits vary between 50 % and 100 % of the exponential delay, so clients that failed together spread out. */
export const DEFAULT_JITTER = 0.5;

/**
 * `full`: anywhere from 0 to the delay. `equal`: half the delay plus up to the other half.
 * `decorrelated`: from the initial delay up to three times the previous wait (AWS's recipe).
 * A number j in [0, 1]: the delay minus up to j of it. `none`: the exact delay.
 */
export type Jitter = 'none' | 'full' | 'equal' | 'decorrelated' | number;

export interface BackoffOptions {
  initialDelay?: number;
  factor?: number;
  maxDelay?: number;
  jitter?: Jitter;
  /** Returns a number in [0, 1); injectable so tests can pin the jitter. */
  random?: () => number;
}

/** Exponential backoff with jitter; every delay it returns is at most `maxDelay`. */
export class Backoff {
  readonly initialDelay: number;
  readonly factor: number;
  readonly maxDelay: number;
  readonly jitter: Jitter;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialDelay = durationMs('initialDelay', options.initialDelay ?? DEFAULT_INITIAL_DELAY_MS, {
      allowZero: true,
    });
    this.factor = numberInRange('factor', options.factor ?? DEFAULT_BACKOFF_FACTOR, 1, Number.MAX_VALUE);
    this.maxDelay = durationMs('maxDelay', options.maxDelay ?? DEFAULT_MAX_DELAY_MS, { allowZero: true });
    if (this.maxDelay < this.initialDelay) {
      throw new InvalidOptionError('maxDelay', this.maxDelay, `at least initialDelay (${this.initialDelay})`);
    }
    const jitter = options.jitter ?? DEFAULT_JITTER;
    if (typeof jitter === 'number') numberInRange('jitter', jitter, 0, 1);
    else if (!['none', 'full', 'equal', 'decorrelated'].includes(jitter)) {
      throw new InvalidOptionError(
        'jitter',
        jitter,
        '"none", "full", "equal", "decorrelated" or a number from 0 to 1',
      );
    }
    this.jitter = jitter;
    this.random = fn('random', options.random ?? Math.random);
  }

  /** The wait before retry number `retry` (1 for the first retry); `previous` is the last wait. */
  delay(retry: number, previous: number): number {
    const base = Math.min(this.initialDelay * this.factor ** (retry - 1), this.maxDelay);
    const jitter = this.jitter;
    let delay: number;
    if (jitter === 'none') delay = base;
    else if (jitter === 'full') delay = this.random() * base;
    else if (jitter === 'equal') delay = base / 2 + (this.random() * base) / 2;
    else if (jitter === 'decorrelated') {
      const upper = Math.max(this.initialDelay, previous * 3);
      delay = this.initialDelay + this.random() * (upper - this.initialDelay);
    } else delay = base * (1 - jitter * this.random());
    return Math.min(delay, this.maxDelay);
  }
}
