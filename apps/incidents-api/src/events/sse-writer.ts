import type { ServerResponse } from 'node:http';

export interface SseWriterOptions {
  /** Bytes held for the client (in the response, the socket and the queue) before it is dropped. */
  maxBufferedBytes: number;
  /** How long the socket may stay full (write() returned false, no 'drain' yet) before the client is dropped. */
  drainTimeoutMs: number;
}

export type DropReason = 'buffer-full' | 'drain-timeout';

/**
 * Writes a Server-Sent Events response with backpressure. Once `write()` returns false nothing more is written
 * until 'drain': frames wait in a queue, and a client that does not read is dropped (its socket destroyed) when
 * what it holds passes `maxBufferedBytes` or the socket stays full for `drainTimeoutMs`. Memory per stream is
 * bounded either way.
 */
export class SseWriter {
  readonly #res: ServerResponse;
  readonly #options: SseWriterOptions;
  readonly #onDrop: (reason: DropReason) => void;
  readonly #queue: string[] = [];
  #queuedBytes = 0;
  #drainTimer: NodeJS.Timeout | undefined;
  #waiters: Array<(open: boolean) => void> = [];

  constructor(res: ServerResponse, options: SseWriterOptions, onDrop: (reason: DropReason) => void) {
    this.#res = res;
    this.#options = options;
    this.#onDrop = onDrop;
    res.on('drain', () => this.#flush());
    res.on('close', () => this.#settle(false));
  }

  get closed(): boolean {
    return this.#res.destroyed || this.#res.writableEnded;
  }

  /** Whether the socket is full and frames are waiting for 'drain'. */
  get blocked(): boolean {
    return this.#drainTimer !== undefined;
  }

  /** Sends a frame now, or queues it while the socket is full. */
  send(frame: string): void {
    if (this.closed) return;
    if (this.blocked) {
      this.#queue.push(frame);
      this.#queuedBytes += Buffer.byteLength(frame);
      if (this.#res.writableLength + this.#queuedBytes > this.#options.maxBufferedBytes)
        this.#drop('buffer-full');
      return;
    }
    if (!this.#res.write(frame)) this.#block();
  }

  /** A heartbeat: skipped while the socket is full, since queued frames will show the connection is alive. */
  comment(text: string): void {
    if (!this.blocked) this.send(`: ${text}\n\n`);
  }

  /** Resolves true once the socket takes more (at once when it is not full), false when the stream ended. */
  ready(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (!this.blocked) return Promise.resolve(true);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #block(): void {
    this.#drainTimer = setTimeout(() => this.#drop('drain-timeout'), this.#options.drainTimeoutMs);
    this.#drainTimer.unref();
  }

  #flush(): void {
    clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
    while (this.#queue.length > 0 && !this.closed) {
      const frame = this.#queue.shift() as string;
      this.#queuedBytes -= Buffer.byteLength(frame);
      if (!this.#res.write(frame)) {
        this.#block();
        return;
      }
    }
    this.#settle(true);
  }

  #drop(reason: DropReason): void {
    clearTimeout(this.#drainTimer);
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    this.#onDrop(reason);
    this.#res.destroy();
    this.#settle(false);
  }

  #settle(open: boolean): void {
    if (!open) clearTimeout(this.#drainTimer);
    for (const resolve of this.#waiters.splice(0)) resolve(open);
  }
}
