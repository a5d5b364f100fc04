import { createHash, timingSafeEqual } from 'node:crypto';
import { ForbiddenError, UnauthenticatedError } from '@steadfast/errors';
import { type FailureThrottleOptions, failureThrottle } from './failure-throttle.js';

/** Shortest token accepted: shorter ones are guessable. */
export const MIN_TOKEN_LENGTH = 16;

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export interface BearerGuardOptions {
  /** Names the protected thing in error messages: "the chaos API". */
  realm: string;
  /** The budget of wrong tokens per client (10 a minute by default). */
  throttle?: FailureThrottleOptions;
}

/**
 * Checks an `Authorization: Bearer <token>` header against the expected token: 401 `UNAUTHENTICATED` without one,
 * 403 `FORBIDDEN` with a wrong one. Both sides are hashed first, so the comparison takes the same time whatever the
 * length or content of a guess. Throws at creation for a token shorter than 16 characters (without echoing it).
 * Given the caller's address (`request.ip`), a client over its budget of wrong tokens is refused with 429 and
 * `retryAfter` until its window ends, whatever it sends.
 */
export function bearerGuard(
  token: string,
  { realm, throttle: throttleOptions }: BearerGuardOptions,
): (authorization: string | undefined, client?: string) => void {
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new TypeError(
      `${realm}: the token must be at least ${MIN_TOKEN_LENGTH} characters, got ${token.length}`,
    );
  }
  const expected = digest(token);
  const throttle = failureThrottle(throttleOptions);
  return (authorization, client) => {
    if (client !== undefined) throttle.check(client);
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) throw new UnauthenticatedError(`${realm} needs Authorization: Bearer <token>`);
    if (!timingSafeEqual(digest(match[1]), expected)) {
      if (client !== undefined) throttle.fail(client);
      throw new ForbiddenError(`The ${realm} token is not valid`);
    }
  };
}
