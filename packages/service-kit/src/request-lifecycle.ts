import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { runWithRequestContext, type TraceContext, traceOf } from './request-context.js';

declare module 'fastify' {
  interface FastifyRequest {
    trace: TraceContext;
  }
  interface FastifyContextConfig {
    /** Log this route's requests at debug rather than info (health probes, metrics scrapes). */
    quietLogs?: boolean;
    /** Health, metrics and admin routes: exempt from rate limits and load shedding. */
    operational?: boolean;
    /** The route needs `Authorization: Bearer <token>`; OpenAPI documents it under the bearerAuth scheme. */
    bearerAuth?: boolean;
  }
}

export interface RequestLifecycleOptions {
  slowRequestMs: number;
}

/**
 * Request ids, trace context and the one log line per request. The id itself comes from the server's
 * genReqId (see createServer); here it is echoed and bound, with the trace, to everything the request runs.
 */
export const requestLifecyclePlugin = fp<RequestLifecycleOptions>(
  async (app: FastifyInstance, { slowRequestMs }) => {
    app.decorateRequest('trace', undefined as unknown as TraceContext);

    app.addHook('onRequest', (request, reply, done) => {
      const trace = traceOf(request.raw);
      request.trace = trace;
      reply.header('x-request-id', request.id);
      reply.header('x-trace-id', trace.traceId);
      runWithRequestContext({ requestId: request.id, trace }, done);
    });

    app.addHook('onResponse', (request, reply, done) => {
      const durationMs = Math.round(reply.elapsedTime * 100) / 100;
      // requestId and traceId are bound to request.log already (see the childLoggerFactory in createService).
      const line = {
        method: request.method,
        route: request.routeOptions.url ?? null,
        url: request.url,
        statusCode: reply.statusCode,
        durationMs,
        slow: durationMs >= slowRequestMs,
      };
      if (line.slow) request.log.warn(line, 'request completed slowly');
      else if (request.routeOptions.config?.quietLogs) request.log.debug(line, 'request completed');
      else request.log.info(line, 'request completed');
      done();
    });
  },
  { name: '@steadfast/service-kit/request-lifecycle', fastify: '5.x' },
);
