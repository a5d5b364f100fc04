import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** W3C trace context of the current request: the caller's trace, or a new one. */
export interface TraceContext {
  traceId: string;
  /** This service's span for the request; outgoing calls name it as their parent. */
  spanId: string;
  /** The caller's span, when the caller sent a traceparent. */
  parentSpanId: string | undefined;
  flags: string;
}

// Accept caller ids that are safe to log and echo; anything else is replaced rather than trusted.
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The server's `genReqId`: the caller's `X-Request-ID` when it is safe to echo, otherwise a new UUID. */
export function requestIdFrom(raw: IncomingMessage): string {
  const header = raw.headers['x-request-id'];
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

const newSpanId = () => randomBytes(8).toString('hex');

/** Parses a `traceparent` header; an absent or invalid one starts a new sampled trace. */
export function traceContextFrom(header: string | string[] | undefined): TraceContext {
  const match = typeof header === 'string' ? TRACEPARENT.exec(header.trim()) : null;
  if (match) {
    const [, version, traceId, parentSpanId, flags, rest] = match as unknown as [
      string,
      string,
      string,
      string,
      string,
      string?,
    ];
    const validVersion = version !== 'ff' && (version !== '00' || rest === undefined);
    if (validVersion && traceId !== ZERO_TRACE && parentSpanId !== ZERO_SPAN) {
      return { traceId, spanId: newSpanId(), parentSpanId, flags };
    }
  }
  return {
    traceId: randomBytes(16).toString('hex'),
    spanId: newSpanId(),
    parentSpanId: undefined,
    flags: '01',
  };
}

const TRACE = Symbol('steadfast.trace');

/**
 * The trace context of an incoming request, parsed once: the request logger is created with its trace id (before
 * any hook runs) and the request context plugin reads the same object.
 */
export function traceOf(raw: IncomingMessage): TraceContext {
  const carrier = raw as IncomingMessage & { [TRACE]?: TraceContext };
  carrier[TRACE] ??= traceContextFrom(raw.headers.traceparent);
  return carrier[TRACE];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's W3C trace context; its trace id is in every log line, error body and `x-trace-id`. */
    trace: TraceContext;
  }
}

export const REQUEST_CONTEXT_PLUGIN = '@steadfast/http/request-context';

/**
 * Binds the trace context to each request and echoes both ids (`x-request-id`, `x-trace-id`). The id itself
 * comes from the server's `genReqId` (`requestIdFrom`), so it exists before any hook runs.
 */
export const requestContextPlugin = fp(
  async (app: FastifyInstance) => {
    app.decorateRequest('trace', undefined as unknown as TraceContext);
    app.addHook('onRequest', (request, reply, done) => {
      const trace = traceOf(request.raw);
      request.trace = trace;
      reply.header('x-request-id', request.id);
      reply.header('x-trace-id', trace.traceId);
      done();
    });
  },
  { name: REQUEST_CONTEXT_PLUGIN, fastify: '5.x' },
);
