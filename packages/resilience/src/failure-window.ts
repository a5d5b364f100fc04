/**
 * The last `threshold` failure times in a ring: "N failures within W ms" holds exactly when the oldest
 * of them is at most W old, so each failure costs O(1) and successes cost nothing.
 */
export class FailureCountWindow {
  private readonly times: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(
    private readonly threshold: number,
    private readonly windowMs: number,
  ) {
    this.times = new Float64Array(threshold);
  }

  /** Records a failure at `now`; true when it completes `threshold` failures inside the window. */
  record(now: number): boolean {
    this.times[this.next] = now;
    this.next = (this.next + 1) % this.threshold;
    if (this.filled < this.threshold) this.filled++;
    // After the write, `next` points at the oldest of the last `threshold` failures.
    return this.filled === this.threshold && now - this.times[this.next]! <= this.windowMs;
  }

  /** Failure times still inside the window at `now`, oldest first. */
  recent(now: number): number[] {
    const out: number[] = [];
    const start = (this.next - this.filled + this.threshold) % this.threshold;
    for (let i = 0; i < this.filled; i++) {
      const t = this.times[(start + i) % this.threshold]!;
      if (now - t <= this.windowMs) out.push(t);
    }
    return out;
  }

  clear(): void {
    this.next = 0;
    this.filled = 0;
  }
}

const RATE_BUCKETS = 10;

/**
 * Calls and failures in ten time buckets spanning the window. A rate needs every call counted, so it
 * is bucketed rather than exact: the window slides one tenth at a time.
 */
export class FailureRateWindow {
  private readonly calls = new Uint32Array(RATE_BUCKETS);
  private readonly failures = new Uint32Array(RATE_BUCKETS);
  private readonly bucketMs: number;
  private head = Number.NEGATIVE_INFINITY;

  constructor(windowMs: number) {
    this.bucketMs = windowMs / RATE_BUCKETS;
  }

  record(now: number, failed: boolean): void {
    const bucket = Math.floor(now / this.bucketMs);
    if (bucket > this.head) {
      const stale = Math.min(bucket - this.head, RATE_BUCKETS);
      for (let i = 0; i < stale; i++) {
        const slot = (bucket - i) % RATE_BUCKETS;
        this.calls[slot] = 0;
        this.failures[slot] = 0;
      }
      this.head = bucket;
    }
    // A call that finishes in an older bucket than `head` (clock skew) is counted in the current one.
    const slot = this.head % RATE_BUCKETS;
    this.calls[slot]!++;
    if (failed) this.failures[slot]!++;
  }

  /** Calls and failures in the window as of the last record. */
  totals(): { calls: number; failures: number } {
    let calls = 0;
    let failures = 0;
    for (let i = 0; i < RATE_BUCKETS; i++) {
      calls += this.calls[i]!;
      failures += this.failures[i]!;
    }
    return { calls, failures };
  }

  clear(): void {
    this.calls.fill(0);
    this.failures.fill(0);
    this.head = Number.NEGATIVE_INFINITY;
  }
}
