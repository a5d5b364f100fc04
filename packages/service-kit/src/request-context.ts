import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** W3C trace context of the current request: the caller's trace, or a new one. */
export interface TraceContext {
  traceId: string;
  /** This service's span for the request; outgoing calls name it as their parent. */
  spanId: string;
  /** The caller's span, when the caller sent a traceparent. */
  parentSpanId: string | undefined;
  flags: string;
}

export interface RequestContext {
  requestId: string;
  trace: TraceContext;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The context of the request being served, or undefined outside of a request. */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

// Accept caller ids that are safe to log and echo; anything else is replaced rather than trusted.
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

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
 * any hook runs) and the request lifecycle reads the same object.
 */
export function traceOf(raw: IncomingMessage): TraceContext {
  const carrier = raw as IncomingMessage & { [TRACE]?: TraceContext };
  carrier[TRACE] ??= traceContextFrom(raw.headers.traceparent);
  return carrier[TRACE];
}

/** The headers an outgoing call carries so the next service joins the trace as a child of this request. */
export function propagationHeaders(context = currentRequestContext()): Record<string, string> {
  if (!context) return {};
  const { trace } = context;
  return {
    traceparent: `00-${trace.traceId}-${trace.spanId}-${trace.flags}`,
    'x-request-id': context.requestId,
  };
}
