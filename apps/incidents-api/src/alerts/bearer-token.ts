import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError, ForbiddenError, UnauthenticatedError } from '@steadfast/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * An onRequest hook that admits requests carrying `Authorization: Bearer <token>`. Tokens are compared as
 * SHA-256 digests, equal in length whatever was sent, so the comparison takes the same time for any guess.
 * Without a configured token the route is disabled (503), never open.
 */
export function bearerTokenGuard(token: string | undefined, feature: string) {
  const expected = token === undefined ? undefined : digest(token);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (expected === undefined) {
      throw new AppError('INTEGRATION_DISABLED', 503, `${feature} is disabled: ALERTS_TOKEN is not set`);
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!match?.[1]) {
      reply.header('www-authenticate', 'Bearer');
      throw new UnauthenticatedError('A bearer token is required');
    }
    if (!timingSafeEqual(digest(match[1]), expected)) {
      throw new ForbiddenError('The bearer token is not valid');
    }
  };
}
