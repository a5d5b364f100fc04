import { ForbiddenError, oneOf, UnauthenticatedError } from '@steadfast/errors';
import { ERROR_HANDLER_PLUGIN, routeHooks } from '@steadfast/http';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { type FailureThrottleOptions, failureThrottle } from './failure-throttle.js';
import { type JwtVerifierOptions, jwtVerifier, type Principal } from './jwt-verifier.js';

export const AUTH_PLUGIN = '@steadfast/auth';
export const AUTH_MODES = ['jwt', 'off'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export type AuthPluginOptions =
  | { mode: 'off' }
  | {
      mode: 'jwt';
      verifier: JwtVerifierOptions;
      /** Names the service in `WWW-Authenticate`. */
      realm: string;
      /** The budget of invalid tokens per client address (10 a minute by default); 429 once it is spent. */
      throttle?: FailureThrottleOptions;
    };

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller of a route with a `scope`; null when auth is off or the route has none. */
    principal: Principal | null;
  }
}

/**
 * Whose Idempotency-Keys, rate budgets and audit lines these are: the token's subject, or, when auth is off, the
 * client address, so one caller can never claim or replay another's key.
 */
export function callerOf(request: FastifyRequest): string {
  return request.principal ? `sub:${request.principal.subject}` : `ip:${request.ip}`;
}

const BEARER = /^Bearer +([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+) *$/;

function challenge(reply: FastifyReply, realm: string, error?: string, scope?: string) {
  const parts = [`realm="${realm}"`];
  if (error) parts.push(`error="${error}"`);
  if (scope) parts.push(`scope="${scope}"`);
  reply.header('www-authenticate', `Bearer ${parts.join(', ')}`);
}

/**
 * OAuth 2 bearer JWTs on every route that declares `config.scope`: 401 without a token or with a bad one, 403
 * when the token lacks the route's scope, both as the error envelope with a `WWW-Authenticate` challenge
 * (RFC 6750). The check runs in `onRequest`, before the body is read, so an anonymous caller costs no parsing.
 * With `mode: 'off'` nothing is checked and one warning says so at startup.
 */
export const authPlugin = fp<AuthPluginOptions>(
  async (app: FastifyInstance, options) => {
    const mode = oneOf('mode', options.mode, AUTH_MODES);
    app.decorateRequest('principal', null);
    if (mode === 'off') {
      app.log.warn('AUTH_MODE=off: every /v1 route is open to anyone who can reach the port');
      return;
    }
    const {
      realm,
      verifier,
      throttle: throttleOptions,
    } = options as Extract<AuthPluginOptions, { mode: 'jwt' }>;
    const verify = jwtVerifier(verifier);
    const throttle = failureThrottle(throttleOptions);

    const guard =
      (scope: string): onRequestHookHandler =>
      async (request, reply) => {
        const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
        if (!token) {
          challenge(reply, realm);
          throw new UnauthenticatedError('This route needs Authorization: Bearer <JWT>');
        }
        // A client that has sent too many invalid tokens is refused before its next one costs a verification.
        throttle.check(request.ip);
        try {
          request.principal = await verify(token);
        } catch (error) {
          if (error instanceof UnauthenticatedError) {
            throttle.fail(request.ip);
            challenge(reply, realm, 'invalid_token');
          }
          throw error;
        }
        if (!request.principal.scopes.has(scope)) {
          challenge(reply, realm, 'insufficient_scope', scope);
          throw new ForbiddenError(`This route needs the ${scope} scope`);
        }
      };

    app.addHook('onRoute', (route) => {
      const scope = route.config?.scope;
      if (scope === undefined) return;
      // First of the route's own hooks: nothing route-specific runs for an anonymous caller.
      route.onRequest = [guard(scope), ...routeHooks(route.onRequest)];
    });
  },
  { name: AUTH_PLUGIN, fastify: '5.x', dependencies: [ERROR_HANDLER_PLUGIN] },
);
