import cors from '@fastify/cors';
import { AppError, ValidationError } from '@steadfast/errors';
import { ERROR_HANDLER_PLUGIN, routeHooks } from '@steadfast/http';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';

/** What development and tests accept without ALLOWED_HOSTS: the loopback names only. */
export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '::1'] as const;

export interface RequestOriginOptions {
  /** Host names (no port) the service answers to; `*` is any, `.example.com` any subdomain of it. */
  allowedHosts: readonly string[];
  /** Browser origins allowed to call the API cross-origin; none (no CORS headers at all) when empty. */
  corsOrigins: readonly string[];
}

/** The host name of a Host header, without its port; IPv6 literals lose their brackets. */
export function hostNameOf(header: string): string {
  const host = header.trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

/** Undefined when every host is allowed, so no route pays for a check that cannot fail. */
function hostMatcher(allowed: readonly string[]): ((host: string) => boolean) | undefined {
  if (allowed.includes('*')) return undefined;
  const exact = new Set(allowed.filter((name) => !name.startsWith('.')).map((name) => name.toLowerCase()));
  const suffixes = allowed.filter((name) => name.startsWith('.')).map((name) => name.toLowerCase());
  return (host) => exact.has(host) || suffixes.some((suffix) => host.endsWith(suffix));
}

const hostRequired = () => new ValidationError('The request has no Host header', [], 'HOST_REQUIRED');

/**
 * HTTP/1.1 requires a Host on every request (RFC 9112 section 3.2). Node's own check answers with a bare 400, so
 * serverLimits turns it off and this answers in the envelope; an HTTP/1.0 request may leave Host out.
 */
const requireHttp11Host: onRequestHookHandler = (request, _reply, done) => {
  done(request.headers.host === undefined && request.raw.httpVersion === '1.1' ? hostRequired() : undefined);
};

/**
 * The Host allow-list and CORS. A request for a host not on the list is 421 (a page doing DNS rebinding reaches the
 * port under its own name); one without a Host is 400. Checked on every route as it is registered (an unknown
 * path answers 404 whatever the host, and reveals nothing). Operational routes are exempt from the list:
 * orchestrators probe by the pod's address, and the admin APIs among them need their own token anyway; they
 * still require the Host HTTP/1.1 requires. CORS (`@fastify/cors`) is registered only for listed origins, so by
 * default a browser refuses every cross-origin call.
 */
export const requestOriginPlugin = fp<RequestOriginOptions>(
  async (app: FastifyInstance, { allowedHosts, corsOrigins }) => {
    const allowed = hostMatcher(allowedHosts);
    const checkHost: onRequestHookHandler = (request, _reply, done) => {
      const header = request.headers.host;
      if (!header) return done(hostRequired());
      if (allowed && !allowed(hostNameOf(header))) {
        return done(
          new AppError('MISDIRECTED_REQUEST', 421, 'This service does not answer to that host name'),
        );
      }
      done();
    };
    app.addHook('onRoute', (route) => {
      const hostHook = route.config?.operational ? requireHttp11Host : checkHost;
      route.onRequest = [hostHook, ...routeHooks(route.onRequest)];
    });
    if (corsOrigins.length > 0) {
      await app.register(cors, { origin: [...corsOrigins], credentials: false, maxAge: 600 });
    }
  },
  { name: '@steadfast/service-kit/request-origin', fastify: '5.x', dependencies: [ERROR_HANDLER_PLUGIN] },
);
