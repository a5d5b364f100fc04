import { isAppError } from '@steadfast/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bearerGuard } from '../src/bearer-guard.js';

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
