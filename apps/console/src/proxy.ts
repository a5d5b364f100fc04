import type { ServerResponse } from 'node:http';
import replyFrom from '@fastify/reply-from';
import { type Static, Type } from '@sinclair/typebox';
import { DependencyError, NotFoundError, OverloadedError, TimeoutError } from '@steadfast/errors';
import { OPERATIONAL_ROUTE_CONFIG } from '@steadfast/http';
import type { FastifyInstance, FastifyRequest, HTTPMethods } from 'fastify';
import fp from 'fastify-plugin';
import type { ConsoleService } from './services.js';

/** Where the browser reaches a service: `/api/<service>/<path the service serves>`. */
export const API_PREFIX = '/api';
/** Connections per service for ordinary calls, on top of one per open event stream. */
const CALL_CONNECTIONS = 32;
/** A browser that cannot get a stream retries on its own (EventSource); this is when it is told to. */
const STREAM_RETRY_AFTER_S = 5;

/** Notes and incident texts are at most 10 000 characters; nothing the console sends comes near this. */
export const PROXY_BODY_LIMIT_BYTES = 64 * 1024;

interface ProxiedRoute {
  method: HTTPMethods;
  url: string;
  /** An event stream: the idle timeout applies instead of the request timeout. */
  stream?: true;
}

/** Everything the console calls, and nothing else: any other path is a 404 without reaching a service. */
export const PROXIED_ROUTES: readonly ProxiedRoute[] = [
  { method: 'GET', url: '/health' },
  { method: 'GET', url: '/v1/slo' },
  { method: 'GET', url: '/v1/slo/:name' },
  { method: 'GET', url: '/v1/slo/:name/history' },
  { method: 'GET', url: '/v1/incidents' },
  { method: 'GET', url: '/v1/incidents/active' },
  { method: 'GET', url: '/v1/incidents/stream', stream: true },
  { method: 'GET', url: '/v1/incidents/:id' },
  { method: 'GET', url: '/v1/incidents/:id/postmortem' },
  { method: 'POST', url: '/v1/incidents' },
  { method: 'PATCH', url: '/v1/incidents/:id' },
  { method: 'POST', url: '/v1/incidents/:id/timeline' },
  { method: 'GET', url: '/admin/chaos/status' },
  { method: 'GET', url: '/admin/chaos/audit' },
  { method: 'POST', url: '/admin/chaos/faults' },
  { method: 'DELETE', url: '/admin/chaos/faults' },
  { method: 'DELETE', url: '/admin/chaos/faults/:id' },
];

/** The request headers a service may see; cookies and anything else the browser adds stay here. */
const FORWARDED_HEADERS = [
  'accept',
  'content-type',
  'if-match',
  'idempotency-key',
  'last-event-id',
  'traceparent',
] as const;
const BEARER = /^Bearer [\x21-\x7e]{1,4096}$/;

export interface ProxyOptions {
  services: readonly ConsoleService[];
  /** Added to reads that carry no token of their own; never reaches the browser. */
  serviceToken?: string | undefined;
  timeoutMs: number;
  streamIdleTimeoutMs: number;
  /** Event streams open at once over all browsers; each holds a connection to its service. */
  maxStreams: number;
}

const ServiceParams = Type.Object({ service: Type.String() }, { additionalProperties: true });
type ServiceParams = Static<typeof ServiceParams>;

/**
 * The operator's own bearer token when the browser sent one (every write is attributed to a person); otherwise,
 * on reads only, the console's read token. A write without the operator's token goes without one, and the service
 * answers 401 itself.
 */
export function authorizationFor(
  method: string,
  operator: string | undefined,
  serviceToken: string | undefined,
): string | undefined {
  if (operator !== undefined && BEARER.test(operator)) return operator;
  if (method === 'GET' && serviceToken !== undefined) return `Bearer ${serviceToken}`;
  return undefined;
}

/**
 * The browser's address goes on as the only `X-Forwarded-For` entry: a service that trusts the console
 * (`TRUST_PROXY`) then limits each browser on its own budget instead of every console user on one. Whatever the
 * browser sent in that header itself is dropped; `request.ip` is already what the console's own `TRUST_PROXY`
 * makes of it.
 */
function forwardedHeaders(request: FastifyRequest, serviceToken: string | undefined) {
  const headers: Record<string, string> = { 'x-request-id': request.id, 'x-forwarded-for': request.ip };
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const authorization = authorizationFor(request.method, request.headers.authorization, serviceToken);
  if (authorization !== undefined) headers.authorization = authorization;
  return headers;
}

async function proxyImpl(app: FastifyInstance, options: ProxyOptions) {
  const byName = new Map(options.services.map((service) => [service.name, service]));
  await app.register(replyFrom, {
    disableRequestLogging: true,
    // Streams never take the connections ordinary calls need: they are capped below this.
    undici: {
      connections: CALL_CONNECTIONS + options.maxStreams,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    },
  });
  // Open streams would keep server.close() waiting for ever: they end before the server closes, and the browser
  // reconnects to another replica.
  const streams = new Set<ServerResponse>();
  const endAll = async () => {
    for (const stream of streams) stream.destroy();
  };
  app.addHook('preClose', endAll);
  app.addHook('onClose', endAll);

  for (const route of PROXIED_ROUTES) {
    const timeout = route.stream ? options.streamIdleTimeoutMs : options.timeoutMs;
    app.route<{ Params: ServiceParams }>({
      method: route.method,
      url: `${API_PREFIX}/:service${route.url}`,
      bodyLimit: PROXY_BODY_LIMIT_BYTES,
      // The services count, limit and shed their own traffic; an event stream here is one long request.
      ...(route.stream ? { config: OPERATIONAL_ROUTE_CONFIG } : {}),
      schema: { params: ServiceParams },
      handler: (request, reply) => {
        const service = byName.get(request.params.service);
        if (service === undefined)
          throw new NotFoundError(`No service ${request.params.service} in this console`);
        if (route.stream) {
          if (streams.size >= options.maxStreams) {
            throw new OverloadedError(
              STREAM_RETRY_AFTER_S,
              `The console already relays ${options.maxStreams} streams`,
            );
          }
          const stream = reply.raw;
          streams.add(stream);
          stream.once('close', () => streams.delete(stream));
        }
        const path = request.url.slice(API_PREFIX.length + 1 + service.name.length);
        return reply.from(`${service.url}${path}`, {
          timeout,
          rewriteRequestHeaders: () => forwardedHeaders(request, options.serviceToken),
          rewriteHeaders: (headers) => {
            const { 'set-cookie': _dropped, ...kept } = headers;
            return kept;
          },
          onError: (errorReply, { error }) => {
            const timedOut = (error as { statusCode?: number }).statusCode === 504;
            request.log.warn({ err: error, service: service.name }, 'proxied call failed');
            errorReply.send(
              timedOut
                ? new TimeoutError(`${service.name} did not answer within ${timeout} ms`)
                : new DependencyError(`${service.name} cannot be reached`),
            );
          },
        });
      },
    });
  }
}

/** Same-origin access to the configured services, on the allow-listed paths only. */
export const consoleProxy = fp(proxyImpl, { name: '@steadfast/console/proxy', fastify: '5.x' });
