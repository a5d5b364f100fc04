import { createHash, timingSafeEqual } from 'node:crypto';
import { ForbiddenError, UnauthenticatedError } from '@steadfast/errors';

export const MIN_ADMIN_TOKEN_LENGTH = 16;

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Checks `Authorization: Bearer <token>` against the admin token. Both sides are hashed first so the
 * comparison takes the same time whatever the length or content of the guess.
 */
export function bearerGuard(adminToken: string): (authorization: string | undefined) => void {
  const expected = digest(adminToken);
  return (authorization) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) throw new UnauthenticatedError('The chaos API needs Authorization: Bearer <token>');
    if (!timingSafeEqual(digest(match[1] as string), expected)) {
      throw new ForbiddenError('The chaos admin token is not valid');
    }
  };
}
