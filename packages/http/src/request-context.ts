import { randomFillSync, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { type Context, ROOT_CONTEXT, type SpanContext, type TextMapGetter, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
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

/** Reads `traceparent` and `tracestate` from Node's (lower-cased) request headers. */
const HEADER_GETTER: TextMapGetter<IncomingHttpHeaders> = {
  get: (headers, key) => headers[key],
  keys: (headers) => Object.keys(headers),
};

/**
 * The one W3C trace-context implementation: OpenTelemetry's. Untraced requests use it here; with tracing on, the
 * kit registers the same propagator globally for the spans it starts and the calls it makes.
 */
export const traceContextPropagator = new W3CTraceContextPropagator();

/** The caller's trace from a request's `traceparent` and `tracestate`: a context holding its span, when valid. */
export function remoteContextOf(headers: IncomingHttpHeaders): Context {
  return traceContextPropagator.extract(ROOT_CONTEXT, headers, HEADER_GETTER);
}

const remoteSpanContextOf = (headers: IncomingHttpHeaders) => trace.getSpanContext(remoteContextOf(headers));

// Trace and span ids come from one pool of random bytes refilled 4 KiB at a time (randomUUID keeps such a pool
// too): a randomBytes call per id cost more than the rest of the trace context.
const idBytes = Buffer.alloc(4096);
let idOffset = idBytes.length;

/** `bytes` random bytes as lowercase hex. */
function randomHex(bytes: number): string {
  if (idOffset + bytes > idBytes.length) {
    randomFillSync(idBytes);
    idOffset = 0;
  }
  idOffset += bytes;
  return idBytes.toString('hex', idOffset - bytes, idOffset);
}

const newSpanId = () => randomHex(8);
/** Trace flags as `traceparent` writes them (`01` sampled). */
export const hexFlags = (flags: number) => (flags & 0xff).toString(16).padStart(2, '0');

function traceContextOf(remote: SpanContext | undefined): TraceContext {
  return remote
    ? {
        traceId: remote.traceId,
        spanId: newSpanId(),
        parentSpanId: remote.spanId,
        flags: hexFlags(remote.traceFlags),
      }
    : { traceId: randomHex(16), spanId: newSpanId(), parentSpanId: undefined, flags: '01' };
}

/** Parses a `traceparent` header; an absent or invalid one starts a new sampled trace. */
export function traceContextFrom(header: string | string[] | undefined): TraceContext {
  return traceContextOf(header === undefined ? undefined : remoteSpanContextOf({ traceparent: header }));
}

/** Starts a request's trace context: the kit's tracing starts a span here; without it, the caller's is continued. */
export type TraceStarter = (raw: IncomingMessage) => TraceContext;

const untraced: TraceStarter = (raw) => traceContextOf(remoteSpanContextOf(raw.headers));

const TRACE = Symbol('steadfast.trace');

/**
 * The trace context of an incoming request, made once: the request logger is created with its ids (before any
 * hook runs, by the first call, which passes the service's `start`) and every later call reads the same object.
 */
export function traceOf(raw: IncomingMessage, start: TraceStarter = untraced): TraceContext {
  const carrier = raw as IncomingMessage & { [TRACE]?: TraceContext };
  carrier[TRACE] ??= start(raw);
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
