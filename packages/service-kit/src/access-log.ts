import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface AccessLogOptions {
  /** Requests at least this slow are logged at warn with `slow: true`. */
  slowRequestMs: number;
}

/**
 * One log line per request, instead of Fastify's two. requestId and traceId are bound to `request.log` already
 * (the childLoggerFactory in createService), so the line carries them without building a child logger here.
 */
export const accessLogPlugin = fp<AccessLogOptions>(
  async (app: FastifyInstance, { slowRequestMs }) => {
    app.addHook('onResponse', (request, reply, done) => {
      const durationMs = Math.round(reply.elapsedTime * 100) / 100;
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
  { name: '@steadfast/service-kit/access-log', fastify: '5.x' },
);
