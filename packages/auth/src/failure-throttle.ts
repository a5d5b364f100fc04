import { integerAtLeast, RateLimitedError } from '@steadfast/errors';

/** Failed token checks one client may make per window before it is refused outright. */
export const DEFAULT_MAX_FAILURES = 10;
export const DEFAULT_FAILURE_WINDOW_MS = 60_000;
/** Clients tracked at once; the oldest is forgotten past this, so guessing from many addresses cannot grow memory. */
export const DEFAULT_MAX_TRACKED_CLIENTS = 10_000;

export interface FailureThrottleOptions {
  maxFailures?: number;
  windowMs?: number;
  maxClients?: number;
}

export interface FailureThrottle {
  /** Throws 429 RATE_LIMITED (with `retryAfter`) while `client` has used up its failures in this window. */
  check(client: string): void;
  /** Counts one failed check for `client`. */
  fail(client: string): void;
}

interface Window {
  startedAt: number;
  failures: number;
}

/**
 * A per-client budget of failed token checks in a fixed window. A client over it is refused before its token is
 * even looked at, right or wrong, until the window ends: guessing costs a window per few tries.
 */
export function failureThrottle(options: FailureThrottleOptions = {}): FailureThrottle {
  const maxFailures = integerAtLeast('maxFailures', options.maxFailures ?? DEFAULT_MAX_FAILURES, 1);
  const windowMs = integerAtLeast('windowMs', options.windowMs ?? DEFAULT_FAILURE_WINDOW_MS, 1);
  const maxClients = integerAtLeast('maxClients', options.maxClients ?? DEFAULT_MAX_TRACKED_CLIENTS, 1);
  const windows = new Map<string, Window>();

  const current = (client: string, now: number): Window | undefined => {
    const window = windows.get(client);
    if (window && now - window.startedAt >= windowMs) {
      windows.delete(client);
      return undefined;
    }
    return window;
  };

  return {
    check(client) {
      const now = Date.now();
      const window = current(client, now);
      if (window && window.failures >= maxFailures) {
        throw new RateLimitedError(Math.max(1, Math.ceil((window.startedAt + windowMs - now) / 1000)));
      }
    },
    fail(client) {
      const now = Date.now();
      const window = current(client, now);
      if (window) {
        window.failures += 1;
        return;
      }
      if (windows.size >= maxClients) windows.delete(windows.keys().next().value as string);
      windows.set(client, { startedAt: now, failures: 1 });
    },
  };
}
