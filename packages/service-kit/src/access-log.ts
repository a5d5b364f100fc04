import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface AccessLogOptions {
  /** Requests at least this slow are logged at warn with `slow: true`. */
  slowRequestMs: number;
}

// Query parameters whose values are credentials (`?access_token=`, `?api_key=`, an OAuth `code`, a signed URL's `sig`).
const SECRET_QUERY_KEY = /token|key|secret|password|passwd|signature|session|credential|auth|^code$|^sig$/i;

function decoded(key: string): string {
  try {
    return decodeURIComponent(key.replaceAll('+', ' '));
  } catch {
    return key;
  }
}

/** The URL as logged: every credential-like query value replaced, everything else as the client sent it. */
function redactUrl(url: string): string {
  const mark = url.indexOf('?');
  if (mark < 0) return url;
  const query = url
    .slice(mark + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const key = equals < 0 ? pair : pair.slice(0, equals);
      return equals >= 0 && SECRET_QUERY_KEY.test(decoded(key)) ? `${key}=[REDACTED]` : pair;
    });
  return `${url.slice(0, mark)}?${query.join('&')}`;
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
        url: redactUrl(request.url),
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
