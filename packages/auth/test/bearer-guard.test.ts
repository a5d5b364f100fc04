import { isAppError } from '@steadfast/errors';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bearerGuard } from '../src/bearer-guard.js';
import { failureThrottle } from '../src/failure-throttle.js';

const TOKEN = 'a-token-of-sufficient-length';
const check = bearerGuard(TOKEN, { realm: 'the test API' });
const failure = (authorization: string | undefined) => {
  try {
    check(authorization);
  } catch (error) {
    return isAppError(error) ? [error.statusCode, error.code] : ['not an AppError'];
  }
  return ['accepted'];
};

describe('bearerGuard', () => {
  it('accepts the token, case-insensitive scheme, surrounding spaces', () => {
    expect(failure(`Bearer ${TOKEN}`)).toEqual(['accepted']);
    expect(failure(`bearer   ${TOKEN}  `)).toEqual(['accepted']);
  });

  it.each([undefined, '', 'Bearer', `Basic ${TOKEN}`, TOKEN])('answers 401 for %j', (header) => {
    expect(failure(header)).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('answers 403 for any other token', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\S{1,80}$/), (guess) => {
        fc.pre(guess !== TOKEN);
        expect(failure(`Bearer ${guess}`)).toEqual([403, 'FORBIDDEN']);
      }),
    );
  });

  it('refuses a short token at creation without echoing it', () => {
    expect(() => bearerGuard('short-secret', { realm: 'X' })).toThrow(/at least 16 characters, got 12/);
    expect(() => bearerGuard('short-secret', { realm: 'X' })).not.toThrow(/short-secret/);
  });
});

describe('bearerGuard throttling', () => {
  afterEach(() => vi.useRealTimers());

  it('refuses a client with 429 after too many wrong tokens, even the right one, until its window ends', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const guarded = bearerGuard(TOKEN, {
      realm: 'the test API',
      throttle: { maxFailures: 2, windowMs: 10_000 },
    });
    const outcome = (token: string, client: string) => {
      try {
        guarded(`Bearer ${token}`, client);
        return 'accepted';
      } catch (error) {
        return isAppError(error) ? `${error.statusCode} retry ${error.retryAfter ?? '-'}` : 'not an AppError';
      }
    };
    expect(outcome('guess-1', 'a')).toBe('403 retry -');
    expect(outcome('guess-2', 'a')).toBe('403 retry -');
    expect(outcome(TOKEN, 'a')).toBe('429 retry 10');
    expect(outcome(TOKEN, 'b')).toBe('accepted');
    vi.setSystemTime(Date.now() + 9_000);
    expect(outcome(TOKEN, 'a')).toBe('429 retry 1');
    vi.setSystemTime(Date.now() + 1_000);
    expect(outcome(TOKEN, 'a')).toBe('accepted');
  });

  it('tracks a bounded number of clients (property: never more than maxClients)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), (clients) => {
        const throttle = failureThrottle({ maxFailures: 1, windowMs: 60_000, maxClients: 5 });
        for (const client of clients) throttle.fail(String(client));
        // The last client to fail is always remembered; older ones may be forgotten, never the other way round.
        const last = clients.at(-1);
        if (last !== undefined) expect(() => throttle.check(String(last))).toThrow(/Too many requests/);
        let remembered = 0;
        for (let client = 0; client <= 50; client++) {
          try {
            throttle.check(String(client));
          } catch {
            remembered += 1;
          }
        }
        expect(remembered).toBeLessThanOrEqual(5);
      }),
    );
  });
});
