import type { Server } from 'node:http';
import { clientErrorHandler, frameworkErrors, routeHooks } from '@steadfast/http';
import type { FastifyHttpOptions, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type BaseConfig, trustProxyFrom } from './config.js';

// Node looks for requests over their timeouts this often (30 s by default, which would let a stalled body live
// up to 30 s past REQUEST_TIMEOUT_MS).
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

/** The Fastify options that bound what one client can hold: time per request, idle sockets, body size, proxies. */
export function serverLimits(config: BaseConfig) {
  return {
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    connectionTimeout: config.CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: trustProxyFrom(config.TRUST_PROXY),
    // What Fastify or Node reject before routing is rendered as the error envelope too.
    frameworkErrors,
    clientErrorHandler,
    // Node answers an HTTP/1.1 request without Host with a bare 400; requestOriginPlugin answers it in the
    // envelope instead.
    http: { requireHostHeader: false },
  } satisfies FastifyHttpOptions<Server>;
}

export interface ConnectionLimitOptions {
  maxConnections: number;
  headersTimeoutMs: number;
}

/**
 * The limits Fastify has no option for, set on its server before it listens: `MAX_CONNECTIONS` (Node closes a
 * connection over it as soon as it is accepted) and the headers timeout; and the idle timeout lifted on
 * `longLived` routes, decided once per route.
 */
export const connectionLimitsPlugin = fp<ConnectionLimitOptions>(
  async (app: FastifyInstance, { maxConnections, headersTimeoutMs }) => {
    app.server.maxConnections = maxConnections;
    app.server.headersTimeout = headersTimeoutMs;
    // Read by Node when the server starts listening; @types/node does not declare it.
    (app.server as typeof app.server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
      Math.min(TIMEOUT_CHECK_INTERVAL_MS, headersTimeoutMs);
    app.addHook('onRoute', (route) => {
      if (!route.config?.longLived) return;
      route.onRequest = [
        (request, _reply, done) => {
          // `app.inject` gives the request a socket without timers; only a real one has an idle timeout to lift.
          request.raw.socket?.setTimeout?.(0);
          done();
        },
        ...routeHooks(route.onRequest),
      ];
    });
  },
  { name: '@steadfast/service-kit/connection-limits', fastify: '5.x' },
);
