import { OverloadedError, RateLimitedError } from '@steadfast/errors';

/** Seconds a refused stream is told to wait: streams are long-lived, a slot frees when one ends. */
export const STREAM_RETRY_AFTER_SECONDS = 5;

export interface StreamSlotLimits {
  /** Open streams in this process. */
  maxStreams: number;
  /** Open streams of one client. */
  maxStreamsPerClient: number;
}

/**
 * Admission of event streams, per process and per client. A stream holds a socket, a subscription and a timer
 * for as long as the client likes, so both counts are bounded: a full process is 503, a greedy client 429, both
 * with Retry-After.
 */
export class StreamSlots {
  readonly #limits: StreamSlotLimits;
  readonly #perClient = new Map<string, number>();
  #open = 0;

  constructor(limits: StreamSlotLimits) {
    this.#limits = limits;
  }

  get open(): number {
    return this.#open;
  }

  /** Takes a slot for `client`; returns the function that gives it back (once, however often it is called). */
  acquire(client: string): () => void {
    const mine = this.#perClient.get(client) ?? 0;
    if (this.#open >= this.#limits.maxStreams) {
      throw new OverloadedError(STREAM_RETRY_AFTER_SECONDS, 'Too many open event streams; retry later');
    }
    if (mine >= this.#limits.maxStreamsPerClient) throw new RateLimitedError(STREAM_RETRY_AFTER_SECONDS);
    this.#open++;
    this.#perClient.set(client, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#open--;
      const left = (this.#perClient.get(client) ?? 1) - 1;
      if (left === 0) this.#perClient.delete(client);
      else this.#perClient.set(client, left);
    };
  }
}
